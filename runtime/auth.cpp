#include "runtime/auth.hpp"

#include <algorithm>

#include "cgroups/limits.hpp"
#include "runtime/caps.hpp"
#include "runtime/net_types.hpp"

namespace zone::auth {

namespace {

bool has(const config::PropValue& v, std::string_view item) {
    return std::find(v.list.begin(), v.list.end(), item) != v.list.end();
}

bool is_owner(const Caller& c, const config::ZoneConfig& zone) {
    std::string owner = zone.get_or("owner", "");
    if (owner.empty()) return false;
    return (!c.user.empty() && owner == c.user) || owner == std::to_string(c.uid);
}

// The word a refusal names for a need.
const char* auth_name(Need n) {
    switch (n) {
    case Need::Login:
        return "login";
    case Need::Manage:
        return "manage";
    case Need::Clone:
        return "clone";
    default:
        return "";
    }
}

Decision allow() {
    return {Decision::Verdict::Allow, ""};
}

Decision refuse(std::string why) {
    return {Decision::Verdict::NotAuthorized, "not authorized: " + std::move(why)};
}

std::string who(const Caller& c) {
    return c.user.empty() ? "uid " + std::to_string(c.uid) : "user '" + c.user + "'";
}

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& s : items)
        out += (out.empty() ? "" : sep) + s;
    return out;
}

// A zone-scoped call by a caller who is not an admin.
Decision decide_on_zone(const Caller& c, const Request& r, const config::ZoneConfig* zone) {
    if (!zone || !can_see(c, *zone))
        return {Decision::Verdict::NotFound, not_found_message(r.zone)};
    Rights rt = rights_on(c, *zone);
    bool ok = false;
    switch (r.need) {
    case Need::See:
        ok = true;
        break;
    case Need::Login:
        ok = rt.login;
        break;
    case Need::Manage:
        ok = rt.manage;
        break;
    case Need::Clone:
        ok = rt.clone;
        break;
    case Need::Own:
        ok = rt.owner;
        break;
    default:
        break;
    }
    if (ok) return allow();
    if (r.need == Need::Own)
        return refuse(r.method + " on zone '" + r.zone +
                      "' is for its owner, root or the zoned "
                      "admin group");
    return refuse(who(c) + " lacks the '" + auth_name(r.need) + "' authorization on zone '" +
                  r.zone + "' (" + r.method + "; granted by zonecfg 'add admin' or 'owner')");
}

// zone.config.commit by a caller who is not an admin: the creator policy.
Decision decide_configure(const Caller& c, const Request& r, const config::ZoneConfig* zone,
                          const CreatorPolicy& p) {
    bool visible = zone && can_see(c, *zone);
    if (!p.enabled() || !c.creator) {
        if (zone && !visible) return {Decision::Verdict::NotFound, not_found_message(r.zone)};
        return refuse(
            "changing zone configurations needs root or the zoned admin group" +
            std::string(p.enabled() ? " (or, to create zones, the group '" + p.group + "')" : ""));
    }
    if (zone) {
        // A creator learns that the name is taken (creating under it would
        // otherwise succeed), but nothing else of the zone.
        if (!visible) return refuse("the zone name '" + r.zone + "' is not available");
        if (!is_owner(c, *zone))
            return refuse("only the owner of zone '" + r.zone +
                          "', root or the zoned admin group "
                          "may change its configuration");
    } else {
        const auto& t = p.templates;
        if (r.template_name.empty() || std::find(t.begin(), t.end(), r.template_name) == t.end())
            return refuse("members of '" + p.group + "' create zones from the templates " +
                          join(t, ", ") + " only (zonecfg create -t NAME)" +
                          (r.template_name.empty() ? "" : ", not '" + r.template_name + "'"));
    }
    if (!r.proposed) return {Decision::Verdict::Invalid, "the configuration is missing"};
    std::string owner = r.proposed->get_or("owner", "");
    if (!owner.empty() && owner != c.user && owner != std::to_string(c.uid))
        return refuse("a zone created by " + who(c) + " is owned by its creator, not '" + owner +
                      "'");
    auto problems = check_creator_bounds(*r.proposed, p);
    if (!problems.empty())
        return refuse("zone '" + r.zone + "' is outside what members of '" + p.group +
                      "' may configure:\n" + join(problems, "\n"));
    return allow();
}

// Cloning by a caller who is not an admin: the clone right on the source, and
// a new zone is a creation: the creator group, and the source's configuration
// (which the clone copies) within the creator bounds.
Decision decide_clone(const Caller& c, const Request& r, const config::ZoneConfig* source,
                      const CreatorPolicy& p) {
    Decision d = decide_on_zone(c, r, source);
    if (!d.allowed()) return d;
    if (!p.enabled() || !c.creator)
        return refuse("cloning creates a zone, which needs root, the zoned admin group" +
                      std::string(p.enabled() ? " or the group '" + p.group + "'" : ""));
    auto problems = check_creator_bounds(*source, p);
    if (!problems.empty())
        return refuse("a clone of zone '" + r.zone + "' would be outside what members of '" +
                      p.group + "' may configure:\n" + join(problems, "\n"));
    return allow();
}

void check_network(const config::ZoneConfig& cfg, std::vector<std::string>& out) {
    for (const auto* n : cfg.of_type("net")) {
        if (n->get("bridge"))
            out.push_back(config::describe(*n) + ": bridge: a host bridge cannot be chosen");
        const config::PropValue* fw = n->get("forward");
        if (!fw) continue;
        for (const auto& item : fw->list) {
            auto f = net::parse_forward(item);
            if (f && f->host_port < 1024)
                out.push_back(config::describe(*n) + ": forward '" + item +
                              "': host ports below 1024 are reserved");
        }
    }
}

void check_privileges(const config::ZoneConfig& cfg, std::vector<std::string>& out) {
    std::string profile = cfg.get_or("security-profile", "hardened");
    if (profile != "hardened") out.push_back("security-profile: '" + profile + "' (only hardened)");
    std::string lp = cfg.get_or("limitpriv", "default");
    auto set = caps::parse_limitpriv(lp, caps::Profile::Hardened);
    caps::CapSet dflt = caps::default_caps(caps::Profile::Hardened);
    if (!set) {
        out.push_back("limitpriv: " + set.error().message());
    } else if (set->bits & ~dflt.bits) {
        out.push_back("limitpriv: '" + lp + "' adds " + caps::to_string({set->bits & ~dflt.bits}) +
                      " to the default set");
    }
    // seccomp-deny only narrows the filter; seccomp-allow widens it.
    const config::PropValue* allow = cfg.get("seccomp-allow");
    if (allow && !(allow->is_list ? allow->list.empty() : allow->scalar.empty()))
        out.push_back("seccomp-allow: system calls beyond the profile's are not allowed");
}

void check_caps(const config::ZoneConfig& cfg, const CreatorPolicy& p,
                std::vector<std::string>& out) {
    auto lim = cg::limits_from_config(cfg);
    if (!lim) {
        out.push_back(lim.error().message());
        return;
    }
    if (p.max_memory && (!lim->memory_max || *lim->memory_max > *p.max_memory))
        out.push_back("capped-memory physical must be set, at most " +
                      std::to_string(*p.max_memory) + " bytes");
    if (p.max_ncpus_hundredths) {
        bool within = lim->cpu_max && lim->cpu_max->period_us > 0 &&
                      lim->cpu_max->quota_us * 100 <=
                          uint64_t{*p.max_ncpus_hundredths} * lim->cpu_max->period_us;
        if (!within)
            out.push_back("capped-cpu ncpus must be set, at most " +
                          std::to_string(*p.max_ncpus_hundredths / 100) + "." +
                          std::to_string(*p.max_ncpus_hundredths / 10 % 10) +
                          std::to_string(*p.max_ncpus_hundredths % 10));
    }
    if (p.max_processes && (!lim->pids_max || *lim->pids_max > *p.max_processes))
        out.push_back("max-processes must be set, at most " + std::to_string(*p.max_processes));
}

} // namespace

Rights rights_on(const Caller& c, const config::ZoneConfig& zone) {
    Rights r;
    if (is_owner(c, zone)) r.owner = r.login = r.manage = r.clone = true;
    if (c.user.empty()) return r;
    for (const auto* a : zone.of_type("admin")) {
        if (a->get_or("user", "") != c.user) continue;
        if (const config::PropValue* v = a->get("auths")) {
            r.login = r.login || has(*v, "login");
            r.manage = r.manage || has(*v, "manage");
            r.clone = r.clone || has(*v, "clone");
        }
    }
    return r;
}

bool can_see(const Caller& c, const config::ZoneConfig& zone) {
    return c.admin || rights_on(c, zone).any();
}

std::string not_found_message(const std::string& zone) {
    return "zone '" + zone + "' is not configured";
}

Decision decide(const Caller& c, const Request& r, const config::ZoneConfig* zone,
                const CreatorPolicy& policy) {
    if (c.admin || r.need == Need::Anyone) return allow();
    switch (r.need) {
    case Need::Admin:
        return refuse(r.method + " needs root or the zoned admin group");
    case Need::Configure:
        return decide_configure(c, r, zone, policy);
    case Need::Clone:
        return decide_clone(c, r, zone, policy);
    default:
        return decide_on_zone(c, r, zone);
    }
}

std::vector<std::string> check_creator_bounds(const config::ZoneConfig& cfg,
                                              const CreatorPolicy& p) {
    std::vector<std::string> out;
    for (const auto* f : cfg.of_type("fs"))
        if (f->get_or("type", "lofs") != "tmpfs")
            out.push_back(config::describe(*f) + ": host paths (lofs) are not allowed");
    if (!cfg.of_type("dedicated-cpu").empty())
        out.push_back("dedicated-cpu: CPUs cannot be reserved");
    check_network(cfg, out);
    check_privileges(cfg, out);
    check_caps(cfg, p, out);
    return out;
}

} // namespace zone::auth
