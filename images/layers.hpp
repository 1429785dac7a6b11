// Layers read as one tree: a read-only overlay of directories, mounted
// nowhere (fsopen/fsmount, a detached mount). The caller reads it through the
// returned directory fd; closing the fd is the unmount. Nothing appears in
// any mount namespace, so nothing can leak on the host, even if zoned dies.
#pragma once

#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/common/fd.hpp"

namespace zone::images {

// `top_first`: the uppermost layer first (a zone's upper, then its image).
// overlayfs applies the whiteouts and opaque directories of every layer.
// With redirect_dir=off and metacopy=off, so that a file absent from the
// upper layers is exactly the lower file (see tree::copy_tree_linking).
Result<UniqueFd> mount_layers(const std::vector<std::string>& top_first);

} // namespace zone::images
