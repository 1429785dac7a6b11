// zone-init: the built-in init, PID 1 of a zone. Statically linked and run
// from a sealed memfd, so nothing of the host's file system is reachable
// through /proc/1/exe.
//
// It reaps orphans, runs /etc/zone/rc if present, gives the console a root
// shell once someone types on it (only those allowed `zlogin -C` reach it;
// no shell is started for zones nobody attaches to, which keeps boots
// cheap), and on SIGTERM (or SIGPWR, SIGINT) stops every process of the
// zone: SIGTERM, a grace period, SIGKILL.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int kGraceSeconds = 10;

pid_t g_console = -1;     // the console shell
time_t g_console_started = 0;

time_t now_s() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

void spawn_console(const sigset_t& old) {
    struct stat st{};
    if (::stat("/bin/sh", &st) != 0) return;
    g_console_started = now_s();
    g_console = ::fork();
    if (g_console != 0) return;
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::setsid();
    ::ioctl(0, TIOCSCTTY, 1);  // take the console over from init
    if (::chdir("/root") != 0 && ::chdir("/") != 0) ::_exit(127);
    ::setenv("HOME", "/root", 1);
    char* const argv[] = {const_cast<char*>("-sh"), nullptr};
    ::execv("/bin/sh", argv);
    ::_exit(127);
}

// Reaps every exited child; true when the console shell was among them.
bool reap_all() {
    bool console_gone = false;
    for (;;) {
        pid_t p = ::waitpid(-1, nullptr, WNOHANG);
        if (p <= 0) return console_gone;
        if (p == g_console) {
            g_console = -1;
            console_gone = true;
        }
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
    if (g_console > 0) ::kill(g_console, SIGHUP);  // an interactive shell ignores SIGTERM
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    timespec deadline{};
    ::clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += kGraceSeconds;
    for (;;) {
        (void)reap_all();
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
    int sfd = ::signalfd(-1, &all, SFD_CLOEXEC);
    run_rc(old);
    for (;;) {
        // The console is watched only while no shell owns it; input there
        // starts one (the typed line stays queued for it).
        pollfd p[2] = {{sfd, POLLIN, 0}, {g_console < 0 ? 0 : -1, POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) continue;
        if ((p[1].revents & POLLIN) && g_console < 0) {
            if (now_s() > g_console_started || g_console_started == 0) spawn_console(old);
            else ::poll(nullptr, 0, 1000);  // a shell that dies at once: respawn at most once a second
        }
        if (!(p[0].revents & POLLIN)) continue;
        signalfd_siginfo si{};
        if (::read(sfd, &si, sizeof si) != sizeof si) continue;
        if (si.ssi_signo == SIGCHLD) {
            (void)reap_all();
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGPWR || si.ssi_signo == SIGINT) {
            stop_all();
            return 0;
        }
    }
}
