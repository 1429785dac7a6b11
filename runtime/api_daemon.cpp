// daemon.* methods: what this daemon is.
#include <unistd.h>

#include "runtime/daemon.hpp"

namespace zone {

namespace {

// Which cgroup driver zones get, and what it can enforce.
api::json cgroups_info(const cg::Driver& d) {
    api::json controllers = api::json::array();
    for (const auto& c : d.controllers()) controllers.push_back(c);
    return {{"driver", std::string(d.name())},
            {"description", d.describe()},
            {"controllers", controllers},
            {"parent", d.parent_dirs().v2}};
}

} // namespace

std::vector<Method> daemon_methods() {
    return {
        {"daemon.ping", Access::Anyone, [](Call&) -> Result<api::json> { return api::json::object(); }},
        {"daemon.info", Access::Anyone,
         [](Call& c) -> Result<api::json> {
             const Paths& p = c.daemon.paths();
             return api::json{{"version", ZONE_VERSION},
                              {"protocol", api::kProtocolVersion},
                              {"pid", ::getpid()},
                              {"root", p.root},
                              {"run_dir", p.run_dir},
                              {"socket", p.socket_path()},
                              {"cgroups", cgroups_info(c.daemon.cgroups())}};
         }},
    };
}

} // namespace zone
