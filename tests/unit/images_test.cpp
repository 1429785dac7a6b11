// The image store without root: manifests, names, version ordering on a
// store built by hand, the busybox plan and the static-ELF check.
#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images/busybox.hpp"
#include "images/debootstrap.hpp"
#include "images/tree.hpp"
#include "images/store.hpp"
#include "runtime/common/fs.hpp"

using namespace zone;
using namespace zone::images;

namespace {

class TempDir {
  public:
    TempDir() {
        std::string tmpl = "/tmp/images-unit-XXXXXX";
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

Manifest sample(const std::string& name = "gold", unsigned version = 3) {
    return Manifest{name, version, "busybox", 2, "2026-05-07T12:34:56Z", 1982256, ""};
}

// <images>/<name>/<version>/{manifest.json, rootfs/}
void add_version(const std::string& images, const std::string& name, unsigned v) {
    std::string dir = images + "/" + name + "/" + std::to_string(v);
    ASSERT_TRUE(fs::mkdir_p(dir + "/rootfs"));
    ASSERT_TRUE(fs::write_file_atomic(dir + "/manifest.json", to_json(sample(name, v)).dump()));
}

} // namespace

TEST(Images_Manifest, RoundTrip) {
    Manifest m = sample();
    auto back = manifest_from_json(to_json(m));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, m);
    auto parsed = parse_manifest(to_json(m).dump(2));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, m);
}

TEST(Images_Manifest, OptionalFieldsAndUnknownKeys) {
    auto m = parse_manifest(R"({"name":"web","version":1,"source":"busybox",
                                "created":"2026-01-01T00:00:00Z","size":5,"future":[1,2]})");
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->parent, 0u);
    EXPECT_EQ(m->digest, "");
    EXPECT_EQ(m->size, 5u);
}

TEST(Images_Manifest, RejectsGarbage) {
    const char* bad[] = {
        "",
        "not json",
        "[1,2,3]",
        "\"gold\"",
        R"({"version":1,"source":"busybox","created":"x","size":1})",                 // no name
        R"({"name":"../etc","version":1,"source":"busybox","created":"x","size":1})", // bad name
        R"({"name":"gold","version":0,"source":"busybox","created":"x","size":1})",
        R"({"name":"gold","version":-1,"source":"busybox","created":"x","size":1})",
        R"({"name":"gold","version":"1","source":"busybox","created":"x","size":1})",
        R"({"name":"gold","version":1.5,"source":"busybox","created":"x","size":1})",
        R"({"name":"gold","version":1,"source":"","created":"x","size":1})",
        R"({"name":"gold","version":1,"source":"busybox","size":1})", // no created
        R"({"name":"gold","version":1,"source":"busybox","created":"x","size":-5})",
        R"({"name":"gold","version":1,"source":"busybox","created":"x","size":1,"digest":7})",
        R"({"name":"gold","version":1,"source":"busybox","created":"x","size":1,"parent":"1"})",
    };
    for (const char* text : bad) {
        auto m = parse_manifest(text);
        EXPECT_FALSE(m) << text;
        if (!m) {
            EXPECT_EQ(m.error().code, kCodeInvalid) << text;
        }
    }
}

TEST(Images_Name, Checks) {
    for (std::string ok :
         std::vector<std::string>{"gold", "a", "Web-1.2_x", "0day", std::string(63, 'n')})
        EXPECT_TRUE(Store::check_name(ok)) << ok;
    for (std::string bad :
         std::vector<std::string>{"", ".build-x", ".lock", "-x", "_x", "a/b", "..", "a b", "a:b",
                                  "é", std::string(64, 'n')}) {
        auto r = Store::check_name(bad);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_EQ(r.error().code, "EINVAL") << bad;
        }
    }
}

TEST(Images_Version, DirNames) {
    EXPECT_EQ(parse_version_dir("1"), 1u);
    EXPECT_EQ(parse_version_dir("10"), 10u);
    EXPECT_EQ(parse_version_dir("999999999"), 999999999u);
    for (const char* bad : {"", "0", "01", "1a", "-1", ".build-1", "rootfs", "1234567890"})
        EXPECT_FALSE(parse_version_dir(bad)) << bad;
}

TEST(Images_Version, OrderingOnHandBuiltStore) {
    TempDir tmp;
    ASSERT_FALSE(tmp.path().empty());
    std::string images = tmp.path() + "/images";
    for (unsigned v : {2u, 10u, 1u})
        add_version(images, "gold", v);
    add_version(images, "alpha", 1);
    // Not versions: a leading zero, a build in progress, a stray file, a
    // version without a manifest.
    ASSERT_TRUE(fs::mkdir_p(images + "/gold/01/rootfs"));
    ASSERT_TRUE(fs::mkdir_p(images + "/gold/.build-abc123/rootfs"));
    ASSERT_TRUE(fs::write_file_atomic(images + "/gold/junk", "x"));
    ASSERT_TRUE(fs::mkdir_p(images + "/gold/3/rootfs"));
    ASSERT_TRUE(fs::mkdir_p(images + "/.hidden/1"));

    Store s(images);
    auto vs = s.versions("gold");
    ASSERT_TRUE(vs) << vs.error().message();
    ASSERT_EQ(vs->size(), 3u);
    EXPECT_EQ((*vs)[0].manifest.version, 1u);
    EXPECT_EQ((*vs)[1].manifest.version, 2u);
    EXPECT_EQ((*vs)[2].manifest.version, 10u);
    EXPECT_EQ((*vs)[2].dir, images + "/gold/10");
    EXPECT_EQ((*vs)[2].rootfs, images + "/gold/10/rootfs");

    auto newest = s.resolve("gold", 0);
    ASSERT_TRUE(newest) << newest.error().message();
    EXPECT_EQ(newest->manifest.version, 10u);
    auto two = s.resolve("gold", 2);
    ASSERT_TRUE(two) << two.error().message();
    EXPECT_EQ(two->manifest, sample("gold", 2));

    for (auto r : {s.resolve("gold", 3), s.resolve("gold", 4), s.resolve("missing", 0),
                   s.resolve("missing", 1)}) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, kCodeNotFound) << r.error().message();
    }
    auto bad = s.resolve("../gold", 0);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "EINVAL");

    auto all = s.list();
    ASSERT_TRUE(all) << all.error().message();
    ASSERT_EQ(all->size(), 4u);
    EXPECT_EQ((*all)[0].manifest.name, "alpha");
    EXPECT_EQ((*all)[1].manifest.name, "gold");
    EXPECT_EQ((*all)[1].manifest.version, 1u);
    EXPECT_EQ((*all)[3].manifest.version, 10u);
}

TEST(Images_Version, MismatchedManifestIsRefused) {
    TempDir tmp;
    std::string images = tmp.path() + "/images";
    ASSERT_TRUE(fs::mkdir_p(images + "/gold/4/rootfs"));
    ASSERT_TRUE(fs::write_file_atomic(images + "/gold/4/manifest.json",
                                      to_json(sample("other", 4)).dump()));
    Store s(images);
    EXPECT_FALSE(s.resolve("gold", 4));
    auto vs = s.versions("gold");
    ASSERT_FALSE(vs);
    EXPECT_EQ(vs.error().code, kCodeNotFound);
}

TEST(Images_Store, MissingStoreListsNothing) {
    Store s("/nonexistent/images-unit");
    auto all = s.list();
    ASSERT_TRUE(all) << all.error().message();
    EXPECT_TRUE(all->empty());
}

TEST(Images_Store, BuildRefusesBadInputWithoutLeavingAnything) {
    TempDir tmp;
    std::string images = tmp.path() + "/images";
    Store s(images);
    auto r = s.build("bad/name", "busybox");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "EINVAL");
    r = s.build("gold", "rsync:/nowhere");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "EINVAL");
    r = s.build("gold", "debootstrap:Bad_Suite");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "EINVAL");
    // A missing archive is found missing before anything is created.
    r = s.build("gold", "tar:/nowhere");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "ENOENT");
    EXPECT_NE(r.error().message().find("/nowhere"), std::string::npos) << r.error().message();
    EXPECT_FALSE(fs::exists(images));

    // A dynamically linked "busybox" (this test binary) is refused before
    // anything is created, and the build directory goes away.
    s.set_busybox_path("/proc/self/exe");
    r = s.build("gold", "busybox");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("dynamically linked"), std::string::npos)
        << r.error().message();
    auto left = fs::open_dir(images + "/gold");
    ASSERT_TRUE(left);
    EXPECT_FALSE(fs::exists(images + "/gold/1"));
    EXPECT_FALSE(s.versions("gold"));
}

TEST(Images_Elf, StaticCheck) {
    auto self = check_static_elf("/proc/self/exe");
    ASSERT_FALSE(self);
    EXPECT_NE(self.error().message().find("dynamically linked"), std::string::npos);
    auto text = check_static_elf("/etc/passwd");
    ASSERT_FALSE(text);
    EXPECT_NE(text.error().message().find("not an ELF"), std::string::npos);
    auto missing = check_static_elf("/nonexistent/busybox");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().err, ENOENT);
}

TEST(Images_Busybox, AppletListParsing) {
    auto ok = parse_applet_list("usr/bin/[\nbin/sh\n\nsbin/ip\nlinuxrc\n");
    ASSERT_TRUE(ok) << ok.error().message();
    EXPECT_EQ(*ok, (std::vector<std::string>{"usr/bin/[", "bin/sh", "sbin/ip", "linuxrc"}));
    for (const char* bad : {"/bin/sh\n", "../sh\n", "bin/../sh\n", "bin//sh\n", "bin/./sh\n",
                            "bin/sh/\n", "bin/s\th\n", "", "\n\n"})
        EXPECT_FALSE(parse_applet_list(bad)) << bad;
}

TEST(Images_Busybox, PlanHasUsersModesAndLinks) {
    RootfsPlan p = plan_busybox_rootfs(
        {"bin/sh", "usr/bin/env", "bin/busybox", "usr/lib/x/y", "etc/passwd", "bin/sh"}, "gold", 7);
    using Kind = RootfsEntry::Kind;
    auto at = [&](const char* path) {
        const RootfsEntry* e = p.find(path);
        EXPECT_NE(e, nullptr) << path;
        return e ? *e : RootfsEntry{};
    };
    EXPECT_EQ(at("tmp").mode, 01777u);
    EXPECT_EQ(at("var/tmp").mode, 01777u);
    EXPECT_EQ(at("root").mode, 0700u);
    for (const char* d : {"dev", "proc", "sys", "run", "etc/zone", "var/log", "usr/lib/x"})
        EXPECT_EQ(at(d).kind, Kind::Dir) << d;
    auto home = at("home/user");
    EXPECT_EQ(home.uid, kUserUid);
    EXPECT_EQ(home.gid, kUserGid);

    auto passwd = at("etc/passwd");
    EXPECT_EQ(passwd.kind, Kind::File); // an applet never replaces it
    EXPECT_NE(passwd.data.find("root:x:0:0:root:/root:/bin/sh\n"), std::string::npos);
    EXPECT_NE(passwd.data.find("user:x:1000:1000:user:/home/user:/bin/sh\n"), std::string::npos);
    EXPECT_NE(passwd.data.find("nobody:x:65534:65534:"), std::string::npos);
    auto group = at("etc/group").data;
    for (const char* g : {"root:x:0:", "tty:x:5:", "user:x:1000:", "nogroup:x:65534:"})
        EXPECT_NE(group.find(g), std::string::npos) << g;
    auto shadow = at("etc/shadow");
    EXPECT_EQ(shadow.mode, 0600u);
    EXPECT_NE(shadow.data.find("root:!:"), std::string::npos);
    EXPECT_NE(at("etc/os-release").data.find("IMAGE_ID=\"gold\""), std::string::npos);
    EXPECT_NE(at("etc/os-release").data.find("IMAGE_VERSION=\"7\""), std::string::npos);
    EXPECT_NE(at("etc/profile").data.find("PS1="), std::string::npos);
    EXPECT_NE(at("etc/profile").data.find("PATH="), std::string::npos);

    EXPECT_EQ(at("bin/sh").kind, Kind::Symlink);
    EXPECT_EQ(at("bin/sh").data, "busybox");
    EXPECT_EQ(at("usr/bin/env").data, "../../bin/busybox");
    EXPECT_EQ(at("usr/lib/x/y").data, "../../../bin/busybox");
    EXPECT_EQ(p.find("bin/busybox"), nullptr);
    size_t sh = 0;
    for (const auto& e : p.entries)
        sh += e.path == "bin/sh";
    EXPECT_EQ(sh, 1u);

    // Every parent comes before its children.
    for (size_t i = 0; i < p.entries.size(); ++i) {
        const std::string& path = p.entries[i].path;
        auto slash = path.rfind('/');
        if (slash == std::string::npos) continue;
        std::string parent = path.substr(0, slash);
        bool before = false;
        for (size_t j = 0; j < i; ++j)
            before |= p.entries[j].path == parent;
        EXPECT_TRUE(before) << path;
    }
}

// ---- archive member names --------------------------------------------------------

TEST(Images_Tree, SplitMemberNormalizesAndRefuses) {
    using V = std::vector<std::string>;
    EXPECT_EQ(*tree::split_member("./a/b/"), (V{"a", "b"}));
    EXPECT_EQ(*tree::split_member("a//b/./c"), (V{"a", "b", "c"}));
    EXPECT_EQ(*tree::split_member("./"), V{});
    EXPECT_EQ(*tree::split_member("."), V{});
    EXPECT_EQ(*tree::split_member("..."), V{"..."});
    EXPECT_EQ(*tree::split_member("a/..b"), (V{"a", "..b"}));
    for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a/..", "a/\nb", "a/\x7f"}) {
        auto r = tree::split_member(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, "EINVAL");
        EXPECT_NE(r.error().message().find("entry '"), std::string::npos) << r.error().message();
    }
    EXPECT_FALSE(tree::split_member("a/" + std::string(300, 'x')));
    EXPECT_EQ(tree::join({"a", "b", "c"}, 2), "a/b");
    EXPECT_EQ(tree::join({"a"}, 0), ".");
}

TEST(Images_Tree, DigestIgnoresTimesButNotContentOrModes) {
    TempDir tmp;
    std::string r = tmp.path() + "/r";
    ASSERT_TRUE(fs::mkdir_p(r + "/d"));
    ASSERT_TRUE(fs::write_file_atomic(r + "/d/f", "hello", 0644));
    ASSERT_EQ(::symlink("d/f", (r + "/l").c_str()), 0);
    auto digest_of = [&] {
        auto fd = fs::open_dir(r);
        EXPECT_TRUE(fd);
        auto d = tree::digest(fd->get(), r);
        EXPECT_TRUE(d) << d.error().message();
        return d ? *d : std::string();
    };
    std::string d1 = digest_of();
    EXPECT_EQ(d1.rfind("sha256:", 0), 0u);
    struct timespec old[2] = {{1000, 0}, {1000, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (r + "/d/f").c_str(), old, 0), 0);
    EXPECT_EQ(digest_of(), d1);
    ASSERT_EQ(::chmod((r + "/d/f").c_str(), 0600), 0);
    std::string d2 = digest_of();
    EXPECT_NE(d2, d1);
    ASSERT_TRUE(fs::write_file_atomic(r + "/d/f", "hellO", 0600));
    EXPECT_NE(digest_of(), d2);
}

// ---- apt sources -------------------------------------------------------------------

TEST(Images_Debootstrap, MirrorFromSources) {
    EXPECT_EQ(mirror_from_sources_list("# comment\n"
                                       "deb http://security.debian.org/debian-security bookworm-security main\n"
                                       "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n"),
              "http://mirror.example/debian");
    EXPECT_EQ(mirror_from_sources_list("deb-src http://a/debian bookworm main\n"), "");
    EXPECT_EQ(mirror_from_sources_list("deb http://b/debian bookworm main # trailing\n"), "http://b/debian");
    EXPECT_EQ(mirror_from_deb822("Types: deb\n"
                                 "URIs: http://deb.debian.org/debian-security\n"
                                 "Suites: bookworm-security\n\n"
                                 "Types: deb-src\nURIs: http://src/debian\n\n"
                                 "Types: deb\nURIs: http://off/debian\nEnabled: no\n\n"
                                 "# a comment\n"
                                 "Types: deb deb-src\n"
                                 "URIs: http://deb.debian.org/debian\n"
                                 "Suites: bookworm bookworm-updates\n"),
              "http://deb.debian.org/debian");
    EXPECT_EQ(mirror_from_deb822(""), "");
    EXPECT_TRUE(check_suite("bookworm"));
    EXPECT_TRUE(check_suite("sid"));
    for (const char* bad : {"", "Bookworm", "../x", "a b", "-x"}) EXPECT_FALSE(check_suite(bad)) << bad;
    EXPECT_EQ(debootstrap_tarball("/c", "bookworm", "amd64"), "/c/bookworm-minbase-amd64.tar.gz");
}
