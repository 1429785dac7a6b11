// User-namespaced zones (userns=auto): the zone's ids 0 .. count-1 are the
// host ids base .. base+count-1 of a range zoned allocated to the zone
// (runtime/id_ranges.*), so the zone's root is an unprivileged uid on the host.
//
// The start sequence with a user namespace (monitor.cpp, child_plan.cpp):
//   parent: stage_lofs_before_clone (the lofs trees, so that clone3 copies
//           them locked: below);
//   clone3(CLONE_NEWUSER | the other namespaces); the child blocks at sync #1;
//   parent: write_maps_from_parent (uid_map, gid_map), then
//           build_mounts_from_parent: the zone's root as a detached mount,
//           made by the host's root (see below);
//   sync #1 carries that mount to the child (SCM_RIGHTS);
//   child:  opens its mountpoint and the lofs stage (the host's uid 0 still
//           walks the 0700 state dirs), becomes uid/gid 0 inside (the range
//           base outside), attaches the root and clones of its locked copies
//           of the lofs trees, mounts proc, sysfs, devpts, tmpfs as
//           the owner of its namespaces, pivot_root, confinement, exec.
//
// The root is an overlay the parent builds with the new mount API: the gold
// image is the lower layer through an idmapped mount (open_tree clone +
// mount_setattr(MOUNT_ATTR_IDMAP) with the zone's user namespace), so files
// the host's root owns in the image appear owned by the zone's root, while
// the image stays shared and unchanged on disk; the zone's upper directory
// belongs to the range (zoned shifts it: runtime/id_shift.*). A copy root is
// a bind of the zone's copy, shifted to the range the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <sys/types.h>
#include <vector>

#include "runtime/boot_spec.hpp"
#include "runtime/common/error.hpp"
#include "runtime/common/fd.hpp"

namespace zone::userns {

// One line of /proc/PID/uid_map (or gid_map): `count` ids from `inside` are
// the ids from `outside` in the parent namespace.
struct IdMapLine {
    uint32_t inside = 0, outside = 0, count = 0;
    bool operator==(const IdMapLine&) const = default;
};

// Pure: the map of a zone, "0 <base> <count>\n" (the same for uid and gid).
std::string render_id_map(uint32_t base, uint32_t count);
// Pure: /proc/PID/uid_map text into lines; EINVAL naming the bad line.
Result<std::vector<IdMapLine>> parse_id_map(std::string_view text);
// The host id of `inside` under `map`, or nullopt when it is not mapped.
std::optional<uint32_t> to_host(const std::vector<IdMapLine>& map, uint32_t inside);

// What the parent hands the child at sync #1, one mount per slot (pure, so
// that the child's plan and the parent agree on the slots): slot 0 is the
// root, then one slot per lofs `fs` resource, in the order of spec.fs.
struct Handoff {
    enum class Kind { OverlayRoot, CopyRoot, Lofs } kind;
    std::string path;    // the copy or the lofs source; "" for the overlay
    size_t fs_index = 0; // Lofs: which spec.fs entry
};
inline constexpr int kMaxHandoff = 32; // the root and up to 31 lofs trees
Result<std::vector<Handoff>> plan_handoff(const BootSpec& spec);

// ---- parent side, before clone: the lofs trees, locked ----------------------
//
// A mount the zone's root could remount would let it clear `ro` (or nosuid,
// nodev, noexec) of a lofs: a `system` zone holds CAP_SYS_ADMIN over its
// mount namespace. The kernel locks those flags (MNT_LOCK_READONLY, ...) on
// mounts it *copies* into a mount namespace of a less privileged user
// namespace, and a bind or open_tree clone of a locked mount stays locked;
// a detached tree moved in (as the root is) is not copied and stays unlocked.
// So the monitor mounts each lofs tree, with its flags set, on a private
// tmpfs in its own mount namespace before clone3; clone3 copies it into the
// zone's namespace locked; the child clones its locked copy onto the fs
// dir (open_tree from an O_PATH fd of the stage, opened before BecomeRoot),
// and the monitor unmounts the stage as soon as clone3 returned.

// Where the monitor stages the lofs trees: beside the zone's mountpoint;
// tree i (spec.fs index) at <stage>/<i>.
std::string lofs_stage_path(const BootSpec& spec);

// The staged trees; unmounted (MNT_DETACH) and the directory removed when
// destroyed. Empty (nothing mounted) for a zone without lofs or userns.
class LofsStage {
  public:
    LofsStage() = default;
    explicit LofsStage(std::string path) : path_(std::move(path)) {}
    LofsStage(LofsStage&& o) noexcept : path_(std::exchange(o.path_, {})) {}
    LofsStage& operator=(LofsStage&& o) noexcept {
        if (this != &o) {
            reset();
            path_ = std::exchange(o.path_, {});
        }
        return *this;
    }
    ~LofsStage() { reset(); }
    void reset();

  private:
    std::string path_;
};

Result<LofsStage> stage_lofs_before_clone(const BootSpec& spec);

// ---- parent side, the child blocked at sync #1 ------------------------------

// Writes the child's uid_map and gid_map. setgroups stays allowed: the map is
// written by the host's root, and the zone's root needs setgroups for logins.
Result<void> write_maps_from_parent(pid_t child, uint32_t base, uint32_t count);

// The mounts of plan_handoff(spec), each a detached mount fd, built by the
// host's root for the child's user namespace (after write_maps_from_parent):
// the root only; the lofs slots stay empty (staged before clone instead).
Result<std::vector<UniqueFd>> build_mounts_from_parent(const BootSpec& spec, pid_t child);

// ---- child side: raw system calls only ---------------------------------------

// Receives sync #1: one byte and up to `max` fds (close-on-exec) into `fds`.
// Returns the number of fds, or -1 with errno set (EPIPE when the parent went
// away before sending).
int receive_sync_in_child(int sock, int* fds, int max);

} // namespace zone::userns
