// zone.stats: one sample of every running zone's accounting (zonestat).
#include <ctime>
#include <unistd.h>

#include "runtime/daemon.hpp"
#include "runtime/zone_stats.hpp"

namespace zone {

namespace {

Result<api::json> zone_stats(Call& c) {
    std::vector<std::string> only;
    if (auto it = c.params.find("names"); it != c.params.end() && it->is_array())
        for (const auto& n : *it)
            if (n.is_string()) only.push_back(n.get<std::string>());
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    api::json zones = api::json::array();
    for (auto& z : c.daemon.registry().all()) {
        std::string cgroup;
        int init_pid = 0, id = -1;
        std::string address;
        {
            auto lk = ZoneLock::acquire(z, std::chrono::seconds(5));
            if (!lk || !(*lk)->exists || (*lk)->status.state != ZoneState::Running) continue;
            if (!c.can_see(**lk)) continue;
            cgroup = (*lk)->status.cgroup;
            init_pid = (*lk)->status.init_pid;
            id = (*lk)->status.zone_id;
            address = (*lk)->status.address;
        }
        if (!only.empty() && std::find(only.begin(), only.end(), z->name) == only.end()) continue;
        auto s = stats::sample_zone(cgroup, init_pid);
        if (!s) continue;  // halted meanwhile
        zones.push_back({{"name", z->name},
                         {"id", id},
                         {"address", address},
                         {"cpu_usec", s->cpu_usec},
                         {"user_usec", s->user_usec},
                         {"system_usec", s->system_usec},
                         {"nprocs", s->nprocs},
                         {"net", {{"rx_bytes", s->net.rx_bytes},
                                  {"rx_packets", s->net.rx_packets},
                                  {"tx_bytes", s->net.tx_bytes},
                                  {"tx_packets", s->net.tx_packets}}}});
    }
    return api::json{{"time_ns", static_cast<uint64_t>(now.tv_sec) * 1000000000ULL + now.tv_nsec},
                     {"ncpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
                     {"zones", zones}};
}

} // namespace

std::vector<Method> zone_stats_methods() { return {{"zone.stats", Access::Anyone, zone_stats}}; }

} // namespace zone
