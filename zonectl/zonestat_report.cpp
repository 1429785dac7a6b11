#include "zonectl/zonestat_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace zonectl::stat {

namespace {

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
double delta(uint64_t now, uint64_t before) {
    return now >= before ? static_cast<double>(now - before) : 0;
}

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
        r.throttled_s =
            delta(u64(cpu, "throttled_usec"), u64(sub(b, "cpu"), "throttled_usec")) / 1e6;
        r.stall_s = delta(u64(psi, "total_usec"),
                          u64(sub(sub(sub(b, "pressure"), "cpu"), "some"), "total_usec")) /
                    1e6;
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
                          u64(sub(sub(sub(b, "pressure"), "cpu"), "some"), "total_usec")) /
                    1e6;
    } else {
        r.cpu_s = u64(h, "cpu_usec") / 1e6;
        r.stall_s = u64(psi, "total_usec") / 1e6;
    }
    return r;
}

// A value that does not apply (no cap, no interval) is null in JSON, "-" in
// the table and empty in the parseable form.
json maybe(bool has, double v) {
    return has ? json(v) : json(nullptr);
}

} // namespace

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

std::vector<Row> rows_of(const json& now, const json* before) {
    std::map<std::string, json> prev;
    if (before)
        for (const auto& z : (*before)["zones"])
            prev[z.value("name", "")] = z;
    double dt = before ? delta(u64(now, "time_ns"), u64(*before, "time_ns")) / 1e9 : 0;
    double ncpus = std::max<double>(1, now.value("ncpus", 1));
    std::vector<Row> out;
    Row total{"[total]"};
    total.host_cpus = ncpus;
    total.wall_s = dt;
    for (const auto& z : now["zones"]) {
        auto it = prev.find(z.value("name", ""));
        if (before && it == prev.end()) continue; // booted during the interval: no rate yet
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

bool parse_groups(const std::string& list, Groups& g) {
    g = Groups{false, false, false, false, false};
    for (const auto& w : split_commas(list)) {
        if (w == "all")
            g = Groups{};
        else if (w == "cpu")
            g.cpu = true;
        else if (w == "memory" || w == "mem")
            g.memory = true;
        else if (w == "processes" || w == "proc")
            g.processes = true;
        else if (w == "io")
            g.io = true;
        else if (w == "net" || w == "network")
            g.net = true;
        else
            return false;
    }
    return g.cpu || g.memory || g.processes || g.io || g.net;
}

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

} // namespace zonectl::stat
