// zone.stats: one sample of every running zone's accounting (zonestat), from
// the cgroup driver, with each zone's caps and the host's own totals.
#include <ctime>
#include <unistd.h>

#include "runtime/common/log.hpp"
#include "runtime/daemon.hpp"
#include "runtime/zone_stats.hpp"

namespace zone {

namespace {

using api::json;

json pressure_json(const std::optional<cg::PressureStats>& p) {
    if (!p) return nullptr;
    auto one = [](const cg::Pressure& x) {
        return json{{"avg10", x.avg10},
                    {"avg60", x.avg60},
                    {"avg300", x.avg300},
                    {"total_usec", x.total_usec}};
    };
    json j{{"some", one(p->some)}};
    if (p->full) j["full"] = one(*p->full);
    return j;
}

template <typename T> json opt(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

// The driver's part of a zone's sample.
void add_cgroup_stats(json& z, const cg::Stats& s) {
    if (s.cpu)
        z["cpu"] = {
            {"usage_usec", s.cpu->usage_usec},     {"user_usec", s.cpu->user_usec},
            {"system_usec", s.cpu->system_usec},   {"nr_periods", s.cpu->nr_periods},
            {"nr_throttled", s.cpu->nr_throttled}, {"throttled_usec", s.cpu->throttled_usec}};
    if (s.memory)
        z["memory"] = {{"current", s.memory->current},
                       {"peak", opt(s.memory->peak)},
                       {"max", opt(s.memory->max)},
                       {"oom_kill", s.memory->oom_kill},
                       {"oom_events", opt(s.memory->oom_events)},
                       {"anon", opt(s.memory->anon)},
                       {"file", opt(s.memory->file)},
                       {"swap", opt(s.memory->swap_current)}};
    if (s.pids)
        z["pids"] = {
            {"current", s.pids->current}, {"peak", opt(s.pids->peak)}, {"max", opt(s.pids->max)}};
    if (s.io)
        z["io"] = {{"rbytes", s.io->rbytes},
                   {"wbytes", s.io->wbytes},
                   {"rios", s.io->rios},
                   {"wios", s.io->wios}};
    z["pressure"] = {{"cpu", pressure_json(s.cpu_pressure)},
                     {"memory", pressure_json(s.memory_pressure)},
                     {"io", pressure_json(s.io_pressure)}};
}

json host_json() {
    stats::HostSample h = stats::sample_host();
    return {{"ncpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
            {"cpu_usec", h.cpu_usec},
            {"memory_total", h.memory_total},
            {"memory_used", h.memory_used},
            {"pressure", {{"cpu", pressure_json(h.cpu_pressure)}}}};
}

struct Running {
    int init_pid = 0, id = -1;
    std::string address;
    config::ZoneConfig booted;
};

Result<api::json> zone_stats(Call& c) {
    std::vector<std::string> only;
    if (auto it = c.params.find("names"); it != c.params.end() && it->is_array())
        for (const auto& n : *it)
            if (n.is_string()) only.push_back(n.get<std::string>());
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    json zones = json::array();
    for (auto& z : c.daemon.registry().all()) {
        if (!only.empty() && std::find(only.begin(), only.end(), z->name) == only.end()) continue;
        Running r;
        {
            auto lk = ZoneLock::acquire(z, std::chrono::seconds(5));
            if (!lk || !(*lk)->exists || (*lk)->status.state != ZoneState::Running) continue;
            if (!c.can_see(**lk)) continue;
            r.init_pid = (*lk)->status.init_pid;
            r.id = (*lk)->status.zone_id;
            r.address = (*lk)->status.address;
            r.booted = booted_config(**lk);
        }
        auto s = stats::sample_zone(c.daemon.cgroups(), z->name, r.init_pid);
        if (!s) continue; // halted meanwhile
        cg::Limits limits;
        if (auto l = cg::limits_from_config(r.booted)) limits = *l;
        if (auto held = c.daemon.cpus().held_by(z->name); !held.empty()) limits.cpuset_cpus = held;
        json j{{"name", z->name},
               {"id", r.id},
               {"address", r.address},
               {"cpu_usec", s->cpu_usec},
               {"user_usec", s->user_usec},
               {"system_usec", s->system_usec},
               {"nprocs", s->nprocs},
               {"net",
                {{"rx_bytes", s->net.rx_bytes},
                 {"rx_packets", s->net.rx_packets},
                 {"tx_bytes", s->net.tx_bytes},
                 {"tx_packets", s->net.tx_packets}}},
               {"caps", caps_json(limits)}};
        add_cgroup_stats(j, s->cgroup);
        zones.push_back(std::move(j));
    }
    return json{{"time_ns", static_cast<uint64_t>(now.tv_sec) * 1000000000ULL + now.tv_nsec},
                {"ncpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
                {"cgroups", std::string(c.daemon.cgroups().name())},
                {"host", host_json()},
                {"zones", zones}};
}

} // namespace

std::vector<Method> zone_stats_methods() {
    return {{"zone.stats", Access::Anyone, zone_stats}};
}

} // namespace zone
