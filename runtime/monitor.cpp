#include "monitor.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "cgroups/driver.hpp"
#include "runtime/api/framing.hpp"
#include "runtime/api/socket.hpp"
#include "runtime/boot_spec.hpp"
#include "runtime/caps.hpp"
#include "runtime/devices.hpp"
#include "runtime/seccomp.hpp"
#include "runtime/child_plan.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/netlink.hpp"
#include "runtime/proc.hpp"
#include "runtime/userns.hpp"

namespace zone::monitor {

namespace {

using nlohmann::json;

Result<BootSpec> read_spec() {
    api::LineBuffer buf;
    std::string line;
    char chunk[8192];
    while (buf.next(line) != api::LineBuffer::Status::Line) {
        ssize_t n = ::read(kControlFd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return sys_error(n < 0 ? errno : EPIPE, "read(boot spec from zoned)");
        buf.feed(std::string_view(chunk, static_cast<size_t>(n)));
    }
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) return make_error("EINVAL", "boot spec is not JSON");
    return boot_spec_from_json(j);
}

void answer(const json& j, int fd = -1) {
    (void)api::send_with_fds(kControlFd, j.dump() + "\n", fd >= 0 ? std::vector<int>{fd} : std::vector<int>{});
}

struct Console {
    UniqueFd master, slave;
    std::string slave_path;
};

Result<Console> open_console() {
    Console c;
    c.master = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!c.master) return sys_error("posix_openpt");
    if (::grantpt(c.master.get()) < 0 || ::unlockpt(c.master.get()) < 0)
        return sys_error("unlockpt(console)");
    char name[64];
    if (::ptsname_r(c.master.get(), name, sizeof name) != 0) return sys_error("ptsname(console)");
    c.slave_path = name;
    // The monitor keeps a slave open so the master never reports a hang-up
    // when the zone closes its console, and output is never lost.
    c.slave = UniqueFd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!c.slave) return sys_error(std::string("open(") + name + ")");
    ::fcntl(c.master.get(), F_SETFL, O_NONBLOCK);
    return c;
}

// The bounded console log: rotates to <log>.0 once it passes kConsoleLogMax.
class ConsoleLog {
  public:
    explicit ConsoleLog(std::string path) : path_(std::move(path)) { reopen(); }
    void write(const char* p, size_t n) {
        if (!fd_) return;
        if (size_ + static_cast<long>(n) > kConsoleLogMax) {
            ::rename(path_.c_str(), (path_ + ".0").c_str());
            reopen();
        }
        if (::write(fd_.get(), p, n) > 0) size_ += static_cast<long>(n);
    }

  private:
    void reopen() {
        fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
        struct stat st{};
        size_ = fd_ && ::fstat(fd_.get(), &st) == 0 ? st.st_size : 0;
    }
    std::string path_;
    UniqueFd fd_;
    long size_ = 0;
};

struct Started {
    pid_t pid;
    UniqueFd pidfd;
};

// Parent side, child blocked at sync #1: the zone's veth pairs, created with
// their peer already in the zone's network namespace, then addressed from a
// netlink socket opened inside it.
Result<void> setup_network(const BootSpec& spec, pid_t child) {
    if (spec.nets.empty()) return ok();
    std::string ns = "/proc/" + std::to_string(child) + "/ns/net";
    UniqueFd nsfd(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!nsfd) return sys_error("open(" + ns + ")");
    TRY(host, net::NlSocket::open());
    TRY(zone, net::NlSocket::open(nsfd.get()));
    for (const auto& n : spec.nets) {
        TRY(bridge, net::link_index(host, n.bridge));
        if (bridge == 0) return make_error("ENODEV", "bridge " + n.bridge + " does not exist");
        TRY_VOID(net::create_veth(host, n.host_if, bridge, n.zone_if, nsfd.get()));
        if (n.isolated) TRY_VOID(net::set_port_isolated(host, n.host_if));
        TRY(addr, net::parse_cidr(n.address));
        uint32_t gw = 0;
        if (!n.gateway.empty()) {
            TRY(g, net::parse_ipv4(n.gateway));
            gw = g;
        }
        TRY_VOID(net::configure_zone_link(zone, n.zone_if, addr, gw));
    }
    return ok();
}

// Parent side of a user-namespaced zone, the child blocked at sync #1: its id
// maps, its console owned by its root (group tty inside), and the mounts it
// attaches (userns.hpp). Nothing for other zones.
Result<std::vector<UniqueFd>> setup_userns(const BootSpec& spec, pid_t child, const Console& con) {
    if (!spec.userns()) return std::vector<UniqueFd>{};
    TRY_VOID(userns::write_maps_from_parent(child, spec.uid_base, spec.uid_count));
    if (::fchown(con.slave.get(), spec.uid_base, spec.uid_base + 5) < 0)
        return sys_error("chown(" + con.slave_path + ")");
    return userns::build_mounts_from_parent(spec, child);
}

// Parent side, child blocked at sync #1: on a v1-hybrid host, init joins the
// zone's v1 groups (its limits) before it runs anything.
Result<void> join_v1_cgroups(const BootSpec& spec, pid_t child) {
    std::string pid = std::to_string(child);
    for (const auto& dir : spec.cgroup_v1) {
        std::string procs = dir + "/cgroup.procs";
        UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd || ::write(fd.get(), pid.data(), pid.size()) < 0)
            return sys_error("join(" + procs + ")");
    }
    return ok();
}

// Clones the zone's init: new namespaces, straight into the zone's cgroup.
Result<Started> clone_init(const BootSpec& spec, const Console& con, const cg::Cgroup& cgroup) {
    ChildPlan plan = plan_child(spec, con.slave_path);
    // Everything the child touches is built here, before clone.
    const char* const envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "TERM=linux", "container=zone", "HOME=/", nullptr};
    bool builtin = spec.init == "builtin";
    const char* init_path = builtin ? "" : spec.init.c_str();
    const char* const argv[] = {builtin ? "init" : init_path, nullptr};
    // Confinement of init (and so of everything it starts): root in the zone
    // with the zone's capability set only, no_new_privs, the seccomp filter.
    caps::CapPlan cap_plan = caps::plan_caps(caps::CapSet{spec.cap_bits}, 0, spec.last_cap);
    sec::Filter filter{spec.seccomp};
    const int kStepCaps = static_cast<int>(plan.ops.size()) + 1;
    int sync[2], report[2];
    // sync #1 is a socket: it carries the mounts of a user-namespaced zone.
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) return sys_error("socketpair");
    if (::pipe2(report, O_CLOEXEC) < 0) return sys_error("pipe2");
    UniqueFd sync_r(sync[0]), sync_w(sync[1]), report_r(report[0]), report_w(report[1]);

    // No host block device (nor /dev/mem, kmem, port) opens in the zone,
    // whatever node appears in it (runtime/devices.hpp).
    if (auto r = devices::attach_policy(cgroup.dirfd()); !r)
        return std::move(r).error().wrap("attaching the zone's device policy to its cgroup");
    // The lofs trees, on a private stage that clone3 copies into the zone's
    // mount namespace with their flags locked (userns.hpp). Unmounted and
    // removed when this returns: not before, since removing the directory
    // would detach the child's copy too before it cloned from it.
    auto stage = userns::stage_lofs_before_clone(spec);
    if (!stage)
        return std::move(stage).error().wrap(
            "setting up the zone's user namespace: staging its lofs file systems");
    int pidfd = -1;
    proc::Clone3Args ca;
    // v1-hybrid: the cgroup namespace starts after sync #1, once init is in
    // its v1 groups, so that the zone sees its own groups as its root there too.
    const bool late_cgroupns = !spec.cgroup_v1.empty();
    ca.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
               (late_cgroupns ? 0 : CLONE_NEWCGROUP) | CLONE_PIDFD | CLONE_INTO_CGROUP |
               (spec.own_netns ? CLONE_NEWNET : 0) | (spec.userns() ? CLONE_NEWUSER : 0);
    ca.pidfd = &pidfd;
    ca.cgroup_fd = cgroup.dirfd();
    pid_t pid = proc::clone3(ca);
    if (pid < 0) return sys_error("clone3(zone init)");
    if (pid == 0) {
        // Child: new namespaces, in the zone's cgroup. Blocked at sync #1
        // until the parent side is ready (maps, network: later steps).
        struct { int step, err; } rep{-1, 0};
        int mounts[userns::kMaxHandoff];
        int nmounts = userns::receive_sync_in_child(sync_r.get(), mounts, userns::kMaxHandoff);
        if (nmounts < 0) ::_exit(126);
        int step = -1;
        if (late_cgroupns && ::unshare(CLONE_NEWCGROUP) < 0) {
            step = kStepCaps + 3;
            rep.err = errno;
        } else {
            step = run_child_plan(plan, &rep.err, mounts, nmounts);
        }
        if (step >= 0) {
            rep.step = step;
        } else {
            ::setsid();
            ::dup2(con.slave.get(), 0);
            ::dup2(con.slave.get(), 1);
            ::dup2(con.slave.get(), 2);
            ::ioctl(0, TIOCSCTTY, 0);
            // Nothing of the host but stdio survives exec: no fd, no ignored signal.
            ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
            proc::reset_signals_for_exec();
            // Last: capabilities, no_new_privs, seccomp (which needs NNP).
            // Without NNP (`system`) the filter goes first, while init holds
            // CAP_SYS_ADMIN in its user namespace, which the kernel then wants.
            bool filter_first = !spec.no_new_privs && !filter.code.empty();
            if (filter_first && sec::install_in_child(filter) < 0) rep.step = kStepCaps + 2;
            else if (caps::apply_caps_in_child(cap_plan) < 0) rep.step = kStepCaps;
            else if (spec.no_new_privs && caps::set_no_new_privs_in_child() < 0) rep.step = kStepCaps + 1;
            else if (!filter_first && !filter.code.empty() && sec::install_in_child(filter) < 0)
                rep.step = kStepCaps + 2;
            if (rep.step >= 0) {
                rep.err = errno;
                ssize_t w2 = ::write(report_w.get(), &rep, sizeof rep);
                (void)w2;
                ::_exit(127);
            }
            if (builtin)
                ::syscall(SYS_execveat, kInitFd, "", argv, envp, AT_EMPTY_PATH);
            else
                ::execve(init_path, const_cast<char* const*>(argv), const_cast<char* const*>(envp));
            rep.step = static_cast<int>(plan.ops.size());
            rep.err = errno;
        }
        ssize_t w = ::write(report_w.get(), &rep, sizeof rep);
        (void)w;
        ::_exit(127);
    }
    UniqueFd pfd(pidfd);
    report_w.reset();
    sync_r.reset();
    auto abort_child = [&](Error e) {
        (void)proc::pidfd_signal(pfd.get(), SIGKILL);
        siginfo_t si{};
        ::waitid(P_PIDFD, static_cast<id_t>(pfd.get()), &si, WEXITED);
        return e;
    };
    // Sync #1: the parent side (v1 cgroups, user namespace, network) is ready.
    if (auto r = join_v1_cgroups(spec, pid); !r)
        return abort_child(std::move(r).error().wrap("joining the zone's cgroup v1 groups"));
    auto mounts = setup_userns(spec, pid, con);
    if (!mounts) return abort_child(std::move(mounts).error().wrap("setting up the zone's user namespace"));
    if (auto r = setup_network(spec, pid); !r)
        return abort_child(std::move(r).error().wrap("setting up the zone's network"));
    std::vector<int> handoff;
    for (const auto& m : *mounts) handoff.push_back(m.get());
    if (auto r = api::send_with_fds(sync_w.get(), "1", handoff); !r)
        return abort_child(std::move(r).error().wrap("sync #1 to zone init"));
    mounts->clear();
    struct { int step, err; } rep{-1, 0};
    ssize_t n;
    do {
        n = ::read(report_r.get(), &rep, sizeof rep);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof rep)) {
        siginfo_t si{};
        ::waitid(P_PIDFD, static_cast<id_t>(pfd.get()), &si, WEXITED);
        std::string what = rep.step < static_cast<int>(plan.ops.size())
                               ? plan.ops[static_cast<size_t>(rep.step)].what
                           : rep.step == kStepCaps     ? "drop capabilities to the zone's set"
                           : rep.step == kStepCaps + 1 ? "set no_new_privs"
                           : rep.step == kStepCaps + 2 ? "install the seccomp filter"
                           : rep.step == kStepCaps + 3 ? "unshare the cgroup namespace"
                                                       : "exec init '" + std::string(builtin ? "builtin" : init_path) + "'";
        return sys_error(rep.err, what);
    }
    // EOF: the report pipe closed on exec, so init runs.
    return Started{pid, std::move(pfd)};
}

void write_exit(const BootSpec& spec, int wstatus) {
    json j{{"wstatus", wstatus}, {"text", proc::describe_wait_status(wstatus)}};
    // In the run dir (tmpfs): no power cut to survive, no fsync.
    auto r = fs::write_file_atomic(spec.run_dir + "/exit.json", j.dump() + "\n", 0644, false);
    if (!r) ZLOG_ERROR("zone=%s recording exit: %s", spec.name.c_str(), r.error().message().c_str());
}

void relay_output(int master, ConsoleLog& log, std::vector<UniqueFd>& clients) {
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) return;
        log.write(buf, static_cast<size_t>(n));
        for (auto& c : clients)
            if (c && ::send(c.get(), buf, static_cast<size_t>(n), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
                errno != EAGAIN)
                c.reset();
    }
}

int serve(const BootSpec& spec, Console& con, Started& init, cg::Cgroup& /*cgroup*/) {
    ConsoleLog log(spec.console_log);
    std::string sock_path = spec.run_dir + "/console.sock";
    auto listener = api::listen_unix(sock_path, 16);
    if (!listener) ZLOG_WARN("zone=%s console socket: %s, ignoring", spec.name.c_str(),
                             listener.error().message().c_str());
    ::chmod(sock_path.c_str(), 0600);
    std::vector<UniqueFd> clients;
    UniqueFd control(kControlFd);
    int wstatus = 0;
    for (;;) {
        std::vector<pollfd> p = {{init.pidfd.get(), POLLIN, 0},
                                 {con.master.get(), POLLIN, 0},
                                 {listener ? listener->get() : -1, POLLIN, 0},
                                 {control.get(), POLLIN, 0}};
        for (auto& c : clients) p.push_back({c.get(), POLLIN, 0});
        if (::poll(p.data(), p.size(), -1) < 0) continue;
        if (p[1].revents & POLLIN) relay_output(con.master.get(), log, clients);
        if (p[2].revents & POLLIN) {
            UniqueFd c(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (c) clients.push_back(std::move(c));
        }
        if (p[3].revents & (POLLIN | POLLHUP)) {
            char b[256];
            if (::read(control.get(), b, sizeof b) <= 0) control.reset();  // zoned went away
        }
        for (size_t i = 4; i < p.size(); ++i) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t n = ::read(p[i].fd, buf, sizeof buf);
            if (n <= 0) clients[i - 4].reset();
            else if (::write(con.master.get(), buf, static_cast<size_t>(n)) < 0) {}
        }
        std::erase_if(clients, [](const UniqueFd& c) { return !c; });
        if (p[0].revents & POLLIN) {
            siginfo_t si{};
            if (::waitid(P_PIDFD, static_cast<id_t>(init.pidfd.get()), &si, WEXITED) == 0) {
                wstatus = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
                break;
            }
        }
    }
    relay_output(con.master.get(), log, clients);
    // The PID namespace is gone with its init; the cgroup may still drain
    // processes that entered from outside (zlogin). Kill and remove it.
    if (auto r = cg::destroy_dirs(cg::Dirs{spec.cgroup, spec.cgroup_v1}); !r)
        ZLOG_WARN("zone=%s removing cgroup: %s, ignoring", spec.name.c_str(), r.error().message().c_str());
    write_exit(spec, wstatus);
    ::unlink(sock_path.c_str());
    ZLOG_INFO("zone=%s init %s", spec.name.c_str(), proc::describe_wait_status(wstatus).c_str());
    return 0;
}

} // namespace

int run() {
    log::set_prefix("zone-monitor");
    std::signal(SIGPIPE, SIG_IGN);
    auto spec = read_spec();
    if (!spec) {
        answer({{"ok", false}, {"step", "read boot spec"}, {"errno", spec.error().err},
                {"message", spec.error().message()}});
        return 1;
    }
    auto fail = [&](const Error& e) {
        // The step with its context ("setting up the zone's user namespace:
        // open_tree(...)"): zoned adds the errno's text.
        std::string step = e.op;
        for (const auto& c : e.context) step = c + ": " + step;
        answer({{"ok", false}, {"step", step}, {"errno", e.err}, {"message", e.message()}});
        return 1;
    };
    if (auto r = fs::mkdir_p(spec->run_dir, 0700); !r) return fail(r.error());
    ::unlink((spec->run_dir + "/exit.json").c_str());
    auto cgroup = cg::Cgroup::open(spec->cgroup);
    if (!cgroup) return fail(cgroup.error());
    auto con = open_console();
    if (!con) return fail(con.error());
    auto init = clone_init(*spec, *con, *cgroup);
    if (!init) return fail(init.error());
    auto start = proc::start_time(init->pid);
    // init's pidfd goes along: zoned must never re-open init by a bare pid,
    // which may already be reaped (an init that exits at once) or reused.
    answer({{"ok", true}, {"init_pid", init->pid}, {"init_start", start ? *start : 0ULL},
            {"console", con->slave_path}, {"nfds", 1}},
           init->pidfd.get());
    ::close(kInitFd);
    return serve(*spec, *con, *init, *cgroup);
}

} // namespace zone::monitor
