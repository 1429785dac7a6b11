// The configuration model: accessors, the schema tables, per-value checks,
// JSON (the on-disk and wire form) and the built-in templates.
#include "runtime/config/zone_config.hpp"

#include <algorithm>
#include <cctype>

#include "runtime/config/validators.hpp"
#include "runtime/config/seccomp_props.hpp"

namespace zone::config {

namespace {

Error invalid(std::string msg) {
    return make_error(kInvalidConfig, std::move(msg));
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += (out.empty() ? "" : "\n") + l;
    return out;
}

template <typename Map> const PropValue* find_prop(const Map& props, std::string_view name) {
    auto it = props.find(std::string(name));
    return it == props.end() ? nullptr : &it->second;
}

PropValue scalar(std::string s) {
    return PropValue{false, std::move(s), {}};
}

// Control characters would break `export` output and log lines.
bool has_control_char(const PropValue& v) {
    auto bad = [](const std::string& s) {
        return std::any_of(s.begin(), s.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        });
    };
    return v.is_list ? std::any_of(v.list.begin(), v.list.end(), bad) : bad(v.scalar);
}

// "" when `v` suits `spec`, else the problem without the property's name.
std::string value_problem(const PropSpec& spec, const PropValue& v) {
    if (spec.list && !v.is_list) return "takes a list such as [a,b]";
    if (!spec.list && v.is_list) return "takes a single value, not a list";
    if (has_control_char(v)) return "the value contains a control character";
    return spec.validate(v);
}

std::string names_of(const std::vector<PropSpec>& props) {
    std::string out;
    for (const auto& p : props)
        out += (out.empty() ? "" : ", ") + std::string(p.name);
    return out;
}

std::string resource_names() {
    std::string out;
    for (const auto& r : resource_types())
        out += (out.empty() ? "" : ", ") + std::string(r.name);
    return out;
}

} // namespace

// ---- model ----------------------------------------------------------------------

const PropValue* Resource::get(std::string_view prop) const {
    return find_prop(props, prop);
}

std::string Resource::get_or(std::string_view prop, std::string dflt) const {
    const PropValue* v = get(prop);
    return v && !v->is_list ? v->scalar : dflt;
}

const PropValue* ZoneConfig::get(std::string_view prop) const {
    return find_prop(props, prop);
}

std::string ZoneConfig::get_or(std::string_view prop, std::string dflt) const {
    const PropValue* v = get(prop);
    return v && !v->is_list ? v->scalar : dflt;
}

std::vector<const Resource*> ZoneConfig::of_type(std::string_view type) const {
    std::vector<const Resource*> out;
    for (const auto& r : resources)
        if (r.type == type) out.push_back(&r);
    return out;
}

// ---- schema ---------------------------------------------------------------------
// The order of the tables is the order of `info` and `export`.

const std::vector<PropSpec>& global_props() {
    namespace v = valid;
    static const std::vector<PropSpec> props = {
        {"autoboot", false, v::boolean, "boot the zone when zoned starts (true|false)"},
        {"image", false, v::image, "gold image of the root: NAME (newest version) or NAME@VERSION"},
        {"owner", false, v::owner, "user who owns the zone (user name or numeric uid)"},
        {"root-type", false, v::root_type, "overlay (image + own upper layer) or copy (full copy)"},
        {"hostname", false, v::hostname, "host name inside the zone (default: the zone name)"},
        {"init", false, v::init, "PID 1 of the zone: builtin or an absolute path in the zone"},
        {"ip-type", false, v::ip_type, "exclusive (own network stack), shared or none"},
        {"limitpriv", false, v::limitpriv,
         "privileges: comma list such as default,-net_raw,+sys_ptrace"},
        {"userns", false, v::userns, "auto: run in a user namespace with a host id range of its own (none|auto)"},
        {"security-profile", false, v::security_profile,
         "hardened (small capability set) or system"},
        {"cpu-shares", false, v::cpu_shares, "relative CPU weight, 1..10000 (cpu.weight)"},
        {"max-processes", false, v::max_processes, "most processes at once, 1..4194304 (pids.max)"},
        {"seccomp-allow", true, v::seccomp_allow,
         "[name,...] system calls to allow on top of security-profile"},
        {"seccomp-deny", true, v::seccomp_deny,
         "[name,...] system calls to deny (EPERM) on top of security-profile"},
        {"io-shares", false, v::io_shares, "relative block I/O weight, 1..10000 (io.weight)"},
    };
    return props;
}

const std::vector<ResourceSpec>& resource_types() {
    namespace v = valid;
    static const std::vector<ResourceSpec> types = {
        {"net",
         false,
         {{"address", false, v::net_address, "auto (from the daemon's pool) or ADDRESS/PREFIX"},
          {"bridge", false, v::ifname, "host bridge the zone's veth joins"},
          {"defrouter", false, v::ip_address, "default router, an address without prefix"},
          {"forward", true, v::net_forwards, "[HOSTPORT:ZONEPORT/tcp,...] port forwards from the host"}},
         "a network interface (veth pair into the zone's network namespace)"},
        {"fs",
         false,
         {{"dir", false, v::fs_dir, "mount point inside the zone (absolute path)"},
          {"special", false, v::fs_special, "host path (lofs) or any word (tmpfs)"},
          {"type", false, v::fs_type, "lofs (bind mount) or tmpfs"},
          {"options", true, v::fs_options,
           "[ro,rw,nosuid,nodevices,nodev,noexec,size=SIZE,mode=OCTAL]"}},
         "a file system mounted in the zone"},
        {"capped-cpu",
         true,
         {{"ncpus", false, v::capped_ncpus, "CPU time cap in CPUs, e.g. 1.5 (cpu.max)"}},
         "a cap on CPU time"},
        {"dedicated-cpu",
         true,
         {{"ncpus", false, v::dedicated_ncpus, "number of CPUs (N or N-M)"},
          {"cpus", false, v::cpu_list, "CPU list such as 0-1,3 (cpuset.cpus)"}},
         "CPUs reserved for the zone"},
        {"capped-memory",
         true,
         {{"physical", false, v::memory_physical, "memory cap, e.g. 512M (memory.max)"},
          {"swap", false, v::memory_swap, "swap cap, e.g. 1G (memory.swap.max)"}},
         "caps on memory and swap"},
        {"rctl",
         false,
         {{"name", false, v::rctl_name,
           "zone.max-processes, zone.max-lwps, zone.cpu-shares, "
           "zone.cpu-cap or zone.max-swap"},
          {"value", false, v::rctl_value, "N or (priv=privileged,limit=N,action=deny)"}},
         "a resource control"},
        {"admin",
         false,
         {{"user", false, v::user_name, "user given rights on this zone"},
          {"auths", true, v::auths, "[login,manage,clone]"}},
         "rights of a user on the zone"},
        {"attr",
         false,
         {{"name", false, v::attr_name, "attribute name"},
          {"type", false, v::attr_type, "string, int, uint or boolean"},
          {"value", false, v::any_text, "value, checked against type"}},
         "a free-form attribute"},
        {"device-io",
         false,
         {{"match", false, v::block_device, "block device: /dev/NAME or MAJOR:MINOR"},
          {"read-bps", false, v::io_bytes_rate, "read bytes per second, e.g. 10M (io.max rbps)"},
          {"write-bps", false, v::io_bytes_rate, "write bytes per second (io.max wbps)"},
          {"read-iops", false, v::io_ops_rate, "read operations per second (io.max riops)"},
          {"write-iops", false, v::io_ops_rate, "write operations per second (io.max wiops)"}},
         "caps on block I/O to one device"},
    };
    return types;
}

const PropSpec* find_global_prop(std::string_view name) {
    const auto& props = global_props();
    auto it =
        std::find_if(props.begin(), props.end(), [&](const PropSpec& p) { return p.name == name; });
    return it == props.end() ? nullptr : &*it;
}

const ResourceSpec* find_resource_type(std::string_view name) {
    const auto& types = resource_types();
    auto it = std::find_if(types.begin(), types.end(),
                           [&](const ResourceSpec& r) { return r.name == name; });
    return it == types.end() ? nullptr : &*it;
}

const PropSpec* find_resource_prop(const ResourceSpec& res, std::string_view name) {
    auto it = std::find_if(res.props.begin(), res.props.end(),
                           [&](const PropSpec& p) { return p.name == name; });
    return it == res.props.end() ? nullptr : &*it;
}

// ---- names and values -------------------------------------------------------------

Result<void> check_zone_name(std::string_view name) {
    bool well_formed =
        !name.empty() && name.size() <= 63 && std::isalnum(static_cast<unsigned char>(name[0])) &&
        std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
        });
    if (!well_formed)
        return invalid(valid::in_quotes(name) +
                       " is not a valid zone name (1 to 63 characters of "
                       "A-Z a-z 0-9 _ . -, starting with a letter or digit)");
    if (name == "global")
        return invalid("'global' is reserved for the host and cannot name a zone");
    return ok();
}

Result<void> check_global_prop(std::string_view prop, const PropValue& v) {
    const PropSpec* spec = find_global_prop(prop);
    if (!spec) {
        if (find_resource_type(prop))
            return invalid(valid::in_quotes(prop) + " is a resource, not a property");
        return invalid(valid::in_quotes(prop) + " is not a zone property (" +
                       names_of(global_props()) + ")");
    }
    std::string p = value_problem(*spec, v);
    if (!p.empty()) return invalid(std::string(prop) + ": " + p);
    return ok();
}

Result<void> check_resource_prop(std::string_view type, std::string_view prop, const PropValue& v) {
    const ResourceSpec* res = find_resource_type(type);
    if (!res)
        return invalid(valid::in_quotes(type) + " is not a resource type (" + resource_names() +
                       ")");
    const PropSpec* spec = find_resource_prop(*res, prop);
    if (!spec)
        return invalid(std::string(type) + ": " + valid::in_quotes(prop) +
                       " is not a property of " + std::string(type) + " resources (" +
                       names_of(res->props) + ")");
    std::string p = value_problem(*spec, v);
    if (!p.empty()) return invalid(std::string(type) + ": " + std::string(prop) + ": " + p);
    return ok();
}

// ---- JSON -------------------------------------------------------------------------

json to_json(const ZoneConfig& cfg) {
    auto props_json = [](const std::map<std::string, PropValue>& props) {
        json out = json::object();
        for (const auto& [k, v] : props)
            out[k] = v.is_list ? json(v.list) : json(v.scalar);
        return out;
    };
    json resources = json::array();
    for (const auto& r : cfg.resources)
        resources.push_back(json{{"type", r.type}, {"props", props_json(r.props)}});
    return json{{"name", cfg.name},
                {"uuid", cfg.uuid},
                {"props", props_json(cfg.props)},
                {"resources", std::move(resources)}};
}

namespace {

// A JSON property value: a string, or an array of strings for list properties.
std::optional<PropValue> value_from_json(const json& j, bool list) {
    if (!list) {
        if (!j.is_string()) return std::nullopt;
        return scalar(j.get<std::string>());
    }
    if (!j.is_array()) return std::nullopt;
    PropValue v{true, {}, {}};
    for (const auto& item : j) {
        if (!item.is_string()) return std::nullopt;
        v.list.push_back(item.get<std::string>());
    }
    return v;
}

// Reads {"prop": value, ...}; `check` validates one (name, value) and names it.
template <typename Lookup, typename Check>
std::map<std::string, PropValue> props_from_json(const json& j, const std::string& where,
                                                 Lookup lookup, Check check,
                                                 std::vector<std::string>& problems) {
    std::map<std::string, PropValue> out;
    if (!j.is_object()) {
        problems.push_back(where + "'props' must be an object");
        return out;
    }
    for (const auto& [k, jv] : j.items()) {
        const PropSpec* spec = lookup(k);
        if (!spec) {
            auto r = check(k, PropValue{}); // words the unknown-property message
            problems.push_back(r ? where + "unknown property '" + k + "'" : r.error().op);
            continue;
        }
        auto v = value_from_json(jv, spec->list);
        if (!v) {
            problems.push_back(where + k + ": must be " +
                               (spec->list ? "an array of strings" : "a string"));
            continue;
        }
        if (auto r = check(k, *v); !r) problems.push_back(r.error().op);
        out.emplace(k, std::move(*v));
    }
    return out;
}

std::optional<Resource> resource_from_json(const json& j, std::size_t index,
                                           std::vector<std::string>& problems) {
    std::string where = "resource " + std::to_string(index + 1) + ": ";
    if (!j.is_object()) {
        problems.push_back(where + "not an object");
        return std::nullopt;
    }
    Resource r;
    for (const auto& [k, v] : j.items())
        if (k != "type" && k != "props") problems.push_back(where + "unknown key '" + k + "'");
    auto t = j.find("type");
    if (t == j.end() || !t->is_string()) {
        problems.push_back(where + "'type' must be a string");
        return std::nullopt;
    }
    r.type = t->get<std::string>();
    const ResourceSpec* spec = find_resource_type(r.type);
    if (!spec) {
        problems.push_back(where + valid::in_quotes(r.type) + " is not a resource type (" +
                           resource_names() + ")");
        return std::nullopt;
    }
    auto p = j.find("props");
    if (p != j.end())
        r.props = props_from_json(
            *p, where + r.type + ": ",
            [&](const std::string& k) { return find_resource_prop(*spec, k); },
            [&](const std::string& k, const PropValue& v) {
                return check_resource_prop(r.type, k, v);
            },
            problems);
    return r;
}

std::optional<std::string> string_field(const json& j, const char* key,
                                        std::vector<std::string>& problems) {
    auto it = j.find(key);
    if (it == j.end()) return std::string();
    if (!it->is_string()) {
        problems.push_back(std::string("configuration: '") + key + "' must be a string");
        return std::nullopt;
    }
    return it->get<std::string>();
}

bool is_uuid_text(const std::string& s) {
    return s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c)) || c == '-';
           });
}

} // namespace

Result<ZoneConfig> from_json(const json& j) {
    if (!j.is_object()) return invalid("configuration: not a JSON object");
    std::vector<std::string> problems;
    for (const auto& [k, v] : j.items())
        if (k != "name" && k != "uuid" && k != "props" && k != "resources")
            problems.push_back("configuration: unknown key '" + k + "'");
    ZoneConfig cfg;
    if (auto name = string_field(j, "name", problems)) {
        cfg.name = *name;
        if (auto r = check_zone_name(cfg.name); !cfg.name.empty() && !r)
            problems.push_back(r.error().op);
    }
    if (auto uuid = string_field(j, "uuid", problems)) {
        cfg.uuid = *uuid;
        if (!is_uuid_text(cfg.uuid)) problems.push_back("configuration: 'uuid' is not a UUID");
    }
    if (auto p = j.find("props"); p != j.end())
        cfg.props = props_from_json(
            *p, "", [](const std::string& k) { return find_global_prop(k); },
            [](const std::string& k, const PropValue& v) { return check_global_prop(k, v); },
            problems);
    if (auto rs = j.find("resources"); rs != j.end()) {
        if (!rs->is_array()) problems.push_back("configuration: 'resources' must be an array");
        for (std::size_t i = 0; rs->is_array() && i < rs->size(); ++i)
            if (auto r = resource_from_json((*rs)[i], i, problems))
                cfg.resources.push_back(std::move(*r));
    }
    if (!problems.empty()) return invalid(join_lines(problems));
    return cfg;
}

// ---- templates ------------------------------------------------------------------

std::optional<ZoneConfig> builtin_template(std::string_view name) {
    if (name == "blank") return ZoneConfig{};
    if (name != "default") return std::nullopt;
    ZoneConfig cfg;
    cfg.props = {
        {"autoboot", scalar("false")},    {"ip-type", scalar("exclusive")},
        {"root-type", scalar("overlay")}, {"init", scalar("builtin")},
        {"limitpriv", scalar("default")}, {"security-profile", scalar("hardened")},
    };
    return cfg;
}

std::vector<std::string> builtin_template_names() {
    return {"blank", "default"};
}

} // namespace zone::config
