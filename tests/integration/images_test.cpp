// The image store against the real file system (root): a busybox image built
// with images::Store directly, into a temp dir removed at the end.
#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cstdio>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "images/archive.hpp"
#include "images/debootstrap.hpp"
#include "images/store.hpp"
#include "runtime/common/fs.hpp"
#include "integration/harness.hpp"

using namespace zone;
using namespace zone::images;

namespace {


class TempDir {
  public:
    TempDir() {
        std::string tmpl = "/tmp/images-it-XXXXXX";
        if (::mkdtemp(tmpl.data())) path_ = tmpl;
    }
    ~TempDir() {
        if (!path_.empty()) (void)fs::remove_tree(path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

std::vector<std::string> host_applets() {
    std::vector<std::string> out;
    FILE* p = ::popen("/bin/busybox --list-full", "r");
    if (!p) return out;
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
        std::string s(line);
        while (!s.empty() && s.back() == '\n')
            s.pop_back();
        if (!s.empty()) out.push_back(s);
    }
    ::pclose(p);
    return out;
}

void collect(void* ctx, const std::string& line) {
    static_cast<std::vector<std::string>*>(ctx)->push_back(line);
}

struct stat lstat_or_fail(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
    return st;
}

} // namespace

TEST(Images_Busybox, BuildTwoVersions) {
    ZT_REQUIRE_ROOT();
    TempDir tmp;
    ASSERT_FALSE(tmp.path().empty());
    Store s(tmp.path() + "/images");

    std::vector<std::string> lines;
    auto v1 = s.build("gold", "busybox", collect, &lines);
    ASSERT_TRUE(v1) << v1.error().message();
    EXPECT_FALSE(lines.empty());
    const Manifest& m = v1->manifest;
    EXPECT_EQ(m.name, "gold");
    EXPECT_EQ(m.version, 1u);
    EXPECT_EQ(m.source, "busybox");
    EXPECT_EQ(m.digest.rfind("sha256:", 0), 0u) << m.digest;
    EXPECT_EQ(m.digest.size(), 7u + 64u);
    EXPECT_EQ(m.created.size(), 20u) << m.created;
    EXPECT_EQ(m.created.back(), 'Z');
    EXPECT_EQ(v1->rootfs, tmp.path() + "/images/gold/1/rootfs");

    std::string root = v1->rootfs;
    struct stat bb = lstat_or_fail(root + "/bin/busybox");
    EXPECT_TRUE(S_ISREG(bb.st_mode));
    EXPECT_EQ(bb.st_mode & 07777, 0755u);
    EXPECT_GE(m.size, static_cast<unsigned long long>(bb.st_size));
    EXPECT_LT(m.size, static_cast<unsigned long long>(bb.st_size) + 8192);

    // Every applet the host busybox lists is a symlink that lands on it.
    auto applets = host_applets();
    ASSERT_GT(applets.size(), 50u);
    for (const auto& a : applets) {
        if (a == "bin/busybox") continue; // listed by some builds; it is the binary itself
        struct stat l {
        }, t{};
        ASSERT_EQ(::lstat((root + "/" + a).c_str(), &l), 0) << a;
        EXPECT_TRUE(S_ISLNK(l.st_mode)) << a;
        ASSERT_EQ(::stat((root + "/" + a).c_str(), &t), 0) << a;
        EXPECT_EQ(t.st_ino, bb.st_ino) << a;
    }
    char target[64] = {};
    ASSERT_GT(::readlink((root + "/bin/sh").c_str(), target, sizeof target - 1), 0);
    EXPECT_STREQ(target, "busybox");

    struct {
        const char* path;
        mode_t mode;
        uid_t uid;
    } dirs[] = {
        {"dev", 0755, 0},          {"proc", 0755, 0},     {"sys", 0755, 0},
        {"tmp", 01777, 0},         {"run", 0755, 0},      {"root", 0700, 0},
        {"home/user", 0755, 1000}, {"etc/zone", 0755, 0}, {"var/tmp", 01777, 0},
        {"var/log", 0755, 0},
    };
    for (const auto& d : dirs) {
        struct stat st = lstat_or_fail(root + "/" + d.path);
        EXPECT_TRUE(S_ISDIR(st.st_mode)) << d.path;
        EXPECT_EQ(st.st_mode & 07777, d.mode) << d.path;
        EXPECT_EQ(st.st_uid, d.uid) << d.path;
        EXPECT_EQ(st.st_gid, d.uid) << d.path;
    }
    EXPECT_EQ(lstat_or_fail(root).st_mode & 07777, 0755u);
    EXPECT_EQ(lstat_or_fail(root + "/etc/shadow").st_mode & 07777, 0600u);
    EXPECT_EQ(lstat_or_fail(root + "/etc/passwd").st_mode & 07777, 0644u);
    auto passwd = fs::read_file(root + "/etc/passwd");
    ASSERT_TRUE(passwd);
    EXPECT_NE(passwd->find("root:x:0:0:root:/root:/bin/sh\n"), std::string::npos);
    EXPECT_NE(passwd->find("user:x:1000:1000:user:/home/user:/bin/sh\n"), std::string::npos);
    auto osr = fs::read_file(root + "/etc/os-release");
    ASSERT_TRUE(osr);
    EXPECT_NE(osr->find("IMAGE_ID=\"gold\""), std::string::npos);

    auto on_disk = fs::read_file(v1->dir + "/manifest.json");
    ASSERT_TRUE(on_disk);
    auto parsed = parse_manifest(*on_disk);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, m);

    // A crashed build leaves a .build-* directory; the next build removes it.
    ASSERT_TRUE(fs::mkdir_p(tmp.path() + "/images/gold/.build-crashed/rootfs/bin"));
    auto v2 = s.build("gold", "busybox");
    ASSERT_TRUE(v2) << v2.error().message();
    EXPECT_EQ(v2->manifest.version, 2u);
    EXPECT_FALSE(fs::exists(tmp.path() + "/images/gold/.build-crashed"));
    auto vs = s.versions("gold");
    ASSERT_TRUE(vs) << vs.error().message();
    ASSERT_EQ(vs->size(), 2u);
    EXPECT_EQ((*vs)[0].manifest.version, 1u);
    EXPECT_EQ((*vs)[1].manifest.version, 2u);
    auto newest = s.resolve("gold", 0);
    ASSERT_TRUE(newest);
    EXPECT_EQ(newest->manifest.version, 2u);
    auto first = s.resolve("gold", 1);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->manifest, m);

    for (auto r : {s.resolve("missing", 0), s.resolve("gold", 3)}) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, "NOT_FOUND") << r.error().message();
    }
}

TEST(Images_Busybox, ConcurrentBuildsGetDistinctVersions) {
    ZT_REQUIRE_ROOT();
    TempDir tmp;
    ASSERT_FALSE(tmp.path().empty());
    Store s(tmp.path() + "/images");
    constexpr int kBuilds = 3;
    std::vector<unsigned> got(kBuilds, 0);
    std::vector<std::string> errors(kBuilds);
    std::vector<std::thread> threads;
    for (int i = 0; i < kBuilds; ++i)
        threads.emplace_back([&, i] {
            auto r = s.build("par", "busybox");
            if (r)
                got[i] = r->manifest.version;
            else
                errors[i] = r.error().message();
        });
    for (auto& t : threads)
        t.join();
    for (const auto& e : errors)
        EXPECT_EQ(e, "");
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<unsigned>{1, 2, 3}));
    auto all = s.list();
    ASSERT_TRUE(all) << all.error().message();
    EXPECT_EQ(all->size(), 3u);
}

TEST(Images_Busybox, MissingBusyboxIsAClearError) {
    ZT_REQUIRE_ROOT();
    TempDir tmp;
    Store s(tmp.path() + "/images");
    s.set_busybox_path(tmp.path() + "/no-busybox");
    auto r = s.build("gold", "busybox");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, ENOENT);
    EXPECT_NE(r.error().message().find("busybox-static"), std::string::npos) << r.error().message();
    EXPECT_FALSE(s.versions("gold"));
}

// ---- tar and OCI sources ------------------------------------------------------

namespace {

struct TarEntry {
    std::string name;
    char type = 'f'; // f file, d dir, l symlink, h hardlink, c char device
    std::string data;  // file content; symlink or hardlink target
    unsigned mode = 0644;
};

// Writes a tar (compressed with `filter`: none, gzip, xz, zstd) of `entries`.
bool write_tar(const std::string& path, const std::vector<TarEntry>& entries,
               const std::string& filter = "none") {
    struct archive* a = archive_write_new();
    if (filter == "gzip") archive_write_add_filter_gzip(a);
    if (filter == "xz") archive_write_add_filter_xz(a);
    if (filter == "zstd") archive_write_add_filter_zstd(a);
    archive_write_set_format_pax_restricted(a);
    if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) return false;
    for (const auto& e : entries) {
        struct archive_entry* ae = archive_entry_new();
        archive_entry_set_pathname(ae, e.name.c_str());
        archive_entry_set_perm(ae, e.mode);
        archive_entry_set_mtime(ae, 1700000000, 0);
        switch (e.type) {
        case 'd': archive_entry_set_filetype(ae, AE_IFDIR); break;
        case 'l':
            archive_entry_set_filetype(ae, AE_IFLNK);
            archive_entry_set_symlink(ae, e.data.c_str());
            break;
        case 'h':
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_hardlink(ae, e.data.c_str());
            break;
        case 'c':
            archive_entry_set_filetype(ae, AE_IFCHR);
            archive_entry_set_rdevmajor(ae, 8);
            archive_entry_set_rdevminor(ae, 0);
            break;
        default:
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
        }
        archive_write_header(a, ae);
        if (e.type == 'f') archive_write_data(a, e.data.data(), e.data.size());
        archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
    return true;
}

std::string sha256_hex(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

// An OCI image layout in `dir` with one manifest whose layers are `layers`
// (each a tar's bytes); returns false on a write error.
bool write_oci(const std::string& dir, const std::vector<std::string>& layers,
               const std::string& bad_digest = "") {
    using nlohmann::json;
    if (!fs::mkdir_p(dir + "/blobs/sha256")) return false;
    auto blob = [&](const std::string& data) {
        std::string h = sha256_hex(data);
        zt::write_text(dir + "/blobs/sha256/" + h, data);
        return json{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                    {"digest", "sha256:" + h},
                    {"size", data.size()}};
    };
    json ls = json::array();
    for (const auto& l : layers) ls.push_back(blob(l));
    if (!bad_digest.empty()) ls.push_back(json{{"digest", bad_digest}, {"size", 1}});
    json cfg = blob("{}");
    json manifest{{"schemaVersion", 2},
                  {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                  {"config", cfg},
                  {"layers", ls}};
    json md = blob(manifest.dump());
    md["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
    json index{{"schemaVersion", 2}, {"manifests", json::array({md})}};
    return zt::write_text(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})") &&
           zt::write_text(dir + "/index.json", index.dump());
}

std::string tar_bytes(const std::string& tmpdir, const std::vector<TarEntry>& entries) {
    std::string p = tmpdir + "/layer.tar";
    write_tar(p, entries);
    std::string data = zt::read_text(p);
    ::unlink(p.c_str());
    return data;
}

// No version and no build left over in the image's directory.
void expect_nothing_built(const Store& s, const std::string& images, const std::string& name) {
    EXPECT_FALSE(s.versions(name));
    auto d = fs::open_dir(images + "/" + name);
    if (!d) return;
    auto names = fs::list_dir(d->get(), images + "/" + name);
    ASSERT_TRUE(names);
    for (const auto& n : *names) EXPECT_TRUE(n == ".lock" || n == ".last") << "left behind: " << n;
}

} // namespace

TEST(Images_Tar, BuildsFromEveryCompression) {
    ZT_REQUIRE_ROOT();
    TempDir tmp;
    Store s(tmp.path() + "/images");
    std::vector<TarEntry> entries{{"./", 'd', "", 0755},
                                  {"./bin/", 'd', "", 0755},
                                  {"./bin/hello", 'f', "#!/bin/sh\necho hi\n", 04755},
                                  {"./bin/again", 'h', "./bin/hello"},
                                  {"./etc/motd", 'f', "welcome\n"},
                                  {"./etc/link", 'l', "/etc/motd"},
                                  {"./tmp/", 'd', "", 01777}};
    unsigned want = 0;
    for (const char* f : {"none", "gzip", "xz", "zstd"}) {
        std::string file = tmp.path() + "/root.tar." + f;
        ASSERT_TRUE(write_tar(file, entries, f));
        auto v = s.build("t", "tar:" + file);
        ASSERT_TRUE(v) << f << ": " << v.error().message();
        EXPECT_EQ(v->manifest.version, ++want);
        struct stat a{}, b{};
        ASSERT_EQ(::lstat((v->rootfs + "/bin/hello").c_str(), &a), 0);
        ASSERT_EQ(::lstat((v->rootfs + "/bin/again").c_str(), &b), 0);
        EXPECT_EQ(a.st_mode & 07777, 04755u);
        EXPECT_EQ(a.st_ino, b.st_ino);
        EXPECT_EQ(zt::read_text(v->rootfs + "/etc/motd"), "welcome\n");
        char target[64] = {};
        ASSERT_GT(::readlink((v->rootfs + "/etc/link").c_str(), target, sizeof target - 1), 0);
        EXPECT_STREQ(target, "/etc/motd");
        ASSERT_EQ(::lstat((v->rootfs + "/tmp").c_str(), &a), 0);
        EXPECT_EQ(a.st_mode & 07777, 01777u);
    }
    // Same content, same digest, whatever the compression.
    auto v1 = s.resolve("t", 1), v4 = s.resolve("t", 4);
    ASSERT_TRUE(v1 && v4);
    EXPECT_EQ(v1->manifest.digest, v4->manifest.digest);
}

TEST(Images_Tar, HostileTarballsAreRefusedWithoutWritingOutside) {
    ZT_REQUIRE_ROOT();
    TempDir tmp;
    std::string images = tmp.path() + "/store/images";
    Store s(images);
    std::string outside = tmp.path() + "/outside";
    ASSERT_TRUE(fs::mkdir_p(outside));
    ASSERT_TRUE(zt::write_text(outside + "/secret", "secret\n"));
    struct Case {
        const char* what;
        std::vector<TarEntry> entries;
        const char* entry; // named in the error
    };
    std::vector<Case> cases{
        {"dot-dot", {{"./ok", 'f', "x"}, {"../../outside/pwned", 'f', "x"}}, "../../outside/pwned"},
        {"absolute name", {{"/outside/pwned", 'f', "x"}}, "/outside/pwned"},
        {"absolute symlink, then a write through it",
         {{"./evil", 'l', outside}, {"./evil/pwned", 'f', "x"}}, "./evil/pwned"},
        {"relative symlink, then a write through it",
         {{"./rel", 'l', "../../../outside"}, {"./rel/pwned", 'f', "x"}}, "./rel/pwned"},
        {"symlinked directory deep down",
         {{"./a/", 'd'}, {"./a/b", 'l', outside}, {"./a/b/c/pwned", 'f', "x"}}, "./a/b/c/pwned"},
        {"hardlink out by dot-dot", {{"./hl", 'h', "../../outside/secret"}}, "./hl"},
        {"hardlink out by absolute name", {{"./hl", 'h', outside + "/secret"}}, "./hl"},
        {"hardlink through a symlink",
         {{"./evil", 'l', outside}, {"./hl", 'h', "./evil/secret"}}, "./hl"},
        {"device node", {{"./dev/", 'd'}, {"./dev/sda", 'c'}}, "./dev/sda"},
    };
    for (const auto& c : cases) {
        std::string file = tmp.path() + "/hostile.tar";
        ASSERT_TRUE(write_tar(file, c.entries));
        auto r = s.build("h", "tar:" + file);
        ASSERT_FALSE(r) << c.what;
        std::string msg = r.error().message();
        EXPECT_NE(msg.find(std::string("entry '") + c.entry + "'"), std::string::npos)
            << c.what << ": " << msg;
        EXPECT_FALSE(fs::exists(outside + "/pwned")) << c.what;
        EXPECT_EQ(zt::read_text(outside + "/secret"), "secret\n") << c.what;
        struct stat st{};
        ASSERT_EQ(::stat((outside + "/secret").c_str(), &st), 0);
        EXPECT_EQ(st.st_nlink, 1u) << c.what;
        expect_nothing_built(s, images, "h");
        ::unlink(file.c_str());
    }
    // Nothing appeared next to the store either.
    auto top = fs::open_dir(tmp.path());
    ASSERT_TRUE(top);
    auto names = fs::list_dir(top->get(), tmp.path());
    ASSERT_TRUE(names);
    for (const auto& n : *names) EXPECT_TRUE(n == "store" || n == "outside") << n;

    // Device nodes are kept when the build allows them.
    std::string file = tmp.path() + "/dev.tar";
    ASSERT_TRUE(write_tar(file, {{"./dev/", 'd'}, {"./dev/sda", 'c'}}));
    BuildOptions o;
    o.allow_devices = true;
    auto v = s.build("h", "tar:" + file, nullptr, nullptr, o);
    ASSERT_TRUE(v) << v.error().message();
    struct stat st{};
    ASSERT_EQ(::lstat((v->rootfs + "/dev/sda").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(Images_Oci, LayersApplyInOrderWithWhiteouts) {
    ZT_REQUIRE_ROOT();
    TempDir tmp;
    Store s(tmp.path() + "/images");
    std::string l1 = tar_bytes(tmp.path(), {{"a/", 'd', "", 0755},
                                            {"a/one", 'f', "1"},
                                            {"a/two", 'f', "2"},
                                            {"d/", 'd', "", 0755},
                                            {"d/old", 'f', "old"},
                                            {"keep", 'f', "k"}});
    std::string l2 = tar_bytes(tmp.path(), {{"a/.wh.one", 'f', ""},
                                            {"d/", 'd', "", 0750},
                                            {"d/new", 'f', "new"},
                                            {"d/.wh..wh..opq", 'f', ""},
                                            {"keep", 'f', "k2"}});
    ASSERT_TRUE(write_oci(tmp.path() + "/oci", {l1, l2}));
    auto v = s.build("o", "oci:" + tmp.path() + "/oci");
    ASSERT_TRUE(v) << v.error().message();
    const std::string& r = v->rootfs;
    EXPECT_FALSE(fs::exists(r + "/a/one"));
    EXPECT_FALSE(fs::exists(r + "/a/.wh.one"));
    EXPECT_EQ(zt::read_text(r + "/a/two"), "2");
    EXPECT_FALSE(fs::exists(r + "/d/old"));
    EXPECT_EQ(zt::read_text(r + "/d/new"), "new");
    EXPECT_FALSE(fs::exists(r + "/d/.wh..wh..opq"));
    EXPECT_EQ(zt::read_text(r + "/keep"), "k2");
    struct stat st{};
    ASSERT_EQ(::stat((r + "/d").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0750u);
}

TEST(Images_Oci, HostileLayoutsAreRefused) {
    ZT_REQUIRE_ROOT();
    TempDir tmp;
    std::string images = tmp.path() + "/store/images";
    Store s(images);
    std::string outside = tmp.path() + "/outside";
    ASSERT_TRUE(fs::mkdir_p(outside));
    struct Case {
        const char* what;
        std::vector<std::string> layers;
        std::string bad_digest;
        const char* expect;
    };
    std::string good = tar_bytes(tmp.path(), {{"f", 'f', "x"}});
    std::vector<Case> cases{
        {"dot-dot in a layer", {tar_bytes(tmp.path(), {{"../../outside/pwned", 'f', "x"}})}, "",
         "'..' would leave the image root"},
        {"symlink planted by one layer, written through by the next",
         {tar_bytes(tmp.path(), {{"evil", 'l', outside}}),
          tar_bytes(tmp.path(), {{"evil/pwned", 'f', "x"}})},
         "", "symbolic link"},
        {"whiteout through a symlink",
         {tar_bytes(tmp.path(), {{"evil", 'l', outside}}),
          tar_bytes(tmp.path(), {{"evil/.wh.secret", 'f', ""}})},
         "", "symbolic link"},
        {"digest that names a path", {good}, "sha256:../../../../outside/x", "unsupported digest"},
        {"digest of missing blob", {good}, "sha256:" + std::string(64, 'a'), "blob"},
    };
    ASSERT_TRUE(zt::write_text(outside + "/secret", "s"));
    int i = 0;
    for (const auto& c : cases) {
        std::string dir = tmp.path() + "/oci" + std::to_string(i++);
        ASSERT_TRUE(write_oci(dir, c.layers, c.bad_digest));
        auto r = s.build("h", "oci:" + dir);
        ASSERT_FALSE(r) << c.what;
        EXPECT_NE(r.error().message().find(c.expect), std::string::npos)
            << c.what << ": " << r.error().message();
        EXPECT_FALSE(fs::exists(outside + "/pwned")) << c.what;
        EXPECT_TRUE(fs::exists(outside + "/secret")) << c.what;
        expect_nothing_built(s, images, "h");
    }
    // A blob whose bytes do not match its digest.
    std::string dir = tmp.path() + "/ocibad";
    ASSERT_TRUE(write_oci(dir, {good}));
    std::string h = sha256_hex(good);
    ASSERT_TRUE(zt::write_text(dir + "/blobs/sha256/" + h, good + "tampered"));
    auto r = s.build("h", "oci:" + dir);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("does not match its digest"), std::string::npos)
        << r.error().message();
    expect_nothing_built(s, images, "h");
}

TEST(Images_Store, TagRemoveAndGc) {
    ZT_REQUIRE_ROOT();
    TempDir tmp;
    Store s(tmp.path() + "/images");
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(s.build("g", "busybox"));
    ASSERT_TRUE(s.tag("g", 2, "stable"));
    EXPECT_FALSE(s.tag("g", 9, "stable"));
    EXPECT_FALSE(s.tag("g", 1, "42"));
    auto tags = s.tags("g");
    ASSERT_TRUE(tags);
    EXPECT_EQ(tags->at("stable"), 2u);
    // Version 3 is used by a zone; 1 is not used by anything.
    Users users{{3, {"web"}}};
    auto plan = s.gc("g", users, /*dry_run=*/true);
    ASSERT_TRUE(plan) << plan.error().message();
    ASSERT_EQ(plan->size(), 4u);
    EXPECT_TRUE((*plan)[0].remove);
    EXPECT_TRUE(s.resolve("g", 1)); // dry run
    auto done = s.gc("g", users);
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_FALSE(s.resolve("g", 1));
    for (unsigned v : {2u, 3u, 4u}) EXPECT_TRUE(s.resolve("g", v)) << v;
    // Removing the newest never lets its number come back.
    ASSERT_TRUE(s.remove_version("g", 4));
    auto v5 = s.build("g", "busybox");
    ASSERT_TRUE(v5);
    EXPECT_EQ(v5->manifest.version, 5u);
    // A removed version takes its tags along.
    ASSERT_TRUE(s.remove_version("g", 2));
    tags = s.tags("g");
    ASSERT_TRUE(tags);
    EXPECT_TRUE(tags->empty());
    ASSERT_TRUE(s.remove_image("g"));
    EXPECT_FALSE(s.versions("g"));
    EXPECT_FALSE(fs::exists(tmp.path() + "/images/g"));
    auto names = s.names();
    ASSERT_TRUE(names);
    EXPECT_TRUE(names->empty());
}

// ---- through the daemon: patch, zone source, export/import, list -v, gc --------

using zt::TestDaemon;

TEST(Images_Patch, FloatingZonePicksUpThePatchPinnedZoneDoesNot) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image("base"));
    ASSERT_TRUE(d.configure("float", "", "base"));
    ASSERT_TRUE(d.configure("pin", "", "base@1"));
    for (const char* z : {"float", "pin"}) {
        ASSERT_TRUE(d.adm(z, "install"));
        ASSERT_TRUE(d.adm(z, "boot"));
    }
    auto own = d.zlogin("float", "echo mine > /root/own && echo done");
    ASSERT_EQ(own.status, 0) << own;

    // Patch while both run: a file added, one changed, one deleted.
    auto p = d.run("zonectl", {"image", "patch", "base", "--", "/bin/sh", "-c",
                               "echo patched > /etc/patched && echo v2 >> /etc/profile && "
                               "rm /etc/hostname && echo out-of-the-sandbox"},
                   "", 60000);
    ASSERT_EQ(p.status, 0) << p;
    EXPECT_NE(p.err.find("out-of-the-sandbox"), std::string::npos) << p;
    EXPECT_NE(p.out.find("version 2 committed (parent 1)"), std::string::npos) << p;
    auto info = d.run("zonectl", {"image", "info", "base"});
    ASSERT_EQ(info.status, 0) << info;
    auto j = nlohmann::json::parse(info.out);
    EXPECT_EQ(j["version"], 2);
    EXPECT_EQ(j["parent"], 1);
    EXPECT_EQ(j["source"].get<std::string>().rfind("patch:", 0), 0u);
    // Unchanged files are shared with the parent version, changed ones are not.
    struct stat a{}, b{};
    std::string v1 = d.root() + "/images/base/1/rootfs", v2 = d.root() + "/images/base/2/rootfs";
    ASSERT_EQ(::stat((v1 + "/bin/busybox").c_str(), &a), 0);
    ASSERT_EQ(::stat((v2 + "/bin/busybox").c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    ASSERT_EQ(::stat((v1 + "/etc/profile").c_str(), &a), 0);
    ASSERT_EQ(::stat((v2 + "/etc/profile").c_str(), &b), 0);
    EXPECT_NE(a.st_ino, b.st_ino);
    EXPECT_EQ(zt::read_text(v2 + "/etc/patched"), "patched\n");
    EXPECT_FALSE(fs::exists(v2 + "/etc/hostname"));
    EXPECT_TRUE(fs::exists(v1 + "/etc/hostname"));
    EXPECT_FALSE(fs::exists(v2 + "/etc/resolv.conf")) << "the bound resolv.conf stays out";
    EXPECT_FALSE(fs::exists(d.root() + "/images/base/2/patch"));

    // The floating zone waits for its next boot, and says so.
    auto lv = d.zoneadm({"list", "-v"});
    ASSERT_EQ(lv.status, 0) << lv;
    EXPECT_NE(lv.out.find("base@1 (2 waits)"), std::string::npos) << lv.out;
    EXPECT_EQ(d.zlogin("float", "cat /etc/patched").status, 1);

    for (const char* z : {"float", "pin"}) {
        ASSERT_TRUE(d.adm(z, "halt"));
        ASSERT_TRUE(d.adm(z, "boot"));
    }
    auto f = d.zlogin("float", "cat /etc/patched /root/own; tail -1 /etc/profile; "
                               "test -e /etc/hostname || echo no-hostname");
    EXPECT_EQ(f.status, 0) << f;
    EXPECT_EQ(f.out, "patched\nmine\nv2\nno-hostname\n");
    auto pinned = d.zlogin("pin", "test -e /etc/patched && echo leaked; test -e /etc/hostname && echo kept");
    EXPECT_EQ(pinned.out, "kept\n") << pinned;
    lv = d.zoneadm({"list", "-v"});
    EXPECT_NE(lv.out.find("base@2 "), std::string::npos) << lv.out;
    EXPECT_EQ(lv.out.find("waits"), std::string::npos) << lv.out;

    // A failing command commits nothing.
    auto bad = d.run("zonectl", {"image", "patch", "base", "--", "/bin/sh", "-c", "touch /x; exit 3"});
    EXPECT_EQ(bad.status, 1) << bad;
    EXPECT_NE(bad.err.find("exited with status 3"), std::string::npos) << bad;
    auto missing = d.run("zonectl", {"image", "patch", "base", "--", "no-such-command"});
    EXPECT_EQ(missing.status, 1) << missing;
    EXPECT_NE(missing.err.find("no-such-command"), std::string::npos) << missing;
    auto newest = d.run("zonectl", {"image", "info", "base"});
    EXPECT_EQ(nlohmann::json::parse(newest.out)["version"], 2);
    EXPECT_TRUE(zt::mounts_below(d.root()).empty());
}

TEST(Images_ZoneSource, ImageFromARunningZoneThawsIt) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("src"));
    ASSERT_EQ(d.zlogin("src", "echo hand-made > /root/made; rm /etc/profile").status, 0);
    auto b = d.run("zonectl", {"image", "build", "fromzone", "--from", "zone:src"}, "", 60000);
    ASSERT_EQ(b.status, 0) << b;
    std::string root = d.root() + "/images/fromzone/1/rootfs";
    EXPECT_EQ(zt::read_text(root + "/root/made"), "hand-made\n");
    EXPECT_FALSE(fs::exists(root + "/etc/profile"));
    EXPECT_TRUE(fs::exists(root + "/bin/busybox"));
    struct stat mine{}, gold{};
    ASSERT_EQ(::stat((root + "/bin/busybox").c_str(), &mine), 0);
    ASSERT_EQ(::stat((d.root() + "/images/base/1/rootfs/bin/busybox").c_str(), &gold), 0);
    EXPECT_EQ(mine.st_ino, gold.st_ino) << "unchanged files are shared with the image";
    // Thawed: it still answers, and its cgroup says so.
    EXPECT_EQ(zt::trim(zt::read_text(d.zone_cgroup("src") + "/cgroup.freeze")), "0");
    EXPECT_EQ(d.zlogin("src", "echo alive").out, "alive\n");
    auto info = nlohmann::json::parse(d.run("zonectl", {"image", "info", "fromzone"}).out);
    EXPECT_EQ(info["source"], "zone:src");
    // A zone that does not exist is a clear error.
    auto bad = d.run("zonectl", {"image", "build", "x", "--from", "zone:nope"});
    EXPECT_EQ(bad.status, 1) << bad;
    EXPECT_NE(bad.err.find("nope"), std::string::npos) << bad;
    EXPECT_TRUE(zt::mounts_below(d.root()).empty());
}

TEST(Images_Move, ExportImportOnASecondDaemonBoots) {
    ZT_REQUIRE_ROOT();
    TestDaemon a, b;
    ASSERT_TRUE(a.started());
    ASSERT_TRUE(b.started());
    ASSERT_TRUE(a.ensure_image("gold"));
    auto p = a.run("zonectl", {"image", "patch", "gold", "--", "/bin/sh", "-c", "echo two > /etc/two"},
                   "", 60000);
    ASSERT_EQ(p.status, 0) << p;
    std::string file = b.dir() + "/gold.tar.zst";
    auto e = a.run("zonectl", {"image", "export", "gold", file}, "", 60000);
    ASSERT_EQ(e.status, 0) << e;
    // The file is zstd (magic 28 b5 2f fd) and never overwritten.
    std::string head = zt::read_text(file).substr(0, 4);
    EXPECT_EQ(head, std::string("\x28\xb5\x2f\xfd", 4));
    EXPECT_EQ(a.run("zonectl", {"image", "export", "gold", file}).status, 1);

    auto i = b.run("zonectl", {"image", "import", file}, "", 60000);
    ASSERT_EQ(i.status, 0) << i;
    EXPECT_NE(i.out.find("image gold version 2 imported"), std::string::npos) << i;
    auto ia = nlohmann::json::parse(a.run("zonectl", {"image", "info", "gold"}).out);
    auto ib = nlohmann::json::parse(b.run("zonectl", {"image", "info", "gold"}).out);
    EXPECT_EQ(ia["digest"], ib["digest"]);
    EXPECT_EQ(ib["parent"], 1);
    auto again = b.run("zonectl", {"image", "import", file});
    EXPECT_EQ(again.status, 0) << again;
    EXPECT_NE(again.out.find("already"), std::string::npos) << again;

    ASSERT_TRUE(b.configure("moved", "", "gold@2"));
    ASSERT_TRUE(b.adm("moved", "install"));
    ASSERT_TRUE(b.adm("moved", "boot"));
    EXPECT_EQ(b.zlogin("moved", "cat /etc/two").out, "two\n");

    // A damaged file is refused and leaves nothing.
    std::string bad = b.dir() + "/bad.tar.zst";
    {
        std::string data = zt::read_text(file);
        std::string text = "manifest.json"; // keep the manifest, break the tree's digest
        images::Manifest m = *images::parse_manifest(zt::read_text(a.root() + "/images/gold/2/manifest.json"));
        m.name = "other";
        m.digest = "sha256:" + std::string(64, '0');
        std::string tar = b.dir() + "/bad.tar";
        ASSERT_TRUE(write_tar(tar, {{"manifest.json", 'f', images::to_json(m).dump()},
                                    {"rootfs/", 'd', "", 0755},
                                    {"rootfs/f", 'f', "x"}}));
        (void)text;
        (void)data;
        bad = tar;
    }
    auto r = b.run("zonectl", {"image", "import", bad});
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_NE(r.err.find("digest"), std::string::npos) << r;
    EXPECT_EQ(b.run("zonectl", {"image", "info", "other"}).status, 1);
}

TEST(Images_Cli, TagRemoveGcRespectZones) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    for (int i = 0; i < 4; ++i) {
        auto b = d.run("zonectl", {"image", "build", "g", "--from", "busybox"}, "", 60000);
        ASSERT_EQ(b.status, 0) << b;
    }
    ASSERT_TRUE(d.configure("user2", "", "g@2"));
    ASSERT_TRUE(d.adm("user2", "install"));
    ASSERT_EQ(d.run("zonectl", {"image", "tag", "g@3", "stable"}).status, 0);
    // A tag names its version wherever a version goes.
    auto byTag = d.run("zonectl", {"image", "info", "g@stable"});
    ASSERT_EQ(byTag.status, 0) << byTag;
    EXPECT_EQ(nlohmann::json::parse(byTag.out)["version"], 3);
    auto noTag = d.run("zonectl", {"image", "info", "g@nope"});
    EXPECT_EQ(noTag.status, 1) << noTag;
    EXPECT_NE(noTag.err.find("has no tag 'nope'"), std::string::npos) << noTag;
    ASSERT_EQ(d.run("zonectl", {"image", "tag", "g@stable", "also"}).status, 0);
    ASSERT_EQ(d.run("zonectl", {"image", "tag", "-d", "g", "also"}).status, 0);

    auto rm = d.run("zonectl", {"image", "remove", "g@2"});
    EXPECT_EQ(rm.status, 1) << rm;
    EXPECT_NE(rm.err.find("in use by zone(s) user2"), std::string::npos) << rm;
    auto rmall = d.run("zonectl", {"image", "remove", "g"});
    EXPECT_EQ(rmall.status, 1) << rmall;
    EXPECT_NE(rmall.err.find("user2"), std::string::npos) << rmall;

    auto list = d.run("zonectl", {"image", "list"});
    EXPECT_NE(list.out.find("stable"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("user2"), std::string::npos) << list.out;

    auto dry = d.run("zonectl", {"image", "gc", "-n"});
    ASSERT_EQ(dry.status, 0) << dry;
    EXPECT_NE(dry.out.find("g@1: would be removed (unused)"), std::string::npos) << dry.out;
    auto gc = d.run("zonectl", {"image", "gc"});
    ASSERT_EQ(gc.status, 0) << gc;
    EXPECT_NE(gc.out.find("g@1: removed"), std::string::npos) << gc.out;
    EXPECT_NE(gc.out.find("g@2: kept (used by zone user2)"), std::string::npos) << gc.out;
    EXPECT_NE(gc.out.find("g@3: kept (tag stable)"), std::string::npos) << gc.out;
    EXPECT_NE(gc.out.find("g@4: kept (newest)"), std::string::npos) << gc.out;
    EXPECT_EQ(d.run("zonectl", {"image", "info", "g@1"}).status, 1);

    ASSERT_EQ(d.run("zonectl", {"image", "tag", "-d", "g", "stable"}).status, 0);
    EXPECT_EQ(d.run("zonectl", {"image", "remove", "g@3"}).status, 0);
    ASSERT_TRUE(d.adm("user2", "uninstall"));
    auto gone = d.run("zonectl", {"image", "remove", "g"});
    EXPECT_EQ(gone.status, 0) << gone;
    EXPECT_FALSE(fs::exists(d.root() + "/images/g"));
}

// A real Debian root file system from debootstrap, through the package cache
// that tests/setup.sh fills (tests never download). Label: slow.
TEST(Images_Debootstrap, DebianImageBootsAndRunsApt) {
    ZT_REQUIRE_ROOT();
    std::string tarball = images::debootstrap_tarball(images::debootstrap_cache_dir(), "bookworm",
                                                      images::debian_arch());
    if (!fs::exists(tarball)) {
        const char* ci = std::getenv("CI");
        if (ci && std::string(ci) == "true")
            FAIL() << tarball << " is missing: tests/setup.sh fills the debootstrap cache";
        GTEST_SKIP() << tarball << " is missing: run tests/setup.sh";
    }
    TestDaemon d;
    ASSERT_TRUE(d.started());
    auto b = d.run("zonectl", {"image", "build", "deb", "--from", "debootstrap:bookworm"}, "", 600000);
    ASSERT_EQ(b.status, 0) << b;
    std::string root = d.root() + "/images/deb/1/rootfs";
    // Ready for zones: no host identity, no package cache, init for init=/sbin/init.
    EXPECT_EQ(zt::read_text(root + "/etc/hostname"), "");
    EXPECT_EQ(zt::read_text(root + "/etc/machine-id"), "");
    EXPECT_FALSE(fs::exists(root + "/etc/resolv.conf"));
    EXPECT_FALSE(fs::exists(root + "/dev/null")) << "zones get their own /dev";
    struct stat st{};
    EXPECT_EQ(::lstat((root + "/sbin/init").c_str(), &st), 0) << "systemd-sysv gives /sbin/init";
    auto info = nlohmann::json::parse(d.run("zonectl", {"image", "info", "deb"}).out);
    EXPECT_EQ(info["source"], "debootstrap:bookworm");
    EXPECT_GT(info["size"].get<unsigned long long>(), 50ull << 20);

    ASSERT_TRUE(d.configure("deb1", "", "deb"));
    ASSERT_TRUE(d.adm("deb1", "install"));
    ASSERT_TRUE(d.adm("deb1", "boot"));
    auto apt = d.zlogin("deb1", "apt --version && . /etc/os-release && echo $VERSION_CODENAME");
    EXPECT_EQ(apt.status, 0) << apt;
    EXPECT_EQ(apt.out.rfind("apt 2.", 0), 0u) << apt;
    EXPECT_NE(apt.out.find("bookworm\n"), std::string::npos) << apt;
    // Without a user namespace the zone's cgroup stays the host root's.
    struct stat cst{};
    ASSERT_EQ(::stat((d.cgroup_parent_path() + "/deb1").c_str(), &cst), 0);
    EXPECT_EQ(cst.st_uid, 0u);
    ASSERT_TRUE(d.adm("deb1", "halt"));

    // init=/sbin/init: systemd in a user-namespaced system zone, whose
    // cgroup is delegated to the zone's root.
    ASSERT_TRUE(d.configure("deb2", "set userns=auto; set security-profile=system; set init=/sbin/init",
                            "deb"));
    ASSERT_TRUE(d.adm("deb2", "install"));
    std::string cg = d.cgroup_parent_path() + "/deb2";
    for (const char* stop : {"shutdown", "halt"}) {
        ASSERT_TRUE(d.adm("deb2", "boot"));
        std::string state;
        // --wait waits for the boot to finish; the first tries may come
        // before systemd listens on its socket.
        for (int i = 0; i < 120; ++i) {
            state = d.zlogin("deb2", "systemctl is-system-running --wait").out;
            if (state == "running\n" || state == "degraded\n") break;
            ::sleep(1);
        }
        EXPECT_TRUE(state == "running\n" || state == "degraded\n") << state << "\n" << d.log();
        ASSERT_EQ(::stat(cg.c_str(), &cst), 0);
        EXPECT_NE(cst.st_uid, 0u) << "delegated to the zone's root";
        EXPECT_TRUE(fs::exists(cg + "/init.scope")) << "systemd makes its own groups";
        ASSERT_TRUE(d.adm("deb2", stop));
        EXPECT_FALSE(fs::exists(cg)) << "the zone's groups and those systemd made are removed";
    }
    // systemd halts on SIGRTMIN+3 (SIGTERM would make it re-execute).
    EXPECT_EQ(d.log().find("zone=deb2 did not stop"), std::string::npos) << d.log();
}
