// Capabilities: limitpriv parsing and the plan (parent, pure), and the
// walker of the plan (child, raw system calls only).
#include "runtime/caps.hpp"

#include <cerrno>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/config/zone_config.hpp"

namespace zone::caps {

namespace {

Error invalid(std::string msg) {
    return make_error(config::kInvalidConfig, std::move(msg));
}

std::string quoted(std::string_view s) {
    return "'" + std::string(s) + "'";
}

std::vector<std::string_view> split_items(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (true) {
        size_t j = s.find(',', i);
        out.push_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
        if (j == std::string_view::npos) return out;
        i = j + 1;
    }
}

// One limitpriv item (without its sign) as a set: default, all, none, basic or a name.
Result<CapSet> item_set(std::string_view name, Profile profile) {
    if (name == "default") return default_caps(profile);
    if (name == "all") return all_caps();
    if (name == "none" || name == "basic") return CapSet{};
    TRY(cap, parse_cap_name(name));
    return CapSet{}.add(cap);
}

} // namespace

std::string_view to_string(Profile p) {
    return p == Profile::System ? "system" : "hardened";
}

Result<Profile> parse_profile(std::string_view s) {
    if (s == "hardened") return Profile::Hardened;
    if (s == "system") return Profile::System;
    return invalid(quoted(s) + " is not a security profile (hardened or system)");
}

CapSet all_caps() {
    CapSet s;
    for (size_t i = 0; i < config::capability_names().size(); ++i)
        s.add(static_cast<int>(i));
    return s;
}

CapSet default_caps(Profile profile) {
    if (profile == Profile::System) return all_caps();
    CapSet s;
    for (int c : {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
                  CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_CHROOT,
                  CAP_MKNOD, CAP_AUDIT_WRITE, CAP_SETFCAP})
        s.add(c);
    return s;
}

Result<int> parse_cap_name(std::string_view name) {
    std::string_view bare = name.substr(0, 4) == "cap_" ? name.substr(4) : name;
    const auto& names = config::capability_names();
    for (size_t i = 0; i < names.size(); ++i)
        if (!bare.empty() && names[i] == bare) return static_cast<int>(i);
    return invalid(quoted(name) + " is not a capability (such as net_raw or cap_net_raw)");
}

std::string to_string(const CapSet& set) {
    std::string out;
    const auto& names = config::capability_names();
    for (int c = 0; c < kMaxCaps; ++c) {
        if (!set.has(c)) continue;
        if (!out.empty()) out += ',';
        out += static_cast<size_t>(c) < names.size() ? std::string(names[static_cast<size_t>(c)])
                                                     : std::to_string(c);
    }
    return out;
}

Result<CapSet> parse_limitpriv(std::string_view limitpriv, Profile profile) {
    CapSet set;
    for (std::string_view item : split_items(limitpriv)) {
        std::string_view name = item;
        bool remove = false;
        if (!name.empty() && (name[0] == '+' || name[0] == '-' || name[0] == '!')) {
            remove = name[0] != '+';
            name.remove_prefix(1);
        }
        auto s = item_set(name, profile);
        if (!s)
            return invalid(quoted(item) + " in limitpriv " + quoted(limitpriv) +
                           " is not a privilege (default, all, none, basic or a capability "
                           "such as net_raw)");
        set.bits = remove ? set.bits & ~s->bits : set.bits | s->bits;
    }
    return set;
}

CapPlan plan_caps(const CapSet& caps, uid_t uid, int last_cap, const CapSet& ambient) {
    CapPlan p;
    if (last_cap >= kMaxCaps) last_cap = kMaxCaps - 1;
    // Nothing the kernel does not know: capset would refuse it.
    uint64_t known = last_cap < 0 ? 0 : (~uint64_t{0} >> (kMaxCaps - 1 - last_cap));
    for (int c = 0; c <= last_cap; ++c)
        if (!caps.has(c)) p.bounding_drop[p.bounding_drop_count++] = c;
    uint64_t eff = caps.bits & known, inh = 0;
    if (uid != 0) {
        eff = inh = ambient.bits & caps.bits & known;
        p.keep_caps = eff != 0;
        for (int c = 0; c <= last_cap; ++c)
            if ((eff >> c) & 1) p.ambient[p.ambient_count++] = c;
    }
    for (int i = 0; i < 2; ++i) {
        p.data[i].effective = static_cast<uint32_t>(eff >> (32 * i));
        p.data[i].permitted = static_cast<uint32_t>(eff >> (32 * i));
        p.data[i].inheritable = static_cast<uint32_t>(inh >> (32 * i));
    }
    return p;
}

int kernel_last_cap() {
    // libcap reads /proc/sys/kernel/cap_last_cap (or probes the bounding set).
    cap_value_t bits = cap_max_bits();
    if (bits > 0) return static_cast<int>(bits) - 1;
    return static_cast<int>(config::capability_names().size()) - 1;
}

CapSet permitted_caps() {
    CapSet held;
    cap_t c = cap_get_proc();
    if (!c) return held;
    for (int i = 0; i <= kernel_last_cap() && i < kMaxCaps; ++i) {
        cap_flag_value_t v = CAP_CLEAR;
        if (cap_get_flag(c, i, CAP_PERMITTED, &v) == 0 && v == CAP_SET) held.add(i);
    }
    cap_free(c);
    return held;
}

CapSet effective_of(const CapPlan& plan) {
    return CapSet{uint64_t{plan.data[1].effective} << 32 | plan.data[0].effective};
}

CapSet inheritable_of(const CapPlan& plan) {
    return CapSet{uint64_t{plan.data[1].inheritable} << 32 | plan.data[0].inheritable};
}

// ---- child side ---------------------------------------------------------------
// After clone: raw system calls on the plan's own memory and the stack only.

int prepare_uid_switch_in_child(const CapPlan& plan) {
    // Still uid 0 with every capability: CAP_SETPCAP lets us shrink the bounding set.
    for (int i = 0; i < plan.bounding_drop_count; ++i)
        if (::syscall(SYS_prctl, PR_CAPBSET_DROP, plan.bounding_drop[i], 0, 0, 0) < 0) return -1;
    if (::syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return -1;
    // Keeps the permitted set across setresuid to a non-zero uid (effective is
    // cleared there; finish_uid_switch_in_child sets it again).
    if (plan.keep_caps && ::syscall(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return -1;
    return 0;
}

int finish_uid_switch_in_child(const CapPlan& plan) {
    // The kernel may write the header back: our own copies, on the stack.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct held[2] = {};
    if (::syscall(SYS_capget, &hdr, held) < 0) return -1;
    // What this process does not hold itself (zoned run with a smaller
    // bounding set) cannot be handed on: capset would refuse the whole call.
    __user_cap_data_struct data[2] = {plan.data[0], plan.data[1]};
    for (int i = 0; i < 2; ++i) {
        data[i].effective &= held[i].permitted;
        data[i].permitted &= held[i].permitted;
        data[i].inheritable &= held[i].permitted;
    }
    hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    if (::syscall(SYS_capset, &hdr, data) < 0) return -1;
    // Raising an ambient capability needs it permitted and inheritable: after capset.
    for (int i = 0; i < plan.ambient_count; ++i) {
        int c = plan.ambient[i];
        if (!((data[c / 32].inheritable >> (c % 32)) & 1)) continue;
        if (::syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) return -1;
    }
    if (plan.keep_caps && ::syscall(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return -1;
    return 0;
}

int apply_caps_in_child(const CapPlan& plan) {
    if (prepare_uid_switch_in_child(plan) < 0) return -1;
    return finish_uid_switch_in_child(plan);
}

int set_no_new_privs_in_child() {
    return static_cast<int>(::syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
}

} // namespace zone::caps
