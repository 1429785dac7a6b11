// The device policy (runtime/devices.*): a node of a host block device that
// appears in a zone (here through a lofs of a host directory) does not open.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "integration/harness.hpp"

namespace zt {
namespace {

TEST(DevicePolicy, HostBlockDevicesAndMemDoNotOpenInAZone) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    // The disk of the host's root file system, /dev/mem and, as a control,
    // /dev/null: nodes on a host directory the zone gets without nodev.
    struct stat root {};
    ASSERT_EQ(::stat("/", &root), 0);
    std::string devs = d.dir() + "/devs";
    ASSERT_EQ(::mkdir(devs.c_str(), 0755), 0);
    ASSERT_EQ(::mknod((devs + "/disk").c_str(), S_IFBLK | 0600, root.st_dev), 0);
    ASSERT_EQ(::mknod((devs + "/mem").c_str(), S_IFCHR | 0600, makedev(1, 1)), 0);
    ASSERT_EQ(::mknod((devs + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_TRUE(d.boot_new_zone("cell", "add fs; set dir=/devs; set special=" + devs +
                                            "; set type=lofs; end"));
    auto ctl = d.zlogin("cell", "echo x > /devs/null && cat /devs/null");
    EXPECT_EQ(ctl.status, 0) << ctl;
    for (const char* cmd : {"dd if=/devs/disk of=/dev/null bs=512 count=1", "dd if=/devs/mem of=/dev/null bs=1 count=1"}) {
        auto r = d.zlogin("cell", cmd);
        EXPECT_NE(r.status, 0) << cmd << ": " << r;
        EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << cmd << ": " << r;
    }
}

} // namespace
} // namespace zt
