#include "image_patch.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/common/fd.hpp"
#include "runtime/proc.hpp"

namespace zone {

namespace {

// Everything the child needs, as C strings built before the clone: after it
// the child of a multi-threaded daemon makes raw system calls only.
struct ChildPlan {
    std::string ovl_data, proc, sys, dev, tmp, run, resolv_target;
    std::vector<std::string> nodes; // dev/null, ...
    bool bind_resolv = false;
    std::vector<std::string> candidates; // where to exec argv[0] from
    std::vector<char*> argv, envp;
    std::vector<std::string> env_store;
};

constexpr struct {
    const char* name;
    unsigned maj, min;
} kNodes[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
              {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

ChildPlan plan_child(const PatchRun& r) {
    ChildPlan p;
    const std::string& m = r.mountpoint;
    // redirect_dir and metacopy off: a renamed directory or a chmod'ed file
    // is copied up whole, so the upper layer alone says what changed
    // (tree::copy_tree_linking relies on it).
    p.ovl_data = "lowerdir=" + r.lower + ",upperdir=" + r.upper + ",workdir=" + r.work +
                 ",redirect_dir=off,metacopy=off";
    p.proc = m + "/proc";
    p.sys = m + "/sys";
    p.dev = m + "/dev";
    p.tmp = m + "/tmp";
    p.run = m + "/run";
    for (const auto& n : kNodes)
        p.nodes.push_back(p.dev + "/" + n.name);
    struct stat st;
    p.bind_resolv = ::stat("/etc/resolv.conf", &st) == 0 && S_ISREG(st.st_mode);
    p.resolv_target = m + "/etc/resolv.conf";
    const std::string& cmd = r.argv[0];
    if (cmd.find('/') != std::string::npos) {
        p.candidates.push_back(cmd);
    } else {
        for (const char* d :
             {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"})
            p.candidates.push_back(std::string(d) + "/" + cmd);
    }
    for (const auto& a : r.argv)
        p.argv.push_back(const_cast<char*>(a.c_str()));
    p.argv.push_back(nullptr);
    p.env_store = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "HOME=/root", "LC_ALL=C", "TERM=dumb", "DEBIAN_FRONTEND=noninteractive"};
    for (auto& e : p.env_store)
        p.envp.push_back(e.data());
    p.envp.push_back(nullptr);
    return p;
}

[[noreturn]] void child_fail(int errfd, int step) {
    int msg[2] = {step, errno};
    (void)!::write(errfd, msg, sizeof msg);
    ::_exit(127);
}

// In the child: new mount, PID, UTS and IPC namespaces; the host's network
// (a patch usually downloads). Raw system calls only.
[[noreturn]] void child_main(const PatchRun& r, const ChildPlan& p, int outfd, int errfd) {
    const char* m = r.mountpoint.c_str();
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) child_fail(errfd, 1);
    if (::mount("overlay", m, "overlay", 0, p.ovl_data.c_str()) < 0) child_fail(errfd, 2);
    if (::mount("proc", p.proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0)
        child_fail(errfd, 3);
    if (::mount("sysfs", p.sys.c_str(), "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                nullptr) < 0)
        child_fail(errfd, 4);
    if (::mount("tmpfs", p.dev.c_str(), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=1024k") < 0)
        child_fail(errfd, 5);
    for (size_t i = 0; i < p.nodes.size(); ++i)
        if (::mknod(p.nodes[i].c_str(), S_IFCHR | 0666, makedev(kNodes[i].maj, kNodes[i].min)) < 0)
            child_fail(errfd, 6);
    // Scratch space stays out of the new version.
    struct stat st;
    if (::stat(p.tmp.c_str(), &st) == 0 &&
        ::mount("tmpfs", p.tmp.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
        child_fail(errfd, 7);
    if (::stat(p.run.c_str(), &st) == 0 &&
        ::mount("tmpfs", p.run.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0)
        child_fail(errfd, 7);
    if (p.bind_resolv) {
        int fd = ::open(p.resolv_target.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ::close(fd);
            if (::mount("/etc/resolv.conf", p.resolv_target.c_str(), nullptr, MS_BIND, nullptr) < 0)
                child_fail(errfd, 8);
        }
    }
    if (::chdir(m) < 0 || ::syscall(SYS_pivot_root, ".", ".") < 0 ||
        ::umount2(".", MNT_DETACH) < 0 || ::chdir("/") < 0)
        child_fail(errfd, 9);
    (void)::sethostname("patch", 5);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(outfd, 1) < 0 || ::dup2(outfd, 2) < 0)
        child_fail(errfd, 10);
    proc::reset_signals_for_exec();
    int last = ENOENT;
    for (const auto& c : p.candidates) {
        ::execve(c.c_str(), p.argv.data(), p.envp.data());
        if (errno != ENOENT) last = errno;
    }
    errno = last;
    child_fail(errfd, 11);
}

const char* step_name(int step) {
    switch (step) {
    case 1:
        return "mount --make-rprivate /";
    case 2:
        return "mount overlay";
    case 3:
        return "mount proc";
    case 4:
        return "mount sysfs";
    case 5:
        return "mount tmpfs on /dev";
    case 6:
        return "mknod in /dev";
    case 7:
        return "mount tmpfs on /tmp or /run";
    case 8:
        return "bind /etc/resolv.conf";
    case 9:
        return "pivot_root";
    case 10:
        return "stdio";
    default:
        return "execve";
    }
}

} // namespace

Result<int> run_patch_command(const PatchRun& run, images::ProgressFn fn, void* ctx) {
    if (run.argv.empty() || run.argv[0].empty()) return make_error("EINVAL", "no command to run");
    ChildPlan plan = plan_child(run);
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) < 0) return sys_error("pipe2");
    UniqueFd out_r(out[0]), out_w(out[1]);
    if (::pipe2(err, O_CLOEXEC) < 0) return sys_error("pipe2");
    UniqueFd err_r(err[0]), err_w(err[1]);
    int pidfd = -1;
    proc::Clone3Args a;
    a.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD;
    a.pidfd = &pidfd;
    pid_t pid = proc::clone3(a);
    if (pid < 0) return sys_error("clone3(patch sandbox)");
    if (pid == 0) child_main(run, plan, out_w.get(), err_w.get());
    UniqueFd child(pidfd);
    out_w.reset();
    err_w.reset();
    std::string buf;
    char chunk[4096];
    for (;;) {
        ssize_t n = ::read(out_r.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buf.append(chunk, static_cast<size_t>(n));
        size_t nl;
        while ((nl = buf.find('\n')) != std::string::npos) {
            if (fn) fn(ctx, "| " + buf.substr(0, nl));
            buf.erase(0, nl + 1);
        }
    }
    if (!buf.empty() && fn) fn(ctx, "| " + buf);
    siginfo_t si{};
    while (::waitid(P_PIDFD, static_cast<id_t>(child.get()), &si, WEXITED) < 0)
        if (errno != EINTR) return sys_error("waitid(patch command)");
    int msg[2] = {0, 0};
    if (::read(err_r.get(), msg, sizeof msg) == static_cast<ssize_t>(sizeof msg))
        return sys_error(msg[1], std::string(step_name(msg[0])) + " in the patch sandbox" +
                                     (msg[0] == 11 ? " ('" + run.argv[0] + "')" : ""));
    int status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status;
    return status;
}

void clean_patch_upper(const PatchRun& run) {
    struct stat st;
    if (::lstat((run.lower + "/etc/resolv.conf").c_str(), &st) == 0) return;
    std::string f = run.upper + "/etc/resolv.conf";
    if (::lstat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) ::unlink(f.c_str());
}

} // namespace zone
