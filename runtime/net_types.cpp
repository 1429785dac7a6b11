#include "net_types.hpp"

#include <charconv>

namespace zone::net {

// A decimal number without sign, spaces or leading zeros ("0" itself is fine),
// at most `max`. Leading zeros are refused: "010" reads as octal to inet_aton.
static bool parse_decimal(std::string_view s, unsigned max, unsigned& out) {
    if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > max) return false;
    out = v;
    return true;
}

Result<uint32_t> parse_ipv4(std::string_view s) {
    std::string_view rest = s;
    uint32_t addr = 0;
    for (int i = 0; i < 4; ++i) {
        size_t dot = rest.find('.');
        if ((i < 3) != (dot != std::string_view::npos)) break;
        unsigned octet = 0;
        if (!parse_decimal(rest.substr(0, dot), 255, octet)) break;
        addr = (addr << 8) | octet;
        if (i == 3) return addr;
        rest = rest.substr(dot + 1);
    }
    return make_error("EINVAL", "'" + std::string(s) + "' is not an IPv4 address");
}

Result<Cidr> parse_cidr(std::string_view s) {
    auto bad = [&] {
        return make_error("EINVAL",
                          "'" + std::string(s) + "' is not an IPv4 address with a prefix length");
    };
    size_t slash = s.find('/');
    if (slash == std::string_view::npos) {
        if (parse_ipv4(s))
            return make_error("EINVAL", bad().op + " (add one, e.g. '" + std::string(s) + "/24')");
        return bad();
    }
    auto addr = parse_ipv4(s.substr(0, slash));
    unsigned prefix = 0;
    if (!addr || !parse_decimal(s.substr(slash + 1), 32, prefix)) return bad();
    return Cidr{*addr, static_cast<int>(prefix)};
}

std::string ipv4_to_string(uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
           std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

std::string to_string(const Cidr& c) {
    return ipv4_to_string(c.addr) + "/" + std::to_string(c.prefix);
}

Result<Forward> parse_forward(std::string_view s) {
    auto bad = [&] {
        return make_error("EINVAL", "'" + std::string(s) +
                                        "' is not a port forward HOSTPORT:ZONEPORT[/tcp|/udp] "
                                        "with ports 1-65535");
    };
    Forward f;
    std::string_view ports = s;
    if (size_t slash = s.find('/'); slash != std::string_view::npos) {
        std::string_view proto = s.substr(slash + 1);
        if (proto != "tcp" && proto != "udp") return bad();
        f.proto = std::string(proto);
        ports = s.substr(0, slash);
    }
    size_t colon = ports.find(':');
    if (colon == std::string_view::npos) return bad();
    unsigned host = 0, zone = 0;
    if (!parse_decimal(ports.substr(0, colon), 65535, host) ||
        !parse_decimal(ports.substr(colon + 1), 65535, zone) || host == 0 || zone == 0)
        return bad();
    f.host_port = static_cast<uint16_t>(host);
    f.zone_port = static_cast<uint16_t>(zone);
    return f;
}

} // namespace zone::net
