// Whole-configuration checks: each resource on its own, then how resources
// and global properties fit together. Every problem is collected, so one
// `verify` tells the user everything to fix.
#include <algorithm>
#include <climits>
#include <set>

#include "runtime/config/validators.hpp"
#include "runtime/config/seccomp_props.hpp"
#include "runtime/config/zone_config.hpp"

namespace zone::config {

namespace {

using Problems = std::vector<std::string>;

Error invalid(std::string msg) {
    return make_error(kInvalidConfig, std::move(msg));
}

Result<void> as_result(const Problems& problems) {
    if (problems.empty()) return ok();
    std::string msg;
    for (const auto& p : problems)
        msg += (msg.empty() ? "" : "\n") + p;
    return invalid(std::move(msg));
}

// The property that tells resources of a type apart ("" for single resources).
std::string_view key_prop(std::string_view type) {
    if (type == "net") return "address";
    if (type == "fs") return "dir";
    if (type == "admin") return "user";
    if (type == "attr" || type == "rctl") return "name";
    if (type == "device-io") return "match";
    return "";
}

// The value two resources must not share: a net address compares without its
// prefix length and in canonical form (10.0.0.2/24 and 10.0.0.2/16 clash);
// "auto" addresses never clash. Empty when the resource has no key.
std::string unique_key(const Resource& r) {
    std::string_view kp = key_prop(r.type);
    const PropValue* v = kp.empty() ? nullptr : r.get(kp);
    if (!v || v->is_list) return "";
    if (r.type == "net") {
        if (v->scalar == "auto") return "";
        if (auto a = parse_ip_prefix(v->scalar)) return a->address;
    }
    return v->scalar;
}

// "net #2" when the resource has no identifying property and is not alone.
std::string label_at(const ZoneConfig& cfg, std::size_t index) {
    const Resource& r = cfg.resources[index];
    std::string d = describe(r);
    const ResourceSpec* spec = find_resource_type(r.type);
    if (d != r.type || !spec || spec->single) return d;
    std::size_t nth = 0;
    for (std::size_t i = 0; i <= index; ++i)
        nth += cfg.resources[i].type == r.type;
    return d + " #" + std::to_string(nth);
}

bool has(const Resource& r, std::string_view prop) {
    return r.get(prop) != nullptr;
}

void require(const Resource& r, std::initializer_list<std::string_view> props,
             const std::string& label, Problems& out) {
    for (auto p : props)
        if (!has(r, p)) out.push_back(label + ": " + std::string(p) + " is required");
}

void check_fs(const Resource& r, const std::string& label, Problems& out) {
    require(r, {"dir", "type"}, label, out);
    std::string type = r.get_or("type", "");
    const PropValue* special = r.get("special");
    if (type == "lofs" && !special)
        out.push_back(label + ": special (the host path) is required for lofs");
    if (type == "lofs" && special && !special->is_list) {
        std::string p = valid::abs_path_problem(special->scalar, false);
        if (!p.empty()) out.push_back(label + ": special: " + p + " (lofs needs a host path)");
    }
    if (type == "tmpfs" && special && special->scalar.find_first_of(" \t") != std::string::npos)
        out.push_back(label + ": special: " + valid::in_quotes(special->scalar) +
                      " is not a single word");
    const PropValue* opts = r.get("options");
    for (std::size_t i = 0; type == "lofs" && opts && i < opts->list.size(); ++i) {
        const std::string& o = opts->list[i];
        if (o.rfind("size=", 0) == 0 || o.rfind("mode=", 0) == 0)
            out.push_back(label + ": options: " + valid::in_quotes(o) + " applies to tmpfs only");
    }
}

void check_net(const Resource& r, const std::string& label, Problems& out) {
    auto addr = parse_ip_prefix(r.get_or("address", "auto"));
    auto router = parse_ip_address(r.get_or("defrouter", ""));
    if (addr && router && addr->family != router->family)
        out.push_back(label + ": defrouter: " + valid::in_quotes(r.get_or("defrouter", "")) +
                      " is not of the same address family as the address");
}

void check_rctl(const Resource& r, const std::string& label, Problems& out) {
    require(r, {"name", "value"}, label, out);
    auto value = parse_rctl_value(r.get_or("value", ""));
    if (!value) return;
    std::string name = r.get_or("name", "");
    unsigned long long lo = 0, hi = ULLONG_MAX;
    if (name == "zone.cpu-shares") lo = 1, hi = 10000;
    if (name == "zone.max-processes" || name == "zone.max-lwps") lo = 1, hi = 4194304;
    if (name == "zone.cpu-cap") lo = 1, hi = 1024 * 100; // percent of one CPU
    if (*value < lo || *value > hi)
        out.push_back(label + ": value: " + std::to_string(*value) + " is out of range for " +
                      name + " (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
}

// Required properties and checks between the properties of one resource.
void check_resource_consistency(const Resource& r, const std::string& label, Problems& out) {
    if (r.type == "fs") check_fs(r, label, out);
    if (r.type == "net") check_net(r, label, out);
    if (r.type == "rctl") check_rctl(r, label, out);
    if (r.type == "capped-cpu") require(r, {"ncpus"}, label, out);
    if (r.type == "admin") require(r, {"user", "auths"}, label, out);
    if (r.type == "dedicated-cpu" && has(r, "ncpus") == has(r, "cpus"))
        out.push_back(label + ": give either ncpus or cpus (exactly one of them)");
    if (r.type == "capped-memory" && !has(r, "physical") && !has(r, "swap"))
        out.push_back(label + ": physical or swap is required");
    if (r.type == "device-io") {
        require(r, {"match"}, label, out);
        if (!has(r, "read-bps") && !has(r, "write-bps") && !has(r, "read-iops") &&
            !has(r, "write-iops"))
            out.push_back(label + ": read-bps, write-bps, read-iops or write-iops is required");
    }
    if (r.type == "attr") {
        require(r, {"name", "type", "value"}, label, out);
        std::string p = valid::attr_value_for_type(r.get_or("type", ""), r.get_or("value", ""));
        if (has(r, "type") && has(r, "value") && !p.empty()) out.push_back(label + ": value: " + p);
    }
}

void resource_problems(const Resource& r, const std::string& label, Problems& out) {
    const ResourceSpec* spec = find_resource_type(r.type);
    if (!spec) {
        out.push_back(check_resource_prop(r.type, "", PropValue{}).error().op);
        return;
    }
    for (const auto& [prop, value] : r.props) {
        auto c = check_resource_prop(r.type, prop, value);
        // check_resource_prop names the type only; replace it with the label.
        if (!c) out.push_back(label + c.error().op.substr(r.type.size()));
    }
    check_resource_consistency(r, label, out);
}

void check_counts_and_duplicates(const ZoneConfig& cfg, Problems& out) {
    std::map<std::string, std::size_t> count;
    std::set<std::pair<std::string, std::string>> keys, reported;
    for (const auto& r : cfg.resources) {
        const ResourceSpec* spec = find_resource_type(r.type);
        if (spec && spec->single && ++count[r.type] == 2)
            out.push_back(r.type + ": given more than once; at most one is allowed");
        std::string key = unique_key(r);
        if (key.empty() || keys.insert({r.type, key}).second) continue;
        if (reported.insert({r.type, key}).second)
            out.push_back(describe(r) + ": more than one " + r.type + " resource has " +
                          std::string(key_prop(r.type)) + " " + valid::in_quotes(key));
    }
}

// A global property and an rctl that set the same limit must agree.
void check_rctl_agrees(const ZoneConfig& cfg, std::string_view prop, std::string_view rctl,
                       Problems& out) {
    const PropValue* p = cfg.get(prop);
    if (!p) return;
    auto global = valid::parse_uint(p->scalar, ULLONG_MAX);
    for (const Resource* r : cfg.of_type("rctl")) {
        if (r->get_or("name", "") != rctl) continue;
        auto value = parse_rctl_value(r->get_or("value", ""));
        if (global && value && *global != *value)
            out.push_back(std::string(prop) + "=" + p->scalar + " and rctl " + std::string(rctl) +
                          "=" + std::to_string(*value) + " disagree; set only one of them");
    }
}

void check_conflicts(const ZoneConfig& cfg, Problems& out) {
    if (!cfg.of_type("capped-cpu").empty() && !cfg.of_type("dedicated-cpu").empty())
        out.push_back(
            "capped-cpu and dedicated-cpu cannot be combined (cap CPU time or dedicate CPUs)");
    if (cfg.get_or("ip-type", "") == "none" && !cfg.of_type("net").empty())
        out.push_back(
            "net: a zone with ip-type=none has no network; remove the net resources or change "
            "ip-type");
    std::string userns = cfg.get_or("userns", "none");
    if (cfg.get_or("security-profile", "") == "system" && userns != "auto" && userns != "true")
        out.push_back("security-profile=system runs the zone in a user namespace, which userns=" +
                      userns + " refuses; set userns=auto");
    for (const auto& name : seccomp_allow(cfg)) {
        auto deny = seccomp_deny(cfg);
        if (std::find(deny.begin(), deny.end(), name) != deny.end())
            out.push_back("system call '" + name +
                          "' is in both seccomp-allow and seccomp-deny; keep it in one");
    }
    check_rctl_agrees(cfg, "max-processes", "zone.max-processes", out);
    check_rctl_agrees(cfg, "cpu-shares", "zone.cpu-shares", out);
}

} // namespace

std::string describe(const Resource& r) {
    std::string_view kp = key_prop(r.type);
    const PropValue* v = kp.empty() ? nullptr : r.get(kp);
    if (!v || v->is_list) return r.type;
    return r.type + " " + std::string(kp) + "=" + v->scalar;
}

Result<void> check_resource(const Resource& r) {
    Problems problems;
    resource_problems(r, describe(r), problems);
    return as_result(problems);
}

Result<void> check_resource_fits(const ZoneConfig& cfg, const Resource& r,
                                 std::optional<std::size_t> replacing) {
    const ResourceSpec* spec = find_resource_type(r.type);
    std::string key = unique_key(r);
    for (std::size_t i = 0; i < cfg.resources.size(); ++i) {
        const Resource& other = cfg.resources[i];
        if ((replacing && *replacing == i) || other.type != r.type) continue;
        if (spec && spec->single)
            return invalid(r.type + ": the zone already has one; at most one is allowed");
        if (!key.empty() && unique_key(other) == key)
            return invalid(describe(r) + ": another " + r.type + " resource already has " +
                           std::string(key_prop(r.type)) + " " + valid::in_quotes(key));
    }
    return ok();
}

Result<void> verify(const ZoneConfig& cfg) {
    Problems problems;
    if (!cfg.name.empty())
        if (auto r = check_zone_name(cfg.name); !r) problems.push_back(r.error().op);
    for (const auto& [prop, value] : cfg.props)
        if (auto r = check_global_prop(prop, value); !r) problems.push_back(r.error().op);
    for (std::size_t i = 0; i < cfg.resources.size(); ++i)
        resource_problems(cfg.resources[i], label_at(cfg, i), problems);
    check_counts_and_duplicates(cfg, problems);
    check_conflicts(cfg, problems);
    return as_result(problems);
}

} // namespace zone::config
