// The device policy of a zone: a BPF_PROG_TYPE_CGROUP_DEVICE program on the
// zone's cgroup2 group, so that no process of the zone may open (or mknod)
// a host block device, /dev/mem, /dev/kmem or /dev/port, even if such a node
// appears in the zone (a lofs of a host directory, a node made before the
// filter). It is checked by the kernel on every open of a device node by a
// process in that group or below, in the unified and the hybrid layout.
// A few raw eBPF instructions loaded with bpf(2) by the monitor: no library.
#pragma once

#include "runtime/common/error.hpp"

namespace zone::devices {

// Loads the program and attaches it to the cgroup2 directory `cgroup_dirfd`
// (no override below: the zone cannot replace it). The kernel keeps it
// until the group is removed.
Result<void> attach_policy(int cgroup_dirfd);

} // namespace zone::devices
