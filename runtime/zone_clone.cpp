// zoneadm clone: a new zone with a copy of another zone's changes.
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/zone_qa.hpp"

namespace zone::qa {

config::ZoneConfig clone_config(const config::ZoneConfig& src, const std::string& name,
                                std::vector<std::string>& notes) {
    config::ZoneConfig cfg = src;
    cfg.name = name;
    cfg.uuid.clear();
    // A host name equal to the source's name was the default: the clone's
    // default is its own name.
    auto host = cfg.props.find("hostname");
    if (host != cfg.props.end() && !host->second.is_list && host->second.scalar == src.name) {
        cfg.props.erase(host);
        notes.push_back("host name: " + name + " (the zone's name)");
    }
    for (auto& r : cfg.resources) {
        if (r.type != "net") continue;
        auto addr = r.props.find("address");
        if (addr != r.props.end() && addr->second.scalar != "auto") {
            notes.push_back("net address " + addr->second.scalar + " of '" + src.name +
                            "' replaced by auto (a new address from the pool)");
            addr->second = config::PropValue{false, "auto", {}};
        }
        if (r.props.erase("forward"))
            notes.push_back("port forwards not copied (a host port leads to one zone)");
    }
    return cfg;
}

namespace {

struct Source {
    std::string files;          // the directory to copy
    unsigned image_version = 0; // the image version those files sit on
};

Result<Source> clone_source(Daemon& d, Zone& src, const std::string& snapshot) {
    const std::string what = files_dir_name(src.config);
    if (snapshot.empty())
        return Source{d.paths().zone_dir(src.name) + "/" + what, src.status.image_version};
    TRY(snap, snapshot_dir(d, src.name, snapshot));
    TRY(text, fs::read_file(snap + "/snapshot.json"));
    auto j = nlohmann::json::parse(text, nullptr, false);
    unsigned v = j.is_object() ? j.value("image_version", 0U) : 0U;
    return Source{snap + "/" + what, v};
}

// Copies the files into <dst>/.new-X and swaps them in, with empty work and
// root directories next to them.
Result<void> copy_files(Daemon& d, Zone& dst, Zone& src, const Source& from) {
    const std::string dir = d.paths().zone_dir(dst.name);
    const std::string what = files_dir_name(src.config);
    TRY_VOID(fs::mkdir_p(dir + "/root", 0755));
    TRY_VOID(fs::remove_tree(dir + "/.new-" + what));
    {
        // A running source is copied frozen: its files are at rest.
        TRY(frozen, FreezeGuard::freeze(src));
        TRY_VOID(fs::copy_tree(from.files, dir + "/.new-" + what));
    }
    TRY_VOID(swap_in(dir, what));
    if (what == "upper") TRY_VOID(fresh_work(dir));
    return ok();
}

} // namespace

Result<api::json> clone_zone(Daemon& d, Zone& dst, bool dst_created, Zone& src,
                             const std::string& snapshot) {
    if (files_dir_name(dst.config) != files_dir_name(src.config))
        return make_error(api::code::kInvalidConfig,
                          "zone '" + dst.name + "' has root-type " +
                              dst.config.get_or("root-type", "overlay") + ", zone '" + src.name +
                              "' " + src.config.get_or("root-type", "overlay") +
                              "; a clone needs the same root-type");
    TRY(from, clone_source(d, src, snapshot));
    // Persist `incomplete` first: a clone cut off is found as such later.
    ZoneStatus st;
    st.state = ZoneState::Incomplete;
    TRY_VOID(save_status(d, dst, st));
    auto copied = copy_files(d, dst, src, from);
    if (!copied) {
        const std::string dir = d.paths().zone_dir(dst.name);
        for (const char* sub : {"root", "upper", "work", "rootfs", ".new-upper", ".new-rootfs"})
            (void)fs::remove_tree(dir + "/" + sub);
        if (!dst_created) (void)save_status(d, dst, ZoneStatus{});
        return std::move(copied).error().wrap("zone '" + dst.name + "': copying the files of '" +
                                              src.name + "'" +
                                              (snapshot.empty() ? "" : "@" + snapshot));
    }
    st.state = ZoneState::Installed;
    st.image_version = from.image_version;
    TRY_VOID(save_status(d, dst, st));
    ZLOG_INFO("zone=%s cloned from %s%s", dst.name.c_str(), src.name.c_str(),
              snapshot.empty() ? "" : ("@" + snapshot).c_str());
    return api::json{{"name", dst.name},
                     {"source", src.name},
                     {"snapshot", snapshot},
                     {"uuid", dst.config.uuid},
                     {"changed", true},
                     {"state", std::string(to_string(dst.status.state))}};
}

} // namespace zone::qa
