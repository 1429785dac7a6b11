// zonecfg: edit a zone's configuration (Solaris zonecfg(8) language).
//   zonecfg -z NAME                 interactive prompt (libedit) on a terminal
//   zonecfg -z NAME 'cmd; cmd'      commands from the arguments
//   zonecfg -z NAME -f FILE|-       commands from a file or stdin
// The language lives in zonecfg_parser/zonecfg_session; this file is the I/O
// around it: arguments, the daemon backend, the prompt, exit statuses.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <iostream>
#include <iterator>
#include <string>
#include <unistd.h>

// libedit's readline emulation; after the C++ headers it declares nothing they need.
#include <editline/readline.h>

#include "runtime/common/fs.hpp"
#include "zonectl/common.hpp"
#include "zonectl/zonecfg_session.hpp"

namespace zonectl {

namespace {

using zone::Result;
namespace zc = zonecfg;
namespace config = zone::config;

// The session's backend over zoned's zone.config.* and template.* methods.
// Connects on first use, so `help` works without a daemon.
class DaemonBackend : public zc::Backend {
  public:
    // `live` (-r): every commit also applies the resource controls to the
    // running zone at once.
    DaemonBackend(const Tool& t, bool live) : tool_(t), live_(live) {}

    Result<std::optional<config::ZoneConfig>> load(const std::string& zone) override {
        auto r = call("zone.config.get", {{"name", zone}});
        if (!r && r.error().code == zone::api::code::kNotFound)
            return std::optional<config::ZoneConfig>();
        if (!r) return std::move(r).error();
        TRY(cfg, config_from(*r));
        return std::optional<config::ZoneConfig>(std::move(cfg));
    }

    Result<std::string> commit(const config::ZoneConfig& cfg, bool create) override {
        zone::api::json params{{"name", cfg.name}, {"config", config::to_json(cfg)}, {"create", create}};
        // zoned's creator policy admits zones started from given templates.
        if (create && !template_.empty()) params["template"] = template_;
        if (live_) params["apply"] = true;
        TRY(r, call("zone.config.commit", params));
        return r.value("uuid", std::string());
    }

    Result<void> remove(const std::string& zone) override {
        TRY_VOID(call("zone.config.delete", {{"name", zone}}));
        return zone::ok();
    }

    Result<config::ZoneConfig> fetch_template(const std::string& name) override {
        TRY(r, call("template.get", {{"name", name}}));
        template_ = name;
        return config_from(r);
    }

  private:
    std::string template_;  // the template the session's `create` started from

    Result<zone::api::json> call(const std::string& method, const zone::api::json& params) {
        if (!client_) {
            TRY(c, connect(tool_));
            client_.emplace(std::move(c));
        }
        return client_->call(method, params);
    }

    static Result<config::ZoneConfig> config_from(const zone::api::json& answer) {
        auto it = answer.find("config");
        if (it == answer.end())
            return zone::make_error(zone::api::code::kProtocol, "zoned's answer has no 'config'");
        auto cfg = config::from_json(*it);
        if (!cfg)
            return std::move(cfg).error().wrap("zoned sent a configuration zonecfg cannot read");
        return cfg;
    }

    const Tool& tool_;
    bool live_ = false;
    std::optional<zone::api::Client> client_;
};

struct Options {
    std::string zone;
    std::string file;                  // -f
    bool live = false;                 // -r: apply to the running zone too
    std::vector<std::string> commands; // words after the options
};

// CLI11 throws; its errors stop here as an exit status.
std::optional<int> parse_options(Tool& t, Options& o) {
    CLI::App app{"Edit a zone's configuration.", t.name};
    app.add_option("-z", o.zone, "zone name");
    app.add_option("-f", o.file, "read commands from FILE ('-' for stdin)");
    app.add_flag("-r", o.live, "commit and apply the resource controls to the running zone");
    app.prefix_command(); // commands such as "delete -F" are ours, not CLI11's
    app.footer("Commands go in one argument ('create; set autoboot=true') or several words.\n"
               "Without commands or -f, zonecfg prompts on a terminal. Type 'help' inside for the "
               "language.");
    std::vector<std::string> args(t.args.rbegin(), t.args.rend());
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? kExitOk : kExitUsage;
    }
    o.commands = app.remaining();
    return std::nullopt;
}

Result<std::string> read_all_stdin() {
    std::string s{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    if (std::cin.bad()) return zone::sys_error(EIO, "read(stdin)");
    return s;
}

Result<void> write_text_file(const std::string& path, const std::string& text) {
    zone::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return zone::sys_error("open(" + path + ")");
    for (std::size_t done = 0; done < text.size();) {
        ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return zone::sys_error("write(" + path + ")");
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd.release()) != 0) return zone::sys_error("close(" + path + ")");
    return zone::ok();
}

// Errors of the input carry the line, one message line per problem.
void print_input_error(const Tool& t, const zone::Error& e, int line) {
    std::string prefix = t.name + ": " + (line > 0 ? "line " + std::to_string(line) + ": " : "");
    std::string msg = e.message();
    for (std::size_t pos = 0; pos <= msg.size();) {
        std::size_t nl = msg.find('\n', pos);
        std::fprintf(stderr, "%s%s\n", prefix.c_str(), msg.substr(pos, nl - pos).c_str());
        pos = nl == std::string::npos ? msg.size() + 1 : nl + 1;
    }
}

int run_noninteractive(const Tool& t, zc::Session& s, const std::string& text, bool by_command) {
    auto failure = zc::run_script(s, text, by_command);
    if (!failure) return kExitOk;
    if (failure->from_daemon) return report(t, failure->error);
    print_input_error(t, failure->error, failure->line);
    return kExitUsage;
}

// A line from the terminal through libedit; nullopt at EOF.
std::optional<std::string> read_line(const std::string& prompt) {
    char* raw = readline(prompt.c_str());
    if (!raw) return std::nullopt;
    std::string line(raw);
    std::free(raw);
    return line;
}

bool ask_terminal(const std::string& question, bool dflt) {
    for (;;) {
        auto answer = read_line(question);
        if (!answer) return dflt;
        if (answer->empty()) return dflt;
        if (*answer == "y" || *answer == "yes" || *answer == "Y") return true;
        if (*answer == "n" || *answer == "no" || *answer == "N") return false;
    }
}

// Interactive failures: zoned's through report(), the input's without a line number.
int report_failure(const Tool& t, const zc::Session& s, const zone::Error& e) {
    if (s.failed_in_daemon()) return report(t, e);
    print_input_error(t, e, 0);
    return kExitUsage;
}

int run_interactive(const Tool& t, zc::Session& s, const std::string& zone) {
    if (auto r = s.load(); !r) return report(t, r.error());
    if (!s.exists())
        std::printf("%s: No such zone configured\nUse 'create' to begin configuring a new zone.\n",
                    zone.c_str());
    int line = 0;
    bool eof_failed = false;
    while (!s.done()) {
        auto text = read_line(s.prompt());
        if (!text) {
            // EOF is `exit`, as at the Solaris prompt. When that fails (say the
            // commit is refused) the user may fix it; a second EOF gives up.
            std::printf("\n");
            zc::Command exit_cmd;
            exit_cmd.verb = zc::Verb::Exit;
            auto r = s.run(exit_cmd);
            if (r) break;
            int rc = report_failure(t, s, r.error());
            if (eof_failed) return rc;
            eof_failed = true;
            continue;
        }
        eof_failed = false;
        if (text->find_first_not_of(" \t") != std::string::npos) add_history(text->c_str());
        // At the prompt an error is reported and the session goes on.
        if (auto r = zc::run_line(s, *text, ++line); !r) report_failure(t, s, r.error());
        std::fflush(stdout);
    }
    return kExitOk;
}

} // namespace

int run_zonecfg(Tool& t) {
    Options o;
    if (auto rc = parse_options(t, o)) return *rc;
    if (o.zone.empty()) {
        if (!o.commands.empty() && o.commands.front() == "help") {
            std::cout << zc::help_text(o.commands.size() > 1 ? o.commands[1] : "", nullptr);
            return kExitOk;
        }
        std::fprintf(stderr, "%s: -z ZONE is required (usage: %s -z ZONE [-f FILE | COMMANDS])\n",
                     t.name.c_str(), t.name.c_str());
        return kExitUsage;
    }
    if (auto r = config::check_zone_name(o.zone); !r) {
        print_input_error(t, r.error(), 0);
        return kExitUsage;
    }
    if (!o.file.empty() && !o.commands.empty()) {
        std::fprintf(stderr, "%s: give commands either with -f or as arguments, not both\n",
                     t.name.c_str());
        return kExitUsage;
    }
    bool terminal = o.file.empty() && o.commands.empty() && ::isatty(STDIN_FILENO);
    DaemonBackend backend(t, o.live);
    zc::SessionIo io{&std::cout, terminal ? ask_terminal : nullptr, write_text_file};
    zc::Session session(o.zone, backend, io, terminal);
    if (terminal) return run_interactive(t, session, o.zone);
    if (!o.commands.empty()) {
        std::string text;
        for (const auto& w : o.commands)
            text += (text.empty() ? "" : " ") + w;
        return run_noninteractive(t, session, text, /*by_command=*/true);
    }
    auto text = (o.file.empty() || o.file == "-") ? read_all_stdin() : zone::fs::read_file(o.file);
    if (!text) { // an unreadable -f FILE is a bad command line
        print_input_error(t, text.error(), 0);
        return kExitUsage;
    }
    return run_noninteractive(t, session, *text, /*by_command=*/false);
}

} // namespace zonectl
