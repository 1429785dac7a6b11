#include "registry.hpp"

#include "runtime/api/protocol.hpp"

namespace zone {

Result<ZoneLock> ZoneLock::acquire(std::shared_ptr<Zone> z, std::chrono::seconds wait) {
    std::unique_lock<std::timed_mutex> l(z->lock, std::defer_lock);
    if (!l.try_lock_for(wait))
        return make_error(api::code::kBusy, "zone '" + z->name + "' is busy with another command");
    return ZoneLock(std::move(z), std::move(l));
}

std::shared_ptr<Zone> Registry::get_or_create(const std::string& name) {
    std::lock_guard g(mu_);
    auto& slot = zones_[name];
    if (!slot) slot = std::make_shared<Zone>(name);
    return slot;
}

Result<std::shared_ptr<Zone>> Registry::find(const std::string& name) {
    std::lock_guard g(mu_);
    auto it = zones_.find(name);
    if (it == zones_.end())
        return make_error(api::code::kNotFound, "zone '" + name + "' is not configured");
    return it->second;
}

void Registry::forget(const std::string& name) {
    std::lock_guard g(mu_);
    zones_.erase(name);
}

std::vector<std::shared_ptr<Zone>> Registry::all() {
    std::lock_guard g(mu_);
    std::vector<std::shared_ptr<Zone>> out;
    for (auto& [n, z] : zones_) out.push_back(z);
    return out;
}

} // namespace zone
