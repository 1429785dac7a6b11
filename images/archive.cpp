#include "archive.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <climits>
#include <fcntl.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "images/tree.hpp"
#include "runtime/common/fs.hpp"

namespace zone::images {

namespace {

using json = nlohmann::json;
using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;
using EntryPtr = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;

constexpr const char* kWhiteout = ".wh.";
constexpr const char* kOpaque = ".wh..wh..opq";

Error archive_error(struct archive* a, const std::string& what) {
    const char* m = archive_error_string(a);
    int e = archive_errno(a);
    return make_error(e > 0 ? errno_name(e) : std::string(kCodeInvalid),
                      what + ": " + (m ? m : "archive error"));
}

// State of one unpack: the root, what has been written by this archive (for
// opaque directories), and counters.
struct Unpacker {
    int rootfd;
    std::string what;
    const UnpackOptions& opts;
    ProgressFn fn;
    void* ctx;
    std::set<std::string> written;
    UnpackStats stats;
};

Error entry_error(const std::string& name, const std::string& why) {
    return make_error(kCodeInvalid, "entry '" + name + "': " + why);
}

Result<void> apply_meta(int fd, struct archive_entry* e, const std::string& name) {
    if (::fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) < 0)
        return sys_error("chown(" + name + ")");
    // After chown, which clears set-id bits.
    if (::fchmod(fd, archive_entry_perm(e) & 07777) < 0) return sys_error("chmod(" + name + ")");
    struct timespec ts[2];
    ts[0].tv_sec = archive_entry_mtime(e);
    ts[0].tv_nsec = archive_entry_mtime_nsec(e);
    ts[1] = ts[0];
    if (::futimens(fd, ts) < 0) return sys_error("futimens(" + name + ")");
    return ok();
}

// Makes room for a non-directory `leaf`: whatever is there goes.
Result<void> clear_leaf(int pfd, const std::string& leaf, const std::string& name) {
    if (auto r = tree::remove_at(pfd, leaf, name); !r) return std::move(r).error();
    return ok();
}

Result<void> write_file(struct archive* a, struct archive_entry* e, int pfd,
                        const std::string& leaf, const std::string& name, Unpacker& u) {
    TRY_VOID(clear_leaf(pfd, leaf, name));
    UniqueFd fd(
        ::openat(pfd, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return sys_error("create(" + name + ")");
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t off = 0;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &len, &off);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK) return archive_error(a, u.what + ": entry '" + name + "'");
        const char* p = static_cast<const char*>(buf);
        while (len > 0) {
            ssize_t w = ::pwrite(fd.get(), p, len, off);
            if (w < 0) {
                if (errno == EINTR) continue;
                return sys_error("write(" + name + ")");
            }
            p += w;
            off += w;
            len -= static_cast<size_t>(w);
            u.stats.bytes += static_cast<unsigned long long>(w);
        }
    }
    if (archive_entry_size_is_set(e) && ::ftruncate(fd.get(), archive_entry_size(e)) < 0)
        return sys_error("ftruncate(" + name + ")");
    // File capabilities (ping, ...) travel as the security.capability xattr.
    const char* xname = nullptr;
    const void* xval = nullptr;
    size_t xlen = 0;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &xname, &xval, &xlen) == ARCHIVE_OK) {
        if (std::string(xname) != "security.capability") continue;
        if (::fsetxattr(fd.get(), xname, xval, xlen, 0) < 0)
            return sys_error("setxattr(" + name + ", security.capability)");
    }
    return apply_meta(fd.get(), e, name);
}

Result<void> make_dir(struct archive_entry* e, int pfd, const std::string& leaf,
                      const std::string& name) {
    struct stat st;
    if (::fstatat(pfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        TRY_VOID(clear_leaf(pfd, leaf, name));
    if (::mkdirat(pfd, leaf.c_str(), 0700) < 0 && errno != EEXIST)
        return sys_error("mkdir(" + name + ")");
    UniqueFd fd(::openat(pfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open(" + name + ")");
    return apply_meta(fd.get(), e, name);
}

Result<void> make_symlink(struct archive_entry* e, int pfd, const std::string& leaf,
                          const std::string& name) {
    const char* target = archive_entry_symlink(e);
    if (!target || !*target) return entry_error(name, "symbolic link without a target");
    TRY_VOID(clear_leaf(pfd, leaf, name));
    // The target is stored as it is: it is only ever followed inside a zone,
    // whose root is this tree; the unpacker itself never follows it.
    if (::symlinkat(target, pfd, leaf.c_str()) < 0) return sys_error("symlink(" + name + ")");
    if (::fchownat(pfd, leaf.c_str(), archive_entry_uid(e), archive_entry_gid(e),
                   AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("chown(" + name + ")");
    return ok();
}

Result<void> make_hardlink(const char* target, int pfd, const std::string& leaf,
                           const std::string& name, Unpacker& u) {
    auto tparts = tree::split_member(target);
    if (!tparts)
        return entry_error(name, "hard link to '" + std::string(target) +
                                     "': " + tparts.error().message());
    std::vector<std::string> tp = std::move(tparts).value();
    if (!u.opts.prefix.empty()) {
        if (tp.empty() || tp[0] != u.opts.prefix)
            return entry_error(name,
                               "hard link to '" + std::string(target) + "' outside the image root");
        tp.erase(tp.begin());
    }
    if (tp.empty()) return entry_error(name, "hard link to the root directory");
    auto tdir = tree::open_dir_in(u.rootfd, tp, tp.size() - 1, false);
    if (!tdir) return std::move(tdir).error().wrap("entry '" + name + "': hard link target");
    struct stat st;
    if (::fstatat(tdir->get(), tp.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("entry '" + name + "': hard link target '" + std::string(target) + "'");
    if (S_ISDIR(st.st_mode)) return entry_error(name, "hard link to a directory");
    TRY_VOID(clear_leaf(pfd, leaf, name));
    if (::linkat(tdir->get(), tp.back().c_str(), pfd, leaf.c_str(), 0) < 0)
        return sys_error("link(" + std::string(target) + ", " + name + ")");
    return ok();
}

Result<void> make_node(struct archive_entry* e, int pfd, const std::string& leaf,
                       const std::string& name, mode_t type, const Unpacker& u) {
    if ((type == S_IFCHR || type == S_IFBLK) && !u.opts.allow_devices)
        return entry_error(name, "device nodes are refused (zones get their own /dev; "
                                 "build with --allow-devices to keep them)");
    TRY_VOID(clear_leaf(pfd, leaf, name));
    dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (::mknodat(pfd, leaf.c_str(), type | 0600, type == S_IFIFO ? 0 : dev) < 0)
        return sys_error("mknod(" + name + ")");
    if (::fchownat(pfd, leaf.c_str(), archive_entry_uid(e), archive_entry_gid(e),
                   AT_SYMLINK_NOFOLLOW) < 0 ||
        ::fchmodat(pfd, leaf.c_str(), archive_entry_perm(e) & 07777, 0) < 0)
        return sys_error("chown/chmod(" + name + ")");
    return ok();
}

// ".wh..wh..opq": the directory hides what lower layers put there (but keeps
// what this layer wrote); ".wh.X": X of lower layers is deleted.
Result<void> apply_whiteout(int pfd, const std::vector<std::string>& parts, Unpacker& u) {
    const std::string& leaf = parts.back();
    std::string dir = tree::join(parts, parts.size() - 1);
    if (leaf == kOpaque) {
        TRY(names, fs::list_dir(pfd, dir));
        for (const auto& n : names) {
            std::string p = dir == "." ? n : dir + "/" + n;
            if (!u.written.count(p)) TRY_VOID(tree::remove_at(pfd, n, dir));
        }
        return ok();
    }
    std::string victim = leaf.substr(std::string(kWhiteout).size());
    if (victim.empty() || victim == "." || victim == "..")
        return entry_error(tree::join(parts, parts.size()), "bad whiteout name");
    return tree::remove_at(pfd, victim, dir);
}

Result<void> unpack_entry(struct archive* a, struct archive_entry* e, Unpacker& u) {
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    TRY(parts, tree::split_member(name));
    if (!u.opts.prefix.empty()) {
        if (parts.empty() || parts[0] != u.opts.prefix) return ok(); // manifest.json and the like
        parts.erase(parts.begin());
    }
    ++u.stats.entries;
    if (u.fn && u.stats.entries % 2000 == 0)
        u.fn(u.ctx, "\runpacked " + std::to_string(u.stats.entries) + " entries");
    mode_t type = archive_entry_filetype(e);
    if (parts.empty()) { // the root itself: its owner and mode
        if (type != AE_IFDIR) return entry_error(name, "the root must be a directory");
        return apply_meta(u.rootfd, e, name);
    }
    auto pfd = tree::open_dir_in(u.rootfd, parts, parts.size() - 1, true);
    if (!pfd) return std::move(pfd).error().wrap(u.what + ": entry '" + name + "'");
    const std::string& leaf = parts.back();
    if (u.opts.whiteouts && leaf.rfind(kWhiteout, 0) == 0)
        return apply_whiteout(pfd->get(), parts, u);
    u.written.insert(tree::join(parts, parts.size()));
    if (const char* hl = archive_entry_hardlink(e))
        return make_hardlink(hl, pfd->get(), leaf, name, u);
    switch (type) {
    case AE_IFREG:
        return write_file(a, e, pfd->get(), leaf, name, u);
    case AE_IFDIR:
        return make_dir(e, pfd->get(), leaf, name);
    case AE_IFLNK:
        return make_symlink(e, pfd->get(), leaf, name);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
        return make_node(e, pfd->get(), leaf, name, type, u);
    case AE_IFSOCK:
        return ok(); // a socket belongs to a running system
    default:
        return entry_error(name, "unknown file type");
    }
}

Result<std::string> read_small(int dirfd, const std::vector<std::string>& parts,
                               const std::string& what) {
    auto d = tree::open_dir_in(dirfd, parts, parts.size() - 1, false);
    if (!d) return std::move(d).error().wrap(what);
    UniqueFd fd(::openat(d->get(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open(" + what + ")");
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t r = ::read(fd.get(), buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            return sys_error("read(" + what + ")");
        }
        if (r == 0) break;
        out.append(buf, static_cast<size_t>(r));
        if (out.size() > (4u << 20)) return make_error(kCodeInvalid, what + ": larger than 4 MiB");
    }
    return out;
}

// "sha256:<64 hex>" -> {"blobs", "sha256", hex}; anything else is refused, so
// a digest can never name a path of its own choosing.
Result<std::vector<std::string>> blob_path(const json& desc, const std::string& what) {
    if (!desc.is_object() || !desc.contains("digest") || !desc["digest"].is_string())
        return make_error(kCodeInvalid, what + ": descriptor without a digest");
    std::string d = desc["digest"].get<std::string>();
    if (d.rfind("sha256:", 0) != 0 || d.size() != 7 + 64 ||
        !std::all_of(d.begin() + 7, d.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
        return make_error(kCodeInvalid, what + ": unsupported digest '" + d + "' (sha256 only)");
    return std::vector<std::string>{"blobs", "sha256", d.substr(7)};
}

Result<UniqueFd> open_blob(int layoutfd, const json& desc, const std::string& what) {
    TRY(parts, blob_path(desc, what));
    auto d = tree::open_dir_in(layoutfd, parts, 2, false);
    if (!d) return std::move(d).error().wrap(what);
    UniqueFd fd(::openat(d->get(), parts[2].c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open(" + what + " blob " + parts[2] + ")");
    TRY(sum, sha256_fd(fd.get(), what));
    if (sum != parts[2])
        return make_error(kCodeInvalid, what + ": blob " + parts[2] + " does not match its digest");
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) return sys_error("lseek(" + what + ")");
    return fd;
}

Result<json> read_blob_json(int layoutfd, const json& desc, const std::string& what) {
    TRY(fd, open_blob(layoutfd, desc, what));
    std::string text;
    char buf[65536];
    for (;;) {
        ssize_t r = ::read(fd.get(), buf, sizeof buf);
        if (r < 0) return sys_error("read(" + what + ")");
        if (r == 0) break;
        text.append(buf, static_cast<size_t>(r));
        if (text.size() > (4u << 20)) return make_error(kCodeInvalid, what + ": larger than 4 MiB");
    }
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(kCodeInvalid, what + ": not JSON");
    return j;
}

bool is_index(const json& j) {
    std::string mt = j.value("mediaType", std::string());
    return mt.find("image.index") != std::string::npos ||
           mt.find("manifest.list") != std::string::npos ||
           (j.contains("manifests") && !j.contains("layers"));
}

// Picks the descriptor of `index` named `ref`, else the first one for this
// machine's architecture, else the first one.
Result<json> pick_manifest(const json& index, const std::string& ref, const std::string& what) {
    if (!index.contains("manifests") || !index["manifests"].is_array() ||
        index["manifests"].empty())
        return make_error(kCodeInvalid, what + ": no manifests");
    const json& ms = index["manifests"];
    if (!ref.empty()) {
        for (const auto& m : ms) {
            auto ann = m.value("annotations", json::object());
            if (ann.is_object() && ann.value("org.opencontainers.image.ref.name", "") == ref)
                return m;
        }
        return make_error(kCodeNotFound, what + ": no manifest named '" + ref + "'");
    }
    for (const auto& m : ms) {
        auto plat = m.value("platform", json::object());
        if (plat.is_object() && plat.value("architecture", "") == "amd64" &&
            plat.value("os", "linux") == "linux")
            return m;
    }
    return ms[0];
}

} // namespace

Result<std::string> sha256_fd(int fd, const std::string& what) {
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    char buf[65536];
    for (;;) {
        ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            return sys_error("read(" + what + ")");
        }
        if (r == 0) break;
        EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(r));
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &len);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

Result<UnpackStats> unpack_archive_fd(int fd, int rootfd, const std::string& what,
                                      const UnpackOptions& opts, ProgressFn fn, void* ctx) {
    ArchivePtr a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK)
        return archive_error(a.get(), what);
    Unpacker u{rootfd, what, opts, fn, ctx, {}, {}};
    for (;;) {
        struct archive_entry* e = nullptr;
        int r = archive_read_next_header(a.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_error(a.get(), what);
        if (auto s = unpack_entry(a.get(), e, u); !s) return std::move(s).error().wrap(what);
    }
    return u.stats;
}

Result<UnpackStats> unpack_oci_layout(int layoutfd, int rootfd, const std::string& what,
                                      const std::string& ref, bool allow_devices, ProgressFn fn,
                                      void* ctx) {
    TRY(layout_text, read_small(layoutfd, {"oci-layout"}, what + "/oci-layout"));
    json layout = json::parse(layout_text, nullptr, false);
    if (layout.is_discarded() || !layout.is_object() || !layout.contains("imageLayoutVersion"))
        return make_error(kCodeInvalid, what + ": oci-layout is not an OCI image layout marker");
    TRY(index_text, read_small(layoutfd, {"index.json"}, what + "/index.json"));
    json index = json::parse(index_text, nullptr, false);
    if (index.is_discarded() || !index.is_object())
        return make_error(kCodeInvalid, what + "/index.json: not JSON");
    TRY(desc, pick_manifest(index, ref, what + "/index.json"));
    TRY(manifest, read_blob_json(layoutfd, desc, what + ": manifest"));
    for (int depth = 0; is_index(manifest); ++depth) { // a nested index (multi-platform)
        if (depth > 4) return make_error(kCodeInvalid, what + ": indexes nested too deep");
        TRY(d2, pick_manifest(manifest, "", what + ": nested index"));
        TRY(m2, read_blob_json(layoutfd, d2, what + ": manifest"));
        manifest = std::move(m2);
    }
    if (!manifest.contains("layers") || !manifest["layers"].is_array())
        return make_error(kCodeInvalid, what + ": the manifest has no layers");
    UnpackStats total;
    size_t i = 0, n = manifest["layers"].size();
    for (const auto& layer : manifest["layers"]) {
        std::string lw = what + ": layer " + std::to_string(++i) + "/" + std::to_string(n);
        if (fn) fn(ctx, "applying " + lw.substr(what.size() + 2));
        TRY(fd, open_blob(layoutfd, layer, lw));
        UnpackOptions o;
        o.allow_devices = allow_devices;
        o.whiteouts = true;
        TRY(st, unpack_archive_fd(fd.get(), rootfd, lw, o, fn, ctx));
        total.entries += st.entries;
        total.bytes += st.bytes;
    }
    return total;
}

namespace {

struct Exporter {
    struct archive* a;
    std::string what;
    std::map<std::pair<dev_t, ino_t>, std::string> first;
    UnpackStats stats;
    ProgressFn fn;
    void* ctx;
};

Result<void> write_header(Exporter& x, struct archive_entry* e, const std::string& name) {
    if (archive_write_header(x.a, e) != ARCHIVE_OK)
        return archive_error(x.a, x.what + ": writing '" + name + "'");
    return ok();
}

Result<void> export_entry(Exporter& x, int dirfd, const std::string& leaf, const std::string& rel);

Result<void> export_dir(Exporter& x, int dirfd, const std::string& rel) {
    TRY(names, fs::list_dir(dirfd, rel));
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
        TRY_VOID(export_entry(x, dirfd, n, rel + "/" + n));
    return ok();
}

Result<void> export_entry(Exporter& x, int dirfd, const std::string& leaf, const std::string& rel) {
    struct stat st;
    if (::fstatat(dirfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("stat(" + rel + ")");
    if (S_ISSOCK(st.st_mode)) return ok();
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), rel.c_str());
    archive_entry_copy_stat(e.get(), &st);
    ++x.stats.entries;
    if (x.fn && x.stats.entries % 2000 == 0)
        x.fn(x.ctx, "\rexported " + std::to_string(x.stats.entries) + " entries");
    if (S_ISDIR(st.st_mode)) {
        TRY_VOID(write_header(x, e.get(), rel));
        UniqueFd d(::openat(dirfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d) return sys_error("open(" + rel + ")");
        return export_dir(x, d.get(), rel);
    }
    if (S_ISLNK(st.st_mode)) {
        std::string target(PATH_MAX, '\0');
        ssize_t len = ::readlinkat(dirfd, leaf.c_str(), target.data(), target.size());
        if (len < 0) return sys_error("readlink(" + rel + ")");
        target.resize(static_cast<size_t>(len));
        archive_entry_set_symlink(e.get(), target.c_str());
        return write_header(x, e.get(), rel);
    }
    if (!S_ISREG(st.st_mode)) return write_header(x, e.get(), rel);
    if (st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        if (auto it = x.first.find(key); it != x.first.end()) {
            archive_entry_set_hardlink(e.get(), it->second.c_str());
            archive_entry_set_size(e.get(), 0);
            return write_header(x, e.get(), rel);
        }
        x.first.emplace(key, rel);
    }
    UniqueFd fd(::openat(dirfd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open(" + rel + ")");
    char cap[256];
    ssize_t clen = ::fgetxattr(fd.get(), "security.capability", cap, sizeof cap);
    if (clen > 0)
        archive_entry_xattr_add_entry(e.get(), "security.capability", cap,
                                      static_cast<size_t>(clen));
    TRY_VOID(write_header(x, e.get(), rel));
    char buf[65536];
    for (;;) {
        ssize_t r = ::read(fd.get(), buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            return sys_error("read(" + rel + ")");
        }
        if (r == 0) break;
        if (archive_write_data(x.a, buf, static_cast<size_t>(r)) < 0)
            return archive_error(x.a, x.what + ": writing '" + rel + "'");
        x.stats.bytes += static_cast<unsigned long long>(r);
    }
    return ok();
}

} // namespace

Result<UnpackStats> export_version(int rootfd, const std::string& manifest_json, int outfd,
                                   const std::string& what, ProgressFn fn, void* ctx) {
    ArchivePtr a(archive_write_new(), archive_write_free);
    if (archive_write_add_filter_zstd(a.get()) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
        archive_write_open_fd(a.get(), outfd) != ARCHIVE_OK)
        return archive_error(a.get(), what);
    Exporter x{a.get(), what, {}, {}, fn, ctx};
    EntryPtr m(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(m.get(), "manifest.json");
    archive_entry_set_filetype(m.get(), AE_IFREG);
    archive_entry_set_perm(m.get(), 0644);
    archive_entry_set_size(m.get(), static_cast<la_int64_t>(manifest_json.size()));
    archive_entry_set_mtime(m.get(), ::time(nullptr), 0);
    TRY_VOID(write_header(x, m.get(), "manifest.json"));
    if (archive_write_data(a.get(), manifest_json.data(), manifest_json.size()) < 0)
        return archive_error(a.get(), what + ": writing manifest.json");
    struct stat st;
    if (::fstat(rootfd, &st) < 0) return sys_error("stat(" + what + ")");
    EntryPtr r(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(r.get(), "rootfs");
    archive_entry_copy_stat(r.get(), &st);
    TRY_VOID(write_header(x, r.get(), "rootfs"));
    TRY_VOID(export_dir(x, rootfd, "rootfs"));
    if (archive_write_close(a.get()) != ARCHIVE_OK) return archive_error(a.get(), what);
    return x.stats;
}

Result<std::string> read_export_manifest(int fd, const std::string& what) {
    ArchivePtr a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK)
        return archive_error(a.get(), what);
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_error(a.get(), what);
    const char* name = archive_entry_pathname(e);
    if (!name || std::string(name) != "manifest.json" || archive_entry_filetype(e) != AE_IFREG)
        return make_error(kCodeInvalid, what + ": not an exported image (its first entry is not "
                                               "manifest.json)");
    if (archive_entry_size(e) > (1 << 20))
        return make_error(kCodeInvalid, what + ": manifest.json is larger than 1 MiB");
    std::string text(static_cast<size_t>(archive_entry_size(e)), '\0');
    la_ssize_t n = archive_read_data(a.get(), text.data(), text.size());
    if (n < 0 || static_cast<size_t>(n) != text.size()) return archive_error(a.get(), what);
    return text;
}

} // namespace zone::images
