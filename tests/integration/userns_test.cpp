// User-namespaced zones (userns=auto) on the real kernel: the zone's root is
// uid 0 inside and an unprivileged uid of the zone's own range on the host;
// the gold image is shared through an idmapped lower layer; the range is
// persistent and released on uninstall; the system profile has every
// capability inside and still none over the host.
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "integration/harness.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/id_shift.hpp"

namespace zt {
namespace {

// The zone's host id range from zoned's record (<root>/userns/ranges.json):
// {base, size}, or {0, 0} when it holds none.
std::pair<uint32_t, uint32_t> range_of(const TestDaemon& d, const std::string& zone) {
    auto j = nlohmann::json::parse(read_text(d.root() + "/userns/ranges.json"), nullptr, false);
    if (j.is_discarded() || !j.contains("ranges")) return {0, 0};
    for (const auto& r : j["ranges"])
        if (r.value("zone", "") == zone) return {r.value("base", 0U), r.value("size", 0U)};
    return {0, 0};
}

// "Uid:" or "Gid:" of a host process: the four ids, space-separated.
std::string host_ids(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0) {
            std::string v = trim(line.substr(field.size() + 1));
            for (auto& c : v)
                if (c == '\t') c = ' ';
            return v;
        }
    return "";
}

pid_t init_pid(const TestDaemon& d, const std::string& zone) {
    return d.status_file(zone).value("init_pid", 0);
}

uid_t host_owner(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

// The host uid of the process of the zone running `cmdline` ("sleep 61"), or -1.
uid_t host_uid_of(const TestDaemon& d, const std::string& zone, const std::string& cmdline) {
    for (const auto& line : split_lines(read_text(d.zone_cgroup(zone) + "/cgroup.procs"))) {
        std::string cmd = read_text("/proc/" + trim(line) + "/cmdline");
        for (auto& c : cmd)
            if (c == '\0') c = ' ';
        if (trim(cmd) != cmdline) continue;
        std::string uid = host_ids(std::stoi(line), "Uid");
        return static_cast<uid_t>(std::stoul(uid.substr(0, uid.find(' '))));
    }
    return static_cast<uid_t>(-1);
}

std::string in_zone(const TestDaemon& d, const std::string& zone, const std::string& cmd) {
    auto r = d.zlogin(zone, cmd);
    EXPECT_EQ(r.status, 0) << cmd << ": " << r;
    return trim(r.out);
}

TEST(Userns, ZoneRootIsUidZeroInsideAndItsRangeBaseOutside) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("u", "set userns=auto; add net; end"));
    auto [base, size] = range_of(d, "u");
    ASSERT_GE(base, 1u << 20) << "the default pool starts at 2^20";
    EXPECT_EQ(size, 65536u);
    std::string b = std::to_string(base);

    // Inside: root, mapped onto the range.
    EXPECT_EQ(in_zone(d, "u", "id -u"), "0");
    EXPECT_EQ(in_zone(d, "u", "id -g"), "0");
    auto map = split_lines(in_zone(d, "u", "cat /proc/self/uid_map"));
    ASSERT_EQ(map.size(), 1u);
    std::istringstream fields(map[0]);
    uint32_t inside = 1, outside = 0, count = 0;
    fields >> inside >> outside >> count;
    EXPECT_EQ(inside, 0u);
    EXPECT_EQ(outside, base);
    EXPECT_EQ(count, 65536u);

    // Outside: the zone's init and its zlogins run as the range base.
    pid_t init = init_pid(d, "u");
    ASSERT_GT(init, 0);
    EXPECT_EQ(host_ids(init, "Uid"), b + " " + b + " " + b + " " + b);
    EXPECT_EQ(host_ids(init, "Gid"), b + " " + b + " " + b + " " + b);

    // So does a zlogin session as root.
    Child session = d.spawn("zlogin", {"u", "sleep 62"});
    ASSERT_TRUE(session.started());
    uid_t login_uid = static_cast<uid_t>(-1);
    EXPECT_TRUE(wait_for(
        [&] { return (login_uid = host_uid_of(d, "u", "sleep 62")) != static_cast<uid_t>(-1); },
        10000));
    EXPECT_EQ(login_uid, base);

    // The image, owned by the host's root, is the zone root's; the image on
    // disk is unchanged.
    EXPECT_EQ(in_zone(d, "u", "stat -c %u:%g /bin/busybox /etc/passwd /"), "0:0\n0:0\n0:0");
    std::string busybox = d.root() + "/images/base/1/rootfs/bin/busybox";
    EXPECT_EQ(host_owner(busybox), 0u) << busybox;

    // What the zone's root writes belongs to the range on the host.
    EXPECT_EQ(in_zone(d, "u",
                      "touch /made-inside && mkdir -p /root/d && touch /root/d/f && "
                      "chown 1000:1000 /root/d/f && stat -c %u /made-inside"),
              "0");
    std::string upper = d.zone_dir("u") + "/upper";
    EXPECT_EQ(host_owner(upper + "/made-inside"), base);
    EXPECT_EQ(host_owner(upper + "/root/d"), base);
    EXPECT_EQ(host_owner(upper + "/root/d/f"), base + 1000);

    // zoned's own writes into the zone (hosts, resolv.conf) are the zone root's too.
    EXPECT_EQ(in_zone(d, "u", "stat -c %u:%g /etc/hosts /etc/resolv.conf /etc"), "0:0\n0:0\n0:0");
    EXPECT_EQ(host_owner(upper + "/etc/hosts"), base);
    EXPECT_EQ(host_owner(upper + "/etc"), base);
    EXPECT_EQ(in_zone(d, "u", "touch /etc/new-file && echo ok"), "ok");

    // A terminal session lands as root inside, on a tty the zone's root owns.
    auto t = d.run("zlogin", {"-t", "u", "stat -c %u $(tty); id -u"});
    EXPECT_EQ(t.status, 0) << t;
    EXPECT_NE(t.out.find("0\r\n0"), std::string::npos) << t;

    // zoneadm list -v shows the range.
    auto v = d.zoneadm({"list", "-v"});
    EXPECT_NE(v.out.find(b + "+65536"), std::string::npos) << v.out;
}

TEST(Userns, TwoZonesGetDisjointRanges) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("a", "set userns=auto"));
    ASSERT_TRUE(d.boot_new_zone("b", "set userns=auto"));
    ASSERT_TRUE(d.boot_new_zone("plain"));
    auto ra = range_of(d, "a"), rb = range_of(d, "b");
    ASSERT_NE(ra.second, 0u);
    ASSERT_NE(rb.second, 0u);
    EXPECT_TRUE(ra.first + ra.second <= rb.first || rb.first + rb.second <= ra.first)
        << ra.first << "+" << ra.second << " vs " << rb.first << "+" << rb.second;
    EXPECT_EQ(range_of(d, "plain").second, 0u);
    std::string ua = host_ids(init_pid(d, "a"), "Uid"), ub = host_ids(init_pid(d, "b"), "Uid");
    EXPECT_EQ(ua.substr(0, ua.find(' ')), std::to_string(ra.first));
    EXPECT_EQ(ub.substr(0, ub.find(' ')), std::to_string(rb.first));
    // A zone without a user namespace is the host's root (with fewer capabilities).
    EXPECT_EQ(host_ids(init_pid(d, "plain"), "Uid"), "0 0 0 0");
    // One zone's root cannot touch the other's files: different owners on the host.
    EXPECT_EQ(in_zone(d, "a", "touch /mine && echo ok"), "ok");
    EXPECT_EQ(host_owner(d.zone_dir("a") + "/upper/mine"), ra.first);
}

TEST(Userns, ThePoolComesFromZonedsConfig) {
    ZT_REQUIRE_ROOT();
    TestDaemon d("userns-base = 3000000\nuserns-size = 70000\nuserns-count = 2");
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("p1", "set userns=auto"));
    EXPECT_EQ(range_of(d, "p1"), std::make_pair(3000000u, 70000u));
    auto map = in_zone(d, "p1", "cat /proc/self/gid_map");
    EXPECT_EQ(map.substr(map.find_first_not_of(' ')), "0    3000000      70000") << map;
    ASSERT_TRUE(d.configure("p2", "set userns=auto"));
    ASSERT_TRUE(d.adm("p2", "install"));
    EXPECT_EQ(range_of(d, "p2"), std::make_pair(3070000u, 70000u));
    // Two ranges: the third zone is refused, clearly, and stays configured.
    ASSERT_TRUE(d.configure("p3", "set userns=auto"));
    auto r = d.zoneadm({"-z", "p3", "install"});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("exhausted"), std::string::npos) << r;
    EXPECT_EQ(d.state("p3"), "configured");
}

TEST(Userns, RangeSurvivesRestartsAndIsReleasedOnUninstall) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("first", "set userns=auto"));
    ASSERT_TRUE(d.adm("first", "install"));
    ASSERT_TRUE(d.configure("keep", "set userns=auto"));
    ASSERT_TRUE(d.adm("keep", "install"));
    auto first = range_of(d, "first"), keep = range_of(d, "keep");
    ASSERT_NE(first.second, 0u);
    ASSERT_NE(keep.second, 0u);
    ASSERT_NE(first.first, keep.first);

    ASSERT_TRUE(d.adm("keep", "boot"));
    ASSERT_TRUE(d.restart());
    EXPECT_EQ(range_of(d, "keep"), keep);
    EXPECT_EQ(d.state("keep"), "running");
    EXPECT_EQ(in_zone(d, "keep", "touch /after-restart && id -u"), "0");
    EXPECT_EQ(host_owner(d.zone_dir("keep") + "/upper/after-restart"), keep.first);
    ASSERT_TRUE(d.adm("keep", "halt"));
    ASSERT_TRUE(d.adm("keep", "boot"));
    EXPECT_EQ(range_of(d, "keep"), keep);
    EXPECT_EQ(host_ids(init_pid(d, "keep"), "Uid").substr(0, std::to_string(keep.first).size()),
              std::to_string(keep.first));

    // Uninstall releases the range; the next zone may have it.
    ASSERT_TRUE(d.adm("first", "uninstall"));
    EXPECT_EQ(range_of(d, "first").second, 0u);
    ASSERT_TRUE(d.configure("next", "set userns=auto"));
    ASSERT_TRUE(d.adm("next", "install"));
    EXPECT_EQ(range_of(d, "next"), first);
}

TEST(Userns, ZoneRootCannotWriteHostFilesThroughLofs) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    std::string shared = d.dir() + "/shared";
    ASSERT_EQ(::mkdir(shared.c_str(), 0755), 0);
    ASSERT_TRUE(write_text(shared + "/host-file", "host\n"));
    ::chmod((shared + "/host-file").c_str(), 0644);
    ASSERT_TRUE(d.boot_new_zone("lofs", "set userns=auto; add fs; set dir=/data; set special=" +
                                            shared + "; set type=lofs; end"));
    // Root inside, nobody to the host's files: uid 0 does not help.
    EXPECT_EQ(in_zone(d, "lofs", "id -u; cat /data/host-file; stat -c %u /data/host-file"),
              "0\nhost\n65534");
    auto w = d.zlogin("lofs", "echo evil >> /data/host-file");
    EXPECT_NE(w.status, 0) << w;
    EXPECT_TRUE(w.err.find("Permission denied") != std::string::npos ||
                w.err.find("Read-only") != std::string::npos)
        << w;
    auto c = d.zlogin("lofs", "touch /data/new-file");
    EXPECT_NE(c.status, 0) << c;
    auto ch = d.zlogin("lofs", "chown 0 /data/host-file || chmod 666 /data/host-file");
    EXPECT_NE(ch.status, 0) << ch;
    EXPECT_EQ(read_text(shared + "/host-file"), "host\n");
    struct stat st {};
    EXPECT_NE(::stat((shared + "/new-file").c_str(), &st), 0);
}

TEST(Userns, LofsGivenToTheRangeIsWritableAndReadOnlyHolds) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    std::string rw = d.dir() + "/rw", ro = d.dir() + "/ro";
    ASSERT_EQ(::mkdir(rw.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(ro.c_str(), 0755), 0);
    ASSERT_TRUE(d.configure("share", "set userns=auto; add fs; set dir=/rw; set special=" + rw +
                                         "; set type=lofs; end; add fs; set dir=/ro; set special=" +
                                         ro + "; set type=lofs; set options=[ro]; end"));
    ASSERT_TRUE(d.adm("share", "install"));
    // The range is known from install on: give both directories to it.
    auto [base, size] = range_of(d, "share");
    ASSERT_NE(size, 0u);
    ASSERT_EQ(::chown(rw.c_str(), base, base), 0);
    ASSERT_EQ(::chown(ro.c_str(), base, base), 0);
    ASSERT_TRUE(d.adm("share", "boot"));
    EXPECT_EQ(in_zone(d, "share", "stat -c %u /rw /ro; echo hi > /rw/f && cat /rw/f"), "0\n0\nhi");
    EXPECT_EQ(host_owner(rw + "/f"), base);
    auto w = d.zlogin("share", "touch /ro/f");
    EXPECT_NE(w.status, 0) << w;
    EXPECT_NE(w.err.find("Read-only"), std::string::npos) << w;
}

TEST(Userns, SystemProfileHasEveryCapabilityInsideAndNoneOverTheHost) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("sys", "set userns=auto; set security-profile=system; "
                                       "set init=/sbin/init"));
    // Every capability the host's root running zoned has (a test host in a
    // container may lack some).
    uint64_t all = 0;
    for (const auto& line : split_lines(read_text("/proc/self/status")))
        if (line.rfind("CapBnd:", 0) == 0) all = std::stoull(trim(line.substr(7)), nullptr, 16);
    ASSERT_NE(all, 0u);
    for (const std::string pid : {"1", "self"}) {
        std::string eff = in_zone(d, "sys", "grep CapEff /proc/" + pid + "/status | cut -f2");
        EXPECT_EQ(std::stoull(eff, nullptr, 16), all) << pid << ": " << eff;
        EXPECT_EQ(in_zone(d, "sys", "grep NoNewPrivs /proc/" + pid + "/status | cut -f2"), "0");
        EXPECT_EQ(in_zone(d, "sys", "grep Seccomp: /proc/" + pid + "/status | cut -f2"), "2");
    }
    // A user of a system zone: no capability, no no_new_privs, the filter on.
    auto u = d.run("zlogin", {"-l", "user", "sys",
                              "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' "
                              "/proc/self/status | cut -f2"});
    EXPECT_EQ(u.status, 0) << u;
    EXPECT_EQ(u.out, "1000\n0000000000000000\n0\n2\n") << u;
    // Its own init (busybox /sbin/init) is PID 1, an unprivileged uid outside.
    EXPECT_EQ(in_zone(d, "sys", "cat /proc/1/comm"), "init");
    auto [base, size] = range_of(d, "sys");
    ASSERT_NE(size, 0u);
    std::string uid = host_ids(init_pid(d, "sys"), "Uid");
    EXPECT_EQ(uid.substr(0, uid.find(' ')), std::to_string(base));

    // What its user namespace owns, it may do: mounts, host name.
    EXPECT_EQ(in_zone(d, "sys",
                      "mkdir -p /m && mount -t tmpfs t /m && touch /m/x && umount /m && echo ok"),
              "ok");
    EXPECT_EQ(in_zone(d, "sys", "hostname inner && hostname"), "inner");
    // What the host owns, it may not.
    struct Case {
        const char* what;
        const char* cmd;
    };
    for (Case c : {Case{"a block device node", "mknod /tmp/disk b 8 0"},
                   Case{"a host disk", "mkdir -p /m && mount -t ext4 -o ro /dev/null /m"},
                   Case{"a kernel module", "echo x > /tmp/m.ko && insmod /tmp/m.ko"},
                   Case{"a kernel parameter", "echo 1 > /proc/sys/kernel/sysrq"},
                   Case{"sysrq", "echo h > /proc/sysrq-trigger"}, Case{"kernel messages", "dmesg"},
                   Case{"the host's clock", "date -s 2001-01-01 && test $(date +%Y) = 2001"}}) {
        auto r = d.zlogin("sys", c.cmd);
        EXPECT_NE(r.status, 0) << c.what << " was allowed: " << r;
    }
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    EXPECT_NE(std::string(host), "inner");
}

TEST(Userns, RootTypeCopyIsShiftedToTheRange) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("cp", "set userns=auto; set root-type=copy"));
    auto [base, size] = range_of(d, "cp");
    ASSERT_NE(size, 0u);
    EXPECT_EQ(in_zone(d, "cp", "stat -c %u /bin/busybox; touch /x; id -u"), "0\n0");
    EXPECT_EQ(host_owner(d.zone_dir("cp") + "/rootfs/bin/busybox"), base);
    EXPECT_EQ(host_owner(d.zone_dir("cp") + "/rootfs/x"), base);
}

TEST(Userns, LeavingTheUserNamespaceGivesTheFilesBackToHostIds) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("back", "set userns=auto"));
    auto [base, size] = range_of(d, "back");
    ASSERT_NE(size, 0u);
    EXPECT_EQ(in_zone(d, "back", "touch /kept && echo ok"), "ok");
    ASSERT_TRUE(d.adm("back", "halt"));
    auto c = d.zonecfg("back", "set userns=none; commit");
    ASSERT_EQ(c.status, 0) << c;
    ASSERT_TRUE(d.adm("back", "boot"));
    EXPECT_EQ(host_owner(d.zone_dir("back") + "/upper/kept"), 0u);
    EXPECT_EQ(in_zone(d, "back", "stat -c %u /kept; id -u"), "0\n0");
    EXPECT_EQ(host_ids(init_pid(d, "back"), "Uid"), "0 0 0 0");
}

TEST(Userns, AnUpperMadeAnewByTheHostIsMovedToTheRange) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("anew", "set userns=auto"));
    auto [base, size] = range_of(d, "anew");
    ASSERT_NE(size, 0u);
    ASSERT_TRUE(d.adm("anew", "halt"));
    // What a reset to pristine does: the zone's own files, made anew as root.
    std::string upper = d.zone_dir("anew") + "/upper";
    ASSERT_TRUE(zone::fs::remove_tree(upper));
    ASSERT_EQ(::mkdir(upper.c_str(), 0755), 0);
    ASSERT_TRUE(d.adm("anew", "boot"));
    EXPECT_EQ(host_owner(upper), base);
    EXPECT_EQ(in_zone(d, "anew", "stat -c %u /; touch /x && stat -c %u /x"), "0\n0");
    EXPECT_EQ(host_owner(upper + "/x"), base);
}

TEST(Userns, UsersAndASharedNetworkWork) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("sh", "set userns=auto; set ip-type=shared"));
    auto [base, size] = range_of(d, "sh");
    ASSERT_NE(size, 0u);
    // The host's /sys, read-only (sysfs wants a network namespace of its own).
    EXPECT_EQ(in_zone(d, "sh", "test -d /sys/class/net && echo ok"), "ok");
    EXPECT_NE(d.zlogin("sh", "touch /sys/x").status, 0);
    // A user of the zone is its uid inside, range base + uid outside.
    auto u = d.run("zlogin", {"-l", "user", "sh", "id -u"});
    EXPECT_EQ(u.status, 0) << u;
    EXPECT_EQ(trim(u.out), "1000");
    Child session = d.spawn("zlogin", {"-l", "user", "sh", "sleep 61"});
    ASSERT_TRUE(session.started());
    uid_t host_uid = static_cast<uid_t>(-1);
    EXPECT_TRUE(wait_for(
        [&] { return (host_uid = host_uid_of(d, "sh", "sleep 61")) != static_cast<uid_t>(-1); },
        10000));
    EXPECT_EQ(host_uid, base + 1000);
    // The hardened profile stays what it is: no mounts, even as root inside.
    EXPECT_NE(d.zlogin("sh", "mkdir -p /m && mount -t tmpfs t /m").status, 0);
}

TEST(Userns, ShiftTreeMovesOwnersAndKeepsSetuid) {
    ZT_REQUIRE_ROOT();
    char tmpl[] = "/tmp/zt-shift.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    auto cleanup = zone::ScopeExit([&] { (void)zone::fs::remove_tree(dir); });
    std::string sub = dir + "/sub", file = sub + "/suid", far = dir + "/far", link = dir + "/link";
    ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
    ASSERT_TRUE(write_text(file, "x"));
    ASSERT_TRUE(write_text(far, "y"));
    ASSERT_EQ(::chown(file.c_str(), 0, 5), 0);
    ASSERT_EQ(::chmod(file.c_str(), 04755), 0);
    ASSERT_EQ(::chown(far.c_str(), 70000, 70000), 0);
    ASSERT_EQ(::symlink("/etc/passwd", link.c_str()), 0);
    auto r = zone::userns::shift_tree(dir, 0, 2000000, 65536);
    ASSERT_TRUE(r) << r.error().message();
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 2000000u);
    EXPECT_EQ(st.st_gid, 2000005u);
    EXPECT_EQ(st.st_mode & 07777, 04755u) << "setuid kept";
    ASSERT_EQ(::lstat(link.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 2000000u) << "the link itself, not its target";
    ASSERT_EQ(::stat("/etc/passwd", &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    ASSERT_EQ(::stat(far.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 70000u) << "outside the range: unchanged";
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 2000000u);
    // Again: nothing moves twice. Back: as before.
    ASSERT_TRUE(zone::userns::shift_tree(dir, 0, 2000000, 65536));
    ASSERT_TRUE(zone::userns::shift_tree(dir, 2000000, 0, 65536));
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, 5u);
}

// A failed boot of a user-namespaced zone undoes itself like any other: in
// the child (a missing init) or on the parent side (a lofs source that does
// not exist, found when the monitor clones it).
TEST(Userns, FailedBootsLeaveNothingBehind) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    auto nothing_left = [&](const std::string& z) {
        EXPECT_TRUE(wait_for(
            [&] {
                struct stat st {};
                return ::stat(d.zone_cgroup(z).c_str(), &st) != 0;
            },
            5000))
            << "cgroup of " << z;
        for (const auto& line : split_lines(read_text("/proc/self/mountinfo")))
            EXPECT_EQ(line.find(d.zone_dir(z)), std::string::npos) << "host mount: " << line;
        EXPECT_TRUE(
            wait_for([&] { return processes_using(d.run_dir() + "/zones/" + z).empty(); }, 5000));
    };
    ASSERT_TRUE(d.configure("noinit", "set userns=auto; set init=/no/such/init"));
    ASSERT_TRUE(d.adm("noinit", "install"));
    auto r = d.zoneadm({"-z", "noinit", "boot"});
    EXPECT_NE(r.status, 0) << r;
    EXPECT_NE(r.err.find("/no/such/init"), std::string::npos) << r;
    EXPECT_EQ(d.state("noinit"), "installed");
    nothing_left("noinit");

    ASSERT_TRUE(d.configure("nosrc", "set userns=auto; add fs; set dir=/data; set special=" +
                                         d.dir() + "/missing; set type=lofs; end"));
    ASSERT_TRUE(d.adm("nosrc", "install"));
    auto m = d.zoneadm({"-z", "nosrc", "boot"});
    EXPECT_NE(m.status, 0) << m;
    EXPECT_NE(m.err.find("missing"), std::string::npos) << m;
    EXPECT_NE(m.err.find("user namespace"), std::string::npos) << m;
    EXPECT_EQ(d.state("nosrc"), "installed");
    nothing_left("nosrc");

    // Fixed, it boots.
    auto fix = d.zonecfg("noinit", "set init=builtin; commit");
    ASSERT_EQ(fix.status, 0) << fix;
    ASSERT_TRUE(d.adm("noinit", "boot"));
    EXPECT_EQ(in_zone(d, "noinit", "id -u"), "0");
}

} // namespace
} // namespace zt
