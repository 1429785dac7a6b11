// Authorization: who may call which method on which zone (docs/security.md,
// "Authorization"). Pure: the daemon resolves the caller (uid, user name,
// groups) and the zone's committed configuration, and `decide` answers.
//
//   root, admin group      everything
//   zone `owner=USER`      login, manage, clone on that zone, plus uninstall,
//                          delete and (for members of the creator group)
//                          reconfigure within the creator bounds
//   zonecfg `admin`        the listed auths (login, manage, clone) on that zone
//   creator group          create zones from the allowed templates within the
//                          bounds; the creator becomes the zone's owner
//   anyone else            daemon.ping/info, the zone list filtered to the
//                          zones they have a right on, templates, images
//
// A zone on which the caller has no right at all is answered exactly as a
// zone that does not exist, so zone names do not leak.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "runtime/config/zone_config.hpp"

namespace zone::auth {

// What a method needs, declared in the daemon's method table.
enum class Need {
    Anyone,    // harmless, or answers filtered per zone (daemon.info, zone.list)
    Admin,     // root or the admin group only (image.build)
    See,       // any right on the zone named by params.name (config.get, verify)
    Login,     // zlogin, the console
    Manage,    // install, boot, halt, shutdown, reboot (reset, snapshot, apply)
    Clone,     // clone params.source (else params.name) into a new zone params.name:
               // the clone right on the source, and the right to create a zone
    Own,       // uninstall, delete: the zone's owner
    Configure, // zone.config.commit: admins, or the creator policy
};

// The zonecfg `admin` auths.
struct Rights {
    bool login = false, manage = false, clone = false;
    bool owner = false; // the zone's `owner`: all three and more
    bool any() const { return login || manage || clone || owner; }
};

// Who is calling, resolved by the daemon from SO_PEERCRED/SO_PEERGROUPS.
struct Caller {
    uid_t uid = static_cast<uid_t>(-1);
    std::string user;     // the uid's name in the host's passwd ("" if none)
    bool admin = false;   // uid 0 or a member of the admin group
    bool creator = false; // a member of the creator policy's group
};

// zoned's creator policy (daemon config `create-*` keys). Off when `group`
// is empty.
struct CreatorPolicy {
    std::string group;
    std::vector<std::string> templates;           // the templates they may start from
    std::optional<std::uint64_t> max_memory;      // bytes (capped-memory physical)
    std::optional<unsigned> max_ncpus_hundredths; // capped-cpu ncpus * 100
    std::optional<std::uint64_t> max_processes;   // max-processes / zone.max-processes
    bool enabled() const { return !group.empty(); }
};

// One call to decide on.
struct Request {
    std::string method;
    Need need = Need::Admin;
    std::string zone;                           // params.name ("" if none)
    std::optional<config::ZoneConfig> proposed; // Configure: the configuration to commit
    std::string template_name;                  // Configure: the template it started from
};

struct Decision {
    enum class Verdict { Allow, NotAuthorized, NotFound, Invalid, Busy };
    Verdict verdict = Verdict::NotAuthorized;
    std::string why;  // the message for the client (empty when allowed)
    std::string code; // Invalid: the protocol code of the problem (INVALID_CONFIG, ...)
    bool allowed() const { return verdict == Verdict::Allow; }
};

// The caller's rights on a zone: from `owner` (user name or numeric uid) and
// the `admin` resources naming the caller's user.
Rights rights_on(const Caller& c, const config::ZoneConfig& zone);
// Whether the caller may know the zone exists (admin, or any right on it).
bool can_see(const Caller& c, const config::ZoneConfig& zone);

// The answer for one call. `zone` is the committed configuration of the zone
// the call names, nullptr when it does not exist (or the call names none).
Decision decide(const Caller& c, const Request& r, const config::ZoneConfig* zone,
                const CreatorPolicy& policy);

// What in `cfg` a member of the creator group may not have, one problem per
// item (empty: within bounds): lofs fs resources (host paths), a net bridge,
// forwarded host ports below 1024, dedicated-cpu, security-profile other than
// hardened, limitpriv beyond the hardened default set, and the resource caps
// the policy bounds (missing, or above the bound).
std::vector<std::string> check_creator_bounds(const config::ZoneConfig& cfg,
                                              const CreatorPolicy& policy);

// The message for a zone the caller may not see, identical to the one for a
// zone that does not exist.
std::string not_found_message(const std::string& zone);

} // namespace zone::auth
