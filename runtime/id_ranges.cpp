#include "runtime/id_ranges.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "runtime/common/fs.hpp"

namespace zone::userns {

using json = nlohmann::json;

namespace {

constexpr uint64_t kIdLimit = 0xfffffffeULL; // (uid_t)-1 is no id

bool overlaps(const IdRange& a, uint64_t base, uint64_t size) {
    return base < uint64_t{a.base} + a.size && uint64_t{a.base} < base + size;
}

Result<IdRange> range_from_json(const json& j) {
    if (!j.is_object() || !j.contains("zone") || !j["zone"].is_string() || !j.contains("base") ||
        !j["base"].is_number_unsigned() || !j.contains("size") || !j["size"].is_number_unsigned())
        return make_error("EINVAL", "id range " + j.dump() + " lacks zone, base or size");
    IdRange r{j["zone"].get<std::string>(), j["base"].get<uint32_t>(), j["size"].get<uint32_t>()};
    if (r.size == 0 || uint64_t{r.base} + r.size > kIdLimit + 1)
        return make_error("EINVAL", "id range " + j.dump() + " is empty or beyond the id space");
    return r;
}

} // namespace

std::string pool_problem(const IdPool& p) {
    if (p.base < 65536)
        return "userns-base " + std::to_string(p.base) +
               " is below 65536: the zones' ids would be the host's own users";
    if (p.size < 1024) return "userns-size " + std::to_string(p.size) + " is below 1024";
    if (p.count < 1) return "userns-count must be at least 1";
    uint64_t end = uint64_t{p.base} + uint64_t{p.size} * p.count;
    if (end > kIdLimit + 1)
        return "userns-base + userns-size * userns-count = " + std::to_string(end) +
               " is beyond the last id " + std::to_string(kIdLimit);
    return "";
}

IdRanges::IdRanges(std::string path, IdPool pool) : path_(std::move(path)), pool_(pool) {}

Result<void> IdRanges::load() {
    std::lock_guard g(mu_);
    ranges_.clear();
    if (!fs::exists(path_)) return ok();
    auto text = fs::read_file(path_);
    if (!text) return std::move(text).error().wrap("loading the zones' id ranges");
    json doc = json::parse(*text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("ranges") ||
        !doc["ranges"].is_array())
        return make_error("EINVAL", path_ + ": not an id ranges file ({\"ranges\":[...]})");
    std::vector<IdRange> loaded;
    for (const auto& j : doc["ranges"]) {
        auto r = range_from_json(j);
        if (!r) return std::move(r).error().wrap(path_);
        loaded.push_back(std::move(*r));
    }
    ranges_ = std::move(loaded);
    return ok();
}

Result<void> IdRanges::save_locked() const {
    json arr = json::array();
    for (const auto& r : ranges_)
        arr.push_back({{"zone", r.zone}, {"base", r.base}, {"size", r.size}});
    TRY_VOID(fs::mkdir_p(fs::dirname(path_), 0700));
    return fs::write_file_atomic(path_, json{{"ranges", arr}}.dump(2) + "\n", 0600);
}

Result<IdRange> IdRanges::acquire(const std::string& zone) {
    std::lock_guard g(mu_);
    auto mine = std::find_if(ranges_.begin(), ranges_.end(),
                             [&](const IdRange& r) { return r.zone == zone; });
    // Still valid: a range of the current pool's shape at one of its slots
    // (the pool may have changed in zoned's config since it was given).
    if (mine != ranges_.end() && mine->size == pool_.size && mine->base >= pool_.base &&
        (mine->base - pool_.base) % pool_.size == 0 &&
        (mine->base - pool_.base) / pool_.size < pool_.count)
        return *mine;
    IdRange want{zone, 0, pool_.size};
    bool found = false;
    for (uint32_t i = 0; i < pool_.count && !found; ++i) {
        uint64_t base = uint64_t{pool_.base} + uint64_t{i} * pool_.size;
        found = std::none_of(ranges_.begin(), ranges_.end(), [&](const IdRange& r) {
            return r.zone != zone && overlaps(r, base, pool_.size);
        });
        if (found) want.base = static_cast<uint32_t>(base);
    }
    if (!found)
        return make_error("EBUSY", "the id pool (" + std::to_string(pool_.count) + " ranges of " +
                                       std::to_string(pool_.size) + " from " +
                                       std::to_string(pool_.base) +
                                       ") is exhausted: no free range for zone '" + zone + "'");
    std::vector<IdRange> before = ranges_;
    std::erase_if(ranges_, [&](const IdRange& r) { return r.zone == zone; });
    ranges_.push_back(want);
    if (auto r = save_locked(); !r) {
        ranges_ = std::move(before);
        return std::move(r).error().wrap("saving the id range of zone '" + zone + "'");
    }
    return want;
}

std::optional<IdRange> IdRanges::find(const std::string& zone) const {
    std::lock_guard g(mu_);
    for (const auto& r : ranges_)
        if (r.zone == zone) return r;
    return std::nullopt;
}

Result<void> IdRanges::release(const std::string& zone) {
    std::lock_guard g(mu_);
    std::vector<IdRange> before = ranges_;
    if (std::erase_if(ranges_, [&](const IdRange& r) { return r.zone == zone; }) == 0) return ok();
    if (auto r = save_locked(); !r) {
        ranges_ = std::move(before);
        return std::move(r).error().wrap("releasing the id range of zone '" + zone + "'");
    }
    return ok();
}

std::vector<IdRange> IdRanges::all() const {
    std::lock_guard g(mu_);
    return ranges_;
}

} // namespace zone::userns
