// zone.config.* and template.* methods: the committed configurations.
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/auth.hpp"
#include "runtime/daemon.hpp"

namespace zone {

namespace {

Result<std::string> new_uuid() {
    TRY(s, fs::read_file("/proc/sys/kernel/random/uuid"));
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

Result<api::json> config_get(Call& c) {
    TRY(lk, lock_zone_param(c));
    return api::json{{"config", config::to_json(lk->config)},
                     {"state", std::string(to_string(lk->status.state))}};
}

Result<api::json> config_commit(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY_VOID(config::check_zone_name(name));
    auto it = c.params.find("config");
    if (it == c.params.end() || !it->is_object())
        return make_error(api::code::kInvalidParams, "parameter 'config' must be an object");
    api::json j = *it;
    j["name"] = name;
    if (!j.contains("uuid")) j["uuid"] = "";
    auto parsed = config::from_json(j);
    if (!parsed) return std::move(parsed).error().wrap("zone '" + name + "'");
    config::ZoneConfig cfg = std::move(parsed).value();
    if (auto v = config::verify(cfg); !v) return std::move(v).error().wrap("zone '" + name + "'");
    TRY(must_be_new, api::param_bool(c.params, "create", false));

    TRY(lk, lock_zone_param(c, /*must_exist=*/false));
    bool created = !lk->exists;
    if (!created && must_be_new)
        return make_error(api::code::kExists, "zone '" + name + "' already exists");
    if (created) {
        TRY(uuid, new_uuid());
        cfg.uuid = uuid;
    } else {
        cfg.uuid = lk->config.uuid;  // the uuid is the zone's for life
        if (lk->status.state != ZoneState::Configured &&
            cfg.get_or("root-type", "overlay") != lk->config.get_or("root-type", "overlay"))
            return make_error(api::code::kBadState, "zone '" + name +
                                                        "': root-type cannot change once installed");
    }
    // A zone created or changed under the creator policy stays its creator's
    // (auth::decide admitted no other owner).
    if (!c.caller.admin && cfg.get_or("owner", "").empty())
        cfg.props["owner"] = config::PropValue{
            false, c.caller.user.empty() ? std::to_string(c.caller.uid) : c.caller.user, {}};
    // zonecfg -r: the resource controls go live first, so that a change the
    // zone's cgroups refuse is not committed either.
    TRY(live, api::param_bool(c.params, "apply", false));
    config::ZoneConfig booted_before = booted_config(*lk);
    if (live) {
        if (created) {
            c.daemon.registry().forget(name);
            return make_error(api::code::kBadState, "zone '" + name + "' is not running");
        }
        // Changing a running zone's caps is managing it, as zoneadm apply is.
        auto rights = auth::rights_on(c.caller, lk->config);
        if (!c.caller.admin && !rights.manage && !rights.owner)
            return make_error(api::code::kNotAuthorized,
                              "zone '" + name + "': applying resource controls needs the manage right");
        TRY_VOID(apply_zone_limits(c.daemon, *lk, cfg));
    }
    if (auto r = c.daemon.store().save_config(cfg); !r) {
        if (live) (void)apply_zone_limits(c.daemon, *lk, booted_before);
        if (created) c.daemon.registry().forget(name);
        return std::move(r).error().wrap("zone '" + name + "': saving configuration");
    }
    lk->config = cfg;
    if (created) {
        lk->status = ZoneStatus{};
        if (auto r = c.daemon.store().save_status(name, lk->status); !r)
            ZLOG_WARN("zone=%s saving state: %s, ignoring", name.c_str(), r.error().message().c_str());
        lk->exists = true;
    }
    ZLOG_INFO("zone=%s configuration %s by uid %u", name.c_str(), created ? "created" : "updated",
              c.peer.uid);
    return api::json{{"name", name}, {"uuid", cfg.uuid}, {"created", created}, {"applied", live}};
}

Result<api::json> config_delete(Call& c) {
    TRY(lk, lock_zone_param(c));
    ZoneState s = lk->status.state;
    if (check_transition(s, ZoneCommand::Delete) == Verdict::Refuse)
        return make_error(api::code::kBadState, "zone '" + lk->name + "': " +
                                                    refusal_reason(s, ZoneCommand::Delete));
    TRY_VOID(c.daemon.store().remove_zone(lk->name));
    if (auto r = c.daemon.id_ranges().release(lk->name); !r)  // uninstall released it already
        ZLOG_WARN("zone=%s releasing its id range: %s, ignoring", lk->name.c_str(), r.error().message().c_str());
    lk->exists = false;
    c.daemon.registry().forget(lk->name);
    ZLOG_INFO("zone=%s deleted by uid %u", lk->name.c_str(), c.peer.uid);
    return api::json::object();
}

// The built-in templates and those stored by template.create (api_template.cpp).
Result<api::json> template_get(Call& c) { return get_template(c); }

Result<api::json> template_list(Call& c) { return list_templates(c); }

} // namespace

std::vector<Method> zone_config_methods() {
    return {
        {"zone.config.get", Access::See, config_get},
        {"zone.config.commit", Access::Configure, config_commit},
        {"zone.config.delete", Access::Own, config_delete},
        {"template.get", Access::Anyone, template_get},
        {"template.list", Access::Anyone, template_list},
    };
}

} // namespace zone
