#include "tree.hpp"

#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/common/fs.hpp"

namespace zone::cg {

std::optional<std::string> cgroup2_mount_from_mountinfo(std::string_view text) {
    // Fields: id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    std::optional<std::string> best;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        size_t dash = line.find(" - ");
        if (dash == std::string_view::npos) continue;
        std::string_view tail = line.substr(dash + 3);
        if (tail.substr(0, tail.find(' ')) != "cgroup2") continue;
        // mount point is field 5
        std::string_view head = line.substr(0, dash);
        size_t pos = 0;
        for (int i = 0; i < 4 && pos != std::string_view::npos; ++i) {
            pos = head.find(' ', pos);
            if (pos != std::string_view::npos) ++pos;
        }
        if (pos == std::string_view::npos) continue;
        std::string_view mp = head.substr(pos, head.find(' ', pos) - pos);
        // Prefer the shortest mount point (the host's, not one bind-mounted deeper).
        if (!best || mp.size() < best->size()) best = std::string(mp);
    }
    return best;
}

Result<std::string> find_cgroup2_mount() {
    TRY(text, fs::read_file("/proc/self/mountinfo"));
    auto mp = cgroup2_mount_from_mountinfo(text);
    if (!mp) return make_error("ENOENT", "no cgroup2 file system is mounted");
    return *mp;
}

static Result<void> write_at(int dirfd, const char* file, const std::string& value,
                             const std::string& where) {
    UniqueFd fd(::openat(dirfd, file, O_WRONLY | O_CLOEXEC));
    if (!fd) return sys_error("open(" + where + "/" + file + ")");
    if (::write(fd.get(), value.data(), value.size()) < 0)
        return sys_error("write(" + where + "/" + file + ", '" + value + "')");
    return ok();
}

Result<Cgroup> Cgroup::create(const std::string& path) {
    TRY_VOID(fs::mkdir_p(path, 0755));
    return open(path);
}

Result<Cgroup> Cgroup::open(const std::string& path) {
    Cgroup c;
    c.path_ = path;
    c.dir_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!c.dir_) return sys_error("open(" + path + ")");
    return c;
}

Result<void> Cgroup::attach(pid_t pid) const {
    return write_at(dir_.get(), "cgroup.procs", std::to_string(pid), path_);
}

bool Cgroup::populated() const {
    UniqueFd fd(::openat(dir_.get(), "cgroup.events", O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    char buf[256];
    ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    if (n <= 0) return false;
    buf[n] = 0;
    return std::strstr(buf, "populated 1") != nullptr;
}

Result<void> Cgroup::kill() const { return write_at(dir_.get(), "cgroup.kill", "1", path_); }

Result<void> Cgroup::freeze(bool frozen) const {
    return write_at(dir_.get(), "cgroup.freeze", frozen ? "1" : "0", path_);
}

static long long now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

Result<void> Cgroup::wait_empty(int timeout_ms) const {
    // cgroup.events raises POLLPRI when "populated" changes: no polling loop.
    UniqueFd fd(::openat(dir_.get(), "cgroup.events", O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open(" + path_ + "/cgroup.events)");
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        char buf[256];
        ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
        if (n < 0) return sys_error("read(" + path_ + "/cgroup.events)");
        buf[n] = 0;
        if (!std::strstr(buf, "populated 1")) return ok();
        long long left = deadline - now_ms();
        if (left <= 0) return sys_error(ETIMEDOUT, "waiting for " + path_ + " to empty");
        pollfd p{fd.get(), POLLPRI, 0};
        ::poll(&p, 1, static_cast<int>(left));
    }
}

Result<void> Cgroup::delegate(uid_t uid, gid_t gid) const {
    if (::fchown(dir_.get(), uid, gid) < 0) return sys_error("chown(" + path_ + ")");
    for (const char* f : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"}) {
        if (::fchownat(dir_.get(), f, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
            return sys_error("chown(" + path_ + "/" + f + ")");
    }
    return ok();
}

Result<void> Cgroup::destroy() {
    if (!dir_) return ok();
    if (populated()) {
        TRY_VOID(kill());
        TRY_VOID(wait_empty(10000));
    }
    // rmdir can fail with EBUSY for a moment after the last task left while
    // the kernel finishes tearing it down; wait on the events file and retry.
    for (int attempt = 0;; ++attempt) {
        if (::rmdir(path_.c_str()) == 0 || errno == ENOENT) break;
        if (errno != EBUSY || attempt >= 50) return sys_error("rmdir(" + path_ + ")");
        timespec ts{0, 10 * 1000 * 1000};
        nanosleep(&ts, nullptr);
    }
    dir_.reset();
    return ok();
}

} // namespace zone::cg
