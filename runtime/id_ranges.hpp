// Host uid/gid ranges of user-namespaced zones (userns=auto), persisted in
// <root>/userns/ranges.json (atomic writes). A zone's range is its own: no
// two zones ever hold overlapping ranges, a zone keeps its range across
// reboots and restarts of zoned, and uninstall releases it. Thread-safe.
//
// The pool is `count` ranges of `size` ids from `base` (zoned's config keys
// userns-base, userns-size, userns-count): range i is base + i*size ..
// base + (i+1)*size - 1 for uids and gids alike.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"

namespace zone::userns {

struct IdPool {
    uint32_t base = 1u << 20; // well above the host's own users
    uint32_t size = 65536;    // ids per zone: 0 .. 65535 inside
    uint32_t count = 4096;    // ranges in the pool
    bool operator==(const IdPool&) const = default;
};

// Pure: the problem with a pool ("" when none): size at least 1024, base at
// least 65536 (above the host's users and nobody), and the pool must end at
// or below 2^32 - 2 (uid -1 means "no change" to the kernel).
std::string pool_problem(const IdPool& pool);

struct IdRange {
    std::string zone;
    uint32_t base = 0;
    uint32_t size = 0;
    bool operator==(const IdRange&) const = default;
};

class IdRanges {
  public:
    IdRanges(std::string path, IdPool pool);
    Result<void> load(); // a missing file is an empty set

    // The range the zone holds, if it still fits the pool; else the lowest
    // free range of the pool, recorded before it is returned. EBUSY when the
    // pool is exhausted.
    Result<IdRange> acquire(const std::string& zone);
    // The zone's range, if it holds one.
    std::optional<IdRange> find(const std::string& zone) const;
    Result<void> release(const std::string& zone);
    std::vector<IdRange> all() const;
    const IdPool& pool() const { return pool_; }

  private:
    Result<void> save_locked() const;
    std::string path_;
    IdPool pool_;
    mutable std::mutex mu_;
    std::vector<IdRange> ranges_;
};

} // namespace zone::userns
