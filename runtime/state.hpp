// Zone life-cycle states (Solaris) and the state x command table.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zone {

enum class ZoneState { Configured, Incomplete, Installed, Ready, Running, ShuttingDown, Down };

std::string_view to_string(ZoneState s);
std::optional<ZoneState> parse_zone_state(std::string_view s);

enum class ZoneCommand {
    Install, Uninstall, Boot, Halt, Shutdown, Reboot, Delete, Login,
    // The QA cycle: commands on a zone's files (second table in state.cpp).
    Reset, CloneFrom, Snapshot, Rollback, Detach, Attach,
};

std::string_view to_string(ZoneCommand c);

// What a command does in a state.
enum class Verdict {
    Run,        // perform the transition
    AlreadyDone,// already in the target state: succeed without doing anything (illumos)
    Refuse,     // not allowed in this state
};

Verdict check_transition(ZoneState s, ZoneCommand c);

// "zone 'web' is running; halt it first" style explanation for Refuse.
std::string refusal_reason(ZoneState s, ZoneCommand c);

} // namespace zone
