#include "tree.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <fcntl.h>
#include <map>
#include <memory>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/common/fs.hpp"

namespace zone::images::tree {

namespace {

std::string sub(const std::string& where, const std::string& leaf) {
    return where == "." || where.empty() ? leaf : where + "/" + leaf;
}

UniqueFd open_child_dir(int dirfd, const std::string& leaf) {
    return UniqueFd(::openat(dirfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

struct Sha256 {
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
    Sha256() { EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr); }
    void update(const void* p, size_t n) { EVP_DigestUpdate(ctx.get(), p, n); }
    void update(const std::string& s) { update(s.data(), s.size()); }
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_DigestFinal_ex(ctx.get(), md, &len);
        std::string out;
        char b[3];
        for (unsigned i = 0; i < len; ++i) {
            std::snprintf(b, sizeof b, "%02x", md[i]);
            out += b;
        }
        return out;
    }
};

// Path bytes as they are, but a newline or backslash escaped so that each
// entry stays one line of the digested text.
std::string escape_path(const std::string& p) {
    std::string out;
    for (char c : p) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\\')
            out += "\\\\";
        else
            out += c;
    }
    return out;
}

Result<void> digest_dir(int dirfd, const std::string& where, Sha256& all) {
    TRY(names, fs::list_dir(dirfd, where));
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        std::string path = sub(where, n);
        struct stat st;
        if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
            return sys_error("stat(" + path + ")");
        char head[96];
        std::snprintf(head, sizeof head, "%o %u %u ", static_cast<unsigned>(st.st_mode),
                      static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid));
        std::string line = head + escape_path(path);
        if (S_ISREG(st.st_mode)) {
            UniqueFd fd(::openat(dirfd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (!fd) return sys_error("open(" + path + ")");
            Sha256 h;
            char buf[65536];
            for (;;) {
                ssize_t r = ::read(fd.get(), buf, sizeof buf);
                if (r < 0) {
                    if (errno == EINTR) continue;
                    return sys_error("read(" + path + ")");
                }
                if (r == 0) break;
                h.update(buf, static_cast<size_t>(r));
            }
            line += " " + std::to_string(st.st_size) + " " + h.hex();
        } else if (S_ISLNK(st.st_mode)) {
            std::string target(PATH_MAX, '\0');
            ssize_t len = ::readlinkat(dirfd, n.c_str(), target.data(), target.size());
            if (len < 0) return sys_error("readlink(" + path + ")");
            target.resize(static_cast<size_t>(len));
            line += " -> " + escape_path(target);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            line +=
                " " + std::to_string(major(st.st_rdev)) + "," + std::to_string(minor(st.st_rdev));
        }
        line += "\n";
        all.update(line);
        if (S_ISDIR(st.st_mode)) {
            UniqueFd d = open_child_dir(dirfd, n);
            if (!d) return sys_error("open(" + path + ")");
            TRY_VOID(digest_dir(d.get(), path, all));
        }
    }
    return ok();
}

Result<void> copy_data(int from, int to, const std::string& what) {
    for (;;) {
        ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
        if (n > 0) continue;
        if (n == 0) return ok();
        if (errno == EINTR) continue;
        if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS)
            return sys_error("copy_file_range(" + what + ")");
        break;
    }
    char buf[65536];
    for (;;) {
        ssize_t r = ::read(from, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            return sys_error("read(" + what + ")");
        }
        if (r == 0) return ok();
        TRY_VOID(write_all(to, buf, static_cast<size_t>(r), what));
    }
}

struct CopyState {
    dev_t dev;
    std::map<std::pair<dev_t, ino_t>, std::string> first; // inode -> first path (from root)
    int dst_root;
    unsigned long long entries = 0, linked = 0;
    LinkFrom from;
    ProgressFn fn;
    void* ctx;
};

Result<void> set_meta_at(int dirfd, const std::string& leaf, const struct stat& st,
                         const std::string& path) {
    if (::fchownat(dirfd, leaf.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("chown(" + path + ")");
    if (!S_ISLNK(st.st_mode) && ::fchmodat(dirfd, leaf.c_str(), st.st_mode & 07777, 0) < 0)
        return sys_error("chmod(" + path + ")");
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dirfd, leaf.c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("utimensat(" + path + ")");
    return ok();
}

Result<void> copy_dir(int src, int dst, const std::string& where, CopyState& cs);

// True when `path` was hardlinked from the lower layer: absent from the
// upper layer, reached in the lower one through directories only, and the
// very inode the merged view shows.
Result<bool> link_from_lower(CopyState& cs, int dst, const std::string& n, const std::string& path,
                             const struct stat& merged) {
    struct stat up;
    if (::fstatat(cs.from.upper, path.c_str(), &up, AT_SYMLINK_NOFOLLOW) == 0) return false;
    if (errno != ENOENT && errno != ENOTDIR) return sys_error("stat(upper/" + path + ")");
    auto parts = split_member(path);
    if (!parts || parts->empty()) return false;
    auto dir = open_dir_in(cs.from.lower, *parts, parts->size() - 1, false);
    if (!dir) return false;
    struct stat low;
    if (::fstatat(dir->get(), n.c_str(), &low, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(low.st_mode) ||
        low.st_ino != merged.st_ino || low.st_size != merged.st_size)
        return false;
    if (::linkat(dir->get(), n.c_str(), dst, n.c_str(), 0) < 0) {
        if (errno == EMLINK) return false;
        return sys_error("link(lower/" + path + ")");
    }
    ++cs.linked;
    return true;
}

Result<void> copy_entry(int src, int dst, const std::string& n, const std::string& where,
                        CopyState& cs) {
    std::string path = sub(where, n);
    struct stat st;
    if (::fstatat(src, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("stat(" + path + ")");
    if (++cs.entries % 5000 == 0 && cs.fn)
        cs.fn(cs.ctx, "\rcopied " + std::to_string(cs.entries) + " entries");
    if (S_ISDIR(st.st_mode)) {
        if (::mkdirat(dst, n.c_str(), 0700) < 0) return sys_error("mkdir(" + path + ")");
        UniqueFd s = open_child_dir(src, n), d = open_child_dir(dst, n);
        if (!s || !d) return sys_error("open(" + path + ")");
        if (st.st_dev == cs.dev) TRY_VOID(copy_dir(s.get(), d.get(), path, cs));
        return set_meta_at(dst, n, st, path);
    }
    if (S_ISREG(st.st_mode) && cs.from.lower >= 0) {
        TRY(done, link_from_lower(cs, dst, n, path, st));
        if (done) return ok();
    }
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        auto it = cs.first.find(key);
        if (it != cs.first.end()) {
            if (::linkat(cs.dst_root, it->second.c_str(), dst, n.c_str(), 0) < 0)
                return sys_error("link(" + it->second + ", " + path + ")");
            return ok();
        }
        cs.first.emplace(key, path);
    }
    if (S_ISREG(st.st_mode)) {
        UniqueFd in(::openat(src, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!in) return sys_error("open(" + path + ")");
        UniqueFd out(
            ::openat(dst, n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!out) return sys_error("create(" + path + ")");
        TRY_VOID(copy_data(in.get(), out.get(), path));
    } else if (S_ISLNK(st.st_mode)) {
        std::string target(PATH_MAX, '\0');
        ssize_t len = ::readlinkat(src, n.c_str(), target.data(), target.size());
        if (len < 0) return sys_error("readlink(" + path + ")");
        target.resize(static_cast<size_t>(len));
        if (::symlinkat(target.c_str(), dst, n.c_str()) < 0)
            return sys_error("symlink(" + path + ")");
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
        if (::mknodat(dst, n.c_str(), st.st_mode, st.st_rdev) < 0)
            return sys_error("mknod(" + path + ")");
    } else {
        return ok(); // sockets belong to a running system, not to an image
    }
    return set_meta_at(dst, n, st, path);
}

Result<void> copy_dir(int src, int dst, const std::string& where, CopyState& cs) {
    TRY(names, fs::list_dir(src, where));
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
        TRY_VOID(copy_entry(src, dst, n, where, cs));
    return ok();
}

} // namespace

Result<std::vector<std::string>> split_member(std::string_view name) {
    auto bad = [&](const std::string& why) {
        return make_error(kCodeInvalid, "entry '" + std::string(name) + "': " + why);
    };
    if (name.empty()) return bad("empty name");
    if (name[0] == '/') return bad("absolute path names are refused");
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= name.size()) {
        size_t j = name.find('/', i);
        if (j == std::string_view::npos) j = name.size();
        std::string_view c = name.substr(i, j - i);
        i = j + 1;
        if (c.empty() || c == ".") continue;
        if (c == "..") return bad("'..' would leave the image root");
        if (c.size() > NAME_MAX) return bad("a component is longer than NAME_MAX");
        for (unsigned char ch : c)
            if (ch < 0x20 || ch == 0x7f) return bad("control character in the name");
        parts.emplace_back(c);
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, size_t n) {
    if (n == 0) return ".";
    std::string out;
    for (size_t i = 0; i < n; ++i)
        out += (i ? "/" : "") + parts[i];
    return out;
}

Result<UniqueFd> open_dir_in(int rootfd, const std::vector<std::string>& parts, size_t n,
                             bool create) {
    UniqueFd cur(::fcntl(rootfd, F_DUPFD_CLOEXEC, 0));
    if (!cur) return sys_error("dup");
    for (size_t i = 0; i < n; ++i) {
        const std::string& c = parts[i];
        UniqueFd next = open_child_dir(cur.get(), c);
        if (!next && errno == ENOENT && create) {
            if (::mkdirat(cur.get(), c.c_str(), 0755) < 0 && errno != EEXIST)
                return sys_error("mkdir(" + join(parts, i + 1) + ")");
            next = open_child_dir(cur.get(), c);
        }
        if (!next) {
            if (errno == ELOOP || errno == ENOTDIR) {
                struct stat st;
                bool link = ::fstatat(cur.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                            S_ISLNK(st.st_mode);
                return make_error(link ? "ELOOP" : "ENOTDIR",
                                  "'" + join(parts, i + 1) + "' is " +
                                      (link ? "a symbolic link: writing through it is refused"
                                            : "not a directory"));
            }
            return sys_error("open(" + join(parts, i + 1) + ")");
        }
        cur = std::move(next);
    }
    return cur;
}

Result<void> clear_dir(int dirfd, const std::string& where) {
    TRY(names, fs::list_dir(dirfd, where));
    for (const auto& n : names)
        TRY_VOID(remove_at(dirfd, n, where));
    return ok();
}

Result<void> remove_at(int dirfd, const std::string& leaf, const std::string& where) {
    struct stat st;
    if (::fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return ok();
        return sys_error("stat(" + sub(where, leaf) + ")");
    }
    if (S_ISDIR(st.st_mode)) {
        UniqueFd d = open_child_dir(dirfd, leaf);
        if (!d) return sys_error("open(" + sub(where, leaf) + ")");
        TRY_VOID(clear_dir(d.get(), sub(where, leaf)));
        if (::unlinkat(dirfd, leaf.c_str(), AT_REMOVEDIR) < 0)
            return sys_error("rmdir(" + sub(where, leaf) + ")");
        return ok();
    }
    if (::unlinkat(dirfd, leaf.c_str(), 0) < 0 && errno != ENOENT)
        return sys_error("unlink(" + sub(where, leaf) + ")");
    return ok();
}

Result<void> copy_tree_linking(int srcfd, int dstfd, const LinkFrom& from, const std::string& where,
                               ProgressFn fn, void* ctx) {
    struct stat st;
    if (::fstat(srcfd, &st) < 0) return sys_error("stat(" + where + ")");
    CopyState cs{st.st_dev, {}, dstfd, 0, 0, from, fn, ctx};
    TRY_VOID(copy_dir(srcfd, dstfd, ".", cs));
    if (::fchown(dstfd, st.st_uid, st.st_gid) < 0 || ::fchmod(dstfd, st.st_mode & 07777) < 0)
        return sys_error("chown/chmod(" + where + ")");
    if (fn)
        fn(ctx, "copied " + std::to_string(cs.entries) + " entries" +
                    (from.lower >= 0 ? ", " + std::to_string(cs.linked) +
                                           " unchanged files shared with the parent version"
                                     : ""));
    return ok();
}

Result<void> copy_tree(int srcfd, int dstfd, const std::string& where, ProgressFn fn, void* ctx) {
    return copy_tree_linking(srcfd, dstfd, LinkFrom{}, where, fn, ctx);
}

Result<std::string> digest(int rootfd, const std::string& where) {
    Sha256 all;
    struct stat st;
    if (::fstat(rootfd, &st) < 0) return sys_error("stat(" + where + ")");
    char head[96];
    std::snprintf(head, sizeof head, "%o %u %u .\n", static_cast<unsigned>(st.st_mode),
                  static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid));
    all.update(std::string(head));
    if (auto r = digest_dir(rootfd, ".", all); !r) return std::move(r).error().wrap(where);
    return "sha256:" + all.hex();
}

Result<unsigned long long> size(int dirfd, const std::string& where) {
    struct stat root;
    if (::fstat(dirfd, &root) < 0) return sys_error("stat(" + where + ")");
    TRY(names, fs::list_dir(dirfd, where));
    unsigned long long sum = 0;
    for (const auto& n : names) {
        struct stat st;
        if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
            return sys_error("stat(" + where + "/" + n + ")");
        if (S_ISREG(st.st_mode)) {
            sum += static_cast<unsigned long long>(st.st_size);
        } else if (S_ISDIR(st.st_mode) && st.st_dev == root.st_dev) {
            UniqueFd d = open_child_dir(dirfd, n);
            if (!d) return sys_error("open(" + where + "/" + n + ")");
            TRY(s, size(d.get(), where + "/" + n));
            sum += s;
        }
    }
    return sum;
}

} // namespace zone::images::tree
