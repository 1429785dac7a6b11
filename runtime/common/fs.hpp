// File helpers shared by the daemon and the tools.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "error.hpp"
#include "fd.hpp"

namespace zone::fs {

// Writes `content` to `path` atomically: a temp file in the same directory,
// fsync, rename over `path`, fsync of the directory. Readers see the old or
// the new file, never a torn one, even across a crash (kill -9 or power).
// With durable=false the fsyncs are skipped: still atomic against a crash
// of the process (readers see old or new), not against a power cut.
// write(2) until all `n` bytes are written (EINTR retried); `what` names
// the file in the error.
Result<void> write_all(int fd, const char* p, size_t n, const std::string& what);

Result<void> write_file_atomic(const std::string& path, const std::string& content,
                               mode_t mode = 0644, bool durable = true);

Result<std::string> read_file(const std::string& path);
// Like read_file, but a missing file yields an empty optional-like flag.
bool exists(const std::string& path);

// mkdir -p with `mode` for the directories it creates.
Result<void> mkdir_p(const std::string& path, mode_t mode = 0755);

// rm -rf that never follows a symlink and never crosses into another mount.
Result<void> remove_tree(const std::string& path);

Result<UniqueFd> open_dir(const std::string& path);

// Entry names of the directory `dirfd` (no "." or ".."); `where` names it in errors.
Result<std::vector<std::string>> list_dir(int dirfd, const std::string& where);

// cp -a: copies a tree keeping modes, owners, times, symlinks, device nodes
// and extended attributes (an overlay upper layer's trusted.overlay.* marks
// and its 0/0 character-device whiteouts survive the copy); never follows a
// symlink in `src`. `dst` must not exist.
Result<void> copy_tree(const std::string& src, const std::string& dst);

// Swaps two paths in one step (renameat2 RENAME_EXCHANGE): a reader sees the
// old or the new tree under each name, never neither.
Result<void> exchange(const std::string& a, const std::string& b);

// Bytes of the regular files below `path` (no symlink followed).
Result<unsigned long long> tree_size(const std::string& path);

std::string dirname(const std::string& path);
std::string basename(const std::string& path);

} // namespace zone::fs
