// zoned's own configuration file (--config FILE), re-read on SIGHUP.
// Format: "key = value" lines, '#' comments. Unknown keys are errors, so a
// typo is never silently ignored.
#pragma once

#include <string>
#include <string_view>

#include "runtime/auth.hpp"
#include "runtime/common/error.hpp"
#include "runtime/common/log.hpp"
#include "runtime/id_ranges.hpp"
#include "runtime/net_types.hpp"

namespace zone {

struct DaemonConfig {
    std::string admin_group;        // members may do everything (besides root)
    log::Level log_level = log::Level::Info;
    std::string cgroup_parent;      // zones' cgroups go below this (relative to the cgroup2 mount)
    int shutdown_timeout = 30;      // default seconds for `zoneadm shutdown`
    // bridge, subnet, nat, isolate, nft-table, dns
    net::NetworkConfig network;
    // userns-base, userns-size, userns-count: the host ids of userns=auto zones
    userns::IdPool userns;
    // create-group, create-templates, create-max-memory, create-max-ncpus,
    // create-max-processes: who may create zones without being an admin.
    auth::CreatorPolicy creator;
};

Result<DaemonConfig> parse_daemon_config(std::string_view text, const std::string& origin);
Result<DaemonConfig> load_daemon_config(const std::string& path);

} // namespace zone
