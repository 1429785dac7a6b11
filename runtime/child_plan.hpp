// The zone's side of the start sequence as data: a list of steps built by the
// parent (pure, unit-tested), walked by the child after clone3 with raw
// syscalls only. The child allocates nothing, locks nothing, logs nothing; on
// failure it reports {step index, errno} and the parent names the step.
#pragma once

#include <deque>
#include <string>
#include <sys/types.h>
#include <vector>

#include "runtime/boot_spec.hpp"

namespace zone {

enum class OpKind {
    MakePrivate,   // mount --make-rprivate /: nothing propagates back to the host
    MountRoot,     // overlay or bind of the zone's copy onto the mountpoint; opens the root fd
    MountIn,       // mount onto a directory resolved inside the root (created if missing)
    RemountIn,     // read-only remount of a bind mount made by MountIn
    Mknod,         // device node in the zone's /dev (our own tmpfs)
    Symlink,       // symlink in the zone's /dev
    BindFile,      // bind a host file (the console) onto a file in the zone's /dev
    PivotRoot,     // pivot_root into the root, detach the old one
    RemountRO,     // after pivot: make a path read-only (bind + remount)
    MaskFile,      // after pivot: bind /dev/null over a file
    MaskDir,       // after pivot: an empty read-only tmpfs over a directory
    Hostname,
    LoopbackUp,
    // A user-namespaced zone (userns=auto) only:
    OpenMountpoint,  // O_PATH open of the mountpoint while the host's uid 0 still walks the path
    BecomeRoot,      // setresgid/setgroups/setresuid 0 inside the user namespace (the range base)
    AttachRoot,      // move the root the parent built (fd slot) onto the mountpoint; opens the root fd
    AttachIn,        // move a tree the parent cloned (fd slot) onto a directory inside the root;
                     // with `path`: a clone of the locked copy <stage>/<path> (userns.hpp)
    OpenStage,       // O_PATH open of the lofs stage while the host's uid 0 still walks the path
};

struct Op {
    OpKind kind;
    std::string what;      // human description for errors (parent side only)
    const char* src = nullptr;
    const char* fstype = nullptr;
    const char* data = nullptr;
    const char* path = nullptr;           // target (absolute after pivot; relative to root before)
    std::vector<const char*> components;  // MountIn: path split, walked one by one
    unsigned long flags = 0;
    mode_t mode = 0;
    dev_t dev = 0;
    bool optional = false;  // a missing target is not an error (masks)
    int slot = -1;          // AttachRoot, AttachIn: index into the fds received at sync #1
};

struct ChildPlan {
    std::vector<Op> ops;
    std::string mountpoint;
    // Storage for every string the ops point at (a deque never moves them).
    std::deque<std::string> strings;
    const char* keep(std::string s);
};

// Pure: from the boot spec and the console's host path to the ordered steps.
// A user-namespaced spec gets the userns steps (OpenMountpoint, BecomeRoot,
// AttachRoot, AttachIn for lofs, host device nodes bound instead of mknod,
// which a user namespace may not do); the slots follow userns::plan_handoff.
ChildPlan plan_child(const BootSpec& spec, const std::string& console_path);

// Walks the plan in the child. Returns -1 on success, else the failed step
// index with errno in *err. Async-signal-safe: raw syscalls only. `fds` are
// the mounts received at sync #1 (user-namespaced zones), by slot.
int run_child_plan(const ChildPlan& plan, int* err, const int* fds = nullptr, int nfds = 0);

} // namespace zone
