// zoned: the zones daemon. Thin main: options, layout, socket, serve.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <sys/stat.h>

#include "cgroups/driver.hpp"
#include "runtime/api/socket.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/daemon.hpp"
#include "runtime/server.hpp"

using namespace zone;

int main(int argc, char** argv) {
    // Block the signals we handle before any thread exists, so every thread
    // inherits the mask and the server's signalfd sees them.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    ::umask(022);

    Paths paths;
    std::string config_file, log_level, cgroup_parent;
    bool version = false;
    CLI::App app{"zoned: the zones daemon"};
    app.add_option("--root", paths.root, "state root")->capture_default_str();
    app.add_option("--run-dir", paths.run_dir, "runtime directory")->capture_default_str();
    app.add_option("--socket", paths.socket, "API socket (default <run-dir>/zoned.sock)");
    app.add_option("--config", config_file, "configuration file (key = value)");
    app.add_option("--log-level", log_level, "debug, info, warning or error");
    app.add_option("--cgroup-parent", cgroup_parent, "cgroup below which zones are created");
    app.add_flag("--version", version, "print the version and exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;  // usage errors exit 2, whatever CLI11 would say
    }
    if (version) {
        std::printf("zoned %s (protocol %d)\n", ZONE_VERSION, api::kProtocolVersion);
        // What a start would pick, found without creating anything.
        auto roots = cg::find_roots();
        std::printf("cgroups: %s\n", roots ? cg::probe(*roots).c_str()
                                            : roots.error().message().c_str());
        return 0;
    }

    DaemonConfig cfg;
    if (!config_file.empty()) {
        auto c = load_daemon_config(config_file);
        if (!c) {
            std::fprintf(stderr, "zoned: %s\n", c.error().message().c_str());
            return 2;
        }
        cfg = std::move(c).value();
    }
    log::Level cli_level{};
    if (!log_level.empty() && !log::parse_level(log_level, cli_level)) {
        std::fprintf(stderr, "zoned: --log-level '%s' is not one of debug, info, warning, error\n",
                     log_level.c_str());
        return 2;
    }
    if (!cgroup_parent.empty()) {
        auto checked = parse_daemon_config("cgroup-parent = " + cgroup_parent, "--cgroup-parent");
        if (!checked) {
            std::fprintf(stderr, "zoned: %s\n", checked.error().message().c_str());
            return 2;
        }
    }
    auto overrides = [=](DaemonConfig& c) {
        if (!log_level.empty()) c.log_level = cli_level;
        if (!cgroup_parent.empty()) c.cgroup_parent = cgroup_parent;
    };
    overrides(cfg);
    log::set_level(cfg.log_level);

    Daemon daemon(paths, cfg, config_file, overrides);
    daemon.add_methods(daemon_methods());
    daemon.add_methods(zone_resource_methods());
    daemon.add_methods(zone_config_methods());
    daemon.add_methods(zone_list_methods());
    daemon.add_methods(image_methods());
    daemon.add_methods(zone_qa_methods());
    daemon.add_methods(template_methods());
    daemon.add_methods(zone_run_methods());
    daemon.add_methods(zone_login_methods());
    daemon.add_methods(zone_stats_methods());

    if (auto r = fs::mkdir_p(paths.run_dir, 0755); !r) {
        ZLOG_ERROR("%s", r.error().message().c_str());
        return 1;
    }
    if (auto r = daemon.prepare_host(); !r) {
        ZLOG_ERROR("%s", r.error().message().c_str());
        return 1;
    }
    if (auto r = daemon.load(); !r) {
        ZLOG_ERROR("loading state from %s: %s", paths.root.c_str(), r.error().message().c_str());
        return 1;
    }
    auto listener = api::listen_unix(paths.socket_path());
    if (!listener) {
        ZLOG_ERROR("%s", listener.error().message().c_str());
        return 1;
    }
    daemon.autoboot();
    Server server(daemon);
    if (auto r = server.run(std::move(listener).value()); !r) {
        ZLOG_ERROR("%s", r.error().message().c_str());
        return 1;
    }
    daemon.stop();
    ZLOG_INFO("stopped");
    return 0;
}
