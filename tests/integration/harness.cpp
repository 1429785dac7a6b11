#include "harness.hpp"

#include "cgroups/driver.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <ostream>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>

extern char** environ;

namespace zt {

namespace {

using Clock = std::chrono::steady_clock;

// Writes to a child's stdin after it exited must not kill the test.
const bool kSigpipeIgnored = (std::signal(SIGPIPE, SIG_IGN), true);

int ms_until(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

int shell_status(int wstatus) {
    if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
    return -1;
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
    std::vector<char*> out;
    for (const auto& s : v)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

std::string tail(const std::string& s, size_t max) {
    return s.size() <= max ? s : "[...]\n" + s.substr(s.size() - max);
}

// Kills everything in the cgroup tree at `path` and removes it, deepest first.
// Returns the cgroups that still had processes.
std::vector<std::string> destroy_cgroup_tree(const std::string& path) {
    std::vector<std::string> busy;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return busy;
    if (read_text(path + "/cgroup.events").find("populated 1") != std::string::npos) {
        busy.push_back(path);
        write_text(path + "/cgroup.kill", "1");
        wait_for(
            [&] {
                return read_text(path + "/cgroup.events").find("populated 0") != std::string::npos;
            },
            5000);
    }
    if (DIR* d = ::opendir(path.c_str())) {
        std::vector<std::string> subs;
        while (dirent* e = ::readdir(d))
            if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
                subs.push_back(path + "/" + e->d_name);
        ::closedir(d);
        for (const auto& s : subs) {
            auto b = destroy_cgroup_tree(s);
            busy.insert(busy.end(), b.begin(), b.end());
        }
    }
    // The kernel may still be releasing the last task: retry briefly.
    wait_for([&] { return ::rmdir(path.c_str()) == 0 || errno == ENOENT; }, 3000);
    return busy;
}

// A v1 cgroup tree of ours: its tasks SIGKILLed, then removed deepest first.
void remove_v1_tree(const std::string& path) {
    if (DIR* d = ::opendir(path.c_str())) {
        std::vector<std::string> subs;
        while (dirent* e = ::readdir(d))
            if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
                subs.push_back(path + "/" + e->d_name);
        ::closedir(d);
        for (const auto& s : subs) remove_v1_tree(s);
    }
    for (const auto& line : split_lines(read_text(path + "/cgroup.procs")))
        if (!line.empty()) ::kill(std::stoi(line), SIGKILL);
    wait_for([&] { return ::rmdir(path.c_str()) == 0 || errno == ENOENT; }, 3000);
}

std::atomic<unsigned> g_counter{0};

} // namespace

std::ostream& operator<<(std::ostream& os, const RunResult& r) {
    os << "exit status " << r.status << (r.timed_out ? " (timed out, killed)" : "")
       << "\n--- stdout ---\n"
       << tail(r.out, 8192) << "\n--- stderr ---\n"
       << tail(r.err, 8192) << "\n---";
    return os;
}

// ---- Child ----------------------------------------------------------------

Child::Child(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    (void)kSigpipeIgnored;
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) < 0) {
        spawn_error_ = std::string("pipe2: ") + std::strerror(errno);
        return;
    }
    zone::UniqueFd in_r(in[0]), in_w(in[1]);
    if (::pipe2(out, O_CLOEXEC) < 0) {
        spawn_error_ = std::string("pipe2: ") + std::strerror(errno);
        return;
    }
    zone::UniqueFd out_r(out[0]), out_w(out[1]);
    if (::pipe2(err, O_CLOEXEC) < 0) {
        spawn_error_ = std::string("pipe2: ") + std::strerror(errno);
        return;
    }
    zone::UniqueFd err_r(err[0]), err_w(err[1]);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
    posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    auto av = c_strings(argv);
    auto ev = c_strings(env);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, av[0], &fa, &attr, av.data(), ev.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        spawn_error_ = "posix_spawn(" + argv[0] + "): " + std::strerror(rc);
        return;
    }
    pid_ = pid;
    pidfd_ = zone::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    in_ = std::move(in_w);
    out_ = std::move(out_r);
    err_ = std::move(err_r);
    for (int fd : {in_.get(), out_.get(), err_.get()})
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), pidfd_(std::move(o.pidfd_)), in_(std::move(o.in_)),
      out_(std::move(o.out_)), err_(std::move(o.err_)), pending_in_(std::move(o.pending_in_)),
      close_in_after_pending_(o.close_in_after_pending_), exited_(o.exited_),
      exited_at_(o.exited_at_), res_(std::move(o.res_)), spawn_error_(std::move(o.spawn_error_)) {}

Child::~Child() {
    if (pid_ > 0 && !exited_) {
        ::kill(pid_, SIGKILL);
        int ws = 0;
        ::waitpid(pid_, &ws, 0);
    }
}

void Child::write(const std::string& text) {
    pending_in_ += text;
    pump(Clock::now());
}

void Child::close_stdin() {
    if (pending_in_.empty())
        in_.reset();
    else
        close_in_after_pending_ = true;
}

bool Child::pump(Clock::time_point deadline) {
    if (pid_ <= 0) return false;
    if (!pending_in_.empty() && in_) {
        ssize_t n = ::write(in_.get(), pending_in_.data(), pending_in_.size());
        if (n > 0)
            pending_in_.erase(0, static_cast<size_t>(n));
        else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            pending_in_.clear();
            in_.reset();
        }
        if (pending_in_.empty() && close_in_after_pending_) in_.reset();
    }
    // A child that exited may have left descendants holding its pipes (a zone
    // process in the background): read for 2 s more at most.
    if (exited_ && (!out_ && !err_)) return false;
    if (exited_ && Clock::now() - exited_at_ > std::chrono::seconds(2)) return false;
    pollfd p[4] = {{out_ ? out_.get() : -1, POLLIN, 0},
                   {err_ ? err_.get() : -1, POLLIN, 0},
                   {exited_ ? -1 : pidfd_.get(), POLLIN, 0},
                   {!pending_in_.empty() && in_ ? in_.get() : -1, POLLOUT, 0}};
    int timeout = ms_until(deadline);
    if (exited_) timeout = std::min(timeout, 100);
    int n = ::poll(p, 4, timeout);
    if (n < 0 && errno != EINTR) return false;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        zone::UniqueFd& fd = i == 0 ? out_ : err_;
        std::string& to = i == 0 ? res_.out : res_.err;
        for (;;) {
            ssize_t r = ::read(fd.get(), buf, sizeof buf);
            if (r > 0) {
                to.append(buf, static_cast<size_t>(r));
                continue;
            }
            if (r == 0 || (errno != EAGAIN && errno != EINTR)) fd.reset();
            break;
        }
    }
    if (!exited_ && (p[2].revents & POLLIN || !pidfd_)) {
        int ws = 0;
        pid_t r = ::waitpid(pid_, &ws, pidfd_ ? 0 : WNOHANG);
        if (r == pid_) {
            exited_ = true;
            exited_at_ = Clock::now();
            res_.status = shell_status(ws);
        }
    }
    return true;
}

bool Child::read_until(const std::string& needle, int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (res_.out.find(needle) != std::string::npos) return true;
        if (Clock::now() >= deadline) return false;
        if (!pump(deadline)) return res_.out.find(needle) != std::string::npos;
    }
}

RunResult Child::wait(int timeout_ms) {
    if (pid_ <= 0) {
        res_.err = spawn_error_;
        return res_;
    }
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline && pump(deadline)) {
    }
    if (!exited_) {
        res_.timed_out = true;
        ::kill(pid_, SIGKILL);
        int ws = 0;
        if (::waitpid(pid_, &ws, 0) == pid_) res_.status = shell_status(ws);
        exited_ = true;
    }
    return res_;
}

RunResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                      const std::string& input, int timeout_ms) {
    Child c(argv, env);
    if (!c.started()) {
        RunResult r;
        r.err = c.spawn_error();
        return r;
    }
    c.write(input);
    c.close_stdin();
    return c.wait(timeout_ms);
}

// ---- small helpers -------------------------------------------------------

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e)
        if (std::strncmp(*e, "ZONED_SOCKET=", 13) != 0) env.emplace_back(*e);
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

bool wait_for(const std::function<bool()>& pred, int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (pred()) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return "";
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

bool write_text(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    return ::close(fd) == 0 && ok;
}

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
    size_t b = 0;
    while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b])))
        ++b;
    return s.substr(b);
}

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

std::string unique_token() {
    return std::to_string(::getpid()) + "-" + std::to_string(g_counter++) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER".
// Mount points escape space, tab, newline and backslash as octal.
namespace {
struct MountLine {
    std::string mountpoint, fstype;
};
std::string unescape_octal(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() &&
            std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}
std::vector<MountLine> host_mounts() {
    std::vector<MountLine> out;
    for (const auto& line : split_lines(read_text("/proc/self/mountinfo"))) {
        std::istringstream in(line);
        std::vector<std::string> f;
        for (std::string w; in >> w;)
            f.push_back(w);
        auto dash = std::find(f.begin(), f.end(), "-");
        if (f.size() < 5 || dash == f.end() || dash + 1 == f.end()) continue;
        out.push_back({unescape_octal(f[4]), *(dash + 1)});
    }
    return out;
}
} // namespace

std::string cgroup2_mount() {
    for (const auto& m : host_mounts())
        if (m.fstype == "cgroup2") return m.mountpoint;
    return "";
}

std::vector<std::string> mounts_below(const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& m : host_mounts())
        if (m.mountpoint == prefix || m.mountpoint.rfind(prefix + "/", 0) == 0)
            out.push_back(m.mountpoint);
    return out;
}

std::vector<pid_t> processes_using(const std::string& prefix) {
    std::vector<pid_t> out;
    DIR* proc = ::opendir("/proc");
    if (!proc) return out;
    auto under = [&](const std::string& link) {
        char buf[4096];
        ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
        if (n <= 0) return false;
        std::string t(buf, static_cast<size_t>(n));
        return t == prefix || t.rfind(prefix + "/", 0) == 0;
    };
    while (dirent* e = ::readdir(proc)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (!end || *end || pid <= 0 || pid == ::getpid()) continue;
        std::string base = std::string("/proc/") + e->d_name;
        bool hit = under(base + "/cwd") || under(base + "/root") || under(base + "/exe");
        if (!hit)
            if (DIR* fds = ::opendir((base + "/fd").c_str())) {
                while (dirent* f = ::readdir(fds))
                    if (f->d_name[0] != '.' && under(base + "/fd/" + f->d_name)) {
                        hit = true;
                        break;
                    }
                ::closedir(fds);
            }
        if (hit) out.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(proc);
    return out;
}

bool process_running(const std::string& command_line) {
    DIR* proc = ::opendir("/proc");
    if (!proc) return false;
    bool found = false;
    while (dirent* e = ::readdir(proc)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (!end || *end || pid <= 0 || pid == ::getpid()) continue;
        std::string cmd = read_text(std::string("/proc/") + e->d_name + "/cmdline");
        std::replace(cmd.begin(), cmd.end(), '\0', ' ');
        if (trim(cmd) == command_line) {
            found = true;
            break;
        }
    }
    ::closedir(proc);
    return found;
}

std::vector<ListRow> parse_list_p(const std::string& text) {
    std::vector<ListRow> rows;
    for (const auto& line : split_lines(text)) {
        std::vector<std::string> f;
        std::string cur;
        for (char c : line) {
            if (c == ':') {
                f.push_back(cur);
                cur.clear();
            } else {
                cur += c;
            }
        }
        f.push_back(cur);
        if (f.size() != 7) {
            rows.push_back({"<" + std::to_string(f.size()) + " fields>", line, "", "", "", "", ""});
            continue;
        }
        rows.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f[6]});
    }
    return rows;
}

// ---- TestDaemon ----------------------------------------------------------

TestDaemon::TestDaemon(const std::string& extra_config) {
    if (::geteuid() != 0) {
        setup_error_ = "not root";
        return;
    }
    std::string tmpl = "/var/tmp/zt-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
        setup_error_ = std::string("mkdtemp: ") + std::strerror(errno);
        return;
    }
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);
    cgroup_mount_ = cgroup2_mount();
    if (cgroup_mount_.empty()) {
        setup_error_ = "no cgroup2 mount in /proc/self/mountinfo";
        return;
    }
    unsigned n = g_counter++;
    cgroup_name_ = "zt-" + std::to_string(::getpid()) + "-" + std::to_string(n);
    // A /24 in 10.128.0.0/9 from pid and counter: parallel test processes
    // (ctest -j) practically never meet.
    uint32_t h = 2166136261u;
    for (char c : cgroup_name_) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    char buf[64];
    snprintf(buf, sizeof buf, "10.%u.%u.", 128 + (h >> 8) % 128, h % 256);
    subnet_prefix_ = buf;
    snprintf(buf, sizeof buf, "ztb%08x", h);
    bridge_ = buf;
    snprintf(buf, sizeof buf, "zt_%08x", h);
    nft_table_ = buf;
    write_text(config_path(), "bridge = " + bridge_ + "\nsubnet = " + subnet_prefix_ +
                                  "0/24\nnft-table = " + nft_table_ + "\n" + extra_config + "\n");
    start();
}

TestDaemon::~TestDaemon() {
    teardown();
}

::testing::AssertionResult TestDaemon::started() const {
    if (setup_error_.empty() && pid_ > 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "test daemon: " << setup_error_ << "\n" << log();
}

bool TestDaemon::running() const {
    if (pid_ <= 0) return false;
    // Peek only (WNOWAIT): stop() reaps.
    siginfo_t si{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return false;
    return si.si_pid == 0;
}

bool TestDaemon::start() {
    if (pid_ > 0) return true;
    std::vector<std::string> argv = {ZONED_BIN,    "--root",      root(),   "--run-dir",
                                     run_dir(),    "--socket",    socket(), "--cgroup-parent",
                                     cgroup_name_, "--log-level", "debug",
                                     "--config",   config_path()};
    int log = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, log, 1);
    posix_spawn_file_actions_adddup2(&fa, log, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    auto av = c_strings(argv);
    auto env = environment_with({});
    auto ev = c_strings(env);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, av[0], &fa, &attr, av.data(), ev.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(log);
    if (rc != 0) return false;
    pid_ = pid;
    // Ready once the socket answers a ping; a zoned that exits is not coming.
    bool up = wait_for(
        [&] {
            if (!running()) return true;
            auto c = zone::api::Client::connect(socket());
            return c && c->call("daemon.ping", nlohmann::json::object()).has_value();
        },
        5000);
    if (!up || !running()) {
        siginfo_t si{};
        ::waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG | WNOWAIT);
        setup_error_ = si.si_pid
                           ? "zoned exited at start (status " + std::to_string(si.si_status) + ")"
                           : "zoned did not answer on " + socket() + " within 5 s";
        stop(SIGKILL);
        return false;
    }
    setup_error_.clear();
    return true;
}

void TestDaemon::stop(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int ws = 0;
    bool gone = wait_for([&] { return ::waitpid(pid_, &ws, WNOHANG) == pid_; }, 15000);
    if (!gone) {
        ADD_FAILURE() << "zoned (pid " << pid_ << ") did not exit within 15 s of signal " << sig;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &ws, 0);
    }
    pid_ = -1;
}

::testing::AssertionResult TestDaemon::restart(int sig) {
    stop(sig);
    if (!start())
        return ::testing::AssertionFailure() << "zoned did not come back: " << setup_error_ << "\n"
                                             << log();
    return ::testing::AssertionSuccess();
}

std::string TestDaemon::log() const {
    return tail(read_text(log_path()), 32768);
}

RunResult TestDaemon::run(const std::string& tool, const std::vector<std::string>& args,
                          const std::string& input, int timeout_ms) const {
    std::vector<std::string> argv{tool == "zonectl" ? std::string(ZONECTL_BIN)
                                                    : std::string(ZONECTL_DIR) + "/" + tool};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, environment_with({"ZONED_SOCKET=" + socket()}), input, timeout_ms);
}

Child TestDaemon::spawn(const std::string& tool, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{tool == "zonectl" ? std::string(ZONECTL_BIN)
                                                    : std::string(ZONECTL_DIR) + "/" + tool};
    argv.insert(argv.end(), args.begin(), args.end());
    return Child(argv, environment_with({"ZONED_SOCKET=" + socket()}));
}

zone::Result<zone::api::Client> TestDaemon::client() const {
    return zone::api::Client::connect(socket());
}

::testing::AssertionResult TestDaemon::ensure_image(const std::string& name) {
    if (images_.count(name)) return ::testing::AssertionSuccess();
    auto r = run("zonectl", {"image", "build", name, "--from", "busybox"}, "", 60000);
    if (r.status != 0)
        return ::testing::AssertionFailure() << "zonectl image build " << name << ": " << r;
    images_.insert(name);
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult TestDaemon::configure(const std::string& zone, const std::string& extra,
                                                 const std::string& image) {
    std::string script =
        "create; set image=" + image + (extra.empty() ? "" : "; " + extra) + "; commit";
    auto r = zonecfg(zone, script);
    if (r.status != 0) return ::testing::AssertionFailure() << "zonecfg '" << script << "': " << r;
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult TestDaemon::adm(const std::string& zone, const std::string& verb) {
    auto r = zoneadm({"-z", zone, verb});
    if (r.status != 0)
        return ::testing::AssertionFailure() << "zoneadm -z " << zone << " " << verb << ": " << r;
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult TestDaemon::boot_new_zone(const std::string& zone,
                                                     const std::string& extra) {
    if (auto r = ensure_image(); !r) return r;
    if (auto r = configure(zone, extra); !r) return r;
    if (auto r = adm(zone, "install"); !r) return r;
    return adm(zone, "boot");
}

ListRow TestDaemon::row(const std::string& zone) const {
    auto r = zoneadm({"list", "-cp"});
    for (const auto& row : parse_list_p(r.out))
        if (row.name == zone) return row;
    return {};
}

nlohmann::json TestDaemon::status_file(const std::string& zone) const {
    auto j = nlohmann::json::parse(read_text(zone_dir(zone) + "/state.json"), nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
}

void TestDaemon::halt_all_zones() {
    auto l = zoneadm({"list", "-p"});
    for (const auto& row : parse_list_p(l.out)) {
        if (row.name == "global" || row.name.empty()) continue;
        auto h = zoneadm({"-z", row.name, "halt"});
        if (h.status != 0) ADD_FAILURE() << "teardown: halting zone " << row.name << ": " << h;
    }
}

void TestDaemon::print_logs() const {
    std::string out = "===== zoned log (" + log_path() + ") =====\n" + log();
    if (DIR* d = ::opendir((run_dir() + "/zones").c_str())) {
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            std::string m = read_text(run_dir() + "/zones/" + e->d_name + "/monitor.log");
            if (!m.empty())
                out += "===== monitor of " + std::string(e->d_name) + " =====\n" + tail(m, 8192);
        }
        ::closedir(d);
    }
    std::fprintf(stderr, "%s\n", out.c_str());
}

void TestDaemon::teardown() {
    if (dir_.empty()) return;
    // 1. Halt every zone through a daemon (started again if a test stopped it).
    if (!cgroup_name_.empty() && (pid_ > 0 || start())) {
        halt_all_zones();
        stop(SIGTERM);
    }
    // 2. Whatever still runs in the cgroup parent: cgroup.kill, then rmdir.
    if (!cgroup_name_.empty()) {
        auto busy = destroy_cgroup_tree(cgroup_parent_path());
        for (const auto& b : busy)
            ADD_FAILURE() << "teardown: processes were left in " << b << " (killed)";
        struct stat st {};
        if (::stat(cgroup_parent_path().c_str(), &st) == 0)
            ADD_FAILURE() << "teardown: cannot remove " << cgroup_parent_path();
    }
    // 2b. On a v1-hybrid host zoned also makes <v1 mount>/<parent> in each
    //     hierarchy, and removes them when it stops with no zone running.
    if (!cgroup_name_.empty()) {
        auto roots = zone::cg::roots_from_mountinfo(read_text("/proc/self/mountinfo"));
        for (const auto& [controller, mount] : roots.v1) {
            std::string dir = mount + "/" + cgroup_name_;
            struct stat st {};
            if (::stat(dir.c_str(), &st) != 0) continue;
            ADD_FAILURE() << "teardown: cgroup " << dir << " was left (removed)";
            remove_v1_tree(dir);
        }
    }
    // 3. Zone monitors (outside the zones' cgroups) and anything else of ours.
    auto left = processes_using(dir_);
    wait_for([&] { return (left = processes_using(dir_)).empty(); }, 3000);
    for (pid_t p : left) {
        std::string cmd = read_text("/proc/" + std::to_string(p) + "/cmdline");
        std::replace(cmd.begin(), cmd.end(), '\0', ' ');
        ADD_FAILURE() << "teardown: process " << p << " (" << cmd << ") still uses " << dir_
                      << " (killed)";
        ::kill(p, SIGKILL);
    }
    wait_for([&] { return processes_using(dir_).empty(); }, 3000);
    // 4a. zoned removes its bridge and nft table when it stops with no zone.
    if (!bridge_.empty() && ::access(("/sys/class/net/" + bridge_).c_str(), F_OK) == 0) {
        ADD_FAILURE() << "teardown: bridge " << bridge_ << " was left (deleted)";
        run_command({"/sbin/ip", "link", "del", bridge_}, environment_with({}));
    }
    if (!nft_table_.empty() &&
        run_command({"/usr/sbin/nft", "list", "table", "ip", nft_table_}, environment_with({})).status == 0) {
        ADD_FAILURE() << "teardown: nft table " << nft_table_ << " was left (deleted)";
        run_command({"/usr/sbin/nft", "delete", "table", "ip", nft_table_}, environment_with({}));
    }
    // 4. Mounts must not leak to the host; detach any, deepest first, so that
    //    removing the tree never reaches through one.
    auto mounts = mounts_below(dir_);
    std::sort(mounts.begin(), mounts.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
    for (const auto& m : mounts) {
        ADD_FAILURE() << "teardown: mount " << m << " leaked to the host (detached)";
        ::umount2(m.c_str(), MNT_DETACH);
    }
    if (::testing::Test::HasFailure()) print_logs();
    // 5. The temp dir; rm -rf stays on its file system.
    // (A Debian image takes a while to delete on a disk mounted with discard.)
    auto rm = run_command({"/bin/rm", "-rf", "--one-file-system", dir_}, environment_with({}), "",
                          300000);
    if (rm.status != 0) ADD_FAILURE() << "teardown: rm -rf " << dir_ << ": " << rm;
    dir_.clear();
}

} // namespace zt
