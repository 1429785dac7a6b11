// auth::decide on plain values: who may do what on which zone.
#include <gtest/gtest.h>

#include "runtime/auth.hpp"
#include "runtime/daemon_config.hpp"

namespace zone::auth {
namespace {

using config::PropValue;
using config::Resource;
using config::ZoneConfig;

PropValue scalar(std::string s) {
    return PropValue{false, std::move(s), {}};
}
PropValue list(std::vector<std::string> l) {
    return PropValue{true, "", std::move(l)};
}

Resource admin(std::string user, std::vector<std::string> auths) {
    return Resource{"admin",
                    {{"user", scalar(std::move(user))}, {"auths", list(std::move(auths))}}};
}

ZoneConfig zone_with(std::vector<Resource> res, std::string owner = "") {
    ZoneConfig z;
    z.name = "web";
    if (!owner.empty()) z.props["owner"] = scalar(owner);
    z.resources = std::move(res);
    return z;
}

Caller user(std::string name, uid_t uid = 1000) {
    Caller c;
    c.uid = uid;
    c.user = std::move(name);
    return c;
}

Request req(Need n, std::string method = "zone.boot") {
    Request r;
    r.method = std::move(method);
    r.need = n;
    r.zone = "web";
    return r;
}

CreatorPolicy qa_policy() {
    CreatorPolicy p;
    p.group = "qa";
    p.templates = {"default", "qa"};
    p.max_memory = 2ULL << 30;
    p.max_ncpus_hundredths = 200;
    p.max_processes = 512;
    return p;
}

// A configuration within qa_policy's bounds.
ZoneConfig bounded() {
    ZoneConfig z;
    z.name = "web";
    z.props["image"] = scalar("base");
    z.resources.push_back(Resource{"capped-memory", {{"physical", scalar("1G")}}});
    z.resources.push_back(Resource{"capped-cpu", {{"ncpus", scalar("1.5")}}});
    z.props["max-processes"] = scalar("256");
    return z;
}

Decision::Verdict verdict(const Caller& c, const Request& r, const ZoneConfig* z,
                          const CreatorPolicy& p = {}) {
    return decide(c, r, z, p).verdict;
}

constexpr auto kAllow = Decision::Verdict::Allow;
constexpr auto kRefuse = Decision::Verdict::NotAuthorized;
constexpr auto kHidden = Decision::Verdict::NotFound;

TEST(Auth_Decide, AdminsMayDoEverything) {
    Caller root = user("root", 0);
    root.admin = true;
    ZoneConfig z = zone_with({});
    for (Need n : {Need::Admin, Need::See, Need::Login, Need::Manage, Need::Clone, Need::Own,
                   Need::Configure})
        EXPECT_EQ(verdict(root, req(n), &z), kAllow);
}

TEST(Auth_Decide, AnyoneMethodsAreOpenAdminMethodsAreNot) {
    Caller bob = user("bob");
    EXPECT_EQ(verdict(bob, req(Need::Anyone, "daemon.info"), nullptr), kAllow);
    auto d = decide(bob, req(Need::Admin, "image.build"), nullptr, {});
    EXPECT_EQ(d.verdict, kRefuse);
    EXPECT_EQ(d.why, "not authorized: image.build needs root or the zoned admin group");
}

TEST(Auth_Decide, OwnerHasEveryRightOnItsZone) {
    ZoneConfig z = zone_with({}, "alice");
    Caller alice = user("alice");
    for (Need n : {Need::See, Need::Login, Need::Manage, Need::Own})
        EXPECT_EQ(verdict(alice, req(n), &z), kAllow);
    EXPECT_TRUE(rights_on(alice, z).clone);
    // By numeric uid too.
    ZoneConfig byuid = zone_with({}, "1000");
    EXPECT_EQ(verdict(alice, req(Need::Manage), &byuid), kAllow);
    EXPECT_EQ(verdict(user("carol", 1001), req(Need::Manage), &byuid), kHidden);
}

TEST(Auth_Decide, AdminResourceGrantsExactlyItsAuths) {
    ZoneConfig z = zone_with({admin("bob", {"login"})});
    Caller bob = user("bob");
    EXPECT_EQ(verdict(bob, req(Need::See), &z), kAllow);
    EXPECT_EQ(verdict(bob, req(Need::Login), &z), kAllow);
    auto d = decide(bob, req(Need::Manage), &z, {});
    EXPECT_EQ(d.verdict, kRefuse);
    EXPECT_NE(d.why.find("lacks the 'manage' authorization on zone 'web'"), std::string::npos)
        << d.why;
    EXPECT_EQ(verdict(bob, req(Need::Clone), &z), kRefuse);
    EXPECT_EQ(verdict(bob, req(Need::Own, "zone.uninstall"), &z), kRefuse);
    ZoneConfig m = zone_with({admin("bob", {"manage", "clone"})});
    EXPECT_EQ(verdict(bob, req(Need::Manage), &m), kAllow);
    EXPECT_TRUE(rights_on(bob, m).clone);  // cloning also needs the right to create (Auth_Clone)
    EXPECT_EQ(verdict(bob, req(Need::Login), &m), kRefuse);
}

TEST(Auth_Decide, OthersAreToldTheZoneDoesNotExist) {
    ZoneConfig z = zone_with({admin("bob", {"login"})}, "alice");
    Caller eve = user("eve");
    for (Need n : {Need::See, Need::Login, Need::Manage, Need::Clone, Need::Own}) {
        auto hidden = decide(eve, req(n), &z, {});
        auto missing = decide(eve, req(n), nullptr, {});
        EXPECT_EQ(hidden.verdict, kHidden);
        // Word for word what a zone that does not exist gets: names do not leak.
        EXPECT_EQ(hidden.why, missing.why);
        EXPECT_EQ(hidden.why, "zone 'web' is not configured");
    }
    EXPECT_FALSE(can_see(eve, z));
    EXPECT_TRUE(can_see(user("bob"), z));
}

TEST(Auth_Decide, ACallerWithoutAUserNameMatchesNoAdminResource) {
    ZoneConfig z = zone_with({admin("bob", {"login"})});
    EXPECT_EQ(verdict(user("", 1000), req(Need::Login), &z), kHidden);
}

TEST(Auth_Configure, WithoutThePolicyOnlyAdminsConfigure) {
    auto d = decide(user("alice"), req(Need::Configure, "zone.config.commit"), nullptr, {});
    EXPECT_EQ(d.verdict, kRefuse);
    // The owner of a zone may not reconfigure it either (no policy).
    ZoneConfig z = zone_with({}, "alice");
    Request r = req(Need::Configure, "zone.config.commit");
    r.proposed = z;
    EXPECT_EQ(verdict(user("alice"), r, &z), kRefuse);
}

TEST(Auth_Configure, CreatorMayCreateFromAnAllowedTemplateWithinBounds) {
    Caller alice = user("alice");
    alice.creator = true;
    Request r = req(Need::Configure, "zone.config.commit");
    r.proposed = bounded();
    r.template_name = "qa";
    EXPECT_EQ(verdict(alice, r, nullptr, qa_policy()), kAllow);
    r.template_name = "blank";
    auto d = decide(alice, r, nullptr, qa_policy());
    EXPECT_EQ(d.verdict, kRefuse);
    EXPECT_NE(d.why.find("templates default, qa only"), std::string::npos) << d.why;
    r.template_name = "";
    EXPECT_EQ(verdict(alice, r, nullptr, qa_policy()), kRefuse);
    // Not in the group: refused.
    r.template_name = "qa";
    EXPECT_EQ(verdict(user("bob"), r, nullptr, qa_policy()), kRefuse);
    // Owned by someone else: refused.
    r.proposed->props["owner"] = scalar("bob");
    EXPECT_EQ(verdict(alice, r, nullptr, qa_policy()), kRefuse);
    r.proposed->props["owner"] = scalar("alice");
    EXPECT_EQ(verdict(alice, r, nullptr, qa_policy()), kAllow);
}

TEST(Auth_Configure, CreatorMayReconfigureOwnZonesOnly) {
    Caller alice = user("alice");
    alice.creator = true;
    Request r = req(Need::Configure, "zone.config.commit");
    r.proposed = bounded();
    ZoneConfig mine = bounded();
    mine.props["owner"] = scalar("alice");
    EXPECT_EQ(verdict(alice, r, &mine, qa_policy()), kAllow);
    ZoneConfig theirs = bounded();
    theirs.props["owner"] = scalar("bob");
    auto taken = decide(alice, r, &theirs, qa_policy());
    EXPECT_EQ(taken.verdict, kRefuse);
    EXPECT_EQ(taken.why, "not authorized: the zone name 'web' is not available");
    theirs.resources.push_back(admin("alice", {"login", "manage"}));
    EXPECT_EQ(verdict(alice, r, &theirs, qa_policy()), kRefuse);
}

TEST(Auth_Clone, NeedsTheCloneRightAndTheRightToCreate) {
    ZoneConfig src = bounded();
    src.resources.push_back(admin("bob", {"clone"}));
    src.resources.push_back(admin("dave", {"login"}));
    Caller bob = user("bob");
    Request r = req(Need::Clone, "zone.clone");
    // The clone right alone: a clone is a new zone.
    auto d = decide(bob, r, &src, qa_policy());
    EXPECT_EQ(d.verdict, kRefuse);
    EXPECT_NE(d.why.find("cloning creates a zone"), std::string::npos) << d.why;
    bob.creator = true;
    EXPECT_EQ(verdict(bob, r, &src, qa_policy()), kAllow);
    // Without the clone right, or without any right.
    Caller dave = user("dave");
    dave.creator = true;
    EXPECT_EQ(verdict(dave, r, &src, qa_policy()), kRefuse);
    Caller eve = user("eve");
    eve.creator = true;
    EXPECT_EQ(verdict(eve, r, &src, qa_policy()), kHidden);
    // A source beyond the bounds cannot be cloned by a creator: the clone
    // would copy its host path.
    src.resources.push_back(Resource{"fs", {{"dir", scalar("/data")},
                                            {"special", scalar("/srv")},
                                            {"type", scalar("lofs")}}});
    d = decide(bob, r, &src, qa_policy());
    EXPECT_EQ(d.verdict, kRefuse);
    EXPECT_NE(d.why.find("host paths"), std::string::npos) << d.why;
}

TEST(Auth_Bounds, AConfigurationWithinBoundsHasNoProblem) {
    EXPECT_TRUE(check_creator_bounds(bounded(), qa_policy()).empty());
    // A tmpfs has no host path: fine.
    ZoneConfig z = bounded();
    z.resources.push_back(Resource{"fs", {{"dir", scalar("/scratch")}, {"type", scalar("tmpfs")}}});
    z.props["limitpriv"] = scalar("default,-net_raw");
    EXPECT_TRUE(check_creator_bounds(z, qa_policy()).empty());
}

TEST(Auth_Bounds, EachOutOfBoundsSettingIsNamed) {
    struct Case {
        const char* what;
        std::function<void(ZoneConfig&)> edit;
        const char* problem;
    };
    std::vector<Case> cases = {
        {"lofs",
         [](ZoneConfig& z) {
             z.resources.push_back(Resource{"fs",
                                            {{"dir", scalar("/data")},
                                             {"special", scalar("/srv")},
                                             {"type", scalar("lofs")}}});
         },
         "fs dir=/data: host paths (lofs) are not allowed"},
        {"profile", [](ZoneConfig& z) { z.props["security-profile"] = scalar("system"); },
         "security-profile: 'system' (only hardened)"},
        {"limitpriv", [](ZoneConfig& z) { z.props["limitpriv"] = scalar("default,+sys_admin"); },
         "adds sys_admin to the default set"},
        {"all", [](ZoneConfig& z) { z.props["limitpriv"] = scalar("all"); }, "limitpriv: 'all'"},
        {"memory", [](ZoneConfig& z) { z.resources[0].props["physical"] = scalar("3G"); },
         "capped-memory physical must be set, at most 2147483648 bytes"},
        {"no memory", [](ZoneConfig& z) { z.resources.erase(z.resources.begin()); },
         "capped-memory physical must be set"},
        {"cpu", [](ZoneConfig& z) { z.resources[1].props["ncpus"] = scalar("2.5"); },
         "capped-cpu ncpus must be set, at most 2.00"},
        {"pids", [](ZoneConfig& z) { z.props["max-processes"] = scalar("100000"); },
         "max-processes must be set, at most 512"},
        {"dedicated",
         [](ZoneConfig& z) {
             z.resources.push_back(Resource{"dedicated-cpu", {{"ncpus", scalar("1")}}});
         },
         "dedicated-cpu"},
        {"bridge",
         [](ZoneConfig& z) {
             z.resources.push_back(
                 Resource{"net", {{"address", scalar("auto")}, {"bridge", scalar("br0")}}});
         },
         "a host bridge cannot be chosen"},
        {"low port",
         [](ZoneConfig& z) {
             z.resources.push_back(
                 Resource{"net", {{"address", scalar("auto")}, {"forward", list({"22:22/tcp"})}}});
         },
         "host ports below 1024 are reserved"},
    };
    for (const auto& c : cases) {
        ZoneConfig z = bounded();
        c.edit(z);
        auto problems = check_creator_bounds(z, qa_policy());
        ASSERT_EQ(problems.size(), 1u) << c.what;
        EXPECT_NE(problems[0].find(c.problem), std::string::npos) << c.what << ": " << problems[0];
    }
    // A forward to a high host port is fine.
    ZoneConfig ok = bounded();
    ok.resources.push_back(
        Resource{"net", {{"address", scalar("auto")}, {"forward", list({"8080:80/tcp"})}}});
    EXPECT_TRUE(check_creator_bounds(ok, qa_policy()).empty());
}

TEST(Auth_Bounds, RctlsCountLikeTheirProperties) {
    ZoneConfig z = bounded();
    z.props.erase("max-processes");
    z.resources.push_back(
        Resource{"rctl", {{"name", scalar("zone.max-processes")}, {"value", scalar("100")}}});
    EXPECT_TRUE(check_creator_bounds(z, qa_policy()).empty());
}

TEST(Auth_Bounds, NoBoundsNoCapsRequired) {
    CreatorPolicy p;
    p.group = "qa";
    ZoneConfig z;
    z.name = "web";
    EXPECT_TRUE(check_creator_bounds(z, p).empty());
}

TEST(DaemonConfig_Creator, KeysAreParsedAndChecked) {
    auto c = parse_daemon_config("create-group = qa\ncreate-templates = default, qa-small\n"
                                 "create-max-memory = 2G\ncreate-max-ncpus = 1.5\n"
                                 "create-max-processes = 256\n",
                                 "zoned.conf");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->creator.group, "qa");
    EXPECT_EQ(c->creator.templates, (std::vector<std::string>{"default", "qa-small"}));
    EXPECT_EQ(c->creator.max_memory, 2ULL << 30);
    EXPECT_EQ(c->creator.max_ncpus_hundredths, 150u);
    EXPECT_EQ(c->creator.max_processes, 256u);
    // Only the group: the default template alone, no caps required.
    auto d = parse_daemon_config("create-group = qa\n", "zoned.conf");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->creator.templates, (std::vector<std::string>{"default"}));
    EXPECT_FALSE(d->creator.max_memory);
    // Without it, no policy.
    auto e = parse_daemon_config("", "zoned.conf");
    ASSERT_TRUE(e);
    EXPECT_FALSE(e->creator.enabled());
    for (const char* bad :
         {"create-max-memory = lots\n", "create-max-ncpus = 0\n", "create-max-processes = -1\n",
          "create-templates = a,,b\n", "create-group = q a\n"}) {
        auto r = parse_daemon_config(bad, "zoned.conf");
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message().find("zoned.conf:1: create-"), std::string::npos)
            << r.error().message();
    }
}

} // namespace
} // namespace zone::auth
