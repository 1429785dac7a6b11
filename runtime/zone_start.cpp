// THE zone start sequence (DESIGN.md), top to bottom. zoned builds the boot
// spec, creates the cgroup and starts the zone's monitor; the monitor clones
// init into the new namespaces and walks the child plan (monitor.cpp).
#include <fcntl.h>
#include <csignal>
#include <spawn.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>

#include "cgroups/driver.hpp"
#include "runtime/api/framing.hpp"
#include "runtime/api/socket.hpp"
#include "runtime/boot_spec.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/monitor.hpp"
#include "runtime/proc.hpp"
#include "runtime/zone_ops.hpp"

extern char** environ;

namespace zone {

namespace {

using nlohmann::json;

// Pure: the zone's fs resources as mounts.
std::vector<FsSpec> plan_fs(const config::ZoneConfig& cfg) {
    std::vector<FsSpec> out;
    for (const auto* r : cfg.of_type("fs")) {
        FsSpec f;
        f.dir = r->get_or("dir", "");
        f.special = r->get_or("special", "");
        f.type = r->get_or("type", "lofs");
        std::vector<std::string> data;
        if (const auto* o = r->get("options")) {
            for (const auto& opt : o->is_list ? o->list : std::vector<std::string>{o->scalar}) {
                if (opt == "ro") f.readonly = true;
                else if (opt == "nosuid") f.flags |= MS_NOSUID;
                else if (opt == "nodevices" || opt == "nodev") f.flags |= MS_NODEV;
                else if (opt == "noexec") f.flags |= MS_NOEXEC;
                else if (opt.rfind("size=", 0) == 0 || opt.rfind("mode=", 0) == 0) data.push_back(opt);
            }
        }
        for (size_t i = 0; i < data.size(); ++i) f.data += (i ? "," : "") + data[i];
        out.push_back(std::move(f));
    }
    return out;
}

Result<BootSpec> make_boot_spec(Daemon& d, const Zone& z, unsigned& version) {
    const Paths& p = d.paths();
    const std::string dir = p.zone_dir(z.name);
    BootSpec s;
    s.name = z.name;
    s.hostname = z.config.get_or("hostname", z.name);
    s.root_type = z.config.get_or("root-type", "overlay");
    s.mountpoint = dir + "/root";
    s.init = z.config.get_or("init", "builtin");
    s.cgroup = d.host().cgroup_parent + "/" + z.name;
    s.console_log = p.console_log(z.name);
    s.run_dir = p.zone_run_dir(z.name);
    s.fs = plan_fs(z.config);
    if (s.root_type == "copy") {
        s.copy_root = dir + "/rootfs";
        version = z.status.image_version;
        return s;
    }
    TRY(ref, config::parse_image_ref(z.config.get_or("image", "")));
    auto img = d.images().resolve(ref.name, ref.version);
    if (!img) return std::move(img).error().wrap("resolving image '" + z.config.get_or("image", "") + "'");
    version = img->manifest.version;
    s.lower = img->rootfs;
    s.upper = dir + "/upper";
    s.work = dir + "/work";
    return s;
}

struct Monitor {
    pid_t pid = -1;
    UniqueFd pidfd;
    UniqueFd control;
};

// fork+exec of zone-monitor with posix_spawn (vfork-fast and safe in a
// multi-threaded daemon): fd 3 = control socket, fd 4 = sealed init,
// stderr = <run>/zones/<name>/monitor.log, its own session.
Result<Monitor> spawn_monitor(Daemon& d, const BootSpec& spec) {
    TRY_VOID(fs::mkdir_p(spec.run_dir, 0700));
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return sys_error("socketpair");
    UniqueFd ours(sv[0]), theirs(sv[1]);
    std::string log = spec.run_dir + "/monitor.log";
    UniqueFd logfd(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!logfd) return sys_error("open(" + log + ")");

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    ScopeExit free_fa([&] { posix_spawn_file_actions_destroy(&fa); });
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, logfd.get(), 2);
    posix_spawn_file_actions_adddup2(&fa, theirs.get(), monitor::kControlFd);
    posix_spawn_file_actions_adddup2(&fa, d.host().init_memfd.get(), monitor::kInitFd);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    ScopeExit free_attr([&] { posix_spawnattr_destroy(&attr); });
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);  // zoned blocks TERM/INT/HUP; the monitor must not
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
    char* const argv[] = {const_cast<char*>("zone-monitor"), const_cast<char*>(spec.name.c_str()), nullptr};
    const char* const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", nullptr};
    pid_t pid = -1;
    int rc = posix_spawn(&pid, d.host().monitor_bin.c_str(), &fa, &attr, argv, const_cast<char* const*>(envp));
    if (rc != 0) return sys_error(rc, "posix_spawn(" + d.host().monitor_bin + ")");
    Monitor m;
    m.pid = pid;
    TRY(pidfd, proc::pidfd_open(pid));
    m.pidfd = std::move(pidfd);
    m.control = std::move(ours);
    return m;
}

struct Answer {
    json body;
    UniqueFd init_pidfd;  // sent along by the monitor (SCM_RIGHTS)
};

// Sends the spec and reads the monitor's one-line answer.
Result<Answer> handshake(Monitor& m, const BootSpec& spec) {
    TRY_VOID(api::write_all(m.control.get(), to_json(spec).dump() + "\n"));
    api::LineBuffer buf;
    std::string line;
    char chunk[4096];
    std::vector<UniqueFd> fds;
    while (buf.next(line) != api::LineBuffer::Status::Line) {
        auto n = api::recv_with_fds(m.control.get(), chunk, sizeof chunk, fds);
        if (!n) return std::move(n).error().wrap("reading the zone monitor's answer");
        if (*n == 0) return make_error("EPIPE", "the zone monitor exited during boot (see " +
                                                    spec.run_dir + "/monitor.log)");
        buf.feed(std::string_view(chunk, *n));
    }
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error("EPROTO", "bad answer from the zone monitor");
    if (!j.value("ok", false)) {
        Error e = sys_error(j.value("errno", 0), j.value("step", std::string("boot")));
        if (e.err == 0) e = make_error("EIO", j.value("message", std::string("boot failed")));
        return e;
    }
    if (fds.empty()) return make_error("EPROTO", "the zone monitor sent no pidfd for init");
    return Answer{std::move(j), std::move(fds[0])};
}

} // namespace

Result<void> boot_zone(Daemon& d, const std::shared_ptr<Zone>& zp) {
    Zone& z = *zp;
    // 1. state checked by the caller under the zone's lock; resolve the image.
    unsigned version = 0;
    TRY(spec, make_boot_spec(d, z, version));
    // Confinement: the zone's capabilities and seccomp filter (cached).
    auto conf = d.confinement().for_config(z.config);
    if (!conf) return std::move(conf).error().wrap("zone '" + z.name + "'");
    spec.cap_bits = conf->caps.bits;
    spec.last_cap = conf->last_cap;
    spec.seccomp = conf->filter->code;
    spec.no_new_privs = conf->no_new_privs;
    // Resource controls: refused here, before anything is made, when the
    // host cannot enforce them; dedicated CPUs chosen among the free ones.
    TRY(limits, plan_zone_limits(d, z.name, z.config, /*claim=*/true));
    ScopeExit drop_cpus([&] { d.cpus().release(z.name); });
    // userns=auto: the zone's host id range; its own files on it.
    if (auto r = prepare_zone_ids(d, z, spec); !r)
        return std::move(r).error().wrap("zone '" + z.name + "': user namespace");
    // Network: leases, the bridge, the zone's /etc/hosts and resolv.conf.
    std::string files_root = spec.root_type == "copy" ? spec.copy_root : spec.upper;
    if (auto r = d.network().prepare_boot(z, spec, files_root); !r)
        return std::move(r).error().wrap("zone '" + z.name + "': network");
    // 2. the zone's cgroups, with every cap in place before any process.
    cg::Driver& cgroups = d.cgroups();
    if (auto open = cgroups.open(z.name); open && open->populated())
        return make_error(api::code::kBusy, "cgroup " + open->path() + " still has processes");
    auto cgroup = cgroups.create(z.name);
    if (!cgroup) return std::move(cgroup).error().wrap("zone '" + z.name + "'");
    ScopeExit drop_cgroup([&] { (void)cgroups.destroy(z.name); });
    if (auto r = cgroups.apply(z.name, limits); !r) return std::move(r).error().wrap("zone '" + z.name + "'");
    spec.cgroup = cgroup->path();
    spec.cgroup_v1 = cgroups.dirs(z.name).v1;
    // A system zone in its own user namespace runs a real init (systemd)
    // that makes its own groups: its cgroup2 group is delegated to the
    // zone's root. Never without a user namespace: that root is the host's.
    if (spec.userns() && z.config.get_or("security-profile", "hardened") == "system")
        if (auto r = cgroup->delegate(spec.uid_base, spec.uid_base); !r)
            return std::move(r).error().wrap("zone '" + z.name + "': delegating its cgroup");

    // 3.-5. the monitor clones init into new namespaces, inside the cgroup.
    TRY(mon, spawn_monitor(d, spec));
    ScopeExit stop_monitor([&] {
        (void)proc::pidfd_signal(mon.pidfd.get(), SIGKILL);
        siginfo_t si{};
        ::waitid(P_PIDFD, static_cast<id_t>(mon.pidfd.get()), &si, WEXITED);
    });
    auto answer = handshake(mon, spec);
    if (!answer) return std::move(answer).error().wrap("zone '" + z.name + "': booting");
    int init_pid = answer->body["init_pid"].get<int>();

    // 6. persist `running` with the monitor's and init's identities.
    if (auto r = d.network().activate(z); !r)
        return std::move(r).error().wrap("zone '" + z.name + "': port forwards");
    ZoneStatus st = z.status;
    st.state = ZoneState::Running;
    st.address = spec.nets.empty() ? "" : spec.nets[0].address;
    st.zone_id = d.allocate_zone_id();
    st.monitor_pid = mon.pid;
    auto mon_start = proc::start_time(mon.pid);
    st.monitor_start = mon_start ? *mon_start : 0;
    st.init_pid = init_pid;
    st.init_start = answer->body["init_start"].get<unsigned long long>();
    st.cgroup = spec.cgroup;
    st.dedicated_cpus = limits.cpuset_cpus.value_or("");
    st.image_version = version;
    st.booted_config = config::to_json(z.config).dump();
    st.last_exit = -1;
    st.last_exit_text.clear();
    if (auto r = d.store().save_status(z.name, st, /*durable=*/false); !r) {
        d.release_zone_id(st.zone_id);
        d.network().deactivate(z.name);
        return std::move(r).error().wrap("zone '" + z.name + "': recording its state");
    }
    z.status = st;
    auto live = std::make_shared<LiveZone>();
    live->monitor_pidfd = std::move(mon.pidfd);
    live->init_pidfd = std::move(answer->init_pidfd);
    live->monitor_is_child = true;
    z.live = live;
    stop_monitor.dismiss();
    drop_cgroup.dismiss();
    drop_cpus.dismiss();
    watch_zone(d, zp);
    ZLOG_INFO("zone=%s booted: id %d, init pid %d, image version %u, limits: %s", z.name.c_str(),
              st.zone_id, init_pid, version, cg::describe(limits).c_str());
    return ok();
}

} // namespace zone
