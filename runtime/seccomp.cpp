// The seccomp filter: tables of system calls per profile, built into a BPF
// program by libseccomp in the parent, behind a short hand-written prelude
// (ENOSYS above the newest known call, TIOCSTI) that libseccomp cannot express.
#include "runtime/seccomp.hpp"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstddef>
#include <linux/audit.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <map>
#include <memory>
#include <set>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "runtime/common/fd.hpp"
#include "runtime/config/seccomp_props.hpp"
#include "runtime/config/zone_config.hpp"

namespace zone::sec {

namespace {

using Names = std::vector<const char*>;

// ---- tables ---------------------------------------------------------------------
// clang-format off

// hardened: allowed whatever the capabilities (the kernel still checks them).
// After the widely used container default, without the host-wide calls.
const Names kAllow = {
    "accept", "accept4", "access", "alarm", "arch_prctl", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_getres", "clock_getres_time64",
    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
    "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
    "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
    "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
    "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
    "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl",
    "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
    "ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat", "get_mempolicy",
    "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64",
    "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
    "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday",
    "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64", "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc",
    "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
    "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
    "mbind", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat",
    "mlock", "mlock2", "mlockall", "mmap", "mmap2", "modify_ldt", "mprotect", "mq_getsetattr",
    "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
    "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
    "_newselect", "open", "openat", "openat2", "pause", "personality", "pidfd_open",
    "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
    "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
    "process_mrelease", "process_vm_readv", "process_vm_writev", "pselect6", "pselect6_time64",
    "ptrace", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
    "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
    "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
    "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
    "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg",
    "sendto", "set_mempolicy", "set_mempolicy_home_node", "set_robust_list", "set_thread_area",
    "set_tid_address", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid",
    "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
    "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
    "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr",
    "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
    "sigprocmask", "sigreturn", "socket", "socketcall", "socketpair", "splice", "stat",
    "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
    "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask",
    "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
    "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
};

// The mount family: the zone's mount namespace confines it, but not without
// a user namespace the superblocks it may create (a host disk, say).
const Names kMountFamily = {
    "mount",     "umount", "umount2",   "pivot_root", "move_mount",
    "fsopen",    "fsmount", "fsconfig", "fspick",     "open_tree", "mount_setattr",
};

// Calls that reach the whole host, not just the zone: blocked in both
// profiles whatever the capabilities; only a per-zone addition opens one.
const Names kHostWide = {
    "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms",
    "query_module", "kexec_load", "kexec_file_load", "add_key", "request_key", "keyctl",
    "open_by_handle_at", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "clock_settime", "clock_settime64", "settimeofday",
    "stime", "clock_adjtime", "clock_adjtime64", "adjtimex", "swapon", "swapoff", "acct",
    "quotactl", "quotactl_fd", "lookup_dcookie", "syslog", "iopl", "ioperm", "nfsservctl",
    "_sysctl", "uselib", "vm86", "vm86old",
};

// clang-format on

// hardened: calls a granted capability opens, where the zone's namespaces
// confine what they do.
struct CapCalls {
    int cap;
    Names calls;
};
const std::vector<CapCalls>& cap_calls() {
    static const std::vector<CapCalls> t = [] {
        Names admin = kMountFamily;
        for (const char* c : {"unshare", "setns", "clone", "clone3", "sethostname", "setdomainname",
                              "fanotify_init"})
            admin.push_back(c);
        return std::vector<CapCalls>{
            {CAP_SYS_ADMIN, admin},
            {CAP_SYS_BOOT, {"reboot"}}, // in the zone's PID namespace: ends the zone's init
            {CAP_SYS_CHROOT, {"chroot"}},
            {CAP_SYS_PTRACE, {"kcmp", "pidfd_getfd", "process_madvise"}},
            {CAP_SYS_NICE, {"migrate_pages", "move_pages"}},
            {CAP_SYS_TTY_CONFIG, {"vhangup"}},
        };
    }();
    return t;
}

// Namespace flags of clone and unshare (hardened, without sys_admin: none).
// CLONE_NEWTIME (0x80) shares its bit with clone's exit signal: unshare only.
constexpr uint64_t kCloneNsFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                   CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
constexpr uint64_t kUnshareNsFlags = kCloneNsFlags | CLONE_NEWTIME;

// Character devices a zone may create (hardened), kernel encoding major << 8 | minor:
// null, zero, full, random, urandom, tty, console, ptmx, and 0:0 (overlayfs whiteout).
constexpr uint32_t kSafeCharDevs[] = {0x103, 0x105, 0x107, 0x108, 0x109,
                                      0x500, 0x501, 0x502, 0x000};

// ---- libseccomp -----------------------------------------------------------------

struct CtxDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

int resolve(const std::string& name) {
    return seccomp_syscall_resolve_name(name.c_str());
}

Error seccomp_error(int rc, std::string op) {
    return sys_error(-rc, std::move(op));
}

Result<void> add(const Ctx& ctx, uint32_t action, const std::string& name,
                 std::vector<scmp_arg_cmp> args = {}) {
    int nr = resolve(name);
    if (nr == __NR_SCMP_ERROR) return ok(); // newer than this libseccomp: ENOSYS/allowed
    int rc = seccomp_rule_add_array(ctx.get(), action, nr, static_cast<unsigned>(args.size()),
                                    args.empty() ? nullptr : args.data());
    if (rc < 0) return seccomp_error(rc, "seccomp_rule_add(" + name + ")");
    return ok();
}

// The architectures this machine's processes can call the kernel through.
std::vector<uint32_t> extra_arches() {
#if defined(__x86_64__)
    return {SCMP_ARCH_X86, SCMP_ARCH_X32};
#else
    return {};
#endif
}

Result<Ctx> new_ctx(uint32_t default_action) {
    Ctx ctx(seccomp_init(default_action));
    if (!ctx) return sys_error(ENOMEM, "seccomp_init");
    for (uint32_t arch : extra_arches()) {
        int rc = seccomp_arch_add(ctx.get(), arch);
        if (rc < 0 && rc != -EEXIST) return seccomp_error(rc, "seccomp_arch_add");
    }
    // A foreign architecture has no business in a zone.
    int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); // binary tree
    if (rc < 0) return seccomp_error(rc, "seccomp_attr_set");
    return ctx;
}

Result<std::vector<sock_filter>> export_bpf(const Ctx& ctx) {
    UniqueFd fd(::memfd_create("zone-seccomp", MFD_CLOEXEC));
    if (!fd) return sys_error("memfd_create(zone-seccomp)");
    int rc = seccomp_export_bpf(ctx.get(), fd.get());
    if (rc < 0) return seccomp_error(rc, "seccomp_export_bpf");
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) return sys_error("fstat(zone-seccomp)");
    std::vector<sock_filter> code(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
    size_t want = code.size() * sizeof(sock_filter);
    if (::pread(fd.get(), code.data(), want, 0) != static_cast<ssize_t>(want))
        return sys_error(EIO, "pread(zone-seccomp)");
    return code;
}

// ---- prelude ----------------------------------------------------------------------

// A few instructions with forward jumps to labels, resolved by finish().
class Asm {
  public:
    static constexpr int kNext = -1; // a jump target: the next instruction
    int new_label() { return labels_++; }
    void stmt(uint16_t code, uint32_t k) { ins_.push_back({BPF_STMT(code, k), kNext, kNext}); }
    void jump(uint16_t code, uint32_t k, int jt, int jf) {
        ins_.push_back({BPF_JUMP(code, k, 0, 0), jt, jf});
    }
    void jump_always(int to) { ins_.push_back({BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0), to, kNext}); }
    void place(int label) { at_[label] = ins_.size(); }
    // The program, with `end` placed after the last instruction.
    std::vector<sock_filter> finish(int end) {
        place(end);
        std::vector<sock_filter> out;
        for (size_t i = 0; i < ins_.size(); ++i) {
            sock_filter f = ins_[i].f;
            if (BPF_CLASS(f.code) == BPF_JMP && BPF_OP(f.code) == BPF_JA) {
                f.k = offset(i, ins_[i].jt);
            } else {
                f.jt = static_cast<uint8_t>(offset(i, ins_[i].jt));
                f.jf = static_cast<uint8_t>(offset(i, ins_[i].jf));
            }
            out.push_back(f);
        }
        return out;
    }

  private:
    struct Ins {
        sock_filter f;
        int jt, jf;
    };
    uint32_t offset(size_t from, int label) const {
        if (label == kNext) return 0;
        size_t to = at_.at(label);
        assert(to > from && to - from - 1 <= 255); // short and forward by construction
        return static_cast<uint32_t>(to - from - 1);
    }
    std::vector<Ins> ins_;
    std::map<int, size_t> at_;
    int labels_ = 0;
};

constexpr uint32_t kNr = offsetof(seccomp_data, nr);
constexpr uint32_t kArch = offsetof(seccomp_data, arch);
// The low 32 bits of ioctl's request (the kernel takes an unsigned int).
constexpr uint32_t kIoctlCmd = offsetof(seccomp_data, args) + sizeof(uint64_t) +
                               (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0);
constexpr uint32_t kX32Bit = 0x40000000;
// The low 32 bits of the first argument (socket's family, socketcall's op).
constexpr uint32_t kArg0 = offsetof(seccomp_data, args) +
                           (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0);
constexpr uint32_t kSysSocket = 1; // socketcall's SYS_SOCKET (linux/net.h)
constexpr int kI386Socket = 359;   // socket(2) on i386 (arch/x86/entry/syscalls/syscall_32.tbl)

// One kernel architecture token with its system call numbers.
struct ArchNrs {
    uint32_t token;        // AUDIT_ARCH_*
    uint32_t scmp_arch;    // for libseccomp's name tables
    uint32_t x32_arch = 0; // x86-64: the x32 calls (bit 30) under the same token
};

std::vector<ArchNrs> kernel_arches() {
#if defined(__x86_64__)
    return {{AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64, SCMP_ARCH_X32}, {AUDIT_ARCH_I386, SCMP_ARCH_X86}};
#else
    return {{seccomp_arch_native(), seccomp_arch_native()}};
#endif
}

// The highest number any of `names` has on `arch` (0 when none).
uint32_t max_nr(uint32_t arch, const std::set<std::string>& names) {
    uint32_t m = 0;
    for (const auto& n : names) {
        int nr = seccomp_syscall_resolve_name_arch(arch, n.c_str());
        if (nr >= 0) m = std::max(m, static_cast<uint32_t>(nr));
    }
    return m;
}

// Before libseccomp's program: ioctl(TIOCSTI/TIOCLINUX) -> EPERM on every
// architecture; with `known` (hardened), numbers above the highest of them
// -> ENOSYS; with `families`, socket() of any other address family ->
// EAFNOSUPPORT and i386 socketcall(SYS_SOCKET), whose family sits in memory
// the filter cannot read, -> ENOSYS. libseccomp cannot say these: an
// argument rule under an unconditional allow of the same call is dropped,
// and it has no ranges.
std::vector<sock_filter> prelude(const std::set<std::string>* known,
                                 const std::vector<uint32_t>* families) {
    Asm a;
    const int end = a.new_label(), eperm = a.new_label(), enosys = a.new_label(),
              ioctl_cmd = a.new_label(), socket_family = a.new_label(),
              socketcall_op = a.new_label();
    const uint16_t jeq = BPF_JMP | BPF_JEQ | BPF_K, jgt = BPF_JMP | BPF_JGT | BPF_K;
    a.stmt(BPF_LD | BPF_W | BPF_ABS, kArch);
    for (const ArchNrs& ar : kernel_arches()) {
        int next_arch = a.new_label();
        a.jump(jeq, ar.token, Asm::kNext, next_arch);
        a.stmt(BPF_LD | BPF_W | BPF_ABS, kNr);
        for (uint32_t arch : {ar.scmp_arch, ar.x32_arch}) {
            int nr = arch ? seccomp_syscall_resolve_name_arch(arch, "ioctl") : -1;
            if (nr >= 0) a.jump(jeq, static_cast<uint32_t>(nr), ioctl_cmd, Asm::kNext);
            if (!families || !arch) continue;
            nr = seccomp_syscall_resolve_name_arch(arch, "socket");
            // libseccomp names i386's socketcall multiplex "socket" (a negative
            // pseudo number); the direct call of Linux 4.3 is 359.
            if (nr < 0 && arch == SCMP_ARCH_X86) nr = kI386Socket;
            if (nr >= 0) a.jump(jeq, static_cast<uint32_t>(nr), socket_family, Asm::kNext);
            nr = seccomp_syscall_resolve_name_arch(arch, "socketcall");
            if (nr >= 0) a.jump(jeq, static_cast<uint32_t>(nr), socketcall_op, Asm::kNext);
        }
        if (!known) {
            a.jump_always(end);
        } else if (ar.x32_arch) {
            // One token, two tables: x32 numbers have bit 30 set.
            int x32 = a.new_label();
            a.jump(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, x32, Asm::kNext);
            a.jump(jgt, max_nr(ar.scmp_arch, *known), enosys, end);
            a.place(x32);
            a.jump(jgt, max_nr(ar.x32_arch, *known), enosys, end);
        } else {
            a.jump(jgt, max_nr(ar.scmp_arch, *known), enosys, end);
        }
        a.place(next_arch);
    }
    a.jump_always(end); // another architecture: libseccomp's program kills
    a.place(ioctl_cmd);
    a.stmt(BPF_LD | BPF_W | BPF_ABS, kIoctlCmd);
    a.jump(jeq, TIOCSTI, eperm, Asm::kNext);
    a.jump(jeq, TIOCLINUX, eperm, end);
    if (families) {
        // socket(family, ...): the kernel takes an int, the low 32 bits.
        a.place(socket_family);
        a.stmt(BPF_LD | BPF_W | BPF_ABS, kArg0);
        for (uint32_t f : *families)
            a.jump(jeq, f, end, Asm::kNext);
        a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA));
        a.place(socketcall_op);
        a.stmt(BPF_LD | BPF_W | BPF_ABS, kArg0);
        a.jump(jeq, kSysSocket, enosys, end);
    }
    a.place(eperm);
    a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    a.place(enosys);
    a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
    return a.finish(end);
}

// ---- profiles ---------------------------------------------------------------------

constexpr uint32_t kEperm = SCMP_ACT_ERRNO(EPERM);
constexpr uint32_t kEnosys = SCMP_ACT_ERRNO(ENOSYS);

scmp_arg_cmp masked(unsigned arg, uint64_t mask, uint64_t value) {
    return scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, mask, value};
}

// mknod(path, mode, dev) and mknodat(dirfd, path, mode, dev): where mode and dev are.
struct MknodArgs {
    const char* name;
    unsigned mode, dev;
};
constexpr MknodArgs kMknods[] = {{"mknod", 1, 2}, {"mknodat", 2, 3}};

// hardened: files, fifos, sockets and the safe character devices only.
Result<void> allow_safe_mknod(const Ctx& ctx, const MknodArgs& m) {
    for (unsigned type : {0u, unsigned{S_IFREG}, unsigned{S_IFIFO}, unsigned{S_IFSOCK}})
        TRY_VOID(add(ctx, SCMP_ACT_ALLOW, m.name, {masked(m.mode, S_IFMT, type)}));
    for (uint32_t dev : kSafeCharDevs)
        TRY_VOID(add(ctx, SCMP_ACT_ALLOW, m.name,
                     {masked(m.mode, S_IFMT, S_IFCHR), masked(m.dev, 0xffffffffu, dev)}));
    return ok();
}

// The names every profile table mentions: what the filter "knows".
std::set<std::string> known_names(const Additions& extra) {
    std::set<std::string> k;
    for (const Names* t : {&kAllow, &kMountFamily, &kHostWide})
        k.insert(t->begin(), t->end());
    for (const auto& cc : cap_calls())
        k.insert(cc.calls.begin(), cc.calls.end());
    for (const char* n : {"mknod", "mknodat", "clone", "clone3", "unshare"})
        k.insert(n);
    k.insert(extra.allow.begin(), extra.allow.end());
    k.insert(extra.deny.begin(), extra.deny.end());
    return k;
}

bool contains(const std::vector<std::string>& v, const char* name) {
    return std::find(v.begin(), v.end(), name) != v.end();
}

Result<Ctx> hardened_profile(const caps::CapSet& caps, const Additions& extra) {
    std::set<std::string> allow(kAllow.begin(), kAllow.end());
    for (const auto& cc : cap_calls())
        if (caps.has(cc.cap)) allow.insert(cc.calls.begin(), cc.calls.end());
    allow.insert(extra.allow.begin(), extra.allow.end());
    for (const auto& d : extra.deny)
        allow.erase(d);
    auto denied = [&](const char* n) { return contains(extra.deny, n); };

    TRY(ctx, new_ctx(kEperm));
    for (const auto& name : allow)
        TRY_VOID(add(ctx, SCMP_ACT_ALLOW, name));
    // Without sys_admin: clone and unshare without namespace flags (no user
    // namespace, the one an unprivileged process could make); clone3 hides
    // its flags in memory, so it answers ENOSYS and libc falls back to clone.
    if (!allow.count("clone") && !denied("clone"))
        TRY_VOID(add(ctx, SCMP_ACT_ALLOW, "clone", {masked(0, kCloneNsFlags, 0)}));
    if (!allow.count("unshare") && !denied("unshare"))
        TRY_VOID(add(ctx, SCMP_ACT_ALLOW, "unshare", {masked(0, kUnshareNsFlags, 0)}));
    if (!allow.count("clone3") && !denied("clone3")) TRY_VOID(add(ctx, kEnosys, "clone3"));
    for (const auto& m : kMknods)
        if (!allow.count(m.name) && !denied(m.name)) TRY_VOID(allow_safe_mknod(ctx, m));
    return ctx;
}

Result<Ctx> system_profile(const Additions& extra) {
    std::set<std::string> deny(kHostWide.begin(), kHostWide.end());
    deny.insert(kMountFamily.begin(), kMountFamily.end());
    deny.insert(extra.deny.begin(), extra.deny.end());
    for (const auto& a : extra.allow)
        deny.erase(a);
    TRY(ctx, new_ctx(SCMP_ACT_ALLOW));
    for (const auto& name : deny)
        TRY_VOID(add(ctx, kEperm, name));
    for (const auto& m : kMknods)
        if (!contains(extra.allow, m.name) && !deny.count(m.name))
            TRY_VOID(add(ctx, kEperm, m.name, {masked(m.mode, S_IFMT, S_IFBLK)}));
    return ctx;
}

Result<void> check_additions(const Additions& extra) {
    TRY_VOID(check_syscall_names(extra.allow));
    TRY_VOID(check_syscall_names(extra.deny));
    // zonecfg refuses these already; the filter holds the line on its own.
    for (auto name : config::never_allowed_syscalls())
        if (contains(extra.allow, std::string(name).c_str()))
            return make_error(config::kInvalidConfig, "system call '" + std::string(name) +
                                                          "' may never be allowed in a zone");
    for (const auto& a : extra.allow)
        if (contains(extra.deny, a.c_str()))
            return make_error(config::kInvalidConfig,
                              "system call '" + a + "' is both allowed and denied");
    return ok();
}

} // namespace

std::vector<uint32_t> socket_families(const caps::CapSet& caps) {
    std::vector<uint32_t> f = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
    if (caps.has(CAP_NET_RAW)) f.push_back(AF_PACKET); // the kernel wants net_raw anyway
    return f;
}

std::vector<std::string> mount_family() {
    return {kMountFamily.begin(), kMountFamily.end()};
}

Result<void> check_syscall_names(const std::vector<std::string>& names) {
    for (const auto& n : names)
        if (n.empty() || resolve(n) == __NR_SCMP_ERROR)
            return make_error(config::kInvalidConfig,
                              "'" + n + "' is not a system call (such as mount or keyctl)");
    return ok();
}

Result<Filter> build_filter(Profile profile, const caps::CapSet& caps, const Additions& extra) {
    TRY_VOID(check_additions(extra));
    TRY(ctx, profile == Profile::Hardened ? hardened_profile(caps, extra) : system_profile(extra));
    TRY(code, export_bpf(ctx));
    std::set<std::string> known = known_names(extra);
    std::vector<uint32_t> families = socket_families(caps);
    bool hardened = profile == Profile::Hardened;
    // An allowed `socket` lifts the family check, as for clone and mknod.
    bool check_families = hardened && !contains(extra.allow, "socket");
    Filter f;
    f.code = prelude(hardened ? &known : nullptr, check_families ? &families : nullptr);
    f.code.insert(f.code.end(), code.begin(), code.end());
    if (f.code.size() > BPF_MAXINSNS)
        return make_error("E2BIG", "seccomp filter of " + std::to_string(f.code.size()) +
                                       " instructions is longer than the kernel's " +
                                       std::to_string(BPF_MAXINSNS));
    return f;
}

int install_in_child(const Filter& filter) {
    sock_fprog prog = filter.prog();
    return static_cast<int>(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
}

} // namespace zone::sec
