// A zone's resource limits as typed values, and the pure mapping from its
// zonecfg (capped-cpu, cpu-shares, dedicated-cpu, capped-memory,
// max-processes, rctl) to them. Which files a driver writes for them is
// plan.hpp's business; this file knows nothing of cgroup versions.
//
// Every field is optional: unset means "no limit" (and apply() resets a
// previously set limit to the kernel's default, so a live re-application of
// an edited configuration also removes caps).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace zone::config {
struct ZoneConfig;
}

namespace zone::cg {

inline constexpr std::uint64_t kDefaultCpuPeriodUs = 100000; // cpu.max period, 100 ms
inline constexpr unsigned kDefaultCpuWeight = 100;           // cpu.weight when unset
inline constexpr unsigned kMaxCpuWeight = 10000;

// cpu.max: the zone may run `quota_us` of CPU time every `period_us`.
struct CpuMax {
    std::uint64_t quota_us = 0;
    std::uint64_t period_us = kDefaultCpuPeriodUs;
    bool operator==(const CpuMax&) const = default;
};

// dedicated-cpu ncpus=N or N-M: a number of CPUs that the daemon still has to
// choose (pick_cpus) among the CPUs no other running zone holds.
struct CpuCount {
    unsigned min = 0;
    unsigned max = 0;
    bool operator==(const CpuCount&) const = default;
};

// io.max for one block device; an unset field is unlimited.
struct IoMax {
    unsigned major = 0;
    unsigned minor = 0;
    std::optional<std::uint64_t> rbps, wbps, riops, wiops;
    bool operator==(const IoMax&) const = default;
};

struct Limits {
    std::optional<CpuMax> cpu_max;                // cpu.max
    std::optional<unsigned> cpu_weight;           // cpu.weight, 1..10000
    std::optional<std::string> cpuset_cpus;       // cpuset.cpus, e.g. "0-1,3"
    std::optional<std::string> cpuset_mems;       // cpuset.mems
    std::optional<CpuCount> dedicated_ncpus;      // resolve into cpuset_cpus before apply
    std::optional<std::uint64_t> memory_max;      // bytes, memory.max
    std::optional<std::uint64_t> memory_high;     // bytes, memory.high (v2 only)
    std::optional<std::uint64_t> memory_swap_max; // bytes, memory.swap.max
    std::optional<std::uint64_t> pids_max;        // pids.max
    std::vector<IoMax> io_max;                    // io.max, one entry per device
    std::optional<unsigned> io_weight;            // io.weight, 1..10000

    bool operator==(const Limits&) const = default;
    bool empty() const { return *this == Limits{}; }
};

// Solaris zonecfg -> Limits. Pure. Bad values give INVALID_CONFIG errors, as
// do two settings of one limit that disagree (capped-cpu and zone.cpu-cap,
// cpu-shares and zone.cpu-shares, capped-memory swap and zone.max-swap).
//
//   capped-cpu ncpus=1.5, rctl zone.cpu-cap=150 (percent of one CPU)
//                                   -> cpu_max {150000, 100000}
//   cpu-shares=N, rctl zone.cpu-shares=N -> cpu_weight = weight_from_shares(N)
//   dedicated-cpu cpus=0-1,3        -> cpuset_cpus "0-1,3"
//   dedicated-cpu ncpus=2 or 2-4    -> dedicated_ncpus {2,2} or {2,4}
//   capped-memory physical=2G       -> memory_max
//   capped-memory swap, rctl zone.max-swap -> memory_swap_max
//   max-processes, rctl zone.max-processes, rctl zone.max-lwps
//                                   -> pids_max (the smallest; Linux counts
//                                      tasks, i.e. LWPs, in pids.current)
//   io-shares=N                     -> io_weight = N (1..10000)
//   device-io match=/dev/vda read-bps=10M write-iops=100 ...
//                                   -> io_max {254, 0, rbps, wbps, riops, wiops}
// memory_high and cpuset_mems have no zonecfg source yet.
// The rctl action (deny/none) is not distinguished: cgroups can only deny.
//
// device-io's `match` is MAJOR:MINOR or a path that `lookup` turns into the
// block device's numbers (default: stat(2) of the host path, which must be a
// block device).
struct DeviceNumber {
    unsigned major = 0, minor = 0;
};
using DeviceLookup = std::function<Result<DeviceNumber>(const std::string& path)>;
Result<DeviceNumber> stat_block_device(const std::string& path);
Result<Limits> limits_from_config(const config::ZoneConfig& cfg,
                                  const DeviceLookup& lookup = stat_block_device);

// Solaris FSS shares -> cgroup cpu.weight: the identity, clamped to 1..10000.
// Both are relative, so the ratio between zones is kept exactly (1:4 shares
// is 1:4 weight). A zone without cpu-shares has weight 100 (the kernel's
// default), i.e. it counts as 100 shares, not as Solaris's default of 1.
unsigned weight_from_shares(std::uint64_t shares);

// cgroup v1 equivalents (the mapping systemd uses for its v1 fallback):
// cpu.shares = weight * 1024 / 100 clamped to 2..262144 (default 100 <-> 1024,
// ratios kept); blkio.bfq.weight = weight / 10 clamped to 1..1000.
std::uint64_t v1_shares_from_weight(unsigned weight);
unsigned v1_bfq_weight_from_io_weight(unsigned weight);

// "0-2,5" <-> {0,1,2,5}. parse_cpu_list("") is the empty set.
Result<std::set<unsigned>> parse_cpu_list(std::string_view s);
std::string format_cpu_list(const std::set<unsigned>& cpus);

// Chooses CPUs for dedicated-cpu ncpus: as many as `want.max`, at least
// `want.min`, lowest numbers first, from `available` (the parent's
// cpuset.cpus.effective) minus `taken` (CPUs other running zones hold).
// Pure; fails when fewer than `want.min` are free.
Result<std::string> pick_cpus(const CpuCount& want, std::string_view available,
                              std::string_view taken);

// One line for logs and `zoneadm list -v`: "cpu.max=150000/100000 pids.max=64".
std::string describe(const Limits& l);

} // namespace zone::cg
