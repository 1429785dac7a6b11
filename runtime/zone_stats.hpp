// Per-zone accounting read from the host side: CPU time from the zone's
// cgroup, its processes, and its network counters (read through its init's
// /proc entry, which shows the zone's network namespace). Limits and memory
// come with the resource-control driver.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
};

// Reads the zone's cgroup directory and its init's network counters.
Result<ZoneSample> sample_zone(const std::string& cgroup_dir, int init_pid);

} // namespace zone::stats
