// Processes by identity, never by bare pid: pidfds, start times, clone3.
#pragma once

#include <string>
#include <sys/types.h>

#include "runtime/common/error.hpp"
#include "runtime/common/fd.hpp"

namespace zone::proc {

// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot);
// with the pid it names one process for the life of the machine.
Result<unsigned long long> start_time(pid_t pid);
// Pure: parses the text of /proc/<pid>/stat (the comm field may hold spaces
// and parentheses).
Result<unsigned long long> start_time_from_stat(const std::string& stat);

Result<UniqueFd> pidfd_open(pid_t pid);
// A pidfd for `pid` only if it is still the process that started at `start`.
Result<UniqueFd> open_checked(pid_t pid, unsigned long long start);
Result<void> pidfd_signal(int pidfd, int sig);
bool pidfd_alive(int pidfd);
// Waits for the pidfd to become readable (the process exited), up to
// timeout_ms (-1 = forever). True when it exited.
bool pidfd_wait_exit(int pidfd, int timeout_ms);

// "exited 0", "exited 7", "killed by SIGKILL"; and the shell convention
// (code, or 128+signal) for exit statuses of zlogin.
std::string describe_wait_status(int wstatus);
int shell_status(int wstatus);

// In a child about to exec into a zone: every signal back to its default
// disposition and unblocked (zoned and the monitor ignore SIGPIPE, and an
// ignored signal would survive exec). Raw syscalls only.
void reset_signals_for_exec();

struct Clone3Args {
    unsigned long long flags = 0;
    int* pidfd = nullptr;       // CLONE_PIDFD target
    int cgroup_fd = -1;         // CLONE_INTO_CGROUP
};
// Raw clone3 returning like fork(): 0 in the child, the pid in the parent.
pid_t clone3(const Clone3Args& a);

} // namespace zone::proc
