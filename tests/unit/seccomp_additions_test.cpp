// Per-zone seccomp additions (zonecfg seccomp-allow / seccomp-deny: the
// validators, verify, the filter cache's key) and the socket address
// families of the hardened profile, run through the BPF interpreter.
#include <cerrno>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/net.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <seccomp.h>

#include "runtime/auth.hpp"
#include "runtime/caps.hpp"
#include "runtime/config/seccomp_props.hpp"
#include "runtime/config/zone_config.hpp"
#include "runtime/confine.hpp"
#include "runtime/seccomp.hpp"
#include "unit/seccomp_bpf.hpp"

namespace zone {
namespace {

using caps::CapSet;
using caps::Profile;
using ::testing::HasSubstr;

config::PropValue list(std::vector<std::string> v) {
    return config::PropValue{true, "", std::move(v)};
}

std::string problem(std::string_view prop, std::vector<std::string> v) {
    auto r = config::check_global_prop(prop, list(std::move(v)));
    return r ? "" : r.error().message();
}

// ---- zonecfg ----------------------------------------------------------------------

TEST(SeccompProps, KnownNamesAreAccepted) {
    EXPECT_EQ(problem("seccomp-allow", {"keyctl", "perf_event_open", "socket"}), "");
    EXPECT_EQ(problem("seccomp-deny", {"ptrace", "mount", "socketcall", "stat64"}), "");
}

TEST(SeccompProps, UnknownNameIsRefusedByName) {
    std::string p = problem("seccomp-allow", {"keyctl", "kexec_lod"});
    EXPECT_THAT(p, HasSubstr("seccomp-allow"));
    EXPECT_THAT(p, HasSubstr("'kexec_lod' is not a system call"));
    EXPECT_THAT(problem("seccomp-deny", {""}), HasSubstr("'' is not a system call"));
}

TEST(SeccompProps, NeverAllowedCallsAreRefused) {
    for (auto name : config::never_allowed_syscalls()) {
        std::string p = problem("seccomp-allow", {std::string(name)});
        EXPECT_THAT(p, HasSubstr("'" + std::string(name) + "' may never be allowed")) << name;
        // Denying them is pointless but harmless.
        EXPECT_EQ(problem("seccomp-deny", {std::string(name)}), "") << name;
    }
    for (const char* n : {"kexec_load", "init_module", "finit_module", "delete_module",
                          "open_by_handle_at", "bpf", "mknod"})
        EXPECT_NE(std::find(config::never_allowed_syscalls().begin(),
                            config::never_allowed_syscalls().end(), n),
                  config::never_allowed_syscalls().end())
            << n;
}

TEST(SeccompProps, StartCallsCannotBeDenied) {
    EXPECT_THAT(problem("seccomp-deny", {"execve"}), HasSubstr("'execve' cannot be denied"));
    EXPECT_THAT(problem("seccomp-deny", {"exit_group"}), HasSubstr("cannot be denied"));
}

TEST(SeccompProps, RepeatsAreRefused) {
    EXPECT_THAT(problem("seccomp-deny", {"ptrace", "ptrace"}), HasSubstr("listed twice"));
}

TEST(SeccompProps, VerifyRefusesANameInBothLists) {
    config::ZoneConfig cfg = *config::builtin_template("default");
    cfg.name = "z";
    cfg.props["seccomp-allow"] = list({"keyctl", "ptrace"});
    cfg.props["seccomp-deny"] = list({"ptrace"});
    auto r = config::verify(cfg);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message(), HasSubstr("'ptrace' is in both seccomp-allow and seccomp-deny"));
    cfg.props["seccomp-deny"] = list({"chroot"});
    EXPECT_TRUE(config::verify(cfg)) << config::verify(cfg).error().message();
    EXPECT_EQ(config::seccomp_allow(cfg), (std::vector<std::string>{"keyctl", "ptrace"}));
    EXPECT_EQ(config::seccomp_deny(cfg), (std::vector<std::string>{"chroot"}));
}

TEST(SeccompProps, RoundTripThroughJson) {
    config::ZoneConfig cfg = *config::builtin_template("default");
    cfg.name = "z";
    cfg.props["seccomp-allow"] = list({"keyctl"});
    auto back = config::from_json(config::to_json(cfg));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(config::seccomp_allow(*back), std::vector<std::string>{"keyctl"});
}

TEST(SeccompFilter, NeverAllowedIsRefusedByTheBuilderToo) {
    auto f = sec::build_filter(Profile::System, caps::all_caps(), {{"kexec_load"}, {}});
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, config::kInvalidConfig);
    EXPECT_THAT(f.error().message(), HasSubstr("'kexec_load' may never be allowed"));
}

// ---- the filter cache -------------------------------------------------------------

config::ZoneConfig zone_with(std::vector<std::string> allow, std::vector<std::string> deny) {
    config::ZoneConfig cfg = *config::builtin_template("default");
    if (!allow.empty()) cfg.props["seccomp-allow"] = list(std::move(allow));
    if (!deny.empty()) cfg.props["seccomp-deny"] = list(std::move(deny));
    return cfg;
}

TEST(SeccompCache, AdditionsAreInTheKey) {
    ConfinementCache cache;
    auto plain = cache.for_config(zone_with({}, {}));
    auto a = cache.for_config(zone_with({"keyctl", "perf_event_open"}, {}));
    auto a2 = cache.for_config(zone_with({"perf_event_open", "keyctl"}, {}));
    auto d = cache.for_config(zone_with({}, {"keyctl"}));
    auto plain2 = cache.for_config(zone_with({}, {}));
    ASSERT_TRUE(plain && a && a2 && d && plain2);
    EXPECT_NE(plain->filter, a->filter);
    EXPECT_NE(plain->filter, d->filter);
    EXPECT_NE(a->filter, d->filter);
    EXPECT_EQ(a->filter, a2->filter); // order does not matter
    EXPECT_EQ(plain->filter, plain2->filter);
}

TEST(SeccompCache, SystemDenyingAMountCallKeepsTheRestOfTheFamily) {
    ConfinementCache cache;
    auto cfg = zone_with({}, {"mount"});
    cfg.props["security-profile"] = config::PropValue{false, "system", {}};
    cfg.props["userns"] = config::PropValue{false, "auto", {}};
    auto c = cache.for_config(cfg);
    ASSERT_TRUE(c) << c.error().message();
    seccomp_data d{};
    d.arch = AUDIT_ARCH_X86_64;
    d.nr = SYS_mount;
    EXPECT_EQ(testing_bpf::run_bpf(c->filter->code, d), SECCOMP_RET_ERRNO | EPERM);
    d.nr = SYS_umount2;
    EXPECT_EQ(testing_bpf::run_bpf(c->filter->code, d), SECCOMP_RET_ALLOW);
}

// ---- socket families --------------------------------------------------------------

#if defined(__x86_64__)
constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kNoFamily = SECCOMP_RET_ERRNO | EAFNOSUPPORT;
constexpr uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS;

uint32_t on(const sec::Filter& f, uint32_t arch, int nr, std::vector<uint64_t> args) {
    seccomp_data d{};
    d.arch = arch;
    d.nr = nr;
    for (size_t i = 0; i < args.size(); ++i)
        d.args[i] = args[i];
    return testing_bpf::run_bpf(f.code, d);
}

int nr_of(uint32_t scmp_arch, const char* name) {
    return seccomp_syscall_resolve_name_arch(scmp_arch, name);
}

sec::Filter filter(Profile p, CapSet c, const sec::Additions& extra = {}) {
    auto f = sec::build_filter(p, c, extra);
    EXPECT_TRUE(f) << f.error().message();
    return f ? *f : sec::Filter{};
}

// The families a padded cell has no use for and that have been kernel attack surface.
const int kRefused[] = {AF_VSOCK, AF_KEY, AF_BLUETOOTH, AF_ALG, AF_RDS, AF_TIPC, AF_XDP,
                        AF_CAN,   AF_LLC, AF_X25,       AF_AX25, AF_APPLETALK, AF_NFC, AF_PPPOX,
                        AF_ATMPVC, AF_IPX, AF_SMC,      AF_MCTP, AF_QIPCRTR, AF_IEEE802154};

TEST(SeccompSocket, HardenedAllowsOnlyTheUsualFamilies) {
    sec::Filter f = filter(Profile::Hardened, caps::default_caps(Profile::Hardened));
    const int x32_socket = nr_of(SCMP_ARCH_X32, "socket");
    const int i386_socket = 359; // libseccomp: "socket" is the socketcall multiplex
    ASSERT_GT(x32_socket, 0);
    ASSERT_GT(i386_socket, 0);
    for (int fam : {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET}) {
        EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {uint64_t(fam), SOCK_STREAM, 0}), kAllow)
            << fam;
        EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, x32_socket, {uint64_t(fam)}), kAllow) << fam;
        EXPECT_EQ(on(f, AUDIT_ARCH_I386, i386_socket, {uint64_t(fam)}), kAllow) << fam;
    }
    for (int fam : kRefused) {
        EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {uint64_t(fam), SOCK_STREAM, 0}), kNoFamily)
            << fam;
        EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, x32_socket, {uint64_t(fam)}), kNoFamily) << fam;
        EXPECT_EQ(on(f, AUDIT_ARCH_I386, i386_socket, {uint64_t(fam)}), kNoFamily) << fam;
    }
    // The kernel takes an int: garbage in the upper half changes nothing.
    EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {0xdead00000000ull | AF_INET}), kAllow);
    EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {0xdead00000000ull | AF_VSOCK}), kNoFamily);
    // socketpair and the other socket calls are not touched.
    EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socketpair, {AF_UNIX}), kAllow);
    EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_connect, {3}), kAllow);
}

TEST(SeccompSocket, PacketNeedsNetRaw) {
    CapSet c = caps::default_caps(Profile::Hardened);
    c.bits &= ~(uint64_t{1} << CAP_NET_RAW);
    sec::Filter f = filter(Profile::Hardened, c);
    EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {AF_PACKET}), kNoFamily);
    EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {AF_INET}), kAllow);
}

TEST(SeccompSocket, I386SocketcallCannotCreateSockets) {
    sec::Filter f = filter(Profile::Hardened, caps::default_caps(Profile::Hardened));
    int sc = nr_of(SCMP_ARCH_X86, "socketcall");
    ASSERT_GT(sc, 0);
    EXPECT_EQ(on(f, AUDIT_ARCH_I386, sc, {SYS_SOCKET, 0}), kEnosys);
    EXPECT_EQ(on(f, AUDIT_ARCH_I386, sc, {SYS_CONNECT, 0}), kAllow);
    EXPECT_EQ(on(f, AUDIT_ARCH_I386, sc, {SYS_SENDMSG, 0}), kAllow);
}

TEST(SeccompSocket, AllowingSocketLiftsTheCheck) {
    sec::Filter f =
        filter(Profile::Hardened, caps::default_caps(Profile::Hardened), {{"socket"}, {}});
    EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {AF_VSOCK}), kAllow);
    EXPECT_EQ(on(f, AUDIT_ARCH_I386, nr_of(SCMP_ARCH_X86, "socketcall"), {SYS_SOCKET}), kAllow);
}

TEST(SeccompSocket, DenyingSocketStillAnswersByFamily) {
    sec::Filter f =
        filter(Profile::Hardened, caps::default_caps(Profile::Hardened), {{}, {"socket"}});
    EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {AF_INET}), SECCOMP_RET_ERRNO | EPERM);
    EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {AF_VSOCK}), kNoFamily);
}

TEST(SeccompSocket, SystemDoesNotFilterFamilies) {
    sec::Filter f = filter(Profile::System, caps::all_caps(), {sec::mount_family(), {}});
    for (int fam : {AF_VSOCK, AF_ALG, AF_INET})
        EXPECT_EQ(on(f, AUDIT_ARCH_X86_64, SYS_socket, {uint64_t(fam)}), kAllow) << fam;
}
#endif

} // namespace
} // namespace zone

namespace zone {
namespace {

// A member of a creator group may narrow the filter, never widen it.
TEST(SeccompProps, CreatorsMayDenyButNotAllow) {
    auth::CreatorPolicy p;
    p.group = "qa";
    auto cfg = zone_with({}, {"ptrace"});
    EXPECT_TRUE(auth::check_creator_bounds(cfg, p).empty());
    cfg = zone_with({"keyctl"}, {});
    EXPECT_THAT(auth::check_creator_bounds(cfg, p),
                ::testing::Contains(HasSubstr("seccomp-allow: system calls beyond the profile's")));
}

} // namespace
} // namespace zone
