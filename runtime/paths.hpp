// Where everything lives on disk (DESIGN.md "State on disk").
#pragma once

#include <string>

namespace zone {

struct Paths {
    std::string root = "/var/lib/zoned";  // state root
    std::string run_dir = "/run/zoned";   // runtime dir
    std::string socket;                   // default: <run_dir>/zoned.sock

    std::string socket_path() const { return socket.empty() ? run_dir + "/zoned.sock" : socket; }
    std::string zones_dir() const { return root + "/zones"; }
    std::string zone_dir(const std::string& n) const { return zones_dir() + "/" + n; }
    std::string config_path(const std::string& n) const { return zone_dir(n) + "/config.json"; }
    std::string status_path(const std::string& n) const { return zone_dir(n) + "/state.json"; }
    std::string images_dir() const { return root + "/images"; }
    std::string logs_dir() const { return root + "/logs"; }
    std::string console_log(const std::string& n) const { return logs_dir() + "/" + n + ".console"; }
    std::string zone_run_dir(const std::string& n) const { return run_dir + "/zones/" + n; }
};

} // namespace zone
