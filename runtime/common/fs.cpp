#include "fs.hpp"

#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace zone::fs {

std::string dirname(const std::string& path) {
    auto pos = path.find_last_of('/');
    if (pos == std::string::npos) return ".";
    if (pos == 0) return "/";
    return path.substr(0, pos);
}

std::string basename(const std::string& path) {
    auto pos = path.find_last_of('/');
    return pos == std::string::npos ? path : path.substr(pos + 1);
}

Result<void> write_all(int fd, const char* p, size_t n, const std::string& what) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return sys_error("write(" + what + ")");
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return ok();
}

Result<void> write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                               bool durable) {
    std::string dir = dirname(path);
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".tmp.%016llx", static_cast<unsigned long long>(rng()));
    std::string tmp = path + suffix;
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd) return sys_error("open(" + tmp + ")");
    ScopeExit unlink_tmp([&] { ::unlink(tmp.c_str()); });
    TRY_VOID(write_all(fd.get(), content.data(), content.size(), tmp));
    if (durable && ::fsync(fd.get()) < 0) return sys_error("fsync(" + tmp + ")");
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) < 0) return sys_error("rename(" + tmp + ", " + path + ")");
    unlink_tmp.dismiss();
    if (!durable) return ok();
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) return sys_error("open(" + dir + ")");
    if (::fsync(dfd.get()) < 0) return sys_error("fsync(" + dir + ")");
    return ok();
}

Result<std::string> read_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open(" + path + ")");
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("read(" + path + ")");
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

Result<void> mkdir_p(const std::string& path, mode_t mode) {
    if (path.empty()) return make_error("EINVAL", "mkdir_p: empty path");
    std::string cur;
    size_t i = 0;
    while (i <= path.size()) {
        size_t next = path.find('/', i);
        if (next == std::string::npos) next = path.size();
        cur = path.substr(0, next);
        if (!cur.empty() && ::mkdir(cur.c_str(), mode) < 0 && errno != EEXIST)
            return sys_error("mkdir(" + cur + ")");
        i = next + 1;
    }
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) return sys_error("stat(" + path + ")");
    if (!S_ISDIR(st.st_mode)) return sys_error(ENOTDIR, "mkdir(" + path + ")");
    return ok();
}

Result<UniqueFd> open_dir(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return sys_error("open(" + path + ")");
    return fd;
}

Result<std::vector<std::string>> list_dir(int dirfd, const std::string& where) {
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return sys_error("dup(" + where + ")");
    DIR* d = ::fdopendir(dup);
    if (!d) {
        ::close(dup);
        return sys_error("fdopendir(" + where + ")");
    }
    ScopeExit close_dir([&] { ::closedir(d); });
    ::rewinddir(d);  // the fd may have been read before
    std::vector<std::string> out;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) out.emplace_back(e->d_name);
        errno = 0;
    }
    if (errno) return sys_error("readdir(" + where + ")");
    return out;
}

// Removes everything below dirfd; `dev` is the device of the top directory so
// that a mount point below it is never descended into.
static Result<void> remove_children(int dirfd, dev_t dev, const std::string& where) {
    TRY(names, list_dir(dirfd, where));
    for (const auto& name : names) {
        std::string sub = where + "/" + name;
        struct stat st;
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) continue;
            return sys_error("stat(" + sub + ")");
        }
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != dev) return sys_error(EBUSY, "remove(" + sub + "): a mount point");
            UniqueFd child(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!child) return sys_error("open(" + sub + ")");
            TRY_VOID(remove_children(child.get(), dev, sub));
            if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
                return sys_error("rmdir(" + sub + ")");
        } else if (::unlinkat(dirfd, name.c_str(), 0) < 0 && errno != ENOENT) {
            return sys_error("unlink(" + sub + ")");
        }
    }
    return ok();
}

static Result<void> copy_entry(int sdir, int ddir, const char* name, const struct stat& st,
                               const std::string& where);

// The extended attributes of `name` in `sdir`, set on `name` in `ddir`.
// Through /proc/self/fd/N/NAME with the l* calls: symlinks and device nodes
// (overlay whiteouts) have no fd of their own, and the last component is
// never followed. A target file system without support for a namespace other
// than trusted.* (the overlay's) is tolerated.
static Result<void> copy_xattrs(int sdir, const std::string& sname, int ddir, const std::string& dname,
                                const std::string& where, const char* skip = nullptr) {
    std::string sp = "/proc/self/fd/" + std::to_string(sdir) + "/" + sname;
    std::string dp = "/proc/self/fd/" + std::to_string(ddir) + "/" + dname;
    std::vector<char> names(1024);
    ssize_t n;
    while ((n = ::llistxattr(sp.c_str(), names.data(), names.size())) < 0 && errno == ERANGE)
        names.resize(names.size() * 4);
    if (n < 0) {
        if (errno == ENOTSUP) return ok();
        return sys_error("listxattr(" + where + ")");
    }
    std::vector<char> value(4096);
    for (ssize_t off = 0; off < n; off += static_cast<ssize_t>(std::strlen(names.data() + off)) + 1) {
        const char* key = names.data() + off;
        if (skip && std::strcmp(key, skip) == 0) continue;
        ssize_t len;
        while ((len = ::lgetxattr(sp.c_str(), key, value.data(), value.size())) < 0 && errno == ERANGE)
            value.resize(value.size() * 4);
        if (len < 0) {
            if (errno == ENODATA) continue;  // removed meanwhile
            return sys_error(std::string("getxattr(") + where + ", " + key + ")");
        }
        if (::lsetxattr(dp.c_str(), key, value.data(), static_cast<size_t>(len), 0) < 0) {
            if ((errno == ENOTSUP || errno == EPERM) && std::strncmp(key, "trusted.", 8) != 0) continue;
            return sys_error(std::string("setxattr(") + where + ", " + key + ")");
        }
    }
    return ok();
}

static Result<void> copy_dir_contents(int sfd, int dfd, const std::string& where) {
    TRY(names, list_dir(sfd, where));
    for (const auto& name : names) {
        struct stat st;
        if (::fstatat(sfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
            return sys_error("stat(" + where + "/" + name + ")");
        TRY_VOID(copy_entry(sfd, dfd, name.c_str(), st, where + "/" + name));
    }
    return ok();
}

static Result<void> copy_entry(int sdir, int ddir, const char* name, const struct stat& st,
                               const std::string& where) {
    if (S_ISDIR(st.st_mode)) {
        if (::mkdirat(ddir, name, 0700) < 0) return sys_error("mkdir(" + where + ")");
        UniqueFd s(::openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        UniqueFd d(::openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!s || !d) return sys_error("open(" + where + ")");
        TRY_VOID(copy_dir_contents(s.get(), d.get(), where));
    } else if (S_ISREG(st.st_mode)) {
        UniqueFd s(::openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        UniqueFd d(::openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!s || !d) return sys_error("open(" + where + ")");
        off_t left = st.st_size;
        while (left > 0) {
            ssize_t n = ::copy_file_range(s.get(), nullptr, d.get(), nullptr, static_cast<size_t>(left), 0);
            if (n < 0) return sys_error("copy_file_range(" + where + ")");
            if (n == 0) break;
            left -= n;
        }
    } else if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(sdir, name, target.data(), target.size());
        if (n < 0) return sys_error("readlink(" + where + ")");
        target.resize(static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), ddir, name) < 0) return sys_error("symlink(" + where + ")");
    } else {
        if (::mknodat(ddir, name, st.st_mode, st.st_rdev) < 0) return sys_error("mknod(" + where + ")");
    }
    if (::fchownat(ddir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("chown(" + where + ")");
    if (!S_ISLNK(st.st_mode) && ::fchmodat(ddir, name, st.st_mode & 07777, 0) < 0)
        return sys_error("chmod(" + where + ")");
    TRY_VOID(copy_xattrs(sdir, name, ddir, name, where));
    timespec times[2] = {st.st_atim, st.st_mtim};
    ::utimensat(ddir, name, times, AT_SYMLINK_NOFOLLOW);
    return ok();
}

Result<void> copy_tree(const std::string& src, const std::string& dst) {
    UniqueFd s(::open(src.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!s) return sys_error("open(" + src + ")");
    struct stat st;
    if (::fstat(s.get(), &st) < 0) return sys_error("stat(" + src + ")");
    if (::mkdir(dst.c_str(), 0700) < 0) return sys_error("mkdir(" + dst + ")");
    UniqueFd d(::open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) return sys_error("open(" + dst + ")");
    TRY_VOID(copy_dir_contents(s.get(), d.get(), dst));
    if (::fchown(d.get(), st.st_uid, st.st_gid) < 0 || ::fchmod(d.get(), st.st_mode & 07777) < 0)
        return sys_error("chown/chmod(" + dst + ")");
    // The top directory's own attributes (an upper's root may be opaque),
    // but not an overlay's identity: a copy is another file system, and
    // overlayfs gives it its own uuid at its first mount.
    TRY_VOID(copy_xattrs(s.get(), ".", d.get(), ".", dst, "trusted.overlay.uuid"));
    return ok();
}

Result<void> exchange(const std::string& a, const std::string& b) {
    if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) < 0)
        return sys_error("renameat2(" + a + " <-> " + b + ", RENAME_EXCHANGE)");
    return ok();
}

static Result<unsigned long long> dir_size(int dirfd, const std::string& where) {
    TRY(names, list_dir(dirfd, where));
    unsigned long long total = 0;
    for (const auto& name : names) {
        struct stat st;
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) continue;
            return sys_error("stat(" + where + "/" + name + ")");
        }
        if (S_ISREG(st.st_mode)) total += static_cast<unsigned long long>(st.st_size);
        if (!S_ISDIR(st.st_mode)) continue;
        UniqueFd child(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child) return sys_error("open(" + where + "/" + name + ")");
        TRY(sub, dir_size(child.get(), where + "/" + name));
        total += sub;
    }
    return total;
}

Result<unsigned long long> tree_size(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open(" + path + ")");
    return dir_size(fd.get(), path);
}

Result<void> remove_tree(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) {
        if (errno == ENOENT) return ok();
        return sys_error("stat(" + path + ")");
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlink(path.c_str()) < 0 && errno != ENOENT) return sys_error("unlink(" + path + ")");
        return ok();
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open(" + path + ")");
    TRY_VOID(remove_children(fd.get(), st.st_dev, path));
    if (::rmdir(path.c_str()) < 0 && errno != ENOENT) return sys_error("rmdir(" + path + ")");
    return ok();
}

} // namespace zone::fs
