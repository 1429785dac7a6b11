// The seccomp filter of a zone's processes: built once in the parent with
// libseccomp and exported as a classic BPF program, so that the child after
// clone only hands the kernel a pointer (no allocation, no libseccomp).
//
// `hardened`: an allow list after the widely used container default. What is
// not on it fails with EPERM; clone3 and every system call numbered above
// the newest one the list knows fail with ENOSYS, so that libc falls back
// (clone3 -> clone, whose namespace flags the filter can see). A capability
// granted in limitpriv opens the calls that need it where the zone's
// namespaces confine them (sys_admin: mount, unshare, setns; sys_boot:
// reboot; sys_chroot: chroot; sys_ptrace: kcmp, pidfd_getfd; ...). Calls that
// reach the whole host (kernel modules, kexec, keyrings, open_by_handle_at,
// bpf, perf_event_open, userfaultfd, io_uring, setting the clock, swap, acct,
// quotactl, syslog, iopl/ioperm) stay blocked whatever the capabilities.
//
// `system`: a deny list of those host-wide calls and of the mount family,
// everything else allowed.
//
// Both: ioctl(TIOCSTI) and ioctl(TIOCLINUX) fail with EPERM (no typing into
// a terminal that might be the user's own), mknod of block devices fails
// (hardened: of any device but null, zero, full, random, urandom, tty,
// console, ptmx), and on x86-64 the i386 (int 0x80) and x32 entry points are
// filtered too; any other architecture kills the process.
//
// docs/security.md has the lists and the reasons.
#pragma once

#include <cstdint>
#include <linux/filter.h>
#include <string>
#include <vector>

#include "runtime/caps.hpp"
#include "runtime/common/error.hpp"

namespace zone::sec {

using caps::Profile;

// A classic BPF program for SECCOMP_SET_MODE_FILTER.
struct Filter {
    std::vector<sock_filter> code;
    // Points into `code`: keep the Filter alive and unchanged until installed.
    // Builds nothing on the heap, so it may be called in the child.
    sock_fprog prog() const {
        return sock_fprog{static_cast<unsigned short>(code.size()),
                          const_cast<sock_filter*>(code.data())};
    }
};

// Per-zone additions (zonecfg): system call names to allow or to deny on
// top of the profile. A name may not be in both.
struct Additions {
    std::vector<std::string> allow;
    std::vector<std::string> deny;
};

// hardened: the address families socket() may create (AF_UNIX, AF_INET,
// AF_INET6, AF_NETLINK, and AF_PACKET with net_raw); any other answers
// EAFNOSUPPORT, unless the zone's additions allow `socket` outright.
std::vector<uint32_t> socket_families(const caps::CapSet& caps);

// The mount family (mount, umount2, pivot_root, fsopen, move_mount, ...):
// what the system profile denies unless the zone has a user namespace,
// which confines mounts to what that namespace owns.
std::vector<std::string> mount_family();

// Every name must be a system call libseccomp knows on some architecture
// ("mount", "socketcall"); INVALID_CONFIG names the first that is not.
Result<void> check_syscall_names(const std::vector<std::string>& names);

// Parent side: the zone's filter from its profile and capability set
// (caps::parse_limitpriv). Errors: INVALID_CONFIG for bad additions, a
// system error when libseccomp fails.
Result<Filter> build_filter(Profile profile, const caps::CapSet& caps, const Additions& extra = {});

// Child side, raw system call: seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog).
// The kernel requires PR_SET_NO_NEW_PRIVS (caps::set_no_new_privs_in_child)
// or CAP_SYS_ADMIN: call it after no_new_privs, as the last step before
// execve (the filter allows execve, write, close, exit). -1 with errno.
int install_in_child(const Filter& filter);

} // namespace zone::sec
