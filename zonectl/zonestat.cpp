// zonestat: who used what. One report of totals since each zone booted, or
// with INTERVAL, rates over each interval (COUNT times, default forever).
// This first version reports CPU, processes and network; memory, caps,
// throttling and pressure come with the resource-control driver.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "zonectl/common.hpp"

namespace zonectl {

namespace {

using zone::api::json;

int usage(const Tool& t) {
    std::fprintf(stderr, "usage: %s [-z ZONE[,ZONE...]] [-p] [-o json] [INTERVAL [COUNT]]\n", t.name.c_str());
    return kExitUsage;
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

struct Row {
    std::string name;
    double cpu = 0;      // CPUs used over the interval, or CPU seconds in total
    double pct = 0;      // % of the host's CPUs (interval mode)
    uint64_t procs = 0;
    double rx = 0, tx = 0;  // bytes (per second in interval mode)
};

uint64_t u64(const json& j, const char* k) { return j.value(k, uint64_t{0}); }

std::vector<Row> rows_of(const json& now, const json* before) {
    std::map<std::string, json> prev;
    if (before)
        for (const auto& z : (*before)["zones"]) prev[z.value("name", "")] = z;
    double dt = before ? (u64(now, "time_ns") - u64(*before, "time_ns")) / 1e9 : 0;
    double ncpus = std::max<double>(1, now.value("ncpus", 1));
    std::vector<Row> out;
    Row total{"[total]"};
    for (const auto& z : now["zones"]) {
        Row r{z.value("name", "")};
        const json& n = z["net"];
        r.procs = u64(z, "nprocs");
        auto it = prev.find(r.name);
        if (before && it != prev.end() && dt > 0) {
            const json& p = it->second;
            r.cpu = (u64(z, "cpu_usec") - u64(p, "cpu_usec")) / 1e6 / dt;
            r.pct = 100.0 * r.cpu / ncpus;
            r.rx = (u64(n, "rx_bytes") - u64(p["net"], "rx_bytes")) / dt;
            r.tx = (u64(n, "tx_bytes") - u64(p["net"], "tx_bytes")) / dt;
        } else if (!before) {
            r.cpu = u64(z, "cpu_usec") / 1e6;
            r.rx = static_cast<double>(u64(n, "rx_bytes"));
            r.tx = static_cast<double>(u64(n, "tx_bytes"));
        } else {
            continue;  // booted during the interval: no rate yet
        }
        total.cpu += r.cpu;
        total.pct += r.pct;
        total.procs += r.procs;
        total.rx += r.rx;
        total.tx += r.tx;
        out.push_back(r);
    }
    out.push_back(total);
    return out;
}

void print(const std::vector<Row>& rows, bool interval, bool parseable, bool as_json) {
    if (as_json) {
        json a = json::array();
        for (const auto& r : rows)
            a.push_back({{"zone", r.name}, {interval ? "cpus" : "cpu_seconds", r.cpu}, {"cpu_pct", r.pct},
                         {"procs", r.procs}, {interval ? "rx_bytes_per_s" : "rx_bytes", r.rx},
                         {interval ? "tx_bytes_per_s" : "tx_bytes", r.tx}});
        std::printf("%s\n", json{{"interval", interval}, {"zones", a}}.dump().c_str());
    } else if (parseable) {
        for (const auto& r : rows)
            std::printf("%s:%.3f:%.1f:%llu:%.0f:%.0f\n", r.name.c_str(), r.cpu, r.pct,
                        static_cast<unsigned long long>(r.procs), r.rx, r.tx);
    } else {
        std::printf(interval ? "%-16s %7s %6s %6s %9s %9s\n" : "%-16s %7s %6s %6s %9s %9s\n", "ZONE",
                    interval ? "CPUS" : "CPU-SEC", interval ? "%CPU" : "", "PROCS",
                    interval ? "NET-RX/s" : "NET-RX", interval ? "NET-TX/s" : "NET-TX");
        for (const auto& r : rows) {
            char pct[16] = "";
            if (interval) snprintf(pct, sizeof pct, "%.1f%%", r.pct);
            std::printf("%-16s %7.2f %6s %6llu %9s %9s\n", r.name.c_str(), r.cpu, pct,
                        static_cast<unsigned long long>(r.procs), human(r.rx).c_str(), human(r.tx).c_str());
        }
    }
    std::fflush(stdout);
}

} // namespace

int run_zonestat(Tool& t) {
    json names = json::array();
    bool parseable = false, as_json = false;
    std::vector<double> nums;
    for (size_t i = 0; i < t.args.size(); ++i) {
        const std::string& a = t.args[i];
        if (a == "-z" && i + 1 < t.args.size()) {
            std::string list = t.args[++i];
            size_t p = 0;
            while (p <= list.size()) {
                size_t q = list.find(',', p);
                if (q == std::string::npos) q = list.size();
                if (q > p) names.push_back(list.substr(p, q - p));
                p = q + 1;
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
        print(rows_of(*first, nullptr), false, parseable, as_json);
        return kExitOk;
    }
    double interval = nums[0];
    long count = nums.size() > 1 ? static_cast<long>(nums[1]) : -1;
    json before = *first;
    for (long n = 0; count < 0 || n < count; ++n) {
        std::this_thread::sleep_for(std::chrono::duration<double>(interval));
        auto now = c->call("zone.stats", params);
        if (!now) return report(t, now.error());
        print(rows_of(*now, &before), true, parseable, as_json);
        before = *now;
    }
    return kExitOk;
}

} // namespace zonectl
