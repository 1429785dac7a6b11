// The zone life-cycle operations, each called with the zone's lock held.
// They persist every transition before returning (DESIGN.md).
#pragma once

#include <memory>

#include "runtime/boot_spec.hpp"
#include "runtime/daemon.hpp"

namespace zone {

// zone_install.cpp
Result<void> install_zone(Daemon& d, Zone& z);
Result<void> uninstall_zone(Daemon& d, Zone& z, bool force);

// zone_ids.cpp: userns=auto: the zone's id range (acquired, kept) into
// `spec`, and its own files shifted onto it (or back to host ids).
Result<void> prepare_zone_ids(Daemon& d, Zone& z, BootSpec& spec);

// zone_start.cpp: THE start sequence.
Result<void> boot_zone(Daemon& d, const std::shared_ptr<Zone>& z);

// zone_stop.cpp
Result<void> halt_zone(Daemon& d, Zone& z);
// The signal a graceful shutdown sends the zone's init (`init` as configured):
// SIGRTMIN+3 for systemd (/sbin/init and systemd's own paths), else SIGTERM.
int shutdown_signal(const std::string& init);
Result<void> shutdown_zone(Daemon& d, Zone& z, int timeout_s);
// After the monitor exited: record init's exit, back to installed.
void finish_zone(Daemon& d, Zone& z);
// Waits in a thread of its own for the monitor to exit, then finishes the zone.
void watch_zone(Daemon& d, const std::shared_ptr<Zone>& z);
// zoned start-up: find a running zone's monitor and init again, or finish it.
void readopt_zone(Daemon& d, const std::shared_ptr<Zone>& z);

// zoned start-up, for a zone recorded as not running: kill and remove what
// a boot cut off by a crash of zoned left in its cgroup.
void reap_orphan_cgroup(Daemon& d, Zone& z);

// The running zone's init, as a pidfd (re-opened from state if needed).
Result<int> zone_init_pidfd(Zone& z);

} // namespace zone
