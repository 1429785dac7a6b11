#include "runtime/config/seccomp_props.hpp"

#include <algorithm>
#include <set>

#include <seccomp.h>

namespace zone::config {

const std::vector<std::string_view>& never_allowed_syscalls() {
    static const std::vector<std::string_view> names = {
        "init_module", "finit_module", "delete_module", "create_module", // kernel modules
        "kexec_load",  "kexec_file_load",                                // replace the kernel
        "open_by_handle_at", // opens any file of a file system by handle, escaping the root
        "bpf",               // with sys_admin: kprobes, reading kernel memory
        "iopl",        "ioperm",                                         // hardware I/O ports
        "mknod",       "mknodat", // without their argument checks: block devices of the host
    };
    return names;
}

const std::vector<std::string_view>& never_denied_syscalls() {
    static const std::vector<std::string_view> names = {"execve", "exit", "exit_group"};
    return names;
}

namespace {

std::vector<std::string> list_of(const ZoneConfig& cfg, std::string_view prop) {
    const PropValue* v = cfg.get(prop);
    if (!v) return {};
    if (!v->is_list) return v->scalar.empty() ? std::vector<std::string>{} : std::vector{v->scalar};
    return v->list;
}

bool is_syscall(const std::string& name) {
    return !name.empty() && seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR;
}

std::string list_problem(const PropValue& v, const std::vector<std::string_view>& refused,
                         std::string_view why) {
    std::set<std::string> seen;
    for (const auto& name : v.list) {
        if (!is_syscall(name))
            return "'" + name + "' is not a system call (names as in the kernel: mount, keyctl, ...)";
        if (std::find(refused.begin(), refused.end(), name) != refused.end())
            return "'" + name + "' " + std::string(why) + " (docs/security.md)";
        if (!seen.insert(name).second) return "'" + name + "' is listed twice";
    }
    return "";
}

} // namespace

std::vector<std::string> seccomp_allow(const ZoneConfig& cfg) {
    return list_of(cfg, "seccomp-allow");
}

std::vector<std::string> seccomp_deny(const ZoneConfig& cfg) {
    return list_of(cfg, "seccomp-deny");
}

namespace valid {

std::string seccomp_allow(const PropValue& v) {
    return list_problem(v, never_allowed_syscalls(),
                        "may never be allowed in a zone: it reaches the whole host");
}

std::string seccomp_deny(const PropValue& v) {
    return list_problem(v, never_denied_syscalls(),
                        "cannot be denied: the zone's init is started with it");
}

} // namespace valid

} // namespace zone::config
