#include "debootstrap.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "images/tree.hpp"
#include "runtime/common/fs.hpp"

namespace zone::images {

namespace {

constexpr const char* kUnsafeIoConf = "etc/dpkg/dpkg.cfg.d/zoned-build";

void say(ProgressFn fn, void* ctx, const std::string& line) {
    if (fn) fn(ctx, line);
}

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::istringstream in{std::string(line)};
    std::string w;
    while (in >> w)
        out.push_back(w);
    return out;
}

bool security_mirror(const std::string& url) {
    return url.find("security") != std::string::npos;
}

// Runs argv (no shell) with stdin from /dev/null and stdout+stderr read line
// by line into the progress; returns the wait status.
Result<int> run_streaming(const std::vector<std::string>& argv, ProgressFn fn, void* ctx) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return sys_error("pipe2");
    UniqueFd rd(p[0]), wr(p[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    ScopeExit free_fa([&] { posix_spawn_file_actions_destroy(&fa); });
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    ScopeExit free_attr([&] { posix_spawnattr_destroy(&attr); });
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> av;
    for (const auto& a : argv)
        av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    const char* env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
                         "DEBIAN_FRONTEND=noninteractive", nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, av[0], &fa, &attr, av.data(), const_cast<char* const*>(env));
    if (rc != 0) return sys_error(rc, "posix_spawn(" + argv[0] + ")");
    wr.reset();
    std::string buf;
    char chunk[4096];
    for (;;) {
        ssize_t n = ::read(rd.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buf.append(chunk, static_cast<size_t>(n));
        size_t nl;
        while ((nl = buf.find('\n')) != std::string::npos) {
            std::string line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            if (!line.empty()) say(fn, ctx, "\r" + line);
        }
    }
    if (!buf.empty()) say(fn, ctx, "\r" + buf);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return sys_error("waitpid(" + argv[0] + ")");
    return status;
}

std::string describe(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
    return "failed";
}

// debootstrap runs in a mount namespace of its own (the proc and sys it
// mounts in the target can never stay behind on the host) and a PID
// namespace of its own (nothing it starts outlives it).
std::vector<std::string> isolated(std::vector<std::string> cmd) {
    std::vector<std::string> out{"/usr/bin/unshare", "--mount", "--propagation",
                                 "private",          "--pid",   "--fork",
                                 "--kill-child",     "--"};
    out.insert(out.end(), cmd.begin(), cmd.end());
    return out;
}

Result<void> make_cache(const std::string& cache, const std::string& tarball,
                        const std::string& suite, ProgressFn fn, void* ctx) {
    TRY(mirror, host_mirror());
    say(fn, ctx,
        "no cached packages for " + suite + ": downloading them from " + mirror + " into " +
            tarball);
    TRY_VOID(fs::mkdir_p(cache, 0755));
    std::string work = cache + "/.work-XXXXXX";
    if (!::mkdtemp(work.data())) return sys_error("mkdtemp(" + work + ")");
    ScopeExit drop_work([&] { (void)fs::remove_tree(work); });
    std::string part = tarball + ".part";
    TRY(st, run_streaming({"/usr/sbin/debootstrap", "--variant=minbase",
                           std::string("--include=") + kDebootstrapInclude,
                           "--make-tarball=" + part, suite, work + "/target", mirror},
                          fn, ctx));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        ::unlink(part.c_str());
        return make_error("EIO", "debootstrap --make-tarball " + describe(st));
    }
    if (::rename(part.c_str(), tarball.c_str()) < 0) return sys_error("rename(" + part + ")");
    return ok();
}

// What turns debootstrap's output into a zone image: no host identity, no
// package cache, no files that the zone's network setup writes.
Result<void> finish_rootfs(const std::string& rootfs) {
    TRY(root, fs::open_dir(rootfs));
    TRY(etc, tree::open_dir_in(root.get(), {"etc"}, 1, false));
    TRY(cfgd, tree::open_dir_in(root.get(), {"etc", "dpkg", "dpkg.cfg.d"}, 3, false));
    TRY_VOID(tree::remove_at(cfgd.get(), "zoned-build", rootfs + "/etc/dpkg/dpkg.cfg.d"));
    for (const char* f : {"resolv.conf", "hosts"})
        TRY_VOID(tree::remove_at(etc.get(), f, rootfs + "/etc"));
    for (const char* f : {"hostname", "machine-id"}) {
        UniqueFd fd(
            ::openat(etc.get(), f, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!fd) return sys_error(std::string("open(") + rootfs + "/etc/" + f + ")");
    }
    auto archives = tree::open_dir_in(root.get(), {"var", "cache", "apt", "archives"}, 4, false);
    if (archives) {
        TRY(names, fs::list_dir(archives->get(), rootfs + "/var/cache/apt/archives"));
        for (const auto& n : names)
            if (n.size() > 4 && n.compare(n.size() - 4, 4, ".deb") == 0)
                TRY_VOID(tree::remove_at(archives->get(), n, rootfs + "/var/cache/apt/archives"));
    }
    // Zones get a /dev of their own (a tmpfs); the nodes debootstrap made
    // would only be a way to a host device (docs/images.md).
    TRY(dev, tree::open_dir_in(root.get(), {"dev"}, 1, false));
    TRY_VOID(tree::clear_dir(dev.get(), rootfs + "/dev"));
    // The built-in init runs /etc/zone/rc when there is one.
    if (::mkdirat(etc.get(), "zone", 0755) < 0 && errno != EEXIST)
        return sys_error("mkdir(" + rootfs + "/etc/zone)");
    return ok();
}

} // namespace

std::string debootstrap_cache_dir() {
    const char* env = std::getenv("ZONED_DEBOOTSTRAP_CACHE");
    return env && *env ? env : kDefaultDebootstrapCache;
}

std::string debootstrap_tarball(const std::string& cache, const std::string& suite,
                                const std::string& arch) {
    return cache + "/" + suite + "-minbase-" + arch + ".tar.gz";
}

std::string debian_arch() {
    struct utsname u {};
    ::uname(&u);
    std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    if (m == "i686" || m == "i386") return "i386";
    if (m.rfind("armv7", 0) == 0) return "armhf";
    return m;
}

std::string mirror_from_sources_list(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        auto hash = line.find('#');
        if (hash != std::string::npos) line.erase(hash);
        auto w = words(line);
        if (w.size() < 3 || w[0] != "deb") continue;
        size_t i = 1;
        if (w[1].front() == '[') { // options: "[arch=amd64 signed-by=...]"
            while (i < w.size() && w[i].back() != ']')
                ++i;
            ++i;
        }
        if (i >= w.size()) continue;
        if (!security_mirror(w[i])) return w[i];
    }
    return "";
}

std::string mirror_from_deb822(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::string line;
    bool is_deb = false, enabled = true;
    std::string uri;
    auto flush = [&]() -> std::string {
        std::string out = is_deb && enabled && !uri.empty() && !security_mirror(uri) ? uri : "";
        is_deb = false;
        enabled = true;
        uri.clear();
        return out;
    };
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '#') continue;
        if (words(line).empty()) {
            if (auto m = flush(); !m.empty()) return m;
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos || std::isspace(static_cast<unsigned char>(line[0])))
            continue;
        std::string key = line.substr(0, colon);
        auto val = words(std::string_view(line).substr(colon + 1));
        if (key == "Types")
            is_deb = std::find(val.begin(), val.end(), "deb") != val.end();
        else if (key == "URIs" && !val.empty())
            uri = val[0];
        else if (key == "Enabled" && !val.empty())
            enabled = val[0] != "no";
    }
    return flush();
}

Result<std::string> host_mirror() {
    if (auto t = fs::read_file("/etc/apt/sources.list"); t)
        if (auto m = mirror_from_sources_list(*t); !m.empty()) return m;
    auto dir = fs::open_dir("/etc/apt/sources.list.d");
    if (dir) {
        TRY(names, fs::list_dir(dir->get(), "/etc/apt/sources.list.d"));
        std::sort(names.begin(), names.end());
        for (const auto& n : names) {
            auto t = fs::read_file("/etc/apt/sources.list.d/" + n);
            if (!t) continue;
            std::string m;
            if (n.size() > 8 && n.compare(n.size() - 8, 8, ".sources") == 0)
                m = mirror_from_deb822(*t);
            else if (n.size() > 5 && n.compare(n.size() - 5, 5, ".list") == 0)
                m = mirror_from_sources_list(*t);
            if (!m.empty()) return m;
        }
    }
    return make_error(kCodeNotFound, "no Debian mirror in /etc/apt/sources.list or "
                                     "/etc/apt/sources.list.d/ (needed to download packages)");
}

Result<void> check_suite(const std::string& suite) {
    bool good = !suite.empty() && suite.size() <= 32 &&
                std::islower(static_cast<unsigned char>(suite[0])) &&
                std::all_of(suite.begin(), suite.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                });
    if (!good)
        return make_error(kCodeInvalid,
                          "invalid suite '" + suite +
                              "' (lower-case letters, digits and '-', e.g. bookworm)");
    return ok();
}

Result<void> build_debootstrap_rootfs(const std::string& rootfs, const std::string& suite,
                                      ProgressFn fn, void* ctx) {
    TRY_VOID(check_suite(suite));
    if (::access("/usr/sbin/debootstrap", X_OK) < 0)
        return sys_error("access(/usr/sbin/debootstrap)")
            .wrap("the debootstrap source needs debootstrap (Debian package debootstrap)");
    std::string cache = debootstrap_cache_dir();
    std::string tarball = debootstrap_tarball(cache, suite, debian_arch());
    if (!fs::exists(tarball)) TRY_VOID(make_cache(cache, tarball, suite, fn, ctx));
    // The mirror is only written into the image's apt configuration here:
    // every package comes from the cached tarball.
    auto mirror = host_mirror();
    std::string url = mirror ? *mirror : "http://deb.debian.org/debian";
    // dpkg's fsync per file is wasted here (the store syncs the finished
    // version once): half the build time on this kind of disk.
    TRY_VOID(fs::mkdir_p(rootfs + "/etc/dpkg/dpkg.cfg.d", 0755));
    TRY_VOID(fs::write_file_atomic(rootfs + "/" + kUnsafeIoConf, "force-unsafe-io\n", 0644, false));
    say(fn, ctx, "unpacking " + suite + " from the cache " + tarball);
    TRY(st, run_streaming(isolated({"/usr/sbin/debootstrap", "--variant=minbase",
                                    std::string("--include=") + kDebootstrapInclude,
                                    "--unpack-tarball=" + tarball, suite, rootfs, url}),
                          fn, ctx));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return make_error("EIO", "debootstrap " + describe(st) + " (its output came as progress)");
    say(fn, ctx, "making the tree ready for zones");
    return finish_rootfs(rootfs);
}

} // namespace zone::images
