#include "state.hpp"

#include <array>

namespace zone {

namespace {
constexpr std::array<std::string_view, 7> kStateNames = {
    "configured", "incomplete", "installed", "ready", "running", "shutting_down", "down"};
constexpr std::array<std::string_view, 14> kCommandNames = {
    "install", "uninstall", "boot", "halt", "shutdown", "reboot", "delete", "login",
    "reset", "clone from", "snapshot", "roll back", "detach", "attach"};

using V = Verdict;
// Rows: states in enum order; columns: commands in enum order.
//                                   install       uninstall     boot          halt          shutdown      reboot        delete        login
constexpr V kTable[7][8] = {
    /* configured    */ {V::Run,        V::AlreadyDone, V::Refuse,    V::AlreadyDone, V::AlreadyDone, V::Refuse,  V::Run,    V::Refuse},
    /* incomplete    */ {V::Refuse,     V::Run,       V::Refuse,      V::Refuse,    V::Refuse,      V::Refuse,    V::Refuse, V::Refuse},
    /* installed     */ {V::AlreadyDone, V::Run,      V::Run,         V::AlreadyDone, V::AlreadyDone, V::Refuse,  V::Refuse, V::Refuse},
    /* ready         */ {V::Refuse,     V::Refuse,    V::Run,         V::Run,       V::Run,         V::Run,       V::Refuse, V::Refuse},
    /* running       */ {V::Refuse,     V::Refuse,    V::AlreadyDone, V::Run,       V::Run,         V::Run,       V::Refuse, V::Run},
    /* shutting_down */ {V::Refuse,     V::Refuse,    V::Refuse,      V::Run,       V::Refuse,      V::Refuse,    V::Refuse, V::Refuse},
    /* down          */ {V::Refuse,     V::Refuse,    V::Refuse,      V::Run,       V::Refuse,      V::Refuse,    V::Refuse, V::Refuse},
};

// The QA cycle's commands work on a zone's files. Those that replace the
// files (reset, rollback, detach) need a zone that does not run; those that
// only read them (clone from, snapshot) also take a running zone, which is
// frozen while its files are copied. Attach on `configured` is for a
// detached zone or an archive (the operation checks which).
//                                   reset      clone from snapshot   rollback   detach     attach
constexpr V kFilesTable[7][6] = {
    /* configured    */ {V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Run},
    /* incomplete    */ {V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Refuse},
    /* installed     */ {V::Run,    V::Run,    V::Run,    V::Run,    V::Run,    V::AlreadyDone},
    /* ready         */ {V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Refuse},
    /* running       */ {V::Refuse, V::Run,    V::Run,    V::Refuse, V::Refuse, V::AlreadyDone},
    /* shutting_down */ {V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Refuse},
    /* down          */ {V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Refuse, V::Refuse},
};
constexpr size_t kFirstFilesCommand = static_cast<size_t>(ZoneCommand::Reset);
} // namespace

std::string_view to_string(ZoneState s) { return kStateNames[static_cast<size_t>(s)]; }

std::optional<ZoneState> parse_zone_state(std::string_view s) {
    for (size_t i = 0; i < kStateNames.size(); ++i)
        if (kStateNames[i] == s) return static_cast<ZoneState>(i);
    return std::nullopt;
}

std::string_view to_string(ZoneCommand c) { return kCommandNames[static_cast<size_t>(c)]; }

Verdict check_transition(ZoneState s, ZoneCommand c) {
    size_t col = static_cast<size_t>(c);
    if (col >= kFirstFilesCommand) return kFilesTable[static_cast<size_t>(s)][col - kFirstFilesCommand];
    return kTable[static_cast<size_t>(s)][col];
}

std::string refusal_reason(ZoneState s, ZoneCommand c) {
    std::string msg = "cannot " + std::string(to_string(c)) + " a zone in state '" +
                      std::string(to_string(s)) + "'";
    switch (s) {
    case ZoneState::Configured: msg += "; install it first"; break;
    case ZoneState::Incomplete: msg += "; run 'zoneadm uninstall -F' to clear it"; break;
    case ZoneState::Installed:
        msg += c == ZoneCommand::Delete ? "; uninstall it first" : "; boot it first";
        break;
    case ZoneState::Running:
    case ZoneState::Ready: msg += "; halt it first"; break;
    default: break;
    }
    return msg;
}

} // namespace zone
