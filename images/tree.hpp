// File trees handled through directory fds only: the safe primitives every
// builder writes with, the copy that merges layers into a new version, and
// the content digest of a version.
//
// Nothing here resolves a path through a symbolic link of the tree being
// written: each component is opened with O_NOFOLLOW relative to its parent's
// fd, and names never contain "..", so a link planted by an earlier entry
// cannot redirect a later write out of the tree.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "images/store.hpp"
#include "runtime/common/error.hpp"
#include "runtime/common/fd.hpp"
#include "runtime/common/fs.hpp"

namespace zone::images::tree {

// Pure: an archive member name as path components. "./a/b/" -> {"a", "b"};
// "." or "./" -> {} (the root itself). Refuses (EINVAL, naming the member)
// absolute names, ".." components, NUL-free but control-character names and
// components longer than NAME_MAX.
Result<std::vector<std::string>> split_member(std::string_view name);

// Joins components back ("a/b"; "." for the root).
std::string join(const std::vector<std::string>& parts, size_t n);

// The directory parts[0..n) below rootfd. With `create`, missing directories
// are made (0755 root:root, as tar does for implied parents). A component
// that is a symlink or not a directory is refused (ELOOP/ENOTDIR naming it).
Result<UniqueFd> open_dir_in(int rootfd, const std::vector<std::string>& parts, size_t n,
                             bool create);

// rm -rf of `leaf` in `dirfd`, never following a symlink; absent is fine.
Result<void> remove_at(int dirfd, const std::string& leaf, const std::string& where);
// Removes every entry of the directory `dirfd`.
Result<void> clear_dir(int dirfd, const std::string& where);

// Copies the tree `srcfd` into the empty directory `dstfd`: modes, owners,
// times, symlinks, hardlinks (within the tree), fifos and device nodes.
// Stays on the file system of `srcfd`.
Result<void> copy_tree(int srcfd, int dstfd, const std::string& where, ProgressFn fn = nullptr,
                       void* ctx = nullptr);

// For copying an overlay of `upper` over `lower` (its merged view is the
// source): a regular file that the upper layer does not have is the lower
// layer's own file, unchanged; it is hardlinked from `lower` instead of
// copied. Versions are immutable, so a new version shares the unchanged
// files of its parent (a patch costs what it changed, not a full copy).
// A file is linked only when the upper layer has nothing at its path, the
// lower layer has a regular file there (reached through directories only)
// and it is the very inode the merged view shows; anything else is copied.
struct LinkFrom {
    int lower = -1;
    int upper = -1;
};
Result<void> copy_tree_linking(int srcfd, int dstfd, const LinkFrom& from, const std::string& where,
                               ProgressFn fn = nullptr, void* ctx = nullptr);

// "sha256:<hex>" of the tree's content: every entry's path, type, mode,
// owner, and its data (file bytes, link target or device number), in sorted
// path order. Times are not part of it, so an exported and re-imported
// version keeps its digest.
Result<std::string> digest(int rootfd, const std::string& where);

// Sum of the sizes of the regular files below dirfd, on its file system only.
Result<unsigned long long> size(int rootfd, const std::string& where);

// write(2) until done.
using fs::write_all;

} // namespace zone::images::tree
