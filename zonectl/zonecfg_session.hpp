// A zonecfg session: the configuration being edited, the resource scope, and
// the meaning of each command (Solaris zonecfg semantics). It reaches zoned
// only through Backend, so the whole language runs in unit tests against an
// in-memory fake.
//
// Changes stay in the session until `commit`. A new zone needs `create`
// first; `create` on an existing zone needs -F. Non-interactive input stops
// at the first error and commits nothing; otherwise it is committed at the
// end (finish()), as Solaris zonecfg does.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "zonectl/zonecfg_output.hpp"
#include "zonectl/zonecfg_parser.hpp"

namespace zonectl::zonecfg {

// Where configurations live: zoned in production, memory in tests.
class Backend {
  public:
    virtual ~Backend() = default;
    // The committed configuration; nullopt when no zone has that name.
    virtual zone::Result<std::optional<config::ZoneConfig>> load(const std::string& zone) = 0;
    // Stores cfg (cfg.name says which zone); `create` refuses to replace an
    // existing zone. Returns the zone's uuid.
    virtual zone::Result<std::string> commit(const config::ZoneConfig& cfg, bool create) = 0;
    virtual zone::Result<void> remove(const std::string& zone) = 0;
    virtual zone::Result<config::ZoneConfig> fetch_template(const std::string& name) = 0;
};

struct SessionIo {
    std::ostream* out = nullptr; // info, export, help
    // A yes/no question (interactive only); returns the answer, `dflt` on an empty line.
    std::function<bool(const std::string& question, bool dflt)> confirm;
    // export -f FILE
    std::function<zone::Result<void>(const std::string& path, const std::string& text)> write_file;
};

class Session {
  public:
    Session(std::string zone, Backend& backend, SessionIo io, bool interactive);

    // Fetches the committed configuration (done before the first command if not called).
    zone::Result<void> load();
    zone::Result<void> run(const Command& cmd);
    // End of non-interactive input: refuses an open resource scope, commits
    // pending changes unless `exit -F` dropped them.
    zone::Result<void> finish();

    bool done() const { return done_; }     // `exit` ran
    bool exists() const { return exists_; } // the zone is committed in zoned
    bool dirty() const;                     // changes not yet committed
    // Whether the last failure came from zoned (exit status from its code)
    // rather than from the input (exit status kExitUsage).
    bool failed_in_daemon() const { return failed_in_daemon_; }
    std::string prompt() const; // "zonecfg:web> ", "zonecfg:web:net> "
    const config::ZoneConfig* config() const { return have_config_ ? &config_ : nullptr; }

  private:
    struct Scope {
        config::Resource res;
        std::optional<std::size_t> index; // the selected resource; none for `add`
    };

    zone::Result<void> dispatch(const Command& c);
    zone::Result<void> check_scope(const Command& c) const;
    zone::Result<void> cmd_create(const Command& c);
    zone::Result<void> cmd_set(const Command& c);
    zone::Result<void> cmd_clear(const Command& c);
    zone::Result<void> cmd_add(const Command& c);
    zone::Result<void> cmd_select(const Command& c);
    zone::Result<void> cmd_remove(const Command& c);
    zone::Result<void> cmd_list_edit(const Command& c); // add/remove PROP VALUE in a scope
    zone::Result<void> cmd_end();
    zone::Result<void> cmd_info(const Command& c);
    zone::Result<void> cmd_export(const Command& c);
    zone::Result<void> cmd_revert(const Command& c);
    zone::Result<void> cmd_delete(const Command& c);
    zone::Result<void> cmd_exit(const Command& c);
    zone::Result<void> cmd_help(const Command& c);
    zone::Result<void> commit_now();
    // The resources of `type` that match every assignment of `c`.
    zone::Result<std::vector<std::size_t>> matches(const std::string& type, const Command& c) const;
    bool ask(const std::string& question, bool dflt) const;
    template <typename T> zone::Result<T> from_daemon(zone::Result<T> r);

    std::string zone_;
    Backend& backend_;
    SessionIo io_;
    bool interactive_;
    bool loaded_ = false;
    bool exists_ = false;      // committed in zoned
    bool have_config_ = false; // exists_, or `create` ran in this session
    bool done_ = false;
    bool discard_ = false; // exit -F: nothing to commit at the end
    bool failed_in_daemon_ = false;
    config::ZoneConfig config_;
    config::ZoneConfig committed_;
    std::optional<Scope> scope_;
};

// How a script ended when it failed: the error, the line (file input) or the
// command number (argument input) it came from, 0 for the final commit.
struct ScriptFailure {
    zone::Error error;
    int line = 0;
    bool from_daemon = false;
};

// Runs a whole script and finish(). Stops at the first failure.
std::optional<ScriptFailure> run_script(Session& s, std::string_view text, bool number_by_command);

// Parses and runs one line of interactive input (stops at its first error).
zone::Result<void> run_line(Session& s, std::string_view text, int line);

} // namespace zonectl::zonecfg
