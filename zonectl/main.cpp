// zonectl: one binary for zonecfg, zoneadm, zlogin and zonestat; argv[0]
// picks the tool, or `zonectl cfg|adm|login|stat|image ...`.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "zonectl/common.hpp"

using namespace zonectl;

namespace zonectl {

int exit_status_for(const zone::Error& e) {
    namespace c = zone::api::code;
    if (e.code == c::kNoDaemon) return kExitNoDaemon;
    if (e.code == c::kNotAuthorized) return kExitNotAuthorized;
    return kExitError;
}

int report(const Tool& t, const zone::Error& e) {
    std::fprintf(stderr, "%s: %s\n", t.name.c_str(), e.message().c_str());
    return exit_status_for(e);
}

zone::Result<zone::api::Client> connect(const Tool& t) { return zone::api::Client::connect(t.socket); }

} // namespace zonectl

static void usage() {
    std::fprintf(stderr,
                 "usage: zonectl [--socket PATH] TOOL [ARGS...]\n"
                 "tools: cfg (zonecfg), adm (zoneadm), login (zlogin), stat (zonestat), image, template\n"
                 "zonectl is also installed as zonecfg, zoneadm, zlogin and zonestat.\n");
}

int main(int argc, char** argv) {
    Tool t;
    const char* slash = std::strrchr(argv[0], '/');
    t.name = slash ? slash + 1 : argv[0];
    std::string explicit_socket;
    int i = 1;
    // --socket PATH is accepted before the tool's own arguments, for every tool.
    auto take_socket = [&]() {
        while (i < argc) {
            if (!std::strcmp(argv[i], "--socket") && i + 1 < argc) {
                explicit_socket = argv[i + 1];
                i += 2;
            } else if (!std::strncmp(argv[i], "--socket=", 9)) {
                explicit_socket = argv[i] + 9;
                ++i;
            } else {
                break;
            }
        }
    };
    take_socket();
    if (t.name == "zonectl" || t.name.rfind("zonectl", 0) == 0) {
        if (i >= argc || !std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
            usage();
            return i >= argc ? kExitUsage : kExitOk;
        }
        std::string sub = argv[i++];
        if (sub == "cfg" || sub == "zonecfg") t.name = "zonecfg";
        else if (sub == "adm" || sub == "zoneadm") t.name = "zoneadm";
        else if (sub == "login" || sub == "zlogin") t.name = "zlogin";
        else if (sub == "stat" || sub == "zonestat") t.name = "zonestat";
        else if (sub == "image") t.name = "zonectl image";
        else if (sub == "template") t.name = "zonectl template";
        else {
            std::fprintf(stderr, "zonectl: unknown tool '%s'\n", sub.c_str());
            usage();
            return kExitUsage;
        }
        take_socket();
    }
    for (; i < argc; ++i) t.args.emplace_back(argv[i]);
    t.socket = zone::api::Client::resolve_socket(explicit_socket);
    if (t.name == "zonecfg") return run_zonecfg(t);
    if (t.name == "zoneadm") return run_zoneadm(t);
    if (t.name == "zlogin") return run_zlogin(t);
    if (t.name == "zonestat") return run_zonestat(t);
    if (t.name == "zonectl image") return run_image(t);
    if (t.name == "zonectl template") return run_template(t);
    std::fprintf(stderr, "zonectl: called as '%s', which is not one of zonecfg, zoneadm, zlogin, zonestat\n",
                 t.name.c_str());
    return kExitUsage;
}
