// zone-init: the built-in init, PID 1 of a zone. Statically linked and run
// from a sealed memfd, so nothing of the host's file system is reachable
// through /proc/1/exe.
//
// It reaps orphans, runs /etc/zone/rc if present, and on SIGTERM (or SIGPWR,
// SIGINT) stops every process of the zone: SIGTERM, a grace period, SIGKILL.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int kGraceSeconds = 10;

void reap_all() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
}

void run_rc(const sigset_t& old) {
    struct stat st{};
    if (::stat("/etc/zone/rc", &st) != 0) return;
    pid_t pid = ::fork();
    if (pid != 0) return;
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::setsid();
    if (st.st_mode & S_IXUSR) {
        char* const argv[] = {const_cast<char*>("/etc/zone/rc"), nullptr};
        ::execv("/etc/zone/rc", argv);
    }
    char* const argv[] = {const_cast<char*>("/bin/sh"), const_cast<char*>("/etc/zone/rc"), nullptr};
    ::execv("/bin/sh", argv);
    ::_exit(127);
}

// Stops every other process of the zone and returns when none is left.
void stop_all() {
    ::kill(-1, SIGTERM);
    ::kill(-1, SIGCONT);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    timespec deadline{};
    ::clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += kGraceSeconds;
    for (;;) {
        reap_all();
        if (::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD) return;
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec >= deadline.tv_sec) break;
        timespec left{deadline.tv_sec - now.tv_sec, 0};
        ::sigtimedwait(&chld, nullptr, &left);
    }
    ::kill(-1, SIGKILL);
    while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
    }
}

} // namespace

int main() {
    sigset_t all, old;
    sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, &old);
    run_rc(old);
    for (;;) {
        siginfo_t si{};
        int sig = ::sigwaitinfo(&all, &si);
        if (sig == SIGCHLD) {
            reap_all();
        } else if (sig == SIGTERM || sig == SIGPWR || sig == SIGINT) {
            stop_all();
            return 0;
        }
    }
}
