// zone.apply: the committed resource controls of a running zone, applied to
// its cgroups at once (zoneadm apply); zonecfg -r commits and applies in one
// call (zone.config.commit with "apply").
#include "runtime/common/log.hpp"
#include "runtime/daemon.hpp"
#include "runtime/zone_resources.hpp"

namespace zone {

namespace {

Result<api::json> zone_apply(Call& c) {
    TRY(lk, lock_zone_param(c));
    if (auto v = config::verify(lk->config); !v)
        return std::move(v).error().wrap("zone '" + lk->name + "'");
    TRY_VOID(apply_zone_limits(c.daemon, *lk, lk->config));
    cg::Limits limits;
    if (auto l = cg::limits_from_config(lk->config)) limits = *l;
    if (auto held = c.daemon.cpus().held_by(lk->name); !held.empty()) limits.cpuset_cpus = held;
    return api::json{{"name", lk->name}, {"caps", caps_json(limits)}};
}

} // namespace

std::vector<Method> zone_resource_methods() {
    return {{"zone.apply", Access::Manage, zone_apply}};
}

} // namespace zone
