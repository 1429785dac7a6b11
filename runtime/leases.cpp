#include "leases.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "runtime/common/fs.hpp"

namespace zone::net {

using json = nlohmann::json;

Leases::Leases(std::string path, Cidr pool)
    : path_(std::move(path)), pool_{Cidr{pool.network(), pool.prefix}} {}

Cidr Leases::gateway() const {
    return Cidr{pool_.network() + 1, pool_.prefix};
}

static Result<Lease> lease_from_json(const json& j) {
    if (!j.is_object() || !j.contains("zone") || !j["zone"].is_string() || !j.contains("net") ||
        !j["net"].is_number_integer() || !j.contains("address") || !j["address"].is_string())
        return make_error("EINVAL", "lease " + j.dump() + " lacks zone, net or address");
    Lease l;
    l.zone = j["zone"].get<std::string>();
    l.net_index = j["net"].get<int>();
    TRY(addr, parse_cidr(j["address"].get<std::string>()));
    l.addr = addr;
    l.is_static = j.value("static", false);
    return l;
}

Result<void> Leases::load() {
    std::lock_guard g(mu_);
    leases_.clear();
    if (!fs::exists(path_)) return ok();
    auto text = fs::read_file(path_);
    if (!text) return std::move(text).error().wrap("loading leases");
    json doc = json::parse(*text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("leases") ||
        !doc["leases"].is_array())
        return make_error("EINVAL", path_ + ": not a leases file ({\"leases\":[...]})");
    std::vector<Lease> loaded;
    for (const auto& j : doc["leases"]) {
        auto l = lease_from_json(j);
        if (!l) return std::move(l).error().wrap(path_);
        loaded.push_back(std::move(*l));
    }
    leases_ = std::move(loaded);
    return ok();
}

Result<void> Leases::save_locked() const {
    json arr = json::array();
    for (const auto& l : leases_)
        arr.push_back({{"zone", l.zone},
                       {"net", l.net_index},
                       {"address", to_string(l.addr)},
                       {"static", l.is_static}});
    json doc = {{"leases", arr}};
    TRY_VOID(fs::mkdir_p(fs::dirname(path_), 0755));
    return fs::write_file_atomic(path_, doc.dump(2) + "\n", 0644);
}

// Is `c` an address a zone's interface may carry? Not 0/8, loopback,
// multicast or reserved; not the network or broadcast address of its own
// prefix (unless /31 or /32, which have neither).
static std::string host_address_problem(const Cidr& c) {
    uint32_t first = c.addr >> 24;
    if (first == 0 || first == 127 || first >= 224)
        return "is not a unicast address usable by a zone";
    if (c.prefix < 31 && (c.addr == c.network() || c.addr == c.broadcast()))
        return "is the network or broadcast address of its prefix";
    return "";
}

// The lease of another zone or net holding `addr` (any prefix), or nullptr.
static const Lease* holder_of(const std::vector<Lease>& leases, uint32_t addr,
                              const std::string& zone, int net_index) {
    for (const auto& l : leases)
        if (l.addr.addr == addr && !(l.zone == zone && l.net_index == net_index)) return &l;
    return nullptr;
}

Result<Cidr> Leases::acquire(const std::string& zone, int net_index, const std::string& requested) {
    std::lock_guard g(mu_);
    auto mine = std::find_if(leases_.begin(), leases_.end(), [&](const Lease& l) {
        return l.zone == zone && l.net_index == net_index;
    });
    Lease want{zone, net_index, {}, requested != "auto"};
    if (want.is_static) {
        auto c = parse_cidr(requested);
        if (!c) return std::move(c).error();
        want.addr = *c;
        std::string ip = ipv4_to_string(c->addr);
        if (auto p = host_address_problem(*c); !p.empty())
            return make_error("EINVAL", "address " + requested + " " + p);
        if (pool_.contains(c->addr) && (c->addr == pool_.network() || c->addr == gateway().addr ||
                                        c->addr == pool_.broadcast()))
            return make_error("EINVAL", "address " + ip +
                                            " is the network, gateway or broadcast "
                                            "address of the pool " +
                                            to_string(pool_));
        if (const Lease* h = holder_of(leases_, c->addr, zone, net_index)) {
            std::string which =
                h->zone == zone ? " (net " + std::to_string(h->net_index) + ")" : "";
            return make_error("EXISTS", "address " + ip + " is already leased to zone '" + h->zone +
                                            "'" + which);
        }
        if (mine != leases_.end() && *mine == want) return want.addr;
    } else {
        // Still valid: an auto lease inside the current pool (the subnet may
        // have changed in zoned's config since it was given).
        if (mine != leases_.end() && !mine->is_static && mine->addr.prefix == pool_.prefix &&
            pool_.contains(mine->addr.addr))
            return mine->addr;
        std::set<uint32_t> used;
        for (const auto& l : leases_)
            if (!(l.zone == zone && l.net_index == net_index)) used.insert(l.addr.addr);
        // From the address after the gateway up to the one before the broadcast.
        uint32_t a = gateway().addr + 1;
        while (pool_.prefix <= 30 && a < pool_.broadcast() && used.count(a))
            ++a;
        if (pool_.prefix > 30 || a >= pool_.broadcast())
            return make_error("EBUSY", "the address pool " + to_string(pool_) +
                                           " is exhausted: no free address for zone '" + zone +
                                           "'");
        want.addr = Cidr{a, pool_.prefix};
    }
    std::vector<Lease> before = leases_;
    std::erase_if(leases_,
                  [&](const Lease& l) { return l.zone == zone && l.net_index == net_index; });
    leases_.push_back(want);
    if (auto r = save_locked(); !r) {
        leases_ = std::move(before);
        return std::move(r).error().wrap("saving the lease of zone '" + zone + "'");
    }
    return want.addr;
}

Result<void> Leases::release(const std::string& zone) {
    std::lock_guard g(mu_);
    std::vector<Lease> before = leases_;
    if (std::erase_if(leases_, [&](const Lease& l) { return l.zone == zone; }) == 0) return ok();
    if (auto r = save_locked(); !r) {
        leases_ = std::move(before);
        return std::move(r).error().wrap("releasing the leases of zone '" + zone + "'");
    }
    return ok();
}

std::vector<Lease> Leases::all() const {
    std::lock_guard g(mu_);
    return leases_;
}

} // namespace zone::net
