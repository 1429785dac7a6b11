// The zone's user database, read from the host side (pure parsers).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace zone {

struct PasswdEntry {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string shell;
};

// The entry for `user` (a name, or a number matching a uid) in passwd text.
std::optional<PasswdEntry> find_passwd(std::string_view passwd, std::string_view user);
// Supplementary groups of `user` from group text, plus `primary`.
std::vector<gid_t> groups_of(std::string_view group, std::string_view user, gid_t primary);

} // namespace zone
