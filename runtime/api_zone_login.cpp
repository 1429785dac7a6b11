// zone.login: zlogin's daemon side. The session's data never flows through
// zoned: the client's own stdio fds are handed in, or the pty master is
// handed out. zoned only waits for the exit status.
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "runtime/api/socket.hpp"
#include "runtime/common/log.hpp"
#include "runtime/proc.hpp"
#include "runtime/server.hpp"
#include "runtime/zone_login.hpp"
#include "runtime/zone_ops.hpp"

namespace zone {

namespace {

Result<login::Request> parse_login(const api::json& p) {
    login::Request r;
    auto str = [&](const char* k, std::string& out) -> Result<void> {
        if (!p.contains(k) || p[k].is_null()) return ok();
        TRY(v, api::param_string(p, k));
        out = v;
        return ok();
    };
    TRY_VOID(str("user", r.user));
    TRY_VOID(str("command", r.command));
    TRY_VOID(str("term", r.term));
    TRY(tty, api::param_bool(p, "tty", false));
    TRY(safe, api::param_bool(p, "safe", false));
    TRY(rows, api::param_int(p, "rows", 0));
    TRY(cols, api::param_int(p, "cols", 0));
    r.tty = tty;
    r.safe = safe;
    r.rows = static_cast<unsigned short>(rows);
    r.cols = static_cast<unsigned short>(cols);
    if (r.user.empty()) r.user = "root";
    return r;
}

struct Target {
    UniqueFd init_pidfd;
    pid_t init_pid;
    UniqueFd cgroup;
    std::vector<UniqueFd> v1_procs;  // v1-hybrid: the zone's groups' cgroup.procs
    Confinement confinement;
};

// Takes what the session needs from the zone under its lock, then lets go:
// a session may last for hours and must not block halt.
Result<Target> target_of(Call& c) {
    TRY(lk, lock_zone_param(c));
    TRY(pidfd, zone_init_pidfd(*lk));
    Target t;
    t.init_pidfd = UniqueFd(::fcntl(pidfd, F_DUPFD_CLOEXEC, 0));
    t.init_pid = lk->status.init_pid;
    t.cgroup = UniqueFd(::open(lk->status.cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    for (const auto& dir : c.daemon.cgroups().dirs(lk->name).v1) {
        std::string procs = dir + "/cgroup.procs";
        UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) return sys_error("open(" + procs + ")").wrap("zone '" + lk->name + "'");
        t.v1_procs.push_back(std::move(fd));
    }
    // The confinement of the configuration the zone booted from.
    config::ZoneConfig booted = lk->config;
    if (!lk->status.booted_config.empty()) {
        auto j = api::json::parse(lk->status.booted_config, nullptr, false);
        if (auto b = config::from_json(j); !j.is_discarded() && b) booted = std::move(b).value();
    }
    auto conf = c.daemon.confinement().for_config(booted);
    if (!conf) return std::move(conf).error().wrap("zone '" + lk->name + "'");
    t.confinement = std::move(conf).value();
    if (!t.init_pidfd || !t.cgroup) return sys_error("zone '" + lk->name + "': opening its init and cgroup");
    return t;
}

// Waits for the session; a client that goes away hangs the session up, as a
// dropped terminal line would.
int wait_session(Call& c, login::Session& s) {
    bool hung_up = false;
    for (;;) {
        pollfd p[2] = {{s.pidfd.get(), POLLIN, 0}, {hung_up ? -1 : c.conn.fd(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0 && errno != EINTR) break;
        if (p[0].revents & POLLIN) break;
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            char b[512];
            ssize_t n = ::recv(c.conn.fd(), b, sizeof b, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN)) {
                hung_up = true;
                ::kill(-s.pid, SIGHUP);
                (void)proc::pidfd_signal(s.pidfd.get(), SIGHUP);
            }
        }
    }
    siginfo_t si{};
    if (::waitid(P_PIDFD, static_cast<id_t>(s.pidfd.get()), &si, WEXITED) < 0) return -1;
    return si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
}

// The pty's slave belongs to whoever opened the master, zoned's uid 0,
// which a user namespace does not map: hand it to the session's user (group
// tty inside), as login(1) would.
Result<void> own_pty(Call& c, const std::string& zone, int master, uid_t uid) {
    auto range = c.daemon.id_ranges().find(zone);
    if (!range) return make_error(api::code::kNotFound, "zone '" + zone + "' holds no id range");
    UniqueFd slave(::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) return sys_error("open(zone pty slave)");
    if (::fchown(slave.get(), range->base + uid, range->base + 5) < 0)
        return sys_error("chown(zone pty slave, " + std::to_string(range->base + uid) + ")");
    return ok();
}

Result<api::json> zone_login(Call& c) {
    TRY(req, parse_login(c.params));
    if (!req.tty && c.fds.size() != 3)
        return make_error(api::code::kInvalidParams, "zone.login without a tty needs 3 fds (stdin, stdout, stderr)");
    TRY(name, api::param_string(c.params, "name"));
    TRY(t, target_of(c));
    TRY(root, login::open_zone_root(t.init_pidfd.get(), t.init_pid));

    PasswdEntry pw{"root", 0, 0, "/", "/bin/sh"};
    std::vector<gid_t> groups{0};
    if (!req.safe) {
        auto passwd = login::read_zone_file(root.get(), "/etc/passwd");
        if (!passwd) return std::move(passwd).error().wrap("zone '" + name + "'");
        auto e = find_passwd(*passwd, req.user);
        if (!e) return make_error(api::code::kNotFound, "zone '" + name + "' has no user '" + req.user + "'");
        pw = *e;
        auto group = login::read_zone_file(root.get(), "/etc/group");
        groups = groups_of(group ? *group : "", pw.name, pw.gid);
    } else if (req.user != "root") {
        return make_error(api::code::kInvalidParams, "safe mode (-S) logs in as root only");
    }
    login::ExecPlan plan = login::plan_exec(req, pw, groups);
    plan.enter_userns = t.confinement.userns;
    plan.no_new_privs = t.confinement.no_new_privs;

    UniqueFd master;
    if (req.tty) {
        TRY(m, login::open_zone_ptmx(root.get()));
        master = std::move(m);
        if (plan.enter_userns) TRY_VOID(own_pty(c, name, master.get(), pw.uid));
        if (req.rows && req.cols) {
            winsize ws{req.rows, req.cols, 0, 0};
            ::ioctl(master.get(), TIOCSWINSZ, &ws);
        }
    }
    std::vector<int> stdio;
    for (auto& f : c.fds) stdio.push_back(f.get());
    caps::CapPlan cap_plan = caps::plan_caps(t.confinement.caps, pw.uid, t.confinement.last_cap);
    auto s = login::spawn(plan, t.init_pidfd.get(), t.cgroup.get(), c.daemon.host().host_pidns.get(),
                          stdio, master.get(), cap_plan, *t.confinement.filter,
                          [&] {
                              std::vector<int> fds;
                              for (const auto& f : t.v1_procs) fds.push_back(f.get());
                              return fds;
                          }());
    if (!s) return std::move(s).error().wrap("zone '" + name + "': zlogin as " + pw.name);
    c.fds.clear();  // the session has its own copies
    ZLOG_DEBUG("zone=%s zlogin uid %u as %s pid %d", name.c_str(), c.peer.uid, pw.name.c_str(), s->pid);
    // Started: the client gets the pty master now, the exit status later.
    std::string started = api::encode_progress(c.id, {{"event", "started"}}, master ? 1 : 0);
    c.conn.send(started, master ? std::vector<int>{master.get()} : std::vector<int>{});
    master.reset();
    int ws = wait_session(c, *s);
    return api::json{{"status", ws < 0 ? 255 : proc::shell_status(ws)},
                     {"how", ws < 0 ? std::string("unknown") : proc::describe_wait_status(ws)}};
}

} // namespace

std::vector<Method> zone_login_methods() {
    return {{"zone.login", Access::Login, zone_login}};
}

} // namespace zone
