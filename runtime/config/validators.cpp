// Value validators and the typed parsers behind them. Pure string checks: the
// only library calls are inet_pton/inet_ntop, which do no I/O.
#include "runtime/config/validators.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <sys/socket.h>

namespace zone::config {

namespace {

constexpr unsigned long long kMiB = 1024ULL * 1024ULL;
constexpr unsigned kMaxCpuIndex = 8191; // the kernel's largest NR_CPUS
constexpr unsigned kMaxNcpusHundredths = 1024 * 100;
constexpr unsigned long long kMaxUid = 4294967294ULL; // (uid_t)-1 means "no uid"

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c);
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
        if (pos == std::string_view::npos) return out;
        start = pos + 1;
    }
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> allowed) {
    return std::find(allowed.begin(), allowed.end(), s) != allowed.end();
}

// "'x' is not one of a, b, c"
std::string enum_problem(const PropValue& v, std::initializer_list<std::string_view> allowed) {
    if (one_of(v.scalar, allowed)) return "";
    std::string list;
    for (auto a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
    return valid::in_quotes(v.scalar) + " is not one of " + list;
}

std::string range_problem(std::string_view s, unsigned long long lo, unsigned long long hi) {
    auto n = valid::parse_uint(s, ULLONG_MAX);
    if (n && *n >= lo && *n <= hi) return "";
    return valid::in_quotes(s) + " is not an integer from " + std::to_string(lo) + " to " +
           std::to_string(hi);
}

// Characters that may follow the first one in zone and image names.
bool name_problem(std::string_view s) {
    if (s.empty() || s.size() > 63 || !is_alnum(s[0])) return true;
    return !std::all_of(s.begin(), s.end(),
                        [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

Error invalid(std::string msg) {
    return make_error(kInvalidConfig, std::move(msg));
}

// "N" or "N-M" with lo <= N <= M <= hi.
bool is_range(std::string_view s, unsigned lo, unsigned hi) {
    auto dash = s.find('-');
    auto a = valid::parse_uint(s.substr(0, dash), hi);
    if (!a || *a < lo) return false;
    if (dash == std::string_view::npos) return true;
    auto b = valid::parse_uint(s.substr(dash + 1), hi);
    return b && *b >= *a;
}

std::string lowercase_hint(std::string_view s) {
    bool upper = std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    return upper ? " (names are lowercase)" : "";
}

} // namespace

// ---- typed parsers (zone_config.hpp) ------------------------------------------

const std::vector<std::string_view>& capability_names() {
    // clang-format off
    static const std::vector<std::string_view> names = {
        "chown", "dac_override", "dac_read_search", "fowner", "fsetid",                  //  0
        "kill", "setgid", "setuid", "setpcap", "linux_immutable",                       //  5
        "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock",        // 10
        "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace",             // 15
        "sys_pacct", "sys_admin", "sys_boot", "sys_nice", "sys_resource",               // 20
        "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",                  // 25
        "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",              // 30
        "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",                  // 35
        "checkpoint_restore",                                                           // 40
    };
    // clang-format on
    return names;
}

Result<unsigned long long> parse_size(std::string_view s) {
    std::string_view digits = s;
    unsigned long long mult = 1;
    if (!s.empty() && !is_digit(s.back())) {
        switch (s.back()) {
        case 'k':
        case 'K':
            mult = 1024ULL;
            break;
        case 'm':
        case 'M':
            mult = kMiB;
            break;
        case 'g':
        case 'G':
            mult = kMiB * 1024;
            break;
        case 't':
        case 'T':
            mult = kMiB * kMiB;
            break;
        default:
            mult = 0;
        }
        digits.remove_suffix(1);
    }
    auto n = valid::parse_uint(digits, ULLONG_MAX);
    if (!n || mult == 0)
        return invalid(valid::in_quotes(s) +
                       " is not a size (a number with an optional K, M, G or T suffix)");
    if (*n > ULLONG_MAX / mult) return invalid(valid::in_quotes(s) + " is too large");
    return *n * mult;
}

Result<ImageRef> parse_image_ref(std::string_view s) {
    auto at = s.find('@');
    ImageRef ref{std::string(s.substr(0, at)), 0};
    if (name_problem(ref.name))
        return invalid(valid::in_quotes(s) +
                       " is not an image name (NAME or NAME@VERSION; NAME is 1-63 "
                       "characters of A-Z a-z 0-9 _ . -, starting with a letter or digit)");
    if (at == std::string_view::npos) return ref;
    std::string_view digits = s.substr(at + 1);
    auto v = valid::parse_uint(digits, UINT_MAX);
    if (!v || *v == 0 || digits[0] == '0') // versions are 1, 2, 3, ... as the store names them
        return invalid(valid::in_quotes(s) +
                       ": the image version after '@' must be a positive integer");
    ref.version = static_cast<unsigned>(*v);
    return ref;
}

Result<IpAddress> parse_ip_address(std::string_view s) {
    std::string text(s);
    unsigned char buf[16];
    char out[INET6_ADDRSTRLEN];
    for (int family : {AF_INET, AF_INET6}) {
        if (inet_pton(family, text.c_str(), buf) == 1 && inet_ntop(family, buf, out, sizeof out))
            return IpAddress{family, out, family == AF_INET ? 32U : 128U};
    }
    return invalid(valid::in_quotes(s) + " is not an IPv4 or IPv6 address");
}

Result<IpAddress> parse_ip_prefix(std::string_view s) {
    std::string msg = valid::in_quotes(s) + " is not an IPv4 or IPv6 address with a prefix length";
    auto slash = s.rfind('/');
    if (slash == std::string_view::npos) {
        if (parse_ip_address(s))
            return invalid(msg + " (add one, e.g. '" + std::string(s) + "/24')");
        return invalid(msg);
    }
    auto addr = parse_ip_address(s.substr(0, slash));
    if (!addr) return invalid(msg);
    auto prefix = valid::parse_uint(s.substr(slash + 1), addr->prefix);
    if (!prefix)
        return invalid(valid::in_quotes(s) + ": the prefix length must be 0.." +
                       std::to_string(addr->prefix));
    addr->prefix = static_cast<unsigned>(*prefix);
    return addr;
}

Result<unsigned long long> parse_rctl_value(std::string_view s) {
    if (s.empty() || s.front() != '(') {
        if (auto n = valid::parse_uint(s, ULLONG_MAX)) return *n;
        return invalid(valid::in_quotes(s) + " is not a non-negative integer or "
                                             "(priv=privileged,limit=N,action=deny)");
    }
    if (s.back() != ')') return invalid(valid::in_quotes(s) + ": missing ')'");
    std::map<std::string_view, std::string_view> fields;
    for (auto item : split(s.substr(1, s.size() - 2), ',')) {
        auto eq = item.find('=');
        auto key = item.substr(0, eq);
        if (eq == std::string_view::npos || !one_of(key, {"priv", "limit", "action"}))
            return invalid(valid::in_quotes(s) + ": " + valid::in_quotes(item) +
                           " is not one of priv=, limit=, action=");
        if (!fields.emplace(key, item.substr(eq + 1)).second)
            return invalid(valid::in_quotes(s) + ": " + std::string(key) + "= is given twice");
    }
    if (fields.size() != 3)
        return invalid(valid::in_quotes(s) + ": needs priv=, limit= and action=");
    if (fields["priv"] != "privileged")
        return invalid(valid::in_quotes(s) + ": priv must be 'privileged' (zone-wide limits only)");
    if (!one_of(fields["action"], {"deny", "none"}))
        return invalid(valid::in_quotes(s) + ": action must be 'deny' or 'none'");
    auto n = valid::parse_uint(fields["limit"], ULLONG_MAX);
    if (!n) return invalid(valid::in_quotes(s) + ": limit must be a non-negative integer");
    return *n;
}

Result<unsigned> parse_ncpus_hundredths(std::string_view s) {
    auto dot = s.find('.');
    auto whole = valid::parse_uint(s.substr(0, dot), 1024);
    unsigned long long frac = 0;
    bool ok = whole.has_value();
    if (ok && dot != std::string_view::npos) {
        std::string_view f = s.substr(dot + 1);
        auto n = valid::parse_uint(f, 99);
        ok = n && f.size() <= 2;
        if (ok) frac = f.size() == 1 ? *n * 10 : *n;
    }
    if (ok) {
        unsigned long long total = *whole * 100 + frac;
        if (total > 0 && total <= kMaxNcpusHundredths) return static_cast<unsigned>(total);
    }
    return invalid(valid::in_quotes(s) +
                   " is not a number of CPUs greater than 0 and at most 1024, "
                   "with at most 2 decimals (e.g. 1.5)");
}

// ---- building blocks ------------------------------------------------------------

namespace valid {

std::optional<unsigned long long> parse_uint(std::string_view s, unsigned long long max) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), is_digit)) return std::nullopt;
    unsigned long long n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || n > max) return std::nullopt;
    return n;
}

std::string in_quotes(std::string_view s) {
    return "'" + std::string(s) + "'";
}

std::string abs_path_problem(std::string_view s, bool allow_root) {
    if (s.empty() || s[0] != '/') return in_quotes(s) + " is not an absolute path";
    if (s == "/") return allow_root ? "" : in_quotes(s) + ": '/' itself is not allowed";
    for (auto comp : split(s.substr(1), '/')) {
        if (comp.empty()) return in_quotes(s) + " has an empty component ('//' or a trailing '/')";
        if (comp == "." || comp == "..")
            return in_quotes(s) + " has a '" + std::string(comp) + "' component";
    }
    return "";
}

bool is_user_name(std::string_view s) {
    if (s.empty() || s.size() > 32 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z'))) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return is_lower_alnum(c) || c == '_' || c == '.' || c == '-';
    });
}

// ---- global properties ----------------------------------------------------------

std::string boolean(const PropValue& v) {
    return one_of(v.scalar, {"true", "false"}) ? "" : in_quotes(v.scalar) + " is not true or false";
}

std::string image(const PropValue& v) {
    auto r = parse_image_ref(v.scalar);
    return r ? "" : r.error().op;
}

std::string owner(const PropValue& v) {
    if (is_user_name(v.scalar) || parse_uint(v.scalar, kMaxUid)) return "";
    return in_quotes(v.scalar) + " is not a user name ([a-z_][a-z0-9_.-]*, at most 32 characters) "
                                 "or a numeric uid";
}

std::string root_type(const PropValue& v) {
    return enum_problem(v, {"overlay", "copy"});
}

std::string hostname(const PropValue& v) {
    const std::string& s = v.scalar;
    std::string msg = in_quotes(s) + " is not a host name";
    if (s.empty() || s.size() > 64) return msg + " (1 to 64 characters)";
    for (auto label : split(s, '.')) {
        if (label.empty() || label.size() > 63)
            return msg + " (each dot-separated label has 1 to 63 characters)";
        if (!std::all_of(label.begin(), label.end(),
                         [](char c) { return is_alnum(c) || c == '-'; }))
            return msg + " (letters, digits and '-' only)";
        if (label.front() == '-' || label.back() == '-')
            return msg + " (a label cannot start or end with '-')";
    }
    return "";
}

std::string init(const PropValue& v) {
    if (v.scalar == "builtin") return "";
    std::string p = abs_path_problem(v.scalar, false);
    return p.empty() ? ""
                     : p + " (init is 'builtin' or the absolute path of a program in the zone)";
}

std::string ip_type(const PropValue& v) {
    return enum_problem(v, {"exclusive", "shared", "none"});
}

std::string limitpriv(const PropValue& v) {
    if (v.scalar.empty()) return "'' is not a privilege list";
    for (auto item : split(v.scalar, ',')) {
        std::string_view name = item;
        if (!name.empty() && (name[0] == '+' || name[0] == '-' || name[0] == '!'))
            name.remove_prefix(1);
        if (one_of(name, {"default", "all", "none", "basic"})) continue;
        std::string_view cap = name.substr(0, 4) == "cap_" ? name.substr(4) : name;
        const auto& caps = capability_names();
        if (!cap.empty() && std::find(caps.begin(), caps.end(), cap) != caps.end()) continue;
        return in_quotes(item) + " in " + in_quotes(v.scalar) +
               " is not a privilege (default, all, none, basic or a capability such as net_raw)" +
               lowercase_hint(item);
    }
    return "";
}

std::string userns(const PropValue& v) {
    return enum_problem(v, {"false", "true", "auto", "none"});
}

std::string security_profile(const PropValue& v) {
    return enum_problem(v, {"hardened", "system"});
}

std::string cpu_shares(const PropValue& v) {
    return range_problem(v.scalar, 1, 10000);
}

std::string max_processes(const PropValue& v) {
    return range_problem(v.scalar, 1, 4194304);
}

// ---- resource properties --------------------------------------------------------

std::string net_address(const PropValue& v) {
    if (v.scalar == "auto") return "";
    auto r = parse_ip_prefix(v.scalar);
    return r ? "" : r.error().op;
}

std::string ifname(const PropValue& v) {
    const std::string& s = v.scalar;
    bool bad_char = std::any_of(s.begin(), s.end(), [](char c) {
        return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\v' ||
               c == '\f' || c == '\r';
    });
    if (s.empty() || s.size() > 15 || s == "." || s == ".." || bad_char)
        return in_quotes(s) +
               " is not an interface name (1 to 15 characters, no '/', ':' or spaces, "
               "not '.' or '..')";
    return "";
}

// [HOSTPORT:ZONEPORT[/tcp|/udp], ...]: port forwards from the host to the zone.
std::string net_forwards(const PropValue& v) {
    for (const auto& item : v.list) {
        std::string_view s = item;
        std::string_view proto = "tcp";
        if (auto slash = s.find('/'); slash != std::string_view::npos) {
            proto = s.substr(slash + 1);
            s = s.substr(0, slash);
        }
        auto colon = s.find(':');
        bool ok = colon != std::string_view::npos && (proto == "tcp" || proto == "udp");
        if (ok) {
            auto host = parse_uint(s.substr(0, colon), 65535);
            auto zone = parse_uint(s.substr(colon + 1), 65535);
            ok = host && zone && *host > 0 && *zone > 0;
        }
        if (!ok)
            return in_quotes(item) + " is not a port forward HOSTPORT:ZONEPORT[/tcp|/udp] with ports 1-65535";
    }
    return "";
}

std::string ip_address(const PropValue& v) {
    auto r = parse_ip_address(v.scalar);
    return r ? ""
             : r.error().op + (v.scalar.find('/') != std::string::npos ? " (no '/N' here)" : "");
}

std::string fs_dir(const PropValue& v) {
    return abs_path_problem(v.scalar, false);
}

std::string fs_special(const PropValue& v) {
    return v.scalar.empty() ? "'' is empty (a host path for lofs, any word for tmpfs)" : "";
}

std::string fs_type(const PropValue& v) {
    return enum_problem(v, {"lofs", "tmpfs"});
}

std::string fs_options(const PropValue& v) {
    std::set<std::string_view> seen;
    for (const auto& item : v.list) {
        std::string_view o = item;
        auto eq = o.find('=');
        std::string_view key = o.substr(0, eq == std::string_view::npos ? o.size() : eq + 1);
        if (key == "size=") {
            auto n = parse_size(o.substr(5));
            if (!n || *n == 0) return in_quotes(o) + ": size must be a positive size such as 64M";
        } else if (key == "mode=") {
            std::string_view m = o.substr(5);
            bool octal = !m.empty() && m.size() <= 4 && std::all_of(m.begin(), m.end(), [](char c) {
                return c >= '0' && c <= '7';
            });
            if (!octal) return in_quotes(o) + ": mode must be an octal number such as 0755";
        } else if (!one_of(o, {"ro", "rw", "nosuid", "nodevices", "nodev", "noexec"})) {
            return in_quotes(o) + " is not an fs option (ro, rw, nosuid, nodevices, nodev, noexec, "
                                  "size=SIZE, mode=OCTAL)";
        }
        if (!seen.insert(key).second) return in_quotes(key) + " is given more than once";
    }
    if (seen.count("ro") && seen.count("rw")) return "'ro' and 'rw' conflict";
    return "";
}

std::string capped_ncpus(const PropValue& v) {
    auto r = parse_ncpus_hundredths(v.scalar);
    return r ? "" : r.error().op;
}

std::string dedicated_ncpus(const PropValue& v) {
    if (is_range(v.scalar, 1, kMaxCpuIndex + 1)) return "";
    return in_quotes(v.scalar) + " is not a positive number of CPUs or a range N-M (e.g. 2 or 2-4)";
}

std::string cpu_list(const PropValue& v) {
    auto items = split(v.scalar, ',');
    if (std::all_of(items.begin(), items.end(),
                    [](auto i) { return is_range(i, 0, kMaxCpuIndex); }))
        return "";
    return in_quotes(v.scalar) + " is not a CPU list such as 0-1,3 (CPU numbers 0.." +
           std::to_string(kMaxCpuIndex) + ")";
}

std::string memory_physical(const PropValue& v) {
    auto n = parse_size(v.scalar);
    if (!n) return n.error().op;
    return *n >= kMiB ? "" : in_quotes(v.scalar) + " is less than the minimum of 1M";
}

std::string memory_swap(const PropValue& v) {
    auto n = parse_size(v.scalar);
    return n ? "" : n.error().op;
}

std::string rctl_name(const PropValue& v) {
    return enum_problem(v, {"zone.max-processes", "zone.max-lwps", "zone.cpu-shares",
                            "zone.cpu-cap", "zone.max-swap"});
}

std::string rctl_value(const PropValue& v) {
    auto n = parse_rctl_value(v.scalar);
    return n ? "" : n.error().op;
}

std::string user_name(const PropValue& v) {
    if (is_user_name(v.scalar)) return "";
    return in_quotes(v.scalar) + " is not a user name ([a-z_][a-z0-9_.-]*, at most 32 characters)";
}

std::string auths(const PropValue& v) {
    if (v.list.empty()) return "the list is empty (login, manage, clone)";
    std::set<std::string_view> seen;
    for (const auto& a : v.list) {
        if (!one_of(a, {"login", "manage", "clone"}))
            return in_quotes(a) + " is not an authorization (login, manage, clone)";
        if (!seen.insert(a).second) return in_quotes(a) + " is given more than once";
    }
    return "";
}

std::string attr_name(const PropValue& v) {
    const std::string& s = v.scalar;
    bool ok = !s.empty() && s.size() <= 64 && is_alnum(s[0]) &&
              std::all_of(s.begin(), s.end(), [](char c) {
                  return is_alnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
              });
    return ok ? ""
              : in_quotes(s) +
                    " is not an attribute name (1 to 64 characters of A-Z a-z 0-9 _ . : -, "
                    "starting with a letter or digit)";
}

std::string attr_type(const PropValue& v) {
    return enum_problem(v, {"string", "int", "uint", "boolean"});
}

std::string any_text(const PropValue&) {
    return "";
}

std::string attr_value_for_type(std::string_view type, std::string_view value) {
    if (type == "boolean")
        return one_of(value, {"true", "false"})
                   ? ""
                   : in_quotes(value) + " is not a boolean (true or false)";
    if (type == "uint")
        return parse_uint(value, ULLONG_MAX) ? ""
                                             : in_quotes(value) + " is not an unsigned integer";
    if (type == "int") {
        std::string_view digits = value.substr(!value.empty() && value[0] == '-' ? 1 : 0);
        auto n = parse_uint(digits, digits.size() == value.size() ? INT64_MAX : 1ULL + INT64_MAX);
        return n ? "" : in_quotes(value) + " is not a (64-bit) integer";
    }
    return "";
}

// ---- block I/O (device-io, io-shares) ---------------------------------------------

std::string io_shares(const PropValue& v) {
    return range_problem(v.scalar, 1, 10000);
}

std::string block_device(const PropValue& v) {
    const std::string& s = v.scalar;
    auto colon = s.find(':');
    if (colon != std::string::npos) {
        if (parse_uint(s.substr(0, colon), 4095) && parse_uint(s.substr(colon + 1), 1048575))
            return "";
        return in_quotes(s) + " is not a device number MAJOR:MINOR such as 8:0";
    }
    if (s.rfind("/dev/", 0) == 0 && abs_path_problem(s, false).empty()) return "";
    return in_quotes(s) + " is not a block device: give /dev/NAME or MAJOR:MINOR";
}

std::string io_bytes_rate(const PropValue& v) {
    auto n = parse_size(v.scalar);
    if (!n) return n.error().op;
    return *n > 0 ? "" : in_quotes(v.scalar) + " must be more than 0 bytes per second";
}

std::string io_ops_rate(const PropValue& v) {
    return range_problem(v.scalar, 1, 1ULL << 40);
}

} // namespace valid

} // namespace zone::config
