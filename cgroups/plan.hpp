// Limits -> the cgroup file writes that apply them, for each driver. Pure:
// the driver reads what it needs from the host first (HostState), plans,
// then walks the plan with one open + write(2) per line.
//
// A plan sets every limit the host can enforce: a limit that is set is
// written, one that is unset is reset to the kernel's default (so applying
// an edited configuration to a running zone also lifts removed caps). A
// limit that is set but whose controller the host does not offer is an
// UNSUPPORTED_LIMIT error naming the limit and the controller.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cgroups/limits.hpp"
#include "runtime/common/error.hpp"

namespace zone::cg {

// Error code of a limit the host cannot enforce.
inline constexpr const char* kUnsupportedLimit = "UNSUPPORTED_LIMIT";

struct Write {
    std::string controller;         // the controller the file belongs to (v1: its hierarchy)
    std::string file;               // in the zone's directory, e.g. "pids.max"
    std::vector<std::string> lines; // one write(2) each (io.max takes one device per write)
    std::string limit;              // "pids_max=5"; empty for a reset to the default
    bool is_reset() const { return limit.empty(); }
    bool operator==(const Write&) const = default;
};

// What the driver read from the host before planning.
struct HostState {
    std::set<std::string> controllers; // those the zone's cgroups can use
    // Devices ("8:0") that have an io limit now, per file (io.max, or each of
    // the four v1 blkio.throttle.*_device files), so that dropped ones are reset.
    std::map<std::string, std::vector<std::string>> io_devices;
    // The reset value of cpuset.cpus/mems: v1, the parent's cpuset; v2, the
    // parent's effective sets for a populated zone, else empty ("the parent's").
    std::string parent_cpus, parent_mems;
};

// cgroup v2: cpu.max, cpu.weight, cpuset.cpus/mems, memory.max/high/swap.max,
// pids.max, io.max, io.weight.
Result<std::vector<Write>> plan_v2(const Limits& l, const HostState& host);

// cgroup v1: cpu.cfs_quota_us/cfs_period_us, cpu.shares, cpuset.cpus/mems,
// memory.limit_in_bytes, memory.memsw.limit_in_bytes (= memory + swap, so a
// swap cap needs a memory cap), pids.max, blkio.throttle.{read,write}_{bps,
// iops}_device, blkio.bfq.weight. memory_high has no v1 equivalent: refused.
Result<std::vector<Write>> plan_v1(const Limits& l, const HostState& host);

// "8:0 rbps=1 wbps=max ..." lines (io.max, blkio.throttle.*_device) -> {"8:0", ...}.
std::vector<std::string> devices_in(std::string_view text);

} // namespace zone::cg
