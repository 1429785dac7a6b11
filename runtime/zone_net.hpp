// A zone's network seen from zoned: addresses from the lease pool, the
// daemon's bridge, the zone's /etc/hosts and /etc/resolv.conf, and the port
// forwards of running zones in zoned's nftables table.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/boot_spec.hpp"
#include "runtime/leases.hpp"
#include "runtime/net_types.hpp"

namespace zone {

class Daemon;
struct Zone;

class ZoneNetwork {
  public:
    ZoneNetwork(net::NetworkConfig cfg, std::string state_root);
    Result<void> load();  // leases from disk
    const net::NetworkConfig& config() const { return cfg_; }

    // Before boot: leases for every `net` of an exclusive-IP zone, the
    // bridge up, the zone's files written under `root_dir` (its upper or
    // copy). Fills spec.nets and spec.own_netns.
    Result<void> prepare_boot(const Zone& z, BootSpec& spec, const std::string& root_dir);
    // After boot (and for a zone found running at start-up) / after halt:
    // the zone's port forwards on or off.
    Result<void> activate(const Zone& z);
    void deactivate(const std::string& zone);
    Result<void> release(const std::string& zone);  // uninstall/delete: its leases
    // zoned starts with zones still running: take the bridge and the table
    // (with the forwards re-activated so far) back over.
    Result<void> adopt();
    // No zone runs: the bridge and the table go. On stop only when this
    // zoned set them up; at start-up (`after_crash`) whatever a previous
    // zoned left behind under this configuration's names.
    void teardown_if_idle(bool zones_running, bool after_crash = false);

    // Pure: the host end's name, unique per state root, zone and interface.
    static std::string host_ifname(const std::string& state_root, const std::string& zone, int index);

  private:
    Result<void> ensure_bridge_locked();
    Result<void> apply_locked();

    net::NetworkConfig cfg_;
    std::string root_;
    net::Cidr pool_;
    std::unique_ptr<net::Leases> leases_;
    std::mutex mu_;
    bool bridge_ready_ = false;
    std::map<std::string, std::vector<net::Forward>> forwards_;  // running zones
};

} // namespace zone
