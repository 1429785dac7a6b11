// Moving a zone to another host as a user would (root): on one zoned the
// zone is detached to an archive and its gold image exported; on a second
// zoned, with its own root, the image is imported, the zone attached and
// booted, and it finds its own files and its image's. Attaching before the
// image is there is refused, naming the image, and leaves nothing behind.
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>

#include "harness.hpp"

using namespace zt;

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string cat_in(const TestDaemon& d, const std::string& zone, const std::string& file) {
    return trim(d.zlogin(zone, "cat " + file + " 2>/dev/null || echo '<missing>'").out);
}

} // namespace

TEST(Move, DetachExportImportAttachBootOnASecondRoot) {
    ZT_REQUIRE_ROOT();
    TestDaemon a;
    ASSERT_TRUE(a.started());

    // Gold on A: busybox (version 1) patched once (version 2), so the image
    // that travels has a file of its own that no fresh busybox build has.
    ASSERT_TRUE(a.ensure_image("gold"));
    auto p = a.run("zonectl", {"image", "patch", "gold", "--", "/bin/sh", "-c", "echo patched > /etc/gold"},
                   "", 60000);
    ASSERT_EQ(p.status, 0) << p;

    // A zone on it that ran and wrote a file, then halted.
    ASSERT_TRUE(a.configure("traveller", "", "gold"));
    ASSERT_TRUE(a.adm("traveller", "install"));
    ASSERT_TRUE(a.adm("traveller", "boot"));
    ASSERT_EQ(cat_in(a, "traveller", "/etc/gold"), "patched");
    auto w = a.zlogin("traveller", "echo mine > /root/note");
    ASSERT_EQ(w.status, 0) << w;
    ASSERT_TRUE(a.adm("traveller", "halt"));
    const std::string uuid = a.row("traveller").uuid;
    ASSERT_FALSE(uuid.empty());

    // What is carried to the other host: two files.
    const std::string zone_file = a.dir() + "/traveller.tar.zst";
    const std::string image_file = a.dir() + "/gold.tar.zst";
    auto det = a.zoneadm({"-z", "traveller", "detach", "-a", zone_file});
    ASSERT_EQ(det.status, 0) << det;
    EXPECT_EQ(a.state("traveller"), "configured");
    auto exp = a.run("zonectl", {"image", "export", "gold", image_file}, "", 60000);
    ASSERT_EQ(exp.status, 0) << exp;
    ASSERT_TRUE(exists(zone_file));
    ASSERT_TRUE(exists(image_file));

    TestDaemon b;
    ASSERT_TRUE(b.started());

    // Before the image is there: refused, naming the image it needs, and
    // nothing of the zone is left on B.
    auto early = b.zoneadm({"-z", "traveller", "attach", "-a", zone_file});
    EXPECT_EQ(early.status, 1) << early;
    EXPECT_NE(early.err.find("image gold@2"), std::string::npos) << early;
    EXPECT_NE(early.err.find("zonectl image import"), std::string::npos) << early;
    EXPECT_EQ(b.row("traveller").name, "");
    EXPECT_FALSE(exists(b.zone_dir("traveller")));  // no config, no files
    EXPECT_TRUE(mounts_below(b.root()).empty());
    auto none = b.run("zonectl", {"image", "info", "gold"});
    EXPECT_EQ(none.status, 1) << none;

    // The image first, then the zone.
    auto imp = b.run("zonectl", {"image", "import", image_file}, "", 60000);
    ASSERT_EQ(imp.status, 0) << imp;
    EXPECT_NE(imp.out.find("image gold version 2 imported"), std::string::npos) << imp;
    auto att = b.zoneadm({"-z", "traveller", "attach", "-a", zone_file});
    ASSERT_EQ(att.status, 0) << att;
    EXPECT_EQ(b.state("traveller"), "installed");
    EXPECT_EQ(b.row("traveller").uuid, uuid);  // the same zone, moved

    ASSERT_TRUE(b.adm("traveller", "boot"));
    EXPECT_EQ(cat_in(b, "traveller", "/root/note"), "mine");    // its own file
    EXPECT_EQ(cat_in(b, "traveller", "/etc/gold"), "patched");  // the patched image's
    EXPECT_EQ(b.zlogin("traveller", "test -x /bin/busybox").status, 0);  // and the base's
    EXPECT_EQ(b.zlogin("traveller", "echo alive").out, "alive\n");
    ASSERT_TRUE(b.adm("traveller", "halt"));

    // Nothing runs from the other root: A still has it detached.
    EXPECT_EQ(a.state("traveller"), "configured");
    EXPECT_TRUE(a.status_file("traveller").value("detached", false));
}

// The second host has an image of the same name and version that is not the
// same tree: the zone's changes would land on the wrong files, so attach is
// refused naming both digests, and nothing of the zone is left.
TEST(Move, AttachOverADifferentImageOfTheSameVersionIsRefused) {
    ZT_REQUIRE_ROOT();
    TestDaemon a, b;
    ASSERT_TRUE(a.started());
    ASSERT_TRUE(b.started());
    for (auto* d : {&a, &b}) {
        ASSERT_TRUE(d->ensure_image("gold"));
        std::string text = d == &a ? "from-a" : "from-b";
        auto p = d->run("zonectl", {"image", "patch", "gold", "--", "/bin/sh", "-c", "echo " + text + " > /etc/gold"},
                        "", 60000);
        ASSERT_EQ(p.status, 0) << p;
    }
    ASSERT_TRUE(a.configure("z", "", "gold"));
    ASSERT_TRUE(a.adm("z", "install"));
    const std::string zone_file = a.dir() + "/z.tar.zst";
    auto det = a.zoneadm({"-z", "z", "detach", "-a", zone_file});
    ASSERT_EQ(det.status, 0) << det;

    auto r = b.zoneadm({"-z", "z", "attach", "-a", zone_file});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("gold@2 here has digest"), std::string::npos) << r;
    EXPECT_EQ(b.row("z").name, "");
    EXPECT_FALSE(exists(b.zone_dir("z")));
    EXPECT_TRUE(mounts_below(b.root()).empty());

    // Importing A's gold over B's different version 2 does not replace it
    // behind the back of B's zones.
    const std::string image_file = a.dir() + "/gold.tar.zst";
    auto e = a.run("zonectl", {"image", "export", "gold", image_file}, "", 60000);
    ASSERT_EQ(e.status, 0) << e;
    auto i = b.run("zonectl", {"image", "import", image_file}, "", 60000);
    EXPECT_EQ(i.status, 1) << i;
    EXPECT_NE(i.err.find("exists with other content"), std::string::npos) << i;
    EXPECT_EQ(read_text(b.root() + "/images/gold/2/rootfs/etc/gold"), "from-b\n");
}
