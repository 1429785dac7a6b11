// zone.list and zone.verify: what zones exist and in what state.
#include "runtime/daemon.hpp"

namespace zone {

namespace {

std::string ip_type_short(const config::ZoneConfig& cfg) {
    std::string t = cfg.get_or("ip-type", "exclusive");
    return t == "exclusive" ? "excl" : t;
}

// The newest version of a floating zone's image (image=NAME), which it boots
// on next; 0 for pinned zones and copies.
unsigned newest_for(Daemon& d, const Zone& z) {
    if (z.config.get_or("root-type", "overlay") == "copy") return 0;
    auto ref = config::parse_image_ref(z.config.get_or("image", ""));
    if (!ref || ref->version != 0) return 0;
    auto v = d.images().resolve(ref->name, 0);
    return v ? v->manifest.version : 0;
}

// The caps a running zone has (its booted configuration, its dedicated
// CPUs), else those its configuration asks for. Devices are not looked up.
api::json list_caps(const Zone& z, bool running) {
    config::ZoneConfig cfg = running ? booted_config(z) : z.config;
    auto limits = cg::limits_from_config(
        cfg, [](const std::string&) -> Result<cg::DeviceNumber> { return cg::DeviceNumber{}; });
    if (!limits) return api::json::object();
    if (running && !z.status.dedicated_cpus.empty()) limits->cpuset_cpus = z.status.dedicated_cpus;
    return caps_json(*limits);
}

api::json describe(Zone& z, Daemon& d) {
    const Paths& paths = d.paths();
    const ZoneStatus& st = z.status;
    api::json j{{"name", z.name},
                {"id", st.zone_id},
                {"state", std::string(to_string(st.state))},
                {"path", paths.zone_dir(z.name)},
                {"uuid", z.config.uuid},
                {"brand", "native"},
                {"ip_type", ip_type_short(z.config)},
                {"image", z.config.get_or("image", "")},
                {"image_version", st.image_version},
                {"address", st.address},
                {"last_exit", st.last_exit_text}};
    // userns=auto: the host ids of the zone's 0 .. uid_count-1 (none: 0, 0).
    auto range = d.id_ranges().find(z.name);
    j["uid_base"] = range ? range->base : 0U;
    j["uid_count"] = range ? range->size : 0U;
    j["detached"] = st.detached;
    // A zone runs the configuration it booted with; later commits wait for
    // the next boot, and the list says so.
    bool running = st.state == ZoneState::Running || st.state == ZoneState::ShuttingDown;
    j["config_changed"] = running && !st.booted_config.empty() &&
                          st.booted_config != config::to_json(z.config).dump();
    j["caps"] = list_caps(z, running);
    return j;
}

Result<api::json> zone_list(Call& c) {
    api::json zones = api::json::array();
    for (auto& z : c.daemon.registry().all()) {
        auto lk = ZoneLock::acquire(z, std::chrono::seconds(5));
        if (!lk) continue;  // busy for long: skipped rather than hanging the list
        if (!(*lk)->exists || !c.can_see(**lk)) continue;
        zones.push_back(describe(**lk, c.daemon));
        zones.back()["image_newest"] = newest_for(c.daemon, **lk);
    }
    return api::json{{"zones", zones}};
}

Result<api::json> zone_verify(Call& c) {
    TRY(lk, lock_zone_param(c));
    if (auto v = config::verify(lk->config); !v) return std::move(v).error().wrap("zone '" + lk->name + "'");
    // What the host must provide: the image (unless the zone has its own copy).
    bool copy_installed = lk->config.get_or("root-type", "overlay") == "copy" &&
                          lk->status.state != ZoneState::Configured;
    if (!copy_installed) {
        std::string image = lk->config.get_or("image", "");
        if (image.empty())
            return make_error(api::code::kInvalidConfig, "zone '" + lk->name + "': no image is set");
        TRY(ref, config::parse_image_ref(image));
        auto img = c.daemon.images().resolve(ref.name, ref.version);
        if (!img) return std::move(img).error().wrap("zone '" + lk->name + "'");
    }
    // What the host must provide: cgroups that can enforce the zone's limits
    // (and the block devices its device-io names).
    TRY_VOID(plan_zone_limits(c.daemon, lk->name, lk->config, /*claim=*/false));
    return api::json{{"name", lk->name}, {"ok", true}};
}

} // namespace

std::vector<Method> zone_list_methods() {
    return {
        {"zone.list", Access::Anyone, zone_list},  // filtered: zones the caller may see
        {"zone.verify", Access::See, zone_verify},
    };
}

} // namespace zone
