// zone.install / uninstall / boot / halt / shutdown / reboot / console:
// the state x command table decides, one function per cell.
#include <sys/socket.h>

#include "runtime/api/socket.hpp"
#include "runtime/common/log.hpp"
#include "runtime/zone_ops.hpp"

namespace zone {

namespace {

// Applies the state table: an error for a refused command, a "nothing to
// do" answer for one already done, or nothing (run it).
std::optional<Result<api::json>> gate(Zone& z, ZoneCommand c) {
    switch (check_transition(z.status.state, c)) {
    case Verdict::Run: return std::nullopt;
    case Verdict::AlreadyDone:
        return api::json{{"name", z.name},
                         {"changed", false},
                         {"state", std::string(to_string(z.status.state))},
                         {"message", "zone '" + z.name + "' is already " +
                                         std::string(to_string(z.status.state))}};
    case Verdict::Refuse: break;
    }
    return Result<api::json>(make_error(api::code::kBadState,
                                        "zone '" + z.name + "': " + refusal_reason(z.status.state, c)));
}

api::json done(Zone& z) {
    return api::json{{"name", z.name}, {"changed", true}, {"state", std::string(to_string(z.status.state))}};
}

template <ZoneCommand C, typename F> Result<api::json> run(Call& c, F body) {
    TRY(lk, lock_zone_param(c));
    if (auto g = gate(*lk, C)) return std::move(*g);
    TRY_VOID(body(lk));
    return done(*lk);
}

Result<api::json> zone_install(Call& c) {
    return run<ZoneCommand::Install>(c, [&](ZoneLock& lk) { return install_zone(c.daemon, *lk); });
}

Result<api::json> zone_uninstall(Call& c) {
    TRY(force, api::param_bool(c.params, "force", false));
    return run<ZoneCommand::Uninstall>(c, [&](ZoneLock& lk) { return uninstall_zone(c.daemon, *lk, force); });
}

Result<api::json> zone_boot(Call& c) {
    return run<ZoneCommand::Boot>(c, [&](ZoneLock& lk) { return boot_zone(c.daemon, lk.ptr()); });
}

Result<api::json> zone_halt(Call& c) {
    return run<ZoneCommand::Halt>(c, [&](ZoneLock& lk) { return halt_zone(c.daemon, *lk); });
}

// Seconds to wait for a zone to stop by itself: 0 .. one day.
Result<long long> shutdown_timeout(Call& c) {
    TRY(t, api::param_int(c.params, "timeout", c.daemon.config().shutdown_timeout));
    if (t < 0 || t > 86400)
        return make_error(api::code::kInvalidParams, "parameter 'timeout' must be 0..86400 seconds");
    return t;
}

Result<api::json> zone_shutdown(Call& c) {
    TRY(t, shutdown_timeout(c));
    return run<ZoneCommand::Shutdown>(c, [&](ZoneLock& lk) {
        return shutdown_zone(c.daemon, *lk, static_cast<int>(t));
    });
}

Result<api::json> zone_reboot(Call& c) {
    TRY(t, shutdown_timeout(c));
    return run<ZoneCommand::Reboot>(c, [&](ZoneLock& lk) -> Result<void> {
        TRY_VOID(shutdown_zone(c.daemon, *lk, static_cast<int>(t)));
        return boot_zone(c.daemon, lk.ptr());
    });
}

// zlogin -C: a connection to the monitor's console socket, handed to the
// client so console data never flows through zoned.
Result<api::json> zone_console(Call& c) {
    TRY(lk, lock_zone_param(c));
    if (lk->status.state != ZoneState::Running)
        return make_error(api::code::kBadState, "zone '" + lk->name + "' is not running");
    TRY(fd, api::connect_unix(c.daemon.paths().zone_run_dir(lk->name) + "/console.sock"));
    c.reply_fds.push_back(std::move(fd));
    return api::json{{"name", lk->name}};
}

} // namespace

std::vector<Method> zone_run_methods() {
    return {
        {"zone.install", Access::Manage, zone_install},
        {"zone.uninstall", Access::Own, zone_uninstall},
        {"zone.boot", Access::Manage, zone_boot},
        {"zone.halt", Access::Manage, zone_halt},
        {"zone.shutdown", Access::Manage, zone_shutdown},
        {"zone.reboot", Access::Manage, zone_reboot},
        {"zone.console", Access::Login, zone_console},
    };
}

} // namespace zone
