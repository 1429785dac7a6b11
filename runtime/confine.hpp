// A zone's confinement from its configuration: the capability set
// (limitpriv over the profile's default) and the seccomp filter, built in
// zoned once per distinct (profile, capabilities, seccomp additions) and shared by every boot
// and zlogin that needs it: the hardened filter costs ~19 ms to build.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "runtime/caps.hpp"
#include "runtime/config/zone_config.hpp"
#include "runtime/seccomp.hpp"

namespace zone {

// userns=auto (or true): the zone runs in a user namespace of its own.
bool uses_userns(const config::ZoneConfig& cfg);

struct Confinement {
    caps::Profile profile = caps::Profile::Hardened;
    bool userns = false;      // the zone has a user namespace (zlogin enters it too)
    bool no_new_privs = true; // false for `system`: setuid works, within its user namespace
    caps::CapSet caps;
    int last_cap = 0;
    std::shared_ptr<const sec::Filter> filter;
};

class ConfinementCache {
  public:
    Result<Confinement> for_config(const config::ZoneConfig& cfg);

  private:
    std::mutex mu_;
    // Key: profile, capability bits, and the zone's seccomp-allow/-deny
    // (sorted): two zones share a filter only when all three agree.
    using Key = std::tuple<int, uint64_t, std::vector<std::string>, std::vector<std::string>>;
    std::map<Key, std::shared_ptr<const sec::Filter>> filters_;
    int last_cap_ = -1;
};

} // namespace zone
