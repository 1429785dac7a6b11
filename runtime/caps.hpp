// Capabilities of a zone's processes: the set from `limitpriv` and the
// security profile (parent side, pure), and the plan that the child applies
// with raw system calls after clone (bounding set, effective / permitted /
// inheritable, ambient), around the switch to the login user.
//
// Exact order in the child, after the mounts, pivot_root and closing fds
// (each call returns -1 with errno set on failure):
//
//   caps::prepare_uid_switch_in_child(plan) still uid 0 with every capability:
//                                           drop the bounding set (needs CAP_SETPCAP),
//                                           clear ambient, PR_SET_KEEPCAPS if the plan says so
//   setgroups, setresgid, setresuid         the caller's (CAP_SETGID/CAP_SETUID are still
//                                           effective here whatever the zone's set is)
//   caps::finish_uid_switch_in_child(plan)  capset (effective, permitted, inheritable,
//                                           each within what the process holds),
//                                           raise ambient, PR_SET_KEEPCAPS 0
//   caps::set_no_new_privs_in_child()       PR_SET_NO_NEW_PRIVS (before seccomp: it lets an
//                                           unprivileged process install the filter)
//   sec::install_in_child(filter)           the seccomp filter, last before exec
//   execve
//
// A process that stays uid 0 (the zone's init) may call apply_caps_in_child(plan),
// which is prepare + finish, instead of the first three lines.
#pragma once

#include <cstdint>
#include <linux/capability.h>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "runtime/common/error.hpp"

namespace zone::caps {

// zonecfg `security-profile`: a padded cell (small capability set, seccomp
// allow list) or a full OS (every capability, seccomp deny list).
enum class Profile { Hardened, System };

std::string_view to_string(Profile p);
// "hardened" / "system"; an INVALID_CONFIG error otherwise.
Result<Profile> parse_profile(std::string_view s);

// Room for every capability number (the kernel has 0 ... 40 today).
inline constexpr int kMaxCaps = 64;

// A set of capabilities, bit N = CAP number N.
struct CapSet {
    uint64_t bits = 0;

    bool has(int cap) const { return cap >= 0 && cap < kMaxCaps && (bits >> cap) & 1; }
    CapSet& add(int cap) {
        if (cap >= 0 && cap < kMaxCaps) bits |= uint64_t{1} << cap;
        return *this;
    }
    CapSet& remove(int cap) {
        if (cap >= 0 && cap < kMaxCaps) bits &= ~(uint64_t{1} << cap);
        return *this;
    }
    bool empty() const { return bits == 0; }
    bool operator==(const CapSet&) const = default;
};

// Every capability capability_names() knows (chown ... checkpoint_restore).
CapSet all_caps();
// The conservative container set for `hardened` (chown, dac_override, fowner,
// fsetid, kill, setgid, setuid, setpcap, net_bind_service, net_raw,
// sys_chroot, mknod, audit_write, setfcap); all_caps() for `system`.
CapSet default_caps(Profile profile);

// "net_raw" or "cap_net_raw" -> CAP_NET_RAW; an INVALID_CONFIG error otherwise.
Result<int> parse_cap_name(std::string_view name);
// "chown,kill,net_raw" in number order; "" for the empty set.
std::string to_string(const CapSet& set);

// zonecfg `limitpriv`, read left to right from an empty set, as zonecfg's
// validator accepts it:
//   default      the profile's default set (default_caps)
//   all          every capability
//   none, basic  nothing (Solaris' basic privileges need no capability on Linux)
//   name, +name  add the capability (with or without the cap_ prefix)
//   -name, !name remove it; -default, -all remove those sets; -none, -basic do nothing
// "default,-net_raw,+sys_ptrace". Pure; INVALID_CONFIG on an unknown or empty item.
Result<CapSet> parse_limitpriv(std::string_view limitpriv, Profile profile);

// What the child applies, built in the parent: plain data, so that applying it
// allocates nothing.
struct CapPlan {
    int bounding_drop[kMaxCaps] = {}; // PR_CAPBSET_DROP each, in order
    int bounding_drop_count = 0;
    __user_cap_data_struct data[2] = {}; // capset: [0] caps 0-31, [1] caps 32-63
    int ambient[kMaxCaps] = {};          // PR_CAP_AMBIENT_RAISE each, after CLEAR_ALL
    int ambient_count = 0;
    bool keep_caps = false; // PR_SET_KEEPCAPS across setresuid (a non-root user keeping caps)
};

// Pure. `caps` is the zone's set; `last_cap` the kernel's highest capability
// (kernel_last_cap()): every capability up to it that is not in `caps` leaves
// the bounding set, and none beyond it is asked of capset.
//  - uid 0 (zone init, zlogin as root): effective = permitted = caps,
//    inheritable and ambient empty (exec as root gets its caps from the
//    bounding set; a non-empty inheritable set would hand them to file
//    capabilities of programs run by other users, CVE-2022-24769);
//  - another uid: no capability at all, unless `ambient` names some: those
//    (within `caps`) stay effective/permitted/inheritable/ambient across the
//    uid switch (PR_SET_KEEPCAPS) and the exec.
CapPlan plan_caps(const CapSet& caps, uid_t uid, int last_cap, const CapSet& ambient = {});

// The kernel's highest capability number (/proc/sys/kernel/cap_last_cap,
// through libcap); capability_names().size() - 1 when it cannot tell.
int kernel_last_cap();

// Parent side: the capabilities this process holds (permitted), through
// libcap. The child cannot hand on more: finish_uid_switch_in_child leaves
// out what the process lacks, so the caller may warn about `caps` minus this.
CapSet permitted_caps();

// The sets a plan gives (for tests and messages).
CapSet effective_of(const CapPlan& plan);
CapSet inheritable_of(const CapPlan& plan);

// ---- child side: raw system calls only, no allocation, -1 with errno ------

int prepare_uid_switch_in_child(const CapPlan& plan);
int finish_uid_switch_in_child(const CapPlan& plan);
// prepare + finish, for a process that does not switch uid.
int apply_caps_in_child(const CapPlan& plan);
int set_no_new_privs_in_child();

} // namespace zone::caps
