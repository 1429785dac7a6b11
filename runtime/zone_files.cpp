#include "zone_files.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <fcntl.h>
#include <linux/openat2.h>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/common/fd.hpp"
#include "runtime/common/fs.hpp"

namespace zone::net {

std::string render_hosts(const std::string& hostname, const std::vector<std::string>& zone_addrs,
                         const std::string& gateway) {
    std::string out = "# Written by zoned at each boot of the zone.\n"
                      "127.0.0.1\tlocalhost\n"
                      "::1\tlocalhost ip6-localhost\n";
    // "web.example.com" also answers to "web".
    std::string names = hostname;
    if (auto dot = hostname.find('.'); dot != std::string::npos && dot > 0)
        names += " " + hostname.substr(0, dot);
    if (!hostname.empty())
        for (const auto& a : zone_addrs)
            out += a + "\t" + names + "\n";
    if (!gateway.empty()) out += gateway + "\tgateway\n";
    return out;
}

std::string render_resolv(const std::vector<std::string>& nameservers) {
    std::string out = "# Written by zoned at each boot of the zone.\n";
    for (const auto& ns : nameservers)
        out += "nameserver " + ns + "\n";
    return out;
}

// Loopback (127.0.0.0/8, ::1) and link-local IPv6 (fe80::/10, scoped to one
// of the host's interfaces) reach nothing from a zone's namespace.
static bool usable_in_zone(const std::string& ns) {
    std::string addr = ns.substr(0, ns.find('%'));
    in_addr v4;
    in6_addr v6;
    if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) != 127;
    if (inet_pton(AF_INET6, addr.c_str(), &v6) != 1) return false;
    if (IN6_IS_ADDR_LOOPBACK(&v6) || IN6_IS_ADDR_LINKLOCAL(&v6)) return false;
    if (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127) return false;
    return true;
}

std::vector<std::string> usable_nameservers(std::string_view resolv_conf) {
    std::vector<std::string> out;
    std::istringstream in{std::string(resolv_conf)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key, value;
        if (!(words >> key >> value) || key != "nameserver") continue;
        if (usable_in_zone(value) && std::find(out.begin(), out.end(), value) == out.end())
            out.push_back(value);
    }
    return out;
}

std::vector<std::string> host_nameservers() {
    for (const char* path : {"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"}) {
        auto text = fs::read_file(path);
        if (!text) continue;
        auto ns = usable_nameservers(*text);
        if (!ns.empty()) return ns;
    }
    return {};
}

// "etc/hosts" -> {"etc", "hosts"}; "", ".." or an absolute path are refused.
static Result<std::vector<std::string>> split_rel_path(const std::string& rel_path) {
    std::vector<std::string> parts;
    std::string_view rest = rel_path;
    bool bad = rel_path.empty() || rel_path.front() == '/' || rel_path.back() == '/';
    while (!bad && !rest.empty()) {
        size_t slash = rest.find('/');
        std::string_view part = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (part.empty() || part == ".") continue;
        if (part == "..") bad = true;
        parts.emplace_back(part);
    }
    if (bad || parts.empty())
        return make_error("EINVAL", "'" + rel_path + "' is not a relative path inside a zone root");
    return parts;
}

static long openat2_dir(int dirfd, const std::string& name) {
    open_how how{};
    how.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd;
    do {
        fd = ::syscall(SYS_openat2, dirfd, name.c_str(), &how, sizeof how);
    } while (fd < 0 && errno == EAGAIN); // a concurrent rename in the tree: retry
    return fd;
}

// Opens (creating when missing, mode 0755) one directory below `parent`,
// never through a symlink.
static Result<UniqueFd> enter_dir(int parent, const std::string& name, const std::string& where,
                                  uid_t owner) {
    long fd = openat2_dir(parent, name);
    if (fd < 0 && errno == ENOENT) {
        if (::mkdirat(parent, name.c_str(), 0755) < 0 && errno != EEXIST)
            return sys_error("mkdirat(" + where + ")");
        fd = openat2_dir(parent, name);
        if (fd >= 0 && owner != 0 && ::fchown(static_cast<int>(fd), owner, owner) < 0) {
            ::close(static_cast<int>(fd));
            return sys_error("chown(" + where + ", " + std::to_string(owner) + ")");
        }
    }
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == ELOOP || errno == ENOTDIR) {
        struct stat st;
        if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            return make_error("ELOOP", where + " is a symbolic link: refusing to follow it");
        if (errno == ENOTDIR) return make_error("ENOTDIR", where + " is not a directory");
    }
    if (errno == ENOSYS) return sys_error("openat2(" + where + "): needs Linux 5.6 or later");
    return sys_error("openat2(" + where + ", RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS)");
}

static Result<void> write_all(int fd, const std::string& content, const std::string& what) {
    const char* p = content.data();
    size_t n = content.size();
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return sys_error("write(" + what + ")");
        p += w;
        n -= static_cast<size_t>(w);
    }
    return ok();
}

// Temp file + fsync + renameat inside `dir`: the name is replaced, whatever it
// was (a symlink included), never followed.
static Result<void> replace_in_dir(int dir, const std::string& name, const std::string& content,
                                   unsigned mode, const std::string& where, uid_t owner) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char suffix[24];
    snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
    std::string tmp = "." + name + ".zoned-" + suffix;
    UniqueFd fd(::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         mode & 07777));
    if (!fd) return sys_error("openat(" + where + " temp file)");
    ScopeExit unlink_tmp([&] { ::unlinkat(dir, tmp.c_str(), 0); });
    if (owner != 0 && ::fchown(fd.get(), owner, owner) < 0)
        return sys_error("fchown(" + where + ", " + std::to_string(owner) + ")");
    if (::fchmod(fd.get(), mode & 07777) < 0) return sys_error("fchmod(" + where + ")");
    TRY_VOID(write_all(fd.get(), content, where));
    if (::fsync(fd.get()) < 0) return sys_error("fsync(" + where + ")");
    fd.reset();
    if (::renameat(dir, tmp.c_str(), dir, name.c_str()) < 0)
        return sys_error("renameat(" + where + ")");
    unlink_tmp.dismiss();
    if (::fsync(dir) < 0) return sys_error("fsync(directory of " + where + ")");
    return ok();
}

Result<void> write_zone_file(const std::string& root_dir, const std::string& rel_path,
                             const std::string& content, unsigned mode, uid_t owner) {
    std::string what = "writing " + rel_path + " in zone root " + root_dir;
    auto parts = split_rel_path(rel_path);
    if (!parts) return std::move(parts).error().wrap(what);
    // The root itself is a host path chosen by zoned: it may be followed.
    UniqueFd dir(::open(root_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return sys_error("open(" + root_dir + ")").wrap(what);
    std::string where = root_dir;
    for (size_t i = 0; i + 1 < parts->size(); ++i) {
        where += "/" + (*parts)[i];
        auto next = enter_dir(dir.get(), (*parts)[i], where, owner);
        if (!next) return std::move(next).error().wrap(what);
        dir = std::move(*next);
    }
    where += "/" + parts->back();
    auto r = replace_in_dir(dir.get(), parts->back(), content, mode, where, owner);
    if (!r) return std::move(r).error().wrap(what);
    return ok();
}

} // namespace zone::net
