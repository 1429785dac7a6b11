// The cgroup v2 tree: find the cgroup2 mount, create a zone's cgroup, attach,
// kill, wait for it to drain, remove. Limits and stats live in one file per
// controller (later); this file owns the tree itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "runtime/common/error.hpp"
#include "runtime/common/fd.hpp"

namespace zone::cg {

// The cgroup2 mount point from /proc/self/mountinfo text: /sys/fs/cgroup on
// a pure v2 host, /sys/fs/cgroup/unified on a hybrid one. Pure.
std::optional<std::string> cgroup2_mount_from_mountinfo(std::string_view mountinfo);
Result<std::string> find_cgroup2_mount();

// Default parent of the zones' cgroups, relative to the cgroup2 mount.
inline constexpr const char* kDefaultParent = "zoned";

// A cgroup directory that this process created (or re-adopted).
class Cgroup {
  public:
    Cgroup() = default;
    // mkdir -p `path` (absolute); `path` must be below the cgroup2 mount.
    static Result<Cgroup> create(const std::string& path);
    static Result<Cgroup> open(const std::string& path);

    const std::string& path() const { return path_; }
    int dirfd() const { return dir_.get(); }  // for CLONE_INTO_CGROUP

    Result<void> attach(pid_t pid) const;
    bool populated() const;  // cgroup.events "populated 1"
    // Kills every process at once (cgroup.kill).
    Result<void> kill() const;
    Result<void> freeze(bool frozen) const;
    // Delegation (cgroup-v2 "Delegation"): the directory and the files a
    // delegatee writes (cgroup.procs, cgroup.threads, cgroup.subtree_control)
    // owned by `uid`:`gid`, so a user-namespaced zone's root may make its own
    // groups below and move its processes among them. Limits stay root's.
    Result<void> delegate(uid_t uid, gid_t gid) const;
    // Waits (on cgroup.events, no polling loop) until empty or `timeout_ms`.
    Result<void> wait_empty(int timeout_ms) const;
    // kill + wait + rmdir; retries while the kernel still drains the group.
    Result<void> destroy();

  private:
    std::string path_;
    UniqueFd dir_;
};

} // namespace zone::cg
