// Issue "zones that run": the zone life cycle through the CLI against a real
// daemon and kernel (root): isolation seen from inside a zone, zlogin in all
// its forms, the console, restarts of zoned, and that nothing is left behind.
// Assertions about leftovers are made from the host after the zone is gone.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <functional>
#include <gtest/gtest.h>
#include <latch>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <poll.h>
#include <pty.h>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <thread>
#include <vector>

#include "harness.hpp"

using namespace zt;
using nlohmann::json;

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

bool pid_alive(int pid) {
    if (pid <= 0) return false;
    // A zombie is gone for our purposes only once reaped: check /proc.
    return exists("/proc/" + std::to_string(pid));
}

// A number unique to this test process, for commands we look for on the host.
std::string marker_number() {
    static std::atomic<int> n{0};
    return std::to_string(7000000 + (::getpid() % 100000) * 10 + n++);
}

// Every file below `dir`: relative path -> "mode size [-> link target]".
std::map<std::string, std::string> tree_of(const std::string& dir) {
    static std::map<std::string, std::string>* out;
    static size_t prefix;
    std::map<std::string, std::string> result;
    out = &result;
    prefix = dir.size();
    ::nftw(
        dir.c_str(),
        [](const char* p, const struct stat* st, int, FTW*) {
            std::string desc = std::to_string(st->st_mode) + " " + std::to_string(st->st_size);
            if (S_ISLNK(st->st_mode)) {
                char t[4096];
                ssize_t n = ::readlink(p, t, sizeof t - 1);
                desc += " -> " + std::string(t, n > 0 ? static_cast<size_t>(n) : 0);
            }
            (*out)[std::string(p).substr(prefix)] = desc;
            return 0;
        },
        32, FTW_PHYS);
    return result;
}

std::vector<std::string> child_cgroups(const std::string& parent) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(parent.c_str())) {
        while (dirent* e = ::readdir(d))
            if (e->d_type == DT_DIR && e->d_name[0] != '.') out.push_back(e->d_name);
        ::closedir(d);
    }
    return out;
}

// What the host must not show once zone `z` is down.
void expect_nothing_left(const TestDaemon& d, const std::string& z) {
    EXPECT_FALSE(exists(d.zone_cgroup(z))) << "cgroup of " << z << " is still there";
    for (const auto& line : split_lines(read_text("/proc/self/mountinfo")))
        EXPECT_EQ(line.find(d.zone_dir(z)), std::string::npos) << "host mount: " << line;
    EXPECT_TRUE(
        wait_for([&] { return processes_using(d.run_dir() + "/zones/" + z).empty(); }, 3000))
        << "a process (the zone monitor?) of " << z << " is still running";
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> w;
    for (std::string x; in >> x;)
        w.push_back(x);
    return w;
}

// The fields of the /proc/self/mountinfo line whose mount point is `mp`.
struct MountEntry {
    std::string fstype, options;
};
std::optional<MountEntry> find_mount(const std::string& mountinfo, const std::string& mp) {
    std::optional<MountEntry> found;
    for (const auto& line : split_lines(mountinfo)) {
        auto f = words(line);
        auto dash = std::find(f.begin(), f.end(), "-");
        if (f.size() < 6 || dash == f.end() || dash + 1 == f.end() || f[4] != mp) continue;
        found = MountEntry{*(dash + 1), f[5]}; // the last one is on top
    }
    return found;
}

// Runs zlogin on a real pty (the test is the terminal): the session's output
// until it ends, and its exit status. `during` runs with the master once the
// output holds `wait_for_text`.
struct PtyResult {
    int status = -1;
    std::string out;
};
PtyResult zlogin_on_pty(const TestDaemon& d, const std::vector<std::string>& args,
                        unsigned short rows, unsigned short cols,
                        const std::string& wait_for_text = "",
                        const std::function<void(int master)>& during = {}) {
    PtyResult res;
    int master = -1, slave = -1;
    winsize ws{rows, cols, 0, 0};
    if (::openpty(&master, &slave, nullptr, nullptr, &ws) < 0) return res;
    std::vector<std::string> argv{std::string(ZONECTL_DIR) + "/zlogin"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto env = environment_with({"ZONED_SOCKET=" + d.socket(), "TERM=xterm"});
    std::vector<char*> av, ev;
    for (auto& a : argv)
        av.push_back(a.data());
    av.push_back(nullptr);
    for (auto& e : env)
        ev.push_back(e.data());
    ev.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        // Child of a multi-threaded test: async-signal-safe calls only.
        ::setsid();
        ::ioctl(slave, TIOCSCTTY, 0);
        ::dup2(slave, 0);
        ::dup2(slave, 1);
        ::dup2(slave, 2);
        if (slave > 2) ::close(slave);
        ::close(master);
        ::execve(av[0], av.data(), ev.data());
        ::_exit(127);
    }
    ::close(slave);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool did = false;
    char buf[4096];
    for (;;) {
        if (!did && during && res.out.find(wait_for_text) != std::string::npos) {
            did = true;
            during(master);
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) break; // EIO: every slave fd closed, the session is over
        res.out.append(buf, static_cast<size_t>(n));
    }
    int st = 0;
    if (std::chrono::steady_clock::now() >= deadline) ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
    ::close(master);
    res.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return res;
}

} // namespace

TEST(ZoneCycle, ConfigureInstallBootLoginHaltUninstallDelete) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    const std::string z = "cycle";
    ASSERT_TRUE(d.configure(z));
    EXPECT_EQ(d.state(z), "configured");

    ASSERT_TRUE(d.adm(z, "install"));
    EXPECT_EQ(d.state(z), "installed");
    EXPECT_TRUE(exists(d.zone_dir(z) + "/upper"));

    ASSERT_TRUE(d.adm(z, "boot"));
    EXPECT_EQ(d.state(z), "running");
    EXPECT_TRUE(exists(d.zone_cgroup(z)));
    auto hello = d.zlogin(z, "echo hello from $(hostname)");
    EXPECT_EQ(hello.status, 0) << hello;
    EXPECT_EQ(hello.out, "hello from cycle\n");
    EXPECT_EQ(hello.err, "");
    // Booting a running zone is no change, and says so.
    auto again = d.zoneadm({"-z", z, "boot"});
    EXPECT_EQ(again.status, 0) << again;
    EXPECT_NE(again.err.find("already"), std::string::npos) << again;

    ASSERT_TRUE(d.adm(z, "halt"));
    EXPECT_EQ(d.state(z), "installed");
    expect_nothing_left(d, z);
    auto dead = d.zlogin(z, "true");
    EXPECT_EQ(dead.status, 1) << dead;
    EXPECT_NE(dead.err.find("not running"), std::string::npos) << dead;

    ASSERT_TRUE(d.adm(z, "uninstall"));
    EXPECT_EQ(d.state(z), "configured");
    EXPECT_FALSE(exists(d.zone_dir(z) + "/upper"));

    auto del = d.run("zonecfg", {"-z", z, "delete", "-F"});
    ASSERT_EQ(del.status, 0) << del;
    EXPECT_EQ(d.row(z).name, "");
    EXPECT_FALSE(exists(d.zone_dir(z)));
}

TEST(ZoneIsolation, SeesOnlyItsOwnProcessesNameAndRoot) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    // Something of the host's to look for: a file and a process.
    std::string token = unique_token();
    std::string marker_file = d.dir() + "/host-marker-" + token;
    ASSERT_TRUE(write_text(marker_file, "host secret\n"));
    std::string marker_sleep = marker_number();
    Child host_proc({"/bin/sleep", marker_sleep}, environment_with({}));
    ASSERT_TRUE(host_proc.started()) << host_proc.spawn_error();
    ASSERT_TRUE(d.boot_new_zone("iso", "set hostname=iso-host"));

    auto ps = d.zlogin("iso", "ps -o pid,args");
    ASSERT_EQ(ps.status, 0) << ps;
    EXPECT_EQ(ps.out.find(marker_sleep), std::string::npos) << ps.out;
    EXPECT_EQ(ps.out.find("zoned"), std::string::npos) << ps.out;
    EXPECT_EQ(ps.out.find("integration_tests"), std::string::npos) << ps.out;
    auto lines = split_lines(ps.out);
    ASSERT_GE(lines.size(), 3u) << ps.out;
    EXPECT_LE(lines.size(), 6u) << "more processes than init, console shell, sh, ps:\n" << ps.out;
    auto first = words(lines[1]);
    ASSERT_GE(first.size(), 2u);
    EXPECT_EQ(first[0], "1");
    EXPECT_NE(lines[1].find("init"), std::string::npos) << lines[1];
    // /proc holds the zone's processes only.
    auto pids = d.zlogin("iso", "ls /proc | grep -c '^[0-9][0-9]*$'");
    EXPECT_EQ(pids.status, 0) << pids;
    EXPECT_LE(std::atoi(pids.out.c_str()), 6) << pids.out;

    auto host = d.zlogin("iso", "hostname; cat /proc/sys/kernel/hostname");
    EXPECT_EQ(host.out, "iso-host\niso-host\n") << host;

    auto mi = d.zlogin("iso", "cat /proc/self/mountinfo");
    ASSERT_EQ(mi.status, 0) << mi;
    auto root = find_mount(mi.out, "/");
    ASSERT_TRUE(root.has_value()) << mi.out;
    EXPECT_EQ(root->fstype, "overlay") << mi.out;
    auto procsys = find_mount(mi.out, "/proc/sys");
    ASSERT_TRUE(procsys.has_value()) << mi.out;
    EXPECT_EQ(procsys->options.rfind("ro", 0), 0u) << procsys->options;

    // The host's file is not there, by its path or anywhere.
    auto file = d.zlogin("iso", "cat " + marker_file);
    EXPECT_NE(file.status, 0) << file;
    EXPECT_EQ(file.out.find("host secret"), std::string::npos) << file;
    auto find = d.zlogin("iso", "find / -xdev -name 'host-marker-*' 2>/dev/null; ls " + d.dir());
    EXPECT_EQ(find.out, "") << find;
    EXPECT_NE(find.status, 0) << find;

    // /proc/sys is read-only: the kernel's host name cannot be set through it.
    auto w = d.zlogin("iso", "echo evil > /proc/sys/kernel/hostname");
    EXPECT_NE(w.status, 0) << w;
    EXPECT_NE(w.err.find("Read-only"), std::string::npos) << w;
    auto w2 = d.zlogin("iso", "echo 1 > /proc/sys/kernel/domainname || echo refused");
    EXPECT_EQ(w2.out, "refused\n") << w2;
    EXPECT_EQ(d.zlogin("iso", "hostname").out, "iso-host\n");
    char host_name[256] = {};
    ::gethostname(host_name, sizeof host_name - 1);
    EXPECT_STRNE(host_name, "iso-host");
    EXPECT_STRNE(host_name, "evil");
}

TEST(ZoneIsolation, WritesStayInTheirOwnZone) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("wa"));
    ASSERT_TRUE(d.boot_new_zone("wb"));
    const std::string image_root = d.root() + "/images/base/1/rootfs";
    ASSERT_TRUE(exists(image_root + "/etc/os-release"));

    auto write =
        d.zlogin("wa", "echo from-wa > /etc/written && rm /etc/os-release && cat /etc/written");
    ASSERT_EQ(write.status, 0) << write;
    EXPECT_EQ(write.out, "from-wa\n");
    auto other = d.zlogin("wb", "cat /etc/written");
    EXPECT_NE(other.status, 0) << other;
    auto kept = d.zlogin("wb", "test -f /etc/os-release && echo present");
    EXPECT_EQ(kept.out, "present\n") << kept;
    EXPECT_FALSE(exists(image_root + "/etc/written"));
    EXPECT_TRUE(exists(image_root + "/etc/os-release"));
    EXPECT_EQ(read_text(d.zone_dir("wa") + "/upper/etc/written"), "from-wa\n");
    EXPECT_FALSE(exists(d.zone_dir("wb") + "/upper/etc/written"));
    // The change survives a reboot of its zone.
    ASSERT_TRUE(d.adm("wa", "halt"));
    ASSERT_TRUE(d.adm("wa", "boot"));
    EXPECT_EQ(d.zlogin("wa", "cat /etc/written").out, "from-wa\n");
}

TEST(Zlogin, TerminalSessionOnARealPty) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("tty"));
    auto r = zlogin_on_pty(d, {"-t", "tty", "tty; stty size; echo TERM=$TERM; exit 5"}, 37, 111);
    EXPECT_EQ(r.status, 5) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("/dev/pts/[0-9]+\r?\n"))) << r.out;
    EXPECT_NE(r.out.find("37 111"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("TERM=xterm"), std::string::npos) << r.out;

    // A window size change reaches the session.
    auto resized = zlogin_on_pty(d, {"-t", "tty", "stty size; read line; stty size"}, 24, 80,
                                 "24 80", [](int master) {
                                     winsize ws{50, 132, 0, 0};
                                     ::ioctl(master, TIOCSWINSZ, &ws);
                                     std::this_thread::sleep_for(std::chrono::milliseconds(200));
                                     (void)!::write(master, "\r", 1);
                                 });
    EXPECT_EQ(resized.status, 0) << resized.out;
    EXPECT_NE(resized.out.find("50 132"), std::string::npos) << resized.out;
}

TEST(Zlogin, ExitStatusesPropagate) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("codes"));
    struct {
        const char* cmd;
        int status;
    } cases[] = {{"exit 0", 0},           {"true", 0},
                 {"exit 7", 7},           {"false", 1},
                 {"kill -9 $$", 128 + 9}, {"kill -TERM $$", 128 + 15}};
    for (const auto& c : cases) {
        auto r = d.zlogin("codes", c.cmd);
        EXPECT_EQ(r.status, c.status) << c.cmd << ": " << r;
    }
}

TEST(Zlogin, StdoutStderrAndStdinStayApart) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("streams"));
    auto r = d.zlogin("streams", "echo to-out; echo to-err >&2; echo more-out; echo more-err 1>&2");
    EXPECT_EQ(r.status, 0) << r;
    EXPECT_EQ(r.out, "to-out\nmore-out\n");
    EXPECT_EQ(r.err, "to-err\nmore-err\n");
    std::string input;
    for (int i = 0; i < 5000; ++i)
        input += "line " + std::to_string(i) + "\n";
    auto cat = d.run("zlogin", {"streams", "cat"}, input);
    EXPECT_EQ(cat.status, 0) << cat.err;
    EXPECT_EQ(cat.out, input);
    auto wc = d.run("zlogin", {"streams", "wc -l"}, input);
    EXPECT_EQ(trim(wc.out), "5000");
}

TEST(Zlogin, NoFdOfZonedLeaksIntoTheZone) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("fds"));
    // ls itself opens one: the directory it lists.
    auto self = d.zlogin("fds", "ls /proc/self/fd");
    ASSERT_EQ(self.status, 0) << self;
    EXPECT_EQ(split_lines(self.out), (std::vector<std::string>{"0", "1", "2", "3"})) << self.out;
    // (Not a lone command, which sh would exec in place of itself.)
    auto shell = d.zlogin("fds", "ls /proc/$$/fd; true");
    EXPECT_EQ(split_lines(shell.out), (std::vector<std::string>{"0", "1", "2"})) << shell.out;
    // The zone's init has nothing but its console and the signalfd it made itself.
    auto init = d.zlogin("fds", "for f in /proc/1/fd/*; do echo ${f##*/} $(readlink $f); done");
    auto lines = split_lines(init.out);
    ASSERT_EQ(lines.size(), 4u) << init.out;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(lines[i].rfind(std::to_string(i) + " /dev/pts/", 0), 0u) << init.out;
    EXPECT_EQ(lines[3], "3 anon_inode:[signalfd]") << init.out;
    // And its stdio are ours: pipes, not something of zoned's.
    auto links = d.zlogin("fds", "for f in 0 1 2; do readlink /proc/$$/fd/$f; done");
    for (const auto& l : split_lines(links.out))
        EXPECT_EQ(l.rfind("pipe:[", 0), 0u) << links.out;
    // No way back to the host through the cwd or the executable of init.
    auto cwd = d.zlogin("fds", "readlink /proc/1/exe; readlink /proc/1/cwd; readlink /proc/$$/cwd");
    EXPECT_EQ(cwd.out.find(d.dir()), std::string::npos) << cwd.out;
    EXPECT_EQ(cwd.out.find("/work"), std::string::npos) << cwd.out;
}

TEST(Zlogin, DashLUserRunsAsThatUser) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("users"));
    auto r = d.run("zlogin", {"-l", "user", "users", "id -u; id -g; whoami; echo $HOME"});
    EXPECT_EQ(r.status, 0) << r;
    EXPECT_EQ(r.out, "1000\n1000\nuser\n/home/user\n") << r;
    auto root = d.zlogin("users", "id -u");
    EXPECT_EQ(root.out, "0\n");
    auto none = d.run("zlogin", {"-l", "nosuchuser", "users", "true"});
    EXPECT_EQ(none.status, 1) << none;
    EXPECT_NE(none.err.find("nosuchuser"), std::string::npos) << none;
}

TEST(Zlogin, ConsoleAttachSendAndDetach) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("con"));
    Child c = d.spawn("zlogin", {"-C", "con"});
    ASSERT_TRUE(c.started()) << c.spawn_error();
    // The console echoes what we type; only the shell computes 42.
    c.write("echo $((6*7))CONSOLE\n");
    EXPECT_TRUE(c.read_until("42CONSOLE", 10000)) << "console output:\n" << c.out();
    c.write("~.\n");
    auto r = c.wait(10000);
    EXPECT_EQ(r.status, 0) << r;
    EXPECT_FALSE(r.timed_out) << "~. did not detach";
    EXPECT_NE(r.err.find("[Connected to zone 'con' console]"), std::string::npos) << r;
    EXPECT_NE(r.err.find("closed"), std::string::npos) << r;
    // Detaching leaves the zone running; the console was logged.
    EXPECT_EQ(d.state("con"), "running");
    std::string log = d.root() + "/logs/con.console";
    EXPECT_TRUE(exists(log));
    EXPECT_NE(read_text(log).find("42CONSOLE"), std::string::npos) << read_text(log);
    // A second attach works as well.
    Child c2 = d.spawn("zlogin", {"-C", "con"});
    c2.write("echo $((7*7))AGAIN\n");
    EXPECT_TRUE(c2.read_until("49AGAIN", 10000)) << c2.out();
    c2.write("~.\n");
    EXPECT_EQ(c2.wait(10000).status, 0);
}

TEST(ZoneRestart, RunningZoneSurvivesSigkillOfZoned) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("keep"));
    ListRow before = d.row("keep");
    json st = d.status_file("keep");
    int init_pid = st.value("init_pid", 0), monitor_pid = st.value("monitor_pid", 0);
    ASSERT_TRUE(pid_alive(init_pid) && pid_alive(monitor_pid)) << st;
    std::string sleeper = marker_number();
    auto bg = d.zlogin("keep", "sleep " + sleeper + " </dev/null >/dev/null 2>&1 &");
    ASSERT_EQ(bg.status, 0) << bg;
    ASSERT_TRUE(wait_for([&] { return process_running("sleep " + sleeper); }, 3000));

    ASSERT_TRUE(d.restart(SIGKILL));
    EXPECT_TRUE(pid_alive(init_pid));
    EXPECT_TRUE(pid_alive(monitor_pid));
    EXPECT_TRUE(process_running("sleep " + sleeper)) << "a zone process died with zoned";
    ListRow after = d.row("keep");
    EXPECT_EQ(after.state, "running");
    EXPECT_EQ(after.id, before.id);
    EXPECT_EQ(after.uuid, before.uuid);
    auto p = parse_list_p(d.zoneadm({"list", "-p"}).out);
    EXPECT_EQ(p.size(), 2u);
    auto login = d.zlogin("keep", "hostname; ps -o args | grep -c 'sleep " + sleeper + "$'");
    EXPECT_EQ(login.status, 0) << login;
    EXPECT_EQ(login.out, "keep\n1\n") << login;
    Child con = d.spawn("zlogin", {"-C", "keep"});
    con.write("echo $((6*7))READOPTED\n");
    EXPECT_TRUE(con.read_until("42READOPTED", 10000)) << con.out();
    con.write("~.\n");
    EXPECT_EQ(con.wait(10000).status, 0);

    // A second restart, by SIGTERM this time, changes nothing either.
    ASSERT_TRUE(d.restart(SIGTERM));
    EXPECT_EQ(d.state("keep"), "running");

    ASSERT_TRUE(d.adm("keep", "halt"));
    EXPECT_EQ(d.state("keep"), "installed");
    expect_nothing_left(d, "keep");
    EXPECT_TRUE(wait_for([&] { return !pid_alive(init_pid) && !pid_alive(monitor_pid); }, 3000));
    EXPECT_FALSE(process_running("sleep " + sleeper));
    // And it boots again under the new zoned.
    ASSERT_TRUE(d.adm("keep", "boot"));
    EXPECT_EQ(d.zlogin("keep", "hostname").out, "keep\n");
}

TEST(ZoneInit, ExitingByItselfReturnsTheZoneToInstalled) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("quick", "set init=/bin/true"));
    ASSERT_TRUE(d.configure("fails", "set init=/bin/false"));
    for (const char* z : {"quick", "fails"}) {
        ASSERT_TRUE(d.adm(z, "install"));
        auto b = d.zoneadm({"-z", z, "boot"});
        EXPECT_EQ(b.status, 0) << b;
        EXPECT_TRUE(wait_for([&] { return d.state(z) == "installed"; }, 10000))
            << z << " is " << d.state(z);
        expect_nothing_left(d, z);
    }
    auto v = d.zoneadm({"list", "-cv"});
    std::map<std::string, std::string> line_of;
    for (const auto& l : split_lines(v.out)) {
        auto w = words(l);
        if (w.size() > 1) line_of[w[1]] = l;
    }
    EXPECT_NE(line_of["quick"].find("exited 0"), std::string::npos) << v.out;
    EXPECT_NE(line_of["fails"].find("exited 1"), std::string::npos) << v.out;
    // It can be booted again, and ends the same way.
    ASSERT_TRUE(d.adm("quick", "boot"));
    EXPECT_TRUE(wait_for([&] { return d.state("quick") == "installed"; }, 10000));
}

// An init that exits at once is reaped by its monitor right away; the boot
// must still succeed and record the exit (the monitor hands init's pidfd to
// zoned instead of zoned re-opening it by a bare pid, which was once the bug).
TEST(ZoneInit, InitThatExitsAtOnceBootsEveryTime) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    // Several at once: a busy machine widens any window between the monitor's
    // answer and zoned taking init's identity.
    constexpr int kZones = 6, kBoots = 10;
    for (int i = 0; i < kZones; ++i) {
        ASSERT_TRUE(d.configure("blink" + std::to_string(i), "set init=/bin/true"));
        ASSERT_TRUE(d.adm("blink" + std::to_string(i), "install"));
    }
    std::atomic<int> failed{0};
    std::string first_failure;
    std::mutex mu;
    std::vector<std::thread> threads;
    for (int i = 0; i < kZones; ++i)
        threads.emplace_back([&, i] {
            std::string z = "blink" + std::to_string(i);
            for (int k = 0; k < kBoots; ++k) {
                auto b = d.zoneadm({"-z", z, "boot"});
                if (b.status != 0 && failed++ == 0) {
                    std::lock_guard g(mu);
                    first_failure = b.err;
                }
                if (!wait_for([&] { return d.state(z) == "installed"; }, 10000)) return;
            }
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(failed.load(), 0) << "boots failed " << failed << " times out of " << kZones * kBoots
                                << "; first: " << first_failure;
    for (int i = 0; i < kZones; ++i) {
        EXPECT_EQ(d.state("blink" + std::to_string(i)), "installed");
        expect_nothing_left(d, "blink" + std::to_string(i));
    }
}

TEST(ZoneHalt, LeavesNoProcessCgroupOrMount) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("tidy"));
    std::string a = marker_number(), b = marker_number();
    // One in the background, one detached into its own session.
    auto bg = d.zlogin("tidy", "sleep " + a + " </dev/null >/dev/null 2>&1 & setsid sleep " + b +
                                   " </dev/null >/dev/null 2>&1 &");
    ASSERT_EQ(bg.status, 0) << bg;
    ASSERT_TRUE(wait_for(
        [&] { return process_running("sleep " + a) && process_running("sleep " + b); }, 3000));
    json st = d.status_file("tidy");
    int init_pid = st.value("init_pid", 0), monitor_pid = st.value("monitor_pid", 0);
    ASSERT_TRUE(pid_alive(init_pid));

    ASSERT_TRUE(d.adm("tidy", "halt"));
    EXPECT_EQ(d.state("tidy"), "installed");
    expect_nothing_left(d, "tidy");
    EXPECT_FALSE(process_running("sleep " + a));
    EXPECT_FALSE(process_running("sleep " + b));
    EXPECT_FALSE(pid_alive(init_pid));
    EXPECT_TRUE(wait_for([&] { return !pid_alive(monitor_pid); }, 3000))
        << "monitor " << monitor_pid << " still in /proc (not reaped?)";
    EXPECT_TRUE(mounts_below(d.dir()).empty());
    EXPECT_TRUE(child_cgroups(d.cgroup_parent_path()).empty());
    // Halting a halted zone is no change.
    auto again = d.zoneadm({"-z", "tidy", "halt"});
    EXPECT_EQ(again.status, 0) << again;
}

TEST(ZoneUninstall, LeavesTheImageIntact) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    const std::string image = d.root() + "/images/base/1";
    auto before = tree_of(image);
    ASSERT_GT(before.size(), 100u);
    std::string manifest = read_text(image + "/manifest.json");

    ASSERT_TRUE(d.boot_new_zone("un"));
    ASSERT_EQ(d.zlogin("un", "echo mine > /etc/mine && rm -f /bin/ls && touch /usr/new").status, 0);
    ASSERT_TRUE(d.adm("un", "halt"));
    ASSERT_TRUE(d.adm("un", "uninstall"));
    EXPECT_EQ(d.state("un"), "configured");
    for (const char* sub : {"/upper", "/work", "/root"})
        EXPECT_FALSE(exists(d.zone_dir("un") + sub)) << sub;

    EXPECT_EQ(tree_of(image), before);
    EXPECT_EQ(read_text(image + "/manifest.json"), manifest);
    auto list = d.run("zonectl", {"image", "list", "-p"});
    EXPECT_EQ(list.status, 0) << list;
    EXPECT_EQ(list.out.rfind("base:1:busybox:", 0), 0u) << list.out;

    // Installed again from the same image, the zone starts pristine.
    ASSERT_TRUE(d.adm("un", "install"));
    ASSERT_TRUE(d.adm("un", "boot"));
    auto fresh =
        d.zlogin("un", "test -e /etc/mine || test ! -e /bin/ls && echo changed || echo pristine");
    EXPECT_EQ(fresh.out, "pristine\n") << fresh;
}

TEST(ZoneParallel, TenZonesBootAtOnceFromOneImage) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    constexpr int kZones = 10;
    auto name = [](int i) { return "par" + std::to_string(i); };
    for (int i = 0; i < kZones; ++i) {
        ASSERT_TRUE(d.configure(name(i)));
        ASSERT_TRUE(d.adm(name(i), "install"));
    }
    auto in_threads = [&](const std::function<std::string(int)>& body) {
        std::latch go(kZones);
        std::vector<std::string> failures(kZones);
        std::vector<std::thread> threads;
        for (int i = 0; i < kZones; ++i)
            threads.emplace_back([&, i] {
                go.arrive_and_wait();
                failures[i] = body(i);
            });
        for (auto& t : threads)
            t.join();
        return failures;
    };
    auto booted = in_threads([&](int i) -> std::string {
        std::ostringstream why;
        auto b = d.zoneadm({"-z", name(i), "boot"});
        if (b.status != 0) why << "boot: " << b;
        auto h = d.zlogin(name(i), "hostname; echo $(($$ > 0))");
        if (h.status != 0 || h.out != name(i) + "\n1\n") why << "zlogin: " << h;
        return why.str();
    });
    for (int i = 0; i < kZones; ++i)
        EXPECT_EQ(booted[i], "") << name(i);
    auto running = parse_list_p(d.zoneadm({"list", "-p"}).out);
    EXPECT_EQ(running.size(), static_cast<size_t>(kZones) + 1);
    std::set<std::string> ids;
    for (const auto& r : running)
        ids.insert(r.id);
    EXPECT_EQ(ids.size(), running.size()) << "zone ids are not unique";
    EXPECT_EQ(child_cgroups(d.cgroup_parent_path()).size(), static_cast<size_t>(kZones));

    auto halted = in_threads([&](int i) -> std::string {
        auto h = d.zoneadm({"-z", name(i), "halt"});
        std::ostringstream why;
        if (h.status != 0) why << "halt: " << h;
        return why.str();
    });
    for (int i = 0; i < kZones; ++i) {
        EXPECT_EQ(halted[i], "") << name(i);
        EXPECT_EQ(d.state(name(i)), "installed");
        expect_nothing_left(d, name(i));
    }
    EXPECT_TRUE(child_cgroups(d.cgroup_parent_path()).empty());
    EXPECT_TRUE(mounts_below(d.dir()).empty());
}

TEST(ZoneErrors, BootOfAConfiguredZoneFailsClearly) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("notyet"));
    auto r = d.zoneadm({"-z", "notyet", "boot"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("configured"), std::string::npos) << r;
    EXPECT_NE(r.err.find("install it first"), std::string::npos) << r;
    EXPECT_EQ(d.state("notyet"), "configured");
    EXPECT_FALSE(exists(d.zone_cgroup("notyet")));
    auto missing = d.zoneadm({"-z", "nosuchzone", "boot"});
    EXPECT_EQ(missing.status, 1) << missing;
    EXPECT_NE(missing.err.find("nosuchzone"), std::string::npos) << missing;
}

TEST(ZoneErrors, InstallWithoutAnImageFailsClearly) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    auto cfg = d.zonecfg("noimage", "create; commit");
    ASSERT_EQ(cfg.status, 0) << cfg;
    auto r = d.zoneadm({"-z", "noimage", "install"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("no image is set"), std::string::npos) << r;
    EXPECT_NE(r.err.find("set image="), std::string::npos) << r;
    EXPECT_EQ(d.state("noimage"), "configured");
    EXPECT_FALSE(exists(d.zone_dir("noimage") + "/upper"));
}

TEST(ZoneErrors, InstallOfAMissingImageFailsWithNotFound) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("ghost", "", "nosuchimage"));
    auto r = d.zoneadm({"-z", "ghost", "install"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("nosuchimage"), std::string::npos) << r;
    EXPECT_EQ(d.state("ghost"), "configured");
    // The wire code says what the text says.
    auto c = d.client();
    ASSERT_TRUE(c) << c.error().message();
    auto call = c->call("zone.install", json{{"name", "ghost"}});
    ASSERT_FALSE(call);
    EXPECT_EQ(call.error().code, "NOT_FOUND") << call.error().message();
    // A version of a real image that does not exist is the same.
    ASSERT_TRUE(d.configure("ghost2", "", "base@9"));
    auto v = d.zoneadm({"-z", "ghost2", "install"});
    EXPECT_EQ(v.status, 1) << v;
    EXPECT_EQ(d.state("ghost2"), "configured");
}

TEST(ZoneErrors, BootWithAMissingInitFailsAndCleansUp) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("noinit", "set init=/no/such/init"));
    ASSERT_TRUE(d.adm("noinit", "install"));
    auto r = d.zoneadm({"-z", "noinit", "boot"});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("/no/such/init"), std::string::npos) << r;
    EXPECT_EQ(d.state("noinit"), "installed");
    expect_nothing_left(d, "noinit");
}

TEST(ZoneRestart, ZoneThatStoppedWhileZonedWasDownIsFoundInstalled) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("orphan"));
    json st = d.status_file("orphan");
    int init_pid = st.value("init_pid", 0), monitor_pid = st.value("monitor_pid", 0);
    ASSERT_TRUE(pid_alive(init_pid)) << st;
    d.stop(SIGKILL);
    // The zone dies while nobody watches; its monitor records why and goes.
    ASSERT_EQ(::kill(init_pid, SIGKILL), 0);
    ASSERT_TRUE(wait_for([&] { return !pid_alive(monitor_pid); }, 5000));
    ASSERT_TRUE(d.start()) << d.log();
    EXPECT_EQ(d.state("orphan"), "installed");
    auto v = d.zoneadm({"list", "-cv"});
    EXPECT_NE(v.out.find("killed by SIGKILL"), std::string::npos) << v.out;
    expect_nothing_left(d, "orphan");
    ASSERT_TRUE(d.adm("orphan", "boot"));
    EXPECT_EQ(d.zlogin("orphan", "hostname").out, "orphan\n");
}

TEST(Zlogin, ClientThatGoesAwayHangsUpTheSession) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("hup"));
    std::string n = marker_number();
    {
        Child c = d.spawn("zlogin", {"hup", "sleep " + n});
        ASSERT_TRUE(c.started());
        ASSERT_TRUE(wait_for([&] { return process_running("sleep " + n); }, 5000));
        ::kill(c.pid(), SIGKILL);
        c.wait(5000);
    }
    EXPECT_TRUE(wait_for([&] { return !process_running("sleep " + n); }, 5000))
        << "the session outlived its zlogin";
    EXPECT_EQ(d.zlogin("hup", "echo still-here").out, "still-here\n");
}

TEST(ZoneHalt, EndsSessionsInProgress) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("busy"));
    std::string n = marker_number();
    Child session = d.spawn("zlogin", {"busy", "echo started; sleep " + n + "; echo not-reached"});
    ASSERT_TRUE(session.read_until("started", 5000)) << session.out() << session.err();
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(d.adm("busy", "halt"));
    auto r = session.wait(10000);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    EXPECT_FALSE(r.timed_out) << "zlogin still waiting after the halt";
    EXPECT_NE(r.status, 0) << r;
    EXPECT_EQ(r.out.find("not-reached"), std::string::npos) << r;
    EXPECT_FALSE(process_running("sleep " + n));
    expect_nothing_left(d, "busy");
}

namespace zt {
namespace {

TEST(ZoneadmList, SaysWhenARunningZoneDiffersFromItsConfig) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("drift"));
    auto before = d.zoneadm({"list", "-v"});
    EXPECT_EQ(before.out.find("running*"), std::string::npos) << before.out;
    ASSERT_EQ(d.zonecfg("drift", "set hostname=elsewhere").status, 0);
    auto after = d.zoneadm({"list", "-v"});
    EXPECT_NE(after.out.find("running*"), std::string::npos) << after.out;
    EXPECT_NE(after.out.find("applies at the next boot"), std::string::npos) << after.out;
    EXPECT_EQ(d.zlogin("drift", "hostname").out, "drift\n");  // still the booted one
    ASSERT_TRUE(d.adm("drift", "reboot"));
    EXPECT_EQ(d.zlogin("drift", "hostname").out, "elsewhere\n");
    EXPECT_EQ(d.zoneadm({"list", "-v"}).out.find("running*"), std::string::npos);
}

} // namespace
} // namespace zt
