// Issue "resource controls": caps from zonecfg enforced on real zones by the
// host's cgroup driver (v1-hybrid on these machines, v2 where the kernel
// offers it), live changes without a reboot, zonestat's accounting, and the
// refusals. The busy loops and hogs run inside busybox zones.
//
// The only timing assertions are the ones the issue demands (CPU used under
// a cap, and the 1:4 split of shares), measured over the actual wall window
// and with generous tolerances.
#include <algorithm>
#include <chrono>
#include <gtest/gtest.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <thread>
#include <vector>

#include "cgroups/driver.hpp"
#include "cgroups/stats.hpp"
#include "harness.hpp"

using namespace zt;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// Where the daemon's zones keep one controller's files.
class ZoneGroups {
  public:
    explicit ZoneGroups(const TestDaemon& d)
        : d_(d), roots_(zone::cg::roots_from_mountinfo(read_text("/proc/self/mountinfo"))) {
        // The driver zoned picked, as daemon.info reports it.
        if (auto c = d.client())
            if (auto info = c->call("daemon.info", json::object()))
                v1_ = (*info)["cgroups"].value("driver", "") == "v1-hybrid";
    }
    bool v1() const { return v1_; }
    // The zone's directory holding `controller`'s files.
    std::string dir(const std::string& zone, const std::string& controller) const {
        if (!v1_) return d_.zone_cgroup(zone);
        return roots_.v1.at(controller) + "/" + d_.cgroup_parent() + "/" + zone;
    }
    std::string file(const std::string& zone, const std::string& controller,
                     const std::string& v1_name, const std::string& v2_name) const {
        return dir(zone, controller) + "/" + (v1_ ? v1_name : v2_name);
    }
    std::string read(const std::string& zone, const std::string& controller,
                     const std::string& v1_name, const std::string& v2_name) const {
        return trim(read_text(file(zone, controller, v1_name, v2_name)));
    }
    // Every directory the zone has: the cgroup2 one and, on v1, one per hierarchy.
    std::vector<std::string> all_dirs(const std::string& zone) const {
        std::vector<std::string> out{d_.zone_cgroup(zone)};
        if (v1_)
            for (const auto& [c, mount] : roots_.v1)
                out.push_back(mount + "/" + d_.cgroup_parent() + "/" + zone);
        return out;
    }
    // CPU time used and time throttled (microseconds), from the kernel's files.
    struct Cpu {
        std::uint64_t usage_usec = 0, throttled_usec = 0, nr_throttled = 0;
    };
    Cpu cpu(const std::string& zone) const {
        Cpu c;
        auto stat = zone::cg::parse_flat_keyed(read_text(dir(zone, "cpu") + "/cpu.stat"));
        if (v1_) {
            c.usage_usec = zone::cg::parse_u64(read_text(dir(zone, "cpuacct") + "/cpuacct.usage"))
                               .value_or(0) /
                           1000;
            c.throttled_usec = stat["throttled_time"] / 1000;
        } else {
            c.usage_usec = stat["usage_usec"];
            c.throttled_usec = stat["throttled_usec"];
        }
        c.nr_throttled = stat["nr_throttled"];
        return c;
    }
    // The machine is shared and often busy: the test daemon's parent group
    // (this test's own) gets the highest weight, so that the zones below it
    // get what their caps allow whatever else runs. Their caps keep them
    // from taking more.
    bool favour_zones() const {
        std::string parent =
            v1_ ? roots_.v1.at("cpu") + "/" + d_.cgroup_parent() : d_.cgroup_parent_path();
        return write_text(parent + (v1_ ? "/cpu.shares" : "/cpu.weight"), v1_ ? "262144" : "10000");
    }
    // Stalled time of the zone's runnable tasks (PSI "some", cgroup2 group).
    std::uint64_t cpu_stall_usec(const std::string& zone) const {
        auto p = zone::cg::parse_pressure(read_text(d_.zone_cgroup(zone) + "/cpu.pressure"));
        return p ? p->some.total_usec : 0;
    }

  private:
    const TestDaemon& d_;
    zone::cg::Roots roots_;
    bool v1_ = false;
};

// One zone's entry of zone.stats.
json zone_stats(const TestDaemon& d, const std::string& zone) {
    auto c = d.client();
    if (!c) return nullptr;
    auto r = c->call("zone.stats", json{{"names", json::array({zone})}});
    if (!r) return nullptr;
    for (const auto& z : (*r)["zones"])
        if (z.value("name", "") == zone) return z;
    return nullptr;
}

// Starts `n` busy loops in the zone, in the background; they run until halt.
::testing::AssertionResult start_busy_loops(const TestDaemon& d, const std::string& zone, int n,
                                            const std::string& prefix = "") {
    std::string cmd;
    for (int i = 0; i < n; ++i)
        cmd += prefix + "sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & ";
    auto r = d.zlogin(zone, cmd);
    if (r.status != 0) return ::testing::AssertionFailure() << "starting busy loops: " << r;
    return ::testing::AssertionSuccess();
}

// CPU used (in CPUs) and throttled over a window of `seconds` of wall time.
struct Window {
    double wall_s = 0, used_s = 0, throttled_s = 0, stall_s = 0;
    std::uint64_t nr_throttled = 0;
    double cpus() const { return wall_s > 0 ? used_s / wall_s : 0; }
};

Window measure(const ZoneGroups& g, const std::string& zone, double seconds) {
    auto c0 = g.cpu(zone);
    auto s0 = g.cpu_stall_usec(zone);
    auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    auto c1 = g.cpu(zone);
    auto s1 = g.cpu_stall_usec(zone);
    auto t1 = Clock::now();
    Window w;
    w.wall_s = std::chrono::duration<double>(t1 - t0).count();
    w.used_s = (c1.usage_usec - c0.usage_usec) / 1e6;
    w.throttled_s = (c1.throttled_usec - c0.throttled_usec) / 1e6;
    w.nr_throttled = c1.nr_throttled - c0.nr_throttled;
    w.stall_s = (s1 - s0) / 1e6;
    return w;
}

std::ostream& operator<<(std::ostream& os, const Window& w) {
    return os << "wall " << w.wall_s << " s, CPU " << w.used_s << " s (" << w.cpus()
              << " CPUs), throttled " << w.throttled_s << " s in " << w.nr_throttled
              << " periods, stalled " << w.stall_s << " s";
}

bool no_dirs_left(const ZoneGroups& g, const std::string& zone) {
    for (const auto& dir : g.all_dirs(zone))
        if (exists(dir)) return false;
    return true;
}

} // namespace

namespace zt {
namespace {

TEST(Resources, ForkBombIsHeldAtMaxProcessesWhileOthersStayResponsive) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("bomb", "set max-processes=64"));
    ASSERT_TRUE(d.boot_new_zone("calm"));
    ZoneGroups g(d);
    EXPECT_EQ(g.read("bomb", "pids", "pids.max", "pids.max"), "64");
    EXPECT_EQ(g.read("calm", "pids", "pids.max", "pids.max"), "max");

    // The classic: every process forks two more and waits for them.
    Child bomb = d.spawn("zlogin", {"bomb", "f(){ f & f & wait; }; f 2>&1"});
    ASSERT_TRUE(bomb.started()) << bomb.spawn_error();
    EXPECT_TRUE(bomb.read_until("can't fork", 30000)) << bomb.out() << bomb.err();
    // Held at the cap: sample pids.current for a second.
    unsigned most = 0;
    for (int i = 0; i < 50; ++i) {
        auto n = zone::cg::parse_u64(g.read("bomb", "pids", "pids.current", "pids.current"));
        ASSERT_TRUE(n);
        most = std::max<unsigned>(most, static_cast<unsigned>(*n));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_LE(most, 64U);
    EXPECT_GE(most, 60U);
    auto events =
        zone::cg::parse_flat_keyed(read_text(g.file("bomb", "pids", "pids.events", "pids.events")));
    EXPECT_GT(events["max"], 0U) << "forks refused at the cap";
    // The host and the other zone answer.
    auto other = d.zlogin("calm", "echo alive");
    EXPECT_EQ(other.status, 0) << other;
    EXPECT_EQ(trim(other.out), "alive");
    EXPECT_EQ(run_command({"/bin/true"}, environment_with({}), "", 5000).status, 0);
    // zonestat shows the zone at its cap.
    json s = zone_stats(d, "bomb");
    ASSERT_TRUE(s.is_object());
    EXPECT_EQ(s["caps"].value("processes", 0), 64);
    EXPECT_LE(s["pids"].value("current", 1000), 64);

    ASSERT_TRUE(d.adm("bomb", "halt"));
    bomb.wait(10000);
    EXPECT_TRUE(no_dirs_left(g, "bomb"));
    EXPECT_EQ(d.state("calm"), "running");
}

TEST(Resources, MemoryHogIsOomKilledInsideItsZoneOnly) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("hog", "add capped-memory; set physical=64M; end"));
    ZoneGroups g(d);
    EXPECT_EQ(g.read("hog", "memory", "memory.limit_in_bytes", "memory.max"),
              std::to_string(64 << 20));
    int init_pid = d.status_file("hog").value("init_pid", 0);

    // dd's buffer alone is 100M: the zone's OOM killer takes it.
    auto r = d.zlogin("hog", "dd if=/dev/zero of=/dev/null bs=100M count=1");
    EXPECT_EQ(r.status, 128 + 9) << r;
    // The zone and its init live on.
    EXPECT_EQ(d.state("hog"), "running");
    EXPECT_TRUE(exists("/proc/" + std::to_string(init_pid)));
    auto after = d.zlogin("hog", "echo still here");
    EXPECT_EQ(after.status, 0) << after;
    // A zlogin session is in the zone's groups (so it counts against the
    // caps), and the zone sees them as its cgroup root, in every hierarchy.
    auto cg = d.zlogin("hog", "cat /proc/self/cgroup");
    ASSERT_EQ(cg.status, 0) << cg;
    for (const auto& line : split_lines(cg.out)) {
        bool ours = !line.empty() && line.find("name=systemd") == std::string::npos &&
                    line.find("devices") == std::string::npos &&
                    line.find("hugetlb") == std::string::npos;
        if (ours) {
            EXPECT_EQ(line.substr(line.rfind(':')), ":/") << cg.out;
        }
    }
    // Counted by zone.stats and zonestat.
    json s = zone_stats(d, "hog");
    ASSERT_TRUE(s.is_object());
    EXPECT_GE(s["memory"].value("oom_kill", 0), 1);
    EXPECT_EQ(s["caps"].value("memory", 0ULL), 64ULL << 20);
    auto zs = d.run("zonestat", {"-z", "hog", "-o", "json"});
    ASSERT_EQ(zs.status, 0) << zs;
    auto j = json::parse(zs.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << zs.out;
    bool seen = false;
    for (const auto& row : j["zones"])
        if (row.value("zone", "") == "hog") {
            seen = true;
            EXPECT_GE(row.value("oom_kills", 0), 1) << zs.out;
            EXPECT_EQ(row.value("memory_cap", 0ULL), 64ULL << 20) << zs.out;
        }
    EXPECT_TRUE(seen) << zs.out;
}

TEST(Resources, HalfACpuCapHoldsTwoBusyLoopsToHalfTheTime) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("capped", "add capped-cpu; set ncpus=0.5; end"));
    ZoneGroups g(d);
    if (g.v1()) {
        EXPECT_EQ(g.read("capped", "cpu", "cpu.cfs_quota_us", ""), "50000");
        EXPECT_EQ(g.read("capped", "cpu", "cpu.cfs_period_us", ""), "100000");
    } else {
        EXPECT_EQ(g.read("capped", "cpu", "", "cpu.max"), "50000 100000");
    }
    ASSERT_TRUE(g.favour_zones());
    ASSERT_TRUE(start_busy_loops(d, "capped", 2));
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // both loops running
    Window w = measure(g, "capped", 3.0);
    std::cout << "[ measured ] ncpus=0.5, two busy loops: " << w << "\n";
    double expected = 0.5 * w.wall_s;
    EXPECT_LE(w.used_s, expected * 1.2) << w;
    EXPECT_GE(w.used_s, expected * 0.8) << w;
    EXPECT_GT(w.nr_throttled, 0U) << w;
    EXPECT_GT(w.throttled_s, 0.0) << w;

    // zonestat over an interval: CPUs used against the cap, time throttled.
    auto zs = d.run("zonestat", {"-z", "capped", "-o", "json", "1", "1"});
    ASSERT_EQ(zs.status, 0) << zs;
    auto j = json::parse(zs.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << zs.out;
    json row;
    for (const auto& r : j["zones"])
        if (r.value("zone", "") == "capped") row = r;
    ASSERT_TRUE(row.is_object()) << zs.out;
    EXPECT_EQ(row.value("cpu_cap", 0.0), 0.5) << zs.out;
    EXPECT_LE(row.value("cpus", 9.0), 0.5 * 1.2) << zs.out;
    EXPECT_GT(row.value("cpu_cap_pct", 0.0), 50.0) << zs.out;
    EXPECT_GT(row.value("throttled_seconds", 0.0), 0.0) << zs.out;
    EXPECT_GT(row.value("wall_seconds", 0.0), 0.9) << zs.out;
    auto table = d.run("zonestat", {"-z", "capped", "-r", "cpu,processes", "0.5", "1"});
    ASSERT_EQ(table.status, 0) << table;
    std::cout << "[ zonestat ]\n" << table.out;
    EXPECT_NE(table.out.find("%CAP"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("[host]"), std::string::npos) << table.out;
    EXPECT_EQ(table.out.find("MEMCAP"), std::string::npos) << table.out;
    auto p = d.run("zonestat", {"-z", "capped", "-p", "-r", "processes"});
    ASSERT_EQ(p.status, 0) << p;
    EXPECT_EQ(split_lines(p.out).at(0).rfind("capped:", 0), 0U) << p.out;
}

TEST(Resources, LiveNcpusChangeTakesEffectWithoutReboot) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("live", "add capped-cpu; set ncpus=0.25; end"));
    ZoneGroups g(d);
    int init_pid = d.status_file("live").value("init_pid", 0);
    auto quota = [&] {
        return g.v1() ? g.read("live", "cpu", "cpu.cfs_quota_us", "")
                      : g.read("live", "cpu", "", "cpu.max");
    };
    EXPECT_EQ(quota(), g.v1() ? "25000" : "25000 100000");
    ASSERT_TRUE(g.favour_zones());
    ASSERT_TRUE(start_busy_loops(d, "live", 2));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Window before = measure(g, "live", 1.5);

    // zonecfg -r: committed and applied at once.
    auto r = d.run("zonecfg", {"-z", "live", "-r", "select capped-cpu; set ncpus=1; end"});
    ASSERT_EQ(r.status, 0) << r;
    EXPECT_EQ(quota(), g.v1() ? "100000" : "100000 100000");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Window after = measure(g, "live", 1.5);
    std::cout << "[ measured ] ncpus=0.25: " << before << "\n[ measured ] ncpus=1: " << after
              << "\n";
    EXPECT_LE(before.cpus(), 0.25 * 1.2) << before;
    EXPECT_GT(after.cpus(), before.cpus() * 1.5) << before << " / " << after;
    EXPECT_EQ(d.status_file("live").value("init_pid", 0), init_pid) << "no reboot";
    EXPECT_EQ(zone_stats(d, "live")["caps"].value("ncpus", 0.0), 1.0);
    // A plain commit waits for the next boot (list -v marks it) until
    // zoneadm apply.
    ASSERT_EQ(d.zonecfg("live", "select capped-cpu; set ncpus=0.5; end; commit").status, 0);
    EXPECT_EQ(quota(), g.v1() ? "100000" : "100000 100000");
    auto list = d.zoneadm({"list", "-v"});
    EXPECT_NE(list.out.find("running*"), std::string::npos) << list;
    ASSERT_TRUE(d.adm("live", "apply"));
    EXPECT_EQ(quota(), g.v1() ? "50000" : "50000 100000");
    list = d.zoneadm({"list", "-v"});
    EXPECT_EQ(list.out.find("running*"), std::string::npos) << list;
    EXPECT_NE(list.out.find("cpu=0.5"), std::string::npos) << list;
    // Removing the cap live lifts it.
    ASSERT_EQ(d.run("zonecfg", {"-z", "live", "-r", "remove capped-cpu"}).status, 0);
    EXPECT_EQ(quota(), g.v1() ? "-1" : "max 100000");
    EXPECT_EQ(d.status_file("live").value("init_pid", 0), init_pid);
    // -r on a zone that does not run is refused, and commits nothing.
    ASSERT_TRUE(d.configure("idle"));
    auto idle = d.run("zonecfg", {"-z", "idle", "-r", "set max-processes=10"});
    EXPECT_NE(idle.status, 0) << idle;
    EXPECT_NE(idle.err.find("not running"), std::string::npos) << idle;
    EXPECT_EQ(d.zonecfg("idle", "info max-processes").out.find("10"), std::string::npos);
}

TEST(Resources, CpuSharesOneToFourSplitOneCpu) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("light", "set cpu-shares=100"));
    ASSERT_TRUE(d.boot_new_zone("heavy", "set cpu-shares=400"));
    ZoneGroups g(d);
    EXPECT_EQ(g.read("heavy", "cpu", "cpu.shares", "cpu.weight"), g.v1() ? "4096" : "400");
    ASSERT_TRUE(g.favour_zones());
    // Both zones' loops on CPU 0, so that they compete for it.
    ASSERT_TRUE(start_busy_loops(d, "light", 1, "taskset -c 0 "));
    ASSERT_TRUE(start_busy_loops(d, "heavy", 1, "taskset -c 0 "));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto l0 = g.cpu("light"), h0 = g.cpu("heavy");
    std::this_thread::sleep_for(std::chrono::seconds(2));
    auto l1 = g.cpu("light"), h1 = g.cpu("heavy");
    double light = (l1.usage_usec - l0.usage_usec) / 1e6,
           heavy = (h1.usage_usec - h0.usage_usec) / 1e6;
    std::cout << "[ measured ] cpu-shares 100:400 on one CPU, 2 s: light " << light << " s, heavy "
              << heavy << " s, ratio " << heavy / std::max(light, 1e-6) << "\n";
    EXPECT_GT(heavy, 2 * light);
    EXPECT_GT(light, 0.0);
}

TEST(Resources, RefusedAtBootWhenTheHostCannotEnforceALimit) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ZoneGroups g(d);
    if (!g.v1()) GTEST_SKIP() << "the refused limit here is one cgroup v1 lacks";
    // cgroup v1 caps swap only together with memory (memory.memsw).
    ASSERT_TRUE(d.configure("swaponly", "add capped-memory; set swap=64M; end"));
    ASSERT_TRUE(d.adm("swaponly", "install"));
    auto verify = d.zoneadm({"-z", "swaponly", "verify"});
    EXPECT_NE(verify.status, 0) << verify;
    EXPECT_NE(verify.err.find("memory_swap_max"), std::string::npos) << verify;
    auto boot = d.zoneadm({"-z", "swaponly", "boot"});
    EXPECT_NE(boot.status, 0) << boot;
    EXPECT_NE(boot.err.find("needs memory_max too"), std::string::npos) << boot;
    EXPECT_NE(boot.err.find("memory_swap_max"), std::string::npos) << boot;
    EXPECT_EQ(d.state("swaponly"), "installed");
    EXPECT_TRUE(no_dirs_left(g, "swaponly"));
    // io-shares needs the BFQ weight file, which this kernel may lack.
    if (!exists("/sys/fs/cgroup/blkio/blkio.bfq.weight")) {
        ASSERT_TRUE(d.configure("ioshares", "set io-shares=200"));
        ASSERT_TRUE(d.adm("ioshares", "install"));
        auto b = d.zoneadm({"-z", "ioshares", "boot"});
        EXPECT_NE(b.status, 0) << b;
        EXPECT_NE(b.err.find("blkio.bfq.weight"), std::string::npos) << b;
        EXPECT_EQ(d.state("ioshares"), "installed");
        EXPECT_TRUE(no_dirs_left(g, "ioshares"));
    }
}

TEST(Resources, DedicatedCpusDoNotOverlapBetweenRunningZones) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ZoneGroups g(d);
    ASSERT_TRUE(d.boot_new_zone("one", "add dedicated-cpu; set cpus=1; end"));
    EXPECT_EQ(g.read("one", "cpuset", "cpuset.cpus", "cpuset.cpus"), "1");
    ASSERT_TRUE(d.configure("clash", "add dedicated-cpu; set cpus=1; end"));
    ASSERT_TRUE(d.adm("clash", "install"));
    auto b = d.zoneadm({"-z", "clash", "boot"});
    EXPECT_NE(b.status, 0) << b;
    EXPECT_NE(b.err.find("CPU 1 is dedicated to zone 'one'"), std::string::npos) << b;
    EXPECT_EQ(d.state("clash"), "installed");
    ASSERT_TRUE(d.configure("two", "add dedicated-cpu; set ncpus=2; end"));
    ASSERT_TRUE(d.adm("two", "install"));
    b = d.zoneadm({"-z", "two", "boot"});
    EXPECT_NE(b.status, 0) << b;
    EXPECT_NE(b.err.find("only 1 CPUs are free"), std::string::npos) << b;
    // A count picks what is free.
    ASSERT_TRUE(d.boot_new_zone("any", "add dedicated-cpu; set ncpus=1; end"));
    EXPECT_EQ(g.read("any", "cpuset", "cpuset.cpus", "cpuset.cpus"), "0");
    EXPECT_EQ(zone_stats(d, "any")["caps"].value("cpus", ""), "0");
    // Once `one` is down, its CPU is free again.
    ASSERT_TRUE(d.adm("one", "halt"));
    EXPECT_TRUE(d.adm("clash", "boot"));
}

TEST(Resources, BadValuesAreRefusedAtCommitAndVerify) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    struct Case {
        std::string script, mentions;
    };
    const std::vector<Case> cases = {
        {"add capped-cpu; set ncpus=abc; end", "ncpus"},
        {"add capped-cpu; set ncpus=0; end", "ncpus"},
        {"set cpu-shares=20000", "cpu-shares"},
        {"set max-processes=0", "max-processes"},
        {"add capped-memory; set physical=12x; end", "physical"},
        {"add dedicated-cpu; set cpus=3-1; end", "cpus"},
        {"add device-io; set match=sda; set read-bps=1M; end", "match"},
        {"add device-io; set match=/dev/vda; set read-bps=0; end", "read-bps"},
        {"add device-io; set match=/dev/vda; end", "read-bps, write-bps"},
        {"set io-shares=0", "io-shares"},
        {"add capped-cpu; set ncpus=1; end; add dedicated-cpu; set ncpus=1; end", "combined"},
    };
    for (const auto& c : cases) {
        auto r = d.zonecfg("bad", "create; set image=base; " + c.script + "; commit");
        EXPECT_NE(r.status, 0) << c.script << "\n" << r;
        EXPECT_NE(r.err.find(c.mentions), std::string::npos) << c.script << "\n" << r;
    }
    EXPECT_EQ(d.zoneadm({"list", "-cp"}).out.find("bad"), std::string::npos);
    // Well-formed, but the device does not exist here: verify says so.
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("nodev", "add device-io; set match=/dev/zt-no-such-disk; "
                                     "set write-bps=1M; end"));
    auto v = d.zoneadm({"-z", "nodev", "verify"});
    EXPECT_NE(v.status, 0) << v;
    EXPECT_NE(v.err.find("/dev/zt-no-such-disk"), std::string::npos) << v;
}

TEST(Resources, DeviceIoCapsReachTheKernel) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    // The disk the state root lives on.
    struct stat st {};
    ASSERT_EQ(::stat(d.root().c_str(), &st), 0);
    std::string sys = "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" +
                      std::to_string(minor(st.st_dev));
    std::string dev = trim(read_text(sys + "/dev"));
    if (exists(sys + "/partition")) dev = trim(read_text(sys + "/../dev"));
    if (dev.empty()) GTEST_SKIP() << "the state root is not on a block device";
    ASSERT_TRUE(d.boot_new_zone("io", "add device-io; set match=" + dev +
                                          "; set write-bps=4M; set read-iops=500; end"));
    ZoneGroups g(d);
    if (g.v1()) {
        EXPECT_EQ(g.read("io", "blkio", "blkio.throttle.write_bps_device", ""),
                  dev + " " + std::to_string(4 << 20));
        EXPECT_EQ(g.read("io", "blkio", "blkio.throttle.read_iops_device", ""), dev + " 500");
    } else {
        // The kernel lists the rates that are set only.
        std::string io_max = g.read("io", "io", "", "io.max");
        EXPECT_NE(io_max.find(dev + " "), std::string::npos) << io_max;
        EXPECT_NE(io_max.find("wbps=4194304"), std::string::npos) << io_max;
        EXPECT_NE(io_max.find("riops=500"), std::string::npos) << io_max;
    }
    // The resource round-trips through export.
    auto exported = d.zonecfg("io", "export");
    EXPECT_NE(exported.out.find("add device-io\nset match=" + dev), std::string::npos) << exported;
    // Dropped live: the rules go.
    ASSERT_EQ(d.run("zonecfg", {"-z", "io", "-r", "remove device-io"}).status, 0);
    if (g.v1()) {
        EXPECT_EQ(g.read("io", "blkio", "blkio.throttle.write_bps_device", ""), "");
    }
}

TEST(Resources, ARestartedZonedKeepsTheCapsAndTheCpusHeld) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ZoneGroups g(d);
    ASSERT_TRUE(
        d.boot_new_zone("kept", "set max-processes=20; add dedicated-cpu; set ncpus=1; end"));
    EXPECT_EQ(g.read("kept", "cpuset", "cpuset.cpus", "cpuset.cpus"), "0");
    ASSERT_TRUE(d.restart(SIGKILL));
    // The CPU is still the zone's, its caps still hold for new sessions.
    ASSERT_TRUE(d.configure("other", "add dedicated-cpu; set cpus=0; end"));
    ASSERT_TRUE(d.adm("other", "install"));
    auto b = d.zoneadm({"-z", "other", "boot"});
    EXPECT_NE(b.status, 0) << b;
    EXPECT_NE(b.err.find("dedicated to zone 'kept'"), std::string::npos) << b;
    auto r = d.zlogin("kept", "for i in $(seq 1 30); do sleep 60 & done 2>&1; echo done");
    EXPECT_NE(r.out.find("can't fork"), std::string::npos) << r;
    auto pids = zone::cg::parse_u64(g.read("kept", "pids", "pids.current", "pids.current"));
    ASSERT_TRUE(pids);
    EXPECT_LE(*pids, 20U);
    EXPECT_GE(*pids, 15U);
    EXPECT_EQ(zone_stats(d, "kept")["caps"].value("cpus", ""), "0");
    ASSERT_TRUE(d.adm("kept", "halt"));
    EXPECT_TRUE(no_dirs_left(g, "kept"));
    EXPECT_TRUE(d.adm("other", "boot"));
}

TEST(Resources, UserNamespacedZonesGetTheirCapsToo) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("un", "set userns=auto; set max-processes=32; "
                                      "add capped-memory; set physical=128M; end"));
    ZoneGroups g(d);
    EXPECT_EQ(g.read("un", "pids", "pids.max", "pids.max"), "32");
    // A session of the zone is in its groups, and sees them as its root.
    auto r =
        d.zlogin("un", "cat /proc/self/cgroup; sleep 30 </dev/null >/dev/null 2>&1 & echo started");
    ASSERT_EQ(r.status, 0) << r;
    for (const auto& line : split_lines(r.out)) {
        bool ours = line.find(":pids:") != std::string::npos ||
                    line.find(":memory:") != std::string::npos || line.rfind("0::", 0) == 0;
        if (ours) {
            EXPECT_EQ(line.substr(line.rfind(':')), ":/") << r.out;
        }
    }
    auto n = zone::cg::parse_u64(g.read("un", "pids", "pids.current", "pids.current"));
    ASSERT_TRUE(n);
    EXPECT_GE(*n, 2U) << "init and the sleeper";
    ASSERT_TRUE(d.adm("un", "halt"));
    EXPECT_TRUE(no_dirs_left(g, "un"));
}

} // namespace
} // namespace zt
