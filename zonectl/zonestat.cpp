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

namespace zonectl {

namespace {

using zone::api::json;

int usage(const Tool& t) {
    std::fprintf(stderr,
                 "usage: %s [-z ZONE[,ZONE...]] [-r RESOURCE[,...]] [-p] [-o json] [INTERVAL [COUNT]]\n"
                 "       RESOURCE: cpu, memory, processes, io, net or all (default all)\n",
                 t.name.c_str());
    return kExitUsage;
}

std::vector<std::string> split_commas(const std::string& list) {
    std::vector<std::string> out;
    size_t p = 0;
    while (p <= list.size()) {
        size_t q = list.find(',', p);
        if (q == std::string::npos) q = list.size();
        if (q > p) out.push_back(list.substr(p, q - p));
        p = q + 1;
    }
    return out;
}

std::string human(double v) {
    const char* units[] = {"", "K", "M", "G", "T"};
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    snprintf(buf, sizeof buf, u ? "%.1f%s" : "%.0f%s", v, units[u]);
    return buf;
}

uint64_t u64(const json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_number() ? it->get<uint64_t>() : 0;
}
double num(const json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_number() ? it->get<double>() : 0;
}
const json& sub(const json& j, const char* k) {
    static const json empty = json::object();
    auto it = j.find(k);
    return it != j.end() && it->is_object() ? *it : empty;
}
// A counter's growth between two samples (0 when it went backwards: a reboot).
double delta(uint64_t now, uint64_t before) { return now >= before ? static_cast<double>(now - before) : 0; }

struct Row {
    std::string name;
    double cpu_s = 0, wall_s = 0;       // CPU time used, wall time (interval mode)
    double cap = 0;                     // the cap in CPUs; 0: none
    double host_cpus = 1;
    double throttled_s = 0, stall_s = 0, psi10 = 0;
    double mem = 0, mem_cap = 0, mem_peak = 0, oom = 0;
    double procs = 0, procs_cap = 0;
    double io_r = 0, io_w = 0, rx = 0, tx = 0;  // bytes, per second in interval mode
    double cpus() const { return wall_s > 0 ? cpu_s / wall_s : 0; }
};

// One zone's sample -> its row; `before` (interval mode) is its previous sample.
Row zone_row(const json& z, const json* before, double dt, double host_cpus) {
    Row r{z.value("name", "")};
    r.host_cpus = host_cpus;
    const json& caps = sub(z, "caps");
    r.cap = caps.contains("ncpus") ? num(caps, "ncpus") : num(caps, "ncpus_dedicated");
    const json& cpu = sub(z, "cpu");
    const json& psi = sub(sub(sub(z, "pressure"), "cpu"), "some");
    const json& mem = sub(z, "memory");
    const json& pids = sub(z, "pids");
    const json& io = sub(z, "io");
    const json& net = sub(z, "net");
    r.psi10 = num(psi, "avg10");
    r.mem = num(mem, "current");
    r.mem_cap = num(mem, "max");
    r.mem_peak = num(mem, "peak");
    r.oom = num(mem, "oom_kill");
    r.procs = pids.contains("current") ? num(pids, "current") : num(z, "nprocs");
    r.procs_cap = num(pids, "max");
    double per = 1;
    if (before) {
        const json& b = *before;
        r.wall_s = dt;
        r.cpu_s = delta(u64(z, "cpu_usec"), u64(b, "cpu_usec")) / 1e6;
        r.throttled_s = delta(u64(cpu, "throttled_usec"), u64(sub(b, "cpu"), "throttled_usec")) / 1e6;
        r.stall_s = delta(u64(psi, "total_usec"),
                          u64(sub(sub(sub(b, "pressure"), "cpu"), "some"), "total_usec")) / 1e6;
        per = dt > 0 ? dt : 1;
        r.io_r = delta(u64(io, "rbytes"), u64(sub(b, "io"), "rbytes")) / per;
        r.io_w = delta(u64(io, "wbytes"), u64(sub(b, "io"), "wbytes")) / per;
        r.rx = delta(u64(net, "rx_bytes"), u64(sub(b, "net"), "rx_bytes")) / per;
        r.tx = delta(u64(net, "tx_bytes"), u64(sub(b, "net"), "tx_bytes")) / per;
    } else {
        r.cpu_s = u64(z, "cpu_usec") / 1e6;
        r.throttled_s = u64(cpu, "throttled_usec") / 1e6;
        r.stall_s = u64(psi, "total_usec") / 1e6;
        r.io_r = num(io, "rbytes");
        r.io_w = num(io, "wbytes");
        r.rx = num(net, "rx_bytes");
        r.tx = num(net, "tx_bytes");
    }
    return r;
}

Row host_row(const json& now, const json* before, double dt) {
    const json& h = sub(now, "host");
    Row r{"[host]"};
    r.host_cpus = std::max(1.0, num(h, "ncpus"));
    r.cap = r.host_cpus;
    r.mem = num(h, "memory_used");
    r.mem_cap = num(h, "memory_total");
    const json& psi = sub(sub(sub(h, "pressure"), "cpu"), "some");
    r.psi10 = num(psi, "avg10");
    if (before) {
        const json& b = sub(*before, "host");
        r.wall_s = dt;
        r.cpu_s = delta(u64(h, "cpu_usec"), u64(b, "cpu_usec")) / 1e6;
        r.stall_s = delta(u64(psi, "total_usec"),
                          u64(sub(sub(sub(b, "pressure"), "cpu"), "some"), "total_usec")) / 1e6;
    } else {
        r.cpu_s = u64(h, "cpu_usec") / 1e6;
        r.stall_s = u64(psi, "total_usec") / 1e6;
    }
    return r;
}

std::vector<Row> rows_of(const json& now, const json* before) {
    std::map<std::string, json> prev;
    if (before)
        for (const auto& z : (*before)["zones"]) prev[z.value("name", "")] = z;
    double dt = before ? delta(u64(now, "time_ns"), u64(*before, "time_ns")) / 1e9 : 0;
    double ncpus = std::max<double>(1, now.value("ncpus", 1));
    std::vector<Row> out;
    Row total{"[total]"};
    total.host_cpus = ncpus;
    total.wall_s = dt;
    for (const auto& z : now["zones"]) {
        auto it = prev.find(z.value("name", ""));
        if (before && it == prev.end()) continue;  // booted during the interval: no rate yet
        Row r = zone_row(z, before ? &it->second : nullptr, dt, ncpus);
        total.cpu_s += r.cpu_s;
        total.throttled_s += r.throttled_s;
        total.stall_s += r.stall_s;
        total.mem += r.mem;
        total.mem_peak += r.mem_peak;
        total.oom += r.oom;
        total.procs += r.procs;
        total.io_r += r.io_r;
        total.io_w += r.io_w;
        total.rx += r.rx;
        total.tx += r.tx;
        out.push_back(r);
    }
    out.push_back(total);
    out.push_back(host_row(now, before, dt));
    return out;
}

// ---- output ---------------------------------------------------------------------------

struct Groups {
    bool cpu = true, memory = true, processes = true, io = true, net = true;
};

bool parse_groups(const std::string& list, Groups& g) {
    g = Groups{false, false, false, false, false};
    for (const auto& w : split_commas(list)) {
        if (w == "all") g = Groups{};
        else if (w == "cpu") g.cpu = true;
        else if (w == "memory" || w == "mem") g.memory = true;
        else if (w == "processes" || w == "proc") g.processes = true;
        else if (w == "io") g.io = true;
        else if (w == "net" || w == "network") g.net = true;
        else return false;
    }
    return g.cpu || g.memory || g.processes || g.io || g.net;
}

// A value that does not apply (no cap, no interval) is null in JSON, "-" in
// the table and empty in the parseable form.
json maybe(bool has, double v) { return has ? json(v) : json(nullptr); }

json row_json(const Row& r, bool interval, const Groups& g) {
    json j{{"zone", r.name}};
    bool is_host = r.name == "[host]";
    if (g.cpu) {
        j["cpu_seconds"] = r.cpu_s;
        j["wall_seconds"] = maybe(interval, r.wall_s);
        j["cpus"] = maybe(interval, r.cpus());
        j["cpu_pct"] = maybe(interval, 100.0 * r.cpus() / r.host_cpus);
        j["cpu_cap"] = maybe(r.cap > 0, r.cap);
        j["cpu_cap_pct"] = maybe(interval && r.cap > 0, r.cap > 0 ? 100.0 * r.cpus() / r.cap : 0);
        j["throttled_seconds"] = maybe(!is_host, r.throttled_s);
        j["cpu_stall_seconds"] = r.stall_s;
        j["cpu_psi_avg10"] = maybe(r.name != "[total]", r.psi10);
    }
    if (g.memory) {
        j["memory_bytes"] = r.mem;
        j["memory_cap"] = maybe(r.mem_cap > 0, r.mem_cap);
        j["memory_peak"] = maybe(r.mem_peak > 0, r.mem_peak);
        j["oom_kills"] = maybe(!is_host, r.oom);
    }
    if (g.processes) {
        j["procs"] = maybe(!is_host, r.procs);
        j["procs_cap"] = maybe(r.procs_cap > 0, r.procs_cap);
    }
    std::string rate = interval ? "_per_s" : "";
    if (g.io) {
        j["io_read_bytes" + rate] = maybe(!is_host, r.io_r);
        j["io_write_bytes" + rate] = maybe(!is_host, r.io_w);
    }
    if (g.net) {
        j["rx_bytes" + rate] = maybe(!is_host, r.rx);
        j["tx_bytes" + rate] = maybe(!is_host, r.tx);
    }
    return j;
}

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
bool host(const Row& r) { return r.name == "[host]"; }

const std::vector<Column> kCpu = {
    {"CPU-S", 8, [](const Row& r, bool) { return fixed(r.cpu_s, 2); }},
    {"WALL-S", 6, [](const Row& r, bool i) { return i ? fixed(r.wall_s, 2) : std::string("-"); }},
    {"CPUS", 5, [](const Row& r, bool i) { return i ? fixed(r.cpus(), 2) : std::string("-"); }},
    {"CAP", 5, [](const Row& r, bool) { return r.cap > 0 ? fixed(r.cap, 2) : std::string("-"); }},
    {"%CAP", 6, [](const Row& r, bool i) {
         return i && r.cap > 0 ? fixed(100.0 * r.cpus() / r.cap, 1) + "%" : std::string("-");
     }},
    {"THROT-S", 7, [](const Row& r, bool) { return host(r) ? std::string("-") : fixed(r.throttled_s, 2); }},
    {"WAIT-S", 7, [](const Row& r, bool) { return fixed(r.stall_s, 2); }},
    {"PSI10", 6, [](const Row& r, bool) { return r.name == "[total]" ? std::string("-") : fixed(r.psi10, 1) + "%"; }},
};
const std::vector<Column> kMemory = {
    {"MEM", 7, [](const Row& r, bool) { return human(r.mem); }},
    {"MEMCAP", 7, [](const Row& r, bool) { return r.mem_cap > 0 ? human(r.mem_cap) : std::string("-"); }},
    {"PEAK", 7, [](const Row& r, bool) { return r.mem_peak > 0 ? human(r.mem_peak) : std::string("-"); }},
    {"OOM", 4, [](const Row& r, bool) { return host(r) ? std::string("-") : fixed(r.oom, 0); }},
};
const std::vector<Column> kProcesses = {
    {"PROCS", 6, [](const Row& r, bool) { return host(r) ? std::string("-") : fixed(r.procs, 0); }},
    {"PCAP", 6, [](const Row& r, bool) { return r.procs_cap > 0 ? fixed(r.procs_cap, 0) : std::string("-"); }},
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
    for (auto [on, cols] : {std::pair{g.cpu, &kCpu}, std::pair{g.memory, &kMemory},
                            std::pair{g.processes, &kProcesses}, std::pair{g.io, &kIo},
                            std::pair{g.net, &kNet}})
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
            if (v.is_number()) line += fixed(v.get<double>(), v.get<double>() == std::floor(v.get<double>()) ? 0 : 3);
        }
        std::printf("%s\n", line.c_str());
    }
}

void print(const std::vector<Row>& rows, bool interval, bool parseable, bool as_json, const Groups& g) {
    if (as_json) {
        json a = json::array();
        for (const auto& r : rows) a.push_back(row_json(r, interval, g));
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
            return std::string(static_cast<size_t>(std::max<int>(0, w - static_cast<int>(v.size()))), ' ') + v;
        };
        char name[64];
        snprintf(name, sizeof name, "%-16s", "ZONE");
        std::string head = name;
        for (const auto& c : cols)
            head += " " + pad(std::string(c.heading) + (rate(c) ? "/s" : ""), c.width + (rate(c) ? 2 : 0));
        std::printf("%s\n", head.c_str());
        for (const auto& r : rows) {
            snprintf(name, sizeof name, "%-16s", r.name.c_str());
            std::string line = name;
            for (const auto& c : cols) line += " " + pad(c.text(r, interval), c.width + (rate(c) ? 2 : 0));
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
            for (const auto& n : split_commas(t.args[++i])) names.push_back(n);
        } else if (a == "-r" && i + 1 < t.args.size()) {
            if (!parse_groups(t.args[++i], groups)) {
                std::fprintf(stderr, "%s: -r '%s': resources are cpu, memory, processes, io, net or all\n",
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
