// The QA cycle against real zones (root): reset to pristine, clones that are
// independent of their source, snapshots, zonecfg templates, and a zone that
// moves to a second zoned as one archive. Bad input is refused clearly and
// leaves nothing behind.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.hpp"

using namespace zt;

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// What `cat FILE` prints in the zone, or "<missing>".
std::string cat_in(const TestDaemon& d, const std::string& zone, const std::string& file) {
    auto r = d.zlogin(zone, "cat " + file + " 2>/dev/null || echo '<missing>'");
    return trim(r.out);
}

bool present_in(const TestDaemon& d, const std::string& zone, const std::string& path) {
    return d.zlogin(zone, "test -e " + path).status == 0;
}

std::string zone_address(const TestDaemon& d, const std::string& zone) {
    auto r = d.zlogin(zone, "ip -4 -o addr show eth0");
    auto pos = r.out.find("inet ");
    if (pos == std::string::npos) return "";
    auto start = pos + 5;
    return r.out.substr(start, r.out.find('/', start) - start);
}

// A zone that ran once and has changes: /etc/marker written, /bin/vi removed
// (a whiteout in its upper), /sbin replaced by a directory of its own (an
// opaque directory: trusted.overlay.opaque), then halted.
::testing::AssertionResult zone_with_changes(TestDaemon& d, const std::string& zone,
                                             const std::string& marker, const std::string& extra = "") {
    if (auto r = d.boot_new_zone(zone, extra); !r) return r;
    auto w = d.zlogin(zone, "echo " + marker + " > /etc/marker && rm /bin/vi && mkdir -p /root/work && "
                            "rm -rf /sbin && mkdir /sbin && touch /sbin/mine");
    if (w.status != 0) return ::testing::AssertionFailure() << "writing in " << zone << ": " << w;
    return d.adm(zone, "halt");
}

} // namespace

TEST(QA, ResetRestoresPristineAndBoots) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(zone_with_changes(d, "r1", "dirty"));
    // Refused while running: it is the zone's root.
    ASSERT_TRUE(d.adm("r1", "boot"));
    auto busy = d.zoneadm({"-z", "r1", "reset"});
    EXPECT_EQ(busy.status, 1) << busy;
    EXPECT_NE(busy.err.find("halt it first"), std::string::npos) << busy;
    EXPECT_EQ(cat_in(d, "r1", "/etc/marker"), "dirty");
    ASSERT_TRUE(d.adm("r1", "halt"));

    ASSERT_TRUE(d.adm("r1", "reset"));
    EXPECT_EQ(d.state("r1"), "installed");
    ASSERT_TRUE(d.adm("r1", "boot"));
    EXPECT_EQ(cat_in(d, "r1", "/etc/marker"), "<missing>");
    EXPECT_TRUE(present_in(d, "r1", "/bin/vi"));  // the image's file is back
    EXPECT_TRUE(present_in(d, "r1", "/sbin/ifconfig"));
    EXPECT_FALSE(present_in(d, "r1", "/root/work"));
    EXPECT_EQ(d.zlogin("r1", "echo alive").out, "alive\n");
    ASSERT_TRUE(d.adm("r1", "halt"));
    // Nothing of the old upper is left next to the new one; the trash it
    // went to empties itself in the background.
    for (const char* left : {"/.new-upper", "/.new-work"}) EXPECT_FALSE(exists(d.zone_dir("r1") + left));
    std::string trash = d.root() + "/zones/.trash";
    EXPECT_TRUE(wait_for([&] { return !exists(trash) || split_lines(trim(run_command({"/bin/ls", "-A", trash},
                                                                                  environment_with({})).out)).empty(); },
                         10000));
    EXPECT_EQ(d.row(".trash").name, "");  // never taken for a zone
}

TEST(QA, ResetOfACopyZoneRecopiesTheImage) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(zone_with_changes(d, "cp1", "dirty", "set root-type=copy"));
    ASSERT_TRUE(d.adm("cp1", "reset"));
    ASSERT_TRUE(d.adm("cp1", "boot"));
    EXPECT_EQ(cat_in(d, "cp1", "/etc/marker"), "<missing>");
    EXPECT_TRUE(present_in(d, "cp1", "/bin/vi"));
}

TEST(QA, CloneIsIndependentOfItsSource) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(zone_with_changes(d, "src", "from-src", "add net; end"));
    ASSERT_TRUE(d.adm("src", "boot"));
    // A running source is frozen while its files are copied.
    auto c = d.zoneadm({"-z", "cl1", "clone", "src"});
    ASSERT_EQ(c.status, 0) << c;
    EXPECT_EQ(d.state("src"), "running");
    EXPECT_EQ(d.zlogin("src", "echo thawed").out, "thawed\n");
    EXPECT_EQ(d.state("cl1"), "installed");
    ASSERT_TRUE(d.adm("cl1", "boot"));

    // The clone has the source's changes: its file and its whiteout.
    EXPECT_EQ(cat_in(d, "cl1", "/etc/marker"), "from-src");
    EXPECT_FALSE(present_in(d, "cl1", "/bin/vi"));
    EXPECT_TRUE(present_in(d, "cl1", "/root/work"));
    EXPECT_EQ(trim(d.zlogin("cl1", "ls /sbin").out), "mine");  // still opaque
    // From now on each has its own.
    ASSERT_EQ(d.zlogin("cl1", "echo clone > /etc/marker; touch /etc/only-clone").status, 0);
    ASSERT_EQ(d.zlogin("src", "touch /etc/only-src").status, 0);
    EXPECT_EQ(cat_in(d, "src", "/etc/marker"), "from-src");
    EXPECT_FALSE(present_in(d, "src", "/etc/only-clone"));
    EXPECT_FALSE(present_in(d, "cl1", "/etc/only-src"));

    // Both run at once, with their own address, uuid and host name.
    std::string a1 = zone_address(d, "src"), a2 = zone_address(d, "cl1");
    EXPECT_FALSE(a1.empty());
    EXPECT_FALSE(a2.empty());
    EXPECT_NE(a1, a2);
    EXPECT_NE(d.row("src").uuid, d.row("cl1").uuid);
    EXPECT_NE(d.row("src").id, d.row("cl1").id);
    EXPECT_EQ(trim(d.zlogin("cl1", "hostname").out), "cl1");
    auto cfg = d.zonecfg("cl1", "export");
    EXPECT_NE(cfg.out.find("image=base"), std::string::npos) << cfg;

    // Onto a zone that is only configured (Solaris): its own configuration stays.
    ASSERT_TRUE(d.configure("cl2", "set max-processes=77"));
    auto c2 = d.zoneadm({"-z", "cl2", "clone", "src"});
    ASSERT_EQ(c2.status, 0) << c2;
    EXPECT_NE(d.zonecfg("cl2", "export").out.find("set max-processes=77"), std::string::npos);
    EXPECT_EQ(d.zonecfg("cl2", "export").out.find("add net"), std::string::npos);
    ASSERT_TRUE(d.adm("cl2", "boot"));
    EXPECT_EQ(cat_in(d, "cl2", "/etc/marker"), "from-src");

    // Removing the source leaves the clone whole.
    ASSERT_TRUE(d.adm("src", "halt"));
    ASSERT_TRUE(d.adm("src", "uninstall"));
    ASSERT_EQ(d.zonecfg("src", "delete -F").status, 0);
    EXPECT_EQ(cat_in(d, "cl1", "/etc/marker"), "clone");
}

TEST(QA, SnapshotCreateListRollbackDelete) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(zone_with_changes(d, "s1", "first"));
    auto c = d.zoneadm({"-z", "s1", "snapshot", "create", "before"});
    ASSERT_EQ(c.status, 0) << c;
    EXPECT_EQ(trim(c.out), "before");

    ASSERT_TRUE(d.adm("s1", "boot"));
    ASSERT_EQ(d.zlogin("s1", "echo second > /etc/marker; touch /etc/later").status, 0);
    // A snapshot of a running zone (frozen meanwhile) too.
    ASSERT_EQ(d.zoneadm({"-z", "s1", "snapshot", "create", "running"}).status, 0);
    auto list = d.zoneadm({"-z", "s1", "snapshot", "list", "-p"});
    ASSERT_EQ(list.status, 0) << list;
    auto rows = split_lines(trim(list.out));
    ASSERT_EQ(rows.size(), 2u) << list.out;
    EXPECT_EQ(rows[0].rfind("before:", 0), 0u) << rows[0];
    EXPECT_NE(rows[0].find(":base@1"), std::string::npos) << rows[0];
    EXPECT_EQ(rows[1].rfind("running:", 0), 0u) << rows[1];

    // Rollback replaces the zone's files: refused while it runs.
    auto busy = d.zoneadm({"-z", "s1", "snapshot", "rollback", "before"});
    EXPECT_EQ(busy.status, 1) << busy;
    EXPECT_NE(busy.err.find("halt it first"), std::string::npos) << busy;
    ASSERT_TRUE(d.adm("s1", "halt"));
    auto rb = d.zoneadm({"-z", "s1", "snapshot", "rollback", "before"});
    ASSERT_EQ(rb.status, 0) << rb;
    ASSERT_TRUE(d.adm("s1", "boot"));
    EXPECT_EQ(cat_in(d, "s1", "/etc/marker"), "first");
    EXPECT_FALSE(present_in(d, "s1", "/etc/later"));
    EXPECT_FALSE(present_in(d, "s1", "/bin/vi"));

    // A clone from a snapshot: the state of that moment.
    ASSERT_EQ(d.zoneadm({"-z", "s2", "clone", "-s", "running", "s1"}).status, 0);
    ASSERT_TRUE(d.adm("s2", "boot"));
    EXPECT_EQ(cat_in(d, "s2", "/etc/marker"), "second");
    EXPECT_TRUE(present_in(d, "s2", "/etc/later"));

    ASSERT_EQ(d.zoneadm({"-z", "s1", "snapshot", "delete", "before"}).status, 0);
    list = d.zoneadm({"-z", "s1", "snapshot", "list", "-p"});
    EXPECT_EQ(list.out.find("before:"), std::string::npos) << list.out;
    EXPECT_FALSE(exists(d.zone_dir("s1") + "/snapshots/before"));
}

TEST(QA, TemplatesEndToEndThroughZonecfg) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("gold-qa", "set max-processes=300; set hostname=gold-qa; add net; end"));
    auto t = d.run("zonectl", {"template", "create", "qa", "-z", "gold-qa"});
    ASSERT_EQ(t.status, 0) << t;
    EXPECT_TRUE(exists(d.root() + "/templates/qa.json"));

    // One line makes a zone from it.
    auto z = d.zonecfg("qa-alice", "create -t qa; set owner=alice; commit");
    ASSERT_EQ(z.status, 0) << z;
    auto exp = d.zonecfg("qa-alice", "export");
    EXPECT_NE(exp.out.find("set image=base"), std::string::npos) << exp.out;
    EXPECT_NE(exp.out.find("set max-processes=300"), std::string::npos) << exp.out;
    EXPECT_NE(exp.out.find("set owner=alice"), std::string::npos) << exp.out;
    EXPECT_NE(exp.out.find("add net"), std::string::npos) << exp.out;
    // The host name was the source's own name: not part of the template.
    EXPECT_EQ(exp.out.find("hostname"), std::string::npos) << exp.out;
    ASSERT_TRUE(d.adm("qa-alice", "install"));
    ASSERT_TRUE(d.adm("qa-alice", "boot"));
    EXPECT_EQ(trim(d.zlogin("qa-alice", "hostname").out), "qa-alice");

    // From a zonecfg command file, itself on top of a template.
    std::string file = d.dir() + "/small.cfg";
    ASSERT_TRUE(write_text(file, "create -t qa\nset max-processes=64\nremove net\n"));
    t = d.run("zonectl", {"template", "create", "small", "-f", file});
    ASSERT_EQ(t.status, 0) << t;
    auto show = d.run("zonectl", {"template", "show", "small"});
    EXPECT_NE(show.out.find("set max-processes=64"), std::string::npos) << show;
    EXPECT_EQ(show.out.find("add net"), std::string::npos) << show;
    auto list = d.run("zonectl", {"template", "list", "-p"});
    EXPECT_NE(list.out.find("qa:"), std::string::npos) << list;
    EXPECT_NE(list.out.find("small:"), std::string::npos) << list;
    EXPECT_NE(list.out.find("default:"), std::string::npos) << list;

    // Refusals: an existing name, a built-in, a bad file; then delete.
    t = d.run("zonectl", {"template", "create", "qa", "-z", "gold-qa"});
    EXPECT_EQ(t.status, 1) << t;
    EXPECT_NE(t.err.find("already exists"), std::string::npos) << t;
    t = d.run("zonectl", {"template", "create", "default", "-z", "gold-qa"});
    EXPECT_EQ(t.status, 1) << t;
    EXPECT_NE(t.err.find("built-in"), std::string::npos) << t;
    ASSERT_TRUE(write_text(file, "create\nset max-processes=many\n"));
    t = d.run("zonectl", {"template", "create", "bad", "-f", file});
    EXPECT_NE(t.status, 0) << t;
    EXPECT_NE(t.err.find(":2"), std::string::npos) << t;  // the line
    EXPECT_FALSE(exists(d.root() + "/templates/bad.json"));
    ASSERT_EQ(d.run("zonectl", {"template", "delete", "small"}).status, 0);
    z = d.zonecfg("qa-bob", "create -t small; commit");
    EXPECT_EQ(z.status, 1) << z;
    EXPECT_NE(z.err.find("no template named 'small'"), std::string::npos) << z;
    EXPECT_EQ(d.row("qa-bob").name, "");
}

TEST(QA, DetachArchiveAttachOnASecondRoot) {
    ZT_REQUIRE_ROOT();
    TestDaemon d1;
    ASSERT_TRUE(d1.started());
    ASSERT_TRUE(zone_with_changes(d1, "mv", "travelled", "add net; end"));
    ASSERT_TRUE(d1.adm("mv", "boot"));
    auto busy = d1.zoneadm({"-z", "mv", "detach"});
    EXPECT_EQ(busy.status, 1) << busy;
    ASSERT_TRUE(d1.adm("mv", "halt"));
    ASSERT_EQ(d1.zoneadm({"-z", "mv", "snapshot", "create", "keep"}).status, 0);

    std::string archive = d1.dir() + "/mv.tar.zst";
    auto det = d1.zoneadm({"-z", "mv", "detach", "-a", archive});
    ASSERT_EQ(det.status, 0) << det;
    EXPECT_TRUE(exists(archive));
    EXPECT_EQ(d1.state("mv"), "configured");
    EXPECT_TRUE(d1.status_file("mv").value("detached", false));
    // A detached zone is not installed over again by accident.
    auto inst = d1.zoneadm({"-z", "mv", "install"});
    EXPECT_EQ(inst.status, 1) << inst;
    EXPECT_NE(inst.err.find("detached"), std::string::npos) << inst;

    // A second zoned with the same image (built from the same busybox: version 1).
    TestDaemon d2;
    ASSERT_TRUE(d2.started());
    ASSERT_TRUE(d2.ensure_image());
    auto att = d2.zoneadm({"-z", "mv", "attach", "-a", archive});
    ASSERT_EQ(att.status, 0) << att;
    EXPECT_EQ(d2.state("mv"), "installed");
    EXPECT_EQ(d2.row("mv").uuid, d1.row("mv").uuid);  // the same zone, moved
    ASSERT_TRUE(d2.adm("mv", "boot"));
    EXPECT_EQ(cat_in(d2, "mv", "/etc/marker"), "travelled");
    EXPECT_FALSE(present_in(d2, "mv", "/bin/vi"));  // the whiteout travelled too
    EXPECT_EQ(trim(d2.zlogin("mv", "ls /sbin").out), "mine");  // and the opaque directory
    EXPECT_EQ(zone_address(d2, "mv").rfind(d2.subnet_prefix(), 0), 0u);

    // From the detached zone's directory too (a copy of it would do): the
    // uuid is taken on d2 by now, so this one gets its own.
    auto fromdir = d2.zoneadm({"-z", "mv2", "attach", "-d", d1.zone_dir("mv")});
    ASSERT_EQ(fromdir.status, 0) << fromdir;
    EXPECT_NE(d2.row("mv2").uuid, d2.row("mv").uuid);
    ASSERT_TRUE(d2.adm("mv2", "boot"));
    EXPECT_EQ(cat_in(d2, "mv2", "/etc/marker"), "travelled");
    EXPECT_EQ(trim(d2.zlogin("mv2", "ls /sbin").out), "mine");

    // Back home in place, under its old name.
    auto back = d1.zoneadm({"-z", "mv", "attach"});
    ASSERT_EQ(back.status, 0) << back;
    EXPECT_EQ(d1.state("mv"), "installed");
    ASSERT_TRUE(d1.adm("mv", "boot"));
    EXPECT_EQ(cat_in(d1, "mv", "/etc/marker"), "travelled");
}

TEST(QA, BadInputIsRefusedAndLeavesNothingBehind) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(zone_with_changes(d, "a", "mine"));
    ASSERT_TRUE(zone_with_changes(d, "b", "theirs"));

    // Clone onto an existing, installed zone: refused, its files untouched.
    auto r = d.zoneadm({"-z", "b", "clone", "a"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("zone 'b' already exists"), std::string::npos) << r;
    ASSERT_TRUE(d.adm("b", "boot"));
    EXPECT_EQ(cat_in(d, "b", "/etc/marker"), "theirs");

    // Clone of nothing, from a missing snapshot, onto itself.
    r = d.zoneadm({"-z", "c", "clone", "nosuch"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("zone 'nosuch' is not configured"), std::string::npos) << r;
    r = d.zoneadm({"-z", "c", "clone", "-s", "nosnap", "a"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("has no snapshot 'nosnap'"), std::string::npos) << r;
    EXPECT_EQ(d.row("c").name, "");
    EXPECT_FALSE(exists(d.zone_dir("c")));
    r = d.zoneadm({"-z", "a", "clone", "a"});
    EXPECT_EQ(r.status, 1) << r;

    // Snapshots that do not exist, names that cannot be.
    r = d.zoneadm({"-z", "a", "snapshot", "rollback", "nosnap"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("zone 'a' has no snapshot 'nosnap'"), std::string::npos) << r;
    r = d.zoneadm({"-z", "a", "snapshot", "delete", "nosnap"});
    EXPECT_EQ(r.status, 1) << r;
    r = d.zoneadm({"-z", "a", "snapshot", "create", "../escape"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("not valid"), std::string::npos) << r;
    ASSERT_EQ(d.zoneadm({"-z", "a", "snapshot", "create", "one"}).status, 0);
    r = d.zoneadm({"-z", "a", "snapshot", "create", "one"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("already has a snapshot 'one'"), std::string::npos) << r;

    // Attach where the image it needs is missing: named, nothing created.
    std::string archive = d.dir() + "/a.tar.zst";
    ASSERT_EQ(d.zoneadm({"-z", "a", "detach", "-a", archive}).status, 0);
    TestDaemon empty;
    ASSERT_TRUE(empty.started());
    r = empty.zoneadm({"-z", "a", "attach", "-a", archive});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("image base@1"), std::string::npos) << r;
    EXPECT_NE(r.err.find("zonectl image import"), std::string::npos) << r;
    EXPECT_EQ(empty.row("a").name, "");
    EXPECT_FALSE(exists(empty.zone_dir("a")));
    // The image is there, but not the version the zone sat on: named again;
    // -F takes the newest there is.
    ASSERT_EQ(d.run("zonectl", {"image", "build", "base", "--from", "busybox"}, "", 60000).status, 0);
    ASSERT_TRUE(d.configure("v2z"));
    ASSERT_TRUE(d.adm("v2z", "install"));  // on base@2
    std::string archive2 = d.dir() + "/v2z.tar.zst";
    ASSERT_EQ(d.zoneadm({"-z", "v2z", "detach", "-a", archive2}).status, 0);
    ASSERT_TRUE(empty.ensure_image());  // base@1 only
    r = empty.zoneadm({"-z", "v2z", "attach", "-a", archive2});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("image base@2"), std::string::npos) << r;
    EXPECT_EQ(empty.row("v2z").name, "");
    r = empty.zoneadm({"-z", "v2z", "attach", "-F", "-a", archive2});
    ASSERT_EQ(r.status, 0) << r;
    EXPECT_EQ(empty.status_file("v2z").value("image_version", 0), 1);
    // Not an archive at all.
    std::string junk = d.dir() + "/junk.tar.zst";
    ASSERT_TRUE(write_text(junk, "this is not a tar file\n"));
    r = empty.zoneadm({"-z", "a", "attach", "-a", junk});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_EQ(empty.row("a").name, "");
    EXPECT_FALSE(exists(empty.zone_dir("a")));
    // An archive onto a zone that exists there.
    r = d.zoneadm({"-z", "b", "attach", "-a", archive});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("already configured"), std::string::npos) << r;
    // detach never overwrites a file.
    ASSERT_TRUE(d.adm("b", "halt"));
    r = d.zoneadm({"-z", "b", "detach", "-a", archive});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_EQ(d.state("b"), "installed");
}

TEST(QA, RestartRemovesWhatACutOffOperationLeft) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(zone_with_changes(d, "cut", "kept"));
    ASSERT_EQ(d.zoneadm({"-z", "cut", "snapshot", "create", "s"}).status, 0);
    // What a reset, a snapshot and a snapshot delete leave when zoned dies mid-way.
    ASSERT_EQ(::mkdir((d.zone_dir("cut") + "/.new-upper").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((d.zone_dir("cut") + "/snapshots/.new-t").c_str(), 0700), 0);
    ASSERT_EQ(::mkdir((d.zone_dir("cut") + "/snapshots/.discard-u").c_str(), 0700), 0);
    std::string trash = d.root() + "/zones/.trash";
    ASSERT_EQ(::mkdir(trash.c_str(), 0700), 0);
    ASSERT_EQ(::mkdir((trash + "/cut-upper-1-1").c_str(), 0755), 0);
    ASSERT_TRUE(d.restart(SIGKILL));
    EXPECT_TRUE(wait_for([&] { return !exists(trash); }, 10000));
    EXPECT_FALSE(exists(d.zone_dir("cut") + "/.new-upper"));
    EXPECT_FALSE(exists(d.zone_dir("cut") + "/snapshots/.new-t"));
    EXPECT_FALSE(exists(d.zone_dir("cut") + "/snapshots/.discard-u"));
    EXPECT_TRUE(exists(d.zone_dir("cut") + "/snapshots/s/snapshot.json"));
    ASSERT_TRUE(d.adm("cut", "boot"));
    EXPECT_EQ(cat_in(d, "cut", "/etc/marker"), "kept");
}

// userns=auto: a zone's files are stored shifted to its own id range. A clone
// (files of another range), a reset (a new upper made by the host's root) and
// an attached archive are moved to the zone's range at its next boot.
TEST(QA, CloneAndResetOfAUserNamespacedZone) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(zone_with_changes(d, "u1", "mine", "set userns=auto"));
    ASSERT_EQ(d.zoneadm({"-z", "u2", "clone", "u1"}).status, 0);
    ASSERT_TRUE(d.adm("u1", "boot"));
    ASSERT_TRUE(d.adm("u2", "boot"));
    for (const char* z : {"u1", "u2"}) {
        EXPECT_EQ(cat_in(d, z, "/etc/marker"), "mine") << z;
        EXPECT_EQ(trim(d.zlogin(z, "stat -c %u:%g /etc/marker").out), "0:0") << z;
        EXPECT_EQ(d.zlogin(z, "touch /root/new").status, 0) << z;
    }
    unsigned b1 = d.status_file("u1").value("files_uid_base", 0U);
    unsigned b2 = d.status_file("u2").value("files_uid_base", 0U);
    EXPECT_NE(b1, 0u);
    EXPECT_NE(b2, 0u);
    EXPECT_NE(b1, b2);
    struct stat st {};
    ASSERT_EQ(::lstat((d.zone_dir("u2") + "/upper/etc/marker").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, b2);  // the clone's own range on the host
    ASSERT_TRUE(d.adm("u2", "halt"));
    ASSERT_TRUE(d.adm("u2", "reset"));
    ASSERT_TRUE(d.adm("u2", "boot"));
    EXPECT_EQ(cat_in(d, "u2", "/etc/marker"), "<missing>");
    EXPECT_EQ(d.zlogin("u2", "touch /root/again").status, 0);
}
