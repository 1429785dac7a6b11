// The QA cycle on a zone's files: reset, clone, snapshots, detach/attach.
// Each operation is called with the zone's lock held and the state table
// (state.hpp, ZoneCommand::Reset..Attach) already consulted; it persists
// every state change before it returns (docs/qa.md).
//
// A zone's directory (<state>/zones/<name>/):
//   upper/ work/        its changes over the image (root-type=overlay)
//   rootfs/             its full copy (root-type=copy)
//   root/               mount point of its root inside its mount namespace
//   snapshots/<snap>/   snapshot.json + upper/ (or rootfs/)
//   detached.json       the manifest of a detached zone
//   .new-*, .discard-*  work in progress; removed by the next zoned start
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/config/zone_config.hpp"
#include "runtime/daemon.hpp"

namespace zone::qa {

// "upper" or "rootfs": the directory holding a zone's own files.
std::string files_dir_name(const config::ZoneConfig& cfg);

// zone_reset.cpp: back to pristine. Overlay: the upper and work directories
// are swapped for empty ones in one rename each and the old ones moved to
// the trash (removed in the background), so the time depends neither on the
// image's size nor on the zone's changes.
// Copy: a fresh copy of the image, swapped in the same way.
Result<api::json> reset_zone(Daemon& d, Zone& z);

// zoned start-up, for a zone that does not run: removes what an operation
// cut off by a crash left behind (.new-*, .discard-*, snapshots/.*).
void recover_zone_files(Daemon& d, Zone& z);

// zone_clone.cpp. Pure: the configuration of a clone of `src` named `name`:
// no uuid (zoned makes one), the host name follows the new name when it was
// the source's default, static net addresses become `auto` and port forwards
// are dropped (a host port leads to one zone). `notes` says what changed.
config::ZoneConfig clone_config(const config::ZoneConfig& src, const std::string& name,
                                std::vector<std::string>& notes);
// Copies SRC's changes (or those of its snapshot) to `dst`, which is new
// (`dst_created`: its configuration was just derived from SRC's) or
// configured. A running SRC is frozen while its files are copied.
Result<api::json> clone_zone(Daemon& d, Zone& dst, bool dst_created, Zone& src,
                             const std::string& snapshot);

// zone_snapshot.cpp: named copies of a zone's changes.
Result<void> check_snapshot_name(const std::string& name);
std::string default_snapshot_name();  // the UTC time: 2026-12-06T01-51-04Z
Result<api::json> create_snapshot(Daemon& d, Zone& z, const std::string& name);
Result<api::json> list_snapshots(Daemon& d, Zone& z);
Result<api::json> rollback_snapshot(Daemon& d, Zone& z, const std::string& name);
Result<api::json> delete_snapshot(Daemon& d, Zone& z, const std::string& name);
// The directory of snapshot `name` of zone `zone`, NOT_FOUND when absent.
Result<std::string> snapshot_dir(Daemon& d, const std::string& zone, const std::string& name);

// zone_move.cpp: detach writes the manifest (and the archive to `archive_fd`
// when >= 0) and leaves the zone configured and detached; attach brings a
// detached zone back (source_fd < 0), or makes `z` (not configured yet) from
// an archive or, with `is_dir`, a directory holding a detached zone.
Result<api::json> detach_zone(Daemon& d, Zone& z, int archive_fd);
Result<api::json> attach_zone(Daemon& d, Zone& z, int source_fd, bool is_dir, bool force);

// ---- shared by the files above -------------------------------------------------

// Puts the prepared `<dir>/.new-<name>` in place of `<dir>/<name>` in one
// rename (RENAME_EXCHANGE) and discards what was there. A crash leaves either
// the old or the new tree in place, plus a .new-* that the next start removes.
Result<void> swap_in(const std::string& dir, const std::string& name);
// Moves `path` (below <state>/zones/<zone>/) into <state>/zones/.trash by one
// rename and removes it there in a background thread (or at once when the
// rename fails). What a crash leaves in the trash goes at the next start.
void discard_tree(const std::string& path);
// zoned start-up: removes the trash (in the background).
void empty_trash(Daemon& d);
// An empty work directory for the overlay (its contents belong to the old upper).
Result<void> fresh_work(const std::string& dir);
// Records `st` as the zone's status (durably), then in memory.
Result<void> save_status(Daemon& d, Zone& z, const ZoneStatus& st);
// A new zone uuid from the kernel.
Result<std::string> new_uuid();

// Freezes a running zone (cgroup.freeze) for the guard's life, so that its
// files can be copied at rest; does nothing for a zone that does not run.
class FreezeGuard {
  public:
    static Result<FreezeGuard> freeze(Zone& z);
    FreezeGuard(FreezeGuard&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
    FreezeGuard& operator=(FreezeGuard&&) = delete;
    ~FreezeGuard();

  private:
    FreezeGuard() = default;
    std::string path_;  // the frozen cgroup, "" when none
};

} // namespace zone::qa
