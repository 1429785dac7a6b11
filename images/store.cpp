#include "store.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images/archive.hpp"
#include "images/busybox.hpp"
#include "images/debootstrap.hpp"
#include "images/tree.hpp"
#include "runtime/common/fd.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"

namespace zone::images {

using json = nlohmann::json;

namespace {

constexpr const char* kLockFile = ".lock";
constexpr const char* kBuildPrefix = ".build-";
constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kRootfsDir = "rootfs";
constexpr const char* kTagsFile = "tags.json";
constexpr const char* kLastFile = ".last";

void say(ProgressFn fn, void* ctx, const std::string& line) {
    if (fn) fn(ctx, line);
}

Error bad_manifest(const std::string& what) {
    return make_error(kCodeInvalid, "manifest: " + what);
}

Result<std::string> get_string(const json& j, const char* key, bool required) {
    auto it = j.find(key);
    if (it == j.end()) {
        if (required) return bad_manifest(std::string("'") + key + "' is missing");
        return std::string();
    }
    if (!it->is_string()) return bad_manifest(std::string("'") + key + "' must be a string");
    return it->get<std::string>();
}

Result<unsigned long long> get_uint(const json& j, const char* key, bool required,
                                    unsigned long long max) {
    auto it = j.find(key);
    if (it == j.end()) {
        if (required) return bad_manifest(std::string("'") + key + "' is missing");
        return 0ULL;
    }
    unsigned long long v = 0;
    if (it->is_number_unsigned())
        v = it->get<unsigned long long>();
    else if (it->is_number_integer() && it->get<long long>() >= 0)
        v = static_cast<unsigned long long>(it->get<long long>());
    else
        return bad_manifest(std::string("'") + key + "' must be a non-negative integer");
    if (v > max) return bad_manifest(std::string("'") + key + "' is out of range");
    return v;
}

// Opens (creating if needed) the directory of one image, never through a symlink.
Result<UniqueFd> open_name_dir(const std::string& images_dir, const std::string& name) {
    TRY_VOID(fs::mkdir_p(images_dir, 0755));
    TRY(parent, fs::open_dir(images_dir));
    if (::mkdirat(parent.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
        return sys_error("mkdir(" + images_dir + "/" + name + ")");
    UniqueFd fd(
        ::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open(" + images_dir + "/" + name + ")");
    return fd;
}

// Takes the build lock of one image; released when the fd closes. flock
// conflicts between open file descriptions, so two threads of one daemon
// exclude each other as well as two processes do.
Result<UniqueFd> lock_builds(int namefd, const std::string& where, ProgressFn fn, void* ctx) {
    UniqueFd fd(::openat(namefd, kLockFile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return sys_error("open(" + where + "/" + kLockFile + ")");
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
    if (errno != EWOULDBLOCK) return sys_error("flock(" + where + "/" + kLockFile + ")");
    say(fn, ctx, "waiting for another build of this image to finish");
    while (::flock(fd.get(), LOCK_EX) < 0)
        if (errno != EINTR) return sys_error("flock(" + where + "/" + kLockFile + ")");
    return fd;
}

// Under the build lock, any .build-* directory belongs to a build that died.
Result<void> remove_stale_builds(int namefd, const std::string& where, ProgressFn fn, void* ctx) {
    TRY(names, fs::list_dir(namefd, where));
    for (const auto& n : names) {
        if (n.rfind(kBuildPrefix, 0) != 0) continue;
        say(fn, ctx, "removing the stale build " + n);
        if (auto r = fs::remove_tree(where + "/" + n); !r)
            return std::move(r).error().wrap("removing the stale build " + where + "/" + n);
    }
    return ok();
}

// The highest version ever committed: recorded in .last, so that a removed
// newest version is never reused for different content.
unsigned last_version(int namefd) {
    UniqueFd fd(::openat(namefd, kLastFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return 0;
    char buf[16] = {};
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return 0;
    std::string t(buf, static_cast<size_t>(n));
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return parse_version_dir(t).value_or(0);
}

Result<unsigned> next_version(int namefd, const std::string& where) {
    TRY(names, fs::list_dir(namefd, where));
    unsigned max = last_version(namefd);
    for (const auto& n : names)
        if (auto v = parse_version_dir(n)) max = std::max(max, *v);
    return max + 1;
}

Result<void> record_last(int namefd, const std::string& where, unsigned version) {
    if (last_version(namefd) >= version) return ok();
    return fs::write_file_atomic(where + "/" + kLastFile, std::to_string(version) + "\n", 0644);
}

Result<void> write_new_file(int dirfd, const char* leaf, const std::string& data, mode_t mode,
                            const std::string& where) {
    std::string path = where + "/" + leaf;
    UniqueFd fd(::openat(dirfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) return sys_error("create(" + path + ")");
    const char* p = data.data();
    size_t n = data.size();
    while (n > 0) {
        ssize_t w = ::write(fd.get(), p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return sys_error("write(" + path + ")");
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    if (::fchmod(fd.get(), mode) < 0) return sys_error("fchmod(" + path + ")");
    return ok();
}

struct BuildDir {
    std::string leaf; // .build-XXXXXX
    std::string path; // <images>/<name>/.build-XXXXXX
    UniqueFd fd;
};

Result<BuildDir> make_build_dir(const std::string& where) {
    std::string tmpl = where + "/" + kBuildPrefix + "XXXXXX";
    if (!::mkdtemp(tmpl.data())) return sys_error("mkdtemp(" + tmpl + ")");
    BuildDir b{fs::basename(tmpl), tmpl, UniqueFd()};
    b.fd = UniqueFd(::open(tmpl.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!b.fd) {
        int saved = errno;
        ::rmdir(tmpl.c_str());
        return sys_error(saved, "open(" + tmpl + ")");
    }
    return b;
}

Result<UniqueFd> make_rootfs_dir(int builddirfd, const std::string& where) {
    if (::mkdirat(builddirfd, kRootfsDir, 0700) < 0)
        return sys_error("mkdir(" + where + "/" + kRootfsDir + ")");
    UniqueFd fd(::openat(builddirfd, kRootfsDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open(" + where + "/" + kRootfsDir + ")");
    return fd;
}

// Makes the finished build visible as <name>/<version>, in one rename, and
// durable: its contents are synced before, the name directory after.
Result<void> commit_build(int namefd, const BuildDir& b, unsigned version,
                          const std::string& where) {
    std::string vname = std::to_string(version);
    if (::fchmod(b.fd.get(), 0755) < 0) return sys_error("fchmod(" + b.path + ")");
    if (::syncfs(b.fd.get()) < 0) return sys_error("syncfs(" + b.path + ")");
    if (::renameat2(namefd, b.leaf.c_str(), namefd, vname.c_str(), RENAME_NOREPLACE) < 0)
        return sys_error("rename(" + b.path + ", " + where + "/" + vname + ")");
    if (::fsync(namefd) < 0) return sys_error("fsync(" + where + ")");
    return ok();
}

Error not_found(const std::string& msg) {
    return make_error(kCodeNotFound, msg);
}

} // namespace

// ---- manifest ----------------------------------------------------------------

json to_json(const Manifest& m) {
    return json{{"name", m.name},     {"version", m.version}, {"source", m.source},
                {"parent", m.parent}, {"created", m.created}, {"size", m.size},
                {"digest", m.digest}};
}

Result<Manifest> manifest_from_json(const json& j) {
    if (!j.is_object()) return bad_manifest("not a JSON object");
    Manifest m;
    TRY(name, get_string(j, "name", true));
    if (auto r = Store::check_name(name); !r) return std::move(r).error().wrap("manifest");
    m.name = std::move(name);
    TRY(version, get_uint(j, "version", true, 999999999));
    if (version == 0) return bad_manifest("'version' must be 1 or more");
    m.version = static_cast<unsigned>(version);
    TRY(source, get_string(j, "source", true));
    if (source.empty()) return bad_manifest("'source' is empty");
    m.source = std::move(source);
    TRY(parent, get_uint(j, "parent", false, 999999999));
    m.parent = static_cast<unsigned>(parent);
    TRY(created, get_string(j, "created", true));
    m.created = std::move(created);
    TRY(size, get_uint(j, "size", true, ~0ULL));
    m.size = size;
    TRY(digest, get_string(j, "digest", false));
    m.digest = std::move(digest);
    return m;
}

Result<Manifest> parse_manifest(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return bad_manifest("not valid JSON");
    return manifest_from_json(j);
}

std::optional<unsigned> parse_version_dir(std::string_view entry) {
    if (entry.empty() || entry.size() > 9 || entry[0] == '0') return std::nullopt;
    unsigned v = 0;
    for (char c : entry) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

std::string rfc3339_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// ---- store -------------------------------------------------------------------

Result<void> Store::check_name(const std::string& name) {
    auto bad = [&](const std::string& why) {
        return make_error(kCodeInvalid, "invalid image name '" + name + "': " + why);
    };
    if (name.empty()) return bad("empty");
    if (name.size() > 63) return bad("longer than 63 characters");
    if (!std::isalnum(static_cast<unsigned char>(name[0])))
        return bad("must start with a letter or a digit");
    for (unsigned char c : name)
        if (!std::isalnum(c) && c != '_' && c != '.' && c != '-')
            return bad("only letters, digits, '_', '.' and '-' are allowed");
    return ok();
}

ImageVersion Store::make_version(Manifest m) const {
    ImageVersion v;
    v.dir = name_dir(m.name) + "/" + std::to_string(m.version);
    v.rootfs = v.dir + "/" + kRootfsDir;
    v.manifest = std::move(m);
    return v;
}

Result<ImageVersion> Store::resolve(const std::string& name, unsigned version) const {
    if (version == 0) {
        TRY(all, versions(name));
        return all.back();
    }
    TRY_VOID(check_name(name));
    if (!fs::exists(name_dir(name))) return not_found("no image named '" + name + "'");
    std::string vdir = name_dir(name) + "/" + std::to_string(version);
    std::string what = "image '" + name + "' version " + std::to_string(version);
    auto text = fs::read_file(vdir + "/" + kManifestFile);
    if (!text) {
        if (text.error().err == ENOENT) return not_found(what + " does not exist");
        return std::move(text).error().wrap(what);
    }
    auto m = parse_manifest(*text);
    if (!m) return std::move(m).error().wrap(what);
    if (m->name != name || m->version != version)
        return make_error(kCodeInvalid, what + ": its manifest names '" + m->name + "' version " +
                                            std::to_string(m->version));
    return make_version(std::move(m).value());
}

Result<std::vector<ImageVersion>> Store::versions(const std::string& name) const {
    TRY_VOID(check_name(name));
    std::string where = name_dir(name);
    UniqueFd fd(::open(where.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return not_found("no image named '" + name + "'");
        return sys_error("open(" + where + ")");
    }
    TRY(names, fs::list_dir(fd.get(), where));
    std::vector<ImageVersion> out;
    for (const auto& n : names) {
        auto v = parse_version_dir(n);
        if (!v) continue;
        auto iv = resolve(name, *v);
        if (!iv) {
            // One broken version does not hide the others; resolve() of it says why.
            ZLOG_DEBUG("image=%s version %u skipped: %s", name.c_str(), *v,
                       iv.error().message().c_str());
            continue;
        }
        out.push_back(std::move(iv).value());
    }
    if (out.empty()) return not_found("image '" + name + "' has no version");
    std::sort(out.begin(), out.end(), [](const ImageVersion& a, const ImageVersion& b) {
        return a.manifest.version < b.manifest.version;
    });
    return out;
}

Result<std::vector<ImageVersion>> Store::list() const {
    std::vector<ImageVersion> out;
    UniqueFd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return out;
        return sys_error("open(" + dir_ + ")");
    }
    TRY(names, fs::list_dir(fd.get(), dir_));
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        if (!check_name(n)) continue;
        auto vs = versions(n);
        if (!vs) {
            if (vs.error().code == kCodeNotFound) continue;
            return std::move(vs).error();
        }
        for (auto& v : *vs)
            out.push_back(std::move(v));
    }
    return out;
}

namespace {

// The image's directory and its build lock, held together. A remove of the
// whole image renames the directory away while holding the lock: a waiter
// that then gets the lock sees its directory gone and starts over.
struct Locked {
    UniqueFd namefd;
    UniqueFd lock;
};

Result<Locked> lock_image(const std::string& images_dir, const std::string& name, ProgressFn fn,
                          void* ctx) {
    std::string where = images_dir + "/" + name;
    for (int attempt = 0; attempt < 5; ++attempt) {
        TRY(namefd, open_name_dir(images_dir, name));
        TRY(lock, lock_builds(namefd.get(), where, fn, ctx));
        struct stat a, b;
        if (::fstat(namefd.get(), &a) == 0 && ::stat(where.c_str(), &b) == 0 &&
            a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            return Locked{std::move(namefd), std::move(lock)};
    }
    return make_error("EBUSY", "image '" + name + "' keeps being removed and re-created");
}

struct Source {
    std::string kind; // busybox | debootstrap | tar | oci
    std::string arg;  // suite, file or directory
};

Result<Source> parse_source(const std::string& source) {
    auto colon = source.find(':');
    Source s{source.substr(0, colon), colon == std::string::npos ? "" : source.substr(colon + 1)};
    if (s.kind == "busybox" && colon == std::string::npos) return s;
    if (s.kind == "debootstrap") {
        if (s.arg.empty()) s.arg = kDefaultSuite;
        TRY_VOID(check_suite(s.arg));
        return s;
    }
    if ((s.kind == "tar" || s.kind == "oci") && !s.arg.empty()) return s;
    return make_error(kCodeInvalid, "unknown image source '" + source +
                                        "' (known: busybox, debootstrap[:SUITE], tar:FILE, "
                                        "oci:DIR, zone:NAME)");
}

Result<UniqueFd> open_source(const Source& src, const BuildOptions& opts) {
    if (opts.source_fd >= 0) {
        UniqueFd fd(::fcntl(opts.source_fd, F_DUPFD_CLOEXEC, 0));
        if (!fd) return sys_error("dup(source fd)");
        return fd;
    }
    int flags = O_RDONLY | O_CLOEXEC | (src.kind == "oci" ? O_DIRECTORY : 0);
    UniqueFd fd(::open(src.arg.c_str(), flags));
    if (!fd) return sys_error("open(" + src.arg + ")").wrap("image source " + src.kind + ":" + src.arg);
    return fd;
}

Result<void> write_tags(int namefd, const std::string& where,
                        const std::map<std::string, unsigned>& tags) {
    (void)namefd;
    json j = json::object();
    for (const auto& [t, v] : tags) j[t] = v;
    return fs::write_file_atomic(where + "/" + kTagsFile, j.dump(2) + "\n", 0644);
}

Result<std::map<std::string, unsigned>> read_tags(const std::string& where) {
    std::map<std::string, unsigned> out;
    auto text = fs::read_file(where + "/" + kTagsFile);
    if (!text) {
        if (text.error().err == ENOENT) return out;
        return std::move(text).error();
    }
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(kCodeInvalid, where + "/" + kTagsFile + ": not a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it)
        if (it->is_number_unsigned()) out[it.key()] = it->get<unsigned>();
    return out;
}

} // namespace

Result<ImageVersion> Store::build(const std::string& name, const std::string& source,
                                  ProgressFn progress, void* ctx, const BuildOptions& opts) const {
    TRY_VOID(check_name(name));
    TRY(src, parse_source(source));
    Filler fill;
    std::string label = source;
    if (src.kind == "busybox") {
        std::string bb = busybox_;
        fill = [=](int rootfd, const std::string&, unsigned version) {
            return build_busybox_rootfs(rootfd, bb, name, version, progress, ctx);
        };
    } else if (src.kind == "debootstrap") {
        label = "debootstrap:" + src.arg;
        fill = [=](int, const std::string& rootfs, unsigned) {
            return build_debootstrap_rootfs(rootfs, src.arg, progress, ctx);
        };
    } else {
        // Opened before anything is created: a missing file leaves nothing behind.
        TRY(fd, open_source(src, opts));
        auto shared = std::make_shared<UniqueFd>(std::move(fd));
        bool devices = opts.allow_devices;
        fill = [=](int rootfd, const std::string&, unsigned) -> Result<void> {
            if (src.kind == "tar") {
                UnpackOptions o;
                o.allow_devices = devices;
                TRY(st, unpack_archive_fd(shared->get(), rootfd, source, o, progress, ctx));
                say(progress, ctx, "unpacked " + std::to_string(st.entries) + " entries");
                return ok();
            }
            TRY(st, unpack_oci_layout(shared->get(), rootfd, source, "", devices, progress, ctx));
            say(progress, ctx, "unpacked " + std::to_string(st.entries) + " entries");
            return ok();
        };
    }
    return create(name, NewVersion{label, 0, 0, ""}, fill, progress, ctx);
}

Result<ImageVersion> Store::create(const std::string& name, const NewVersion& nv,
                                   const Filler& fill, ProgressFn progress, void* ctx) const {
    TRY_VOID(check_name(name));
    std::string where = name_dir(name);
    TRY(locked, lock_image(dir_, name, progress, ctx));
    int namefd = locked.namefd.get();
    TRY_VOID(remove_stale_builds(namefd, where, progress, ctx));
    unsigned version = nv.version;
    if (version == 0) {
        TRY(next, next_version(namefd, where));
        version = next;
    } else if (::faccessat(namefd, std::to_string(version).c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        return make_error("EEXIST", "image '" + name + "' version " + std::to_string(version) +
                                        " exists already");
    }
    std::string what = "image '" + name + "' version " + std::to_string(version);
    say(progress, ctx, "building " + what + " from " + nv.source);

    TRY(b, make_build_dir(where));
    // Until the rename, a failure leaves nothing behind (and a crash leaves
    // only a .build-* directory, which the next build removes).
    ScopeExit remove_build([&] {
        if (auto r = fs::remove_tree(b.path); !r)
            ZLOG_DEBUG("removing %s: %s", b.path.c_str(), r.error().message().c_str());
    });
    TRY(rootfd, make_rootfs_dir(b.fd.get(), b.path));
    if (::fchmod(rootfd.get(), 0755) < 0) return sys_error("chmod(" + b.path + "/rootfs)");
    if (auto r = fill(rootfd.get(), b.path + "/" + kRootfsDir, version); !r)
        return std::move(r).error().wrap("building " + what);
    say(progress, ctx, "computing the size and digest of " + what);
    TRY(size, tree::size(rootfd.get(), b.path + "/" + kRootfsDir));
    TRY(digest, tree::digest(rootfd.get(), b.path + "/" + kRootfsDir));
    if (!nv.expect_digest.empty() && digest != nv.expect_digest)
        return make_error(kCodeInvalid, what + ": the content digest is " + digest +
                                            " but the manifest says " + nv.expect_digest +
                                            " (damaged or altered); nothing was committed");
    Manifest m{name, version, nv.source, nv.parent, rfc3339_now(), size, digest};
    TRY_VOID(write_new_file(b.fd.get(), kManifestFile, to_json(m).dump(2) + "\n", 0644, b.path));
    say(progress, ctx, "committing " + what);
    if (auto r = commit_build(namefd, b, version, where); !r)
        return std::move(r).error().wrap("committing " + what);
    remove_build.dismiss();
    TRY_VOID(record_last(namefd, where, version));
    return make_version(std::move(m));
}

Result<std::map<std::string, unsigned>> Store::tags(const std::string& name) const {
    TRY_VOID(check_name(name));
    if (!fs::exists(name_dir(name))) return not_found("no image named '" + name + "'");
    return read_tags(name_dir(name));
}

Result<void> Store::tag(const std::string& name, unsigned version, const std::string& t) const {
    TRY_VOID(check_tag(t));
    TRY(v, resolve(name, version));
    TRY(locked, lock_image(dir_, name, nullptr, nullptr));
    TRY(all, read_tags(name_dir(name)));
    all[t] = v.manifest.version;
    return write_tags(locked.namefd.get(), name_dir(name), all);
}

Result<void> Store::untag(const std::string& name, const std::string& t) const {
    TRY_VOID(check_name(name));
    if (!fs::exists(name_dir(name))) return not_found("no image named '" + name + "'");
    TRY(locked, lock_image(dir_, name, nullptr, nullptr));
    TRY(all, read_tags(name_dir(name)));
    if (!all.erase(t)) return not_found("image '" + name + "' has no tag '" + t + "'");
    return write_tags(locked.namefd.get(), name_dir(name), all);
}

Result<void> Store::remove_version(const std::string& name, unsigned version) const {
    TRY(v, resolve(name, version));
    std::string where = name_dir(name);
    TRY(locked, lock_image(dir_, name, nullptr, nullptr));
    int namefd = locked.namefd.get();
    TRY_VOID(record_last(namefd, where, version));
    // Renamed to a build name first: readers stop seeing it at once, and a
    // crash halfway leaves a .build-* that the next build removes.
    std::string gone = std::string(kBuildPrefix) + "removed-" + std::to_string(version);
    if (::renameat(namefd, std::to_string(version).c_str(), namefd, gone.c_str()) < 0)
        return sys_error("rename(" + v.dir + ")");
    TRY(all, read_tags(where));
    bool changed = false;
    for (auto it = all.begin(); it != all.end();)
        if (it->second == version) it = all.erase(it), changed = true;
        else ++it;
    if (changed) TRY_VOID(write_tags(namefd, where, all));
    return fs::remove_tree(where + "/" + gone);
}

Result<void> Store::remove_image(const std::string& name) const {
    TRY_VOID(check_name(name));
    if (!fs::exists(name_dir(name))) return not_found("no image named '" + name + "'");
    TRY(locked, lock_image(dir_, name, nullptr, nullptr));
    TRY(parent, fs::open_dir(dir_));
    std::string gone = ".removed-" + name;
    (void)fs::remove_tree(dir_ + "/" + gone);
    if (::renameat(parent.get(), name.c_str(), parent.get(), gone.c_str()) < 0)
        return sys_error("rename(" + name_dir(name) + ")");
    return fs::remove_tree(dir_ + "/" + gone);
}

Result<std::vector<GcDecision>> Store::gc(const std::string& name, const Users& users,
                                          bool dry_run) const {
    TRY(vs, versions(name));
    TRY(t, tags(name));
    std::vector<unsigned> nums;
    for (const auto& v : vs) nums.push_back(v.manifest.version);
    auto plan = plan_gc(nums, t, users);
    if (dry_run) return plan;
    for (const auto& d : plan)
        if (d.remove) TRY_VOID(remove_version(name, d.version));
    return plan;
}

Result<std::vector<std::string>> Store::names() const {
    std::vector<std::string> out;
    UniqueFd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return out;
        return sys_error("open(" + dir_ + ")");
    }
    TRY(all, fs::list_dir(fd.get(), dir_));
    for (auto& n : all)
        if (check_name(n)) out.push_back(std::move(n));
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<GcDecision> plan_gc(const std::vector<unsigned>& versions,
                                const std::map<std::string, unsigned>& tags, const Users& users) {
    std::vector<unsigned> sorted = versions;
    std::sort(sorted.begin(), sorted.end());
    std::vector<GcDecision> out;
    for (unsigned v : sorted) {
        GcDecision d{v, false, ""};
        if (v == sorted.back()) d.why = "newest";
        for (const auto& [t, tv] : tags)
            if (d.why.empty() && tv == v) d.why = "tag " + t;
        if (auto it = users.find(v); d.why.empty() && it != users.end() && !it->second.empty())
            d.why = "used by zone " + it->second.front();
        if (d.why.empty()) {
            d.remove = true;
            d.why = "unused";
        }
        out.push_back(std::move(d));
    }
    return out;
}

Result<void> check_tag(const std::string& tag) {
    auto r = Store::check_name(tag);
    if (!r) return make_error(kCodeInvalid, "invalid tag '" + tag + "': the rules of image names apply");
    if (std::all_of(tag.begin(), tag.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return make_error(kCodeInvalid, "invalid tag '" + tag + "': all digits reads as a version");
    return ok();
}

} // namespace zone::images
