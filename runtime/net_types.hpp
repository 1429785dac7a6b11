// Networking: addresses, the daemon's network configuration, leases, the
// nftables ruleset and the files zoned writes into a zone (/etc/hosts,
// /etc/resolv.conf). Netlink (bridge, veth) lives in netlink.hpp.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace zone::net {

// IPv4 only for now; addresses in host byte order.
struct Cidr {
    uint32_t addr = 0;
    int prefix = 0;
    bool operator==(const Cidr&) const = default;
    uint32_t network() const { return prefix == 0 ? 0 : addr & (~0u << (32 - prefix)); }
    uint32_t broadcast() const { return network() | (prefix == 32 ? 0 : (~0u >> prefix)); }
    bool contains(uint32_t a) const { return Cidr{a, prefix}.network() == network(); }
};

Result<uint32_t> parse_ipv4(std::string_view s);
Result<Cidr> parse_cidr(std::string_view s);   // "10.88.0.5/16"
std::string ipv4_to_string(uint32_t a);
std::string to_string(const Cidr& c);           // "10.88.0.5/16"

// The daemon's network (zoned config keys in daemon_config.cpp).
struct NetworkConfig {
    std::string bridge = "zbr0";
    std::string subnet = "10.88.0.0/16";  // the pool; the gateway is its first address
    bool nat = true;                      // masquerade zones' traffic leaving the host
    bool isolate = false;                 // zones on the bridge may only talk to the host
    std::string nft_table = "zoned";      // zoned owns this table (family ip) entirely
    std::vector<std::string> dns;         // zones' nameservers; empty: the host's non-loopback ones
};

// A port forward: host port -> zone address:port.
struct Forward {
    std::string zone;
    std::string proto = "tcp";  // tcp | udp
    uint16_t host_port = 0;
    uint32_t zone_addr = 0;
    uint16_t zone_port = 0;
};

// Pure: "8080:80/tcp" -> {8080, 80, "tcp"} (the zone/address are filled in later).
Result<Forward> parse_forward(std::string_view s);

} // namespace zone::net
