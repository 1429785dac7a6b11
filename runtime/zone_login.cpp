#include "zone_login.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/proc.hpp"

namespace zone::login {

ExecPlan plan_exec(const Request& r, const PasswdEntry& pw, const std::vector<gid_t>& groups) {
    ExecPlan p;
    p.uid = pw.uid;
    p.gid = pw.gid;
    p.groups = groups;
    p.path = r.safe ? "/bin/sh" : pw.shell;
    std::string base = p.path.substr(p.path.find_last_of('/') + 1);
    if (r.command.empty()) p.argv = {"-" + base};  // a login shell reads the profile
    else p.argv = {base, "-c", r.command};
    p.cwd = r.safe ? "/" : pw.home;
    std::string path = pw.uid == 0 ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                                   : "/usr/local/bin:/usr/bin:/bin";
    p.env = {"PATH=" + path, "HOME=" + p.cwd, "SHELL=" + p.path};
    if (!r.safe) {
        p.env.push_back("USER=" + pw.name);
        p.env.push_back("LOGNAME=" + pw.name);
    }
    if (r.tty) p.env.push_back("TERM=" + (r.term.empty() ? std::string("xterm") : r.term));
    return p;
}

namespace {

int openat2_in_root(int rootfd, const char* path, int flags, unsigned long long resolve) {
    open_how how{};
    how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve;
    return static_cast<int>(::syscall(SYS_openat2, rootfd, path, &how, sizeof how));
}

} // namespace

Result<UniqueFd> open_zone_root(int init_pidfd, pid_t init_pid) {
    std::string p = "/proc/" + std::to_string(init_pid) + "/root";
    UniqueFd fd(::open(p.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return sys_error("open(" + p + ")");
    // Checked after opening: if init is still alive, the pid was not reused.
    if (!proc::pidfd_alive(init_pidfd)) return sys_error(ESRCH, "zone init exited");
    return fd;
}

Result<std::string> read_zone_file(int rootfd, const char* path) {
    UniqueFd fd(openat2_in_root(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0));
    if (!fd) return sys_error(std::string("open(zone:") + path + ")");
    struct stat st{};
    if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode))
        return sys_error(EINVAL, std::string("zone:") + path + " is not a regular file");
    std::string out;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) return sys_error(std::string("read(zone:") + path + ")");
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > (4u << 20)) return sys_error(EFBIG, std::string("zone:") + path);
    }
    return out;
}

Result<UniqueFd> open_zone_ptmx(int rootfd) {
    UniqueFd m(openat2_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, RESOLVE_NO_SYMLINKS));
    if (!m) return sys_error("open(zone:/dev/pts/ptmx)");
    struct statfs sf{};
    if (::fstatfs(m.get(), &sf) < 0 || sf.f_type != DEVPTS_SUPER_MAGIC)
        return sys_error(EPERM, "zone:/dev/pts/ptmx is not on the zone's devpts");
    int unlock = 0;
    if (::ioctl(m.get(), TIOCSPTLCK, &unlock) < 0) return sys_error("unlockpt(zone pty)");
    return m;
}

Result<Session> spawn(const ExecPlan& plan, int init_pidfd, int cgroup_fd, int host_pidns,
                      const std::vector<int>& stdio, int master, const caps::CapPlan& caps,
                      const sec::Filter& filter, const std::vector<int>& join_fds) {
    // Everything the child uses is prepared here: it runs in a copy of a
    // multi-threaded process and may only make raw system calls.
    std::vector<const char*> argv, envp;
    for (const auto& a : plan.argv) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    for (const auto& e : plan.env) envp.push_back(e.c_str());
    envp.push_back(nullptr);
    int report[2];
    if (::pipe2(report, O_CLOEXEC) < 0) return sys_error("pipe2");
    UniqueFd rep_r(report[0]), rep_w(report[1]);

    // The PID namespace of children is per thread: enter the zone's for this
    // one clone, then return to ours.
    if (::setns(init_pidfd, CLONE_NEWPID) < 0) return sys_error("setns(zone pid namespace)");
    int pidfd = -1;
    proc::Clone3Args ca;
    ca.flags = CLONE_PIDFD | CLONE_INTO_CGROUP;
    ca.pidfd = &pidfd;
    ca.cgroup_fd = cgroup_fd;
    pid_t pid = proc::clone3(ca);
    int clone_errno = errno;
    if (pid == 0) {
        struct { int step, err; } r{0, 0};
        auto fail = [&](int step) {
            r = {step, errno};
            ssize_t w = ::write(rep_w.get(), &r, sizeof r);
            (void)w;
            ::_exit(127);
        };
        // "0" is the writer itself: no pid to pass, no race with the parent.
        for (int fd : join_fds)
            if (::write(fd, "0", 1) != 1) fail(9);
        // With CLONE_NEWUSER the kernel joins the user namespace first; the
        // session then holds its capabilities there, none on the host.
        if (::setns(init_pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                                    CLONE_NEWCGROUP | (plan.enter_userns ? CLONE_NEWUSER : 0)) < 0)
            fail(1);
        ::setsid();
        if (master >= 0) {
            int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
            if (slave < 0) fail(2);
            ::dup2(slave, 0);
            ::dup2(slave, 1);
            ::dup2(slave, 2);
            if (::ioctl(0, TIOCSCTTY, 0) < 0) fail(2);
        } else {
            // dup to high numbers first so that 0..2 cannot clobber each other.
            int hi[3];
            for (int i = 0; i < 3; ++i) hi[i] = ::fcntl(stdio[static_cast<size_t>(i)], F_DUPFD, 100);
            for (int i = 0; i < 3; ++i) ::dup2(hi[i], i);
        }
        // No fd of zoned survives exec: not its sockets, not its pidfds.
        ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        // Without no_new_privs (`system`) the kernel takes a seccomp filter
        // only from a holder of CAP_SYS_ADMIN (in the zone's user namespace):
        // install it now, before the uid switch drops it. It allows the rest.
        if (!plan.no_new_privs && !filter.code.empty() && sec::install_in_child(filter) < 0) fail(8);
        // Capabilities around the uid switch (bounding set first, capset after).
        if (caps::prepare_uid_switch_in_child(caps) < 0) fail(6);
        if (::syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()) < 0) fail(3);
        if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) < 0) fail(3);
        if (::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) < 0) fail(3);
        if (caps::finish_uid_switch_in_child(caps) < 0) fail(6);
        if (::chdir(plan.cwd.c_str()) < 0 && ::chdir("/") < 0) fail(4);
        proc::reset_signals_for_exec();
        if (plan.no_new_privs) {
            if (caps::set_no_new_privs_in_child() < 0) fail(7);
            if (!filter.code.empty() && sec::install_in_child(filter) < 0) fail(8);
        }
        ::execve(plan.path.c_str(), const_cast<char* const*>(argv.data()),
                 const_cast<char* const*>(envp.data()));
        fail(5);
    }
    if (::setns(host_pidns, CLONE_NEWPID) < 0) {
        // Cannot happen for our own namespace; if it did, this thread must
        // not clone anything else.
        std::abort();
    }
    if (pid < 0) return sys_error(clone_errno, "clone3(zlogin)");
    Session s{pid, UniqueFd(pidfd)};
    rep_w.reset();
    struct { int step, err; } r{0, 0};
    ssize_t n;
    do {
        n = ::read(rep_r.get(), &r, sizeof r);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof r)) {
        siginfo_t si{};
        ::waitid(P_PIDFD, static_cast<id_t>(s.pidfd.get()), &si, WEXITED);
        static const char* steps[] = {"", "setns(zone namespaces)", "open the pty",
                                      "switch to the user", "chdir", "exec",
                                      "drop capabilities", "set no_new_privs", "install the seccomp filter",
                                      "join the zone's cgroup v1 groups"};
        std::string what = steps[r.step >= 0 && r.step <= 9 ? r.step : 0];
        if (r.step == 5) what = "exec(" + plan.path + ")";
        if (r.step == 4) what = "chdir(" + plan.cwd + ")";
        return sys_error(r.err, what);
    }
    return s;
}

} // namespace zone::login
