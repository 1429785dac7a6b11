// Resource controls around the cgroup driver: the zonecfg mapping of io caps
// (device-io, io-shares), their validation, the dedicated-CPU ledger, the
// live-change merge of configurations, the caps as zone.list/zone.stats show
// them, the host's own counters, and the driver-free helpers (probe,
// destroy_dirs) on fake trees.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "cgroups/driver.hpp"
#include "cgroups/limits.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/config/zone_config.hpp"
#include "runtime/zone_resources.hpp"
#include "runtime/zone_stats.hpp"

namespace zone {
namespace {

config::PropValue S(std::string s) {
    return config::PropValue{false, std::move(s), {}};
}

config::Resource Res(std::string type, std::map<std::string, config::PropValue> props) {
    return config::Resource{std::move(type), std::move(props)};
}

config::ZoneConfig Base() {
    config::ZoneConfig c;
    c.name = "web";
    c.props["image"] = S("base");
    return c;
}

Result<cg::DeviceNumber> fake_lookup(const std::string& path) {
    if (path == "/dev/vda") return cg::DeviceNumber{254, 0};
    return sys_error(ENOENT, "stat(" + path + ")");
}

// ---- mapping ------------------------------------------------------------------------

TEST(ResourcesMapping_Io, DeviceIoAndIoShares) {
    auto c = Base();
    c.props["io-shares"] = S("300");
    c.resources.push_back(Res(
        "device-io", {{"match", S("/dev/vda")}, {"read-bps", S("10M")}, {"write-iops", S("200")}}));
    c.resources.push_back(Res("device-io", {{"match", S("8:16")}, {"write-bps", S("1G")}}));
    auto l = cg::limits_from_config(c, fake_lookup);
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_EQ(l->io_weight, 300U);
    ASSERT_EQ(l->io_max.size(), 2U);
    EXPECT_EQ(l->io_max[0], (cg::IoMax{254, 0, 10ULL << 20, std::nullopt, std::nullopt, 200}));
    EXPECT_EQ(l->io_max[1],
              (cg::IoMax{8, 16, std::nullopt, 1ULL << 30, std::nullopt, std::nullopt}));
}

TEST(ResourcesMapping_Io, UnknownDeviceAndDuplicatesAreRefused) {
    auto c = Base();
    c.resources.push_back(Res("device-io", {{"match", S("/dev/nope")}, {"read-bps", S("1M")}}));
    auto l = cg::limits_from_config(c, fake_lookup);
    ASSERT_FALSE(l);
    EXPECT_NE(l.error().message().find("device-io match=/dev/nope"), std::string::npos);

    auto d = Base();
    d.resources.push_back(Res("device-io", {{"match", S("/dev/vda")}, {"read-bps", S("1M")}}));
    d.resources.push_back(Res("device-io", {{"match", S("254:0")}, {"write-bps", S("1M")}}));
    auto dup = cg::limits_from_config(d, fake_lookup);
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message().find("254:0 is given more than once"), std::string::npos);
}

TEST(ResourcesMapping_Io, StatBlockDeviceRefusesOtherFiles) {
    auto r = cg::stat_block_device("/dev/null");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, ENOTBLK);
    EXPECT_FALSE(cg::stat_block_device("/dev/zone-no-such-device"));
}

TEST(ResourcesConfig_Validate, IoValuesAtSetAndVerify) {
    EXPECT_TRUE(config::check_global_prop("io-shares", S("100")));
    EXPECT_FALSE(config::check_global_prop("io-shares", S("0")));
    EXPECT_FALSE(config::check_global_prop("io-shares", S("10001")));
    EXPECT_TRUE(config::check_resource_prop("device-io", "match", S("/dev/sda")));
    EXPECT_TRUE(config::check_resource_prop("device-io", "match", S("8:0")));
    EXPECT_FALSE(config::check_resource_prop("device-io", "match", S("sda")));
    EXPECT_FALSE(config::check_resource_prop("device-io", "match", S("8:x")));
    EXPECT_FALSE(config::check_resource_prop("device-io", "match", S("/etc/../dev/sda")));
    EXPECT_TRUE(config::check_resource_prop("device-io", "read-bps", S("512K")));
    EXPECT_FALSE(config::check_resource_prop("device-io", "read-bps", S("0")));
    EXPECT_FALSE(config::check_resource_prop("device-io", "write-iops", S("many")));

    auto c = Base();
    c.resources.push_back(Res("device-io", {{"match", S("/dev/sda")}}));
    auto v = config::verify(c);
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message().find("read-bps, write-bps, read-iops or write-iops is required"),
              std::string::npos);
    auto two = Base();
    two.resources.push_back(Res("device-io", {{"match", S("/dev/sda")}, {"read-bps", S("1M")}}));
    two.resources.push_back(Res("device-io", {{"match", S("/dev/sda")}, {"write-bps", S("1M")}}));
    auto w = config::verify(two);
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().message().find("match '/dev/sda'"), std::string::npos)
        << w.error().message();
}

// ---- the ledger of dedicated CPUs ---------------------------------------------------

cg::Limits Cpus(std::string list) {
    cg::Limits l;
    l.cpuset_cpus = std::move(list);
    return l;
}

cg::Limits Count(unsigned n) {
    cg::Limits l;
    l.dedicated_ncpus = cg::CpuCount{n, n};
    return l;
}

TEST(ResourcesLedger, ExplicitCpusMayNotOverlapAnotherZone) {
    CpuLedger ledger;
    auto a = Cpus("1");
    ASSERT_TRUE(ledger.resolve("a", a, "0-3", true));
    EXPECT_EQ(ledger.held_by("a"), "1");
    auto b = Cpus("0-1");
    auto r = ledger.resolve("b", b, "0-3", true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "BUSY");
    EXPECT_NE(r.error().message().find("CPU 1 is dedicated to zone 'a'"), std::string::npos);
    EXPECT_EQ(ledger.held_by("b"), "");
    // A zone may keep (or change) its own.
    auto again = Cpus("1-2");
    EXPECT_TRUE(ledger.resolve("a", again, "0-3", true));
    EXPECT_EQ(ledger.held_by("a"), "1-2");
    auto outside = Cpus("7");
    EXPECT_FALSE(ledger.resolve("c", outside, "0-3", false));
}

TEST(ResourcesLedger, CountsPickFreeCpusAndClaimAtOnce) {
    CpuLedger ledger;
    auto a = Count(2);
    ASSERT_TRUE(ledger.resolve("a", a, "0-3", true));
    EXPECT_EQ(a.cpuset_cpus, "0-1");
    auto b = Count(2);
    ASSERT_TRUE(ledger.resolve("b", b, "0-3", true));
    EXPECT_EQ(b.cpuset_cpus, "2-3");
    auto c = Count(1);
    EXPECT_FALSE(ledger.resolve("c", c, "0-3", true));
    ledger.release("a");
    EXPECT_TRUE(ledger.resolve("c", c, "0-3", false));
    EXPECT_EQ(c.cpuset_cpus, "0");
    EXPECT_EQ(ledger.held_by("c"), "") << "not claimed";
    // No dedicated-cpu: what the zone held is let go.
    cg::Limits none;
    EXPECT_TRUE(ledger.resolve("b", none, "0-3", true));
    EXPECT_EQ(ledger.held_by("b"), "");
}

// ---- live changes ---------------------------------------------------------------------

TEST(ResourcesLive, MergeTakesOnlyTheResourceControls) {
    auto booted = Base();
    booted.props["hostname"] = S("old");
    booted.props["cpu-shares"] = S("10");
    booted.resources.push_back(Res("capped-cpu", {{"ncpus", S("1")}}));
    booted.resources.push_back(Res("fs", {{"dir", S("/data")}}));
    auto next = Base();
    next.props["hostname"] = S("new");
    next.props["max-processes"] = S("64");
    next.resources.push_back(Res("capped-memory", {{"physical", S("1G")}}));
    next.resources.push_back(Res("fs", {{"dir", S("/other")}}));
    auto merged = with_resource_controls(booted, next);
    EXPECT_EQ(merged.get_or("hostname", ""), "old") << "waits for the next boot";
    EXPECT_EQ(merged.get("cpu-shares"), nullptr) << "removed live";
    EXPECT_EQ(merged.get_or("max-processes", ""), "64");
    ASSERT_EQ(merged.of_type("fs").size(), 1U);
    EXPECT_EQ(merged.of_type("fs")[0]->get_or("dir", ""), "/data");
    EXPECT_TRUE(merged.of_type("capped-cpu").empty());
    EXPECT_EQ(merged.of_type("capped-memory").size(), 1U);
    // When only resource controls differ the result is the committed
    // configuration itself, in its order (no pending change to show).
    auto ordered = booted;
    ordered.resources = {Res("fs", {{"dir", S("/data")}}), Res("capped-cpu", {{"ncpus", S("2")}}),
                         Res("fs", {{"dir", S("/more")}})};
    auto ordered_next = ordered;
    ordered_next.resources[1] = Res("capped-cpu", {{"ncpus", S("3")}});
    auto m = with_resource_controls(ordered, ordered_next);
    EXPECT_EQ(m, ordered_next);
    // Applying the committed configuration again makes them equal when only
    // resource controls differed.
    auto only_caps = booted;
    only_caps.props.erase("cpu-shares");
    only_caps.resources.erase(only_caps.resources.begin());
    only_caps.resources.push_back(
        Res("rctl", {{"name", S("zone.max-processes")}, {"value", S("9")}}));
    EXPECT_EQ(config::to_json(with_resource_controls(booted, only_caps)).dump(),
              config::to_json(only_caps).dump());
}

TEST(ResourcesCaps, JsonHasOnlyWhatIsSet) {
    EXPECT_EQ(caps_json(cg::Limits{}), nlohmann::json::object());
    cg::Limits l;
    l.cpu_max = cg::CpuMax{50000, 100000};
    l.cpuset_cpus = "0-1,3";
    l.memory_max = 64ULL << 20;
    l.pids_max = 64;
    l.io_max.push_back(cg::IoMax{8, 0, 1000, std::nullopt, std::nullopt, std::nullopt});
    auto j = caps_json(l);
    EXPECT_EQ(j["ncpus"], 0.5);
    EXPECT_EQ(j["cpus"], "0-1,3");
    EXPECT_EQ(j["ncpus_dedicated"], 3);
    EXPECT_EQ(j["memory"], 64ULL << 20);
    EXPECT_EQ(j["processes"], 64);
    EXPECT_EQ(j["io"][0]["device"], "8:0");
    EXPECT_EQ(j["io"][0]["read_bps"], 1000);
    EXPECT_FALSE(j["io"][0].contains("write_bps"));
    EXPECT_FALSE(j.contains("cpu_shares"));
}

// ---- the host's counters --------------------------------------------------------------

TEST(ResourcesHost, ProcStatAndMeminfo) {
    std::string stat = "cpu  100 5 50 9000 40 3 2 1 0 0\ncpu0 50 2 25 4500 20 1 1 0 0 0\n";
    EXPECT_EQ(stats::busy_usec_from_proc_stat(stat, 100), (100 + 5 + 50 + 3 + 2 + 1) * 10000ULL);
    EXPECT_EQ(stats::busy_usec_from_proc_stat("intr 1 2\n", 100), 0U);
    std::string mem = "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\n";
    auto [total, used] = stats::memory_from_meminfo(mem);
    EXPECT_EQ(total, 1000U * 1024);
    EXPECT_EQ(used, 600U * 1024);
}

// ---- driver-free helpers on a fake tree ------------------------------------------------

class Tmp {
  public:
    Tmp() {
        std::string t = "/tmp/zone-restest-XXXXXX";
        if (::mkdtemp(t.data())) root = t;
    }
    ~Tmp() {
        if (!root.empty()) (void)fs::remove_tree(root);
    }
    std::string root;
};

TEST(ResourcesProbe, SaysWhichDriverWithoutWriting) {
    Tmp t;
    ASSERT_TRUE(fs::mkdir_p(t.root + "/unified", 0755));
    ASSERT_TRUE(
        fs::write_file_atomic(t.root + "/unified/cgroup.controllers", "hugetlb\n", 0644, false));
    cg::Roots hybrid{t.root + "/unified",
                     {{"memory", t.root + "/memory"}, {"pids", t.root + "/pids"}}};
    EXPECT_NE(cg::probe(hybrid).find("v1-hybrid"), std::string::npos) << cg::probe(hybrid);
    EXPECT_NE(cg::probe(hybrid).find("memory pids"), std::string::npos) << cg::probe(hybrid);
    ASSERT_TRUE(fs::write_file_atomic(t.root + "/unified/cgroup.controllers", "cpu memory pids\n",
                                      0644, false));
    EXPECT_EQ(cg::probe(hybrid).rfind("v2 (", 0), 0U) << cg::probe(hybrid);
    EXPECT_EQ(cg::probe(cg::Roots{}).rfind("none", 0), 0U);
    EXPECT_FALSE(fs::exists(t.root + "/unified/zoned")) << "probe makes nothing";
}

TEST(ResourcesDestroyDirs, RemovesEveryDirectoryAndToleratesMissingOnes) {
    Tmp t;
    cg::Dirs dirs{t.root + "/unified/zoned/web",
                  {t.root + "/memory/zoned/web", t.root + "/pids/zoned/web"}};
    ASSERT_TRUE(fs::mkdir_p(dirs.v2, 0755));
    ASSERT_TRUE(fs::mkdir_p(dirs.v1[0], 0755)); // pids/zoned/web missing
    auto r = cg::destroy_dirs(dirs);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_FALSE(fs::exists(dirs.v2));
    EXPECT_FALSE(fs::exists(dirs.v1[0]));
    EXPECT_TRUE(fs::exists(t.root + "/memory/zoned")) << "the parent stays";
    EXPECT_TRUE(cg::destroy_dirs(dirs));
}

} // namespace
} // namespace zone
