// zonecfg `seccomp-allow` and `seccomp-deny`: per-zone additions to the
// seccomp filter of the zone's security-profile. The names are checked here
// (zonecfg verify/commit, on the client and again in zoned), so that a typo
// or a call no zone may have is refused before the zone ever boots.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/config/zone_config.hpp"

namespace zone::config {

// System calls no configuration may allow: they act on the whole host's
// kernel or hardware whatever namespace the caller is in (modules, kexec,
// the "shocker" open_by_handle_at, bpf, I/O ports) or make device nodes
// behind the zone's safe /dev. docs/security.md says why each one.
const std::vector<std::string_view>& never_allowed_syscalls();

// System calls no configuration may deny: the zone's init is started with
// them after the filter is in place.
const std::vector<std::string_view>& never_denied_syscalls();

// The zone's additions as configured (empty lists when unset).
std::vector<std::string> seccomp_allow(const ZoneConfig& cfg);
std::vector<std::string> seccomp_deny(const ZoneConfig& cfg);

namespace valid {
// Each item a system call name libseccomp knows on some architecture, no
// repeats; for `allow`, none of never_allowed_syscalls(); for `deny`, none
// of never_denied_syscalls(). "" when fine.
std::string seccomp_allow(const PropValue& v);
std::string seccomp_deny(const PropValue& v);
} // namespace valid

} // namespace zone::config
