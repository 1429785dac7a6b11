// zonestat: who used what. One report of totals since each zone booted, or
// with INTERVAL, what happened in each interval (COUNT times, default
// forever): one row per zone, their sum ([total]) and the whole machine
// ([host]), so that what the zones saw can be put next to what the host did.
//
// Per zone: CPU time against wall time, in CPUs and in % of its cap, time
// throttled by the cap, time its runnable tasks waited (PSI "some": the time
// dilation a zone cannot see from inside), memory used/cap/peak, OOM kills,
// processes/cap, block I/O and network bytes.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "zonectl/common.hpp"
#include "zonectl/zonestat_report.hpp"

namespace zonectl {

namespace {

using zone::api::json;
using namespace stat;

int usage(const Tool& t) {
    std::fprintf(
        stderr,
        "usage: %s [-z ZONE[,ZONE...]] [-r RESOURCE[,...]] [-p] [-o json] [INTERVAL [COUNT]]\n"
        "       RESOURCE: cpu, memory, processes, io, net or all (default all)\n",
        t.name.c_str());
    return kExitUsage;
}

// ---- output ---------------------------------------------------------------------------

// One table column: its heading, width and how a row shows in it.
struct Column {
    const char* heading;
    int width;
    std::string (*text)(const Row&, bool interval);
};

std::string fixed(double v, int decimals) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}
bool host(const Row& r) {
    return r.name == "[host]";
}

const std::vector<Column> kCpu = {
    {"CPU-S", 8, [](const Row& r, bool) { return fixed(r.cpu_s, 2); }},
    {"WALL-S", 6, [](const Row& r, bool i) { return i ? fixed(r.wall_s, 2) : std::string("-"); }},
    {"CPUS", 5, [](const Row& r, bool i) { return i ? fixed(r.cpus(), 2) : std::string("-"); }},
    {"CAP", 5, [](const Row& r, bool) { return r.cap > 0 ? fixed(r.cap, 2) : std::string("-"); }},
    {"%CAP", 6,
     [](const Row& r, bool i) {
         return i && r.cap > 0 ? fixed(100.0 * r.cpus() / r.cap, 1) + "%" : std::string("-");
     }},
    {"THROT-S", 7,
     [](const Row& r, bool) { return host(r) ? std::string("-") : fixed(r.throttled_s, 2); }},
    {"WAIT-S", 7, [](const Row& r, bool) { return fixed(r.stall_s, 2); }},
    {"PSI10", 6,
     [](const Row& r, bool) {
         return r.name == "[total]" ? std::string("-") : fixed(r.psi10, 1) + "%";
     }},
};
const std::vector<Column> kMemory = {
    {"MEM", 7, [](const Row& r, bool) { return human(r.mem); }},
    {"MEMCAP", 7,
     [](const Row& r, bool) { return r.mem_cap > 0 ? human(r.mem_cap) : std::string("-"); }},
    {"PEAK", 7,
     [](const Row& r, bool) { return r.mem_peak > 0 ? human(r.mem_peak) : std::string("-"); }},
    {"OOM", 4, [](const Row& r, bool) { return host(r) ? std::string("-") : fixed(r.oom, 0); }},
};
const std::vector<Column> kProcesses = {
    {"PROCS", 6, [](const Row& r, bool) { return host(r) ? std::string("-") : fixed(r.procs, 0); }},
    {"PCAP", 6,
     [](const Row& r, bool) { return r.procs_cap > 0 ? fixed(r.procs_cap, 0) : std::string("-"); }},
};
const std::vector<Column> kIo = {
    {"IO-R", 7, [](const Row& r, bool) { return host(r) ? std::string("-") : human(r.io_r); }},
    {"IO-W", 7, [](const Row& r, bool) { return host(r) ? std::string("-") : human(r.io_w); }},
};
const std::vector<Column> kNet = {
    {"NET-RX", 7, [](const Row& r, bool) { return host(r) ? std::string("-") : human(r.rx); }},
    {"NET-TX", 7, [](const Row& r, bool) { return host(r) ? std::string("-") : human(r.tx); }},
};

std::vector<Column> columns(const Groups& g) {
    std::vector<Column> out;
    for (auto [on, cols] :
         {std::pair{g.cpu, &kCpu}, std::pair{g.memory, &kMemory},
          std::pair{g.processes, &kProcesses}, std::pair{g.io, &kIo}, std::pair{g.net, &kNet}})
        if (on) out.insert(out.end(), cols->begin(), cols->end());
    return out;
}

// -p: the JSON row's values in order, ':'-separated, raw numbers, empty for null.
void print_parseable(const std::vector<Row>& rows, bool interval, const Groups& g) {
    for (const auto& r : rows) {
        json j = row_json(r, interval, g);
        std::string line = r.name;
        for (const auto& [k, v] : j.items()) {
            if (k == "zone") continue;
            line += ":";
            if (v.is_number())
                line +=
                    fixed(v.get<double>(), v.get<double>() == std::floor(v.get<double>()) ? 0 : 3);
        }
        std::printf("%s\n", line.c_str());
    }
}

void print(const std::vector<Row>& rows, bool interval, bool parseable, bool as_json,
           const Groups& g) {
    if (as_json) {
        json a = json::array();
        for (const auto& r : rows)
            a.push_back(row_json(r, interval, g));
        std::printf("%s\n", json{{"interval", interval}, {"zones", a}}.dump().c_str());
    } else if (parseable) {
        print_parseable(rows, interval, g);
    } else {
        auto cols = columns(g);
        // IO and network columns are rates in interval mode: "/s" on the heading.
        auto rate = [&](const Column& c) {
            std::string h = c.heading;
            return interval && (h.rfind("IO-", 0) == 0 || h.rfind("NET-", 0) == 0);
        };
        auto pad = [](const std::string& v, int w) {
            return std::string(
                       static_cast<size_t>(std::max<int>(0, w - static_cast<int>(v.size()))), ' ') +
                   v;
        };
        char name[64];
        snprintf(name, sizeof name, "%-16s", "ZONE");
        std::string head = name;
        for (const auto& c : cols)
            head += " " + pad(std::string(c.heading) + (rate(c) ? "/s" : ""),
                              c.width + (rate(c) ? 2 : 0));
        std::printf("%s\n", head.c_str());
        for (const auto& r : rows) {
            snprintf(name, sizeof name, "%-16s", r.name.c_str());
            std::string line = name;
            for (const auto& c : cols)
                line += " " + pad(c.text(r, interval), c.width + (rate(c) ? 2 : 0));
            std::printf("%s\n", line.c_str());
        }
    }
    std::fflush(stdout);
}

} // namespace

int run_zonestat(Tool& t) {
    json names = json::array();
    bool parseable = false, as_json = false;
    Groups groups;
    std::vector<double> nums;
    for (size_t i = 0; i < t.args.size(); ++i) {
        const std::string& a = t.args[i];
        if (a == "-z" && i + 1 < t.args.size()) {
            for (const auto& n : split_commas(t.args[++i]))
                names.push_back(n);
        } else if (a == "-r" && i + 1 < t.args.size()) {
            if (!parse_groups(t.args[++i], groups)) {
                std::fprintf(stderr,
                             "%s: -r '%s': resources are cpu, memory, processes, io, net or all\n",
                             t.name.c_str(), t.args[i].c_str());
                return kExitUsage;
            }
        } else if (a == "-p") {
            parseable = true;
        } else if (a == "-o" && i + 1 < t.args.size() && t.args[i + 1] == "json") {
            as_json = true;
            ++i;
        } else if (!a.empty() && a[0] != '-') {
            char* end = nullptr;
            double v = std::strtod(a.c_str(), &end);
            if (!end || *end || !(v > 0) || nums.size() == 2) return usage(t);
            nums.push_back(v);
        } else {
            return usage(t);
        }
    }
    auto c = connect(t);
    if (!c) return report(t, c.error());
    json params = json::object();
    if (!names.empty()) params["names"] = names;
    auto first = c->call("zone.stats", params);
    if (!first) return report(t, first.error());
    if (nums.empty()) {
        print(rows_of(*first, nullptr), false, parseable, as_json, groups);
        return kExitOk;
    }
    double interval = nums[0];
    long count = nums.size() > 1 ? static_cast<long>(nums[1]) : -1;
    json before = *first;
    for (long n = 0; count < 0 || n < count; ++n) {
        std::this_thread::sleep_for(std::chrono::duration<double>(interval));
        auto now = c->call("zone.stats", params);
        if (!now) return report(t, now.error());
        print(rows_of(*now, &before), true, parseable, as_json, groups);
        before = *now;
    }
    return kExitOk;
}

} // namespace zonectl
