#include "proc.hpp"

#include <csignal>
#include <cstring>
#include <linux/sched.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/common/fs.hpp"

namespace zone::proc {

Result<unsigned long long> start_time_from_stat(const std::string& stat) {
    size_t rp = stat.rfind(')');
    if (rp == std::string::npos) return make_error("EINVAL", "malformed /proc stat line");
    // After ") " come fields 3.. ; start time is field 22, i.e. the 20th after comm.
    const char* p = stat.c_str() + rp + 1;
    for (int field = 3; field <= 22; ++field) {
        while (*p == ' ') ++p;
        if (!*p) return make_error("EINVAL", "short /proc stat line");
        if (field == 22) {
            char* end = nullptr;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p) return make_error("EINVAL", "bad start time in /proc stat line");
            return v;
        }
        while (*p && *p != ' ') ++p;
    }
    return make_error("EINVAL", "short /proc stat line");
}

Result<unsigned long long> start_time(pid_t pid) {
    TRY(text, fs::read_file("/proc/" + std::to_string(pid) + "/stat"));
    return start_time_from_stat(text);
}

Result<UniqueFd> pidfd_open(pid_t pid) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return sys_error("pidfd_open(" + std::to_string(pid) + ")");
    return UniqueFd(fd);
}

Result<UniqueFd> open_checked(pid_t pid, unsigned long long start) {
    if (pid <= 0) return sys_error(ESRCH, "pidfd_open(" + std::to_string(pid) + ")");
    TRY(fd, pidfd_open(pid));
    // Check after opening: if the pid was reused before pidfd_open, the start
    // time differs; if it is reused after, the pidfd still names the old one.
    auto st = start_time(pid);
    if (!st || *st != start)
        return sys_error(ESRCH, "process " + std::to_string(pid) + " is not the one recorded");
    return fd;
}

Result<void> pidfd_signal(int pidfd, int sig) {
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0)
        return sys_error("pidfd_send_signal(" + std::string(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?") + ")");
    return ok();
}

bool pidfd_alive(int pidfd) { return ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0; }

bool pidfd_wait_exit(int pidfd, int timeout_ms) {
    pollfd p{pidfd, POLLIN, 0};
    for (;;) {
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        return r > 0;
    }
}

std::string describe_wait_status(int ws) {
    if (WIFEXITED(ws)) return "exited " + std::to_string(WEXITSTATUS(ws));
    if (WIFSIGNALED(ws)) {
        const char* n = sigabbrev_np(WTERMSIG(ws));
        return std::string("killed by SIG") + (n ? n : std::to_string(WTERMSIG(ws)).c_str());
    }
    return "status " + std::to_string(ws);
}

int shell_status(int ws) {
    if (WIFEXITED(ws)) return WEXITSTATUS(ws);
    if (WIFSIGNALED(ws)) return 128 + WTERMSIG(ws);
    return 255;
}

void reset_signals_for_exec() {
    struct kernel_sigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)();
        unsigned long mask;
    } dfl{SIG_DFL, 0, nullptr, 0};
    for (int sig = 1; sig <= 64; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, 8);
    }
    unsigned long none = 0;
    ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, 8);
}

pid_t clone3(const Clone3Args& a) {
    clone_args ca{};
    ca.flags = a.flags;
    ca.exit_signal = SIGCHLD;
    if (a.pidfd) ca.pidfd = reinterpret_cast<unsigned long long>(a.pidfd);
    if (a.cgroup_fd >= 0) ca.cgroup = static_cast<unsigned long long>(a.cgroup_fd);
    return static_cast<pid_t>(::syscall(SYS_clone3, &ca, sizeof ca));
}

} // namespace zone::proc
