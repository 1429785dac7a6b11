#include "store.hpp"

#include <algorithm>
#include <dirent.h>
#include <sys/stat.h>

#include "runtime/api/protocol.hpp"
#include "runtime/common/fs.hpp"

namespace zone {

using nlohmann::json;

json to_json(const ZoneStatus& s) {
    return json{{"state", std::string(to_string(s.state))},
                {"zone_id", s.zone_id},
                {"monitor_pid", s.monitor_pid},
                {"monitor_start", s.monitor_start},
                {"init_pid", s.init_pid},
                {"init_start", s.init_start},
                {"cgroup", s.cgroup},
                {"dedicated_cpus", s.dedicated_cpus},
                {"image_version", s.image_version},
                {"detached", s.detached},
                {"booted_config", s.booted_config},
                {"last_exit", s.last_exit},
                {"last_exit_text", s.last_exit_text},
                {"address", s.address}, {"files_uid_base", s.files_uid_base}};
}

Result<ZoneStatus> status_from_json(const json& j) {
    if (!j.is_object()) return make_error("EINVAL", "state.json is not an object");
    ZoneStatus s;
    auto st = parse_zone_state(j.value("state", std::string("configured")));
    if (!st) return make_error("EINVAL", "state.json: unknown state");
    s.state = *st;
    try {
        s.zone_id = j.value("zone_id", -1);
        s.monitor_pid = j.value("monitor_pid", 0);
        s.monitor_start = j.value("monitor_start", 0ULL);
        s.init_pid = j.value("init_pid", 0);
        s.init_start = j.value("init_start", 0ULL);
        s.cgroup = j.value("cgroup", std::string());
        s.dedicated_cpus = j.value("dedicated_cpus", std::string());
        s.image_version = j.value("image_version", 0U);
        s.detached = j.value("detached", false);
        s.booted_config = j.value("booted_config", std::string());
        s.last_exit = j.value("last_exit", -1);
        s.last_exit_text = j.value("last_exit_text", std::string());
        s.address = j.value("address", std::string());
        s.files_uid_base = j.value("files_uid_base", 0U);
    } catch (const json::exception& e) {
        return make_error("EINVAL", std::string("state.json: ") + e.what());
    }
    return s;
}

Result<void> Store::init() const {
    for (const auto& d : {paths_.root, paths_.zones_dir(), paths_.images_dir(), paths_.logs_dir()})
        TRY_VOID(fs::mkdir_p(d, 0700));
    return ok();
}

Result<std::vector<std::string>> Store::list_zones() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(paths_.zones_dir().c_str());
    if (!d) return sys_error("opendir(" + paths_.zones_dir() + ")");
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == ".." || !config::check_zone_name(n)) continue;
        if (fs::exists(paths_.config_path(n))) out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

Result<config::ZoneConfig> Store::load_config(const std::string& name) const {
    auto text = fs::read_file(paths_.config_path(name));
    if (!text) {
        if (text.error().err == ENOENT)
            return make_error(api::code::kNotFound, "zone '" + name + "' is not configured");
        return std::move(text).error();
    }
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded())
        return make_error("EINVAL", paths_.config_path(name) + " is not valid JSON");
    auto cfg = config::from_json(j);
    if (!cfg) return std::move(cfg).error().wrap(paths_.config_path(name));
    if (cfg->name != name)
        return make_error("EINVAL", paths_.config_path(name) + " names zone '" + cfg->name + "'");
    return cfg;
}

Result<void> Store::save_config(const config::ZoneConfig& cfg) const {
    TRY_VOID(fs::mkdir_p(paths_.zone_dir(cfg.name), 0700));
    return fs::write_file_atomic(paths_.config_path(cfg.name), config::to_json(cfg).dump(2) + "\n",
                                 0600);
}

Result<ZoneStatus> Store::load_status(const std::string& name) const {
    auto text = fs::read_file(paths_.status_path(name));
    if (!text) {
        if (text.error().err == ENOENT) return ZoneStatus{};
        return std::move(text).error();
    }
    json j = json::parse(*text, nullptr, false);
    auto st = j.is_discarded() ? Result<ZoneStatus>(make_error("EINVAL", "not valid JSON"))
                               : status_from_json(j);
    if (st) return st;
    // A record torn by a power cut (boot and halt do not fsync it): what is
    // on disk says whether the zone was installed; whether it runs is
    // decided again from the kernel.
    ZoneStatus guess;
    guess.state = fs::exists(paths_.zone_dir(name) + "/root") ? ZoneState::Installed : ZoneState::Configured;
    guess.last_exit_text = "unknown (" + paths_.status_path(name) + " was unreadable: " + st.error().message() + ")";
    return guess;
}

Result<void> Store::save_status(const std::string& name, const ZoneStatus& st, bool durable) const {
    return fs::write_file_atomic(paths_.status_path(name), to_json(st).dump(2) + "\n", 0600, durable);
}

Result<void> Store::remove_zone(const std::string& name) const {
    // Config first: once it is gone the zone no longer exists, whatever is left.
    if (::unlink(paths_.config_path(name).c_str()) < 0 && errno != ENOENT)
        return sys_error("unlink(" + paths_.config_path(name) + ")");
    return fs::remove_tree(paths_.zone_dir(name));
}

} // namespace zone
