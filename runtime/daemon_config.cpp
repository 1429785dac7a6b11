#include "daemon_config.hpp"

#include <cctype>
#include <charconv>

#include "runtime/common/fs.hpp"

namespace zone {

static std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

static bool parse_bool(const std::string& v, bool& out) {
    if (v == "true" || v == "yes") out = true;
    else if (v == "false" || v == "no") out = false;
    else return false;
    return true;
}

static bool all_of_chars(const std::string& s, std::string_view extra) {
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos))
            return false;
    return true;
}

static bool is_network_key(std::string_view key) {
    for (std::string_view k : {"bridge", "subnet", "nat", "isolate", "nft-table", "dns"})
        if (key == k) return true;
    return false;
}

// One of the network keys into `n`, normalized; the problem with `value`, or
// "" when there is none.
static std::string parse_network_key(const std::string& key, const std::string& value,
                                     net::NetworkConfig& n) {
    auto quoted = key + " '" + value + "'";
    if (key == "bridge") {
        if (value.empty() || value.size() > 15 || value == "." || value == ".." || !all_of_chars(value, "_.-"))
            return quoted + " is not an interface name (1 to 15 characters of A-Z a-z 0-9 _ . -)";
        n.bridge = value;
    } else if (key == "subnet") {
        auto c = net::parse_cidr(value);
        if (!c) return "subnet: " + c.error().op;
        if (c->prefix < 8 || c->prefix > 30)
            return quoted + ": the prefix length must be 8..30";
        uint32_t first = c->addr >> 24;
        if (first == 0 || first == 127 || first >= 224)
            return quoted + " is not a unicast range (not 0/8, 127/8, multicast or reserved)";
        n.subnet = net::to_string(net::Cidr{c->network(), c->prefix});
    } else if (key == "nat" || key == "isolate") {
        if (!parse_bool(value, key == "nat" ? n.nat : n.isolate))
            return quoted + " is not one of true, false, yes, no";
    } else if (key == "nft-table") {
        // nft's grammar: an identifier starts with a letter or '_'.
        bool first_ok = !value.empty() && (std::isalpha(static_cast<unsigned char>(value[0])) ||
                                           value[0] == '_');
        if (!first_ok || value.size() > 32 || !all_of_chars(value, "_-"))
            return quoted + " is not a table name (1 to 32 characters of A-Z a-z 0-9 _ -, "
                            "starting with a letter or _)";
        n.nft_table = value;
    } else if (key == "dns") {
        std::vector<std::string> servers;
        std::string_view rest = value;
        while (!rest.empty()) {
            size_t comma = rest.find(',');
            std::string item(trim(rest.substr(0, comma)));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            auto a = net::parse_ipv4(item);
            if (!a) return "dns: " + a.error().op + " (dns is a comma-separated list of IPv4 addresses)";
            servers.push_back(net::ipv4_to_string(*a));
        }
        n.dns = std::move(servers);
    }
    return "";
}

// userns-base, userns-size, userns-count into `p`; the problem, or "".
static std::string parse_userns_key(const std::string& key, const std::string& value, userns::IdPool& p) {
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size())
        return key + " '" + value + "' is not a number (0 .. 4294967295)";
    (key == "userns-base" ? p.base : key == "userns-size" ? p.size : p.count) = v;
    return "";
}

static bool is_creator_key(std::string_view key) {
    for (std::string_view k : {"create-group", "create-templates", "create-max-memory",
                               "create-max-ncpus", "create-max-processes"})
        if (key == k) return true;
    return false;
}

// One of the creator policy's keys into `p`; the problem with `value`, or "".
static std::string parse_creator_key(const std::string& key, const std::string& value,
                                     auth::CreatorPolicy& p) {
    auto quoted = key + " '" + value + "'";
    if (key == "create-group") {
        if (value.empty() || !all_of_chars(value, "_.-"))
            return quoted + " is not a group name";
        p.group = value;
    } else if (key == "create-templates") {
        p.templates.clear();
        std::string_view rest = value;
        while (!rest.empty()) {
            size_t comma = rest.find(',');
            std::string item(trim(rest.substr(0, comma)));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            if (item.empty() || !all_of_chars(item, "_.-"))
                return quoted + ": '" + item + "' is not a template name";
            p.templates.push_back(item);
        }
        if (p.templates.empty()) return quoted + " names no template";
    } else if (key == "create-max-memory") {
        auto v = config::parse_size(value);
        if (!v || *v == 0) return quoted + " is not a size such as 512M or 2G";
        p.max_memory = *v;
    } else if (key == "create-max-ncpus") {
        auto v = config::parse_ncpus_hundredths(value);
        if (!v || *v == 0) return quoted + " is not a number of CPUs such as 1.5";
        p.max_ncpus_hundredths = *v;
    } else if (key == "create-max-processes") {
        unsigned long long v = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || ptr != value.data() + value.size() || v == 0)
            return quoted + " is not a positive number";
        p.max_processes = v;
    }
    return "";
}

Result<DaemonConfig> parse_daemon_config(std::string_view text, const std::string& origin) {
    DaemonConfig cfg;
    int lineno = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++lineno;
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        std::string where = origin + ":" + std::to_string(lineno);
        size_t eq = line.find('=');
        if (eq == std::string_view::npos)
            return make_error("EINVAL", where + ": expected 'key = value', got '" + std::string(line) + "'");
        std::string key(trim(line.substr(0, eq)));
        std::string value(trim(line.substr(eq + 1)));
        if (key == "admin-group") {
            cfg.admin_group = value;
        } else if (key == "log-level") {
            if (!log::parse_level(value, cfg.log_level))
                return make_error("EINVAL", where + ": log-level '" + value +
                                                "' is not one of debug, info, warning, error");
        } else if (key == "cgroup-parent") {
            if (value.empty() || value.find("..") != std::string::npos)
                return make_error("EINVAL", where + ": cgroup-parent '" + value + "' is not a valid cgroup path");
            cfg.cgroup_parent = value;
        } else if (key == "shutdown-timeout") {
            int v = 0;
            auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
            if (ec != std::errc() || p != value.data() + value.size() || v < 0)
                return make_error("EINVAL", where + ": shutdown-timeout '" + value + "' is not a number of seconds");
            cfg.shutdown_timeout = v;
        } else if (key == "userns-base" || key == "userns-size" || key == "userns-count") {
            if (auto p = parse_userns_key(key, value, cfg.userns); !p.empty())
                return make_error("EINVAL", where + ": " + p);
        } else if (is_creator_key(key)) {
            if (auto p = parse_creator_key(key, value, cfg.creator); !p.empty())
                return make_error("EINVAL", where + ": " + p);
        } else if (is_network_key(key)) {
            if (auto p = parse_network_key(key, value, cfg.network); !p.empty())
                return make_error("EINVAL", where + ": " + p);
        } else {
            return make_error("EINVAL", where + ": unknown key '" + key + "'");
        }
    }
    if (auto p = userns::pool_problem(cfg.userns); !p.empty())
        return make_error("EINVAL", origin + ": " + p);
    if (cfg.creator.enabled() && cfg.creator.templates.empty()) cfg.creator.templates = {"default"};
    return cfg;
}

Result<DaemonConfig> load_daemon_config(const std::string& path) {
    TRY(text, fs::read_file(path));
    return parse_daemon_config(text, path);
}

} // namespace zone
