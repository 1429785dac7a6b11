// zonestat's reports from zone.stats samples (zonectl/zonestat_report.cpp):
// rates over an interval, caps, the [total] and [host] rows, -r and the
// fields of -o json / -p.
#include <gtest/gtest.h>

#include "zonectl/zonestat_report.cpp"

namespace zonectl::stat {
namespace {

json Zone(const std::string& name, uint64_t cpu_usec, uint64_t throttled, uint64_t stall,
          uint64_t rbytes) {
    return json{
        {"name", name},
        {"cpu_usec", cpu_usec},
        {"nprocs", 3},
        {"net", {{"rx_bytes", 100}, {"tx_bytes", 50}}},
        {"caps", {{"ncpus", 0.5}, {"memory", 64 << 20}, {"processes", 64}}},
        {"cpu", {{"usage_usec", cpu_usec}, {"throttled_usec", throttled}}},
        {"memory", {{"current", 1 << 20}, {"max", 64 << 20}, {"peak", 2 << 20}, {"oom_kill", 1}}},
        {"pids", {{"current", 5}, {"max", 64}}},
        {"io", {{"rbytes", rbytes}, {"wbytes", 0}}},
        {"pressure", {{"cpu", {{"some", {{"avg10", 12.5}, {"total_usec", stall}}}}}}}};
}

json Sample(uint64_t time_ns, json zones, uint64_t host_cpu) {
    return json{
        {"time_ns", time_ns},
        {"ncpus", 2},
        {"zones", std::move(zones)},
        {"host",
         {{"ncpus", 2}, {"cpu_usec", host_cpu}, {"memory_total", 1000}, {"memory_used", 400}}}};
}

TEST(Zonestat_Rows, IntervalRatesAgainstTheCapAndTheHost) {
    json a = Sample(1'000'000'000, json::array({Zone("web", 1'000'000, 0, 0, 0)}), 5'000'000);
    json b = Sample(
        3'000'000'000,
        json::array({Zone("web", 2'000'000, 500'000, 1'500'000, 4096), Zone("late", 10, 0, 0, 0)}),
        8'000'000);
    auto rows = rows_of(b, &a);
    ASSERT_EQ(rows.size(), 3U) << "the zone that booted meanwhile waits for the next report";
    const Row& web = rows[0];
    EXPECT_EQ(web.name, "web");
    EXPECT_DOUBLE_EQ(web.wall_s, 2.0);
    EXPECT_DOUBLE_EQ(web.cpu_s, 1.0);
    EXPECT_DOUBLE_EQ(web.cpus(), 0.5);
    EXPECT_DOUBLE_EQ(web.cap, 0.5);
    EXPECT_DOUBLE_EQ(web.throttled_s, 0.5);
    EXPECT_DOUBLE_EQ(web.stall_s, 1.5);
    EXPECT_DOUBLE_EQ(web.io_r, 2048.0) << "bytes per second";
    EXPECT_DOUBLE_EQ(web.procs, 5.0) << "pids.current over the process list";
    EXPECT_DOUBLE_EQ(web.procs_cap, 64.0);
    EXPECT_DOUBLE_EQ(web.oom, 1.0);
    EXPECT_EQ(rows[1].name, "[total]");
    EXPECT_DOUBLE_EQ(rows[1].cpu_s, 1.0);
    const Row& host = rows[2];
    EXPECT_EQ(host.name, "[host]");
    EXPECT_DOUBLE_EQ(host.cpus(), 1.5);
    EXPECT_DOUBLE_EQ(host.cap, 2.0);
    EXPECT_DOUBLE_EQ(host.mem, 400.0);
    EXPECT_DOUBLE_EQ(host.mem_cap, 1000.0);

    json j = row_json(web, true, Groups{});
    EXPECT_DOUBLE_EQ(j["cpu_cap_pct"].get<double>(), 100.0);
    EXPECT_DOUBLE_EQ(j["cpu_pct"].get<double>(), 25.0);
    EXPECT_DOUBLE_EQ(j["io_read_bytes_per_s"].get<double>(), 2048.0);
    EXPECT_TRUE(j["memory_cap"].is_number());
    json h = row_json(host, true, Groups{});
    EXPECT_TRUE(h["oom_kills"].is_null());
    EXPECT_TRUE(h["procs"].is_null());
}

TEST(Zonestat_Rows, TotalsSinceBootAndACounterThatWentBack) {
    json now = Sample(5, json::array({Zone("web", 3'000'000, 250'000, 0, 10)}), 9);
    auto rows = rows_of(now, nullptr);
    json j = row_json(rows[0], false, Groups{});
    EXPECT_DOUBLE_EQ(j["cpu_seconds"].get<double>(), 3.0);
    EXPECT_TRUE(j["cpus"].is_null()) << "no rate without an interval";
    EXPECT_TRUE(j["wall_seconds"].is_null());
    EXPECT_DOUBLE_EQ(j["throttled_seconds"].get<double>(), 0.25);
    EXPECT_DOUBLE_EQ(j["io_read_bytes"].get<double>(), 10.0);
    EXPECT_DOUBLE_EQ(j["rx_bytes"].get<double>(), 100.0);
    // A zone rebooted between samples: its counters restart, no negative rate.
    json before = Sample(1, json::array({Zone("web", 9'000'000, 0, 0, 0)}), 1);
    json after = Sample(1'000'000'001, json::array({Zone("web", 1'000, 0, 0, 0)}), 2);
    EXPECT_DOUBLE_EQ(rows_of(after, &before)[0].cpu_s, 0.0);
}

TEST(Zonestat_Groups, SelectsColumnsAndRefusesUnknownNames) {
    Groups g;
    ASSERT_TRUE(parse_groups("cpu,proc", g));
    EXPECT_TRUE(g.cpu && g.processes);
    EXPECT_FALSE(g.memory || g.io || g.net);
    Row r{"web"};
    json j = row_json(r, false, g);
    EXPECT_TRUE(j.contains("cpu_seconds"));
    EXPECT_TRUE(j.contains("procs"));
    EXPECT_FALSE(j.contains("memory_bytes"));
    EXPECT_FALSE(j.contains("rx_bytes"));
    EXPECT_TRUE(parse_groups("all", g));
    EXPECT_TRUE(g.net && g.io && g.memory);
    EXPECT_FALSE(parse_groups("cpu,disk", g));
    EXPECT_FALSE(parse_groups("", g));
    EXPECT_EQ(human(1536), "1.5K");
    EXPECT_EQ(split_commas("a,,b"), (std::vector<std::string>{"a", "b"}));
}

} // namespace
} // namespace zonectl::stat
