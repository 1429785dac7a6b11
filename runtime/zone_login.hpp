// zlogin: a process started inside all of a running zone's namespaces and
// its cgroup, as one of the zone's users.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/common/fd.hpp"
#include "runtime/caps.hpp"
#include "runtime/passwd.hpp"
#include "runtime/seccomp.hpp"

namespace zone::login {

struct Request {
    std::string user = "root";
    std::string command;      // empty: an interactive login shell
    bool tty = false;
    bool safe = false;        // -S: no user database, no login environment
    std::string term;
    unsigned short rows = 0, cols = 0;
};

// Pure: argv and environment of the session.
struct ExecPlan {
    std::string path;                 // the shell
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string cwd;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    // The zone has a user namespace: the session joins it first, and its
    // uid, gid and groups above are ids inside it.
    bool enter_userns = false;
    bool no_new_privs = true;  // false for security-profile=system
};
ExecPlan plan_exec(const Request& r, const PasswdEntry& pw, const std::vector<gid_t>& groups);

// Opens the zone's root through the init's /proc entry, checked against its
// pidfd so that a reused pid can never point somewhere else.
Result<UniqueFd> open_zone_root(int init_pidfd, pid_t init_pid);
// Reads a file of the zone, resolved inside its root (symlinks cannot escape).
Result<std::string> read_zone_file(int rootfd, const char* path);
// A new pty master in the zone's own devpts instance.
Result<UniqueFd> open_zone_ptmx(int rootfd);

struct Session {
    pid_t pid = -1;
    UniqueFd pidfd;
};

// Starts the session. `stdio` (3 fds) when not on a pty; `master` when on one.
// The session gets the zone's confinement: `caps` (for the session's uid),
// no_new_privs and `filter`, applied last before exec. `join_fds` are the
// cgroup.procs files of the zone's v1 groups (v1-hybrid hosts), opened for
// writing: the new process joins them first, so it counts against the caps.
Result<Session> spawn(const ExecPlan& plan, int init_pidfd, int cgroup_fd, int host_pidns,
                      const std::vector<int>& stdio, int master, const caps::CapPlan& caps,
                      const sec::Filter& filter, const std::vector<int>& join_fds = {});

} // namespace zone::login
