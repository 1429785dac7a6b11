// cgroups/: the zonecfg -> Limits mapping, the write plans, the stat
// parsers, detection, and both drivers against fake cgroup trees in a temp
// dir (youki style: the kernel's files are pre-created, the test reads back
// what the driver wrote).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "cgroups/driver.hpp"
#include "cgroups/limits.hpp"
#include "cgroups/plan.hpp"
#include "cgroups/stats.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/config/zone_config.hpp"

namespace zone::cg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- helpers --------------------------------------------------------------------

config::PropValue S(std::string s) {
    return config::PropValue{false, std::move(s), {}};
}

config::Resource Res(std::string type, std::map<std::string, config::PropValue> props) {
    return config::Resource{std::move(type), std::move(props)};
}

config::Resource Rctl(std::string name, std::string value) {
    return Res("rctl", {{"name", S(std::move(name))}, {"value", S(std::move(value))}});
}

std::string message_of(const Result<void>& r) {
    return r ? "" : r.error().message();
}

class FakeTree {
  public:
    FakeTree() {
        std::string tmpl = "/tmp/zone-cgtest-XXXXXX";
        if (::mkdtemp(tmpl.data())) root_ = tmpl;
    }
    ~FakeTree() {
        if (!root_.empty()) (void)fs::remove_tree(root_);
    }
    FakeTree(const FakeTree&) = delete;
    FakeTree& operator=(const FakeTree&) = delete;

    const std::string& root() const { return root_; }
    std::string path(const std::string& rel) const { return root_ + "/" + rel; }

    void put(const std::string& rel, const std::string& content) const {
        ASSERT_TRUE(fs::mkdir_p(fs::dirname(path(rel)), 0755));
        int fd = ::open(path(rel).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT_GE(fd, 0) << rel;
        ASSERT_EQ(::write(fd, content.data(), content.size()), ssize_t(content.size()));
        ::close(fd);
    }
    std::string get(const std::string& rel) const {
        auto r = fs::read_file(path(rel));
        return r ? *r : "<missing>";
    }

    // A cgroup2 directory with the core files and, per controller, its files.
    void v2_group(const std::string& rel, const std::set<std::string>& controllers) const {
        put(rel + "/cgroup.procs", "");
        put(rel + "/cgroup.events", "populated 0\nfrozen 0\n");
        put(rel + "/cgroup.freeze", "0");
        put(rel + "/cgroup.kill", "");
        put(rel + "/cgroup.subtree_control", "");
        put(rel + "/cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
        for (const char* f : {"cpu.pressure", "memory.pressure", "io.pressure"})
            put(rel + "/" + f, "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        std::string list;
        for (const auto& c : controllers)
            list += (list.empty() ? "" : " ") + c;
        put(rel + "/cgroup.controllers", list + "\n");
        if (controllers.count("cpu")) {
            put(rel + "/cpu.max", "max 100000\n");
            put(rel + "/cpu.weight", "100\n");
        }
        if (controllers.count("cpuset")) {
            put(rel + "/cpuset.cpus", "\n");
            put(rel + "/cpuset.mems", "\n");
        }
        if (controllers.count("memory"))
            for (const char* f : {"memory.max", "memory.high", "memory.swap.max"})
                put(rel + "/" + f, "max\n");
        if (controllers.count("pids")) put(rel + "/pids.max", "max\n");
        if (controllers.count("io")) {
            put(rel + "/io.max", "");
            put(rel + "/io.weight", "default 100\n");
        }
    }

    // A cgroup v1 directory of `controller` with the files the kernel shows.
    void v1_group(const std::string& controller, const std::string& rel) const {
        put(rel + "/cgroup.procs", "");
        if (controller == "cpu") {
            put(rel + "/cpu.cfs_quota_us", "-1\n");
            put(rel + "/cpu.cfs_period_us", "100000\n");
            put(rel + "/cpu.shares", "1024\n");
            put(rel + "/cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
        } else if (controller == "cpuacct") {
            put(rel + "/cpuacct.usage", "0\n");
        } else if (controller == "cpuset") {
            put(rel + "/cpuset.cpus", "\n");
            put(rel + "/cpuset.mems", "\n");
        } else if (controller == "memory") {
            put(rel + "/memory.limit_in_bytes", "9223372036854771712\n");
            put(rel + "/memory.memsw.limit_in_bytes", "9223372036854771712\n");
            put(rel + "/memory.usage_in_bytes", "0\n");
        } else if (controller == "pids") {
            put(rel + "/pids.max", "max\n");
            put(rel + "/pids.current", "0\n");
        } else if (controller == "blkio") {
            for (const char* f :
                 {"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                  "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"})
                put(rel + "/" + f, "");
            put(rel + "/blkio.bfq.weight", "100\n");
        } else if (controller == "freezer") {
            put(rel + "/freezer.state", "THAWED\n");
        }
    }

    // A v2 host: every controller on cgroup2, parent "zoned", zone "web".
    Roots v2_host() const {
        std::set<std::string> all = {"cpu", "cpuset", "io", "memory", "pids"};
        put("unified/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        v2_group("unified/zoned", all);
        v2_group("unified/zoned/web", all);
        return Roots{path("unified"), {}};
    }

    // A hybrid host like the build machines: cgroup2 without controllers,
    // the controllers in v1 hierarchies.
    Roots hybrid_host() const {
        put("unified/cgroup.controllers", "\n");
        v2_group("unified/zoned", {});
        v2_group("unified/zoned/web", {});
        Roots r{path("unified"), {}};
        for (const char* c : {"cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "freezer"}) {
            v1_group(c, c);
            v1_group(c, std::string(c) + "/zoned");
            v1_group(c, std::string(c) + "/zoned/web");
            r.v1[c] = path(c);
        }
        put("cpuset/cpuset.cpus", "0-3\n");
        put("cpuset/cpuset.mems", "0\n");
        return r;
    }

  private:
    std::string root_;
};

std::unique_ptr<Driver> detect_ok(const Roots& roots) {
    auto d = detect(roots, "zoned");
    EXPECT_TRUE(d) << (d ? "" : d.error().message());
    return d ? std::move(*d) : nullptr;
}

// ---- limits_from_config ---------------------------------------------------------

TEST(CgLimits_FromConfig, MapsEveryZonecfgSource) {
    config::ZoneConfig cfg;
    cfg.name = "web";
    cfg.props["cpu-shares"] = S("40");
    cfg.props["max-processes"] = S("64");
    cfg.resources = {Res("capped-cpu", {{"ncpus", S("1.5")}}),
                     Res("capped-memory", {{"physical", S("2G")}, {"swap", S("512M")}}),
                     Rctl("zone.max-lwps", "(priv=privileged,limit=200,action=deny)")};
    auto l = limits_from_config(cfg);
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_EQ(l->cpu_max, (CpuMax{150000, 100000}));
    EXPECT_EQ(l->cpu_weight, 40U);
    EXPECT_EQ(l->memory_max, 2ULL << 30);
    EXPECT_EQ(l->memory_swap_max, 512ULL << 20);
    EXPECT_EQ(l->pids_max, 64U); // the smaller of max-processes and zone.max-lwps
    EXPECT_FALSE(l->memory_high);
    EXPECT_FALSE(l->cpuset_cpus);
    EXPECT_TRUE(l->io_max.empty());
}

TEST(CgLimits_FromConfig, EmptyConfigHasNoLimits) {
    config::ZoneConfig cfg;
    auto l = limits_from_config(cfg);
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->empty());
    EXPECT_EQ(describe(*l), "none");
}

TEST(CgLimits_FromConfig, RctlsAlone) {
    config::ZoneConfig cfg;
    cfg.resources = {Rctl("zone.cpu-cap", "50"),
                     Rctl("zone.cpu-shares", "(priv=privileged,limit=20,action=none)"),
                     Rctl("zone.max-processes", "100"), Rctl("zone.max-swap", "1048576")};
    auto l = limits_from_config(cfg);
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_EQ(l->cpu_max, (CpuMax{50000, 100000})); // 50 percent of one CPU
    EXPECT_EQ(l->cpu_weight, 20U);
    EXPECT_EQ(l->pids_max, 100U);
    EXPECT_EQ(l->memory_swap_max, 1048576U);
    EXPECT_EQ(describe(*l),
              "cpu.max=50000/100000 cpu.weight=20 memory.swap.max=1048576 pids.max=100");
}

TEST(CgLimits_FromConfig, DedicatedCpus) {
    config::ZoneConfig cfg;
    cfg.resources = {Res("dedicated-cpu", {{"cpus", S("0-1,3")}})};
    auto l = limits_from_config(cfg);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->cpuset_cpus, "0-1,3");
    cfg.resources = {Res("dedicated-cpu", {{"ncpus", S("2-4")}})};
    l = limits_from_config(cfg);
    ASSERT_TRUE(l);
    EXPECT_FALSE(l->cpuset_cpus);
    EXPECT_EQ(l->dedicated_ncpus, (CpuCount{2, 4}));
}

TEST(CgLimits_FromConfig, TwoSettingsOfOneLimitMustAgree) {
    config::ZoneConfig cfg;
    cfg.resources = {Res("capped-cpu", {{"ncpus", S("1.5")}}), Rctl("zone.cpu-cap", "100")};
    auto l = limits_from_config(cfg);
    ASSERT_FALSE(l);
    EXPECT_EQ(l.error().code, config::kInvalidConfig);
    EXPECT_THAT(l.error().message(),
                HasSubstr("capped-cpu ncpus=1.5 and rctl zone.cpu-cap=100 disagree"));
    cfg.resources = {Res("capped-cpu", {{"ncpus", S("1")}}), Rctl("zone.cpu-cap", "100")};
    EXPECT_TRUE(limits_from_config(cfg)); // the same cap twice is fine
    cfg.resources = {Res("capped-memory", {{"swap", S("1G")}}), Rctl("zone.max-swap", "1024")};
    EXPECT_FALSE(limits_from_config(cfg));
}

TEST(CgLimits_FromConfig, BadValuesAreRefused) {
    config::ZoneConfig cfg;
    cfg.resources = {Res("capped-memory", {{"physical", S("lots")}})};
    EXPECT_FALSE(limits_from_config(cfg));
    cfg.resources = {Rctl("zone.max-lwps", "0")};
    EXPECT_FALSE(limits_from_config(cfg));
    cfg.resources = {Rctl("zone.bogus", "1")};
    EXPECT_FALSE(limits_from_config(cfg));
    cfg.resources = {Rctl("zone.max-lwps", "(priv=basic,limit=5,action=deny)")};
    auto l = limits_from_config(cfg);
    ASSERT_FALSE(l);
    EXPECT_THAT(l.error().message(), HasSubstr("rctl zone.max-lwps"));
}

TEST(CgLimits_Weights, SharesKeepTheirRatios) {
    EXPECT_EQ(weight_from_shares(1), 1U);
    EXPECT_EQ(weight_from_shares(400), 400U);
    EXPECT_EQ(weight_from_shares(65535), 10000U);
    EXPECT_EQ(v1_shares_from_weight(100), 1024U); // defaults meet
    EXPECT_EQ(v1_shares_from_weight(400), 4096U);
    EXPECT_EQ(v1_shares_from_weight(1), 10U);
    EXPECT_EQ(v1_shares_from_weight(10000), 102400U);
    EXPECT_EQ(v1_bfq_weight_from_io_weight(1), 1U);
    EXPECT_EQ(v1_bfq_weight_from_io_weight(100), 10U);
    EXPECT_EQ(v1_bfq_weight_from_io_weight(10000), 1000U);
}

TEST(CgLimits_CpuList, ParsesAndFormats) {
    auto s = parse_cpu_list("0-2,5,7-8");
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, (std::set<unsigned>{0, 1, 2, 5, 7, 8}));
    EXPECT_EQ(format_cpu_list(*s), "0-2,5,7-8");
    EXPECT_EQ(format_cpu_list({}), "");
    EXPECT_FALSE(parse_cpu_list("1-"));
    EXPECT_FALSE(parse_cpu_list("3-1"));
    EXPECT_FALSE(parse_cpu_list("0,,1"));
}

TEST(CgLimits_PickCpus, TakesFreeCpusLowestFirst) {
    EXPECT_EQ(*pick_cpus({2, 2}, "0-7", "0-1"), "2-3");
    EXPECT_EQ(*pick_cpus({1, 4}, "0-3", "0,2"), "1,3"); // as many as free, up to max
    auto r = pick_cpus({3, 3}, "0-3", "0-1");
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message(), HasSubstr("only 2 CPUs are free"));
}

// ---- plans ----------------------------------------------------------------------

HostState all_v2() {
    return HostState{{"cpu", "cpuset", "io", "memory", "pids"}, {}, "", ""};
}
HostState all_v1() {
    return HostState{{"cpu", "cpuset", "memory", "pids", "blkio"}, {}, "0-3", "0"};
}

TEST(CgPlan_V2, SetsLimitsAndResetsTheRest) {
    Limits l;
    l.cpu_max = CpuMax{50000, 100000};
    l.pids_max = 5;
    auto p = plan_v2(l, all_v2());
    ASSERT_TRUE(p) << p.error().message();
    std::map<std::string, std::string> files;
    for (const auto& w : *p)
        files[w.file] = w.lines.at(0) + (w.is_reset() ? " (reset)" : "");
    EXPECT_EQ(files["cpu.max"], "50000 100000");
    EXPECT_EQ(files["pids.max"], "5");
    EXPECT_EQ(files["cpu.weight"], "100 (reset)");
    EXPECT_EQ(files["memory.max"], "max (reset)");
    EXPECT_EQ(files["memory.swap.max"], "max (reset)");
    EXPECT_EQ(files["io.weight"], "default 100 (reset)");
}

TEST(CgPlan_V2, IoMaxPerDeviceAndDroppedDevicesReset) {
    Limits l;
    l.io_max = {IoMax{8, 0, 1048576, std::nullopt, std::nullopt, 100}};
    HostState host = all_v2();
    host.io_devices["io.max"] = {"8:0", "8:16"};
    auto p = plan_v2(l, host);
    ASSERT_TRUE(p);
    std::vector<std::string> io;
    for (const auto& w : *p)
        if (w.file == "io.max") io.insert(io.end(), w.lines.begin(), w.lines.end());
    EXPECT_THAT(io, ElementsAre("8:16 rbps=max wbps=max riops=max wiops=max\n",
                                "8:0 rbps=1048576 wbps=max riops=max wiops=100\n"));
}

TEST(CgPlan_V2, MissingControllerNamesLimitAndController) {
    Limits l;
    l.pids_max = 64;
    l.memory_max = 1 << 30;
    l.cpu_weight = 50;
    auto p = plan_v2(l, HostState{{"cpu"}, {}, "", ""});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, kUnsupportedLimit);
    EXPECT_THAT(p.error().message(),
                HasSubstr("limit memory_max=1073741824 needs the memory controller"));
    EXPECT_THAT(p.error().message(), HasSubstr("limit pids_max=64 needs the pids controller"));
    EXPECT_THAT(p.error().message(), HasSubstr("offers zones: cpu"));
    // Unset limits of missing controllers are not an error.
    EXPECT_TRUE(plan_v2(Limits{}, HostState{}));
}

TEST(CgPlan_V2, CpusetResetValueIsEmptyOrTheGivenParentSets) {
    auto reset_of = [](const HostState& host) {
        std::map<std::string, std::string> files;
        auto plan = plan_v2(Limits{}, host);
        if (!plan) return files;
        for (const auto& w : *plan)
            files[w.file] = w.lines.at(0);
        return files;
    };
    EXPECT_EQ(reset_of(all_v2())["cpuset.cpus"], "\n");
    EXPECT_EQ(reset_of(all_v2())["cpuset.mems"], "\n");
    HostState running = all_v2();
    running.parent_cpus = "0-1";
    running.parent_mems = "0";
    EXPECT_EQ(reset_of(running)["cpuset.cpus"], "0-1");
    EXPECT_EQ(reset_of(running)["cpuset.mems"], "0");
}

TEST(CgPlan_V2, UnresolvedDedicatedCpusAreRefused) {
    Limits l;
    l.dedicated_ncpus = CpuCount{2, 2};
    auto p = plan_v2(l, all_v2());
    ASSERT_FALSE(p);
    EXPECT_THAT(p.error().message(), HasSubstr("pick_cpus"));
    l.cpu_max = CpuMax{10, 100000};
    l.cpuset_cpus = "0-1";
    EXPECT_FALSE(plan_v2(l, all_v2())); // quota below 1 ms
}

TEST(CgPlan_V1, CpuQuotaLiftedBeforeThePeriodChanges) {
    Limits l;
    l.cpu_max = CpuMax{150000, 100000};
    l.cpu_weight = 400;
    auto p = plan_v1(l, all_v1());
    ASSERT_TRUE(p);
    std::vector<std::string> cpu;
    for (const auto& w : *p)
        if (w.controller == "cpu") cpu.push_back(w.file + "=" + w.lines.at(0));
    EXPECT_THAT(cpu, ElementsAre("cpu.cfs_quota_us=-1", "cpu.cfs_period_us=100000",
                                 "cpu.cfs_quota_us=150000", "cpu.shares=4096"));
}

TEST(CgPlan_V1, MemswStaysAboveTheMemoryLimit) {
    Limits l;
    l.memory_max = 64 << 20;
    l.memory_swap_max = 16 << 20;
    auto p = plan_v1(l, all_v1());
    ASSERT_TRUE(p);
    std::vector<std::string> mem;
    for (const auto& w : *p)
        if (w.controller == "memory") mem.push_back(w.file + "=" + w.lines.at(0));
    EXPECT_THAT(mem, ElementsAre("memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=67108864",
                                 "memory.memsw.limit_in_bytes=83886080"));
}

TEST(CgPlan_V1, WhatV1CannotExpressIsRefused) {
    Limits l;
    l.memory_high = 1 << 20;
    auto p = plan_v1(l, all_v1());
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, kUnsupportedLimit);
    EXPECT_THAT(p.error().message(), HasSubstr("memory_high"));
    l = Limits{};
    l.memory_swap_max = 1 << 20;
    p = plan_v1(l, all_v1());
    ASSERT_FALSE(p);
    EXPECT_THAT(p.error().message(), HasSubstr("needs memory_max too"));
}

TEST(CgPlan_V1, CpusetResetsToTheParentsCpus) {
    auto p = plan_v1(Limits{}, all_v1());
    ASSERT_TRUE(p);
    std::map<std::string, std::string> files;
    for (const auto& w : *p)
        files[w.file] = w.lines.at(0);
    EXPECT_EQ(files["cpuset.cpus"], "0-3");
    EXPECT_EQ(files["cpuset.mems"], "0");
    EXPECT_EQ(files["pids.max"], "max");
    EXPECT_EQ(files["memory.limit_in_bytes"], "-1");
}

// ---- stat parsers ---------------------------------------------------------------

TEST(CgStats_Parse, FlatKeyedAndLimits) {
    auto m = parse_flat_keyed("usage_usec 1500\nnr_throttled 7\n\nbad\n");
    EXPECT_EQ(m["usage_usec"], 1500U);
    EXPECT_EQ(m["nr_throttled"], 7U);
    EXPECT_EQ(m.count("bad"), 0U);
    ASSERT_TRUE(parse_limit("max\n").has_value());
    EXPECT_FALSE(parse_limit("max\n")->has_value()); // no cap
    ASSERT_TRUE(parse_limit("9223372036854771712\n").has_value());
    EXPECT_FALSE(parse_limit("9223372036854771712\n")->has_value()); // v1's "unlimited"
    ASSERT_TRUE(parse_limit("33554432\n").has_value());
    EXPECT_EQ(*parse_limit("33554432\n"), 33554432U);
    EXPECT_FALSE(parse_limit("garbage").has_value());
    auto oom = parse_flat_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    EXPECT_EQ(oom["oom_kill"], 3U);
}

TEST(CgStats_Parse, IoStatSumsDevices) {
    auto s = parse_io_stat("8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
                           "8:16 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n");
    EXPECT_EQ(s.rbytes, 101U);
    EXPECT_EQ(s.wbytes, 202U);
    EXPECT_EQ(s.rios, 4U);
    EXPECT_EQ(s.wios, 6U);
}

TEST(CgStats_Parse, BlkioReadWrite) {
    auto rw = parse_blkio_rw("8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n"
                             "8:0 Discard 0\n8:0 Total 12288\n8:16 Read 1\nTotal 12289\n");
    EXPECT_EQ(rw.read, 4097U);
    EXPECT_EQ(rw.write, 8192U);
}

TEST(CgStats_Parse, Pressure) {
    auto p = parse_pressure("some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\n"
                            "full avg10=0.50 avg60=0.00 avg300=0.00 total=789\n");
    ASSERT_TRUE(p);
    EXPECT_DOUBLE_EQ(p->some.avg10, 1.5);
    EXPECT_DOUBLE_EQ(p->some.avg60, 0.25);
    EXPECT_EQ(p->some.total_usec, 123456U);
    ASSERT_TRUE(p->full);
    EXPECT_EQ(p->full->total_usec, 789U);
    EXPECT_FALSE(parse_pressure(""));
}

TEST(CgStats_Parse, V1CpuInMicroseconds) {
    auto c = cpu_stats_from_v1(
        2500000000, 2000000000, 500000000,
        parse_flat_keyed("nr_periods 20\nnr_throttled 9\nthrottled_time 450000000\n"));
    EXPECT_EQ(c.usage_usec, 2500000U);
    EXPECT_EQ(c.user_usec, 2000000U);
    EXPECT_EQ(c.system_usec, 500000U);
    EXPECT_EQ(c.nr_periods, 20U);
    EXPECT_EQ(c.nr_throttled, 9U);
    EXPECT_EQ(c.throttled_usec, 450000U);
}

// ---- detection ------------------------------------------------------------------

TEST(CgDetect_Roots, FromHybridMountinfo) {
    const char* mi =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "36 31 0:40 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
        "37 31 0:41 / /sys/fs/cgroup/cpuacct,blkio rw - cgroup cgroup rw,cpuacct,blkio\n"
        "38 31 0:42 /lxc /mnt/memory rw - cgroup cgroup rw,memory\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    Roots r = roots_from_mountinfo(mi);
    EXPECT_EQ(r.unified, "/sys/fs/cgroup/unified");
    EXPECT_EQ(r.v1["cpu"], "/sys/fs/cgroup/cpu");
    EXPECT_EQ(r.v1["memory"], "/sys/fs/cgroup/memory"); // the hierarchy root, not /lxc
    EXPECT_EQ(r.v1["cpuacct"], "/sys/fs/cgroup/cpuacct,blkio");
    EXPECT_EQ(r.v1["blkio"], "/sys/fs/cgroup/cpuacct,blkio");
    EXPECT_EQ(r.v1.count("net_cls"), 0U);
    EXPECT_EQ(r.v1.count("name=systemd"), 0U);
    Roots pure = roots_from_mountinfo("30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    EXPECT_EQ(pure.unified, "/sys/fs/cgroup");
    EXPECT_TRUE(pure.v1.empty());
}

TEST(CgDetect_Driver, V2WhenCgroup2HasControllers) {
    FakeTree t;
    auto d = detect_ok(t.v2_host());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->name(), "v2");
    EXPECT_EQ(t.get("unified/zoned/cgroup.subtree_control"), "+cpu +cpuset +io +memory +pids");
    EXPECT_EQ(d->controllers(), (std::set<std::string>{"cpu", "cpuset", "io", "memory", "pids"}));
    EXPECT_EQ(d->dirs("web").v2, t.path("unified/zoned/web"));
    EXPECT_TRUE(d->dirs("web").v1.empty());
}

TEST(CgDetect_Driver, V1HybridWhenCgroup2HasNone) {
    FakeTree t;
    Roots roots = t.hybrid_host();
    t.put("cpuset/zoned/cpuset.cpus", "\n"); // a new v1 cpuset is empty
    auto d = detect_ok(roots);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->name(), "v1-hybrid");
    EXPECT_EQ(d->controllers(),
              (std::set<std::string>{"blkio", "cpu", "cpuset", "memory", "pids"}));
    EXPECT_EQ(t.get("cpuset/zoned/cpuset.cpus"), "0-3"); // copied from the root
    EXPECT_EQ(t.get("cpuset/zoned/cpuset.mems"), "0");
    EXPECT_EQ(t.get("unified/zoned/cgroup.subtree_control"), ""); // nothing enabled on v2
    Dirs dirs = d->dirs("web");
    EXPECT_EQ(dirs.v2, t.path("unified/zoned/web"));
    EXPECT_EQ(dirs.v1.size(), 7U);
    EXPECT_THAT(d->describe(), HasSubstr("v1-hybrid"));
}

TEST(CgDetect_Driver, V1HybridLeavesOutMissingHierarchies) {
    FakeTree t;
    Roots roots = t.hybrid_host();
    roots.v1.erase("pids");
    roots.v1.erase("blkio");
    auto d = detect_ok(roots);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->controllers(), (std::set<std::string>{"cpu", "cpuset", "memory"}));
    Limits l;
    l.pids_max = 5;
    auto r = d->check(l);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kUnsupportedLimit);
    EXPECT_THAT(r.error().message(), HasSubstr("limit pids_max=5 needs the pids controller"));
}

TEST(CgDetect_Driver, NoCgroup2IsAnError) {
    auto d = detect(Roots{"", {{"memory", "/sys/fs/cgroup/memory"}}}, "zoned");
    ASSERT_FALSE(d);
    EXPECT_THAT(d.error().message(), HasSubstr("no cgroup2"));
}

TEST(CgDetect_Driver, ParentMustBeARelativePath) {
    FakeTree t;
    Roots roots = t.v2_host();
    EXPECT_FALSE(detect(roots, "../escape"));
    EXPECT_FALSE(detect(roots, "/abs"));
    EXPECT_FALSE(detect(roots, "a//b"));
}

// ---- the v2 driver on a fake tree -----------------------------------------------

TEST(CgV2Driver_Apply, WritesLimitFilesAndLiveChangesReset) {
    FakeTree t;
    auto d = detect_ok(t.v2_host());
    ASSERT_TRUE(d);
    auto group = d->create("web");
    ASSERT_TRUE(group) << group.error().message();
    EXPECT_GE(group->dirfd(), 0);
    Limits l;
    l.cpu_max = CpuMax{150000, 100000};
    l.cpu_weight = 400;
    l.cpuset_cpus = "0-1";
    l.memory_max = 32 << 20;
    l.memory_high = 30 << 20;
    l.pids_max = 64;
    l.io_max = {IoMax{8, 0, 1000, 2000, std::nullopt, std::nullopt}};
    l.io_weight = 200;
    ASSERT_TRUE(d->apply("web", l)) << message_of(d->apply("web", l));
    EXPECT_EQ(t.get("unified/zoned/web/cpu.max"), "150000 100000");
    EXPECT_EQ(t.get("unified/zoned/web/cpu.weight"), "400");
    EXPECT_EQ(t.get("unified/zoned/web/cpuset.cpus"), "0-1");
    EXPECT_EQ(t.get("unified/zoned/web/memory.max"), "33554432");
    EXPECT_EQ(t.get("unified/zoned/web/memory.high"), "31457280");
    EXPECT_EQ(t.get("unified/zoned/web/memory.swap.max"), "max");
    EXPECT_EQ(t.get("unified/zoned/web/pids.max"), "64");
    EXPECT_EQ(t.get("unified/zoned/web/io.max"), "8:0 rbps=1000 wbps=2000 riops=max wiops=max\n");
    EXPECT_EQ(t.get("unified/zoned/web/io.weight"), "default 200");

    // Live re-application with fewer caps lifts the others.
    Limits fewer;
    fewer.pids_max = 10;
    ASSERT_TRUE(d->apply("web", fewer));
    EXPECT_EQ(t.get("unified/zoned/web/pids.max"), "10");
    EXPECT_EQ(t.get("unified/zoned/web/cpu.max"), "max 100000");
    EXPECT_EQ(t.get("unified/zoned/web/memory.max"), "max");
    EXPECT_EQ(t.get("unified/zoned/web/cpuset.cpus"), "\n");
    EXPECT_EQ(t.get("unified/zoned/web/io.max"), "8:0 rbps=max wbps=max riops=max wiops=max\n");
}

// Linux refuses to empty the cpuset of a populated cgroup (ENOSPC): a live
// reset of a running zone writes the parent's effective CPUs and memory nodes.
TEST(CgV2Driver_Apply, CpusetResetOfARunningZoneTakesTheParentsSets) {
    FakeTree t;
    auto d = detect_ok(t.v2_host());
    ASSERT_TRUE(d);
    ASSERT_TRUE(d->create("web"));
    t.put("unified/zoned/cpuset.cpus.effective", "0-3\n");
    t.put("unified/zoned/cpuset.mems.effective", "0\n");
    Limits l;
    l.cpuset_cpus = "1";
    l.cpuset_mems = "0";
    ASSERT_TRUE(d->apply("web", l));
    t.put("unified/zoned/web/cgroup.events", "populated 1\nfrozen 0\n");
    ASSERT_TRUE(d->apply("web", Limits{}));
    EXPECT_EQ(t.get("unified/zoned/web/cpuset.cpus"), "0-3");
    EXPECT_EQ(t.get("unified/zoned/web/cpuset.mems"), "0");
    // An empty zone goes back to following its parent.
    t.put("unified/zoned/web/cgroup.events", "populated 0\nfrozen 0\n");
    ASSERT_TRUE(d->apply("web", Limits{}));
    EXPECT_EQ(t.get("unified/zoned/web/cpuset.cpus"), "\n");
}

TEST(CgV2Driver_Apply, MissingFileIsAClearError) {
    FakeTree t;
    auto d = detect_ok(t.v2_host());
    ASSERT_TRUE(d);
    ASSERT_TRUE(::unlink(t.path("unified/zoned/web/memory.swap.max").c_str()) == 0);
    ASSERT_TRUE(d->apply("web", Limits{})) << "a reset of a missing file is no error";
    Limits l;
    l.memory_swap_max = 1 << 20;
    auto r = d->apply("web", l);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kUnsupportedLimit);
    EXPECT_THAT(r.error().message(),
                HasSubstr("zone 'web': cgroup limits: limit memory_swap_max=1048576 "
                          "needs memory.swap.max"));
}

TEST(CgV2Driver_Apply, ControllerNotDelegatedIsRefused) {
    FakeTree t;
    Roots roots = t.v2_host();
    t.put("unified/zoned/cgroup.controllers", "cpu memory\n"); // the host delegates only these
    auto d = detect_ok(roots);
    ASSERT_TRUE(d);
    EXPECT_EQ(t.get("unified/zoned/cgroup.subtree_control"), "+cpu +memory");
    Limits l;
    l.pids_max = 5;
    auto r = d->apply("web", l);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message(), HasSubstr("pids_max=5 needs the pids controller"));
    EXPECT_EQ(t.get("unified/zoned/web/pids.max"), "max\n"); // nothing written
}

TEST(CgV2Driver_Attach, WritesPid) {
    FakeTree t;
    auto d = detect_ok(t.v2_host());
    ASSERT_TRUE(d);
    ASSERT_TRUE(d->attach("web", 4242));
    EXPECT_EQ(t.get("unified/zoned/web/cgroup.procs"), "4242");
    EXPECT_FALSE(d->attach("../x", 1));
    EXPECT_THAT(procs_files(d->dirs("web")), ElementsAre(t.path("unified/zoned/web/cgroup.procs")));
}

TEST(CgV2Driver_Stats, ParsesFixtures) {
    FakeTree t;
    auto d = detect_ok(t.v2_host());
    ASSERT_TRUE(d);
    std::string z = "unified/zoned/web/";
    t.put(z + "cpu.stat", "usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\n"
                          "nr_periods 30\nnr_throttled 12\nthrottled_usec 600000\n");
    t.put(z + "memory.current", "1048576\n");
    t.put(z + "memory.peak", "33554432\n");
    t.put(z + "memory.max", "33554432\n");
    t.put(z + "memory.events", "low 0\nhigh 0\nmax 40\noom 2\noom_kill 1\noom_group_kill 0\n");
    t.put(z + "memory.stat", "anon 524288\nfile 262144\nkernel 4096\n");
    t.put(z + "memory.swap.current", "0\n");
    t.put(z + "pids.current", "5\n");
    t.put(z + "pids.peak", "6\n");
    t.put(z + "pids.max", "5\n");
    t.put(z + "io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n");
    t.put(z + "cpu.pressure", "some avg10=12.50 avg60=3.00 avg300=1.00 total=250000\n"
                              "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    auto s = d->stats("web");
    ASSERT_TRUE(s) << s.error().message();
    ASSERT_TRUE(s->cpu);
    EXPECT_EQ(s->cpu->usage_usec, 2000000U);
    EXPECT_EQ(s->cpu->nr_throttled, 12U);
    EXPECT_EQ(s->cpu->throttled_usec, 600000U);
    ASSERT_TRUE(s->memory);
    EXPECT_EQ(s->memory->current, 1048576U);
    EXPECT_EQ(s->memory->peak, 33554432U);
    EXPECT_EQ(s->memory->max, 33554432U);
    EXPECT_EQ(s->memory->oom_kill, 1U);
    EXPECT_EQ(s->memory->oom_events, 2U);
    EXPECT_EQ(s->memory->anon, 524288U);
    EXPECT_EQ(s->memory->file, 262144U);
    ASSERT_TRUE(s->pids);
    EXPECT_EQ(s->pids->current, 5U);
    EXPECT_EQ(s->pids->peak, 6U);
    EXPECT_EQ(s->pids->max, 5U);
    ASSERT_TRUE(s->io);
    EXPECT_EQ(s->io->rbytes, 4096U);
    EXPECT_EQ(s->io->wbytes, 8192U);
    ASSERT_TRUE(s->cpu_pressure);
    EXPECT_DOUBLE_EQ(s->cpu_pressure->some.avg10, 12.5);
    EXPECT_EQ(s->cpu_pressure->some.total_usec, 250000U);
    ASSERT_TRUE(s->memory_pressure);
    EXPECT_FALSE(d->stats("nosuchzone"));
}

TEST(CgV2Driver_Control, KillFreezeAndDestroy) {
    FakeTree t;
    auto d = detect_ok(t.v2_host());
    ASSERT_TRUE(d);
    ASSERT_TRUE(d->kill("web"));
    EXPECT_EQ(t.get("unified/zoned/web/cgroup.kill"), "1");
    t.put("unified/zoned/web/cgroup.events", "populated 0\nfrozen 1\n");
    ASSERT_TRUE(d->freeze("web"));
    EXPECT_EQ(t.get("unified/zoned/web/cgroup.freeze"), "1");
    // An empty directory (a real cgroup's files are not entries rmdir sees).
    ASSERT_TRUE(fs::mkdir_p(t.path("unified/zoned/empty"), 0755));
    ASSERT_TRUE(d->destroy("empty"));
    EXPECT_FALSE(fs::exists(t.path("unified/zoned/empty")));
    EXPECT_TRUE(d->destroy("empty")) << "destroying twice is fine";
}

// ---- the v1-hybrid driver on a fake tree ----------------------------------------

TEST(CgV1Driver_Create, CopiesTheCpusetAndReturnsTheCgroup2Group) {
    FakeTree t;
    auto d = detect_ok(t.hybrid_host());
    ASSERT_TRUE(d);
    auto group = d->create("web");
    ASSERT_TRUE(group) << group.error().message();
    EXPECT_EQ(group->path(), t.path("unified/zoned/web"));
    EXPECT_EQ(t.get("cpuset/zoned/web/cpuset.cpus"), "0-3");
    EXPECT_EQ(t.get("cpuset/zoned/web/cpuset.mems"), "0");
}

TEST(CgV1Driver_Attach, JoinsTheCgroup2GroupAndEveryHierarchy) {
    FakeTree t;
    auto d = detect_ok(t.hybrid_host());
    ASSERT_TRUE(d);
    ASSERT_TRUE(d->attach("web", 777));
    EXPECT_EQ(t.get("unified/zoned/web/cgroup.procs"), "777");
    for (const char* c : {"cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "freezer"})
        EXPECT_EQ(t.get(std::string(c) + "/zoned/web/cgroup.procs"), "777") << c;
    EXPECT_EQ(procs_files(d->dirs("web")).size(), 8U);
}

TEST(CgV1Driver_Apply, WritesV1Files) {
    FakeTree t;
    auto d = detect_ok(t.hybrid_host());
    ASSERT_TRUE(d);
    Limits l;
    l.cpu_max = CpuMax{50000, 100000};
    l.cpu_weight = 200;
    l.cpuset_cpus = "1";
    l.memory_max = 32 << 20;
    l.memory_swap_max = 8 << 20;
    l.pids_max = 5;
    l.io_max = {IoMax{8, 0, 1000, std::nullopt, 10, std::nullopt}};
    l.io_weight = 500;
    ASSERT_TRUE(d->apply("web", l)) << message_of(d->apply("web", l));
    EXPECT_EQ(t.get("cpu/zoned/web/cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(t.get("cpu/zoned/web/cpu.cfs_period_us"), "100000");
    EXPECT_EQ(t.get("cpu/zoned/web/cpu.shares"), "2048");
    EXPECT_EQ(t.get("cpuset/zoned/web/cpuset.cpus"), "1");
    EXPECT_EQ(t.get("cpuset/zoned/web/cpuset.mems"), "0"); // the parent's
    EXPECT_EQ(t.get("memory/zoned/web/memory.limit_in_bytes"), "33554432");
    EXPECT_EQ(t.get("memory/zoned/web/memory.memsw.limit_in_bytes"), "41943040");
    EXPECT_EQ(t.get("pids/zoned/web/pids.max"), "5");
    EXPECT_EQ(t.get("blkio/zoned/web/blkio.throttle.read_bps_device"), "8:0 1000\n");
    EXPECT_EQ(t.get("blkio/zoned/web/blkio.throttle.write_bps_device"), "8:0 0\n");
    EXPECT_EQ(t.get("blkio/zoned/web/blkio.throttle.read_iops_device"), "8:0 10\n");
    EXPECT_EQ(t.get("blkio/zoned/web/blkio.bfq.weight"), "50");

    ASSERT_TRUE(d->apply("web", Limits{})); // live: every cap lifted
    EXPECT_EQ(t.get("cpu/zoned/web/cpu.cfs_quota_us"), "-1");
    EXPECT_EQ(t.get("cpu/zoned/web/cpu.shares"), "1024");
    EXPECT_EQ(t.get("cpuset/zoned/web/cpuset.cpus"), "0-3");
    EXPECT_EQ(t.get("memory/zoned/web/memory.limit_in_bytes"), "-1");
    EXPECT_EQ(t.get("memory/zoned/web/memory.memsw.limit_in_bytes"), "-1");
    EXPECT_EQ(t.get("pids/zoned/web/pids.max"), "max");
    EXPECT_EQ(t.get("blkio/zoned/web/blkio.throttle.read_bps_device"), "8:0 0\n");
}

TEST(CgV1Driver_Apply, MemoryHighIsRefusedByName) {
    FakeTree t;
    auto d = detect_ok(t.hybrid_host());
    ASSERT_TRUE(d);
    Limits l;
    l.memory_high = 1 << 20;
    l.pids_max = 5;
    auto r = d->apply("web", l);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kUnsupportedLimit);
    EXPECT_THAT(r.error().message(), HasSubstr("memory_high"));
    EXPECT_EQ(t.get("pids/zoned/web/pids.max"), "max\n"); // nothing half-applied
}

TEST(CgV1Driver_Stats, ParsesV1Fixtures) {
    FakeTree t;
    auto d = detect_ok(t.hybrid_host());
    ASSERT_TRUE(d);
    t.put("cpuacct/zoned/web/cpuacct.usage", "1500000000\n");
    t.put("cpuacct/zoned/web/cpuacct.usage_user", "1000000000\n");
    t.put("cpuacct/zoned/web/cpuacct.usage_sys", "500000000\n");
    t.put("cpu/zoned/web/cpu.stat", "nr_periods 11\nnr_throttled 9\nthrottled_time 480000000\n"
                                    "nr_bursts 0\nburst_time 0\n");
    t.put("memory/zoned/web/memory.usage_in_bytes", "2097152\n");
    t.put("memory/zoned/web/memory.max_usage_in_bytes", "33554432\n");
    t.put("memory/zoned/web/memory.limit_in_bytes", "33554432\n");
    t.put("memory/zoned/web/memory.memsw.usage_in_bytes", "2097152\n");
    t.put("memory/zoned/web/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
    t.put("memory/zoned/web/memory.stat", "cache 0\nrss 0\ntotal_cache 4096\ntotal_rss 2093056\n");
    t.put("pids/zoned/web/pids.current", "5\n");
    t.put("pids/zoned/web/pids.peak", "5\n");
    t.put("pids/zoned/web/pids.max", "5\n");
    t.put("blkio/zoned/web/blkio.throttle.io_service_bytes",
          "8:0 Read 4096\n8:0 Write 12288\n8:0 Sync 0\n8:0 Async 0\n8:0 Discard 0\n"
          "8:0 Total 16384\nTotal 16384\n");
    t.put("blkio/zoned/web/blkio.throttle.io_serviced", "8:0 Read 1\n8:0 Write 3\nTotal 4\n");
    t.put("unified/zoned/web/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=77\n"
                                               "full avg10=0.00 avg60=0.00 avg300=0.00 total=7\n");
    auto s = d->stats("web");
    ASSERT_TRUE(s) << s.error().message();
    ASSERT_TRUE(s->cpu);
    EXPECT_EQ(s->cpu->usage_usec, 1500000U);
    EXPECT_EQ(s->cpu->user_usec, 1000000U);
    EXPECT_EQ(s->cpu->system_usec, 500000U);
    EXPECT_EQ(s->cpu->nr_periods, 11U);
    EXPECT_EQ(s->cpu->nr_throttled, 9U);
    EXPECT_EQ(s->cpu->throttled_usec, 480000U);
    ASSERT_TRUE(s->memory);
    EXPECT_EQ(s->memory->current, 2097152U);
    EXPECT_EQ(s->memory->peak, 33554432U);
    EXPECT_EQ(s->memory->max, 33554432U);
    EXPECT_EQ(s->memory->oom_kill, 1U);
    EXPECT_FALSE(s->memory->oom_events);
    EXPECT_EQ(s->memory->anon, 2093056U);
    EXPECT_EQ(s->memory->swap_current, 0U);
    ASSERT_TRUE(s->pids);
    EXPECT_EQ(s->pids->current, 5U);
    EXPECT_EQ(s->pids->peak, 5U);
    EXPECT_EQ(s->pids->max, 5U);
    ASSERT_TRUE(s->io);
    EXPECT_EQ(s->io->rbytes, 4096U);
    EXPECT_EQ(s->io->wbytes, 12288U);
    EXPECT_EQ(s->io->rios, 1U);
    EXPECT_EQ(s->io->wios, 3U);
    ASSERT_TRUE(s->memory_pressure);
    EXPECT_EQ(s->memory_pressure->some.total_usec, 77U);
    EXPECT_EQ(s->memory_pressure->full->total_usec, 7U);
}

TEST(CgV1Driver_Stats, UnlimitedMemoryHasNoMax) {
    FakeTree t;
    auto d = detect_ok(t.hybrid_host());
    ASSERT_TRUE(d);
    auto s = d->stats("web");
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->memory);
    EXPECT_FALSE(s->memory->max);
    ASSERT_TRUE(s->pids);
    EXPECT_FALSE(s->pids->max);
}

TEST(CgV1Driver_Freeze, UsesCgroup2FreezeOrTheV1Freezer) {
    FakeTree t;
    auto d = detect_ok(t.hybrid_host());
    ASSERT_TRUE(d);
    t.put("unified/zoned/web/cgroup.events", "populated 1\nfrozen 1\n");
    ASSERT_TRUE(d->freeze("web"));
    EXPECT_EQ(t.get("unified/zoned/web/cgroup.freeze"), "1");
    EXPECT_EQ(t.get("freezer/zoned/web/freezer.state"), "THAWED\n");
    // A kernel before 5.2: no cgroup.freeze, the v1 freezer does it.
    ASSERT_EQ(::unlink(t.path("unified/zoned/web/cgroup.freeze").c_str()), 0);
    ASSERT_TRUE(d->freeze("web"));
    EXPECT_EQ(t.get("freezer/zoned/web/freezer.state"), "FROZEN");
    ASSERT_TRUE(d->thaw("web"));
    EXPECT_EQ(t.get("freezer/zoned/web/freezer.state"), "THAWED");
}

TEST(CgV1Driver_Destroy, RemovesEveryDirectory) {
    FakeTree t;
    Roots roots = t.hybrid_host();
    auto d = detect_ok(roots);
    ASSERT_TRUE(d);
    // Empty directories stand in for cgroups (whose files rmdir ignores).
    Dirs dirs = d->dirs("gone");
    ASSERT_TRUE(fs::mkdir_p(dirs.v2, 0755));
    for (const auto& dir : dirs.v1)
        ASSERT_TRUE(fs::mkdir_p(dir, 0755));
    ASSERT_TRUE(d->destroy("gone")) << message_of(d->destroy("gone"));
    EXPECT_FALSE(fs::exists(dirs.v2));
    for (const auto& dir : dirs.v1)
        EXPECT_FALSE(fs::exists(dir)) << dir;
    EXPECT_TRUE(d->destroy("gone"));
}

} // namespace
} // namespace zone::cg
