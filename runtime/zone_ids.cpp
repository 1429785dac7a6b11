// The host ids of a user-namespaced zone (userns=auto): its range from the
// pool, and its own files (the overlay's upper, or its copy) owned by it.
#include <sys/stat.h>

#include "runtime/common/log.hpp"
#include "runtime/confine.hpp"
#include "runtime/id_shift.hpp"
#include "runtime/zone_ops.hpp"

namespace zone {

namespace {

// The base the zone's files are stored at. The record in state.json, unless
// the tree itself says otherwise: its top directory (the zone's "/") owned by
// a host id below any range (65536) is a tree of host ids, made anew by the
// host's root (a reset, a re-created upper); one owned outside the recorded
// range came from elsewhere (a copy of another zone's files) and is taken
// to start at that owner.
Result<uint32_t> stored_base(const std::string& files, uint32_t recorded, uint32_t size) {
    struct stat st {};
    if (::lstat(files.c_str(), &st) < 0) return sys_error("stat(" + files + ")");
    uint32_t top = st.st_uid;
    if (top < 65536) return 0u;
    if (recorded != 0 && top >= recorded && top - recorded < size) return recorded;
    return top;
}

} // namespace

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
    // The zone's files move from the ids they were stored as to the ones the
    // zone now runs as (host ids for a zone that left its user namespace).
    const std::string files = spec.root_type == "copy" ? spec.copy_root : spec.upper;
    TRY(current, stored_base(files, z.status.files_uid_base, size));
    if (current == target) return ok();
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
