// What zonecfg prints: export scripts, info listings and help. Pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/config/zone_config.hpp"

namespace zonectl::zonecfg {

// A script that recreates `cfg` when run on a new zone: "create -b", the
// global properties in schema order, then "add TYPE / set ... / end" per
// resource. Values are quoted where the language needs it, so reading the
// script back yields the same configuration.
std::string export_config(const zone::config::ZoneConfig& cfg);

// Solaris-style listing of one resource: "net:\n\taddress: auto\n".
std::string format_resource(const zone::config::Resource& r);

// The properties of `r` in schema order (unknown ones last, by name).
std::vector<std::pair<std::string, const zone::config::PropValue*>>
ordered_props(const zone::config::Resource& r);

// `help`, `help COMMAND|PROP|RESOURCE|properties|resources`; inside a resource
// scope (`scope` not null) plain `help` describes that resource.
std::string help_text(std::string_view topic, const zone::config::Resource* scope);

} // namespace zonectl::zonecfg
