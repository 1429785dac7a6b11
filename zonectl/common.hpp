// What every zonectl tool shares: its name for messages, the socket, and the
// mapping from errors to exit statuses.
#pragma once

#include <string>
#include <vector>

#include "runtime/api/client.hpp"
#include "runtime/common/error.hpp"

namespace zonectl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;          // the daemon refused or the operation failed
inline constexpr int kExitUsage = 2;          // bad command line or zonecfg input
inline constexpr int kExitNoDaemon = 3;       // zoned not reachable
inline constexpr int kExitNotAuthorized = 4;

struct Tool {
    std::string name;                 // "zonecfg", "zoneadm", ... (prefix of every message)
    std::string socket;               // resolved socket path
    std::vector<std::string> args;    // arguments after the tool selection (no argv[0])
};

// Prints "<tool>: <message>" to stderr and returns the exit status for it.
int report(const Tool& t, const zone::Error& e);
int exit_status_for(const zone::Error& e);

// Connects to zoned (a missing daemon is reported in plain words by the caller).
zone::Result<zone::api::Client> connect(const Tool& t);

// One tool per file.
int run_zonecfg(Tool& t);   // zonecfg.cpp
int run_zoneadm(Tool& t);   // zoneadm.cpp
int run_zlogin(Tool& t);    // zlogin.cpp
int run_zonestat(Tool& t);  // zonestat.cpp
int run_image(Tool& t);     // image.cpp
int run_template(Tool& t);  // template.cpp
// zoneadm's QA-cycle verbs (zoneadm_qa.cpp); -1 when `cmd` is none of them.
int zoneadm_qa_command(Tool& t, const std::string& zone, const std::string& cmd,
                       const std::vector<std::string>& args);
void zoneadm_qa_usage(const Tool& t);

} // namespace zonectl
