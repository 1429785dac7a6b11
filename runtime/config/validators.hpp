// Value validators behind the schema tables of zone_config.cpp. Internal to
// the config module: other code checks values through check_global_prop /
// check_resource_prop, which also check the value's shape (list or not).
//
// Each validator returns "" when the value is valid, else what is wrong with
// it, quoting the value but not naming the property (the caller does).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "runtime/config/zone_config.hpp"

namespace zone::config::valid {

// ---- building blocks, shared with verify.cpp ----------------------------------

// Decimal digits only (no sign, no spaces), value <= max.
std::optional<unsigned long long> parse_uint(std::string_view s, unsigned long long max);
// "'value'" for messages.
std::string in_quotes(std::string_view s);
// Absolute path, not "/", no empty, "." or ".." components; "" when fine.
std::string abs_path_problem(std::string_view s, bool allow_root);
bool is_user_name(std::string_view s);

// ---- global properties --------------------------------------------------------
std::string boolean(const PropValue& v);
std::string image(const PropValue& v);
std::string owner(const PropValue& v);
std::string root_type(const PropValue& v);
std::string hostname(const PropValue& v);
std::string init(const PropValue& v);
std::string ip_type(const PropValue& v);
std::string limitpriv(const PropValue& v);
std::string userns(const PropValue& v);
std::string security_profile(const PropValue& v);
std::string cpu_shares(const PropValue& v);
std::string max_processes(const PropValue& v);

// ---- resource properties ------------------------------------------------------
std::string net_address(const PropValue& v);
std::string ifname(const PropValue& v);
std::string ip_address(const PropValue& v);
std::string net_forwards(const PropValue& v);
std::string fs_dir(const PropValue& v);
std::string fs_special(const PropValue& v);
std::string fs_type(const PropValue& v);
std::string fs_options(const PropValue& v);
std::string capped_ncpus(const PropValue& v);
std::string dedicated_ncpus(const PropValue& v);
std::string cpu_list(const PropValue& v);
std::string memory_physical(const PropValue& v);
std::string memory_swap(const PropValue& v);
std::string rctl_name(const PropValue& v);
std::string rctl_value(const PropValue& v);
std::string user_name(const PropValue& v);
std::string auths(const PropValue& v);
std::string attr_name(const PropValue& v);
std::string attr_type(const PropValue& v);
std::string any_text(const PropValue& v);
std::string io_shares(const PropValue& v);
std::string block_device(const PropValue& v);
std::string io_bytes_rate(const PropValue& v);
std::string io_ops_rate(const PropValue& v);

// attr value against its declared type ("string", "int", "uint", "boolean").
std::string attr_value_for_type(std::string_view type, std::string_view value);

} // namespace zone::config::valid
