#include "zone_net.hpp"

#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/netlink.hpp"
#include "runtime/nft.hpp"
#include "runtime/registry.hpp"
#include "runtime/zone_files.hpp"

namespace zone {

ZoneNetwork::ZoneNetwork(net::NetworkConfig cfg, std::string state_root)
    : cfg_(std::move(cfg)), root_(std::move(state_root)) {}

Result<void> ZoneNetwork::load() {
    TRY(pool, net::parse_cidr(cfg_.subnet));
    pool_ = pool;
    leases_ = std::make_unique<net::Leases>(root_ + "/network/leases.json", pool_);
    return leases_->load();
}

std::string ZoneNetwork::host_ifname(const std::string& state_root, const std::string& zone, int index) {
    // FNV-1a of root and name: two daemons (or two zones) never share a name,
    // and the name stays within IFNAMSIZ.
    uint32_t h = 2166136261u;
    for (char c : state_root + "/" + zone) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    char buf[16];
    snprintf(buf, sizeof buf, "zv%08x%d", h, index % 100);
    return buf;
}

Result<void> ZoneNetwork::ensure_bridge_locked() {
    if (bridge_ready_) return ok();
    TRY(sk, net::NlSocket::open());
    net::Cidr gw = leases_->gateway();
    auto idx = net::ensure_bridge(sk, cfg_.bridge, gw);
    if (!idx) return std::move(idx).error();
    // Routing between the bridge and the world (NAT, forwards reached from
    // other hosts) needs forwarding on.
    TRY_VOID(net::enable_ip_forward());
    TRY_VOID(apply_locked());
    bridge_ready_ = true;
    return ok();
}

Result<void> ZoneNetwork::apply_locked() {
    std::vector<net::Forward> all;
    for (const auto& [zone, f] : forwards_) all.insert(all.end(), f.begin(), f.end());
    return net::apply_ruleset(cfg_, all);
}

Result<void> ZoneNetwork::prepare_boot(const Zone& z, BootSpec& spec, const std::string& root_dir) {
    std::string ip_type = z.config.get_or("ip-type", "exclusive");
    spec.own_netns = ip_type != "shared";
    if (ip_type != "exclusive") return ok();
    auto nets = z.config.of_type("net");
    std::lock_guard g(mu_);
    std::vector<std::string> addrs;
    int index = 0;
    for (const auto* r : nets) {
        std::string bridge = r->get_or("bridge", cfg_.bridge);
        auto addr = leases_->acquire(z.name, index, r->get_or("address", "auto"));
        if (!addr) return std::move(addr).error().wrap("zone '" + z.name + "': net " + std::to_string(index));
        if (bridge == cfg_.bridge) TRY_VOID(ensure_bridge_locked());
        std::string gw = r->get_or("defrouter", "");
        if (gw.empty() && bridge == cfg_.bridge && index == 0) gw = net::ipv4_to_string(leases_->gateway().addr);
        spec.nets.push_back(NetSpec{host_ifname(root_, z.name, index), "eth" + std::to_string(index),
                                    bridge, net::to_string(*addr), gw,
                                    cfg_.isolate && bridge == cfg_.bridge});
        addrs.push_back(net::ipv4_to_string(addr->addr));
        ++index;
    }
    if (nets.empty()) return ok();
    std::string gateway = net::ipv4_to_string(leases_->gateway().addr);
    // Owned by the zone's root: the range base of a user-namespaced zone.
    TRY_VOID(net::write_zone_file(root_dir, "etc/hosts", net::render_hosts(spec.hostname, addrs, gateway),
                                  0644, spec.uid_base));
    std::vector<std::string> dns = cfg_.dns.empty() ? net::host_nameservers() : cfg_.dns;
    TRY_VOID(net::write_zone_file(root_dir, "etc/resolv.conf", net::render_resolv(dns), 0644, spec.uid_base));
    return ok();
}

Result<void> ZoneNetwork::activate(const Zone& z) {
    if (z.config.get_or("ip-type", "exclusive") != "exclusive") return ok();
    std::vector<net::Forward> mine;
    int index = 0;
    for (const auto* r : z.config.of_type("net")) {
        if (const config::PropValue* f = r->get("forward")) {
            // The zone's lease (acquire is idempotent): its address for DNAT.
            TRY(addr, leases_->acquire(z.name, index, r->get_or("address", "auto")));
            for (const auto& item : f->is_list ? f->list : std::vector<std::string>{f->scalar}) {
                TRY(fw, net::parse_forward(item));
                fw.zone = z.name;
                fw.zone_addr = addr.addr;
                mine.push_back(fw);
            }
        }
        ++index;
    }
    if (mine.empty()) return ok();
    std::lock_guard g(mu_);
    for (const auto& [zone, fwds] : forwards_)
        for (const auto& a : fwds)
            for (const auto& b : mine)
                if (zone != z.name && a.host_port == b.host_port && a.proto == b.proto)
                    return make_error("EXISTS", "host port " + std::to_string(b.host_port) + "/" + b.proto +
                                                    " is already forwarded to zone '" + zone + "'");
    forwards_[z.name] = mine;
    TRY_VOID(ensure_bridge_locked());
    auto r = apply_locked();
    if (!r) forwards_.erase(z.name);
    return r;
}

Result<void> ZoneNetwork::adopt() {
    std::lock_guard g(mu_);
    return ensure_bridge_locked();
}

void ZoneNetwork::deactivate(const std::string& zone) {
    std::lock_guard g(mu_);
    if (!forwards_.erase(zone) || !bridge_ready_) return;
    if (auto r = apply_locked(); !r)
        ZLOG_WARN("zone=%s removing its port forwards: %s, ignoring", zone.c_str(), r.error().message().c_str());
}

Result<void> ZoneNetwork::release(const std::string& zone) {
    std::lock_guard g(mu_);
    return leases_ ? leases_->release(zone) : ok();
}

void ZoneNetwork::teardown_if_idle(bool zones_running, bool after_crash) {
    std::lock_guard g(mu_);
    if (zones_running || (!bridge_ready_ && !after_crash)) return;
    auto sk = net::NlSocket::open();
    if (sk) {
        if (auto r = net::delete_link(*sk, cfg_.bridge); !r)
            ZLOG_WARN("removing bridge %s: %s, ignoring", cfg_.bridge.c_str(), r.error().message().c_str());
    }
    if (auto r = net::remove_ruleset(cfg_); !r)
        ZLOG_WARN("removing nft table %s: %s, ignoring", cfg_.nft_table.c_str(), r.error().message().c_str());
    bridge_ready_ = false;
}

} // namespace zone
