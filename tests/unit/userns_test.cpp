// User namespaces, the pure parts: id maps, the range allocator (on a temp
// dir), the pool settings, id shifting, and the child's plan for a
// user-namespaced zone.
#include <algorithm>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "runtime/boot_spec.hpp"
#include "runtime/child_plan.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/daemon_config.hpp"
#include "runtime/id_ranges.hpp"
#include "runtime/id_shift.hpp"
#include "runtime/userns.hpp"

namespace zone::userns {
namespace {

using ::testing::HasSubstr;

class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/zone-userns-test.XXXXXX";
        path_ = ::mkdtemp(tmpl) ? tmpl : "";
    }
    ~TempDir() {
        if (!path_.empty()) (void)fs::remove_tree(path_);
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// ---- id maps --------------------------------------------------------------------

TEST(IdMap_Render, OneLineFromZeroOntoTheRange) {
    EXPECT_EQ(render_id_map(1048576, 65536), "0 1048576 65536\n");
    EXPECT_EQ(render_id_map(4294901760u, 65535), "0 4294901760 65535\n");
}

TEST(IdMap_Parse, KernelFormatRoundTrips) {
    // /proc/PID/uid_map pads the columns with spaces.
    auto m = parse_id_map("         0    1048576      65536\n");
    ASSERT_TRUE(m) << m.error().message();
    ASSERT_EQ(m->size(), 1u);
    EXPECT_EQ((*m)[0], (IdMapLine{0, 1048576, 65536}));
    auto r = parse_id_map(render_id_map(2000000, 1000));
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0], (IdMapLine{0, 2000000, 1000}));
    auto two = parse_id_map("0 100000 1000\n1000 1000 1\n\n");
    ASSERT_TRUE(two);
    EXPECT_EQ(two->size(), 2u);
    // The host's own map: everything onto itself.
    auto host = parse_id_map("0 0 4294967295\n");
    ASSERT_TRUE(host);
    EXPECT_EQ(to_host(*host, 1234), 1234u);
}

TEST(IdMap_Parse, BadLinesAreNamed) {
    for (const char* bad : {"0 1\n", "0 1 2 3\n", "a b c\n", "0 1048576 0\n", "0 -1 5\n"}) {
        auto m = parse_id_map(bad);
        ASSERT_FALSE(m) << bad;
        EXPECT_THAT(m.error().message(), HasSubstr("id map line 1")) << bad;
    }
    auto second = parse_id_map("0 1 1\nbroken\n");
    ASSERT_FALSE(second);
    EXPECT_THAT(second.error().message(), HasSubstr("line 2 'broken'"));
}

TEST(IdMap_ToHost, InsideTheRangeOnlyZeroIsTheBase) {
    std::vector<IdMapLine> m{{0, 1048576, 65536}};
    EXPECT_EQ(to_host(m, 0), 1048576u);
    EXPECT_EQ(to_host(m, 65535), 1048576u + 65535);
    EXPECT_EQ(to_host(m, 65536), std::nullopt);
    std::vector<IdMapLine> two{{0, 100000, 1000}, {1000, 1000, 1}};
    EXPECT_EQ(to_host(two, 1000), 1000u);
    EXPECT_EQ(to_host(two, 999), 100999u);
    EXPECT_EQ(to_host(two, 1001), std::nullopt);
}

// ---- the pool and its ranges ------------------------------------------------------

TEST(IdPool_Check, DefaultsAreGoodAndBadPoolsNamed) {
    IdPool d;
    EXPECT_EQ(d.base, 1u << 20);
    EXPECT_EQ(d.size, 65536u);
    EXPECT_EQ(pool_problem(d), "");
    EXPECT_THAT(pool_problem({1000, 65536, 1}), HasSubstr("below 65536"));
    EXPECT_THAT(pool_problem({1u << 20, 10, 1}), HasSubstr("userns-size 10 is below 1024"));
    EXPECT_THAT(pool_problem({1u << 20, 65536, 0}), HasSubstr("at least 1"));
    EXPECT_THAT(pool_problem({4000000000u, 65536, 10000}), HasSubstr("beyond the last id"));
    EXPECT_EQ(pool_problem({4294967294u - 65536, 65536, 1}), "");
}

TEST(IdRanges_Acquire, LowestFreeRangeKeptPerZone) {
    TempDir tmp;
    IdRanges r(tmp.path() + "/userns/ranges.json", IdPool{1u << 20, 65536, 8});
    ASSERT_TRUE(r.load());
    auto a = r.acquire("a");
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(*a, (IdRange{"a", 1u << 20, 65536}));
    auto b = r.acquire("b");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->base, (1u << 20) + 65536);
    // The same zone keeps its range.
    EXPECT_EQ(r.acquire("a").value(), *a);
    EXPECT_EQ(r.find("b"), *b);
    EXPECT_EQ(r.find("c"), std::nullopt);
    EXPECT_EQ(r.all().size(), 2u);
}

TEST(IdRanges_Acquire, NeverOverlappingAndReleasedRangesAreReused) {
    TempDir tmp;
    IdRanges r(tmp.path() + "/ranges.json", IdPool{1u << 20, 65536, 4});
    ASSERT_TRUE(r.load());
    std::vector<IdRange> got;
    for (const char* z : {"a", "b", "c", "d"})
        got.push_back(r.acquire(z).value());
    for (size_t i = 0; i < got.size(); ++i)
        for (size_t j = i + 1; j < got.size(); ++j)
            EXPECT_TRUE(got[i].base + got[i].size <= got[j].base ||
                        got[j].base + got[j].size <= got[i].base);
    auto full = r.acquire("e");
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, "EBUSY");
    EXPECT_THAT(full.error().message(), HasSubstr("exhausted: no free range for zone 'e'"));
    ASSERT_TRUE(r.release("b"));
    ASSERT_TRUE(r.release("b")); // releasing nothing is fine
    EXPECT_EQ(r.acquire("e").value().base, got[1].base);
}

TEST(IdRanges_Persist, SurvivesAReload) {
    TempDir tmp;
    std::string path = tmp.path() + "/userns/ranges.json";
    IdPool pool{2000000, 10000, 100};
    {
        IdRanges r(path, pool);
        ASSERT_TRUE(r.load());
        ASSERT_TRUE(r.acquire("x"));
        ASSERT_TRUE(r.acquire("y"));
        ASSERT_TRUE(r.release("x"));
        ASSERT_TRUE(r.acquire("z")); // x's range again
    }
    IdRanges again(path, pool);
    ASSERT_TRUE(again.load());
    EXPECT_EQ(again.find("y"), (IdRange{"y", 2010000, 10000}));
    EXPECT_EQ(again.find("z"), (IdRange{"z", 2000000, 10000}));
    EXPECT_EQ(again.find("x"), std::nullopt);
    // A new zone never gets a range recorded for another.
    EXPECT_EQ(again.acquire("w").value().base, 2020000u);
}

TEST(IdRanges_Persist, ChangedPoolMovesOnlyZonesThatNoLongerFit) {
    TempDir tmp;
    std::string path = tmp.path() + "/ranges.json";
    {
        IdRanges r(path, IdPool{1u << 20, 65536, 8});
        ASSERT_TRUE(r.load());
        ASSERT_TRUE(r.acquire("a"));
    }
    // Same slots, a bigger pool: kept.
    IdRanges bigger(path, IdPool{1u << 20, 65536, 64});
    ASSERT_TRUE(bigger.load());
    EXPECT_EQ(bigger.acquire("a").value().base, 1u << 20);
    // Another size: a new range, clear of every recorded one.
    IdRanges other(path, IdPool{1u << 20, 100000, 8});
    ASSERT_TRUE(other.load());
    ASSERT_TRUE(other.acquire("b")); // the first slot of the new shape overlaps a's old range
    auto b = other.find("b").value();
    EXPECT_GE(b.base, (1u << 20) + 65536);
    auto a = other.acquire("a").value();
    EXPECT_EQ(a.size, 100000u);
    EXPECT_TRUE(a.base + a.size <= b.base || b.base + b.size <= a.base);
}

TEST(IdRanges_Load, BrokenFilesAreRefused) {
    TempDir tmp;
    std::string path = tmp.path() + "/ranges.json";
    for (const char* text : {"not json", "{\"ranges\":{}}", "{\"ranges\":[{\"zone\":\"a\"}]}",
                             "{\"ranges\":[{\"zone\":\"a\",\"base\":4294967295,\"size\":2}]}"}) {
        ASSERT_TRUE(fs::write_file_atomic(path, text, 0600));
        IdRanges r(path, IdPool{});
        EXPECT_FALSE(r.load()) << text;
    }
}

TEST(DaemonConfig_Userns, KeysParsedAndChecked) {
    auto c = parse_daemon_config("userns-base = 2000000\nuserns-size = 100000\nuserns-count = 10\n",
                                 "f");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->userns, (IdPool{2000000, 100000, 10}));
    EXPECT_EQ(parse_daemon_config("", "f").value().userns, IdPool{});
    auto bad = parse_daemon_config("userns-base = lots\n", "f");
    ASSERT_FALSE(bad);
    EXPECT_THAT(bad.error().message(), HasSubstr("f:1: userns-base 'lots' is not a number"));
    auto low = parse_daemon_config("userns-base = 1000\n", "zoned.conf");
    ASSERT_FALSE(low);
    EXPECT_THAT(low.error().message(), HasSubstr("zoned.conf: userns-base 1000 is below 65536"));
}

// ---- shifting ---------------------------------------------------------------------

TEST(IdShift_Id, OnlyIdsOfTheSourceRangeMove) {
    EXPECT_EQ(shift_id(0, 0, 1048576, 65536), 1048576u);
    EXPECT_EQ(shift_id(1000, 0, 1048576, 65536), 1049576u);
    EXPECT_EQ(shift_id(65536, 0, 1048576, 65536), 65536u);
    EXPECT_EQ(shift_id(1048576 + 5, 1048576, 0, 65536), 5u);
    EXPECT_EQ(shift_id(1048576 + 5, 1048576, 2000000, 65536), 2000005u);
    // Shifting twice is shifting once: a cut-off shift is finished by a rerun.
    uint32_t once = shift_id(7, 0, 1048576, 65536);
    EXPECT_EQ(shift_id(once, 0, 1048576, 65536), once);
}

// ---- the child's plan ---------------------------------------------------------------

BootSpec userns_spec() {
    BootSpec s;
    s.name = "u";
    s.hostname = "u";
    s.lower = "/img/base/1/rootfs";
    s.upper = "/z/u/upper";
    s.work = "/z/u/work";
    s.mountpoint = "/z/u/root";
    s.uid_base = 1048576;
    s.uid_count = 65536;
    FsSpec tmp;
    tmp.dir = "/scratch";
    tmp.special = "scratch";
    tmp.type = "tmpfs";
    s.fs.push_back(tmp);
    FsSpec ro;
    ro.dir = "/data/shared";
    ro.special = "/srv/data";
    ro.type = "lofs";
    ro.readonly = true;
    s.fs.push_back(ro);
    FsSpec rw = ro;
    rw.dir = "/more";
    rw.special = "/srv/more";
    rw.readonly = false;
    s.fs.push_back(rw);
    return s;
}

size_t index_of(const ChildPlan& p, OpKind k) {
    for (size_t i = 0; i < p.ops.size(); ++i)
        if (p.ops[i].kind == k) return i;
    return p.ops.size();
}

TEST(ChildPlan_Userns, RootInTheNamespaceBeforeAnyMount) {
    ChildPlan p = plan_child(userns_spec(), "/dev/pts/3");
    ASSERT_GE(p.ops.size(), 4u);
    EXPECT_EQ(p.ops[0].kind, OpKind::OpenMountpoint);
    EXPECT_STREQ(p.ops[0].path, "/z/u/root");
    // The lofs stage too, while the host's uid 0 still walks the state dirs.
    EXPECT_EQ(p.ops[1].kind, OpKind::OpenStage);
    EXPECT_STREQ(p.ops[1].path, "/z/u/root.lofs");
    EXPECT_EQ(p.ops[2].kind, OpKind::BecomeRoot);
    EXPECT_THAT(p.ops[2].what, HasSubstr("host uid 1048576"));
    EXPECT_EQ(p.ops[3].kind, OpKind::MakePrivate);
    EXPECT_EQ(p.ops[4].kind, OpKind::AttachRoot);
    EXPECT_EQ(p.ops[4].slot, 0);
    // No mknod in a user namespace; no MountRoot with host paths.
    EXPECT_EQ(index_of(p, OpKind::Mknod), p.ops.size());
    EXPECT_EQ(index_of(p, OpKind::MountRoot), p.ops.size());
    std::vector<std::string> bound;
    for (const auto& op : p.ops)
        if (op.kind == OpKind::BindFile) bound.push_back(op.src);
    EXPECT_THAT(bound, ::testing::UnorderedElementsAre("/dev/null", "/dev/zero", "/dev/full",
                                                       "/dev/random", "/dev/urandom", "/dev/tty",
                                                       "/dev/pts/3"));
    EXPECT_LT(index_of(p, OpKind::AttachRoot), index_of(p, OpKind::PivotRoot));
}

TEST(ChildPlan_Userns, LofsTreesComeFromTheParentInHandoffOrder) {
    BootSpec s = userns_spec();
    ChildPlan p = plan_child(s, "");
    auto handoff = plan_handoff(s);
    ASSERT_TRUE(handoff);
    ASSERT_EQ(handoff->size(), 3u);
    EXPECT_EQ((*handoff)[0].kind, Handoff::Kind::OverlayRoot);
    EXPECT_EQ((*handoff)[1].path, "/srv/data");
    EXPECT_EQ((*handoff)[2].path, "/srv/more");
    std::vector<std::pair<int, std::string>> attached;
    for (size_t i = 0; i < p.ops.size(); ++i) {
        const Op& op = p.ops[i];
        if (op.kind != OpKind::AttachIn) continue;
        std::string dir;
        for (const char* c : op.components)
            dir += std::string("/") + c;
        attached.emplace_back(op.slot, dir);
        // Cloned from the locked copy of the stage, named by spec.fs index.
        ASSERT_NE(op.path, nullptr);
        EXPECT_STREQ(op.path, dir == "/data/shared" ? "1" : "2");
        if (dir == "/data/shared") {
            ASSERT_LT(i + 1, p.ops.size());
            EXPECT_EQ(p.ops[i + 1].kind, OpKind::RemountIn);
            EXPECT_TRUE(p.ops[i + 1].flags & MS_RDONLY);
        }
    }
    EXPECT_EQ(attached,
              (std::vector<std::pair<int, std::string>>{{1, "/data/shared"}, {2, "/more"}}));
    // tmpfs is mounted by the child itself.
    bool tmpfs = std::any_of(p.ops.begin(), p.ops.end(), [](const Op& op) {
        return op.kind == OpKind::MountIn && op.fstype && std::string(op.fstype) == "tmpfs" &&
               op.components.size() == 1 && std::string(op.components[0]) == "scratch";
    });
    EXPECT_TRUE(tmpfs);
}

TEST(ChildPlan_Userns, SharedNetworkGetsTheHostSysReadOnly) {
    BootSpec s = userns_spec();
    auto sysfs_ops = [](const ChildPlan& p) {
        std::vector<std::string> out;
        for (const auto& op : p.ops)
            if (op.components.size() == 1 && std::string(op.components[0]) == "sys")
                out.push_back(op.what);
        return out;
    };
    EXPECT_THAT(sysfs_ops(plan_child(s, "")),
                ::testing::ElementsAre("mount sysfs (read-only) on /sys"));
    s.own_netns = false;
    EXPECT_THAT(sysfs_ops(plan_child(s, "")),
                ::testing::ElementsAre("bind /sys on /sys", "remount /sys read-only"));
}

TEST(ChildPlan_Userns, CopyRootIsHandedOverToo) {
    BootSpec s = userns_spec();
    s.root_type = "copy";
    s.copy_root = "/z/u/rootfs";
    auto h = plan_handoff(s);
    ASSERT_TRUE(h);
    EXPECT_EQ((*h)[0].kind, Handoff::Kind::CopyRoot);
    EXPECT_EQ((*h)[0].path, "/z/u/rootfs");
    ChildPlan p = plan_child(s, "");
    EXPECT_THAT(p.ops[index_of(p, OpKind::AttachRoot)].what,
                HasSubstr("attach the copy /z/u/rootfs"));
}

TEST(ChildPlan_Userns, TooManyLofsTreesAreRefused) {
    BootSpec s = userns_spec();
    for (int i = 0; i < kMaxHandoff; ++i) {
        FsSpec f;
        f.dir = "/d" + std::to_string(i);
        f.special = "/srv/" + std::to_string(i);
        f.type = "lofs";
        s.fs.push_back(f);
    }
    auto h = plan_handoff(s);
    ASSERT_FALSE(h);
    EXPECT_THAT(h.error().message(), HasSubstr("at most 31 lofs"));
}

TEST(BootSpec_Userns, RangeAndNnpTravel) {
    BootSpec s = userns_spec();
    s.no_new_privs = false;
    auto back = boot_spec_from_json(to_json(s));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->uid_base, 1048576u);
    EXPECT_EQ(back->uid_count, 65536u);
    EXPECT_TRUE(back->userns());
    EXPECT_FALSE(back->no_new_privs);
    BootSpec plain;
    EXPECT_FALSE(plain.userns());
    EXPECT_TRUE(plain.no_new_privs);
}

} // namespace
} // namespace zone::userns
