#include "confine.hpp"

#include <algorithm>

#include "runtime/api/protocol.hpp"
#include "runtime/config/seccomp_props.hpp"

namespace zone {

bool uses_userns(const config::ZoneConfig& cfg) {
    std::string u = cfg.get_or("userns", "none");
    return u == "auto" || u == "true";
}

Result<Confinement> ConfinementCache::for_config(const config::ZoneConfig& cfg) {
    Confinement c;
    TRY(profile, caps::parse_profile(cfg.get_or("security-profile", "hardened")));
    c.userns = uses_userns(cfg);
    // Every capability is only a confinement when it holds in a user
    // namespace of the zone's own, never the host's.
    if (profile == caps::Profile::System && !c.userns)
        return make_error(api::code::kInvalidConfig,
                          "security-profile=system needs a user namespace: set userns=auto");
    c.profile = profile;
    // A full OS runs setuid programs (su, sudo, its init's helpers); in its
    // user namespace they raise privileges within the zone only.
    c.no_new_privs = profile != caps::Profile::System;
    TRY(set, caps::parse_limitpriv(cfg.get_or("limitpriv", "default"), profile));
    // Only what zoned itself holds can be kept (capset refuses more).
    c.caps = caps::CapSet{set.bits & caps::permitted_caps().bits};
    std::lock_guard g(mu_);
    if (last_cap_ < 0) last_cap_ = caps::kernel_last_cap();
    c.last_cap = last_cap_;
    // The zone's own additions; `system` always has a user namespace (above):
    // the kernel confines its mounts to what that namespace owns, so the
    // mount family opens unless the zone denies a call of it.
    sec::Additions extra{config::seccomp_allow(cfg), config::seccomp_deny(cfg)};
    if (profile == caps::Profile::System)
        for (auto& name : sec::mount_family())
            if (std::find(extra.deny.begin(), extra.deny.end(), name) == extra.deny.end())
                extra.allow.push_back(std::move(name));
    for (auto* v : {&extra.allow, &extra.deny}) {
        std::sort(v->begin(), v->end());
        v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    Key key{static_cast<int>(profile), c.caps.bits, extra.allow, extra.deny};
    auto it = filters_.find(key);
    if (it == filters_.end()) {
        TRY(f, sec::build_filter(profile, c.caps, extra));
        it = filters_.emplace(std::move(key), std::make_shared<const sec::Filter>(std::move(f))).first;
    }
    c.filter = it->second;
    return c;
}

} // namespace zone
