// The in-memory zone registry: one entry per configured zone, each with its
// own lock, held for the whole of a command on that zone.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/common/fd.hpp"
#include "runtime/config/zone_config.hpp"
#include "runtime/store.hpp"

namespace zone {

// Handles on a running zone's processes, held while zoned knows it runs.
struct LiveZone {
    UniqueFd monitor_pidfd;
    UniqueFd init_pidfd;
    bool monitor_is_child = false;  // started by this zoned: it must reap it
};

struct Zone {
    explicit Zone(std::string n) : name(std::move(n)) {}
    const std::string name;
    std::timed_mutex lock;       // one command at a time on this zone
    // Guarded by `lock`:
    bool exists = false;         // false until the first commit, and after delete
    config::ZoneConfig config;   // the committed configuration
    ZoneStatus status;           // persisted run state
    std::shared_ptr<LiveZone> live;  // set while running
};

// Holds a zone's lock; acquired with a bounded wait so a stuck command shows
// up as a BUSY error rather than a hung client.
class ZoneLock {
  public:
    static Result<ZoneLock> acquire(std::shared_ptr<Zone> z,
                                    std::chrono::seconds wait = std::chrono::seconds(60));
    Zone* operator->() const { return zone_.get(); }
    Zone& operator*() const { return *zone_; }
    const std::shared_ptr<Zone>& ptr() const { return zone_; }

  private:
    ZoneLock(std::shared_ptr<Zone> z, std::unique_lock<std::timed_mutex> l)
        : zone_(std::move(z)), lock_(std::move(l)) {}
    std::shared_ptr<Zone> zone_;
    std::unique_lock<std::timed_mutex> lock_;
};

class Registry {
  public:
    // The entry for `name`, created (not existing yet) when absent.
    std::shared_ptr<Zone> get_or_create(const std::string& name);
    // The entry for an existing zone, or NOT_FOUND.
    Result<std::shared_ptr<Zone>> find(const std::string& name);
    // Drops an entry whose zone no longer exists.
    void forget(const std::string& name);
    std::vector<std::shared_ptr<Zone>> all();

  private:
    std::mutex mu_;
    std::map<std::string, std::shared_ptr<Zone>> zones_;
};

} // namespace zone
