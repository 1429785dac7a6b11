// The escape suite: a real zone, the static escape-probe copied into it, run
// through zlogin as the zone's root and as a normal user of the zone; every
// check must hold. Parameterized by extra zonecfg lines, so that the same
// suite runs against every kind of zone (see INSTANTIATE_TEST_SUITE_P below).
#include <dirent.h>
#include <iostream>
#include <set>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "integration/harness.hpp"

namespace zt {

// One kind of zone the suite runs against: a name for the test and the
// zonecfg commands added to `create; set image=base`.
struct EscapeVariant {
    std::string name;
    std::string zonecfg;
    // Checks the zone's profile grants inside its own namespaces (the
    // system profile may mount in its user namespace): not held to PASS.
    std::set<std::string> granted = {};    // The zone's cgroup2 group is delegated to its root (userns + system):
    // its cgroup.procs and cgroup.subtree_control may be writable.
    bool delegated = false;
};

// Test names say the variant, not its bytes.
inline void PrintTo(const EscapeVariant& v, std::ostream* os) {
    *os << v.name;
}

class EscapeSuite : public ::testing::TestWithParam<EscapeVariant> {};

namespace {

const std::vector<std::string> kChecks = {"inherited-fds",
                                          "host-processes",
                                          "mount",
                                          "modules",
                                          "proc-sys",
                                          "sysrq",
                                          "open_by_handle_at",
                                          "keyctl",
                                          "mknod-disk",
                                          "ptrace",
                                          "kmsg",
                                          "capset",
                                          "cgroup",
                                          "zoned-binary",
                                          "zoned-socket"};

// "MAJ:MIN" of the first block device the host has (/proc/partitions).
std::string host_disk() {
    for (const auto& line : split_lines(read_text("/proc/partitions"))) {
        unsigned maj = 0, min = 0;
        char name[64];
        if (std::sscanf(line.c_str(), "%u %u %*u %63s", &maj, &min, name) == 3)
            return std::to_string(maj) + ":" + std::to_string(min);
    }
    return "8:0";
}

bool dir_empty(const std::string& path) {
    DIR* d = ::opendir(path.c_str());
    if (!d) return false;
    int n = 0;
    while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
    ::closedir(d);
    return n == 0;
}

std::string with(const std::string& extra, const std::string& more) {
    return extra.empty() ? more : extra + "; " + more;
}

// Copies the probe into the zone (its upper layer) through zlogin's stdin.
::testing::AssertionResult install_probe(const TestDaemon& d, const std::string& zone) {
    std::string bin = read_text(ESCAPE_PROBE_BIN);
    if (bin.empty()) return ::testing::AssertionFailure() << "cannot read " << ESCAPE_PROBE_BIN;
    auto r = d.run("zlogin", {zone, "cat > /escape-probe && chmod 755 /escape-probe"}, bin);
    if (r.status != 0) return ::testing::AssertionFailure() << "copying the probe: " << r;
    return ::testing::AssertionSuccess();
}

// Each check's line must say PASS.
void expect_all_pass(const RunResult& r, const std::string& who,
                     const std::set<std::string>& granted = {}) {
    for (const auto& c : kChecks) {
        if (granted.count(c)) continue;
        bool found = false;
        for (const auto& line : split_lines(r.out)) {
            if (line.rfind(c + " ", 0) != 0) continue;
            found = true;
            EXPECT_EQ(line.substr(c.size() + 1, 4), "PASS") << who << ": " << line;
        }
        EXPECT_TRUE(found) << who << ": no line for " << c << "\n" << r;
    }
    if (granted.empty()) {
        EXPECT_EQ(r.status, 0) << who << "\n" << r;
    }
}

} // namespace

TEST_P(EscapeSuite, ProbeFindsNoWayOutAsRootOrUser) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("cell", GetParam().zonecfg));
    ASSERT_TRUE(install_probe(d, "cell"));
    // A host process whose command line the zone must not see.
    std::string marker = "31" + std::to_string(::getpid()) + "7";
    Child host_proc({"/bin/sleep", marker}, environment_with({}));
    ASSERT_TRUE(host_proc.started());
    std::string cmd = "/escape-probe --marker 'sleep " + marker + "' --host-pid " +
                      std::to_string(d.pid()) + " --disk " + host_disk() + " --path " + ZONED_BIN +
                      " --path " + d.socket() + " --path " + d.root() + " --path " +
                      ESCAPE_PROBE_BIN + (GetParam().delegated ? " --delegated 1" : "");
    auto as_root = d.zlogin("cell", cmd);
    std::cout << "[ probe as the zone's root ]\n" << as_root.out;
    expect_all_pass(as_root, "zone root", GetParam().granted);
    auto as_user = d.run("zlogin", {"-l", "user", "cell", cmd});
    std::cout << "[ probe as a user of the zone ]\n" << as_user.out;
    expect_all_pass(as_user, "zone user", GetParam().granted);
}

TEST_P(EscapeSuite, PlantedSymlinksDoNotRedirectZonedsWrites) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    // /etc/hosts is written at boot for a zone with a network.
    ASSERT_TRUE(
        d.boot_new_zone("cell", with(GetParam().zonecfg, "add net; set address=auto; end")));
    std::string victim = d.dir() + "/victim";
    ASSERT_TRUE(write_text(victim, "untouched\n"));
    std::string victim_dir = d.dir() + "/victim-dir";
    ASSERT_EQ(::mkdir(victim_dir.c_str(), 0755), 0);

    // The zone's root points /etc/hosts at a host file, then /etc/resolv.conf
    // at a host directory; halt and boot make zoned write both.
    auto plant = d.zlogin("cell", "rm -f /etc/hosts /etc/resolv.conf && ln -s " + victim +
                                      " /etc/hosts && ln -s " + victim_dir + " /etc/resolv.conf");
    ASSERT_EQ(plant.status, 0) << plant;
    ASSERT_TRUE(d.adm("cell", "halt"));
    ASSERT_TRUE(d.adm("cell", "boot"));
    EXPECT_EQ(read_text(victim), "untouched\n");
    EXPECT_TRUE(dir_empty(victim_dir)) << "zoned wrote into " << victim_dir;
    // zoned replaced the links with files inside the zone.
    auto hosts = d.zlogin("cell", "test -L /etc/hosts || cat /etc/hosts");
    EXPECT_EQ(hosts.status, 0) << hosts;
    EXPECT_NE(hosts.out.find("cell"), std::string::npos) << hosts;

    // /etc itself a link to a host directory: nothing lands there either
    // (the boot may fail: the zone broke itself).
    auto plant_dir = d.zlogin("cell", "mv /etc /etc.real && ln -s " + victim_dir + " /etc");
    ASSERT_EQ(plant_dir.status, 0) << plant_dir;
    ASSERT_TRUE(d.adm("cell", "halt"));
    (void)d.zoneadm({"-z", "cell", "boot"});
    EXPECT_TRUE(dir_empty(victim_dir)) << "zoned wrote into " << victim_dir;
    EXPECT_EQ(read_text(victim), "untouched\n");
}

// The probe itself: in a zone given sys_admin (mount opens in the filter)
// it must see the way out and say FAIL, or its PASS lines would mean nothing.
TEST(EscapeProbe, ReportsAWayOutWhenThereIsOne) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("weak", "set limitpriv=default,+sys_admin"));
    ASSERT_TRUE(install_probe(d, "weak"));
    auto r = d.zlogin("weak", "/escape-probe");
    EXPECT_NE(r.status, 0) << r;
    bool mount_failed = false;
    for (const auto& line : split_lines(r.out))
        if (line.rfind("mount FAIL", 0) == 0) mount_failed = true;
    EXPECT_TRUE(mount_failed) << r;
}

// The zones the suite runs against; another kind of zone is one more value.
INSTANTIATE_TEST_SUITE_P(Default, EscapeSuite,
                         ::testing::Values(EscapeVariant{"hardened", ""},
                                           EscapeVariant{"tight", "set limitpriv=none"},
                                           EscapeVariant{"userns", "set userns=auto"},
                                           EscapeVariant{"system",
                                                         "set userns=auto; "
                                                         "set security-profile=system",
                                                         {"mount", "capset"},
                                                         true}),
                         [](const auto& i) { return i.param.name; });

} // namespace zt
