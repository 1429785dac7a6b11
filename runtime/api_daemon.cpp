// daemon.* methods: what this daemon is.
#include <unistd.h>

#include "runtime/daemon.hpp"

namespace zone {

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
                              {"socket", p.socket_path()}};
         }},
    };
}

} // namespace zone
