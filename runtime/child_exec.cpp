// The walker of a ChildPlan: runs in the child after clone3, in the new
// mount, PID, UTS, IPC, network and cgroup namespaces, as real root (or, for
// userns=auto, as the root of a new user namespace that owns them all). Raw
// syscalls only; every path inside the zone is resolved one component at a
// time with openat2 (no symlinks, no magic links, never above the root), so a
// symlink planted in the zone's files by an earlier boot cannot redirect a
// mount onto the host.
#include <cerrno>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/child_plan.hpp"

namespace zone {

namespace {

int openat2_beneath(int dirfd, const char* name, int flags) {
    open_how how{};
    how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, name, &how, sizeof how));
}

// Walks `comps` below rootfd, creating missing directories when `create`.
// Returns an O_PATH fd of the last one, or -1 with errno set.
int walk(int rootfd, const std::vector<const char*>& comps, bool create, mode_t mode) {
    int fd = ::fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
    for (const char* c : comps) {
        if (fd < 0) return -1;
        int next = openat2_beneath(fd, c, O_PATH | O_DIRECTORY);
        if (next < 0 && errno == ENOENT && create) {
            if (::mkdirat(fd, c, mode) < 0 && errno != EEXIST) {
                int e = errno;
                ::close(fd);
                errno = e;
                return -1;
            }
            next = openat2_beneath(fd, c, O_PATH | O_DIRECTORY);
        }
        int e = errno;
        ::close(fd);
        errno = e;
        fd = next;
    }
    return fd;
}

// "/proc/self/fd/<fd>" into buf, without printf.
const char* fd_path(char (&buf)[32], int fd) {
    const char prefix[] = "/proc/self/fd/";
    size_t n = sizeof prefix - 1;
    for (size_t i = 0; i < n; ++i) buf[i] = prefix[i];
    char digits[12];
    int d = 0;
    do {
        digits[d++] = static_cast<char>('0' + fd % 10);
        fd /= 10;
    } while (fd > 0);
    while (d > 0) buf[n++] = digits[--d];
    buf[n] = 0;
    return buf;
}

struct Walker {
    int rootfd = -1;
    int mountpoint = -1;         // userns: the mountpoint, opened before BecomeRoot
    int stage = -1;              // userns: the lofs stage, opened before BecomeRoot
    const int* fds = nullptr;    // userns: the mounts received at sync #1, by slot
    int nfds = 0;

    int slot_fd(const Op& op) {
        if (op.slot < 0 || op.slot >= nfds) {
            errno = EBADF;
            return -1;
        }
        return fds[op.slot];
    }

    // Inside the new user namespace, once the parent wrote its maps: uid and
    // gid 0 there (the range base on the host), no supplementary group of the
    // host's root. Capabilities stay: the uid goes from unmapped to root.
    static int become_root() {
        if (::syscall(SYS_setresgid, 0, 0, 0) < 0) return -1;
        if (::syscall(SYS_setgroups, 0, nullptr) < 0) return -1;
        return static_cast<int>(::syscall(SYS_setresuid, 0, 0, 0));
    }

    static int move_onto(int from, int to) {
        return static_cast<int>(::syscall(SYS_move_mount, from, "", to, "",
                                          MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
    }

    int attach_root(const Op& op) {
        int fd = slot_fd(op);
        if (fd < 0 || move_onto(fd, mountpoint) < 0) return -1;
        ::close(mountpoint);
        mountpoint = -1;
        // The mount fd now names the attached root: every later path is
        // resolved beneath it.
        rootfd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        return rootfd < 0 ? -1 : 0;
    }

    int attach_in(const Op& op) {
        int staged = -1;
        if (op.path) {
            // Our copy of the staged tree is locked (ro, nosuid, ... cannot be
            // cleared); a clone of it is too, and may be moved.
            staged = static_cast<int>(::syscall(SYS_open_tree, stage, op.path,
                                                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
            if (staged < 0) return -1;
        }
        int from = op.path ? staged : slot_fd(op);
        if (from < 0) return -1;
        int fd = walk(rootfd, op.components, true, 0755);
        int r = fd < 0 ? -1 : move_onto(from, fd);
        int e = errno;
        if (fd >= 0) ::close(fd);
        if (staged >= 0) ::close(staged);
        errno = e;
        return r;
    }

    int mount_in(const Op& op) {
        int fd = walk(rootfd, op.components, true, op.mode ? op.mode : 0755);
        if (fd < 0) return -1;
        char p[32];
        int r = ::mount(op.src, fd_path(p, fd), op.fstype, op.flags, op.data);
        int e = errno;
        ::close(fd);
        errno = e;
        return r;
    }

    // Read-only (nosuid, ...) for the bind mount and every mount below it:
    // mount_setattr(AT_RECURSIVE), as a remount would only change the top.
    int remount_in(const Op& op) {
        int fd = walk(rootfd, op.components, false, 0);
        if (fd < 0) return -1;
        mount_attr attr{};
        if (op.flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
        if (op.flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
        if (op.flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
        if (op.flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
        int r = static_cast<int>(::syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE,
                                           &attr, sizeof attr));
        int e = errno;
        ::close(fd);
        errno = e;
        return r;
    }

    // Runs `fn(dirfd, name)` in the directory named by op.components.
    template <typename F> int in_dir(const Op& op, F fn) {
        int dir = walk(rootfd, op.components, false, 0);
        if (dir < 0) return -1;
        // O_PATH fds cannot be used for *at() creation calls; reopen for real.
        int real = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int e = errno;
        ::close(dir);
        if (real < 0) {
            errno = e;
            return -1;
        }
        int r = fn(real, op.path);
        e = errno;
        ::close(real);
        errno = e;
        return r;
    }

    int bind_file(const Op& op) {
        return in_dir(op, [&](int dir, const char* name) {
            int f = ::openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, op.mode);
            if (f < 0) return -1;
            char p[32];
            int r = ::mount(op.src, fd_path(p, f), nullptr, MS_BIND, nullptr);
            int e = errno;
            ::close(f);
            errno = e;
            return r;
        });
    }

    int pivot() {
        if (::fchdir(rootfd) < 0) return -1;
        // pivot_root(".", "."): the old root is stacked under the new one and
        // detached at once; no directory for it is needed in the zone.
        if (::syscall(SYS_pivot_root, ".", ".") < 0) return -1;
        if (::umount2(".", MNT_DETACH) < 0) return -1;
        if (::chdir("/") < 0) return -1;
        ::close(rootfd);
        rootfd = -1;
        if (stage >= 0) ::close(stage);
        stage = -1;
        return 0;
    }

    int loopback_up() {
        int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0) return -1;
        ifreq ifr{};
        ifr.ifr_name[0] = 'l';
        ifr.ifr_name[1] = 'o';
        int r = ::ioctl(s, SIOCGIFFLAGS, &ifr);
        if (r == 0) {
            ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
            r = ::ioctl(s, SIOCSIFFLAGS, &ifr);
        }
        int e = errno;
        ::close(s);
        errno = e;
        return r;
    }

    int run(const Op& op) {
        switch (op.kind) {
        case OpKind::MakePrivate: return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
        case OpKind::MountRoot:
            if (::mount(op.src, op.path, op.fstype, op.flags, op.data) < 0) return -1;
            rootfd = ::open(op.path, O_PATH | O_DIRECTORY | O_CLOEXEC);
            return rootfd < 0 ? -1 : 0;
        case OpKind::MountIn: return mount_in(op);
        case OpKind::RemountIn: return remount_in(op);
        case OpKind::Mknod:
            return in_dir(op, [&](int dir, const char* name) {
                if (::mknodat(dir, name, op.mode, op.dev) < 0) return -1;
                return ::fchmodat(dir, name, op.mode & 07777, 0);
            });
        case OpKind::Symlink:
            return in_dir(op, [&](int dir, const char* name) { return ::symlinkat(op.src, dir, name); });
        case OpKind::BindFile: return bind_file(op);
        case OpKind::PivotRoot: return pivot();
        case OpKind::RemountRO:
            if (::mount(op.path, op.path, nullptr, MS_BIND | MS_REC, nullptr) < 0) return -1;
            return ::mount(nullptr, op.path, nullptr,
                           MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
        case OpKind::MaskFile: return ::mount("/dev/null", op.path, nullptr, MS_BIND, nullptr);
        case OpKind::MaskDir:
            return ::mount("tmpfs", op.path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           "size=0");
        case OpKind::Hostname: {
            size_t n = 0;
            while (op.path[n]) ++n;
            return ::sethostname(op.path, n);
        }
        case OpKind::LoopbackUp: return loopback_up();
        case OpKind::OpenStage:
            stage = ::open(op.path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            return stage < 0 ? -1 : 0;
        case OpKind::OpenMountpoint:
            mountpoint = ::open(op.path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            return mountpoint < 0 ? -1 : 0;
        case OpKind::BecomeRoot: return become_root();
        case OpKind::AttachRoot: return attach_root(op);
        case OpKind::AttachIn: return attach_in(op);
        }
        errno = EINVAL;
        return -1;
    }
};

} // namespace

int run_child_plan(const ChildPlan& plan, int* err, const int* fds, int nfds) {
    ::umask(0);
    Walker w;
    w.fds = fds;
    w.nfds = nfds;
    for (size_t i = 0; i < plan.ops.size(); ++i) {
        const Op& op = plan.ops[i];
        if (w.run(op) < 0) {
            if (op.optional && (errno == ENOENT || errno == ENOTDIR)) continue;
            *err = errno;
            return static_cast<int>(i);
        }
    }
    ::umask(022);
    return -1;
}

} // namespace zone
