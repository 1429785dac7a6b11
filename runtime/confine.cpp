#include "confine.hpp"

#include "runtime/api/protocol.hpp"

namespace zone {

Result<Confinement> ConfinementCache::for_config(const config::ZoneConfig& cfg) {
    Confinement c;
    TRY(profile, caps::parse_profile(cfg.get_or("security-profile", "hardened")));
    if (profile == caps::Profile::System)
        return make_error(api::code::kInvalidConfig,
                          "security-profile=system needs a user-namespaced zone, which zoned "
                          "cannot build yet; use security-profile=hardened");
    c.profile = profile;
    TRY(set, caps::parse_limitpriv(cfg.get_or("limitpriv", "default"), profile));
    // Only what zoned itself holds can be kept (capset refuses more).
    c.caps = caps::CapSet{set.bits & caps::permitted_caps().bits};
    std::lock_guard g(mu_);
    if (last_cap_ < 0) last_cap_ = caps::kernel_last_cap();
    c.last_cap = last_cap_;
    auto key = std::make_pair(static_cast<int>(profile), c.caps.bits);
    auto it = filters_.find(key);
    if (it == filters_.end()) {
        TRY(f, sec::build_filter(profile, c.caps));
        it = filters_.emplace(key, std::make_shared<const sec::Filter>(std::move(f))).first;
    }
    c.filter = it->second;
    return c;
}

} // namespace zone
