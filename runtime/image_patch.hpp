// `zonectl image patch NAME -- COMMAND...`: COMMAND runs in a throw-away root
// (overlay: the newest version below, an empty upper on top) in new mount,
// PID, UTS and IPC namespaces, then the daemon merges lower + upper into the
// next version (docs/images.md, "Patching gold").
#pragma once

#include <string>
#include <vector>

#include "images/store.hpp"
#include "runtime/common/error.hpp"

namespace zone {

struct PatchRun {
    std::string lower;                   // the version's rootfs
    std::string upper, work, mountpoint; // empty directories of the build
    std::vector<std::string> argv;
};

// Runs argv in the throw-away root; its output comes as progress lines.
// Returns the wait status of the command.
Result<int> run_patch_command(const PatchRun& run, images::ProgressFn fn, void* ctx);

// Undoes what the run itself put in the upper layer: the /etc/resolv.conf
// that was bound from the host when the image has none.
void clean_patch_upper(const PatchRun& run);

} // namespace zone
