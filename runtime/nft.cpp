#include "nft.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

#include <nftables/libnftables.h>

#include "runtime/common/fd.hpp"

namespace zone::net {

// nft's identifiers start with a letter or '_' ("1x" or "-x" do not parse).
static bool is_table_name(const std::string& s) {
    return !s.empty() && s.size() <= 32 &&
           (std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_') &&
           std::all_of(s.begin(), s.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
           });
}

// Names that can sit inside an nft double-quoted string untouched.
static bool is_quotable(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
}

// The pool as nft wants a prefix: host bits cleared ("10.88.0.0/16").
static std::string subnet_of(const NetworkConfig& cfg) {
    auto c = parse_cidr(cfg.subnet);
    return c ? to_string(Cidr{c->network(), c->prefix}) : cfg.subnet;
}

// One DNAT rule per forward. `local_only` (fib daddr type local): only
// connections to one of the host's own addresses (the gateway included) are
// forwarded, never a zone's or the host's outgoing traffic to some other
// machine's port that happens to have the same number.
static std::string dnat_rules(const std::vector<Forward>& forwards) {
    std::string out;
    for (const auto& f : forwards) {
        out += "\t\tfib daddr type local " + f.proto + " dport " + std::to_string(f.host_port) +
               " dnat to " + ipv4_to_string(f.zone_addr) + ":" + std::to_string(f.zone_port);
        if (!f.zone.empty() && is_quotable(f.zone)) out += " comment \"zone " + f.zone + "\"";
        out += "\n";
    }
    return out;
}

std::string render_ruleset(const NetworkConfig& cfg, const std::vector<Forward>& forwards) {
    const std::string table = "table ip " + cfg.nft_table;
    const std::string subnet = subnet_of(cfg);
    // Creating the table first makes the delete succeed when it is absent;
    // the three commands run as one transaction.
    std::string out = table + " {}\ndelete " + table + "\n" + table + " {\n";
    if (cfg.nat) {
        out += "\tchain postrouting {\n"
               "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
               "\t\tip saddr " +
               subnet + " ip daddr != " + subnet + " masquerade\n";
        // Hairpin: a zone reaching another zone's forward through a host
        // address must see the answer come from that address.
        if (!forwards.empty())
            out +=
                "\t\tip saddr " + subnet + " ip daddr " + subnet + " ct status dnat masquerade\n";
        out += "\t}\n";
    }
    if (!forwards.empty()) {
        std::string rules = dnat_rules(forwards);
        out += "\tchain prerouting {\n"
               "\t\ttype nat hook prerouting priority dstnat; policy accept;\n" +
               rules + "\t}\n";
        // Connections the host itself opens (to the gateway or any local
        // address) do not pass prerouting.
        out += "\tchain output {\n"
               "\t\ttype nat hook output priority -100; policy accept;\n" +
               rules + "\t}\n";
    }
    // Zone-to-zone frames are bridged, not routed: this hook sees them only
    // through br_netfilter (bridge-nf-call-iptables, or the bridge's own
    // nf_call_iptables). Routed zone-to-zone traffic (a hairpin forward) is
    // dropped here in any case.
    if (cfg.isolate) {
        out += "\tchain forward {\n"
               "\t\ttype filter hook forward priority filter; policy accept;\n"
               "\t\tiifname \"" +
               cfg.bridge + "\" oifname \"" + cfg.bridge +
               "\" drop\n"
               "\t}\n";
    }
    out += "}\n";
    return out;
}

// What could break the script's syntax or aim it at another table is
// refused before nft sees it.
static Result<void> check_config(const NetworkConfig& cfg, const std::vector<Forward>& forwards) {
    if (!is_table_name(cfg.nft_table))
        return make_error(
            "EINVAL", "nft table '" + cfg.nft_table +
                          "' is not a name of 1-32 characters of A-Z a-z 0-9 _ -, starting with "
                          "a letter or _");
    if (cfg.bridge.empty() || cfg.bridge.size() > 15 || !is_quotable(cfg.bridge))
        return make_error("EINVAL", "bridge '" + cfg.bridge + "' is not an interface name");
    TRY_VOID(parse_cidr(cfg.subnet));
    for (const auto& f : forwards)
        if ((f.proto != "tcp" && f.proto != "udp") || f.host_port == 0 || f.zone_port == 0)
            return make_error("EINVAL", "forward " + std::to_string(f.host_port) + ":" +
                                            std::to_string(f.zone_port) + "/" + f.proto +
                                            " of zone '" + f.zone + "' is not valid");
    return ok();
}

// nft's error buffer: "Error: ..." lines, each followed by the source line
// and a caret line. Keeps the first few messages on one line.
static std::string summarize_nft_errors(const std::string& text) {
    std::vector<std::string> errors;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        if (line.rfind("Error: ", 0) == 0) errors.push_back(line.substr(7));
    }
    if (errors.empty()) {
        std::string t = text;
        while (!t.empty() && (t.back() == '\n' || t.back() == ' '))
            t.pop_back();
        return t;
    }
    std::string out;
    for (size_t i = 0; i < errors.size() && i < 3; ++i)
        out += (i ? "; " : "") + errors[i];
    if (errors.size() > 3) out += " (and " + std::to_string(errors.size() - 3) + " more errors)";
    return out;
}

// libnftables keeps little global state, but serializing is cheap and
// spares us from finding out.
static std::mutex nft_mu;

static Result<void> run_nft(const std::string& script, const std::string& what) {
    std::lock_guard g(nft_mu);
    nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!ctx) return make_error("ENOMEM", what + ": nft_ctx_new failed");
    ScopeExit free_ctx([ctx] { nft_ctx_free(ctx); });
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    if (nft_run_cmd_from_buffer(ctx, script.c_str()) == 0) return ok();
    // Read once: each call rewinds nft's buffer, a second one returns "".
    const char* buffered = nft_ctx_get_error_buffer(ctx);
    std::string err = summarize_nft_errors(buffered ? buffered : "");
    // nft's "Error: ...: Operation not permitted" is the usual one without CAP_NET_ADMIN.
    std::string code = err.find("Operation not permitted") != std::string::npos ? "EPERM" : "EIO";
    return make_error(code, what + ": nft: " + (err.empty() ? "failed without a message" : err));
}

Result<void> apply_ruleset(const NetworkConfig& cfg, const std::vector<Forward>& forwards) {
    std::string what = "replacing nft table ip " + cfg.nft_table;
    if (auto r = check_config(cfg, forwards); !r) return std::move(r).error().wrap(what);
    return run_nft(render_ruleset(cfg, forwards), what);
}

Result<void> remove_ruleset(const NetworkConfig& cfg) {
    std::string what = "removing nft table ip " + cfg.nft_table;
    if (!is_table_name(cfg.nft_table)) return make_error("EINVAL", what + ": not a table name");
    // Declaring it first makes the delete a no-op success when it is absent.
    return run_nft("table ip " + cfg.nft_table + " {}\ndelete table ip " + cfg.nft_table + "\n",
                   what);
}

} // namespace zone::net
