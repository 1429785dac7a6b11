// zonestat's reports, pure: zone.stats samples -> rows (one per zone,
// [total], [host]) and rows -> the JSON/parseable fields. Unit-tested; the
// I/O is zonestat.cpp's.
#pragma once

#include <string>
#include <vector>

#include "runtime/api/protocol.hpp"

namespace zonectl::stat {

using zone::api::json;

struct Row {
    std::string name;
    double cpu_s = 0, wall_s = 0; // CPU time used, wall time (interval mode)
    double cap = 0;               // the cap in CPUs; 0: none
    double host_cpus = 1;
    double throttled_s = 0, stall_s = 0, psi10 = 0;
    double mem = 0, mem_cap = 0, mem_peak = 0, oom = 0;
    double procs = 0, procs_cap = 0;
    double io_r = 0, io_w = 0, rx = 0, tx = 0; // bytes, per second in interval mode
    double cpus() const { return wall_s > 0 ? cpu_s / wall_s : 0; }
};

// The rows of one report: `now` alone (totals since boot), or the interval
// from `before` to `now` (a zone missing from `before` is left out).
std::vector<Row> rows_of(const json& now, const json* before);

// Which groups of columns (-r).
struct Groups {
    bool cpu = true, memory = true, processes = true, io = true, net = true;
};
// "cpu,memory" -> Groups; false for an unknown name.
bool parse_groups(const std::string& list, Groups& g);

// A row's fields for -o json and -p (null where a value does not apply).
json row_json(const Row& r, bool interval, const Groups& g);

std::string human(double bytes);
std::vector<std::string> split_commas(const std::string& list);

} // namespace zonectl::stat
