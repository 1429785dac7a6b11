#include "cgfs.hpp"

#include <algorithm>
#include <filesystem>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/common/fs.hpp"

namespace zone::cg::detail {

namespace {

long long now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

bool plain_name(const std::string& s) {
    return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
           s.find('\n') == std::string::npos;
}

} // namespace

Result<void> check_zone_name(const std::string& zone) {
    if (plain_name(zone)) return ok();
    return make_error("EINVAL", "'" + zone + "' is not a zone name for a cgroup");
}

Result<void> check_parent_name(const std::string& parent) {
    bool good = !parent.empty() && parent.front() != '/';
    for (size_t i = 0; good && i <= parent.size();) {
        size_t slash = std::min(parent.find('/', i), parent.size());
        good = plain_name(parent.substr(i, slash - i));
        i = slash + 1;
    }
    if (good) return ok();
    return make_error("EINVAL", "cgroup parent '" + parent +
                                    "' is not a relative path of plain names (no '.', '..', '//')");
}

std::optional<std::string> read_opt(const std::string& path) {
    auto r = fs::read_file(path);
    if (!r) return std::nullopt;
    return std::move(*r);
}

std::optional<std::uint64_t> read_u64(const std::string& path) {
    auto text = read_opt(path);
    return text ? parse_u64(*text) : std::nullopt;
}

Result<void> write_lines(const std::string& path, const std::vector<std::string>& lines) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd) return sys_error("open(" + path + ")");
    for (const auto& line : lines) {
        ssize_t n;
        do {
            n = ::write(fd.get(), line.data(), line.size());
        } while (n < 0 && errno == EINTR);
        std::string shown =
            line.empty() || line.back() != '\n' ? line : line.substr(0, line.size() - 1);
        if (n < 0) return sys_error("write(" + path + ", '" + shown + "')");
        if (static_cast<size_t>(n) != line.size())
            return sys_error(EIO, "write(" + path + ", '" + shown + "'): short write");
    }
    return ok();
}

Result<void> write_one(const std::string& path, const std::string& value) {
    return write_lines(path, {value});
}

Result<void> make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return ok();
    return sys_error("mkdir(" + path + ")");
}

Result<void> remove_dir(const std::string& path, int timeout_ms) {
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return ok();
        if (errno != EBUSY || now_ms() >= deadline) return sys_error("rmdir(" + path + ")");
        sleep_ms(10);
    }
}

Result<void> remove_tree(const std::string& path, int timeout_ms) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
        std::error_code dec;
        if (e.is_directory(dec) && !e.is_symlink(dec)) TRY_VOID(remove_tree(e.path().string(), timeout_ms));
    }
    return remove_dir(path, timeout_ms);
}

bool wait_for(const std::function<bool()>& done, int timeout_ms) {
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (done()) return true;
        if (now_ms() >= deadline) return false;
        sleep_ms(10);
    }
}

Result<void> run_plan(const std::vector<Write>& plan,
                      const std::function<std::string(const std::string&)>& dir_of) {
    for (const auto& w : plan) {
        std::string path = dir_of(w.controller) + "/" + w.file;
        auto r = write_lines(path, w.lines);
        if (r) continue;
        // A reset of a file this kernel lacks (memory.swap.max without swap
        // accounting, blkio.bfq.weight without BFQ) has nothing to reset.
        if (w.is_reset() && r.error().err == ENOENT) continue;
        if (w.is_reset()) return std::move(r).error().wrap("resetting " + w.file);
        if (r.error().err == ENOENT)
            return make_error(kUnsupportedLimit, "limit " + w.limit + " needs " + w.file +
                                                     ", which this host's " + w.controller +
                                                     " controller does not provide (" + path +
                                                     " is missing)");
        return std::move(r).error().wrap("applying " + w.limit);
    }
    return ok();
}

Result<void> freeze_v2(const std::string& dir, bool frozen, int timeout_ms) {
    TRY_VOID(write_one(dir + "/cgroup.freeze", frozen ? "1" : "0"));
    auto settled = [&] {
        auto events = read_opt(dir + "/cgroup.events");
        if (!events) return true;
        auto m = parse_flat_keyed(*events);
        auto it = m.find("frozen");
        return it == m.end() || (it->second == 1) == frozen;
    };
    if (wait_for(settled, timeout_ms)) return ok();
    return sys_error(ETIMEDOUT,
                     std::string("waiting for ") + dir + (frozen ? " to freeze" : " to thaw"));
}

void read_pressure(const std::string& dir, Stats& s) {
    if (auto t = read_opt(dir + "/cpu.pressure")) s.cpu_pressure = parse_pressure(*t);
    if (auto t = read_opt(dir + "/memory.pressure")) s.memory_pressure = parse_pressure(*t);
    if (auto t = read_opt(dir + "/io.pressure")) s.io_pressure = parse_pressure(*t);
}

std::vector<pid_t> read_pids(const std::string& procs_file) {
    std::vector<pid_t> out;
    auto text = read_opt(procs_file);
    if (!text) return out;
    std::string_view t = *text;
    while (!t.empty()) {
        size_t nl = t.find('\n');
        if (auto n = parse_u64(t.substr(0, nl)); n && *n > 0) out.push_back(static_cast<pid_t>(*n));
        t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
    }
    return out;
}

Result<void> kill_listed(const std::string& procs_file, const std::function<void(bool)>& freeze,
                         int timeout_ms) {
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        auto pids = read_pids(procs_file);
        if (pids.empty()) return ok();
        if (now_ms() >= deadline)
            return sys_error(ETIMEDOUT, "killing the " + std::to_string(pids.size()) +
                                            " processes left in " + procs_file);
        freeze(true);
        std::vector<std::pair<pid_t, UniqueFd>> fds;
        for (pid_t pid : pids) {
            UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
            if (fd) fds.emplace_back(pid, std::move(fd));
        }
        auto still = read_pids(procs_file);
        for (auto& [pid, fd] : fds)
            if (std::find(still.begin(), still.end(), pid) != still.end())
                ::syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0);
        freeze(false);
        sleep_ms(10);
    }
}

} // namespace zone::cg::detail
