// zone.reset, zone.clone, zone.snapshot.*, zone.detach, zone.attach: the QA
// cycle's methods (docs/qa.md). The state table decides, zone_qa.hpp acts.
#include "runtime/common/log.hpp"
#include "runtime/zone_qa.hpp"

namespace zone {

namespace {

// The state table's answer: an error for a refused command, a "nothing to
// do" answer for one already done, nothing when it runs.
std::optional<Result<api::json>> gate(Zone& z, ZoneCommand c, const std::string& done_msg = "") {
    switch (check_transition(z.status.state, c)) {
    case Verdict::Run: return std::nullopt;
    case Verdict::AlreadyDone:
        return api::json{{"name", z.name},
                         {"changed", false},
                         {"state", std::string(to_string(z.status.state))},
                         {"message", done_msg.empty() ? "zone '" + z.name + "' is already " +
                                                            std::string(to_string(z.status.state))
                                                      : done_msg}};
    case Verdict::Refuse: break;
    }
    return Result<api::json>(make_error(api::code::kBadState,
                                        "zone '" + z.name + "': " + refusal_reason(z.status.state, c)));
}

Result<std::string> snapshot_param(Call& c, bool required) {
    auto it = c.params.find("snapshot");
    if (it == c.params.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) {
        if (required) return make_error(api::code::kInvalidParams, "parameter 'snapshot' is required");
        return std::string();
    }
    TRY(s, api::param_string(c.params, "snapshot"));
    TRY_VOID(qa::check_snapshot_name(s));
    return s;
}

Result<api::json> zone_reset(Call& c) {
    TRY(lk, lock_zone_param(c));
    if (auto g = gate(*lk, ZoneCommand::Reset)) return std::move(*g);
    return qa::reset_zone(c.daemon, *lk);
}

// Both zones locked, in name order, so two clones between the same zones
// cannot wait for each other.
struct ClonePair {
    std::optional<ZoneLock> first, second;
};

Result<api::json> zone_clone(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY(source, api::param_string(c.params, "source"));
    TRY_VOID(config::check_zone_name(name));
    TRY_VOID(config::check_zone_name(source));
    TRY(snapshot, snapshot_param(c, false));
    if (name == source)
        return make_error(api::code::kInvalidParams, "a zone cannot be cloned onto itself ('" + name + "')");
    TRY(srcp, c.daemon.registry().find(source));
    auto dstp = c.daemon.registry().get_or_create(name);
    ClonePair locks;
    for (const auto& p : name < source ? std::vector{dstp, srcp} : std::vector{srcp, dstp}) {
        TRY(lk, ZoneLock::acquire(p));
        (locks.first ? locks.second : locks.first).emplace(std::move(lk));
    }
    Zone& src = *srcp;
    Zone& dst = *dstp;
    // A refused clone leaves no registry entry for a name that never existed.
    ScopeExit forget_new([&] {
        if (!dst.exists) c.daemon.registry().forget(name);
    });
    if (!src.exists) return make_error(api::code::kNotFound, "zone '" + source + "' is not configured");
    if (snapshot.empty()) {
        if (auto g = gate(src, ZoneCommand::CloneFrom)) return std::move(*g);
    }
    if (dst.exists && (dst.status.state != ZoneState::Configured || dst.status.detached))
        return make_error(api::code::kExists,
                          "zone '" + name + "' already exists (" +
                              (dst.status.detached ? std::string("detached")
                                                   : std::string(to_string(dst.status.state))) +
                              "); clone onto a new name, or onto a zone that is only configured");
    bool created = !dst.exists;
    std::vector<std::string> notes;
    if (created) {
        config::ZoneConfig cfg = qa::clone_config(src.config, name, notes);
        // A clone made under the clone right and the creator policy belongs
        // to whoever made it, as a zone it committed would (auth::decide
        // has checked the source against the creator bounds).
        if (!c.caller.admin)
            cfg.props["owner"] = config::PropValue{
                false, c.caller.user.empty() ? std::to_string(c.caller.uid) : c.caller.user, {}};
        TRY(uuid, qa::new_uuid());
        cfg.uuid = uuid;
        if (auto v = config::verify(cfg); !v) return std::move(v).error().wrap("zone '" + name + "'");
        if (auto r = c.daemon.store().save_config(cfg); !r)
            return std::move(r).error().wrap("zone '" + name + "': saving configuration");
        dst.config = cfg;
        dst.exists = true;
    }
    auto r = qa::clone_zone(c.daemon, dst, created, src, snapshot);
    if (!r) {
        if (created) {
            (void)c.daemon.store().remove_zone(name);
            dst.exists = false;
        }
        return std::move(r).error();
    }
    (*r)["notes"] = notes;
    ZLOG_INFO("zone=%s cloned from %s by uid %u", name.c_str(), source.c_str(), c.peer.uid);
    return r;
}

Result<api::json> snapshot_create(Call& c) {
    TRY(snap, snapshot_param(c, false));
    if (snap.empty()) snap = qa::default_snapshot_name();
    TRY(lk, lock_zone_param(c));
    if (auto g = gate(*lk, ZoneCommand::Snapshot)) return std::move(*g);
    return qa::create_snapshot(c.daemon, *lk, snap);
}

Result<api::json> snapshot_list(Call& c) {
    TRY(lk, lock_zone_param(c));
    return qa::list_snapshots(c.daemon, *lk);
}

Result<api::json> snapshot_rollback(Call& c) {
    TRY(snap, snapshot_param(c, true));
    TRY(lk, lock_zone_param(c));
    if (auto g = gate(*lk, ZoneCommand::Rollback)) return std::move(*g);
    return qa::rollback_snapshot(c.daemon, *lk, snap);
}

Result<api::json> snapshot_delete(Call& c) {
    TRY(snap, snapshot_param(c, true));
    TRY(lk, lock_zone_param(c));
    return qa::delete_snapshot(c.daemon, *lk, snap);
}

// An archive rides as the request's one fd: the client opened the file with
// its own rights, zoned never opens a path a client names.
Result<int> archive_fd(Call& c) {
    TRY(want, api::param_bool(c.params, "archive", false));
    if (!want) return -1;
    if (c.fds.size() != 1)
        return make_error(api::code::kInvalidParams, "parameter 'archive' needs one file descriptor with the request");
    return c.fds[0].get();
}

Result<api::json> zone_detach(Call& c) {
    TRY(fd, archive_fd(c));
    TRY(lk, lock_zone_param(c));
    if (lk->status.state == ZoneState::Configured && lk->status.detached)
        return api::json{{"name", lk->name}, {"changed", false}, {"state", "configured"},
                         {"message", "zone '" + lk->name + "' is already detached"}};
    if (auto g = gate(*lk, ZoneCommand::Detach)) return std::move(*g);
    return qa::detach_zone(c.daemon, *lk, fd);
}

Result<api::json> zone_attach(Call& c) {
    TRY(dir, api::param_bool(c.params, "directory", false));
    if (dir) c.params["archive"] = true;  // the same one descriptor
    TRY(fd, archive_fd(c));
    TRY(force, api::param_bool(c.params, "force", false));
    TRY(lk, lock_zone_param(c, /*must_exist=*/fd < 0));
    if (lk->exists && fd < 0)
        if (auto g = gate(*lk, ZoneCommand::Attach)) return std::move(*g);
    auto r = qa::attach_zone(c.daemon, *lk, fd, dir, force);
    if (!r && !lk->exists) c.daemon.registry().forget(lk->name);
    return r;
}

} // namespace

std::vector<Method> zone_qa_methods() {
    return {
        {"zone.reset", Access::Manage, zone_reset},
        {"zone.clone", Access::Clone, zone_clone},
        {"zone.snapshot.create", Access::Manage, snapshot_create},
        {"zone.snapshot.list", Access::Manage, snapshot_list},
        {"zone.snapshot.rollback", Access::Manage, snapshot_rollback},
        {"zone.snapshot.delete", Access::Manage, snapshot_delete},
        {"zone.detach", Access::Admin, zone_detach},
        {"zone.attach", Access::Admin, zone_attach},
    };
}

} // namespace zone
