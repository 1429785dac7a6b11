// Files zoned writes into a zone's root before boot (/etc/hosts,
// /etc/resolv.conf). Resolved inside the root and never through a symlink
// the zone planted: the file is replaced by rename inside the zone's /etc.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "runtime/common/error.hpp"

namespace zone::net {

std::string render_hosts(const std::string& hostname, const std::vector<std::string>& zone_addrs,
                         const std::string& gateway);
std::string render_resolv(const std::vector<std::string>& nameservers);
// Nameservers of a resolv.conf, without loopback ones (127.0.0.0/8, ::1),
// which mean nothing inside a zone's network namespace.
std::vector<std::string> usable_nameservers(std::string_view resolv_conf);
// The host's usable nameservers: those of /etc/resolv.conf, else (a host
// whose resolv.conf names only systemd-resolved's 127.0.0.53) those of
// /run/systemd/resolve/resolv.conf; empty when neither has one.
std::vector<std::string> host_nameservers();

// Writes `content` to `rel_path` (e.g. "etc/hosts") below `root_dir`:
// directories resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)
// (missing ones created), temp file + fsync + renameat over the name (which
// replaces a symlink instead of following it). `owner` is the host uid (and
// gid) of the file and of directories it creates: the zone's root, which is
// the range base of a user-namespaced zone.
Result<void> write_zone_file(const std::string& root_dir, const std::string& rel_path,
                             const std::string& content, unsigned mode = 0644, uid_t owner = 0);

} // namespace zone::net
