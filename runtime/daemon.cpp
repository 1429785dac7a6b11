#include "daemon.hpp"

#include <grp.h>

#include "runtime/common/log.hpp"
#include "runtime/server.hpp"

namespace zone {

Daemon::Daemon(Paths paths, DaemonConfig cfg, std::string config_file)
    : store_(std::move(paths)), cfg_(std::move(cfg)), config_file_(std::move(config_file)) {}

Result<void> Daemon::load() {
    TRY_VOID(store_.init());
    TRY(names, store_.list_zones());
    for (const auto& n : names) {
        auto cfg = store_.load_config(n);
        if (!cfg) {
            ZLOG_WARN("zone=%s cannot load its configuration: %s, ignoring", n.c_str(),
                      cfg.error().message().c_str());
            continue;
        }
        auto st = store_.load_status(n);
        if (!st) {
            ZLOG_WARN("zone=%s cannot load its state: %s, ignoring", n.c_str(),
                      st.error().message().c_str());
            continue;
        }
        auto z = registry_.get_or_create(n);
        TRY(lk, ZoneLock::acquire(z));
        lk->exists = true;
        lk->config = std::move(cfg).value();
        lk->status = std::move(st).value();
    }
    ZLOG_INFO("loaded %zu zone(s) from %s", names.size(), store_.paths().zones_dir().c_str());
    return ok();
}

DaemonConfig Daemon::config() const {
    std::lock_guard g(cfg_mu_);
    return cfg_;
}

Result<void> Daemon::reload_config() {
    if (config_file_.empty()) return ok();
    TRY(cfg, load_daemon_config(config_file_));
    log::set_level(cfg.log_level);
    std::lock_guard g(cfg_mu_);
    cfg_ = std::move(cfg);
    return ok();
}

void Daemon::add_methods(std::vector<Method> methods) {
    for (auto& m : methods) methods_.push_back(std::move(m));
}

const Method* Daemon::find_method(std::string_view name) const {
    for (const auto& m : methods_)
        if (m.name == name) return &m;
    return nullptr;
}

bool Daemon::authorized(const api::PeerCred& peer, Access access) const {
    if (access == Access::Anyone || peer.uid == 0) return true;
    std::string admin = config().admin_group;
    if (admin.empty()) return false;
    struct group g {};
    struct group* res = nullptr;
    char buf[4096];
    if (getgrnam_r(admin.c_str(), &g, buf, sizeof buf, &res) != 0 || !res) return false;
    if (peer.gid == res->gr_gid) return true;
    for (gid_t gid : peer.groups)
        if (gid == res->gr_gid) return true;
    return false;
}

void Call::progress(const api::json& p) { conn.send(api::encode_progress(id, p), {}); }

Result<ZoneLock> lock_zone_param(Call& c, bool must_exist) {
    TRY(name, api::param_string(c.params, "name"));
    TRY_VOID(config::check_zone_name(name));
    auto z = must_exist ? c.daemon.registry().find(name) : c.daemon.registry().get_or_create(name);
    if (!z) return std::move(z).error();
    TRY(lk, ZoneLock::acquire(*z));
    if (must_exist && !lk->exists)
        return make_error(api::code::kNotFound, "zone '" + name + "' is not configured");
    return lk;
}

} // namespace zone
