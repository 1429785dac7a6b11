// Halt, shutdown, and what happens when a zone's init exits: the start
// sequence's mirror. The monitor removes the cgroup and records init's exit;
// zoned waits for the monitor (pidfd, no polling) and records the result.
#include <csignal>
#include <sys/wait.h>
#include <thread>

#include "cgroups/driver.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/proc.hpp"
#include "runtime/zone_ops.hpp"

namespace zone {

namespace {

constexpr int kMonitorExitMs = 15000;

struct ExitRecord {
    int wstatus = -1;
    std::string text;
};

ExitRecord read_exit(Daemon& d, const std::string& name) {
    ExitRecord r;
    auto text = fs::read_file(d.paths().zone_run_dir(name) + "/exit.json");
    if (!text) {
        r.text = "unknown (the zone monitor left no exit record)";
        return r;
    }
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded()) return r;
    r.wstatus = j.value("wstatus", -1);
    r.text = j.value("text", std::string());
    return r;
}

void wait_monitor(Zone& z) {
    if (!z.live || !z.live->monitor_pidfd) return;
    int fd = z.live->monitor_pidfd.get();
    if (!proc::pidfd_wait_exit(fd, kMonitorExitMs)) {
        ZLOG_WARN("zone=%s monitor did not exit in %d ms; killing it", z.name.c_str(), kMonitorExitMs);
        (void)proc::pidfd_signal(fd, SIGKILL);
        proc::pidfd_wait_exit(fd, kMonitorExitMs);
    }
}

} // namespace

void finish_zone(Daemon& d, Zone& z) {
    if (z.live && z.live->monitor_is_child && z.live->monitor_pidfd) {
        siginfo_t si{};
        ::waitid(P_PIDFD, static_cast<id_t>(z.live->monitor_pidfd.get()), &si, WEXITED | WNOHANG);
    }
    // The monitor normally removed the cgroups; after a crash it may not have.
    if (auto r = d.cgroups().destroy(z.name); !r)
        ZLOG_WARN("zone=%s removing cgroups: %s, ignoring", z.name.c_str(), r.error().message().c_str());
    if (!z.status.cgroup.empty() && fs::exists(z.status.cgroup)) {
        // Booted under another cgroup parent (zoned restarted with a new one).
        if (auto cg = cg::Cgroup::open(z.status.cgroup); cg)
            if (auto r = cg->destroy(); !r)
                ZLOG_WARN("zone=%s removing cgroup: %s, ignoring", z.name.c_str(), r.error().message().c_str());
    }
    d.cpus().release(z.name);
    ExitRecord ex = read_exit(d, z.name);
    std::string run = d.paths().zone_run_dir(z.name);
    ::unlink((run + "/exit.json").c_str());
    ::unlink((run + "/console.sock").c_str());
    if (z.status.zone_id > 0) d.release_zone_id(z.status.zone_id);
    d.network().deactivate(z.name);
    ZoneStatus st = z.status;
    st.state = ZoneState::Installed;
    st.zone_id = -1;
    st.monitor_pid = st.init_pid = 0;
    st.monitor_start = st.init_start = 0;
    st.cgroup.clear();
    st.booted_config.clear();
    st.dedicated_cpus.clear();
    st.last_exit = ex.wstatus;
    st.last_exit_text = ex.text;
    if (auto r = d.store().save_status(z.name, st, /*durable=*/false); !r)
        ZLOG_ERROR("zone=%s recording its halt: %s", z.name.c_str(), r.error().message().c_str());
    z.status = st;
    z.live.reset();
    ZLOG_INFO("zone=%s is down: init %s", z.name.c_str(), ex.text.c_str());
}

Result<void> halt_zone(Daemon& d, Zone& z) {
    if (!z.status.cgroup.empty() && fs::exists(z.status.cgroup)) {
        TRY(cg, cg::Cgroup::open(z.status.cgroup));
        // Every process of the zone at once; init's death ends the monitor.
        if (cg.populated()) {
            if (z.status.cgroup == d.cgroups().dirs(z.name).v2) TRY_VOID(d.cgroups().kill(z.name));
            else TRY_VOID(cg.kill());
        }
    } else if (z.live && z.live->init_pidfd) {
        (void)proc::pidfd_signal(z.live->init_pidfd.get(), SIGKILL);
    }
    wait_monitor(z);
    finish_zone(d, z);
    return ok();
}

int shutdown_signal(const std::string& init) {
    // systemd takes SIGTERM as "re-execute yourself" and halts on SIGRTMIN+3
    // (its container halt signal); the built-in init and others stop on SIGTERM.
    if (init == "/sbin/init" || init == "/lib/systemd/systemd" || init == "/usr/lib/systemd/systemd")
        return SIGRTMIN + 3;
    return SIGTERM;
}

Result<void> shutdown_zone(Daemon& d, Zone& z, int timeout_s) {
    if (!z.live || !z.live->init_pidfd) return halt_zone(d, z);
    ZoneStatus st = z.status;
    st.state = ZoneState::ShuttingDown;
    TRY_VOID(d.store().save_status(z.name, st));
    z.status = st;
    (void)proc::pidfd_signal(z.live->init_pidfd.get(), shutdown_signal(z.config.get_or("init", "builtin")));
    if (!z.live->monitor_pidfd || !proc::pidfd_wait_exit(z.live->monitor_pidfd.get(), timeout_s * 1000)) {
        ZLOG_INFO("zone=%s did not stop within %d s; halting it", z.name.c_str(), timeout_s);
        return halt_zone(d, z);
    }
    finish_zone(d, z);
    return ok();
}

void watch_zone(Daemon& d, const std::shared_ptr<Zone>& zp) {
    std::shared_ptr<LiveZone> live = zp->live;
    if (!live || !live->monitor_pidfd) return;
    std::thread([&d, zp, live] {
        proc::pidfd_wait_exit(live->monitor_pidfd.get(), -1);
        auto lk = ZoneLock::acquire(zp, std::chrono::seconds(3600));
        if (!lk) return;
        // A halt or shutdown under the lock may have finished it already.
        if ((*lk)->live != live) return;
        ZLOG_INFO("zone=%s: its init exited by itself", zp->name.c_str());
        finish_zone(d, **lk);
    }).detach();
}

void readopt_zone(Daemon& d, const std::shared_ptr<Zone>& zp) {
    {
        auto lk = ZoneLock::acquire(zp);
        if (!lk) return;
        Zone& z = **lk;
        auto mon = proc::open_checked(z.status.monitor_pid, z.status.monitor_start);
        if (!mon) {
            ZLOG_WARN("zone=%s: its monitor (pid %d) is gone; recording the zone as down",
                      z.name.c_str(), z.status.monitor_pid);
            finish_zone(d, z);
            return;
        }
        auto live = std::make_shared<LiveZone>();
        live->monitor_pidfd = std::move(mon).value();
        if (auto init = proc::open_checked(z.status.init_pid, z.status.init_start))
            live->init_pidfd = std::move(init).value();
        z.live = live;
        if (z.status.zone_id > 0) d.claim_zone_id(z.status.zone_id);
        if (!z.status.dedicated_cpus.empty()) {
            cg::Limits held;
            held.cpuset_cpus = z.status.dedicated_cpus;
            d.cpus().hold(z.name, held);
        }
        if (auto r = d.network().activate(z); !r)
            ZLOG_WARN("zone=%s restoring its port forwards: %s, ignoring", z.name.c_str(),
                      r.error().message().c_str());
        ZLOG_INFO("zone=%s re-adopted: monitor pid %d, init pid %d", z.name.c_str(),
                  z.status.monitor_pid, z.status.init_pid);
        if (z.status.state == ZoneState::ShuttingDown) {
            // Its shutdown was cut off with zoned; nobody times it any more.
            ZLOG_INFO("zone=%s was shutting down; halting it", z.name.c_str());
            (void)halt_zone(d, z);
            return;
        }
    }
    watch_zone(d, zp);
}

void reap_orphan_cgroup(Daemon& d, Zone& z) {
    // A boot cut off between the monitor's answer and state.json leaves a
    // zone that runs unrecorded: its cgroup is the only trace.
    cg::Dirs dirs = d.cgroups().dirs(z.name);
    bool any = fs::exists(dirs.v2);
    for (const auto& v1 : dirs.v1) any = any || fs::exists(v1);
    if (!any) return;
    if (auto cg = d.cgroups().open(z.name); cg && cg->populated())
        ZLOG_WARN("zone=%s is %s but has processes in %s; killing them", z.name.c_str(),
                  std::string(to_string(z.status.state)).c_str(), dirs.v2.c_str());
    if (auto r = d.cgroups().destroy(z.name); !r)
        ZLOG_WARN("zone=%s removing its cgroups: %s, ignoring", z.name.c_str(), r.error().message().c_str());
}

Result<int> zone_init_pidfd(Zone& z) {
    if (z.status.state != ZoneState::Running || !z.live || !z.live->init_pidfd)
        return make_error(api::code::kBadState, "zone '" + z.name + "' is not running");
    return z.live->init_pidfd.get();
}

} // namespace zone
