// The host ids of a user-namespaced zone (userns=auto): its range from the
// pool, and its own files (the overlay's upper, or its copy) owned by it.
#include "runtime/common/log.hpp"
#include "runtime/confine.hpp"
#include "runtime/id_shift.hpp"
#include "runtime/zone_ops.hpp"

namespace zone {

Result<void> prepare_zone_ids(Daemon& d, Zone& z, BootSpec& spec) {
    uint32_t target = 0, size = d.id_ranges().pool().size;
    if (uses_userns(z.config)) {
        TRY(range, d.id_ranges().acquire(z.name));
        spec.uid_base = range.base;
        spec.uid_count = range.size;
        target = range.base;
        size = range.size;
    } else if (auto held = d.id_ranges().find(z.name)) {
        size = held->size;
    }
    uint32_t current = z.status.files_uid_base;
    if (current == target) return ok();
    // The zone's files move from the ids they were stored as to the ones the
    // zone now runs as (host ids for a zone that left its user namespace).
    const std::string files = spec.root_type == "copy" ? spec.copy_root : spec.upper;
    ZLOG_INFO("zone=%s moving its files from ids %u.. to %u.. (%u ids)", z.name.c_str(), current,
              target, size);
    if (auto r = userns::shift_tree(files, current, target, size); !r)
        return std::move(r).error().wrap("moving the zone's files to its ids");
    ZoneStatus st = z.status;
    st.files_uid_base = target;
    TRY_VOID(d.store().save_status(z.name, st));
    z.status = st;
    return ok();
}

} // namespace zone
