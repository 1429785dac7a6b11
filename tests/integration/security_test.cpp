// Capabilities and seccomp against the real kernel (root): a forked child
// applies a CapPlan, no_new_privs and a filter exactly as a zone's init or a
// zlogin child does, then tries what a zone must not do and reports each
// answer through shared memory; finally it execs cat /proc/self/status, so
// the parent also sees the sets a program in the zone starts with.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/caps.hpp"
#include "runtime/seccomp.hpp"
#include "integration/harness.hpp"

namespace zone {
namespace {

using caps::CapSet;
using caps::Profile;


// ---- what the child reports ----------------------------------------------------------

struct Answer {
    char what[40];
    long ret;
    int err;
};

struct Report {
    int setup_step; // 0: confinement applied; else the step that failed
    int setup_err;
    int count;
    Answer answers[48];
};

// Records one system call's answer (child side: no allocation).
void note(Report& r, const char* what, long ret) {
    if (r.count >= 48) return;
    Answer& a = r.answers[r.count++];
    std::strncpy(a.what, what, sizeof a.what - 1);
    a.ret = ret;
    a.err = ret < 0 ? errno : 0;
}

// Records a yes/no observation: ret 0 for yes, -1 for no, no errno.
void note_bool(Report& r, const char* what, bool yes) {
    errno = 0;
    note(r, what, yes ? 0 : -1);
}

// Runs `fn` in a forked child (so that what it changes, a namespace, stays
// there) and records its answer as if called here.
template <typename F> void note_in_child(Report& r, const char* what, F fn) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(fn() < 0 ? errno : 0);
    int st = 0;
    ::waitpid(pid, &st, 0);
    errno = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
    note(r, what, errno == 0 ? 0 : -1);
}

const Answer* find(const Report& r, const std::string& what) {
    for (int i = 0; i < r.count; ++i)
        if (what == r.answers[i].what) return &r.answers[i];
    return nullptr;
}

#define EXPECT_ERRNO(report, what, e)                                                              \
    do {                                                                                           \
        const Answer* a_ = find(report, what);                                                     \
        ASSERT_NE(a_, nullptr) << what << " was not tried";                                        \
        EXPECT_EQ(a_->ret, -1) << what;                                                            \
        EXPECT_EQ(a_->err, e) << what << ": " << strerrorname_np(a_->err);                         \
    } while (0)

#define EXPECT_WORKS(report, what)                                                                 \
    do {                                                                                           \
        const Answer* a_ = find(report, what);                                                     \
        ASSERT_NE(a_, nullptr) << what << " was not tried";                                        \
        EXPECT_GE(a_->ret, 0) << what << ": " << strerrorname_np(a_->err);                         \
    } while (0)

// ---- the confinement, as the start sequence applies it --------------------------------

struct Confinement {
    caps::CapPlan plan;
    const sec::Filter* filter = nullptr;
    bool apply_caps = true;
    uid_t uid = 0; // != 0: switch to this uid/gid between prepare and finish
};

// Child side, in the documented order. Returns 0 or the failed step.
int confine(const Confinement& c) {
    if (c.apply_caps && caps::prepare_uid_switch_in_child(c.plan) < 0) return 1;
    if (c.uid != 0) {
        gid_t none[1] = {};
        if (::syscall(SYS_setgroups, 0, none) < 0) return 2;
        if (::syscall(SYS_setresgid, c.uid, c.uid, c.uid) < 0) return 2;
        if (::syscall(SYS_setresuid, c.uid, c.uid, c.uid) < 0) return 2;
    }
    if (c.apply_caps && caps::finish_uid_switch_in_child(c.plan) < 0) return 3;
    if (caps::set_no_new_privs_in_child() < 0) return 4;
    if (c.filter && sec::install_in_child(*c.filter) < 0) return 5;
    return 0;
}

#if defined(__x86_64__)
// An i386 system call from 64-bit code: the kernel takes int 0x80 as one.
long int80(long nr, long a = 0, long b = 0, long c = 0) {
    long ret;
    asm volatile("int $0x80"
                 : "=a"(ret)
                 : "a"(nr), "b"(a), "c"(b), "d"(c)
                 : "memory", "cc", "r8", "r9", "r10", "r11");
    return ret;
}

// Whether this kernel runs i386 system calls (IA32 emulation built and enabled).
bool have_ia32() {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(int80(20 /* getpid */) == ::getpid() ? 0 : 1);
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
#endif

// A scratch directory (mount and mknod targets), removed with its contents.
struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/zone-security-XXXXXX";
        path = ::mkdtemp(t) ? t : "";
    }
    ~TempDir() {
        ::umount2(path.c_str(), MNT_DETACH); // only if a test failed open
        std::string cmd = "rm -rf '" + path + "'";
        if (std::system(cmd.c_str())) {
        }
    }
};

struct Outcome {
    Report report{};
    int wstatus = 0;
    std::string status; // /proc/self/status of the exec'd program ("" if no exec)
};

// Forks; the child confines itself, runs `tries` and, if `exec_cat`, execs
// cat /proc/self/status onto a pipe.
template <typename F> Outcome run_confined(const Confinement& c, F tries, bool exec_cat = true) {
    auto* rep = static_cast<Report*>(
        ::mmap(nullptr, sizeof(Report), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    EXPECT_NE(rep, MAP_FAILED);
    std::memset(rep, 0, sizeof *rep);
    int out[2];
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    const char* const argv[] = {"cat", "/proc/self/status", nullptr};
    const char* const envp[] = {nullptr};
    pid_t pid = ::fork();
    if (pid == 0) {
        rep->setup_step = confine(c);
        if (rep->setup_step != 0) {
            rep->setup_err = errno;
            ::_exit(100);
        }
        tries(*rep);
        if (!exec_cat) ::_exit(0);
        ::dup2(out[1], 1);
        ::execve("/bin/cat", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
        ::_exit(101);
    }
    ::close(out[1]);
    Outcome o;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0)
        o.status.append(buf, static_cast<size_t>(n));
    ::close(out[0]);
    ::waitpid(pid, &o.wstatus, 0);
    o.report = *rep;
    ::munmap(rep, sizeof *rep);
    return o;
}

// "CapEff:\t00000000a80425fb" -> the number; ~0 when the line is missing.
uint64_t status_hex(const std::string& status, const std::string& key) {
    auto at = status.find("\n" + key + ":");
    if (at == std::string::npos) return ~uint64_t{0};
    return std::strtoull(status.c_str() + at + key.size() + 2, nullptr, 16);
}
long status_num(const std::string& status, const std::string& key) {
    auto at = status.find("\n" + key + ":");
    if (at == std::string::npos) return -1;
    return std::strtol(status.c_str() + at + key.size() + 2, nullptr, 10);
}

// What no zone may do, tried with harmless arguments: if the filter let one
// through, the kernel would refuse it for another reason (bad magic, bad
// size, NULL pointers), never reboot or mount the test machine's own root.
void try_forbidden(Report& r, const char* dir) {
    note(r, "mount", ::mount("none", dir, "tmpfs", 0, nullptr));
    note(r, "keyctl", ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
    bpf_attr attr{};
    note(r, "bpf", ::syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
    clone_args ca{};
    note(r, "clone3", ::syscall(SYS_clone3, &ca, 0)); // size 0: EINVAL if it got through
    note(r, "init_module", ::syscall(SYS_init_module, nullptr, 0, ""));
    note(r, "reboot", ::syscall(SYS_reboot, 0, 0, 0, nullptr)); // bad magic: EINVAL past seccomp
    note(r, "open_by_handle_at", ::syscall(SYS_open_by_handle_at, AT_FDCWD, nullptr, O_RDONLY));
    note_in_child(r, "unshare(NEWUSER)", [] { return ::syscall(SYS_unshare, CLONE_NEWUSER); });
    note_in_child(r, "unshare(NEWNS)", [] { return ::syscall(SYS_unshare, CLONE_NEWNS); });
    char path[256];
    std::snprintf(path, sizeof path, "%s/sda", dir);
    note(r, "mknod(block)", ::mknod(path, S_IFBLK | 0600, makedev(8, 0)));
    std::snprintf(path, sizeof path, "%s/null", dir);
    note(r, "mknod(null)", ::mknod(path, S_IFCHR | 0666, makedev(1, 3)));
    std::snprintf(path, sizeof path, "%s/fifo", dir);
    note(r, "mknod(fifo)", ::mknod(path, S_IFIFO | 0600, 0));
    int m = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (m >= 0 && ::grantpt(m) == 0 && ::unlockpt(m) == 0) {
        int s = ::open(::ptsname(m), O_RDWR | O_NOCTTY);
        char c = 'x';
        note(r, "ioctl(TIOCSTI)", ::ioctl(s, TIOCSTI, &c));
        ::close(s);
    }
#if defined(__x86_64__)
    note(r, "x32 mount", ::syscall(0x40000000 | SYS_mount, 0, 0, 0, 0, 0));
#endif
}

// What every program needs.
void try_ordinary(Report& r) {
    note(r, "getpid", ::syscall(SYS_getpid));
    int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    note(r, "open", fd);
    char buf[64];
    note(r, "read", ::read(fd, buf, sizeof buf));
    ::close(fd);
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    note(r, "write", ::write(null, buf, sizeof buf));
    ::close(null);
    pid_t kid = ::fork(); // clone without namespace flags
    if (kid == 0) ::_exit(7);
    int st = 0;
    note(r, "fork", kid);
    ::waitpid(kid, &st, 0);
    note_bool(r, "child exit 7", WIFEXITED(st) && WEXITSTATUS(st) == 7);
    note_bool(r, "bounding has sys_admin", ::prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN) == 1);
    note_bool(r, "bounding has chown", ::prctl(PR_CAPBSET_READ, CAP_CHOWN) == 1);
}

sec::Filter hardened_filter() {
    auto f = sec::build_filter(Profile::Hardened, caps::default_caps(Profile::Hardened));
    EXPECT_TRUE(f) << f.error().message();
    return f ? std::move(*f) : sec::Filter{};
}

void expect_setup_ok(const Outcome& o) {
    EXPECT_EQ(o.report.setup_step, 0)
        << "step " << o.report.setup_step << ": " << strerrorname_np(o.report.setup_err);
}

// ---- tests --------------------------------------------------------------------------------

TEST(Security_Kernel, HardenedZoneProcess) {
    ZT_REQUIRE_ROOT();
    TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    sec::Filter filter = hardened_filter();
    CapSet set = caps::default_caps(Profile::Hardened);
    Confinement c{caps::plan_caps(set, 0, caps::kernel_last_cap()), &filter};
    Outcome o = run_confined(c, [&](Report& r) {
        try_forbidden(r, dir.path.c_str());
        try_ordinary(r);
    });
    expect_setup_ok(o);
    const Report& r = o.report;
    for (const char* what :
         {"mount", "keyctl", "bpf", "init_module", "reboot", "open_by_handle_at",
          "unshare(NEWUSER)", "unshare(NEWNS)", "mknod(block)", "ioctl(TIOCSTI)", "x32 mount"})
        EXPECT_ERRNO(r, what, EPERM);
    EXPECT_ERRNO(r, "clone3", ENOSYS);
    for (const char* what : {"mknod(null)", "mknod(fifo)", "getpid", "open", "read", "write",
                             "fork", "child exit 7", "bounding has chown"})
        EXPECT_WORKS(r, what);
    EXPECT_ERRNO(r, "bounding has sys_admin", 0); // a "no", without errno

    // What a program exec'd in the zone starts with.
    ASSERT_TRUE(WIFEXITED(o.wstatus) && WEXITSTATUS(o.wstatus) == 0) << o.wstatus;
    EXPECT_EQ(status_hex(o.status, "CapEff"), set.bits) << o.status;
    EXPECT_EQ(status_hex(o.status, "CapPrm"), set.bits);
    EXPECT_EQ(status_hex(o.status, "CapBnd"), set.bits);
    EXPECT_EQ(status_hex(o.status, "CapInh"), 0u);
    EXPECT_EQ(status_hex(o.status, "CapAmb"), 0u);
    EXPECT_EQ(status_num(o.status, "NoNewPrivs"), 1);
    EXPECT_EQ(status_num(o.status, "Seccomp"), 2);
}

// With every capability kept, only the filter stands between the process
// and the kernel: each answer here is the filter's (the kernel would have
// said EINVAL, EFAULT or done it).
TEST(Security_Kernel, FilterHoldsEvenWithAllCapabilities) {
    ZT_REQUIRE_ROOT();
    TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    sec::Filter filter = hardened_filter();
    Confinement c{{}, &filter, /*apply_caps=*/false};
    Outcome o = run_confined(
        c, [&](Report& r) { try_forbidden(r, dir.path.c_str()); }, /*exec_cat=*/false);
    expect_setup_ok(o);
    for (const char* what :
         {"mount", "keyctl", "bpf", "init_module", "reboot", "open_by_handle_at",
          "unshare(NEWUSER)", "unshare(NEWNS)", "mknod(block)", "ioctl(TIOCSTI)", "x32 mount"})
        EXPECT_ERRNO(o.report, what, EPERM);
    EXPECT_ERRNO(o.report, "clone3", ENOSYS);
    struct stat st {};
    EXPECT_NE(::stat((dir.path + "/sda").c_str(), &st), 0) << "a block device was created";
}

#if defined(__x86_64__)
TEST(Security_Kernel, Ia32EntryPointIsFiltered) {
    ZT_REQUIRE_ROOT();
    if (!have_ia32()) GTEST_SKIP() << "this kernel runs no i386 system calls (IA32 emulation off)";
    sec::Filter filter = hardened_filter();
    Confinement c{{}, &filter, /*apply_caps=*/false};
    Outcome o = run_confined(
        c,
        [](Report& r) {
            long pid = int80(20); // getpid
            note_bool(r, "ia32 getpid", pid == ::getpid());
            long m = int80(21); // mount(NULL, NULL, NULL): EFAULT if the filter let it by
            errno = m < 0 ? static_cast<int>(-m) : 0;
            note(r, "ia32 mount", m < 0 ? -1 : m);
            long k = int80(288, 0, -3); // keyctl(GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING)
            errno = k < 0 ? static_cast<int>(-k) : 0;
            note(r, "ia32 keyctl", k < 0 ? -1 : k);
        },
        /*exec_cat=*/false);
    expect_setup_ok(o);
    EXPECT_WORKS(o.report, "ia32 getpid");
    EXPECT_ERRNO(o.report, "ia32 mount", EPERM);
    EXPECT_ERRNO(o.report, "ia32 keyctl", EPERM);
}
#endif

TEST(Security_Kernel, SystemProfileDeniesTheHostWideCalls) {
    ZT_REQUIRE_ROOT();
    TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    auto filter = sec::build_filter(Profile::System, caps::all_caps());
    ASSERT_TRUE(filter) << filter.error().message();
    Confinement c{caps::plan_caps(caps::all_caps(), 0, caps::kernel_last_cap()), &*filter};
    Outcome o = run_confined(c, [&](Report& r) {
        try_forbidden(r, dir.path.c_str());
        try_ordinary(r);
    });
    expect_setup_ok(o);
    for (const char* what : {"mount", "keyctl", "bpf", "init_module", "open_by_handle_at",
                             "mknod(block)", "ioctl(TIOCSTI)", "x32 mount"})
        EXPECT_ERRNO(o.report, what, EPERM);
    EXPECT_ERRNO(o.report, "reboot", EINVAL); // allowed (a zone's PID namespace confines it)
    EXPECT_ERRNO(o.report, "clone3", EINVAL); // allowed: size 0 is the kernel's refusal
    for (const char* what : {"unshare(NEWNS)", "unshare(NEWUSER)", "mknod(null)", "getpid", "fork",
                             "bounding has sys_admin"})
        EXPECT_WORKS(o.report, what);
    // Every capability this process holds (a test run in a container may lack some).
    EXPECT_EQ(status_hex(o.status, "CapEff"), caps::all_caps().bits & caps::permitted_caps().bits)
        << o.status;
    EXPECT_EQ(status_num(o.status, "Seccomp"), 2);
    EXPECT_EQ(status_num(o.status, "NoNewPrivs"), 1);
}

// zlogin as a normal user: keepcaps, the uid switch, then capset and ambient.
TEST(Security_Kernel, UserKeepsOnlyItsAmbientCapabilities) {
    ZT_REQUIRE_ROOT();
    sec::Filter filter = hardened_filter();
    CapSet zone = caps::default_caps(Profile::Hardened);
    CapSet amb = CapSet{}.add(CAP_NET_BIND_SERVICE);
    Confinement c{caps::plan_caps(zone, 65534, caps::kernel_last_cap(), amb), &filter, true, 65534};
    Outcome o = run_confined(c, [](Report& r) { try_ordinary(r); });
    expect_setup_ok(o);
    ASSERT_TRUE(WIFEXITED(o.wstatus) && WEXITSTATUS(o.wstatus) == 0) << o.wstatus;
    EXPECT_EQ(status_num(o.status, "Uid"), 65534) << o.status;
    EXPECT_EQ(status_hex(o.status, "CapEff"), amb.bits) << o.status;
    EXPECT_EQ(status_hex(o.status, "CapPrm"), amb.bits);
    EXPECT_EQ(status_hex(o.status, "CapAmb"), amb.bits);
    EXPECT_EQ(status_hex(o.status, "CapBnd"), zone.bits);
    EXPECT_EQ(status_num(o.status, "NoNewPrivs"), 1);

    Confinement plain{caps::plan_caps(zone, 65534, caps::kernel_last_cap()), &filter, true, 65534};
    Outcome p = run_confined(plain, [](Report&) {});
    expect_setup_ok(p);
    EXPECT_EQ(status_hex(p.status, "CapEff"), 0u) << p.status;
    EXPECT_EQ(status_hex(p.status, "CapPrm"), 0u);
    EXPECT_EQ(status_hex(p.status, "CapInh"), 0u);
    EXPECT_EQ(status_hex(p.status, "CapAmb"), 0u);
    EXPECT_EQ(status_hex(p.status, "CapBnd"), zone.bits);
}

} // namespace
} // namespace zone
