// zoneadm reset: a zone back to pristine, and the pieces the other QA-cycle
// operations share (swapping a directory in, freezing a running zone).
#include <atomic>
#include <cstring>
#include <fcntl.h>
#include <thread>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/tree.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/zone_qa.hpp"

namespace zone::qa {

std::string files_dir_name(const config::ZoneConfig& cfg) {
    return cfg.get_or("root-type", "overlay") == "copy" ? "rootfs" : "upper";
}

std::string trash_dir(const std::string& zones_dir) { return zones_dir + "/.trash"; }

void discard_tree(const std::string& path) {
    // <state>/zones/<zone>/X -> <state>/zones/.trash/<zone>-X-<n>: one rename
    // on the same file system, then removed by a thread of its own, so that
    // the caller's time does not grow with the size of what is thrown away.
    const std::string zone_dir = fs::dirname(path), zones = fs::dirname(zone_dir);
    static std::atomic<unsigned long> counter{0};
    const std::string trash = trash_dir(zones);
    const std::string dst = trash + "/" + fs::basename(zone_dir) + "-" + fs::basename(path) + "-" +
                            std::to_string(::getpid()) + "-" + std::to_string(counter++);
    if (!fs::mkdir_p(trash, 0700) || ::rename(path.c_str(), dst.c_str()) < 0) {
        if (auto r = fs::remove_tree(path); !r)
            ZLOG_WARN("removing %s: %s, ignoring (removed at the next start)", path.c_str(),
                      r.error().message().c_str());
        return;
    }
    std::thread([dst] {
        if (auto r = fs::remove_tree(dst); !r)
            ZLOG_WARN("removing %s: %s, ignoring (removed at the next start)", dst.c_str(),
                      r.error().message().c_str());
    }).detach();
}

void empty_trash(Daemon& d) {
    const std::string trash = trash_dir(d.paths().zones_dir());
    if (!fs::exists(trash)) return;
    std::thread([trash] {
        if (auto r = fs::remove_tree(trash); !r)
            ZLOG_WARN("emptying %s: %s, ignoring", trash.c_str(), r.error().message().c_str());
    }).detach();
}

Result<void> swap_in(const std::string& dir, const std::string& name) {
    const std::string cur = dir + "/" + name, next = dir + "/.new-" + name;
    if (fs::exists(cur)) {
        TRY_VOID(fs::exchange(next, cur));
        // `next` now holds the old tree: nothing refers to it any more.
        discard_tree(next);
        return ok();
    }
    if (::rename(next.c_str(), cur.c_str()) < 0) return sys_error("rename(" + next + ", " + cur + ")");
    return ok();
}

Result<void> fresh_work(const std::string& dir) {
    const std::string next = dir + "/.new-work";
    TRY_VOID(fs::remove_tree(next));
    if (::mkdir(next.c_str(), 0700) < 0) return sys_error("mkdir(" + next + ")");
    return swap_in(dir, "work");
}

Result<void> save_status(Daemon& d, Zone& z, const ZoneStatus& st) {
    TRY_VOID(d.store().save_status(z.name, st));
    z.status = st;
    return ok();
}

Result<std::string> new_uuid() {
    TRY(s, fs::read_file("/proc/sys/kernel/random/uuid"));
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

namespace {

// A pristine upper: what install makes (an empty directory, mode 0755).
Result<void> prepare_empty_upper(const std::string& dir) {
    const std::string next = dir + "/.new-upper";
    TRY_VOID(fs::remove_tree(next));
    if (::mkdir(next.c_str(), 0755) < 0) return sys_error("mkdir(" + next + ")");
    return ok();
}

// A pristine copy: the image version the configuration names now.
Result<unsigned> prepare_copy(Daemon& d, const Zone& z, const std::string& dir) {
    TRY(ref, config::parse_image_ref(z.config.get_or("image", "")));
    TRY(img, d.images().resolve(ref.name, ref.version));
    const std::string next = dir + "/.new-rootfs";
    TRY_VOID(fs::remove_tree(next));
    auto r = fs::copy_tree(img.rootfs, next);
    if (!r) {
        (void)fs::remove_tree(next);
        return std::move(r).error();
    }
    return img.manifest.version;
}

} // namespace

Result<api::json> reset_zone(Daemon& d, Zone& z) {
    const std::string dir = d.paths().zone_dir(z.name);
    const std::string what = files_dir_name(z.config);
    auto done = [&]() -> Result<void> {
        if (what == "upper") {
            TRY_VOID(prepare_empty_upper(dir));
            TRY_VOID(swap_in(dir, "upper"));
            return fresh_work(dir);
        }
        TRY(version, prepare_copy(d, z, dir));
        TRY_VOID(swap_in(dir, "rootfs"));
        ZoneStatus st = z.status;
        st.image_version = version;
        return save_status(d, z, st);
    }();
    if (!done) return std::move(done).error().wrap("zone '" + z.name + "': resetting");
    ZLOG_INFO("zone=%s reset to pristine (%s)", z.name.c_str(), what.c_str());
    return api::json{{"name", z.name},
                     {"changed", true},
                     {"state", std::string(to_string(z.status.state))},
                     {"image_version", z.status.image_version}};
}

void recover_zone_files(Daemon& d, Zone& z) {
    const std::string dir = d.paths().zone_dir(z.name);
    auto sweep = [&](const std::string& where, bool any_dot) {
        auto fd = fs::open_dir(where);
        if (!fd) return;
        auto names = fs::list_dir(fd->get(), where);
        if (!names) return;
        for (const auto& n : *names) {
            bool leftover = any_dot ? n[0] == '.'
                                    : n.rfind(".new-", 0) == 0 || n.rfind(".discard-", 0) == 0;
            if (!leftover) continue;
            ZLOG_INFO("zone=%s removing %s/%s, left by an operation that was cut off", z.name.c_str(),
                      where.c_str(), n.c_str());
            if (auto r = fs::remove_tree(where + "/" + n); !r)
                ZLOG_WARN("zone=%s %s, ignoring", z.name.c_str(), r.error().message().c_str());
        }
    };
    sweep(dir, false);
    sweep(dir + "/snapshots", true);
}

// ---- freezing ---------------------------------------------------------------------

namespace {

// cgroup.events says "frozen 1" once every process of the group stopped.
Result<void> wait_frozen(const std::string& cgroup, int timeout_ms) {
    const std::string events = cgroup + "/cgroup.events";
    UniqueFd fd(::open(events.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open(" + events + ")");
    for (int waited = 0;; waited += 50) {
        char buf[256];
        ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
        if (n < 0) return sys_error("read(" + events + ")");
        buf[n] = 0;
        if (std::strstr(buf, "frozen 1")) return ok();
        if (waited >= timeout_ms) return sys_error(ETIMEDOUT, "waiting for " + cgroup + " to freeze");
        pollfd p{fd.get(), POLLPRI, 0};
        ::poll(&p, 1, 50);
    }
}

} // namespace

Result<FreezeGuard> FreezeGuard::freeze(Zone& z) {
    FreezeGuard g;
    if (z.status.state != ZoneState::Running || z.status.cgroup.empty()) return g;
    TRY(cg, cg::Cgroup::open(z.status.cgroup));
    TRY_VOID(cg.freeze(true));
    g.path_ = z.status.cgroup;  // from here on the destructor thaws it
    TRY_VOID(wait_frozen(g.path_, 10000));
    return g;
}

FreezeGuard::~FreezeGuard() {
    if (path_.empty()) return;
    auto cg = cg::Cgroup::open(path_);
    if (!cg || !cg->freeze(false))
        ZLOG_ERROR("cannot thaw %s: the zone stays frozen; write 0 to its cgroup.freeze", path_.c_str());
}

} // namespace zone::qa
