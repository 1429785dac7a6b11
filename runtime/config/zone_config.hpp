// The zone configuration model shared by zonecfg (client) and zoned (which
// re-validates everything on commit). Pure: no I/O, no syscalls.
//
// A configuration is a set of global properties and a list of resources
// (net, fs, capped-cpu, ...), each a set of properties. Values are strings, or
// lists of strings for list-valued properties (fs options, admin auths), as in
// Solaris zonecfg. The schema tables below say which properties exist, how
// each is validated, and which resources may appear at most once.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace zone::config {

using json = nlohmann::json;

// The protocol code of every error this module returns.
inline constexpr const char* kInvalidConfig = "INVALID_CONFIG";

struct PropValue {
    bool is_list = false;
    std::string scalar;             // when !is_list
    std::vector<std::string> list;  // when is_list
    bool operator==(const PropValue&) const = default;
};

struct Resource {
    std::string type;                         // "net", "fs", ...
    std::map<std::string, PropValue> props;
    bool operator==(const Resource&) const = default;
    const PropValue* get(std::string_view prop) const;
    std::string get_or(std::string_view prop, std::string dflt) const;
};

struct ZoneConfig {
    std::string name;
    std::string uuid;                         // assigned by zoned at first commit
    std::map<std::string, PropValue> props;   // global properties that are set
    std::vector<Resource> resources;          // in the order they were added
    bool operator==(const ZoneConfig&) const = default;

    const PropValue* get(std::string_view prop) const;
    std::string get_or(std::string_view prop, std::string dflt) const;
    std::vector<const Resource*> of_type(std::string_view type) const;
};

// ---- schema ---------------------------------------------------------------

// Checks one value; returns an empty string when valid, else what is wrong
// ("'abc' is not a number"), without naming the property (the caller does).
using Validator = std::string (*)(const PropValue& v);

struct PropSpec {
    std::string_view name;
    bool list;               // takes a list value: [a,b] (a single value is a one-item list)
    Validator validate;
    std::string_view help;   // one line for `help` and docs
};

struct ResourceSpec {
    std::string_view name;
    bool single;                          // at most one per zone (capped-cpu, ...)
    std::vector<PropSpec> props;
    std::string_view help;
};

const std::vector<PropSpec>& global_props();
const std::vector<ResourceSpec>& resource_types();
const PropSpec* find_global_prop(std::string_view name);
const ResourceSpec* find_resource_type(std::string_view name);
const PropSpec* find_resource_prop(const ResourceSpec& res, std::string_view name);

// ---- names ----------------------------------------------------------------

// 1-63 characters of [A-Za-z0-9][A-Za-z0-9_.-]*, never "global".
Result<void> check_zone_name(std::string_view name);

// ---- validation -----------------------------------------------------------

// Checks one property value against the schema; the error (code
// INVALID_CONFIG) names the property and, for resource properties, the
// resource: "net: address: '10.0.0.300/24' is not an IPv4 or IPv6 address".
Result<void> check_global_prop(std::string_view prop, const PropValue& v);
Result<void> check_resource_prop(std::string_view type, std::string_view prop, const PropValue& v);

// Whole-configuration consistency (zonecfg verify/commit, and zoned on every
// commit): every value valid, required properties present, no duplicate fs
// dir / net address / admin user / attr name / rctl name, single resources at
// most once, no conflicting settings (capped-cpu with dedicated-cpu, net with
// ip-type=none, max-processes differing from rctl zone.max-processes, ...).
// Reports every problem found, one per line, in one INVALID_CONFIG error.
Result<void> verify(const ZoneConfig& cfg);

// How messages name a resource: "fs dir=/data", "net address=auto", "capped-cpu"
// (its identifying property when set, else just its type).
std::string describe(const Resource& r);

// One resource on its own (zonecfg runs this at `end`): known type, every value
// valid, required properties present, properties consistent with each other
// (special is an absolute path for lofs, attr value matches its type, ...).
Result<void> check_resource(const Resource& r);

// Whether `r` may join `cfg` in place of cfg.resources[*replacing] (or as a new
// resource): a single resource not already present, no duplicate fs dir, net
// address, admin user, attr name or rctl name.
Result<void> check_resource_fits(const ZoneConfig& cfg, const Resource& r,
                                 std::optional<std::size_t> replacing);

// ---- serialization --------------------------------------------------------

// {"name":..,"uuid":..,"props":{"autoboot":"false",...},
//  "resources":[{"type":"net","props":{"address":"auto"}}, ...]}
// List values are JSON arrays of strings. Unknown keys are rejected by from_json.
json to_json(const ZoneConfig& cfg);
Result<ZoneConfig> from_json(const json& j);

// ---- templates ------------------------------------------------------------

// Built-in templates: "default" (the usual settings: exclusive IP, overlay
// root, builtin init, autoboot=false) and "blank" (nothing set).
std::optional<ZoneConfig> builtin_template(std::string_view name);
std::vector<std::string> builtin_template_names();

// ---- typed accessors used by the runtime ----------------------------------

// "base@3" -> {"base", 3}; "base" -> {"base", 0} (0 = newest version).
struct ImageRef {
    std::string name;
    unsigned version = 0;
};
Result<ImageRef> parse_image_ref(std::string_view s);

// Sizes "512M", "2G", "1048576" -> bytes.
Result<unsigned long long> parse_size(std::string_view s);

// net address / defrouter: "10.0.0.2/24" -> {AF_INET, "10.0.0.2", 24}. Without a
// "/N" (defrouter) prefix is the full length (32 or 128).
struct IpAddress {
    int family = 0;          // AF_INET or AF_INET6
    std::string address;     // canonical text form (inet_ntop)
    unsigned prefix = 0;
};
Result<IpAddress> parse_ip_prefix(std::string_view s);   // requires "/N"
Result<IpAddress> parse_ip_address(std::string_view s);  // refuses "/N"

// rctl value: "100" or "(priv=privileged,limit=100,action=deny)" -> 100.
Result<unsigned long long> parse_rctl_value(std::string_view s);

// capped-cpu ncpus in hundredths of a CPU: "1.5" -> 150 (cpu.max quota = period * n / 100).
Result<unsigned> parse_ncpus_hundredths(std::string_view s);

// Linux capability names without the "cap_" prefix, indexed by CAP_* number
// (chown = 0 ... checkpoint_restore = 40). limitpriv names are checked against it.
const std::vector<std::string_view>& capability_names();

} // namespace zone::config
