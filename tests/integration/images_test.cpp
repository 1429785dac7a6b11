// The image store against the real file system (root): a busybox image built
// with images::Store directly, into a temp dir removed at the end.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

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
    EXPECT_EQ(m.digest, "");
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
