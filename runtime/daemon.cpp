#include "daemon.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <algorithm>
#include <thread>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/tree.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/zone_ops.hpp"
#include "runtime/zone_qa.hpp"

#include "runtime/common/log.hpp"
#include "runtime/server.hpp"

namespace zone {

Daemon::Daemon(Paths paths, DaemonConfig cfg, std::string config_file,
               std::function<void(DaemonConfig&)> overrides)
    : store_(std::move(paths)), images_(store_.paths().images_dir()), cfg_(std::move(cfg)),
      config_file_(std::move(config_file)), overrides_(std::move(overrides)) {}

Result<void> Daemon::load() {
    TRY_VOID(store_.init());
    network_ = std::make_unique<ZoneNetwork>(config().network, paths().root);
    TRY_VOID(network_->load());
    id_ranges_ = std::make_unique<userns::IdRanges>(paths().root + "/userns/ranges.json", config().userns);
    TRY_VOID(id_ranges_->load());
    TRY(names, store_.list_zones());
    qa::empty_trash(*this);  // what reset/rollback discarded before a restart
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
        {
            TRY(lk, ZoneLock::acquire(z));
            lk->exists = true;
            lk->config = std::move(cfg).value();
            lk->status = std::move(st).value();
        }
        ZoneState s = z->status.state;
        if (s == ZoneState::Running || s == ZoneState::ShuttingDown || s == ZoneState::Ready ||
            s == ZoneState::Down) {
            readopt_zone(*this, z);
        } else {
            TRY(lk, ZoneLock::acquire(z));
            reap_orphan_cgroup(*this, *lk);
            qa::recover_zone_files(*this, *lk);
        }
    }
    // A zoned that crashed with no zone running may have left its bridge
    // and table behind.
    if (any_running()) {
        if (auto r = network_->adopt(); !r)
            ZLOG_WARN("re-creating the zones' network: %s, ignoring", r.error().message().c_str());
    } else {
        network_->teardown_if_idle(false, /*after_crash=*/true);
    }
    ZLOG_INFO("loaded %zu zone(s) from %s", names.size(), store_.paths().zones_dir().c_str());
    return ok();
}

namespace {

// Where zoned's helper binaries are: next to zoned (a build tree), else the
// libexec directory it was installed with.
std::string find_helper(const std::string& name) {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        std::string p = fs::dirname(self) + "/" + name;
        if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return std::string(ZONE_LIBEXEC_DIR) + "/" + name;
}

// A sealed in-memory copy of the built-in init: zones exec it from there, so
// no path to a host binary exists inside a zone and nothing can modify it.
Result<UniqueFd> seal_init(const std::string& path) {
    UniqueFd src(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!src) return sys_error("open(" + path + ")");
    struct stat st{};
    if (::fstat(src.get(), &st) < 0) return sys_error("stat(" + path + ")");
    UniqueFd mfd(::memfd_create("zone-init", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!mfd) return sys_error("memfd_create(zone-init)");
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t w = ::sendfile(mfd.get(), src.get(), &off, static_cast<size_t>(st.st_size - off));
        if (w <= 0) return sys_error("copy(" + path + " to memfd)");
    }
    ::fchmod(mfd.get(), 0555);
    if (::fcntl(mfd.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        return sys_error("seal(zone-init memfd)");
    return mfd;
}

} // namespace

Result<void> Daemon::prepare_host() {
    const Paths& p = paths();
    // Overlay mount options are comma/colon separated: paths holding those
    // characters cannot be passed safely.
    if (p.root.find_first_of(",:\\") != std::string::npos)
        return make_error("EINVAL", "state root '" + p.root + "' must not contain ',', ':' or '\\'");
    TRY(roots, cg::find_roots());
    std::string parent = config().cgroup_parent.empty() ? cg::kDefaultParent : config().cgroup_parent;
    while (!parent.empty() && parent.front() == '/') parent.erase(0, 1);
    auto driver = cg::detect(roots, parent);
    if (!driver) return std::move(driver).error().wrap("setting up the zones' cgroups");
    host_.cgroups = std::move(driver).value();
    host_.cgroup2_mount = roots.unified;
    host_.cgroup_parent = host_.cgroups->parent_dirs().v2;
    host_.monitor_bin = find_helper("zone-monitor");
    if (::access(host_.monitor_bin.c_str(), X_OK) < 0)
        return sys_error("access(" + host_.monitor_bin + ")");
    TRY(init, seal_init(find_helper("zone-init")));
    host_.init_memfd = std::move(init);
    host_.host_pidns = UniqueFd(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!host_.host_pidns) return sys_error("open(/proc/self/ns/pid)");
    ZLOG_INFO("cgroups: %s", host_.cgroups->describe().c_str());
    return ok();
}

int Daemon::allocate_zone_id() {
    std::lock_guard g(ids_mu_);
    int id = 1;
    while (ids_.count(id)) ++id;
    ids_.insert(id);
    return id;
}

void Daemon::claim_zone_id(int id) {
    std::lock_guard g(ids_mu_);
    ids_.insert(id);
}

void Daemon::release_zone_id(int id) {
    std::lock_guard g(ids_mu_);
    ids_.erase(id);
}

void Daemon::autoboot() {
    std::vector<std::shared_ptr<Zone>> todo;
    for (auto& z : registry_.all())
        if (z->config.get_or("autoboot", "false") == "true") todo.push_back(z);
    if (todo.empty()) return;
    std::thread([this, todo] {
        for (const auto& z : todo) {
            auto lk = ZoneLock::acquire(z);
            if (!lk || !(*lk)->exists || (*lk)->status.state != ZoneState::Installed) continue;
            auto r = boot_zone(*this, z);
            if (r) ZLOG_INFO("zone=%s booted (autoboot)", z->name.c_str());
            else ZLOG_ERROR("zone=%s autoboot: %s", z->name.c_str(), r.error().message().c_str());
        }
    }).detach();
}

bool Daemon::any_running() {
    for (auto& z : registry_.all()) {
        auto lk = ZoneLock::acquire(z, std::chrono::seconds(5));
        if (!lk) return true;
        ZoneState s = (*lk)->status.state;
        if ((*lk)->exists && s != ZoneState::Configured && s != ZoneState::Installed &&
            s != ZoneState::Incomplete)
            return true;
    }
    return false;
}

void Daemon::stop() {
    bool running = any_running();
    if (network_) network_->teardown_if_idle(running);
    // With no zone left, the zones' parent cgroups go too (the v1 hierarchies
    // hold one per controller); the next start makes them again.
    if (!running && host_.cgroups) {
        if (auto r = host_.cgroups->remove_parent(); !r)
            ZLOG_DEBUG("removing the zones' parent cgroups: %s, ignoring",
                       r.error().message().c_str());
    }
}

DaemonConfig Daemon::config() const {
    std::lock_guard g(cfg_mu_);
    return cfg_;
}

Result<void> Daemon::reload_config() {
    if (config_file_.empty()) return ok();
    TRY(cfg, load_daemon_config(config_file_));
    if (overrides_) overrides_(cfg);
    {
        std::lock_guard g(cfg_mu_);
        // The cgroup tree, the network and the id pool are set up at start; their
        // settings take effect at the next start of zoned.
        cfg.cgroup_parent = cfg_.cgroup_parent;
        cfg.network = cfg_.network;
        cfg.userns = cfg_.userns;
    }
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

namespace {

// Whether the peer's primary or one of its supplementary groups (as they were
// when it connected: SO_PEERCRED, SO_PEERGROUPS) is the group `name`.
bool peer_in_group(const api::PeerCred& peer, const std::string& name) {
    if (name.empty()) return false;
    struct group g {};
    struct group* res = nullptr;
    std::vector<char> buf(16384);
    while (getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &res) == ERANGE && buf.size() < (1u << 22))
        buf.resize(buf.size() * 2);
    if (!res) return false;
    if (peer.gid == res->gr_gid) return true;
    return std::find(peer.groups.begin(), peer.groups.end(), res->gr_gid) != peer.groups.end();
}

std::string user_name(uid_t uid) {
    struct passwd pw {};
    struct passwd* res = nullptr;
    std::vector<char> buf(16384);
    while (getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) == ERANGE && buf.size() < (1u << 22))
        buf.resize(buf.size() * 2);
    return res ? std::string(res->pw_name) : std::string();
}

// The configuration a zone.config.commit proposes, as the handler will read it.
Result<config::ZoneConfig> proposed_config(const api::json& params, const std::string& name) {
    auto it = params.find("config");
    if (it == params.end() || !it->is_object())
        return make_error(api::code::kInvalidParams, "parameter 'config' must be an object");
    api::json j = *it;
    j["name"] = name;
    j["uuid"] = "";
    auto cfg = config::from_json(j);
    if (!cfg) return std::move(cfg).error().wrap("zone '" + name + "'");
    return cfg;
}

} // namespace

const char* auth_code(const auth::Decision& d) {
    using V = auth::Decision::Verdict;
    switch (d.verdict) {
    case V::NotFound: return api::code::kNotFound;
    case V::Invalid: return d.code.empty() ? api::code::kInvalidParams : d.code.c_str();
    case V::Busy: return api::code::kBusy;
    default: return api::code::kNotAuthorized;
    }
}

namespace {

Error to_error(const auth::Decision& d) {
    return make_error(auth_code(d), d.why);
}

bool zone_scoped(auth::Need n) { return n != auth::Need::Anyone && n != auth::Need::Admin; }

} // namespace

auth::Caller Daemon::caller_of(const api::PeerCred& peer) const {
    DaemonConfig cfg = config();
    auth::Caller c;
    c.uid = peer.uid;
    c.user = user_name(peer.uid);
    c.admin = peer.uid == 0 || peer_in_group(peer, cfg.admin_group);
    c.creator = cfg.creator.enabled() && peer_in_group(peer, cfg.creator.group);
    return c;
}

auth::Decision Daemon::authorize(Call& c, const Method& m) {
    c.auth.method = m.name;
    c.auth.need = m.access;
    if (c.caller.admin || !zone_scoped(m.access))
        return auth::decide(c.caller, c.auth, nullptr, config().creator);
    bool from_source = m.access == auth::Need::Clone && c.params.contains("source");
    auto name = api::param_string(c.params, from_source ? "source" : "name");
    if (!name) return {auth::Decision::Verdict::Invalid, name.error().message(), name.error().code};
    if (auto bad = config::check_zone_name(*name); !bad)
        return {auth::Decision::Verdict::Invalid, bad.error().message(), bad.error().code};
    c.auth.zone = *name;
    if (from_source) {
        // The clone's target: new, or an existing zone the caller owns.
        auto target = api::param_string(c.params, "name");
        if (!target) return {auth::Decision::Verdict::Invalid, target.error().message(), target.error().code};
        auto t = snapshot_config(*target);
        if (!t) return {auth::Decision::Verdict::Busy, t.error().message()};
        if (*t) {
            auth::Request own{m.name, auth::Need::Own, *target, std::nullopt, ""};
            auto d = auth::decide(c.caller, own, &**t, config().creator);
            if (!d.allowed()) return d;
        }
    }
    if (m.access == auth::Need::Configure) {
        auto cfg = proposed_config(c.params, *name);
        if (!cfg) return {auth::Decision::Verdict::Invalid, cfg.error().message(), cfg.error().code};
        c.auth.proposed = std::move(cfg).value();
        if (auto t = c.params.find("template"); t != c.params.end() && t->is_string())
            c.auth.template_name = t->get<std::string>();
    }
    // A snapshot of the committed configuration; the handler checks again
    // under the lock it holds for the whole call (lock_zone_param).
    auto current = snapshot_config(*name);
    if (!current) return {auth::Decision::Verdict::Busy, current.error().message()};
    return auth::decide(c.caller, c.auth, *current ? &**current : nullptr, config().creator);
}

Result<std::optional<config::ZoneConfig>> Daemon::snapshot_config(const std::string& name) {
    auto z = registry_.find(name);
    if (!z) return std::optional<config::ZoneConfig>();
    TRY(lk, ZoneLock::acquire(*z));
    if (!lk->exists) return std::optional<config::ZoneConfig>();
    return std::optional<config::ZoneConfig>(lk->config);
}

bool Call::can_see(const Zone& z) const { return auth::can_see(caller, z.config); }

void Call::progress(const api::json& p) { conn.send(api::encode_progress(id, p), {}); }

Result<ZoneLock> lock_zone_param(Call& c, bool must_exist) {
    TRY(name, api::param_string(c.params, "name"));
    TRY_VOID(config::check_zone_name(name));
    auto z = must_exist ? c.daemon.registry().find(name) : c.daemon.registry().get_or_create(name);
    if (!z) return std::move(z).error();
    TRY(lk, ZoneLock::acquire(*z));
    // The zone the dispatcher judged (not, say, a clone's target).
    if (!c.caller.admin && lk->name == c.auth.zone) {
        auto d = auth::decide(c.caller, c.auth, lk->exists ? &lk->config : nullptr,
                              c.daemon.config().creator);
        if (!d.allowed()) return to_error(d);
    }
    if (must_exist && !lk->exists)
        return make_error(api::code::kNotFound, auth::not_found_message(name));
    return lk;
}

} // namespace zone
