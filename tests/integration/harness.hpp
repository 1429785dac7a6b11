// The integration harness: a real zoned per test, on its own state root, run
// dir, socket and cgroup parent, driven through the real zonectl binaries.
// Teardown leaves nothing on the host: zones halted, zoned stopped, leftover
// processes killed through cgroup.kill, cgroups removed, mounts detached, the
// temp dir gone. What it had to clean up by force is reported as a failure.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <gtest/gtest.h>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <sys/types.h>
#include <unistd.h>
#include <vector>

#include "runtime/api/client.hpp"
#include "runtime/common/fd.hpp"

namespace zt {

// Without root: skipped on a laptop, a failure in CI (CI=true), STYLE.md §9.
#define ZT_REQUIRE_ROOT()                                                                          \
    do {                                                                                           \
        if (::geteuid() != 0) {                                                                    \
            const char* ci_ = std::getenv("CI");                                                   \
            if (ci_ && std::string(ci_) == "true") FAIL() << "integration tests need root in CI";  \
            GTEST_SKIP() << "integration tests need root";                                         \
        }                                                                                          \
    } while (0)

// What a finished process left: exit status (128+N for signal N, as a shell
// reports it), its stdout and stderr.
struct RunResult {
    int status = -1;
    bool timed_out = false;
    std::string out, err;
};
std::ostream& operator<<(std::ostream& os, const RunResult& r);

// A child process with pipes on its stdin, stdout and stderr (posix_spawn, no
// shell). Killed and reaped by the destructor if still running.
class Child {
  public:
    Child(const std::vector<std::string>& argv, const std::vector<std::string>& env);
    Child(Child&&) noexcept;
    Child& operator=(Child&&) = delete;
    Child(const Child&) = delete;
    ~Child();

    bool started() const { return pid_ > 0; }
    const std::string& spawn_error() const { return spawn_error_; }
    pid_t pid() const { return pid_; }

    // Queues `text` for stdin (written as the child reads).
    void write(const std::string& text);
    void close_stdin();
    // Pumps the pipes until stdout holds `needle` (true) or `timeout_ms` passes.
    bool read_until(const std::string& needle, int timeout_ms);
    // Pumps until the child exits and its pipes close; kills it after `timeout_ms`.
    RunResult wait(int timeout_ms);
    const std::string& out() const { return res_.out; }
    const std::string& err() const { return res_.err; }

  private:
    // One round of poll; false when there is nothing left to wait for.
    bool pump(std::chrono::steady_clock::time_point deadline);
    pid_t pid_ = -1;
    zone::UniqueFd pidfd_, in_, out_, err_;
    std::string pending_in_;
    bool close_in_after_pending_ = false;
    bool exited_ = false;
    std::chrono::steady_clock::time_point exited_at_;
    RunResult res_;
    std::string spawn_error_;
};

// Runs argv to completion with `input` on stdin.
RunResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                      const std::string& input = "", int timeout_ms = 30000);

// The environment of this process without ZONED_SOCKET, plus `extra`.
std::vector<std::string> environment_with(const std::vector<std::string>& extra);

// Polls `pred` every 20 ms until it holds or `timeout_ms` passes.
bool wait_for(const std::function<bool()>& pred, int timeout_ms);

// The cgroup2 mount from /proc/self/mountinfo: /sys/fs/cgroup/unified on a
// hybrid host, /sys/fs/cgroup on a pure v2 one. Empty if there is none.
std::string cgroup2_mount();

// Mount points (from /proc/self/mountinfo of the host) equal to or below `prefix`.
std::vector<std::string> mounts_below(const std::string& prefix);

// Pids of processes with an open fd, cwd or root under `prefix` (not us).
std::vector<pid_t> processes_using(const std::string& prefix);

// Whether a process runs whose arguments, joined by spaces, are `command_line`
// ("sleep 7001234"), on the host or in any zone.
bool process_running(const std::string& command_line);

// One line of `zoneadm list -p`: zoneid:zonename:state:zonepath:uuid:brand:ip-type.
struct ListRow {
    std::string id, name, state, path, uuid, brand, ip_type;
};
std::vector<ListRow> parse_list_p(const std::string& text);

std::string read_text(const std::string& path);                    // "" if unreadable
bool write_text(const std::string& path, const std::string& text); // create/truncate
std::string trim(std::string s);
std::vector<std::string> split_lines(const std::string& s);
// A fresh token for names and markers: pid, counter and time.
std::string unique_token();

// Each daemon gets its own network too: bridge, /24 subnet and nft table,
// written to its zoned.conf with `extra_config` lines appended.
class TestDaemon {
  public:
    explicit TestDaemon(const std::string& extra_config = "");
    ~TestDaemon();
    TestDaemon(const TestDaemon&) = delete;
    TestDaemon& operator=(const TestDaemon&) = delete;

    // ASSERT_TRUE(d.started()) first: false when setup or zoned failed (see log()).
    ::testing::AssertionResult started() const;

    const std::string& dir() const { return dir_; }
    std::string root() const { return dir_ + "/root"; }
    std::string run_dir() const { return dir_ + "/run"; }
    std::string socket() const { return dir_ + "/zoned.sock"; }
    std::string log_path() const { return dir_ + "/zoned.log"; }
    const std::string& cgroup_parent() const { return cgroup_name_; } // below the cgroup2 mount
    std::string cgroup_parent_path() const { return cgroup_mount_ + "/" + cgroup_name_; }
    std::string zone_cgroup(const std::string& zone) const {
        return cgroup_parent_path() + "/" + zone;
    }
    std::string zone_dir(const std::string& zone) const { return root() + "/zones/" + zone; }
    pid_t pid() const { return pid_; }
    bool running() const;
    std::string config_path() const { return dir_ + "/zoned.conf"; }
    const std::string& bridge() const { return bridge_; }
    const std::string& nft_table() const { return nft_table_; }
    // "10.X.Y." of this daemon's 10.X.Y.0/24; the gateway is prefix + "1".
    const std::string& subnet_prefix() const { return subnet_prefix_; }
    std::string gateway() const { return subnet_prefix_ + "1"; }

    // `tool` is zonecfg, zoneadm, zlogin or zonestat (the symlinks) or zonectl.
    RunResult run(const std::string& tool, const std::vector<std::string>& args,
                  const std::string& input = "", int timeout_ms = 30000) const;
    Child spawn(const std::string& tool, const std::vector<std::string>& args) const;
    RunResult zonecfg(const std::string& zone, const std::string& script) const {
        return run("zonecfg", {"-z", zone, script});
    }
    RunResult zoneadm(const std::vector<std::string>& args) const { return run("zoneadm", args); }
    RunResult zlogin(const std::string& zone, const std::string& command) const {
        return run("zlogin", {zone, command});
    }
    zone::Result<zone::api::Client> client() const;

    // Starts zoned on this daemon's root; true once its socket answers a ping.
    bool start();
    // Signals zoned and reaps it (SIGKILL after 15 s).
    void stop(int sig = SIGTERM);
    // stop(sig) and start again on the same root.
    ::testing::AssertionResult restart(int sig = SIGKILL);
    std::string log() const;

    // The busybox image `name`, built once per daemon.
    ::testing::AssertionResult ensure_image(const std::string& name = "base");
    // create; set image=IMAGE; EXTRA; commit.
    ::testing::AssertionResult configure(const std::string& zone, const std::string& extra = "",
                                         const std::string& image = "base");
    ::testing::AssertionResult adm(const std::string& zone, const std::string& verb);
    // ensure_image + configure + install + boot.
    ::testing::AssertionResult boot_new_zone(const std::string& zone,
                                             const std::string& extra = "");

    // The `zoneadm list -cp` row of `zone`, or a row with an empty name.
    ListRow row(const std::string& zone) const;
    std::string state(const std::string& zone) const { return row(zone).state; }
    // <root>/zones/NAME/state.json, parsed (null if missing).
    nlohmann::json status_file(const std::string& zone) const;

  private:
    void teardown();
    void halt_all_zones();
    void print_logs() const;
    std::string dir_;
    std::string cgroup_mount_, cgroup_name_;
    std::string bridge_, nft_table_, subnet_prefix_;
    pid_t pid_ = -1;
    std::set<std::string> images_;
    std::string setup_error_;
};

} // namespace zt
