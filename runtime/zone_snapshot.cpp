// zoneadm snapshot: named copies of a zone's changes, kept in the zone's
// directory (snapshots/<name>/{snapshot.json, upper/ or rootfs/}).
#include <algorithm>
#include <ctime>
#include <sys/stat.h>
#include <unistd.h>

#include "images/store.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/zone_qa.hpp"

namespace zone::qa {

namespace {

std::string snapshots_dir(Daemon& d, const std::string& zone) {
    return d.paths().zone_dir(zone) + "/snapshots";
}

Result<nlohmann::json> read_meta(const std::string& dir) {
    TRY(text, fs::read_file(dir + "/snapshot.json"));
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error("EINVAL", dir + "/snapshot.json is not a JSON object");
    return j;
}

} // namespace

Result<void> check_snapshot_name(const std::string& name) {
    // The zone-name rules: no '/', no leading '.', at most 63 characters.
    if (auto r = config::check_zone_name(name); !r)
        return make_error(api::code::kInvalidParams,
                          "snapshot name '" + name +
                              "' is not valid: 1-63 characters of A-Z a-z 0-9 _ . -, "
                              "starting with a letter or digit");
    return ok();
}

std::string default_snapshot_name() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H-%M-%SZ", &tm);
    return buf;
}

Result<std::string> snapshot_dir(Daemon& d, const std::string& zone, const std::string& name) {
    TRY_VOID(check_snapshot_name(name));
    std::string dir = snapshots_dir(d, zone) + "/" + name;
    if (!fs::exists(dir + "/snapshot.json"))
        return make_error(api::code::kNotFound, "zone '" + zone + "' has no snapshot '" + name +
                                                    "' (see 'zoneadm -z " + zone + " snapshot list')");
    return dir;
}

Result<api::json> create_snapshot(Daemon& d, Zone& z, const std::string& name) {
    TRY_VOID(check_snapshot_name(name));
    const std::string all = snapshots_dir(d, z.name);
    const std::string dir = all + "/" + name, tmp = all + "/.new-" + name;
    if (fs::exists(dir))
        return make_error(api::code::kExists, "zone '" + z.name + "' already has a snapshot '" + name + "'");
    const std::string what = files_dir_name(z.config);
    TRY_VOID(fs::mkdir_p(all, 0700));
    TRY_VOID(fs::remove_tree(tmp));
    auto made = [&]() -> Result<unsigned long long> {
        if (::mkdir(tmp.c_str(), 0700) < 0) return sys_error("mkdir(" + tmp + ")");
        {
            TRY(frozen, FreezeGuard::freeze(z));
            TRY_VOID(fs::copy_tree(d.paths().zone_dir(z.name) + "/" + what, tmp + "/" + what));
        }
        TRY(size, fs::tree_size(tmp + "/" + what));
        nlohmann::json meta{{"name", name},
                            {"zone", z.name},
                            {"created", images::rfc3339_now()},
                            {"size", size},
                            {"image", z.config.get_or("image", "")},
                            {"image_version", z.status.image_version},
                            {"root_type", z.config.get_or("root-type", "overlay")}};
        TRY_VOID(fs::write_file_atomic(tmp + "/snapshot.json", meta.dump(2) + "\n", 0600));
        // The snapshot appears under its name only complete.
        if (::rename(tmp.c_str(), dir.c_str()) < 0) return sys_error("rename(" + tmp + ", " + dir + ")");
        return size;
    }();
    if (!made) {
        (void)fs::remove_tree(tmp);
        return std::move(made).error().wrap("zone '" + z.name + "': snapshot '" + name + "'");
    }
    ZLOG_INFO("zone=%s snapshot %s created (%llu bytes)", z.name.c_str(), name.c_str(), *made);
    return api::json{{"name", z.name}, {"snapshot", name}, {"size", *made}};
}

Result<api::json> list_snapshots(Daemon& d, Zone& z) {
    api::json out = api::json::array();
    const std::string all = snapshots_dir(d, z.name);
    if (fs::exists(all)) {
        TRY(fd, fs::open_dir(all));
        TRY(names, fs::list_dir(fd.get(), all));
        std::sort(names.begin(), names.end());
        for (const auto& n : names) {
            if (n[0] == '.') continue;  // work in progress
            auto meta = read_meta(all + "/" + n);
            if (!meta) {
                ZLOG_WARN("zone=%s snapshot %s: %s, ignoring", z.name.c_str(), n.c_str(),
                          meta.error().message().c_str());
                continue;
            }
            out.push_back(*meta);
        }
    }
    return api::json{{"name", z.name}, {"snapshots", out}};
}

Result<api::json> rollback_snapshot(Daemon& d, Zone& z, const std::string& name) {
    TRY(snap, snapshot_dir(d, z.name, name));
    TRY(meta, read_meta(snap));
    const std::string dir = d.paths().zone_dir(z.name);
    const std::string what = files_dir_name(z.config);
    if (meta.value("root_type", std::string("overlay")) != z.config.get_or("root-type", "overlay"))
        return make_error(api::code::kInvalidConfig, "snapshot '" + name + "' of zone '" + z.name +
                                                         "' was taken with another root-type");
    auto done = [&]() -> Result<void> {
        TRY_VOID(fs::remove_tree(dir + "/.new-" + what));
        TRY_VOID(fs::copy_tree(snap + "/" + what, dir + "/.new-" + what));
        TRY_VOID(swap_in(dir, what));
        if (what == "upper") return fresh_work(dir);
        return ok();
    }();
    if (!done) {
        (void)fs::remove_tree(dir + "/.new-" + what);
        return std::move(done).error().wrap("zone '" + z.name + "': rolling back to '" + name + "'");
    }
    unsigned snap_version = meta.value("image_version", 0U);
    api::json out{{"name", z.name}, {"snapshot", name}, {"changed", true}};
    if (what == "rootfs") {
        // A full copy carries its image with it: the zone is on that version again.
        ZoneStatus st = z.status;
        st.image_version = snap_version;
        TRY_VOID(save_status(d, z, st));
    } else if (snap_version != 0 && snap_version != z.status.image_version) {
        out["message"] = "snapshot '" + name + "' was taken on " + meta.value("image", std::string()) +
                         " version " + std::to_string(snap_version) + "; the zone's changes now lie over the version its configuration names ('" +
                         z.config.get_or("image", "") + "') at its next boot";
    }
    ZLOG_INFO("zone=%s rolled back to snapshot %s", z.name.c_str(), name.c_str());
    return out;
}

Result<api::json> delete_snapshot(Daemon& d, Zone& z, const std::string& name) {
    TRY(snap, snapshot_dir(d, z.name, name));
    // Renamed first: a delete cut off leaves a .discard-* that the next start
    // removes, never a half-removed snapshot under its name.
    const std::string gone = snapshots_dir(d, z.name) + "/.discard-" + name;
    TRY_VOID(fs::remove_tree(gone));
    if (::rename(snap.c_str(), gone.c_str()) < 0) return sys_error("rename(" + snap + ", " + gone + ")");
    if (auto r = fs::remove_tree(gone); !r)
        ZLOG_WARN("zone=%s removing %s: %s, ignoring (removed at the next start)", z.name.c_str(),
                  gone.c_str(), r.error().message().c_str());
    ZLOG_INFO("zone=%s snapshot %s deleted", z.name.c_str(), name.c_str());
    return api::json{{"name", z.name}, {"snapshot", name}, {"changed", true}};
}

} // namespace zone::qa
