// The daemon's shared state and the method table the server dispatches on.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/api/protocol.hpp"
#include "runtime/api/socket.hpp"
#include "runtime/auth.hpp"
#include "runtime/common/fd.hpp"
#include "runtime/daemon_config.hpp"
#include "runtime/paths.hpp"
#include "runtime/zone_resources.hpp"
#include "runtime/registry.hpp"
#include "runtime/store.hpp"
#include "runtime/confine.hpp"
#include "runtime/id_ranges.hpp"
#include "runtime/zone_net.hpp"
#include "images/store.hpp"

namespace zone {

class Connection;
class Daemon;

// One request being served.
struct Call {
    Daemon& daemon;
    Connection& conn;
    const api::PeerCred& peer;
    api::json id;
    api::json params;
    std::vector<UniqueFd> fds;        // fds the client sent with the request
    std::vector<UniqueFd> reply_fds;  // fds to send back with the result
    auth::Caller caller{};            // who calls (resolved from `peer`)
    auth::Request auth{};             // what the dispatcher authorized

    void progress(const api::json& p);  // a {"id":..,"progress":..} line
    // Whether the caller may know that `z` exists (lists filter on it).
    bool can_see(const Zone& z) const;
};

using Handler = std::function<Result<api::json>(Call&)>;

// What a method needs (runtime/auth.hpp): Anyone, Admin, or a right on the
// zone named by params.name (See, Login, Manage, Clone, Own), or Configure.
using Access = auth::Need;

struct Method {
    std::string name;
    Access access;
    Handler fn;
};

// Facts about the host and helpers, found once at start-up.
struct HostRuntime {
    std::string cgroup2_mount;   // /sys/fs/cgroup or /sys/fs/cgroup/unified
    std::string cgroup_parent;   // absolute: <mount>/<parent>
    std::string monitor_bin;     // zone-monitor
    UniqueFd init_memfd;         // sealed copy of zone-init
    UniqueFd host_pidns;         // zoned's own PID namespace (to return to after zlogin)
    std::unique_ptr<cg::Driver> cgroups;  // the zones' cgroups: v2 or v1-hybrid (detected)
};

class Daemon {
  public:
    // `overrides` re-applies the command line's settings over the file's,
    // at start and at every SIGHUP.
    Daemon(Paths paths, DaemonConfig cfg, std::string config_file,
           std::function<void(DaemonConfig&)> overrides = {});

    // Creates the layout and loads every zone from disk.
    Result<void> load();
    // Boots every installed zone with autoboot=true (in the background).
    void autoboot();
    // zoned stops: running zones keep running; with none, the network goes.
    void stop();
    bool any_running();

    const Paths& paths() const { return store_.paths(); }
    Store& store() { return store_; }
    images::Store& images() { return images_; }
    cg::Driver& cgroups() { return *host_.cgroups; }  // after prepare_host()
    CpuLedger& cpus() { return cpus_; }
    HostRuntime& host() { return host_; }
    ZoneNetwork& network() { return *network_; }
    ConfinementCache& confinement() { return confinement_; }
    userns::IdRanges& id_ranges() { return *id_ranges_; }  // userns=auto zones' host ids
    // Finds the cgroup2 mount, the helpers, and seals the built-in init.
    Result<void> prepare_host();
    // Smallest zone id not used by a running zone.
    int allocate_zone_id();
    void claim_zone_id(int id);
    void release_zone_id(int id);
    Registry& registry() { return registry_; }
    DaemonConfig config() const;
    Result<void> reload_config();  // SIGHUP

    void add_methods(std::vector<Method> methods);
    const Method* find_method(std::string_view name) const;
    // The caller behind a connection: user name, admin, creator group.
    auth::Caller caller_of(const api::PeerCred& peer) const;
    // The dispatcher's check of one call (Call::auth filled in), before the
    // handler runs; lock_zone_param checks again under the zone's lock.
    auth::Decision authorize(Call& c, const Method& m);
    // A copy of a zone's committed configuration, taken under its lock;
    // nullopt when it does not exist, BUSY when the lock stays taken.
    Result<std::optional<config::ZoneConfig>> snapshot_config(const std::string& name);

  private:
    Store store_;
    images::Store images_;
    Registry registry_;
    CpuLedger cpus_;
    HostRuntime host_;
    std::unique_ptr<ZoneNetwork> network_;
    std::unique_ptr<userns::IdRanges> id_ranges_;
    ConfinementCache confinement_;
    mutable std::mutex cfg_mu_;
    DaemonConfig cfg_;
    std::string config_file_;
    std::function<void(DaemonConfig&)> overrides_;
    std::vector<Method> methods_;
    std::mutex ids_mu_;
    std::set<int> ids_;
};

// Method groups, one file each.
std::vector<Method> daemon_methods();       // api_daemon.cpp
std::vector<Method> zone_resource_methods(); // api_zone_resources.cpp
std::vector<Method> zone_config_methods();  // api_zone_config.cpp
std::vector<Method> zone_list_methods();    // api_zone_list.cpp
std::vector<Method> image_methods();        // api_image.cpp
std::vector<Method> zone_qa_methods();      // api_zone_qa.cpp
std::vector<Method> template_methods();     // api_template.cpp (create, delete)
Result<api::json> get_template(Call& c);    // api_template.cpp: template.get, template.list
Result<api::json> list_templates(Call& c);
std::vector<Method> zone_run_methods();     // api_zone_run.cpp
std::vector<Method> zone_login_methods();   // api_zone_login.cpp
std::vector<Method> zone_stats_methods();   // api_zone_stats.cpp

// The protocol error code of a refusal (NOT_FOUND, NOT_AUTHORIZED, ...).
const char* auth_code(const auth::Decision& d);

// Shorthand for handlers: the zone named by params.name, locked, and the
// call's authorization checked again against its configuration under the lock
// (so a zone created or reconfigured meanwhile is judged as it is now).
Result<ZoneLock> lock_zone_param(Call& c, bool must_exist = true);

} // namespace zone
