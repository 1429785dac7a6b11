// Pure parts of the runtime: state table, child plan, passwd, /proc stat,
// daemon config, login plan, cgroup2 mount detection.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "cgroups/tree.hpp"
#include "runtime/child_plan.hpp"
#include "runtime/daemon_config.hpp"
#include "runtime/passwd.hpp"
#include "runtime/proc.hpp"
#include "runtime/state.hpp"
#include "runtime/zone_login.hpp"
#include "runtime/zone_ops.hpp"

namespace zone {
namespace {

TEST(State_Table, NamesRoundTrip) {
    for (auto s : {ZoneState::Configured, ZoneState::Incomplete, ZoneState::Installed,
                   ZoneState::Ready, ZoneState::Running, ZoneState::ShuttingDown, ZoneState::Down})
        EXPECT_EQ(parse_zone_state(to_string(s)), s);
    EXPECT_FALSE(parse_zone_state("bogus"));
}

TEST(State_Table, SolarisTransitions) {
    EXPECT_EQ(check_transition(ZoneState::Configured, ZoneCommand::Install), Verdict::Run);
    EXPECT_EQ(check_transition(ZoneState::Configured, ZoneCommand::Boot), Verdict::Refuse);
    EXPECT_EQ(check_transition(ZoneState::Installed, ZoneCommand::Boot), Verdict::Run);
    EXPECT_EQ(check_transition(ZoneState::Installed, ZoneCommand::Delete), Verdict::Refuse);
    EXPECT_EQ(check_transition(ZoneState::Running, ZoneCommand::Boot), Verdict::AlreadyDone);
    EXPECT_EQ(check_transition(ZoneState::Installed, ZoneCommand::Halt), Verdict::AlreadyDone);
    EXPECT_EQ(check_transition(ZoneState::Running, ZoneCommand::Uninstall), Verdict::Refuse);
    EXPECT_EQ(check_transition(ZoneState::Incomplete, ZoneCommand::Uninstall), Verdict::Run);
    EXPECT_EQ(check_transition(ZoneState::Running, ZoneCommand::Login), Verdict::Run);
    EXPECT_EQ(check_transition(ZoneState::Installed, ZoneCommand::Login), Verdict::Refuse);
}

TEST(State_Table, RefusalSaysWhatToDo) {
    EXPECT_THAT(refusal_reason(ZoneState::Running, ZoneCommand::Uninstall),
                ::testing::HasSubstr("halt it first"));
    EXPECT_THAT(refusal_reason(ZoneState::Incomplete, ZoneCommand::Boot),
                ::testing::HasSubstr("uninstall -F"));
}

BootSpec sample_spec() {
    BootSpec s;
    s.name = "web";
    s.hostname = "web";
    s.lower = "/img/base/1/rootfs";
    s.upper = "/z/web/upper";
    s.work = "/z/web/work";
    s.mountpoint = "/z/web/root";
    FsSpec f;
    f.dir = "/data/shared";
    f.special = "/srv/data";
    f.type = "lofs";
    f.readonly = true;
    s.fs.push_back(f);
    return s;
}

size_t index_of(const ChildPlan& p, OpKind k) {
    for (size_t i = 0; i < p.ops.size(); ++i)
        if (p.ops[i].kind == k) return i;
    return p.ops.size();
}

TEST(ChildPlan_Order, PrivateFirstPivotAfterMountsMasksAfterPivot) {
    ChildPlan p = plan_child(sample_spec(), "/dev/pts/3");
    ASSERT_FALSE(p.ops.empty());
    EXPECT_EQ(p.ops[0].kind, OpKind::MakePrivate);
    EXPECT_EQ(p.ops[1].kind, OpKind::MountRoot);
    size_t pivot = index_of(p, OpKind::PivotRoot);
    ASSERT_LT(pivot, p.ops.size());
    for (size_t i = 0; i < pivot; ++i) {
        EXPECT_NE(p.ops[i].kind, OpKind::MaskFile);
        EXPECT_NE(p.ops[i].kind, OpKind::RemountRO);
    }
    for (size_t i = pivot + 1; i < p.ops.size(); ++i) {
        EXPECT_NE(p.ops[i].kind, OpKind::MountIn) << p.ops[i].what;
        EXPECT_NE(p.ops[i].kind, OpKind::Mknod) << p.ops[i].what;
    }
    EXPECT_LT(index_of(p, OpKind::Hostname), p.ops.size());
    EXPECT_EQ(p.ops.back().kind, OpKind::LoopbackUp);
}

TEST(ChildPlan_Root, OverlayOptionsNameTheLayers) {
    ChildPlan p = plan_child(sample_spec(), "");
    const Op& root = p.ops[1];
    EXPECT_STREQ(root.fstype, "overlay");
    EXPECT_STREQ(root.data, "lowerdir=/img/base/1/rootfs,upperdir=/z/web/upper,workdir=/z/web/work");
    EXPECT_STREQ(root.path, "/z/web/root");
    // No console path: no console bind.
    for (const auto& op : p.ops) EXPECT_NE(op.kind, OpKind::BindFile);
}

TEST(ChildPlan_Root, CopyRootIsABindMount) {
    BootSpec s = sample_spec();
    s.root_type = "copy";
    s.copy_root = "/z/web/rootfs";
    ChildPlan p = plan_child(s, "");
    EXPECT_STREQ(p.ops[1].src, "/z/web/rootfs");
    EXPECT_EQ(p.ops[1].flags & MS_BIND, static_cast<unsigned long>(MS_BIND));
}

TEST(ChildPlan_Fs, PathsAreSplitIntoComponentsAndReadOnlyIsRemounted) {
    ChildPlan p = plan_child(sample_spec(), "/dev/pts/3");
    auto it = std::find_if(p.ops.begin(), p.ops.end(),
                           [](const Op& o) { return o.kind == OpKind::MountIn && o.src &&
                                                    std::string(o.src) == "/srv/data"; });
    ASSERT_NE(it, p.ops.end());
    ASSERT_EQ(it->components.size(), 2U);
    EXPECT_STREQ(it->components[0], "data");
    EXPECT_STREQ(it->components[1], "shared");
    EXPECT_EQ((it + 1)->kind, OpKind::RemountIn);
    EXPECT_TRUE((it + 1)->flags & MS_RDONLY);
}

TEST(ChildPlan_Dev, MinimalDeviceSet) {
    ChildPlan p = plan_child(sample_spec(), "/dev/pts/3");
    std::vector<std::string> nodes;
    for (const auto& op : p.ops)
        if (op.kind == OpKind::Mknod) nodes.push_back(op.path);
    EXPECT_THAT(nodes, ::testing::UnorderedElementsAre("null", "zero", "full", "random", "urandom", "tty"));
}

TEST(Passwd_Find, ByNameAndByUid) {
    const char* pw = "root:x:0:0:root:/root:/bin/sh\n# comment\nbroken line\n"
                     "user:x:1000:1000::/home/user:\n";
    auto r = find_passwd(pw, "root");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->home, "/root");
    auto u = find_passwd(pw, "1000");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->name, "user");
    EXPECT_EQ(u->shell, "/bin/sh");  // empty shell means /bin/sh
    EXPECT_FALSE(find_passwd(pw, "nobody"));
}

TEST(Passwd_Groups, SupplementaryGroupsAndPrimary) {
    const char* gr = "root:x:0:\ntty:x:5:user,other\nwheel:x:10:admin\nuser:x:1000:\n";
    EXPECT_THAT(groups_of(gr, "user", 1000), ::testing::ElementsAre(1000, 5));
}

TEST(Proc_StartTime, ParsesCommWithSpacesAndParens) {
    std::string stat = "123 (a b) c) S 1 123 123 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
    auto r = proc::start_time_from_stat(stat);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, 987654ULL);
    EXPECT_FALSE(proc::start_time_from_stat("garbage"));
    EXPECT_FALSE(proc::start_time_from_stat("1 (x) S 1 2"));
}

TEST(Proc_WaitStatus, ShellConvention) {
    EXPECT_EQ(proc::shell_status(7 << 8), 7);
    EXPECT_EQ(proc::shell_status(9), 137);
    EXPECT_EQ(proc::describe_wait_status(9), "killed by SIGKILL");
    EXPECT_EQ(proc::describe_wait_status(0), "exited 0");
}

TEST(DaemonConfig_Parse, KeysValuesAndErrorsWithLineNumbers) {
    auto c = parse_daemon_config("# c\nadmin-group = zoneadm\nlog-level=debug\n\nshutdown-timeout = 5\n", "f");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->admin_group, "zoneadm");
    EXPECT_EQ(c->log_level, log::Level::Debug);
    EXPECT_EQ(c->shutdown_timeout, 5);
    auto bad = parse_daemon_config("admin-group = x\nbogus = 1\n", "zoned.conf");
    ASSERT_FALSE(bad);
    EXPECT_THAT(bad.error().message(), ::testing::HasSubstr("zoned.conf:2: unknown key 'bogus'"));
    EXPECT_FALSE(parse_daemon_config("log-level = loud\n", "f"));
    EXPECT_FALSE(parse_daemon_config("shutdown-timeout = -1\n", "f"));
    EXPECT_FALSE(parse_daemon_config("no equals sign\n", "f"));
    EXPECT_FALSE(parse_daemon_config("cgroup-parent = ../escape\n", "f"));
}

TEST(Login_Plan, CommandRunsThroughTheShellAndLoginShellHasADash) {
    PasswdEntry pw{"user", 1000, 1000, "/home/user", "/bin/sh"};
    login::Request r;
    r.user = "user";
    r.command = "ps | wc -l";
    auto p = login::plan_exec(r, pw, {1000, 5});
    EXPECT_THAT(p.argv, ::testing::ElementsAre("sh", "-c", "ps | wc -l"));
    EXPECT_THAT(p.env, ::testing::Contains("USER=user"));
    EXPECT_THAT(p.env, ::testing::Contains("HOME=/home/user"));
    EXPECT_THAT(p.env, ::testing::Not(::testing::Contains(::testing::StartsWith("TERM="))));
    r.command.clear();
    r.tty = true;
    r.term = "vt100";
    p = login::plan_exec(r, pw, {1000});
    EXPECT_THAT(p.argv, ::testing::ElementsAre("-sh"));
    EXPECT_THAT(p.env, ::testing::Contains("TERM=vt100"));
}

TEST(Login_Plan, SafeModeSkipsTheLoginEnvironment) {
    login::Request r;
    r.safe = true;
    auto p = login::plan_exec(r, PasswdEntry{"root", 0, 0, "/", "/bin/sh"}, {0});
    EXPECT_EQ(p.path, "/bin/sh");
    EXPECT_EQ(p.cwd, "/");
    EXPECT_THAT(p.env, ::testing::Not(::testing::Contains(::testing::StartsWith("USER="))));
}

TEST(Cgroup_Mount, PureV2AndHybrid) {
    const char* v2 = "35 24 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
    EXPECT_EQ(cg::cgroup2_mount_from_mountinfo(v2), "/sys/fs/cgroup");
    const char* hybrid =
        "30 24 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
        "31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
        "33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
    EXPECT_EQ(cg::cgroup2_mount_from_mountinfo(hybrid), "/sys/fs/cgroup/unified");
    EXPECT_FALSE(cg::cgroup2_mount_from_mountinfo("33 30 0:29 / /x rw - cgroup cgroup rw,memory\n"));
}

} // namespace
} // namespace zone

#include "runtime/zone_stats.hpp"

namespace zone {
namespace {

TEST(Stats_NetDev, SumsEveryInterfaceButLoopback) {
    const char* text =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
        "    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n"
        "  eth0:    5000      40    0    0    0     0          0         0     3000      30    0    0    0     0       0          0\n"
        "  eth1:      10       1    0    0    0     0          0         0       20       2    0    0    0     0       0          0\n";
    auto c = stats::parse_net_dev(text);
    EXPECT_EQ(c.rx_bytes, 5010U);
    EXPECT_EQ(c.rx_packets, 41U);
    EXPECT_EQ(c.tx_bytes, 3020U);
    EXPECT_EQ(c.tx_packets, 32U);
}

TEST(Stats_Keyed, FindsExactKeysOnly) {
    const char* text = "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nusage_usec_x 9\n";
    EXPECT_EQ(stats::keyed_value(text, "usage_usec"), 1234U);
    EXPECT_EQ(stats::keyed_value(text, "system_usec"), 234U);
    EXPECT_EQ(stats::keyed_value(text, "missing"), 0U);
}

} // namespace
} // namespace zone

// systemd re-executes itself on SIGTERM; a graceful shutdown sends it
// SIGRTMIN+3, its halt signal. Other inits stop on SIGTERM.
TEST(Runtime_Shutdown, SignalFollowsTheInit) {
    EXPECT_EQ(zone::shutdown_signal("/sbin/init"), SIGRTMIN + 3);
    EXPECT_EQ(zone::shutdown_signal("/lib/systemd/systemd"), SIGRTMIN + 3);
    EXPECT_EQ(zone::shutdown_signal("/usr/lib/systemd/systemd"), SIGRTMIN + 3);
    EXPECT_EQ(zone::shutdown_signal("builtin"), SIGTERM);
    EXPECT_EQ(zone::shutdown_signal("/bin/sh"), SIGTERM);
}
