// The zone store: committed configurations and persisted run state, one
// directory per zone under <root>/zones. Every write is atomic.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/config/zone_config.hpp"
#include "runtime/paths.hpp"
#include "runtime/state.hpp"

namespace zone {

// What state.json holds: the zone's life-cycle state and, while it runs, the
// identity of its monitor and init (pid + start time, never a bare pid).
struct ZoneStatus {
    ZoneState state = ZoneState::Configured;
    int zone_id = -1;                // numeric id while running (Solaris zoneid)
    int monitor_pid = 0;
    unsigned long long monitor_start = 0;  // /proc/<pid>/stat field 22
    int init_pid = 0;                // host pid of the zone's init
    unsigned long long init_start = 0;
    std::string cgroup;              // the zone's cgroup directory (absolute)
    std::string dedicated_cpus;      // CPUs the running zone holds (dedicated-cpu), "0-1"
    unsigned image_version = 0;      // image version the zone was installed or booted on
    bool detached = false;           // configured, with files and detached.json (zoneadm detach)
    std::string booted_config;       // the config the zone was booted from (JSON text)
    int last_exit = -1;              // wait status summary of the last init exit, -1 none
    std::string last_exit_text;      // "exited 0", "killed by SIGKILL"
    std::string address;             // primary address, when networking assigns one
    // The host id that uid/gid 0 of the zone's own files (upper or copy) are
    // stored as: 0 as installed, the zone's range base once it booted with
    // userns=auto (runtime/id_shift.*).
    uint32_t files_uid_base = 0;
};

nlohmann::json to_json(const ZoneStatus& s);
Result<ZoneStatus> status_from_json(const nlohmann::json& j);

class Store {
  public:
    explicit Store(Paths paths) : paths_(std::move(paths)) {}
    const Paths& paths() const { return paths_; }

    // Creates the state root layout (zones/, images/, logs/) if missing.
    Result<void> init() const;

    // Names of zones with a committed configuration. A directory without
    // config.json (a commit cut off before its first rename) is ignored.
    Result<std::vector<std::string>> list_zones() const;

    Result<config::ZoneConfig> load_config(const std::string& name) const;
    Result<void> save_config(const config::ZoneConfig& cfg) const;
    Result<ZoneStatus> load_status(const std::string& name) const;  // missing file: Configured
    // durable=false for boot and halt: their records are re-derived from the
    // kernel at start-up anyway (a running zone's monitor is checked by pid
    // and start time), so they skip the fsyncs (about 2 ms each way).
    Result<void> save_status(const std::string& name, const ZoneStatus& st, bool durable = true) const;
    // Removes the zone's directory (config, state, its files).
    Result<void> remove_zone(const std::string& name) const;

  private:
    Paths paths_;
};

} // namespace zone
