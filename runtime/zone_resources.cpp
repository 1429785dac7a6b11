#include "zone_resources.hpp"

#include <algorithm>

#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/daemon.hpp"

namespace zone {

// ---- dedicated CPUs -----------------------------------------------------------------

Result<void> CpuLedger::resolve(const std::string& zone, cg::Limits& l,
                                const std::string& available, bool claim) {
    std::lock_guard g(mu_);
    std::set<unsigned> taken;
    std::map<unsigned, std::string> holder;
    for (const auto& [other, cpus] : held_) {
        if (other == zone) continue;
        auto set = cg::parse_cpu_list(cpus);
        if (!set) continue;
        for (unsigned c : *set) {
            taken.insert(c);
            holder[c] = other;
        }
    }
    if (l.dedicated_ncpus) {
        TRY(cpus, cg::pick_cpus(*l.dedicated_ncpus, available, cg::format_cpu_list(taken)));
        l.cpuset_cpus = cpus;
        if (claim) held_[zone] = cpus;
        return ok();
    }
    if (!l.cpuset_cpus) {
        if (claim) held_.erase(zone);
        return ok();
    }
    TRY(want, cg::parse_cpu_list(*l.cpuset_cpus));
    TRY(host, cg::parse_cpu_list(available));
    for (unsigned c : want) {
        if (taken.count(c))
            return make_error(api::code::kBusy, "dedicated-cpu cpus=" + *l.cpuset_cpus + ": CPU " +
                                                    std::to_string(c) + " is dedicated to zone '" +
                                                    holder[c] + "', which is running");
        if (!host.empty() && !host.count(c))
            return make_error(config::kInvalidConfig, "dedicated-cpu cpus=" + *l.cpuset_cpus +
                                                          ": CPU " + std::to_string(c) +
                                                          " is not one of the host's CPUs (" +
                                                          available + ")");
    }
    if (claim) held_[zone] = *l.cpuset_cpus;
    return ok();
}

void CpuLedger::hold(const std::string& zone, const cg::Limits& l) {
    std::lock_guard g(mu_);
    if (l.cpuset_cpus)
        held_[zone] = *l.cpuset_cpus;
    else
        held_.erase(zone);
}

void CpuLedger::release(const std::string& zone) {
    std::lock_guard g(mu_);
    held_.erase(zone);
}

std::string CpuLedger::held_by(const std::string& zone) {
    std::lock_guard g(mu_);
    auto it = held_.find(zone);
    return it == held_.end() ? "" : it->second;
}

// ---- which settings are resource controls -------------------------------------------

namespace {

const std::set<std::string> kControlProps = {"cpu-shares", "max-processes", "io-shares"};
const std::set<std::string> kControlResources = {"capped-cpu", "dedicated-cpu", "capped-memory",
                                                 "rctl", "device-io"};

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

// The CPUs zones may be given: the parent cgroup's effective cpuset, else
// every online CPU.
std::string available_cpus(cg::Driver& d) {
    cg::Dirs p = d.parent_dirs();
    std::vector<std::string> candidates{p.v2 + "/cpuset.cpus.effective"};
    for (const auto& dir : p.v1)
        candidates.push_back(dir + "/cpuset.effective_cpus");
    for (const auto& f : candidates)
        if (auto t = fs::read_file(f); t && !trimmed(*t).empty()) return trimmed(*t);
    auto online = fs::read_file("/sys/devices/system/cpu/online");
    return online ? trimmed(*online) : "0";
}

} // namespace

bool is_resource_control(const config::Resource& r) {
    return kControlResources.count(r.type) > 0;
}

config::ZoneConfig with_resource_controls(const config::ZoneConfig& booted,
                                          const config::ZoneConfig& next) {
    // Only resource controls differ: the result is `next` itself, in its
    // order, so that `zoneadm list -v` sees no pending change.
    auto without_controls = [](config::ZoneConfig c) {
        for (const auto& p : kControlProps)
            c.props.erase(p);
        std::erase_if(c.resources,
                      [](const config::Resource& r) { return is_resource_control(r); });
        return c;
    };
    if (without_controls(booted) == without_controls(next)) return next;
    config::ZoneConfig out = booted;
    for (const auto& p : kControlProps) {
        out.props.erase(p);
        if (auto it = next.props.find(p); it != next.props.end()) out.props[p] = it->second;
    }
    std::erase_if(out.resources, [](const config::Resource& r) { return is_resource_control(r); });
    for (const auto& r : next.resources)
        if (is_resource_control(r)) out.resources.push_back(r);
    return out;
}

config::ZoneConfig booted_config(const Zone& z) {
    if (z.status.booted_config.empty()) return z.config;
    auto j = api::json::parse(z.status.booted_config, nullptr, false);
    if (j.is_discarded()) return z.config;
    auto cfg = config::from_json(j);
    return cfg ? std::move(cfg).value() : z.config;
}

// ---- limits of a zone ---------------------------------------------------------------

Result<cg::Limits> plan_zone_limits(Daemon& d, const std::string& name,
                                    const config::ZoneConfig& cfg, bool claim) {
    auto limits = cg::limits_from_config(cfg);
    if (!limits) return std::move(limits).error().wrap("zone '" + name + "': resource controls");
    // Whether the host can enforce them, before any CPU is chosen (a count
    // of dedicated CPUs is a cpuset like any other for this).
    cg::Limits checked = *limits;
    if (checked.dedicated_ncpus) {
        checked.dedicated_ncpus.reset();
        checked.cpuset_cpus = "0";
    }
    if (auto r = d.cgroups().check(checked); !r)
        return std::move(r).error().wrap("zone '" + name + "': resource controls");
    if (auto r = d.cpus().resolve(name, *limits, available_cpus(d.cgroups()), claim); !r)
        return std::move(r).error().wrap("zone '" + name + "'");
    return limits;
}

Result<void> apply_zone_limits(Daemon& d, Zone& z, const config::ZoneConfig& next) {
    if (z.status.state != ZoneState::Running || !z.live)
        return make_error(api::code::kBadState,
                          "zone '" + z.name +
                              "' is not running (a live change applies to a "
                              "running zone; the configuration applies at boot)");
    config::ZoneConfig booted = booted_config(z);
    std::string held = d.cpus().held_by(z.name);
    cg::Limits old_limits;
    if (auto old = cg::limits_from_config(booted)) old_limits = *old;
    if (!held.empty()) old_limits.cpuset_cpus = held;
    old_limits.dedicated_ncpus.reset(); // resolved: the CPUs it holds
    TRY(now, plan_zone_limits(d, z.name, next, /*claim=*/true));
    if (auto r = d.cgroups().apply(z.name, now); !r) {
        // Back to what the zone had, so that a refused change changes nothing.
        (void)d.cgroups().apply(z.name, old_limits);
        d.cpus().hold(z.name, old_limits);
        return std::move(r).error().wrap("zone '" + z.name + "': applying resource controls");
    }
    ZoneStatus st = z.status;
    st.booted_config = config::to_json(with_resource_controls(booted, next)).dump();
    st.dedicated_cpus = now.cpuset_cpus.value_or("");
    if (auto r = d.store().save_status(z.name, st); !r)
        ZLOG_WARN("zone=%s recording its live change: %s, ignoring", z.name.c_str(),
                  r.error().message().c_str());
    z.status = st;
    ZLOG_INFO("zone=%s resource controls applied live: %s", z.name.c_str(),
              cg::describe(now).c_str());
    return ok();
}

api::json caps_json(const cg::Limits& l) {
    api::json j = api::json::object();
    if (l.cpu_max)
        j["ncpus"] =
            static_cast<double>(l.cpu_max->quota_us) / static_cast<double>(l.cpu_max->period_us);
    if (l.cpuset_cpus) {
        j["cpus"] = *l.cpuset_cpus;
        if (auto set = cg::parse_cpu_list(*l.cpuset_cpus)) j["ncpus_dedicated"] = set->size();
    } else if (l.dedicated_ncpus) {
        j["ncpus_dedicated"] = l.dedicated_ncpus->max; // chosen at boot
    }
    if (l.cpu_weight) j["cpu_shares"] = *l.cpu_weight;
    if (l.memory_max) j["memory"] = *l.memory_max;
    if (l.memory_swap_max) j["swap"] = *l.memory_swap_max;
    if (l.pids_max) j["processes"] = *l.pids_max;
    if (l.io_weight) j["io_shares"] = *l.io_weight;
    if (!l.io_max.empty()) {
        api::json io = api::json::array();
        for (const auto& m : l.io_max) {
            api::json dev{{"device", std::to_string(m.major) + ":" + std::to_string(m.minor)}};
            if (m.rbps) dev["read_bps"] = *m.rbps;
            if (m.wbps) dev["write_bps"] = *m.wbps;
            if (m.riops) dev["read_iops"] = *m.riops;
            if (m.wiops) dev["write_iops"] = *m.wiops;
            io.push_back(dev);
        }
        j["io"] = io;
    }
    return j;
}

} // namespace zone
