// Pure parts of the QA cycle: the state table's new commands, the
// configuration of a clone, archive entry names, templates (on a temp dir),
// and copying trees with user xattrs and swapping directories (no root).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "runtime/common/fs.hpp"
#include "runtime/state.hpp"
#include "runtime/templates.hpp"
#include "runtime/zone_archive.hpp"
#include "runtime/zone_qa.hpp"

namespace zone {
namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/zone-unit-qa.XXXXXX";
        path = ::mkdtemp(t);
    }
    ~TempDir() { (void)fs::remove_tree(path); }
};

config::PropValue scalar(const std::string& s) { return config::PropValue{false, s, {}}; }

TEST(QA_StateTable, FilesCommands) {
    using C = ZoneCommand;
    using S = ZoneState;
    EXPECT_EQ(check_transition(S::Installed, C::Reset), Verdict::Run);
    EXPECT_EQ(check_transition(S::Running, C::Reset), Verdict::Refuse);
    EXPECT_EQ(check_transition(S::Configured, C::Reset), Verdict::Refuse);
    EXPECT_EQ(check_transition(S::Running, C::CloneFrom), Verdict::Run);  // frozen meanwhile
    EXPECT_EQ(check_transition(S::Incomplete, C::CloneFrom), Verdict::Refuse);
    EXPECT_EQ(check_transition(S::Running, C::Snapshot), Verdict::Run);
    EXPECT_EQ(check_transition(S::Running, C::Rollback), Verdict::Refuse);
    EXPECT_EQ(check_transition(S::Installed, C::Rollback), Verdict::Run);
    EXPECT_EQ(check_transition(S::Running, C::Detach), Verdict::Refuse);
    EXPECT_EQ(check_transition(S::Installed, C::Detach), Verdict::Run);
    EXPECT_EQ(check_transition(S::Configured, C::Attach), Verdict::Run);
    EXPECT_EQ(check_transition(S::Installed, C::Attach), Verdict::AlreadyDone);
    // The first table is unchanged by the second.
    EXPECT_EQ(check_transition(S::Running, C::Login), Verdict::Run);
    EXPECT_EQ(refusal_reason(S::Running, C::Reset), "cannot reset a zone in state 'running'; halt it first");
    EXPECT_EQ(to_string(C::Attach), "attach");
}

TEST(QA_CloneConfig, NewNameNoUuidAutoAddressNoForwards) {
    config::ZoneConfig src;
    src.name = "web";
    src.uuid = "1234";
    src.props["hostname"] = scalar("web");
    src.props["image"] = scalar("base@2");
    config::Resource net{"net", {{"address", scalar("10.0.0.5/24")}}};
    net.props["forward"] = config::PropValue{true, "", {"8080:80/tcp"}};
    src.resources.push_back(net);
    src.resources.push_back(config::Resource{"net", {{"address", scalar("auto")}}});
    std::vector<std::string> notes;
    auto cfg = qa::clone_config(src, "web2", notes);
    EXPECT_EQ(cfg.name, "web2");
    EXPECT_EQ(cfg.uuid, "");
    EXPECT_EQ(cfg.get("hostname"), nullptr);  // follows the zone's name
    EXPECT_EQ(cfg.get_or("image", ""), "base@2");
    ASSERT_EQ(cfg.resources.size(), 2u);
    EXPECT_EQ(cfg.resources[0].get_or("address", ""), "auto");
    EXPECT_EQ(cfg.resources[0].get("forward"), nullptr);
    EXPECT_EQ(cfg.resources[1].get_or("address", ""), "auto");
    EXPECT_EQ(notes.size(), 3u);
}

TEST(QA_CloneConfig, ChosenHostNameIsKept) {
    config::ZoneConfig src;
    src.name = "web";
    src.props["hostname"] = scalar("www");
    std::vector<std::string> notes;
    EXPECT_EQ(qa::clone_config(src, "web2", notes).get_or("hostname", ""), "www");
    EXPECT_TRUE(notes.empty());
}

TEST(QA_Archive, EntryNamesBelowThePrefixOnly) {
    std::string rel;
    EXPECT_TRUE(archive::entry_below("upper", "upper", rel));
    EXPECT_EQ(rel, "");
    EXPECT_TRUE(archive::entry_below("upper/", "upper", rel));
    EXPECT_TRUE(archive::entry_below("upper/etc/passwd", "upper", rel));
    EXPECT_EQ(rel, "etc/passwd");
    EXPECT_TRUE(archive::entry_below("upper/etc/", "upper", rel));
    EXPECT_EQ(rel, "etc");
    for (const char* bad : {"/upper/etc", "upper/../etc", "upper/./x", "upper//x", "uppers/x", "rootfs/x",
                            "upper/a/..", "..", "zone.json", ""})
        EXPECT_FALSE(archive::entry_below(bad, "upper", rel)) << bad;
}

TEST(QA_Templates, FromZoneDropsIdentity) {
    config::ZoneConfig z;
    z.name = "gold";
    z.uuid = "abcd";
    z.props["hostname"] = scalar("gold");
    z.props["max-processes"] = scalar("100");
    auto t = templates::from_zone(z);
    EXPECT_EQ(t.name, "");
    EXPECT_EQ(t.uuid, "");
    EXPECT_EQ(t.get("hostname"), nullptr);
    EXPECT_EQ(t.get_or("max-processes", ""), "100");
}

TEST(QA_Templates, StoreSaveLoadListRemove) {
    TempDir d;
    templates::TemplateStore s(d.path + "/templates");
    templates::Template t{"qa", "2026-01-01T00:00:00Z", "config", {}};
    t.config.props["max-processes"] = scalar("50");
    ASSERT_TRUE(s.save(t, false));
    auto again = s.save(t, false);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, "EXISTS");
    EXPECT_TRUE(s.save(t, true));
    auto back = s.load("qa");
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->config.get_or("max-processes", ""), "50");
    EXPECT_TRUE(s.load("default"));  // built-ins come through the same door
    auto missing = s.load("nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, "NOT_FOUND");
    EXPECT_NE(missing.error().message().find("qa"), std::string::npos);  // names the known ones
    EXPECT_FALSE(s.save(templates::Template{"default", "", "", {}}, true));
    EXPECT_FALSE(s.save(templates::Template{"../x", "", "", {}}, true));
    auto all = s.list();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].name, "qa");
    EXPECT_TRUE(s.remove("qa"));
    EXPECT_EQ(s.remove("qa").error().code, "NOT_FOUND");
}

TEST(QA_Fs, CopyKeepsXattrsAndExchangeSwaps) {
    TempDir d;
    std::string a = d.path + "/a", b = d.path + "/b";
    ASSERT_TRUE(fs::mkdir_p(a + "/sub"));
    ASSERT_TRUE(fs::write_file_atomic(a + "/sub/f", "data"));
    if (::setxattr((a + "/sub/f").c_str(), "user.mark", "yes", 3, 0) < 0)
        GTEST_SKIP() << "no user xattrs on /tmp here";
    ASSERT_TRUE(fs::copy_tree(a, b));
    char v[8] = {};
    EXPECT_EQ(::getxattr((b + "/sub/f").c_str(), "user.mark", v, sizeof v), 3);
    EXPECT_STREQ(v, "yes");
    EXPECT_EQ(*fs::tree_size(b), 4u);
    ASSERT_TRUE(fs::write_file_atomic(b + "/only-b", "x"));
    ASSERT_TRUE(fs::exchange(a, b));
    EXPECT_TRUE(fs::exists(a + "/only-b"));
    EXPECT_FALSE(fs::exists(b + "/only-b"));
}

} // namespace
} // namespace zone
