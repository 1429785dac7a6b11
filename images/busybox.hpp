// The "busybox" image source: a small root file system made of the host's
// static busybox, one symlink per applet and a minimal /etc.
//
// Planned purely (plan_busybox_rootfs), then walked with fds relative to the
// new root (apply_rootfs_plan), so nothing is ever resolved through a symlink
// of the tree being built.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "images/store.hpp"
#include "runtime/common/error.hpp"

namespace zone::images {

// The host binary the builder copies (Debian: busybox-static).
inline constexpr const char* kHostBusybox = "/bin/busybox";
// Where it goes inside the image; every applet links to it.
inline constexpr const char* kImageBusybox = "bin/busybox";

inline constexpr uid_t kUserUid = 1000;
inline constexpr gid_t kUserGid = 1000;

struct RootfsEntry {
    enum class Kind { Dir, File, Symlink };
    Kind kind = Kind::Dir;
    std::string path;   // relative to the root, no leading '/', parents listed earlier
    mode_t mode = 0755; // Dir, File (set exactly, umask does not apply)
    uid_t uid = 0;
    gid_t gid = 0;
    std::string data; // File: content; Symlink: target
};

struct RootfsPlan {
    std::vector<RootfsEntry> entries; // directories first, then files, then symlinks
    const RootfsEntry* find(std::string_view path) const;
};

// Checks that `path` is an ELF executable without PT_INTERP (statically linked).
Result<void> check_static_elf(const std::string& path);
Result<void> check_static_elf_fd(int fd, const std::string& what);

// `busybox --list-full` output -> applet paths ("usr/bin/env"); refuses
// absolute paths, "..", empty components and control characters.
Result<std::vector<std::string>> parse_applet_list(std::string_view text);

// Pure: the tree of a busybox image named `name`, version `version`, whose
// busybox lists `applets`. The busybox binary itself is not in the plan.
RootfsPlan plan_busybox_rootfs(const std::vector<std::string>& applets, const std::string& name,
                               unsigned version);

// Creates every entry below `rootfd` (must be empty), owners and modes exact.
Result<void> apply_rootfs_plan(int rootfd, const RootfsPlan& plan);

// Builds the whole tree into `rootfd` from the busybox at `busybox_path`:
// checks it is static, lists its applets, applies the plan, copies the binary.
Result<void> build_busybox_rootfs(int rootfd, const std::string& busybox_path,
                                  const std::string& name, unsigned version,
                                  ProgressFn progress = nullptr, void* ctx = nullptr);

} // namespace zone::images
