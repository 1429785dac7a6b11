// Per-zone seccomp additions and the socket families of the hardened
// profile, in real booted zones: a static probe (tests/probe) bound into the
// zone read-only makes one system call and prints its outcome.
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "integration/harness.hpp"

namespace zt {
namespace {

// The probe, copied into a directory of the test's own that zones bind at /probe.
std::string probe_dir(const TestDaemon& d) {
    std::string dir = d.dir() + "/probe";
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(SECCOMP_PROBE_BIN, dir + "/seccomp-probe",
                               std::filesystem::copy_options::overwrite_existing);
    ::chmod((dir + "/seccomp-probe").c_str(), 0755);
    return dir;
}

std::string with_probe(const TestDaemon& d, const std::string& extra = "") {
    return "add fs; set dir=/probe; set special=" + probe_dir(d) +
           "; set type=lofs; set options=[ro]; end" + (extra.empty() ? "" : "; " + extra);
}

std::string probe(const TestDaemon& d, const std::string& zone, const std::string& args) {
    auto r = d.zlogin(zone, "/probe/seccomp-probe " + args);
    return trim(r.out);
}

TEST(SeccompZone, ZonecfgRefusesBadAdditions) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    auto never = d.zonecfg("z", "create; set image=base; set seccomp-allow=[keyctl,kexec_load]; commit");
    EXPECT_NE(never.status, 0);
    EXPECT_NE(never.err.find("'kexec_load' may never be allowed"), std::string::npos) << never;
    auto typo = d.zonecfg("z", "create; set image=base; set seccomp-deny=[ptrace,ptrce]; commit");
    EXPECT_NE(typo.status, 0);
    EXPECT_NE(typo.err.find("'ptrce' is not a system call"), std::string::npos) << typo;
    auto both = d.zonecfg("z", "create; set image=base; set seccomp-allow=[keyctl]; "
                               "set seccomp-deny=[keyctl]; commit");
    EXPECT_NE(both.status, 0);
    EXPECT_NE(both.err.find("both seccomp-allow and seccomp-deny"), std::string::npos) << both;
    EXPECT_EQ(d.state("z"), "");
}

TEST(SeccompZone, AllowOpensADeniedCallAndDenyClosesAnAllowedOne) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("plain", with_probe(d)));
    ASSERT_TRUE(d.boot_new_zone(
        "tuned", with_probe(d, "set seccomp-allow=[keyctl]; set seccomp-deny=[chroot]")));
    // keyctl: EPERM by default (keyrings are not namespaced), open after allow.
    EXPECT_EQ(probe(d, "plain", "keyctl"), "errno 1");
    EXPECT_EQ(probe(d, "tuned", "keyctl"), "ok");
    // chroot: allowed by default (sys_chroot), EPERM after deny.
    auto c = d.zlogin("plain", "chroot / true");
    EXPECT_EQ(c.status, 0) << c;
    auto t = d.zlogin("tuned", "chroot / true");
    EXPECT_NE(t.status, 0) << t;
    EXPECT_NE(t.err.find("Operation not permitted"), std::string::npos) << t;
    // Everything else is the profile's.
    EXPECT_EQ(probe(d, "tuned", "uname"), "ok");
    EXPECT_EQ(probe(d, "tuned", "socket 40"), "errno 97");
}

TEST(SeccompZone, HardenedRefusesUnusualSocketFamilies) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("cell", with_probe(d)));
    EXPECT_EQ(probe(d, "cell", "socket " + std::to_string(AF_UNIX)), "ok");
    EXPECT_EQ(probe(d, "cell", "socket " + std::to_string(AF_INET)), "ok");
    EXPECT_EQ(probe(d, "cell", "socket " + std::to_string(AF_INET6) + " " +
                                   std::to_string(SOCK_DGRAM)),
              "ok");
    EXPECT_EQ(probe(d, "cell", "socket " + std::to_string(AF_NETLINK) + " " +
                                   std::to_string(SOCK_RAW)),
              "ok");
    for (int fam : {AF_VSOCK, AF_KEY, AF_ALG, AF_BLUETOOTH, AF_RDS, AF_TIPC, AF_XDP, AF_CAN})
        EXPECT_EQ(probe(d, "cell", "socket " + std::to_string(fam) + " " +
                                       std::to_string(SOCK_SEQPACKET)),
                  "errno " + std::to_string(EAFNOSUPPORT))
            << "family " << fam;
    // The usual tools still work: busybox's ip speaks netlink.
    auto ip = d.zlogin("cell", "ip -o link show lo");
    EXPECT_EQ(ip.status, 0) << ip;
}

} // namespace
} // namespace zt
