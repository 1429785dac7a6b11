// The cgroup driver: one interface over the two ways a host can offer
// resource controllers to zones.
//
//   "v2"         every controller on the cgroup2 mount; a zone is one
//                directory <cgroup2>/<parent>/<zone> (the design centre).
//   "v1-hybrid"  the cgroup2 mount has no controllers (systemd "hybrid" mode);
//                the zone's cgroup2 directory still tracks its processes
//                (CLONE_INTO_CGROUP, populated, cgroup.kill, cgroup.freeze,
//                PSI), and <v1 mount>/<controller>/<parent>/<zone> holds its
//                limits and their accounting. The zone's processes are
//                attached to every one of those v1 groups.
//
// Boot, from the parent side:
//   auto d = cg::detect(roots, "zoned");          // once, at daemon start
//   TRY_VOID(d->check(limits));                   // refuse what the host cannot enforce
//   TRY(group, d->create(zone));                  // cgroup2 dir (+ v1 dirs)
//   TRY_VOID(d->apply(zone, limits));             // caps in place before any process
//   clone3(CLONE_INTO_CGROUP, .cgroup = group.dirfd());   // child blocks at sync #1
//   TRY_VOID(d->attach(zone, child_pid));         // v1 groups (v2: already there)
//   ... release the child
// Live change: d->apply(zone, new_limits). Halt: d->destroy(zone).
//
// Every driver only creates, writes and removes directories below its parent
// (it never touches a cgroup it did not create, nor the mounts), and is
// parameterised by the mount points (Roots) so tests run it on a fake tree.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "cgroups/limits.hpp"
#include "cgroups/stats.hpp"
#include "cgroups/tree.hpp"
#include "runtime/common/error.hpp"

namespace zone::cg {

// Where the host's cgroup file systems are mounted.
struct Roots {
    std::string unified; // the cgroup2 mount; "" when none
    std::map<std::string, std::string>
        v1; // v1 controller -> its mount ("memory" -> /sys/fs/cgroup/memory)
};

// From /proc/self/mountinfo text: the cgroup2 mount and, for each of the v1
// controllers the drivers use (cpu, cpuacct, cpuset, memory, pids, blkio,
// freezer), the mount of the hierarchy that holds it. Pure.
Roots roots_from_mountinfo(std::string_view mountinfo);
Result<Roots> find_roots();

// The directories a driver made for one zone (or the parent of all zones).
struct Dirs {
    std::string v2;              // in the cgroup2 mount
    std::vector<std::string> v1; // one per v1 hierarchy (v1-hybrid only), no duplicates
};

class Driver {
  public:
    virtual ~Driver() = default;

    virtual std::string_view name() const = 0; // "v2" or "v1-hybrid"
    // One line for logs, `zoned --version` and daemon.info:
    // "v1-hybrid: limits in v1 cpu cpuset memory pids blkio, tracking in
    // /sys/fs/cgroup/unified/zoned".
    virtual std::string describe() const = 0;
    // The limit controllers zones can use (v2 names: cpu cpuset io memory pids;
    // v1 names: cpu cpuset memory pids blkio).
    virtual const std::set<std::string>& controllers() const = 0;

    virtual Dirs dirs(const std::string& zone) const = 0;
    virtual Dirs parent_dirs() const = 0;

    // Refuses limits this host cannot enforce (UNSUPPORTED_LIMIT naming the
    // limit and the controller), without touching any cgroup.
    virtual Result<void> check(const Limits& limits) const = 0;

    // Makes the zone's directories (an existing one is re-used: a restarted
    // zoned re-adopts its zones) and returns its cgroup2 group, whose dirfd()
    // is the CLONE_INTO_CGROUP target.
    virtual Result<Cgroup> create(const std::string& zone) = 0;
    // The cgroup2 group of an existing zone.
    Result<Cgroup> open(const std::string& zone) const { return Cgroup::open(dirs(zone).v2); }
    // Moves `pid` into every group of the zone (v2: cgroup.procs, which is a
    // no-op after CLONE_INTO_CGROUP; v1: each hierarchy's cgroup.procs).
    virtual Result<void> attach(const std::string& zone, pid_t pid) = 0;

    // Writes every limit (unset ones reset to the default); valid on a
    // running zone.
    virtual Result<void> apply(const std::string& zone, const Limits& limits) = 0;
    virtual Result<Stats> stats(const std::string& zone) const = 0;

    virtual Result<void> freeze(const std::string& zone) = 0;
    virtual Result<void> thaw(const std::string& zone) = 0;
    // SIGKILLs every process of the zone (v2: cgroup.kill; v1-hybrid also
    // sweeps its v1 groups: freeze, SIGKILL each task, thaw).
    virtual Result<void> kill(const std::string& zone) = 0;
    // kill, wait until empty, remove every directory of the zone; retries
    // while the kernel still drains a group. Missing directories are fine.
    virtual Result<void> destroy(const std::string& zone) = 0;
    // Removes the parent directories once no zone is left (tests, uninstall).
    virtual Result<void> remove_parent() = 0;
};

// Picks and sets up the driver: "v2" when the cgroup2 mount's
// cgroup.controllers lists controllers (they are then enabled in the
// subtree_control of <cgroup2>/<parent>, which this creates); else
// "v1-hybrid" when v1 hierarchies are mounted (creating <mount>/<parent> in
// each, with the cpuset copied from the hierarchy's root so tasks may join);
// else "v2" without controllers (zones run; any limit is refused). `parent`
// is a relative path; intermediate levels must already delegate controllers.
Result<std::unique_ptr<Driver>> detect(const Roots& roots, const std::string& parent);

// The cgroup.procs files a process must be written to to join `zone` (for
// a helper process that holds no Driver, such as the zone monitor).
std::vector<std::string> procs_files(const Dirs& dirs);

// Driver::destroy for a process that holds no Driver (the zone monitor):
// cgroup.kill on the cgroup2 group, then every task still listed in a v1
// group SIGKILLed through its pidfd, then every directory removed (v1 ones
// first). Missing directories are fine.
Result<void> destroy_dirs(const Dirs& dirs);

// Which driver detect() would pick on these roots, and why, without creating
// or writing anything (`zoned --version`): "v1-hybrid (cgroup2 at ... has no
// controllers; v1: blkio cpu ...)".
std::string probe(const Roots& roots);

} // namespace zone::cg
