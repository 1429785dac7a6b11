// A zone's resource controls on the daemon side: from its configuration to
// the limits the cgroup driver applies (cgroups/limits.hpp does the pure
// mapping), the CPUs that dedicated-cpu zones hold, and live changes.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "cgroups/driver.hpp"
#include "cgroups/limits.hpp"
#include "runtime/common/error.hpp"
#include "runtime/config/zone_config.hpp"

namespace zone {

class Daemon;
struct Zone;

// The CPUs each running zone with dedicated-cpu holds. dedicated-cpu is
// exclusive (as in Solaris): no two running zones hold the same CPU.
class CpuLedger {
  public:
    // Resolves `l`'s dedicated-cpu for `zone` against the CPUs other zones
    // hold: `cpus=` must not overlap them (BUSY naming the zone that holds
    // one), `ncpus=` picks free CPUs from `available` (cg::pick_cpus). On
    // success `l.cpuset_cpus` is set and, with `claim`, recorded as held by
    // `zone` at once (so two zones booting together cannot pick the same).
    Result<void> resolve(const std::string& zone, cg::Limits& l, const std::string& available,
                         bool claim);
    // Records what `zone` holds now (l.cpuset_cpus; none when unset).
    void hold(const std::string& zone, const cg::Limits& l);
    void release(const std::string& zone);
    std::string held_by(const std::string& zone);

  private:
    std::mutex mu_;
    std::map<std::string, std::string> held_; // zone -> "0-1"
};

// Whether a zonecfg resource is a resource control: what a live change
// (zonecfg -r, zoneadm apply) applies to a running zone. The global
// properties that are: cpu-shares, max-processes, io-shares.
bool is_resource_control(const config::Resource& r);

// `booted` with its resource controls replaced by those of `next`: the
// configuration a running zone has after a live change (its other settings
// still wait for the next boot). Pure.
config::ZoneConfig with_resource_controls(const config::ZoneConfig& booted,
                                          const config::ZoneConfig& next);

// Limits of `cfg` for zone `name` on this host: mapped, refused when the
// host's cgroups cannot enforce them (UNSUPPORTED_LIMIT), dedicated CPUs
// resolved and, with `claim`, held by the zone (the caller releases them if
// it does not go on).
Result<cg::Limits> plan_zone_limits(Daemon& d, const std::string& name,
                                    const config::ZoneConfig& cfg, bool claim);

// Live change of a running zone's resource controls to those of `next`:
// applied to its cgroups at once; on failure the previous ones are
// re-applied. Updates the zone's booted configuration and state.json.
Result<void> apply_zone_limits(Daemon& d, Zone& z, const config::ZoneConfig& next);

// The configuration a running zone booted with (its committed one when none
// was recorded).
config::ZoneConfig booted_config(const Zone& z);

// The caps for zone.list and zone.stats: {"ncpus":0.5,"cpus":"0-1","cpu_shares":N,
// "memory":BYTES,"swap":BYTES,"processes":N,"io_shares":N,"io":[...]}, only set keys.
nlohmann::json caps_json(const cg::Limits& l);

} // namespace zone
