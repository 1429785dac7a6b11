// The lofs file systems of a user-namespaced zone are copies the kernel
// locked (userns::stage_lofs_before_clone): a `system` zone, which holds
// CAP_SYS_ADMIN over its own mount namespace, cannot clear `ro` or `nosuid`.
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "integration/harness.hpp"

namespace zt {
namespace {

std::pair<uint32_t, uint32_t> range_of(const TestDaemon& d, const std::string& zone) {
    auto j = nlohmann::json::parse(read_text(d.root() + "/userns/ranges.json"), nullptr, false);
    if (j.is_discarded()) return {0, 0};
    for (const auto& r : j.value("ranges", nlohmann::json::array()))
        if (r.value("zone", "") == zone) return {r.value("base", 0u), r.value("size", 0u)};
    return {0, 0};
}

TEST(LofsLock, SystemZoneCannotRemountAReadOnlyLofsReadWrite) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    std::string rw = d.dir() + "/rw", ro = d.dir() + "/ro";
    ASSERT_EQ(::mkdir(rw.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(ro.c_str(), 0755), 0);
    ASSERT_TRUE(d.configure("sys", "set userns=auto; set security-profile=system; "
                                   "add fs; set dir=/rw; set special=" + rw +
                                   "; set type=lofs; end; add fs; set dir=/ro; set special=" + ro +
                                   "; set type=lofs; set options=[ro,nosuid]; end"));
    ASSERT_TRUE(d.adm("sys", "install"));
    // Both directories belong to the zone's range: only the mount's flags
    // keep the zone's root from writing /ro.
    auto [base, size] = range_of(d, "sys");
    ASSERT_NE(size, 0u);
    ASSERT_EQ(::chown(rw.c_str(), base, base), 0);
    ASSERT_EQ(::chown(ro.c_str(), base, base), 0);
    ASSERT_TRUE(d.adm("sys", "boot"));

    auto w = d.zlogin("sys", "echo hi > /rw/f && cat /rw/f");
    EXPECT_EQ(w.status, 0) << w;
    auto t = d.zlogin("sys", "touch /ro/f");
    EXPECT_NE(t.status, 0) << t;
    EXPECT_NE(t.err.find("Read-only"), std::string::npos) << t;
    // The zone may mount (its own tmpfs), but not clear the lofs' flags.
    auto own = d.zlogin("sys", "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && umount /tmp/m");
    EXPECT_EQ(own.status, 0) << own;
    // Control: remounting a bind of its own read-only and back works, so the
    // refusals below are the locks, not a missing capability or the filter.
    auto ctl = d.zlogin("sys", "mkdir -p /tmp/x /tmp/y && mount --bind /tmp/x /tmp/y && "
                               "mount -o remount,bind,ro /tmp/y && mount -o remount,bind,rw /tmp/y "
                               "&& touch /tmp/y/ok");
    EXPECT_EQ(ctl.status, 0) << ctl;
    for (const char* cmd : {"mount -o remount,rw /ro", "mount -o remount,bind,rw /ro",
                            "mount -o remount,bind,suid /ro"}) {
        auto r = d.zlogin("sys", cmd);
        EXPECT_NE(r.status, 0) << cmd << ": " << r;
    }
    // A new bind of it inherits the lock.
    auto b = d.zlogin("sys", "mkdir -p /tmp/b && mount --bind /ro /tmp/b && "
                             "mount -o remount,bind,rw /tmp/b");
    EXPECT_NE(b.status, 0) << b;
    auto t2 = d.zlogin("sys", "touch /ro/f || touch /tmp/b/f");
    EXPECT_NE(t2.status, 0) << t2;
    struct stat st {};
    EXPECT_NE(::stat((ro + "/f").c_str(), &st), 0) << "the zone wrote into a read-only lofs";
    // The stage lived only for the clone: nothing of it is left on the host.
    std::string mounts = read_text("/proc/self/mountinfo");
    EXPECT_EQ(mounts.find("root.lofs"), std::string::npos) << mounts;
    EXPECT_EQ(::access((d.root() + "/zones/sys/root.lofs").c_str(), F_OK), -1);
}

} // namespace
} // namespace zt
