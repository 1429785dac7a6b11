// Per-zone accounting read from the host side: the cgroup driver's stats
// (CPU incl. throttling, memory, OOM kills, processes, IO, pressure), the
// zone's processes, and its network counters (read through its init's
// /proc entry, which shows the zone's network namespace); and the host's
// own totals, so that zonestat shows both sides.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <string_view>

#include "cgroups/driver.hpp"
#include "runtime/common/error.hpp"

namespace zone::stats {

struct NetCounters {
    uint64_t rx_bytes = 0, rx_packets = 0, tx_bytes = 0, tx_packets = 0;
};

// Pure: /proc/net/dev text, every interface but loopback summed.
NetCounters parse_net_dev(std::string_view text);
// Pure: a key's value in a flat keyed file ("usage_usec 123\n...").
uint64_t keyed_value(std::string_view text, std::string_view key);

struct ZoneSample {
    uint64_t cpu_usec = 0, user_usec = 0, system_usec = 0;
    uint64_t nprocs = 0;
    NetCounters net;
    cg::Stats cgroup;  // what the driver reads (cpu, memory, pids, io, pressure)
};

// Reads the zone's cgroups (through `driver`) and its init's network counters.
Result<ZoneSample> sample_zone(const cg::Driver& driver, const std::string& zone, int init_pid);

// The whole machine: busy CPU time (/proc/stat), memory (/proc/meminfo),
// CPU pressure (/proc/pressure/cpu).
struct HostSample {
    uint64_t cpu_usec = 0;  // user+nice+system+irq+softirq+steal, all CPUs
    uint64_t memory_total = 0, memory_used = 0;  // bytes; used = total - available
    std::optional<cg::PressureStats> cpu_pressure;
};
// Pure: /proc/stat's "cpu" line -> busy microseconds (USER_HZ ticks of `hz`).
uint64_t busy_usec_from_proc_stat(std::string_view text, long hz);
// Pure: /proc/meminfo -> {total, total - available} in bytes.
std::pair<uint64_t, uint64_t> memory_from_meminfo(std::string_view text);
HostSample sample_host();

} // namespace zone::stats
