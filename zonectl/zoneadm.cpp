// zoneadm: list zones and drive their life cycle (Solaris zoneadm(8)).
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

#include "zonectl/common.hpp"

namespace zonectl {

namespace {

using zone::api::json;

int usage(const Tool& t) {
    std::fprintf(stderr,
                 "usage: %s list [-c] [-i] [-v] [-p]\n"
                 "       %s -z NAME verify | install | uninstall [-F] | boot | halt |\n"
                 "                  shutdown [-r] [-t SECONDS] | reboot\n"
                 "       %s -z NAME apply      (resource controls to the running zone)\n",
                 t.name.c_str(), t.name.c_str(), t.name.c_str());
    return kExitUsage;
}

// zoneadm list -p fields: ':' and '\\' escaped with '\\', as Solaris does.
std::string esc(const std::string& s) {
    std::string out;
    for (char ch : s) {
        if (ch == ':' || ch == '\\') out += '\\';
        out += ch;
    }
    return out;
}

std::string str(const json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// zoneadm list -v's CAPS column: "cpu=0.5,mem=64M,proc=64"; "-" for none.
std::string caps_text(const json& caps) {
    if (!caps.is_object() || caps.empty()) return "-";
    auto size = [](double b) {
        const char* units[] = {"", "K", "M", "G", "T"};
        int u = 0;
        while (b >= 1024 && u < 4) b /= 1024, ++u;
        char buf[32];
        std::snprintf(buf, sizeof buf, b == static_cast<long long>(b) ? "%.0f%s" : "%.1f%s", b, units[u]);
        return std::string(buf);
    };
    std::string out;
    auto add = [&](const std::string& s) { out += (out.empty() ? "" : ",") + s; };
    if (caps.contains("ncpus")) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "cpu=%g", caps["ncpus"].get<double>());
        add(buf);
    }
    if (caps.contains("cpus")) add("cpus=" + caps["cpus"].get<std::string>());
    else if (caps.contains("ncpus_dedicated"))
        add("ncpus=" + std::to_string(caps["ncpus_dedicated"].get<unsigned>()));
    if (caps.contains("cpu_shares")) add("shares=" + std::to_string(caps["cpu_shares"].get<unsigned>()));
    if (caps.contains("memory")) add("mem=" + size(caps["memory"].get<double>()));
    if (caps.contains("swap")) add("swap=" + size(caps["swap"].get<double>()));
    if (caps.contains("processes")) add("proc=" + std::to_string(caps["processes"].get<unsigned long long>()));
    if (caps.contains("io_shares")) add("io-shares=" + std::to_string(caps["io_shares"].get<unsigned>()));
    if (caps.contains("io")) add("io=" + std::to_string(caps["io"].size()) + "dev");
    return out.empty() ? "-" : out;
}

int list(Tool& t, const std::vector<std::string>& args) {
    bool all = false, installed = false, verbose = false, parseable = false;
    for (const auto& a : args) {
        if (a.size() < 2 || a[0] != '-') return usage(t);
        for (char ch : a.substr(1)) {
            if (ch == 'c') all = true;
            else if (ch == 'i') installed = true;
            else if (ch == 'v') verbose = true;
            else if (ch == 'p') parseable = true;
            else return usage(t);
        }
    }
    auto c = connect(t);
    if (!c) return report(t, c.error());
    auto r = c->call("zone.list", json::object());
    if (!r) return report(t, r.error());
    json rows = json::array();
    rows.push_back({{"id", 0}, {"name", "global"}, {"state", "running"}, {"path", "/"}, {"uuid", ""},
                    {"brand", "native"}, {"ip_type", "shared"}, {"image", ""}, {"last_exit", ""}});
    for (const auto& z : (*r)["zones"]) {
        std::string st = str(z, "state");
        bool running = st == "running" || st == "ready" || st == "shutting_down" || st == "down";
        bool inst = running || st == "installed" || st == "incomplete";
        if (!(running || (installed && inst) || all)) continue;
        rows.push_back(z);
    }
    bool any_changed = false;
    for (const auto& z : rows) {
        int id = z.value("id", -1);
        std::string ids = id >= 0 ? std::to_string(id) : "-";
        std::string image = str(z, "image");
        unsigned ver = z.value("image_version", 0U);
        if (!image.empty() && ver && image.find('@') == std::string::npos) image += "@" + std::to_string(ver);
        // A floating zone (image=NAME) picks a newer version up at its next boot.
        unsigned newest = z.value("image_newest", 0U);
        if (ver && newest > ver) image += " (" + std::to_string(newest) + " waits)";
        if (parseable) {
            std::printf("%s:%s:%s:%s:%s:%s:%s\n", ids.c_str(), str(z, "name").c_str(),
                        str(z, "state").c_str(), esc(str(z, "path")).c_str(), str(z, "uuid").c_str(),
                        str(z, "brand").c_str(), str(z, "ip_type").c_str());
        } else if (verbose) {
            if (&z == &rows[0])
                std::printf("  ID NAME             STATUS        PATH                           BRAND    IP     "
                            "ADDRESS            IMAGE          UIDS            CAPS                 LAST EXIT\n");
            std::string addr = str(z, "address");
            std::string state = str(z, "state");
            if (z.value("config_changed", false)) {
                state += "*";
                any_changed = true;
            }
            // UIDS: the host ids of a user-namespaced zone, BASE+COUNT.
            unsigned base = z.value("uid_base", 0U), count = z.value("uid_count", 0U);
            std::string uids = count ? std::to_string(base) + "+" + std::to_string(count) : "-";
            std::printf("%4s %-16s %-13s %-30s %-8s %-6s %-18s %-14s %-15s %-20s %s\n", ids.c_str(),
                        str(z, "name").c_str(), state.c_str(), str(z, "path").c_str(),
                        str(z, "brand").c_str(), str(z, "ip_type").c_str(),
                        addr.empty() ? "-" : addr.c_str(), image.empty() ? "-" : image.c_str(),
                        uids.c_str(), z.contains("caps") ? caps_text(z["caps"]).c_str() : "-",
                        str(z, "last_exit").empty() ? "-" : str(z, "last_exit").c_str());
        } else {
            std::printf("%s\n", str(z, "name").c_str());
        }
    }
    if (any_changed)
        std::printf("* the configuration changed since the zone booted; it applies at the next boot\n");
    return kExitOk;
}

int zone_command(Tool& t, const std::string& zone, const std::string& cmd,
                 const std::vector<std::string>& args) {
    json params{{"name", zone}};
    std::string method;
    bool reboot_after = false;
    if (cmd == "verify" || cmd == "install" || cmd == "boot" || cmd == "halt" || cmd == "reboot") {
        if (!args.empty()) return usage(t);
        method = "zone." + cmd;
    } else if (cmd == "uninstall") {
        for (const auto& a : args) {
            if (a == "-F") params["force"] = true;
            else return usage(t);
        }
        method = "zone.uninstall";
    } else if (cmd == "shutdown") {
        for (size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "-r") reboot_after = true;
            else if (args[i] == "-t" && i + 1 < args.size()) {
                char* end = nullptr;
                long v = std::strtol(args[++i].c_str(), &end, 10);
                if (!end || *end || v < 0) {
                    std::fprintf(stderr, "%s: -t '%s' is not a number of seconds\n", t.name.c_str(), args[i].c_str());
                    return kExitUsage;
                }
                params["timeout"] = v;
            } else return usage(t);
        }
        method = reboot_after ? "zone.reboot" : "zone.shutdown";
    } else if (cmd == "apply") {
        if (!args.empty()) return usage(t);
        method = "zone.apply";
    } else {
        std::fprintf(stderr, "%s: unknown subcommand '%s'\n", t.name.c_str(), cmd.c_str());
        return usage(t);
    }
    auto c = connect(t);
    if (!c) return report(t, c.error());
    auto r = c->call(method, params, {}, nullptr, [&](const json& p) {
        std::fprintf(stderr, "%s\n", p.value("message", p.dump()).c_str());
    });
    if (!r) return report(t, r.error());
    if (r->contains("message") && !r->value("changed", true))
        std::fprintf(stderr, "%s: %s\n", t.name.c_str(), str(*r, "message").c_str());
    return kExitOk;
}

} // namespace

int run_zoneadm(Tool& t) {
    std::string zone;
    size_t i = 0;
    auto& a = t.args;
    while (i < a.size() && a[i] == "-z" && i + 1 < a.size()) {
        zone = a[i + 1];
        i += 2;
    }
    if (i < a.size() && a[i].rfind("-z", 0) == 0 && a[i].size() > 2) zone = a[i++].substr(2);
    if (i >= a.size()) return usage(t);
    std::string cmd = a[i++];
    std::vector<std::string> rest(a.begin() + static_cast<long>(i), a.end());
    if (cmd == "list") return list(t, rest);
    if (cmd == "-h" || cmd == "help" || cmd == "--help") {
        usage(t);
        zoneadm_qa_usage(t);
        return kExitOk;
    }
    if (zone.empty()) {
        std::fprintf(stderr, "%s: '%s' needs a zone: -z NAME\n", t.name.c_str(), cmd.c_str());
        return kExitUsage;
    }
    if (int rc = zoneadm_qa_command(t, zone, cmd, rest); rc >= 0) return rc;
    return zone_command(t, zone, cmd, rest);
}

} // namespace zonectl
