// Capabilities (limitpriv, CapPlan) and the seccomp filter, without root:
// the exported BPF program is run by a small classic-BPF interpreter on
// hand-made seccomp_data, so every architecture (x86-64, i386, x32) is
// checked whatever the kernel supports.
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <seccomp.h>

#include "runtime/caps.hpp"
#include "runtime/config/zone_config.hpp"
#include "runtime/seccomp.hpp"
#include "unit/seccomp_bpf.hpp"

namespace zone {
namespace {

using caps::CapSet;
using caps::Profile;
using ::testing::HasSubstr;

CapSet set_of(std::initializer_list<int> cs) {
    CapSet s;
    for (int c : cs)
        s.add(c);
    return s;
}

CapSet limitpriv(std::string_view s, Profile p = Profile::Hardened) {
    auto r = caps::parse_limitpriv(s, p);
    EXPECT_TRUE(r) << s << ": " << r.error().message();
    return r ? *r : CapSet{};
}

// ---- limitpriv -------------------------------------------------------------------

TEST(Limitpriv_Parse, DefaultIsTheContainerSet) {
    EXPECT_EQ(caps::to_string(limitpriv("default")),
              "chown,dac_override,fowner,fsetid,kill,setgid,setuid,setpcap,net_bind_service,"
              "net_raw,sys_chroot,mknod,audit_write,setfcap");
    EXPECT_EQ(limitpriv("default"), caps::default_caps(Profile::Hardened));
    EXPECT_FALSE(limitpriv("default").has(CAP_SYS_ADMIN));
}

TEST(Limitpriv_Parse, SystemDefaultIsEverything) {
    EXPECT_EQ(limitpriv("default", Profile::System), caps::all_caps());
    EXPECT_TRUE(caps::all_caps().has(CAP_CHECKPOINT_RESTORE));
    EXPECT_FALSE(caps::all_caps().has(CAP_CHECKPOINT_RESTORE + 1));
}

TEST(Limitpriv_Parse, RemoveNetRaw) {
    for (auto s : {"default,-net_raw", "default,!net_raw", "default,-cap_net_raw"}) {
        CapSet c = limitpriv(s);
        EXPECT_FALSE(c.has(CAP_NET_RAW)) << s;
        EXPECT_TRUE(c.has(CAP_CHOWN)) << s;
    }
}

TEST(Limitpriv_Parse, AddSysPtrace) {
    for (auto s : {"default,+sys_ptrace", "default,sys_ptrace", "default,cap_sys_ptrace"}) {
        CapSet c = limitpriv(s);
        EXPECT_TRUE(c.has(CAP_SYS_PTRACE)) << s;
        EXPECT_EQ(CapSet(c).remove(CAP_SYS_PTRACE), caps::default_caps(Profile::Hardened)) << s;
    }
}

TEST(Limitpriv_Parse, AllNoneBasic) {
    EXPECT_EQ(limitpriv("all"), caps::all_caps());
    EXPECT_EQ(limitpriv("all", Profile::System), caps::all_caps());
    EXPECT_TRUE(limitpriv("none").empty());
    EXPECT_TRUE(limitpriv("basic").empty());
    EXPECT_EQ(limitpriv("none,chown,+kill"), set_of({CAP_CHOWN, CAP_KILL}));
    EXPECT_EQ(limitpriv("all,-sys_admin"), CapSet(caps::all_caps()).remove(CAP_SYS_ADMIN));
    EXPECT_TRUE(limitpriv("default,-default").empty());
    EXPECT_EQ(limitpriv("all,-default,net_raw"),
              CapSet{caps::all_caps().bits & ~caps::default_caps(Profile::Hardened).bits}.add(
                  CAP_NET_RAW));
}

TEST(Limitpriv_Parse, LeftToRight) {
    EXPECT_TRUE(limitpriv("-net_raw,default").has(CAP_NET_RAW));
    EXPECT_FALSE(limitpriv("default,net_raw,-net_raw").has(CAP_NET_RAW));
}

TEST(Limitpriv_Parse, BadNamesAreRefused) {
    for (auto s : {"", "default,-bogus", "default,,net_raw", "NET_RAW", "cap_", "+", "sys-admin",
                   "default ", "defaults"}) {
        auto r = caps::parse_limitpriv(s, Profile::Hardened);
        ASSERT_FALSE(r) << s;
        EXPECT_EQ(r.error().code, config::kInvalidConfig) << s;
        EXPECT_THAT(r.error().message(), HasSubstr("is not a privilege")) << s;
    }
    EXPECT_THAT(caps::parse_limitpriv("default,-bogus", Profile::Hardened).error().message(),
                HasSubstr("'-bogus'"));
}

// zonecfg's validator and the runtime's parser agree on what is valid.
TEST(Limitpriv_Parse, AgreesWithTheValidator) {
    for (auto s : {"default", "default,-net_raw", "all,!sys_admin", "none", "basic,+cap_kill",
                   "-default", "bogus", "", "default,", "Cap_kill", "!", "default,-none"}) {
        config::PropValue v;
        v.scalar = s;
        bool valid = static_cast<bool>(config::check_global_prop("limitpriv", v));
        EXPECT_EQ(static_cast<bool>(caps::parse_limitpriv(s, Profile::Hardened)), valid) << s;
    }
}

TEST(Caps_Names, MatchLibcap) {
    const auto& names = config::capability_names();
    for (size_t i = 0; i < names.size(); ++i) {
        auto n = caps::parse_cap_name(names[i]);
        ASSERT_TRUE(n);
        EXPECT_EQ(*n, static_cast<int>(i));
        cap_value_t v = -1;
        std::string full = "cap_" + std::string(names[i]);
        if (cap_from_name(full.c_str(), &v) == 0) {
            EXPECT_EQ(v, static_cast<cap_value_t>(i)) << full;
        }
    }
    EXPECT_EQ(*caps::parse_cap_name("cap_sys_admin"), CAP_SYS_ADMIN);
    EXPECT_FALSE(caps::parse_cap_name("sys_admn"));
}

TEST(Caps_Profile, NamesRoundTrip) {
    for (auto p : {Profile::Hardened, Profile::System})
        EXPECT_EQ(*caps::parse_profile(caps::to_string(p)), p);
    EXPECT_FALSE(caps::parse_profile("Hardened"));
}

TEST(Caps_Kernel, LastCapIsSane) {
    int last = caps::kernel_last_cap();
    EXPECT_GE(last, 30);
    EXPECT_LT(last, caps::kMaxCaps);
}

// ---- CapPlan ------------------------------------------------------------------------

std::vector<int> drops(const caps::CapPlan& p) {
    return {p.bounding_drop, p.bounding_drop + p.bounding_drop_count};
}

TEST(CapPlan_Root, DropsEverythingElseFromTheBoundingSet) {
    CapSet set = caps::default_caps(Profile::Hardened);
    caps::CapPlan p = caps::plan_caps(set, 0, 40);
    std::vector<int> want;
    for (int c = 0; c <= 40; ++c)
        if (!set.has(c)) want.push_back(c);
    EXPECT_EQ(drops(p), want);
    EXPECT_EQ(p.bounding_drop_count, 41 - 14);
    EXPECT_THAT(drops(p), ::testing::Contains(CAP_SYS_ADMIN));
    EXPECT_THAT(drops(p), ::testing::Not(::testing::Contains(CAP_CHOWN)));
    EXPECT_EQ(caps::effective_of(p), set);
    EXPECT_EQ(p.data[0].permitted, p.data[0].effective);
    EXPECT_EQ(p.data[1].permitted, p.data[1].effective);
    // Root gets its caps from the bounding set at exec; inheritable stays empty.
    EXPECT_TRUE(caps::inheritable_of(p).empty());
    EXPECT_EQ(p.ambient_count, 0);
    EXPECT_FALSE(p.keep_caps);
}

TEST(CapPlan_Root, HighCapsGoInTheSecondWord) {
    CapSet set = set_of({CAP_CHOWN, CAP_SYSLOG, CAP_CHECKPOINT_RESTORE});
    caps::CapPlan p = caps::plan_caps(set, 0, 40);
    EXPECT_EQ(p.data[0].effective, 1u);
    EXPECT_EQ(p.data[1].effective,
              (1u << (CAP_SYSLOG - 32)) | (1u << (CAP_CHECKPOINT_RESTORE - 32)));
}

TEST(CapPlan_Root, OnlyWhatTheKernelKnows) {
    caps::CapPlan p = caps::plan_caps(caps::all_caps(), 0, 37);
    EXPECT_EQ(p.bounding_drop_count, 0);
    EXPECT_FALSE(caps::effective_of(p).has(38));
    EXPECT_TRUE(caps::effective_of(p).has(37));
    caps::CapPlan none = caps::plan_caps(CapSet{}, 0, 40);
    EXPECT_EQ(none.bounding_drop_count, 41);
    EXPECT_TRUE(caps::effective_of(none).empty());
}

TEST(CapPlan_User, NoCapabilitiesByDefault) {
    caps::CapPlan p = caps::plan_caps(caps::default_caps(Profile::Hardened), 1000, 40);
    EXPECT_EQ(p.bounding_drop_count, 41 - 14);
    EXPECT_TRUE(caps::effective_of(p).empty());
    EXPECT_TRUE(caps::inheritable_of(p).empty());
    EXPECT_EQ(p.ambient_count, 0);
    EXPECT_FALSE(p.keep_caps);
}

TEST(CapPlan_User, AmbientWithinTheZoneSet) {
    // sys_admin is not the zone's: it cannot be handed to a user either.
    caps::CapPlan p = caps::plan_caps(caps::default_caps(Profile::Hardened), 1000, 40,
                                      set_of({CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN}));
    EXPECT_TRUE(p.keep_caps);
    ASSERT_EQ(p.ambient_count, 1);
    EXPECT_EQ(p.ambient[0], CAP_NET_BIND_SERVICE);
    EXPECT_EQ(caps::effective_of(p), set_of({CAP_NET_BIND_SERVICE}));
    EXPECT_EQ(caps::inheritable_of(p), set_of({CAP_NET_BIND_SERVICE}));
}

// ---- seccomp: the classic BPF interpreter of seccomp_bpf.hpp -------------------------

using testing_bpf::run_bpf;

constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;
constexpr uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS;

struct Call {
    uint32_t arch;
    int nr;
    std::vector<uint64_t> args;
};

// What `filter` answers to `call`.
uint32_t verdict(const sec::Filter& filter, const Call& call) {
    seccomp_data d{};
    d.arch = call.arch;
    d.nr = call.nr;
    for (size_t i = 0; i < call.args.size() && i < 6; ++i)
        d.args[i] = call.args[i];
    return run_bpf(filter.code, d);
}

sec::Filter build(Profile p, CapSet c, const sec::Additions& extra = {}) {
    auto f = sec::build_filter(p, c, extra);
    EXPECT_TRUE(f) << f.error().message();
    return f ? *f : sec::Filter{};
}

sec::Filter hardened(CapSet c = caps::default_caps(Profile::Hardened),
                     const sec::Additions& extra = {}) {
    return build(Profile::Hardened, c, extra);
}

#if defined(__x86_64__)
constexpr uint32_t k64 = AUDIT_ARCH_X86_64;
constexpr uint32_t k32 = AUDIT_ARCH_I386;
constexpr int kX32 = 0x40000000;

// A system call number on another architecture, from libseccomp's tables.
int nr_on(uint32_t scmp_arch, const char* name) {
    int nr = seccomp_syscall_resolve_name_arch(scmp_arch, name);
    EXPECT_GE(nr, 0) << name;
    return nr;
}
int i386(const char* name) {
    return nr_on(SCMP_ARCH_X86, name);
}
int x32(const char* name) {
    return nr_on(SCMP_ARCH_X32, name);
}

Call native(int nr, std::vector<uint64_t> args = {}) {
    return {k64, nr, std::move(args)};
}

TEST(Seccomp_Build, BothProfilesBuild) {
    for (auto p : {Profile::Hardened, Profile::System}) {
        auto f = sec::build_filter(p, caps::default_caps(p));
        ASSERT_TRUE(f) << f.error().message();
        EXPECT_GT(f->code.size(), 20u);
        EXPECT_LE(f->code.size(), static_cast<size_t>(BPF_MAXINSNS));
        sock_fprog prog = f->prog();
        EXPECT_EQ(prog.len, f->code.size());
        EXPECT_EQ(prog.filter, f->code.data());
    }
}

TEST(Seccomp_Hardened, AllowsTheUsualCalls) {
    sec::Filter f = hardened();
    for (int nr : {SYS_read,   SYS_write,  SYS_openat,     SYS_close,        SYS_getpid,
                   SYS_execve, SYS_mmap,   SYS_exit_group, SYS_rt_sigaction, SYS_futex,
                   SYS_bind,   SYS_ptrace, SYS_setresuid,  SYS_capset,       SYS_prctl,
                   SYS_wait4,  SYS_chroot, SYS_rseq,       SYS_close_range,  SYS_pidfd_open})
        EXPECT_EQ(verdict(f, native(nr)), kAllow) << "nr " << nr;
}

TEST(Seccomp_Hardened, BlocksWhatReachesTheHost) {
    sec::Filter f = hardened();
    for (int nr : {SYS_mount,
                   SYS_umount2,
                   SYS_pivot_root,
                   SYS_move_mount,
                   SYS_fsopen,
                   SYS_open_tree,
                   SYS_mount_setattr,
                   SYS_keyctl,
                   SYS_add_key,
                   SYS_request_key,
                   SYS_bpf,
                   SYS_init_module,
                   SYS_finit_module,
                   SYS_delete_module,
                   SYS_kexec_load,
                   SYS_kexec_file_load,
                   SYS_reboot,
                   SYS_open_by_handle_at,
                   SYS_perf_event_open,
                   SYS_userfaultfd,
                   SYS_io_uring_setup,
                   SYS_io_uring_enter,
                   SYS_clock_settime,
                   SYS_settimeofday,
                   SYS_adjtimex,
                   SYS_clock_adjtime,
                   SYS_swapon,
                   SYS_swapoff,
                   SYS_acct,
                   SYS_quotactl,
                   SYS_lookup_dcookie,
                   SYS_setns,
                   SYS_syslog,
                   SYS_iopl,
                   SYS_ioperm,
                   SYS_sethostname})
        EXPECT_EQ(verdict(f, native(nr)), kEperm) << "nr " << nr;
}

TEST(Seccomp_Hardened, Clone3AndNewerCallsAnswerEnosys) {
    sec::Filter f = hardened();
    EXPECT_EQ(verdict(f, native(SYS_clone3)), kEnosys);
    EXPECT_EQ(verdict(f, native(1000)), kEnosys);
    EXPECT_EQ(verdict(f, native(kX32 - 1)), kEnosys);
    EXPECT_EQ(verdict(f, native(-1)), kEnosys);
    EXPECT_EQ(verdict(f, {k32, 1000, {}}), kEnosys);
    EXPECT_EQ(verdict(f, {k64, kX32 | 1000, {}}), kEnosys);
    // The newest call this libseccomp knows on the list is still decided by the list.
    EXPECT_EQ(verdict(f, native(nr_on(SCMP_ARCH_X86_64, "io_uring_register"))), kEperm);
}

TEST(Seccomp_Hardened, NoNamespacesWithoutSysAdmin) {
    sec::Filter f = hardened();
    EXPECT_EQ(verdict(f, native(SYS_clone, {SIGCHLD})), kAllow);
    EXPECT_EQ(verdict(f, native(SYS_clone, {CLONE_VM | CLONE_THREAD | CLONE_SIGHAND})), kAllow);
    for (uint64_t ns : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET}) {
        EXPECT_EQ(verdict(f, native(SYS_clone, {ns | SIGCHLD})), kEperm) << ns;
        EXPECT_EQ(verdict(f, native(SYS_unshare, {ns})), kEperm) << ns;
    }
    EXPECT_EQ(verdict(f, native(SYS_unshare, {CLONE_NEWTIME})), kEperm);
    EXPECT_EQ(verdict(f, native(SYS_unshare, {CLONE_FILES | CLONE_FS})), kAllow);
}

TEST(Seccomp_Hardened, GrantedCapabilitiesOpenTheirCalls) {
    sec::Filter admin = hardened(limitpriv("default,+sys_admin"));
    EXPECT_EQ(verdict(admin, native(SYS_mount)), kAllow);
    EXPECT_EQ(verdict(admin, native(SYS_unshare, {CLONE_NEWUSER})), kAllow);
    EXPECT_EQ(verdict(admin, native(SYS_clone3)), kAllow);
    EXPECT_EQ(verdict(admin, native(SYS_setns)), kAllow);
    sec::Filter boot = hardened(limitpriv("default,+sys_boot"));
    EXPECT_EQ(verdict(boot, native(SYS_reboot)), kAllow);
    EXPECT_EQ(verdict(boot, native(SYS_mount)), kEperm);
    sec::Filter nochroot = hardened(limitpriv("default,-sys_chroot"));
    EXPECT_EQ(verdict(nochroot, native(SYS_chroot)), kEperm);
    // Host-wide calls stay out whatever the capabilities.
    sec::Filter all = hardened(caps::all_caps());
    for (int nr : {SYS_init_module, SYS_kexec_load, SYS_keyctl, SYS_bpf, SYS_open_by_handle_at,
                   SYS_clock_settime, SYS_swapon, SYS_perf_event_open, SYS_io_uring_setup})
        EXPECT_EQ(verdict(all, native(nr)), kEperm) << "nr " << nr;
}

TEST(Seccomp_Hardened, OnlySafeDeviceNodes) {
    sec::Filter f = hardened();
    auto mknodat = [&](uint64_t mode, uint64_t dev) {
        return verdict(f, native(SYS_mknodat, {static_cast<uint64_t>(AT_FDCWD), 0, mode, dev}));
    };
    EXPECT_EQ(mknodat(S_IFCHR | 0666, 0x103), kAllow); // null
    EXPECT_EQ(mknodat(S_IFCHR | 0666, 0x502), kAllow); // ptmx
    EXPECT_EQ(mknodat(S_IFCHR, 0), kAllow);            // whiteout
    EXPECT_EQ(mknodat(S_IFIFO | 0600, 0), kAllow);
    EXPECT_EQ(mknodat(S_IFSOCK | 0600, 0), kAllow);
    EXPECT_EQ(mknodat(0600, 0), kAllow);
    EXPECT_EQ(mknodat(S_IFBLK | 0600, 0x800), kEperm); // sda
    EXPECT_EQ(mknodat(S_IFCHR | 0600, 0x101), kEperm); // mem
    EXPECT_EQ(mknodat(S_IFCHR | 0600, 0x10b), kEperm); // kmsg
    // The kernel reads dev as 32 bits: high garbage does not make 1:1 look like null.
    EXPECT_EQ(mknodat(S_IFCHR | 0600, 0x100000101ull), kEperm);
    EXPECT_EQ(verdict(f, native(SYS_mknod, {0, S_IFBLK | 0600, 0x800})), kEperm);
    EXPECT_EQ(verdict(f, native(SYS_mknod, {0, S_IFCHR | 0600, 0x105})), kAllow);
}

TEST(Seccomp_BothProfiles, NoTypingIntoTheTerminal) {
    for (auto p : {Profile::Hardened, Profile::System}) {
        sec::Filter f = build(p, caps::default_caps(p));
        EXPECT_EQ(verdict(f, native(SYS_ioctl, {0, TIOCSTI})), kEperm);
        EXPECT_EQ(verdict(f, native(SYS_ioctl, {0, 0x100000000ull | TIOCSTI})), kEperm);
        EXPECT_EQ(verdict(f, native(SYS_ioctl, {0, TIOCLINUX})), kEperm);
        EXPECT_EQ(verdict(f, native(SYS_ioctl, {0, TCGETS})), kAllow);
        EXPECT_EQ(verdict(f, {k32, i386("ioctl"), {0, TIOCSTI}}), kEperm);
        EXPECT_EQ(verdict(f, {k32, i386("ioctl"), {0, TCGETS}}), kAllow);
        EXPECT_EQ(verdict(f, {k64, x32("ioctl"), {0, TIOCSTI}}), kEperm);
    }
}

TEST(Seccomp_Hardened, I386EntryPointIsFiltered) {
    sec::Filter f = hardened();
    EXPECT_EQ(i386("mount"), 21);
    EXPECT_EQ(verdict(f, {k32, 21, {}}), kEperm); // mount via int 0x80
    EXPECT_EQ(verdict(f, {k32, 20, {}}), kAllow); // getpid
    for (const char* n : {"keyctl", "bpf", "init_module", "reboot", "open_by_handle_at", "umount",
                          "kexec_load", "stime"})
        EXPECT_EQ(verdict(f, {k32, i386(n), {}}), kEperm) << n;
    EXPECT_EQ(verdict(f, {k32, i386("clone3"), {}}), kEnosys);
    EXPECT_EQ(verdict(f, {k32, i386("clone"), {CLONE_NEWUSER | SIGCHLD}}), kEperm);
    EXPECT_EQ(verdict(f, {k32, i386("clone"), {SIGCHLD}}), kAllow);
    for (const char* n : {"socketcall", "stat64", "mmap2", "read", "execve"})
        EXPECT_EQ(verdict(f, {k32, i386(n), {}}), kAllow) << n;
}

TEST(Seccomp_Hardened, X32EntryPointIsFiltered) {
    sec::Filter f = hardened();
    EXPECT_EQ(x32("mount"), kX32 | SYS_mount);
    EXPECT_EQ(verdict(f, {k64, kX32 | SYS_mount, {}}), kEperm);
    EXPECT_EQ(verdict(f, {k64, kX32 | SYS_getpid, {}}), kAllow);
    for (const char* n : {"keyctl", "bpf", "init_module", "reboot", "open_by_handle_at"})
        EXPECT_EQ(verdict(f, {k64, x32(n), {}}), kEperm) << n;
    EXPECT_EQ(verdict(f, {k64, x32("clone3"), {}}), kEnosys);
    EXPECT_EQ(verdict(f, {k64, x32("execve"), {}}), kAllow); // the x32 compat number (520)
}

TEST(Seccomp_BothProfiles, ForeignArchitectureKills) {
    for (auto p : {Profile::Hardened, Profile::System}) {
        sec::Filter f = build(p, caps::default_caps(p));
        EXPECT_EQ(verdict(f, {AUDIT_ARCH_AARCH64, SYS_getpid, {}}), SECCOMP_RET_KILL_PROCESS);
    }
}

TEST(Seccomp_System, DeniesTheDangerousCallsOnly) {
    sec::Filter f = build(Profile::System, caps::all_caps());
    for (int nr : {SYS_mount, SYS_umount2, SYS_fsopen, SYS_keyctl, SYS_bpf, SYS_init_module,
                   SYS_finit_module, SYS_kexec_load, SYS_open_by_handle_at, SYS_perf_event_open,
                   SYS_userfaultfd, SYS_io_uring_setup, SYS_clock_settime, SYS_settimeofday,
                   SYS_swapon, SYS_acct, SYS_syslog})
        EXPECT_EQ(verdict(f, native(nr)), kEperm) << "nr " << nr;
    for (int nr : {SYS_read, SYS_getpid, SYS_clone3, SYS_setns, SYS_reboot, SYS_sethostname,
                   SYS_chroot, SYS_kcmp, 1000})
        EXPECT_EQ(verdict(f, native(nr)), kAllow) << "nr " << nr;
    EXPECT_EQ(verdict(f, native(SYS_unshare, {CLONE_NEWUSER | CLONE_NEWNS})), kAllow);
    EXPECT_EQ(verdict(f, native(SYS_mknod, {0, S_IFBLK | 0600, 0x800})), kEperm);
    EXPECT_EQ(verdict(f, native(SYS_mknod, {0, S_IFCHR | 0600, 0x103})), kAllow);
    EXPECT_EQ(verdict(f, {k32, 21, {}}), kEperm);
    EXPECT_EQ(verdict(f, {k32, i386("init_module"), {}}), kEperm);
    EXPECT_EQ(verdict(f, {k64, kX32 | SYS_mount, {}}), kEperm);
    EXPECT_EQ(verdict(f, {k64, x32("kexec_load"), {}}), kEperm);
}

TEST(Seccomp_Additions, AllowAndDenyPerZone) {
    sec::Filter h =
        hardened(caps::default_caps(Profile::Hardened), {{"keyctl", "clone"}, {"ptrace"}});
    EXPECT_EQ(verdict(h, native(SYS_keyctl)), kAllow);
    EXPECT_EQ(verdict(h, native(SYS_ptrace)), kEperm);
    EXPECT_EQ(verdict(h, native(SYS_clone, {CLONE_NEWUSER})), kAllow);
    EXPECT_EQ(verdict(h, native(SYS_mknod, {0, S_IFBLK | 0600, 0x800})), kEperm);
    sec::Filter cl = hardened(caps::default_caps(Profile::Hardened), {{"clone3"}, {}});
    EXPECT_EQ(verdict(cl, native(SYS_clone3)), kAllow);

    sec::Filter s = build(Profile::System, caps::all_caps(), {{"mount"}, {"ptrace"}});
    EXPECT_EQ(verdict(s, native(SYS_mount)), kAllow);
    EXPECT_EQ(verdict(s, {k32, 21, {}}), kAllow);
    EXPECT_EQ(verdict(s, native(SYS_ptrace)), kEperm);
    EXPECT_EQ(verdict(s, {k64, x32("ptrace"), {}}), kEperm); // x32 compat number 521
}
#endif

TEST(Seccomp_Additions, BadNamesAndConflictsAreRefused) {
    auto bogus = sec::build_filter(Profile::Hardened, CapSet{}, {{"mount", "no_such_call"}, {}});
    ASSERT_FALSE(bogus);
    EXPECT_EQ(bogus.error().code, config::kInvalidConfig);
    EXPECT_THAT(bogus.error().message(), HasSubstr("'no_such_call' is not a system call"));
    auto both = sec::build_filter(Profile::System, CapSet{}, {{"ptrace"}, {"ptrace"}});
    ASSERT_FALSE(both);
    EXPECT_THAT(both.error().message(), HasSubstr("both allowed and denied"));
    EXPECT_TRUE(sec::check_syscall_names({"mount", "socketcall", "stat64"}));
    EXPECT_FALSE(sec::check_syscall_names({""}));
}

} // namespace
} // namespace zone
