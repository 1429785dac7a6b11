// Authorization with real users of the host: the client runs as them
// (setpriv), zoned judges every call from SO_PEERCRED/SO_PEERGROUPS.
// Users and groups are created for the test and removed at the end, pass or
// fail.
#include <atomic>
#include <gtest/gtest.h>
#include <pwd.h>

#include "integration/harness.hpp"

namespace zt {
namespace {

std::atomic<unsigned> g_users{0};

// A user (with its own group) made by useradd, removed by userdel.
class HostUser {
  public:
    // `groups`: supplementary groups (made by HostGroup).
    explicit HostUser(const std::string& groups = "") {
        name_ = "zt" + std::to_string(::getpid()) + "u" + std::to_string(g_users++);
        std::vector<std::string> argv{"/usr/sbin/useradd", "-M", "-U",          "-s",
                                      "/bin/sh",           "-d", "/nonexistent"};
        if (!groups.empty()) argv.insert(argv.end(), {"-G", groups});
        argv.push_back(name_);
        // useradd waits for the passwd lock a while; parallel tests may still
        // outlast it.
        RunResult r;
        for (int i = 0; i < 3 && r.status != 0; ++i) r = run_command(argv, environment_with({}));
        ok_ = r.status == 0;
        if (!ok_) error_ = "useradd " + name_ + ": " + r.err;
    }
    ~HostUser() {
        if (ok_) (void)run_command({"/usr/sbin/userdel", name_}, environment_with({}));
        // userdel removes the user's own group; make sure.
        (void)run_command({"/usr/sbin/groupdel", name_}, environment_with({}));
    }
    HostUser(const HostUser&) = delete;
    HostUser& operator=(const HostUser&) = delete;
    const std::string& name() const { return name_; }
    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }

  private:
    std::string name_, error_;
    bool ok_ = false;
};

class HostGroup {
  public:
    HostGroup() {
        name_ = "zt" + std::to_string(::getpid()) + "g" + std::to_string(g_users++);
        ok_ = run_command({"/usr/sbin/groupadd", name_}, environment_with({})).status == 0;
    }
    ~HostGroup() {
        if (ok_) (void)run_command({"/usr/sbin/groupdel", name_}, environment_with({}));
    }
    HostGroup(const HostGroup&) = delete;
    HostGroup& operator=(const HostGroup&) = delete;
    const std::string& name() const { return name_; }
    bool ok() const { return ok_; }

  private:
    std::string name_;
    bool ok_ = false;
};

// `tool args...` of daemon `d`, run as `user` with the user's groups.
RunResult as(const HostUser& user, const TestDaemon& d, const std::string& tool,
             const std::vector<std::string>& args, const std::string& input = "") {
    std::vector<std::string> argv{"/usr/bin/setpriv",
                                  "--reuid=" + user.name(),
                                  "--regid=" + user.name(),
                                  "--init-groups",
                                  "--",
                                  tool == "zonectl" ? std::string(ZONECTL_BIN)
                                                    : std::string(ZONECTL_DIR) + "/" + tool};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, environment_with({"ZONED_SOCKET=" + d.socket(), "HOME=/"}), input,
                       60000);
}

bool lists(const RunResult& r, const std::string& zone) {
    for (const auto& row : parse_list_p(r.out))
        if (row.name == zone) return true;
    return false;
}

bool has(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

TEST(Auth, OwnerLogsInAndManagesOthersSeeNothing) {
    ZT_REQUIRE_ROOT();
    HostUser owner, viewer, other;
    ASSERT_TRUE(owner.ok()) << owner.error();
    ASSERT_TRUE(viewer.ok()) << viewer.error();
    ASSERT_TRUE(other.ok()) << other.error();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("owned", "set owner=" + owner.name() + "; add admin; set user=" +
                                         viewer.name() + "; set auths=login; end"));
    ASSERT_TRUE(d.adm("owned", "install"));
    ASSERT_TRUE(d.adm("owned", "boot"));
    ASSERT_TRUE(d.configure("private"));

    // The owner: sees its zone only, logs in (as the zone's root and as a
    // user), manages it.
    auto l = as(owner, d, "zoneadm", {"list", "-cp"});
    ASSERT_EQ(l.status, 0) << l;
    EXPECT_TRUE(lists(l, "owned")) << l.out;
    EXPECT_FALSE(lists(l, "private")) << l.out;
    auto z = as(owner, d, "zlogin", {"owned", "id -u; hostname"});
    EXPECT_EQ(z.status, 0) << z;
    EXPECT_EQ(z.out, "0\nowned\n");
    auto zu = as(owner, d, "zlogin", {"-l", "user", "owned", "id -un"});
    EXPECT_EQ(zu.status, 0) << zu;
    EXPECT_EQ(zu.out, "user\n");
    auto rb = as(owner, d, "zoneadm", {"-z", "owned", "reboot"});
    EXPECT_EQ(rb.status, 0) << rb;
    EXPECT_EQ(d.state("owned"), "running");
    auto h = as(owner, d, "zoneadm", {"-z", "owned", "halt"});
    EXPECT_EQ(h.status, 0) << h;
    EXPECT_EQ(d.state("owned"), "installed");
    // Halted, the owner snapshots and resets it; a login-only user may not.
    auto sn = as(owner, d, "zoneadm", {"-z", "owned", "snapshot", "create", "before"});
    EXPECT_EQ(sn.status, 0) << sn;
    auto rs = as(owner, d, "zoneadm", {"-z", "owned", "reset"});
    EXPECT_EQ(rs.status, 0) << rs;
    auto vrs = as(viewer, d, "zoneadm", {"-z", "owned", "reset"});
    EXPECT_NE(vrs.status, 0) << vrs;
    EXPECT_TRUE(has(vrs.err, "not authorized")) << vrs;
    EXPECT_EQ(d.state("owned"), "installed");
    auto b = as(owner, d, "zoneadm", {"-z", "owned", "boot"});
    EXPECT_EQ(b.status, 0) << b;
    EXPECT_EQ(d.state("owned"), "running");
    auto info = as(owner, d, "zonecfg", {"-z", "owned", "info owner"});
    EXPECT_EQ(info.status, 0) << info;
    // The owner cannot widen its own zone: configuring is for admins.
    auto widen = as(owner, d, "zonecfg", {"-z", "owned", "set limitpriv=all; commit"});
    EXPECT_NE(widen.status, 0) << widen;
    EXPECT_TRUE(has(widen.err, "not authorized")) << widen;
    // Nor build images.
    auto img = as(owner, d, "zonectl", {"image", "build", "mine", "--from", "busybox"});
    EXPECT_NE(img.status, 0) << img;
    EXPECT_TRUE(has(img.err, "not authorized")) << img;

    // The viewer (auths=login): logs in, may not manage.
    auto vz = as(viewer, d, "zlogin", {"owned", "echo in"});
    EXPECT_EQ(vz.status, 0) << vz;
    EXPECT_EQ(vz.out, "in\n");
    auto vh = as(viewer, d, "zoneadm", {"-z", "owned", "halt"});
    EXPECT_NE(vh.status, 0) << vh;
    EXPECT_TRUE(has(vh.err, "not authorized")) << vh;
    EXPECT_TRUE(has(vh.err, "'manage' authorization on zone 'owned'")) << vh;
    EXPECT_EQ(d.state("owned"), "running");

    // Anyone else: no zone in the list, and every call on it answered as for
    // a zone that does not exist.
    auto ol = as(other, d, "zoneadm", {"list", "-cp"});
    EXPECT_EQ(ol.status, 0) << ol;
    EXPECT_FALSE(lists(ol, "owned")) << ol.out;
    EXPECT_FALSE(lists(ol, "private")) << ol.out;
    auto oz = as(other, d, "zlogin", {"owned", "true"});
    auto missing = as(other, d, "zlogin", {"nosuchzone", "true"});
    EXPECT_NE(oz.status, 0) << oz;
    EXPECT_TRUE(has(oz.err, "zone 'owned' is not configured")) << oz;
    EXPECT_TRUE(has(missing.err, "zone 'nosuchzone' is not configured")) << missing;
    for (const std::vector<std::string>& args : {std::vector<std::string>{"-z", "owned", "halt"},
                                                 {"-z", "owned", "uninstall", "-F"},
                                                 {"-z", "owned", "reboot"}}) {
        auto r = as(other, d, "zoneadm", args);
        EXPECT_NE(r.status, 0) << r;
        EXPECT_TRUE(has(r.err, "zone 'owned' is not configured")) << r;
    }
    auto oc = as(other, d, "zonecfg", {"-z", "owned", "info"});
    EXPECT_NE(oc.status, 0) << oc;
    auto stat = as(other, d, "zonestat", {"-p", "1", "1"});
    EXPECT_EQ(stat.status, 0) << stat;
    EXPECT_FALSE(has(stat.out, "owned")) << stat;
    auto own_stat = as(owner, d, "zonestat", {"-p", "1", "1"});
    EXPECT_TRUE(has(own_stat.out, "owned")) << own_stat;
    EXPECT_EQ(d.state("owned"), "running");
    // Still readable for everyone: the daemon's own facts.
    EXPECT_EQ(as(other, d, "zonectl", {"image", "list"}).status, 0);
}

TEST(Auth, CreatorGroupCreatesBoundedZonesAndOwnsThem) {
    ZT_REQUIRE_ROOT();
    HostGroup qa;
    ASSERT_TRUE(qa.ok());
    HostUser creator(qa.name()), outsider;
    ASSERT_TRUE(creator.ok()) << creator.error();
    ASSERT_TRUE(outsider.ok()) << outsider.error();
    TestDaemon d("create-group = " + qa.name() +
                 "\ncreate-templates = default\ncreate-max-memory = 512M\n"
                 "create-max-processes = 200\n");
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    const std::string caps = "add capped-memory; set physical=256M; end; set max-processes=100";

    // Within bounds, from the default template: created, owned by its creator.
    auto c =
        as(creator, d, "zonecfg", {"-z", "qa1", "create; set image=base; " + caps + "; commit"});
    ASSERT_EQ(c.status, 0) << c;
    auto owner = d.zonecfg("qa1", "info owner");
    EXPECT_TRUE(has(owner.out, creator.name())) << owner;
    EXPECT_EQ(as(creator, d, "zoneadm", {"-z", "qa1", "install"}).status, 0);
    EXPECT_EQ(as(creator, d, "zoneadm", {"-z", "qa1", "boot"}).status, 0);
    auto z = as(creator, d, "zlogin", {"qa1", "hostname"});
    EXPECT_EQ(z.status, 0) << z;
    EXPECT_EQ(z.out, "qa1\n");

    // Out of bounds: a host path, privileges beyond the default, no caps.
    struct Case {
        const char* name;
        std::string script;
        const char* why;
    };
    for (const Case& k :
         {Case{"qa2", "add fs; set dir=/host; set special=/etc; set type=lofs; end; " + caps,
               "host paths (lofs) are not allowed"},
          Case{"qa3", "set limitpriv=default,+sys_admin; " + caps, "adds sys_admin"},
          Case{"qa4", "set max-processes=100", "capped-memory physical must be set"}}) {
        auto r = as(creator, d, "zonecfg",
                    {"-z", k.name, "create; set image=base; " + k.script + "; commit"});
        EXPECT_NE(r.status, 0) << k.name << ": " << r;
        EXPECT_TRUE(has(r.err, k.why)) << k.name << ": " << r;
        EXPECT_EQ(d.row(k.name).name, "") << k.name << " was created";
    }
    // Growing its own zone beyond the bounds later is refused too.
    auto grow =
        as(creator, d, "zonecfg",
           {"-z", "qa1", "add fs; set dir=/host; set special=/etc; set type=lofs; end; commit"});
    EXPECT_NE(grow.status, 0) << grow;
    EXPECT_TRUE(has(grow.err, "host paths")) << grow;
    // Someone outside the group creates nothing.
    auto o =
        as(outsider, d, "zonecfg", {"-z", "qa5", "create; set image=base; " + caps + "; commit"});
    EXPECT_NE(o.status, 0) << o;
    EXPECT_TRUE(has(o.err, "not authorized")) << o;
    EXPECT_EQ(d.row("qa5").name, "");
    // Nor sees the creator's zone, nor can take it over by committing to it.
    auto take = as(outsider, d, "zonecfg", {"-z", "qa1", "create -F; set image=base; commit"});
    EXPECT_NE(take.status, 0) << take;
    EXPECT_FALSE(lists(as(outsider, d, "zoneadm", {"list", "-cp"}), "qa1"));
    // The owner cleans up after itself.
    EXPECT_EQ(as(creator, d, "zoneadm", {"-z", "qa1", "halt"}).status, 0);
    EXPECT_EQ(as(creator, d, "zoneadm", {"-z", "qa1", "uninstall", "-F"}).status, 0);
    auto del = as(creator, d, "zonecfg", {"-z", "qa1", "delete -F"});
    EXPECT_EQ(del.status, 0) << del;
    EXPECT_EQ(d.row("qa1").name, "");
}

TEST(Auth, AdminGroupMembersMayDoEverything) {
    ZT_REQUIRE_ROOT();
    HostGroup admins;
    ASSERT_TRUE(admins.ok());
    HostUser admin(admins.name()), other;
    ASSERT_TRUE(admin.ok()) << admin.error();
    ASSERT_TRUE(other.ok()) << other.error();
    TestDaemon d("admin-group = " + admins.name());
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("rootzone"));
    // A member (supplementary group) sees every zone, reconfigures, runs it.
    auto l = as(admin, d, "zoneadm", {"list", "-cp"});
    EXPECT_TRUE(lists(l, "rootzone")) << l;
    auto c = as(admin, d, "zonecfg", {"-z", "rootzone", "set limitpriv=default,+sys_ptrace; commit"});
    EXPECT_EQ(c.status, 0) << c;
    EXPECT_EQ(as(admin, d, "zoneadm", {"-z", "rootzone", "install"}).status, 0);
    EXPECT_EQ(as(admin, d, "zoneadm", {"-z", "rootzone", "boot"}).status, 0);
    auto z = as(admin, d, "zlogin", {"rootzone", "id -u"});
    EXPECT_EQ(z.out, "0\n") << z;
    // A bad zone name is a configuration error for anyone, not a hidden zone.
    auto bad = as(other, d, "zoneadm", {"-z", "bad/name", "boot"});
    EXPECT_NE(bad.status, 0) << bad;
    EXPECT_FALSE(has(bad.err, "is not configured")) << bad;
    EXPECT_FALSE(lists(as(other, d, "zoneadm", {"list", "-cp"}), "rootzone"));
}

} // namespace
} // namespace zt
