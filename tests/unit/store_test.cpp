// The image store's bookkeeping on hand-built stores (no root): gc planning,
// tags, version numbers never reused, removal.
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

#include "images/store.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/image_usage.hpp"

using namespace zone;
using namespace zone::images;

namespace {

class TempDir {
  public:
    TempDir() {
        std::string tmpl = "/tmp/store-unit-XXXXXX";
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

void add_version(const std::string& images, const std::string& name, unsigned v) {
    std::string dir = images + "/" + name + "/" + std::to_string(v);
    ASSERT_TRUE(fs::mkdir_p(dir + "/rootfs"));
    Manifest m{name, v, "busybox", 0, "2026-05-07T12:34:56Z", 1, ""};
    ASSERT_TRUE(fs::write_file_atomic(dir + "/manifest.json", to_json(m).dump()));
}

} // namespace

TEST(Store_Gc, KeepsNewestTaggedAndUsed) {
    auto plan = plan_gc({4, 1, 2, 3, 5}, {{"stable", 2}}, {{3, {"web", "db"}}, {4, {}}});
    ASSERT_EQ(plan.size(), 5u);
    EXPECT_EQ(plan[0].version, 1u);
    EXPECT_TRUE(plan[0].remove);
    EXPECT_EQ(plan[0].why, "unused");
    EXPECT_FALSE(plan[1].remove);
    EXPECT_EQ(plan[1].why, "tag stable");
    EXPECT_FALSE(plan[2].remove);
    EXPECT_EQ(plan[2].why, "used by zone web");
    EXPECT_TRUE(plan[3].remove); // an empty user list is no use
    EXPECT_FALSE(plan[4].remove);
    EXPECT_EQ(plan[4].why, "newest");
    // The only version is the newest, used or not.
    auto one = plan_gc({7}, {}, {});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_FALSE(one[0].remove);
    EXPECT_TRUE(plan_gc({}, {}, {}).empty());
}

TEST(Store_Tags, NamesAndLifecycle) {
    EXPECT_TRUE(check_tag("stable"));
    EXPECT_TRUE(check_tag("v2.1"));
    for (const char* bad : {"", "12", ".x", "a/b", "a b"})
        EXPECT_FALSE(check_tag(bad)) << bad;

    TempDir tmp;
    std::string images = tmp.path() + "/images";
    add_version(images, "g", 1);
    add_version(images, "g", 2);
    Store s(images);
    auto none = s.tags("g");
    ASSERT_TRUE(none) << none.error().message();
    EXPECT_TRUE(none->empty());
    ASSERT_TRUE(s.tag("g", 1, "old"));
    ASSERT_TRUE(s.tag("g", 0, "new")); // 0 = the newest
    auto t = s.tags("g");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->at("old"), 1u);
    EXPECT_EQ(t->at("new"), 2u);
    ASSERT_TRUE(s.tag("g", 2, "old")); // moves
    EXPECT_EQ(s.tags("g")->at("old"), 2u);
    auto missing = s.tag("g", 3, "x");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, kCodeNotFound);
    EXPECT_FALSE(s.tag("nope", 1, "x"));
    ASSERT_TRUE(s.untag("g", "new"));
    auto again = s.untag("g", "new");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, kCodeNotFound);
}

TEST(Store_Remove, VersionNumbersAreNeverReused) {
    TempDir tmp;
    std::string images = tmp.path() + "/images";
    add_version(images, "g", 1);
    add_version(images, "g", 2);
    Store s(images);
    ASSERT_TRUE(s.tag("g", 2, "t"));
    ASSERT_TRUE(s.remove_version("g", 2));
    EXPECT_FALSE(fs::exists(images + "/g/2"));
    EXPECT_TRUE(s.tags("g")->empty());
    EXPECT_EQ(s.resolve("g", 0)->manifest.version, 1u);
    // The next build would be 3: .last remembers 2.
    EXPECT_EQ(fs::read_file(images + "/g/.last").value(), "2\n");
    auto gone = s.remove_version("g", 2);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, kCodeNotFound);
    ASSERT_TRUE(s.remove_image("g"));
    EXPECT_FALSE(fs::exists(images + "/g"));
    EXPECT_FALSE(s.remove_image("g"));
    auto names = s.names();
    ASSERT_TRUE(names);
    EXPECT_TRUE(names->empty());
}

TEST(Store_Create, FailedFillLeavesNothingAndExplicitVersionIsExact) {
    TempDir tmp;
    std::string images = tmp.path() + "/images";
    Store s(images);
    auto bad = s.create("g", NewVersion{"test", 0, 0, ""},
                        [](int, const std::string&, unsigned) -> Result<void> {
                            return make_error("EIO", "the source broke");
                        });
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message().find("the source broke"), std::string::npos);
    EXPECT_FALSE(s.versions("g"));
    auto d = fs::open_dir(images + "/g");
    ASSERT_TRUE(d);
    auto left = fs::list_dir(d->get(), images + "/g");
    ASSERT_TRUE(left);
    for (const auto& n : *left)
        EXPECT_EQ(n, ".lock");

    auto fill = [](int rootfd, const std::string& rootfs, unsigned) -> Result<void> {
        (void)rootfd;
        return fs::write_file_atomic(rootfs + "/hello", "hi\n", 0644);
    };
    auto v7 = s.create("g", NewVersion{"import", 3, 7, ""}, fill);
    ASSERT_TRUE(v7) << v7.error().message();
    EXPECT_EQ(v7->manifest.version, 7u);
    EXPECT_EQ(v7->manifest.parent, 3u);
    EXPECT_EQ(v7->manifest.size, 3u);
    auto dup = s.create("g", NewVersion{"import", 0, 7, ""}, fill);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, "EEXIST");
    auto next = s.create("g", NewVersion{"x", 0, 0, ""}, fill);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->manifest.version, 8u);
    EXPECT_EQ(next->manifest.digest, v7->manifest.digest);
    // A digest that does not match is refused, nothing committed.
    auto wrong = s.create("g", NewVersion{"import", 0, 0, "sha256:00"}, fill);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message().find("digest"), std::string::npos);
    EXPECT_EQ(s.resolve("g", 0)->manifest.version, 8u);
}

// ---- which zones use which version (runtime/image_usage.hpp) ----------------------

TEST(Store_Usage, DerivedFromStateAndConfiguration) {
    auto newest = [](const config::ImageRef& r) { return r.version ? r.version : 9u; };
    // Running on what it booted, whatever is newest now.
    auto run = image_use(ZoneState::Running, "base", false, 3, newest);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->image, "base");
    EXPECT_EQ(run->version, 3u);
    EXPECT_TRUE(run->floating);
    EXPECT_TRUE(run->installed);
    // Installed and halted: the version of its next boot.
    EXPECT_EQ(image_use(ZoneState::Installed, "base", false, 3, newest)->version, 9u);
    EXPECT_EQ(image_use(ZoneState::Installed, "base@2", false, 3, newest)->version, 2u);
    EXPECT_FALSE(image_use(ZoneState::Installed, "base@2", false, 3, newest)->floating);
    // Configured, incomplete and copy zones use no version.
    for (auto s : {ZoneState::Configured, ZoneState::Incomplete}) {
        auto u = image_use(s, "base", false, 0, newest);
        ASSERT_TRUE(u);
        EXPECT_EQ(u->version, 0u);
        EXPECT_FALSE(u->installed);
    }
    EXPECT_EQ(image_use(ZoneState::Running, "base", true, 3, newest)->version, 0u);
    EXPECT_EQ(image_use(ZoneState::Installed, "base", true, 3, newest)->version, 0u);
    // A version that no longer resolves: none.
    EXPECT_EQ(image_use(ZoneState::Installed, "gone", false, 0,
                        [](const config::ImageRef&) { return 0u; })
                  ->version,
              0u);
    EXPECT_FALSE(image_use(ZoneState::Running, "", false, 3, newest));
    EXPECT_FALSE(image_use(ZoneState::Running, "bad name!", false, 3, newest));
}
