// The zone monitor (like Solaris zoneadmd): one process per running zone,
// started by zoned, parent of the zone's init. It builds the zone (clone3 +
// the child plan), holds the console pty and its bounded log, serves
// `zlogin -C` clients on <run>/zones/<name>/console.sock, records init's exit
// status in exit.json and cleans up the zone's cgroup. It outlives zoned.
//
// Protocol with zoned over fd 3: zoned writes the BootSpec as one JSON line;
// the monitor answers one line: {"ok":true,"init_pid":..,"init_start":..} or
// {"ok":false,"step":"...","errno":N,"message":"..."}.
#pragma once

namespace zone::monitor {

inline constexpr int kControlFd = 3;  // socket to zoned
inline constexpr int kInitFd = 4;     // sealed memfd holding the built-in init
inline constexpr long kConsoleLogMax = 1 << 20;  // bytes before the log rotates

int run();

} // namespace zone::monitor
