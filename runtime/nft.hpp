// zoned's nftables table (libnftables): masquerade for the pool, DNAT for
// port forwards (prerouting and output, so the host itself can use them),
// and bridge isolation in the forward path. The whole table is replaced in
// one transaction, so the kernel never sees half a ruleset.
#pragma once

#include <string>
#include <vector>

#include "runtime/net_types.hpp"

namespace zone::net {

// Pure: the nft script that replaces the table (unit-tested).
std::string render_ruleset(const NetworkConfig& cfg, const std::vector<Forward>& forwards);
Result<void> apply_ruleset(const NetworkConfig& cfg, const std::vector<Forward>& forwards);
Result<void> remove_ruleset(const NetworkConfig& cfg);  // no table: success

} // namespace zone::net
