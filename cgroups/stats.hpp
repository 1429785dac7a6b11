// What a zone used, as zonestat shows it, and the pure parsers of the cgroup
// files it comes from (v2: cpu.stat, memory.*, pids.*, io.stat, *.pressure;
// v1: cpuacct.usage*, cpu.stat, memory.*_in_bytes, memory.oom_control,
// blkio.throttle.*). Each controller's part is absent when the host does
// not account it for the zone; a field that is optional inside a present
// part is one that older kernels or cgroup v1 do not provide.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zone::cg {

struct CpuStats {
    std::uint64_t usage_usec = 0;
    std::uint64_t user_usec = 0;
    std::uint64_t system_usec = 0;
    std::uint64_t nr_periods = 0;   // cpu.max periods that had runnable tasks
    std::uint64_t nr_throttled = 0; // periods in which the zone hit its cap
    std::uint64_t throttled_usec = 0;
};

struct MemoryStats {
    std::uint64_t current = 0;
    std::optional<std::uint64_t> peak;         // memory.peak (v2, 5.19+); v1 max_usage_in_bytes
    std::optional<std::uint64_t> max;          // the cap; empty: none
    std::uint64_t oom_kill = 0;                // processes the OOM killer killed in the zone
    std::optional<std::uint64_t> oom_events;   // times the cap invoked the OOM killer (v2 only)
    std::optional<std::uint64_t> anon;         // memory.stat anon (v1 total_rss)
    std::optional<std::uint64_t> file;         // memory.stat file (v1 total_cache)
    std::optional<std::uint64_t> swap_current; // memory.swap.current (v1 memsw - usage)
};

struct PidsStats {
    std::uint64_t current = 0;
    std::optional<std::uint64_t> peak; // pids.peak (6.1+)
    std::optional<std::uint64_t> max;  // empty: no cap
};

struct IoStats {
    std::uint64_t rbytes = 0;
    std::uint64_t wbytes = 0;
    std::uint64_t rios = 0;
    std::uint64_t wios = 0;
};

// One line of a PSI file: "some avg10=0.12 avg60=0.05 avg300=0.01 total=12345".
struct Pressure {
    double avg10 = 0, avg60 = 0, avg300 = 0; // percent of wall time
    std::uint64_t total_usec = 0;            // stalled time since the group exists
};

struct PressureStats {
    Pressure some;                // at least one task stalled
    std::optional<Pressure> full; // every task stalled (cpu: 5.13+)
};

struct Stats {
    std::optional<CpuStats> cpu;
    std::optional<MemoryStats> memory;
    std::optional<PidsStats> pids;
    std::optional<IoStats> io;
    std::optional<PressureStats> cpu_pressure, memory_pressure, io_pressure;
};

// ---- pure parsers ---------------------------------------------------------

// A decimal number, surrounding white space allowed ("123\n").
std::optional<std::uint64_t> parse_u64(std::string_view text);
// "max" -> empty optional-of-limit; "123" -> 123. nullopt-of-result on garbage.
// v1 "unlimited" values (>= 2^62, as memory.limit_in_bytes prints) count as max.
std::optional<std::optional<std::uint64_t>> parse_limit(std::string_view text);
// "key value" lines (cpu.stat, memory.stat, memory.events, memory.oom_control).
std::map<std::string, std::uint64_t> parse_flat_keyed(std::string_view text);
// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" lines, summed.
IoStats parse_io_stat(std::string_view text);
// blkio.throttle.io_service_bytes / io_serviced: "8:0 Read 4096" lines; the
// Read and Write values summed over devices ("Total" lines ignored).
struct ReadWrite {
    std::uint64_t read = 0, write = 0;
};
ReadWrite parse_blkio_rw(std::string_view text);
// cpu.pressure / memory.pressure / io.pressure. nullopt without a "some" line.
std::optional<PressureStats> parse_pressure(std::string_view text);

// v2 cpu.stat (all in usec already).
CpuStats cpu_stats_from_v2(const std::map<std::string, std::uint64_t>& cpu_stat);
// v1: cpuacct.usage*/usage_user/usage_sys in ns; cpu.stat throttled_time in ns.
CpuStats cpu_stats_from_v1(std::uint64_t usage_ns, std::uint64_t user_ns, std::uint64_t sys_ns,
                           const std::map<std::string, std::uint64_t>& cpu_stat);

} // namespace zone::cg
