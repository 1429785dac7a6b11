// The atomic store on a temp directory (no root needed).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/common/fs.hpp"
#include "runtime/store.hpp"

namespace zone {
namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/zone-unit.XXXXXX";
        path = ::mkdtemp(t);
    }
    ~TempDir() { (void)fs::remove_tree(path); }
};

TEST(Store_AtomicWrite, ReplacesWholeFileAndLeavesNoTemp) {
    TempDir d;
    std::string f = d.path + "/config.json";
    ASSERT_TRUE(fs::write_file_atomic(f, "old\n"));
    ASSERT_TRUE(fs::write_file_atomic(f, "new\n"));
    EXPECT_EQ(*fs::read_file(f), "new\n");
    int entries = 0;
    for (const auto& e : std::vector<std::string>{"config.json"}) entries += fs::exists(d.path + "/" + e);
    EXPECT_EQ(entries, 1);
    auto leftovers = ::access((d.path + "/config.json.tmp").c_str(), F_OK);
    EXPECT_NE(leftovers, 0);
}

TEST(Store_AtomicWrite, FailsCleanlyInAMissingDirectory) {
    TempDir d;
    auto r = fs::write_file_atomic(d.path + "/missing/x", "data");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().err, ENOENT);
}

TEST(Store_Status, RoundTripAndDefaults) {
    TempDir d;
    Paths p;
    p.root = d.path;
    Store s(p);
    ASSERT_TRUE(s.init());
    ASSERT_TRUE(fs::mkdir_p(p.zone_dir("web")));
    auto missing = s.load_status("web");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->state, ZoneState::Configured);
    ZoneStatus st;
    st.state = ZoneState::Running;
    st.zone_id = 3;
    st.monitor_pid = 42;
    st.monitor_start = 123456789ULL;
    st.last_exit_text = "exited 0";
    ASSERT_TRUE(s.save_status("web", st));
    auto back = s.load_status("web");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->state, ZoneState::Running);
    EXPECT_EQ(back->zone_id, 3);
    EXPECT_EQ(back->monitor_start, 123456789ULL);
    EXPECT_EQ(back->last_exit_text, "exited 0");
}

TEST(Store_Status, TornRecordFallsBackToWhatIsOnDisk) {
    TempDir d;
    Paths p;
    p.root = d.path;
    Store s(p);
    ASSERT_TRUE(s.init());
    ASSERT_TRUE(fs::mkdir_p(p.zone_dir("web")));
    ASSERT_TRUE(fs::write_file_atomic(p.status_path("web"), "{not json"));
    auto st = s.load_status("web");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state, ZoneState::Configured);  // no root dir: never installed
    EXPECT_NE(st->last_exit_text.find("unreadable"), std::string::npos);
    ASSERT_TRUE(fs::mkdir_p(p.zone_dir("web") + "/root"));
    ASSERT_TRUE(fs::write_file_atomic(p.status_path("web"), R"({"state":"flying"})"));
    st = s.load_status("web");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state, ZoneState::Installed);
}

TEST(Store_Zones, DirectoryWithoutConfigIsIgnored) {
    TempDir d;
    Paths p;
    p.root = d.path;
    Store s(p);
    ASSERT_TRUE(s.init());
    ASSERT_TRUE(fs::mkdir_p(p.zone_dir("half")));  // a commit cut off before its rename
    auto names = s.list_zones();
    ASSERT_TRUE(names);
    EXPECT_TRUE(names->empty());
}

TEST(Fs_RemoveTree, NeverFollowsSymlinks) {
    TempDir outside, d;
    ASSERT_TRUE(fs::write_file_atomic(outside.path + "/keep", "x"));
    ASSERT_TRUE(fs::mkdir_p(d.path + "/a/b"));
    ASSERT_EQ(::symlink(outside.path.c_str(), (d.path + "/a/link").c_str()), 0);
    ASSERT_TRUE(fs::remove_tree(d.path + "/a"));
    EXPECT_FALSE(fs::exists(d.path + "/a"));
    EXPECT_TRUE(fs::exists(outside.path + "/keep"));
}

TEST(Fs_CopyTree, KeepsModesSymlinksAndContents) {
    TempDir d;
    ASSERT_TRUE(fs::mkdir_p(d.path + "/src/dir"));
    ASSERT_TRUE(fs::write_file_atomic(d.path + "/src/dir/file", "content", 0640));
    ASSERT_EQ(::symlink("dir/file", (d.path + "/src/link").c_str()), 0);
    ASSERT_EQ(::chmod((d.path + "/src/dir").c_str(), 0710), 0);
    ASSERT_TRUE(fs::copy_tree(d.path + "/src", d.path + "/dst"));
    EXPECT_EQ(*fs::read_file(d.path + "/dst/dir/file"), "content");
    struct stat st{};
    ASSERT_EQ(::lstat((d.path + "/dst/link").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    ASSERT_EQ(::stat((d.path + "/dst/dir").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0710U);
    ASSERT_EQ(::stat((d.path + "/dst/dir/file").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640U);
}

} // namespace
} // namespace zone
