// install / uninstall: the zone's own files over its gold image.
#include <sys/stat.h>

#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/confine.hpp"
#include "runtime/zone_ops.hpp"

namespace zone {

namespace {

Result<void> set_state(Daemon& d, Zone& z, ZoneState s) {
    ZoneStatus st = z.status;
    st.state = s;
    TRY_VOID(d.store().save_status(z.name, st));
    z.status = st;
    return ok();
}

Result<images::ImageVersion> resolve_image(Daemon& d, const config::ZoneConfig& cfg) {
    std::string image = cfg.get_or("image", "");
    if (image.empty())
        return make_error(api::code::kInvalidConfig,
                          "no image is set; use 'zonecfg -z " + cfg.name + " set image=NAME'");
    TRY(ref, config::parse_image_ref(image));
    return d.images().resolve(ref.name, ref.version);
}

} // namespace

Result<void> install_zone(Daemon& d, Zone& z) {
    const std::string dir = d.paths().zone_dir(z.name);
    if (z.status.detached)
        return make_error(api::code::kBadState, "zone '" + z.name +
                                                    "' is detached with its files; 'zoneadm attach' it, "
                                                    "or delete it to start afresh");
    TRY(img, resolve_image(d, z.config));
    bool copy = z.config.get_or("root-type", "overlay") == "copy";
    if (uses_userns(z.config)) {
        // Its range from now on (zoneadm list -v shows it); the files move
        // at boot. Before anything is made: a full pool refuses the install.
        auto range = d.id_ranges().acquire(z.name);
        if (!range) return std::move(range).error().wrap("zone '" + z.name + "': installing");
    }
    // Persist `incomplete` first: a cut-off install is found as such later.
    TRY_VOID(set_state(d, z, ZoneState::Incomplete));
    auto made = [&]() -> Result<void> {
        TRY_VOID(fs::mkdir_p(dir + "/root", 0755));
        if (copy) return fs::copy_tree(img.rootfs, dir + "/rootfs");
        TRY_VOID(fs::mkdir_p(dir + "/upper", 0755));
        return fs::mkdir_p(dir + "/work", 0700);
    }();
    if (!made) return std::move(made).error().wrap("zone '" + z.name + "': installing");
    z.status.image_version = img.manifest.version;
    z.status.files_uid_base = 0; // the new files are the host's root's until the first boot
    TRY_VOID(set_state(d, z, ZoneState::Installed));
    ZLOG_INFO("zone=%s installed over image %s@%u (%s)", z.name.c_str(), img.manifest.name.c_str(),
              img.manifest.version, copy ? "copy" : "overlay");
    return ok();
}

Result<void> uninstall_zone(Daemon& d, Zone& z, bool force) {
    if (z.status.state == ZoneState::Incomplete && !force)
        return make_error(api::code::kBadState,
                          "zone '" + z.name + "' is incomplete; use 'uninstall -F' to clear it");
    TRY_VOID(set_state(d, z, ZoneState::Incomplete));
    const std::string dir = d.paths().zone_dir(z.name);
    for (const char* sub : {"root", "upper", "work", "rootfs", "snapshots", "detached.json"}) {
        auto r = fs::remove_tree(dir + "/" + sub);
        if (!r) return std::move(r).error().wrap("zone '" + z.name + "': uninstalling");
    }
    z.status.image_version = 0;
    z.status.address.clear();
    z.status.detached = false;
    if (auto r = d.network().release(z.name); !r)
        return std::move(r).error().wrap("zone '" + z.name + "': releasing its addresses");
    z.status.files_uid_base = 0;
    if (auto r = d.id_ranges().release(z.name); !r)
        return std::move(r).error().wrap("zone '" + z.name + "': releasing its id range");
    TRY_VOID(set_state(d, z, ZoneState::Configured));
    ZLOG_INFO("zone=%s uninstalled", z.name.c_str());
    return ok();
}

} // namespace zone
