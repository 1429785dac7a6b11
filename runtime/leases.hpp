// Address leases from the daemon's pool, persisted in <root>/network/leases.json
// (atomic writes). A zone keeps its address across reboots and zoned
// restarts; uninstall releases it. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "runtime/net_types.hpp"

namespace zone::net {

struct Lease {
    std::string zone;
    int net_index = 0;   // which `net` resource of the zone
    Cidr addr;
    bool is_static = false;
    bool operator==(const Lease&) const = default;
};

class Leases {
  public:
    Leases(std::string path, Cidr pool);
    Result<void> load();  // a missing file is an empty set

    // requested = "auto": the lease this zone/net already holds, else the
    // lowest free address of the pool (never the network, the gateway = first
    // address, or the broadcast). requested = "A.B.C.D/N": a static address;
    // refused (code "EXISTS", naming the holder) when another zone holds it.
    Result<Cidr> acquire(const std::string& zone, int net_index, const std::string& requested);
    Result<void> release(const std::string& zone);  // every lease of the zone
    std::vector<Lease> all() const;
    Cidr gateway() const;  // first address of the pool, pool prefix

  private:
    Result<void> save_locked() const;
    std::string path_;
    Cidr pool_;
    mutable std::mutex mu_;
    std::vector<Lease> leases_;
};

} // namespace zone::net
