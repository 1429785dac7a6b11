// The configuration model: validators, verify's cross checks, JSON, templates
// and the typed parsers the runtime uses.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "runtime/config/zone_config.hpp"

namespace zone::config {
namespace {

PropValue S(std::string s) {
    return PropValue{false, std::move(s), {}};
}
PropValue L(std::vector<std::string> l) {
    return PropValue{true, {}, std::move(l)};
}

Resource Res(std::string type, std::map<std::string, PropValue> props) {
    return Resource{std::move(type), std::move(props)};
}

std::string message_of(const Result<void>& r) {
    return r ? "" : r.error().message();
}

struct Case {
    std::string prop;
    std::string value;
    bool valid;
};

void expect_global(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        auto r = check_global_prop(c.prop, S(c.value));
        EXPECT_EQ(bool(r), c.valid) << c.prop << "=" << c.value << ": " << message_of(r);
        if (!r) {
            EXPECT_EQ(r.error().code, kInvalidConfig);
            EXPECT_EQ(r.error().message().rfind(c.prop + ": ", 0), 0U) << r.error().message();
        }
    }
}

void expect_resource(const std::string& type, const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        const auto* spec = find_resource_prop(*find_resource_type(type), c.prop);
        ASSERT_NE(spec, nullptr) << c.prop;
        PropValue v = spec->list ? L({c.value}) : S(c.value);
        auto r = check_resource_prop(type, c.prop, v);
        EXPECT_EQ(bool(r), c.valid)
            << type << " " << c.prop << "=" << c.value << ": " << message_of(r);
        if (!r) {
            EXPECT_EQ(r.error().message().rfind(type + ": " + c.prop + ": ", 0), 0U)
                << r.error().message();
        }
    }
}

// ---- names and global properties -----------------------------------------------

TEST(Config, ZoneNames) {
    for (std::string good :
         std::vector<std::string>{"web", "a", "Web-1.test_x", std::string(63, 'z')})
        EXPECT_TRUE(check_zone_name(good)) << good;
    for (std::string bad : std::vector<std::string>{"", "-web", ".web", "we b", "web/1", "global",
                                                    std::string(64, 'z'), "wéb"})
        EXPECT_FALSE(check_zone_name(bad)) << bad;
    EXPECT_EQ(check_zone_name("global").error().code, kInvalidConfig);
}

TEST(Config, ValidatesBooleansAndEnums) {
    expect_global({{"autoboot", "true", true},
                   {"autoboot", "false", true},
                   {"autoboot", "yes", false},
                   {"autoboot", "", false},
                   {"autoboot", "TRUE", false},
                   {"root-type", "overlay", true},
                   {"root-type", "copy", true},
                   {"root-type", "sparse", false},
                   {"ip-type", "exclusive", true},
                   {"ip-type", "shared", true},
                   {"ip-type", "none", true},
                   {"ip-type", "excl", false},
                   {"userns", "auto", true},
                   {"userns", "true", true},
                   {"userns", "none", true},
                   {"userns", "false", true},
                   {"userns", "maybe", false},
                   {"security-profile", "hardened", true},
                   {"security-profile", "system", true},
                   {"security-profile", "open", false}});
}

TEST(Config, ValidatesImage) {
    expect_global({{"image", "base", true},
                   {"image", "base@3", true},
                   {"image", "deb-12.x@10", true},
                   {"image", "base@0", false},
                   {"image", "base@03", false},
                   {"image", "base@-1", false},
                   {"image", "base@", false},
                   {"image", "@3", false},
                   {"image", "base@1@2", false},
                   {"image", "ba se", false},
                   {"image", "base@x", false},
                   {"image", "base@99999999999", false}});
}

TEST(Config, ValidatesOwner) {
    expect_global({{"owner", "alice", true},
                   {"owner", "_svc", true},
                   {"owner", "a.b-c_1", true},
                   {"owner", "1000", true},
                   {"owner", "0", true},
                   {"owner", std::string(32, 'a'), true},
                   {"owner", std::string(33, 'a'), false},
                   {"owner", "Alice", false},
                   {"owner", "1abc", false},
                   {"owner", "-1", false},
                   {"owner", "4294967295", false},
                   {"owner", "", false}});
}

TEST(Config, ValidatesHostname) {
    std::string label63(63, 'a');
    expect_global({{"hostname", "web", true},
                   {"hostname", "web-1.example.com", true},
                   {"hostname", "A1", true},
                   {"hostname", label63, true},
                   {"hostname", label63 + "a", false},
                   {"hostname", std::string(30, 'a') + "." + std::string(33, 'b'), true},
                   {"hostname", std::string(32, 'a') + "." + std::string(32, 'b'), false},
                   {"hostname", "-web", false},
                   {"hostname", "web-", false},
                   {"hostname", "we_b", false},
                   {"hostname", "web..x", false},
                   {"hostname", "web.", false},
                   {"hostname", "", false}});
}

TEST(Config, ValidatesInit) {
    expect_global({{"init", "builtin", true},
                   {"init", "/sbin/init", true},
                   {"init", "/lib/systemd/systemd", true},
                   {"init", "sbin/init", false},
                   {"init", "/", false},
                   {"init", "/sbin/../bin/sh", false},
                   {"init", "/sbin//init", false},
                   {"init", "/sbin/init/", false},
                   {"init", "", false}});
}

TEST(Config, ValidatesLimitpriv) {
    expect_global({{"limitpriv", "default", true},
                   {"limitpriv", "default,net_raw", true},
                   {"limitpriv", "all,-sys_admin,!cap_sys_module", true},
                   {"limitpriv", "none,+cap_chown", true},
                   {"limitpriv", "basic,checkpoint_restore,bpf,perfmon", true},
                   {"limitpriv", "default,NET_RAW", false},
                   {"limitpriv", "default,net_rawx", false},
                   {"limitpriv", "default,", false},
                   {"limitpriv", ",default", false},
                   {"limitpriv", "", false},
                   {"limitpriv", "++net_raw", false},
                   {"limitpriv", "cap_", false},
                   {"limitpriv", "proc_fork", false}});
    auto r = check_global_prop("limitpriv", S("default,NET_RAW"));
    EXPECT_NE(r.error().message().find("lowercase"), std::string::npos) << r.error().message();
}

TEST(Config, ValidatesNumbers) {
    expect_global({{"cpu-shares", "1", true},
                   {"cpu-shares", "10000", true},
                   {"cpu-shares", "0", false},
                   {"cpu-shares", "10001", false},
                   {"cpu-shares", "-5", false},
                   {"cpu-shares", "+5", false},
                   {"cpu-shares", "5 ", false},
                   {"cpu-shares", "1e3", false},
                   {"max-processes", "1", true},
                   {"max-processes", "4194304", true},
                   {"max-processes", "4194305", false},
                   {"max-processes", "0", false},
                   {"max-processes", "99999999999999999999999", false}});
}

TEST(Config, RefusesUnknownPropsAndWrongShapes) {
    EXPECT_FALSE(check_global_prop("zonepath", S("/z")));
    EXPECT_NE(check_global_prop("net", S("x")).error().message().find("is a resource"),
              std::string::npos);
    EXPECT_EQ(check_global_prop("autoboot", L({"true"})).error().message(),
              "autoboot: takes a single value, not a list");
    EXPECT_EQ(check_resource_prop("fs", "options", S("ro")).error().message(),
              "fs: options: takes a list such as [a,b]");
    EXPECT_NE(
        check_global_prop("hostname", S("web\nx")).error().message().find("control character"),
        std::string::npos);
    EXPECT_NE(check_resource_prop("net", "mtu", S("1500"))
                  .error()
                  .message()
                  .find("address, bridge, defrouter"),
              std::string::npos);
    EXPECT_FALSE(check_resource_prop("nic", "address", S("auto")));
}

// ---- resource properties -------------------------------------------------------

TEST(Config, RejectsBadAddress) {
    auto r = check_resource_prop("net", "address", S("10.0.0.300/24"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kInvalidConfig);
    EXPECT_EQ(r.error().message(),
              "net: address: '10.0.0.300/24' is not an IPv4 or IPv6 address with a prefix length");
}

TEST(Config, ValidatesNet) {
    expect_resource("net", {{"address", "auto", true},
                            {"address", "10.0.0.2/24", true},
                            {"address", "10.0.0.2/0", true},
                            {"address", "10.0.0.2/32", true},
                            {"address", "fd00::2/64", true},
                            {"address", "::1/128", true},
                            {"address", "10.0.0.2", false},
                            {"address", "10.0.0.2/33", false},
                            {"address", "fd00::2/129", false},
                            {"address", "10.0.0.2/", false},
                            {"address", "10.0.0.2/x", false},
                            {"address", "host/24", false},
                            {"address", "AUTO", false},
                            {"bridge", "zbr0", true},
                            {"bridge", "br-lan.10", true},
                            {"bridge", std::string(15, 'b'), true},
                            {"bridge", std::string(16, 'b'), false},
                            {"bridge", "br/0", false},
                            {"bridge", "br 0", false},
                            {"bridge", ".", false},
                            {"bridge", "..", false},
                            {"bridge", "", false},
                            {"defrouter", "10.0.0.1", true},
                            {"defrouter", "fe80::1", true},
                            {"defrouter", "10.0.0.1/24", false},
                            {"defrouter", "gateway", false}});
    EXPECT_TRUE(check_resource_prop("net", "forward", L({"8080:80", "5353:53/udp", "22:22/tcp"})));
    EXPECT_TRUE(check_resource_prop("net", "forward", L({})));
    for (std::string bad : {"80", "0:80", "80:0", "80:80/sctp", "70000:80", "a:b", ""})
        EXPECT_FALSE(check_resource_prop("net", "forward", L({bad}))) << bad;
    EXPECT_NE(
        check_resource_prop("net", "address", S("10.0.0.2")).error().message().find("10.0.0.2/24"),
        std::string::npos);
}

TEST(Config, ValidatesFs) {
    expect_resource("fs", {{"dir", "/data", true},
                           {"dir", "/srv/a b", true},
                           {"dir", "/", false},
                           {"dir", "data", false},
                           {"dir", "/a/../b", false},
                           {"dir", "/a//b", false},
                           {"dir", "/a/./b", false},
                           {"dir", "/a/", false},
                           {"special", "/srv/data", true},
                           {"special", "swap", true},
                           {"special", "", false},
                           {"type", "lofs", true},
                           {"type", "tmpfs", true},
                           {"type", "ext4", false},
                           {"options", "ro", true},
                           {"options", "nosuid", true},
                           {"options", "size=64M", true},
                           {"options", "mode=0755", true},
                           {"options", "mode=1777", true},
                           {"options", "mode=0855", false},
                           {"options", "mode=12345", false},
                           {"options", "size=0", false},
                           {"options", "size=lots", false},
                           {"options", "nodevices", true},
                           {"options", "nodev", true},
                           {"options", "noexec", true},
                           {"options", "exec", false},
                           {"options", "", false}});
    EXPECT_EQ(check_resource_prop("fs", "options", L({"ro", "rw"})).error().message(),
              "fs: options: 'ro' and 'rw' conflict");
    EXPECT_FALSE(check_resource_prop("fs", "options", L({"ro", "nosuid", "ro"})));
    EXPECT_FALSE(check_resource_prop("fs", "options", L({"size=1M", "size=2M"})));
    EXPECT_TRUE(check_resource_prop("fs", "options", L({})));
    EXPECT_TRUE(
        check_resource_prop("fs", "options", L({"rw", "nosuid", "nodev", "size=1g", "mode=700"})));
}

TEST(Config, ValidatesCpu) {
    expect_resource("capped-cpu", {{"ncpus", "1", true},
                                   {"ncpus", "1.5", true},
                                   {"ncpus", "0.25", true},
                                   {"ncpus", "1024", true},
                                   {"ncpus", "0.01", true},
                                   {"ncpus", "0", false},
                                   {"ncpus", "0.00", false},
                                   {"ncpus", "1024.01", false},
                                   {"ncpus", "1.255", false},
                                   {"ncpus", "1.", false},
                                   {"ncpus", ".5", false},
                                   {"ncpus", "-1", false},
                                   {"ncpus", "1,5", false}});
    expect_resource("dedicated-cpu", {{"ncpus", "2", true},
                                      {"ncpus", "2-4", true},
                                      {"ncpus", "0", false},
                                      {"ncpus", "4-2", false},
                                      {"ncpus", "2-", false},
                                      {"ncpus", "x", false},
                                      {"cpus", "0", true},
                                      {"cpus", "0-1,3", true},
                                      {"cpus", "0,2,4-7", true},
                                      {"cpus", "1-0", false},
                                      {"cpus", "0,,1", false},
                                      {"cpus", "", false},
                                      {"cpus", "0-1,", false},
                                      {"cpus", "99999", false}});
}

TEST(Config, ValidatesMemory) {
    expect_resource("capped-memory", {{"physical", "512M", true},
                                      {"physical", "1m", true},
                                      {"physical", "2G", true},
                                      {"physical", "1T", true},
                                      {"physical", "1048576", true},
                                      {"physical", "1048575", false},
                                      {"physical", "1023K", false},
                                      {"physical", "512MB", false},
                                      {"physical", "M", false},
                                      {"physical", "", false},
                                      {"physical", "99999999999T", false},
                                      {"swap", "0", true},
                                      {"swap", "1G", true},
                                      {"swap", "1.5G", false}});
}

TEST(Config, ValidatesRctl) {
    expect_resource("rctl", {{"name", "zone.max-processes", true},
                             {"name", "zone.max-lwps", true},
                             {"name", "zone.cpu-shares", true},
                             {"name", "zone.cpu-cap", true},
                             {"name", "zone.max-swap", true},
                             {"name", "zone.max-files", false},
                             {"value", "0", true},
                             {"value", "100", true},
                             {"value", "(priv=privileged,limit=100,action=deny)", true},
                             {"value", "(action=none,limit=5,priv=privileged)", true},
                             {"value", "(priv=basic,limit=100,action=deny)", false},
                             {"value", "(priv=privileged,limit=100,action=signal)", false},
                             {"value", "(priv=privileged,limit=100)", false},
                             {"value", "(priv=privileged,limit=x,action=deny)", false},
                             {"value", "(priv=privileged,limit=1,limit=2,action=deny)", false},
                             {"value", "(priv=privileged,limit=100,action=deny", false},
                             {"value", "-1", false},
                             {"value", "ten", false}});
}

TEST(Config, ValidatesAdminAndAttr) {
    expect_resource("admin", {{"user", "alice", true},
                              {"user", "1000", false},
                              {"user", "Alice", false},
                              {"auths", "login", true},
                              {"auths", "manage", true},
                              {"auths", "clone", true},
                              {"auths", "root", false}});
    EXPECT_TRUE(check_resource_prop("admin", "auths", L({"login", "manage", "clone"})));
    EXPECT_FALSE(check_resource_prop("admin", "auths", L({})));
    EXPECT_FALSE(check_resource_prop("admin", "auths", L({"login", "login"})));
    expect_resource("attr", {{"name", "comment", true},
                             {"name", "owner.team:x-1", true},
                             {"name", "-x", false},
                             {"name", "a b", false},
                             {"type", "string", true},
                             {"type", "int", true},
                             {"type", "uint", true},
                             {"type", "boolean", true},
                             {"type", "float", false},
                             {"value", "anything at all", true},
                             {"value", "", true}});
}

// ---- verify ----------------------------------------------------------------------

ZoneConfig good_config() {
    ZoneConfig cfg = *builtin_template("default");
    cfg.name = "web";
    cfg.props["image"] = S("base@2");
    cfg.props["max-processes"] = S("500");
    cfg.resources = {
        Res("net",
            {{"address", S("10.0.0.2/24")}, {"bridge", S("zbr0")}, {"defrouter", S("10.0.0.1")}}),
        Res("net", {{"address", S("auto")}}),
        Res("net", {{"address", S("auto")}}),
        Res("fs", {{"dir", S("/data")},
                   {"special", S("/srv/data")},
                   {"type", S("lofs")},
                   {"options", L({"ro", "nodevices"})}}),
        Res("fs", {{"dir", S("/tmp")},
                   {"special", S("swap")},
                   {"type", S("tmpfs")},
                   {"options", L({"size=64M", "mode=1777"})}}),
        Res("capped-cpu", {{"ncpus", S("1.5")}}),
        Res("capped-memory", {{"physical", S("512M")}}),
        Res("rctl", {{"name", S("zone.max-processes")},
                     {"value", S("(priv=privileged,limit=500,action=deny)")}}),
        Res("admin", {{"user", S("alice")}, {"auths", L({"login", "manage"})}}),
        Res("attr", {{"name", S("tier")}, {"type", S("int")}, {"value", S("-3")}}),
    };
    return cfg;
}

// The problems verify reports, one per line.
std::vector<std::string> problems(const ZoneConfig& cfg) {
    auto r = verify(cfg);
    std::vector<std::string> out;
    if (r) return out;
    EXPECT_EQ(r.error().code, kInvalidConfig);
    std::string msg = r.error().message();
    for (std::size_t pos = 0; pos <= msg.size();) {
        std::size_t nl = msg.find('\n', pos);
        out.push_back(msg.substr(pos, nl - pos));
        pos = nl == std::string::npos ? msg.size() + 1 : nl + 1;
    }
    return out;
}

TEST(Config, VerifyAcceptsGoodConfig) {
    EXPECT_TRUE(verify(good_config())) << message_of(verify(good_config()));
    EXPECT_TRUE(verify(ZoneConfig{}));
    EXPECT_TRUE(verify(*builtin_template("default")));
}

TEST(Config, VerifyRequiresProperties) {
    ZoneConfig cfg;
    cfg.resources = {Res("fs", {{"dir", S("/data")}}),
                     Res("fs", {{"dir", S("/x")}, {"type", S("lofs")}}),
                     Res("capped-cpu", {}),
                     Res("dedicated-cpu", {{"ncpus", S("2")}, {"cpus", S("0-1")}}),
                     Res("capped-memory", {}),
                     Res("rctl", {{"name", S("zone.max-lwps")}}),
                     Res("admin", {{"user", S("bob")}}),
                     Res("attr", {{"name", S("a")}, {"type", S("int")}})};
    auto p = problems(cfg);
    auto has = [&](const std::string& s) { return std::find(p.begin(), p.end(), s) != p.end(); };
    EXPECT_TRUE(has("fs dir=/data: type is required"));
    EXPECT_TRUE(has("fs dir=/x: special (the host path) is required for lofs"));
    EXPECT_TRUE(has("capped-cpu: ncpus is required"));
    EXPECT_TRUE(has("dedicated-cpu: give either ncpus or cpus (exactly one of them)"));
    EXPECT_TRUE(has("capped-memory: physical or swap is required"));
    EXPECT_TRUE(has("rctl name=zone.max-lwps: value is required"));
    EXPECT_TRUE(has("admin user=bob: auths is required"));
    EXPECT_TRUE(has("attr name=a: value is required"));
    EXPECT_TRUE(
        has("capped-cpu and dedicated-cpu cannot be combined (cap CPU time or dedicate CPUs)"));
    EXPECT_EQ(p.size(), 9U);
}

TEST(Config, VerifyChecksWithinResources) {
    ZoneConfig cfg;
    cfg.resources = {
        Res("fs", {{"dir", S("/a")}, {"special", S("relative")}, {"type", S("lofs")}}),
        Res("fs", {{"dir", S("/b")},
                   {"special", S("/srv")},
                   {"type", S("lofs")},
                   {"options", L({"size=1M"})}}),
        Res("attr", {{"name", S("n")}, {"type", S("boolean")}, {"value", S("yes")}}),
        Res("attr", {{"name", S("u")}, {"type", S("uint")}, {"value", S("-1")}}),
        Res("rctl", {{"name", S("zone.cpu-shares")}, {"value", S("0")}}),
        Res("net", {{"address", S("10.0.0.2/24")}, {"defrouter", S("fe80::1")}}),
    };
    auto p = problems(cfg);
    ASSERT_EQ(p.size(), 6U);
    EXPECT_EQ(p[0].rfind("fs dir=/a: special: 'relative' is not an absolute path", 0), 0U) << p[0];
    EXPECT_EQ(p[1], "fs dir=/b: options: 'size=1M' applies to tmpfs only");
    EXPECT_EQ(p[2], "attr name=n: value: 'yes' is not a boolean (true or false)");
    EXPECT_EQ(p[3], "attr name=u: value: '-1' is not an unsigned integer");
    EXPECT_EQ(p[4].rfind("rctl name=zone.cpu-shares: value: 0 is out of range", 0), 0U) << p[4];
    EXPECT_NE(p[5].find("same address family"), std::string::npos) << p[5];
}

TEST(Config, VerifyNamesBadValuesByResource) {
    ZoneConfig cfg;
    cfg.props["autoboot"] = S("sometimes");
    cfg.resources = {
        Res("fs", {{"dir", S("/data")}, {"type", S("tmpfs")}, {"options", L({"ro", "rw"})}}),
        Res("net", {{"address", S("10.0.0.300/24")}}), Res("net", {{"bridge", S("br/0")}})};
    auto p = problems(cfg);
    ASSERT_EQ(p.size(), 4U);
    EXPECT_EQ(p[0], "autoboot: 'sometimes' is not true or false");
    EXPECT_EQ(p[1], "fs dir=/data: options: 'ro' and 'rw' conflict");
    EXPECT_EQ(p[2],
              "net address=10.0.0.300/24: address: '10.0.0.300/24' is not an IPv4 or IPv6 address "
              "with a prefix length");
    EXPECT_EQ(p[3].rfind("net #2: bridge: 'br/0'", 0), 0U) << p[3];
}

TEST(Config, VerifyRefusesDuplicates) {
    ZoneConfig cfg = good_config();
    cfg.resources.push_back(
        Res("fs", {{"dir", S("/data")}, {"special", S("/x")}, {"type", S("lofs")}}));
    cfg.resources.push_back(
        Res("net", {{"address", S("10.0.0.2/16")}})); // same address, other prefix
    cfg.resources.push_back(Res("admin", {{"user", S("alice")}, {"auths", L({"clone"})}}));
    cfg.resources.push_back(
        Res("attr", {{"name", S("tier")}, {"type", S("string")}, {"value", S("x")}}));
    cfg.resources.push_back(Res("rctl", {{"name", S("zone.max-processes")}, {"value", S("500")}}));
    cfg.resources.push_back(Res("capped-memory", {{"swap", S("1G")}}));
    auto p = problems(cfg);
    ASSERT_EQ(p.size(), 6U) << testing::PrintToString(p);
    EXPECT_EQ(p[0], "fs dir=/data: more than one fs resource has dir '/data'");
    EXPECT_EQ(p[1], "net address=10.0.0.2/16: more than one net resource has address '10.0.0.2'");
    EXPECT_EQ(p[2], "admin user=alice: more than one admin resource has user 'alice'");
    EXPECT_EQ(p[3], "attr name=tier: more than one attr resource has name 'tier'");
    EXPECT_EQ(
        p[4],
        "rctl name=zone.max-processes: more than one rctl resource has name 'zone.max-processes'");
    EXPECT_EQ(p[5], "capped-memory: given more than once; at most one is allowed");
}

TEST(Config, VerifyRefusesConflicts) {
    ZoneConfig cfg = good_config();
    cfg.props["ip-type"] = S("none");
    cfg.props["max-processes"] = S("100");
    cfg.props["cpu-shares"] = S("10");
    cfg.props["security-profile"] = S("system");
    cfg.props["userns"] = S("false");
    cfg.resources.push_back(Res("rctl", {{"name", S("zone.cpu-shares")}, {"value", S("20")}}));
    cfg.resources.push_back(Res("dedicated-cpu", {{"cpus", S("0-1")}}));
    auto p = problems(cfg);
    ASSERT_EQ(p.size(), 5U) << testing::PrintToString(p);
    EXPECT_EQ(p[0],
              "capped-cpu and dedicated-cpu cannot be combined (cap CPU time or dedicate CPUs)");
    EXPECT_EQ(p[1].rfind("net: a zone with ip-type=none has no network", 0), 0U);
    EXPECT_NE(p[2].find("userns=false"), std::string::npos);
    EXPECT_EQ(p[3],
              "max-processes=100 and rctl zone.max-processes=500 disagree; set only one of them");
    EXPECT_EQ(p[4], "cpu-shares=10 and rctl zone.cpu-shares=20 disagree; set only one of them");
}

TEST(Config, VerifyAcceptsAgreeingLimits) {
    ZoneConfig cfg = good_config();
    cfg.props["cpu-shares"] = S("20");
    cfg.resources.push_back(Res("rctl", {{"name", S("zone.cpu-shares")}, {"value", S("20")}}));
    EXPECT_TRUE(verify(cfg)) << message_of(verify(cfg));
}

TEST(Config, VerifyRefusesUnknownResourceAndBadName) {
    ZoneConfig cfg;
    cfg.name = "global";
    cfg.resources.push_back(Res("device", {}));
    auto p = problems(cfg);
    ASSERT_EQ(p.size(), 2U);
    EXPECT_NE(p[0].find("reserved"), std::string::npos);
    EXPECT_EQ(p[1].rfind("'device' is not a resource type", 0), 0U);
}

TEST(Config, CheckResourceAndFits) {
    EXPECT_TRUE(check_resource(Res("net", {})));
    EXPECT_FALSE(check_resource(Res("fs", {{"dir", S("/x")}})));
    ZoneConfig cfg = good_config();
    EXPECT_FALSE(check_resource_fits(cfg, Res("capped-cpu", {{"ncpus", S("2")}}), std::nullopt));
    EXPECT_TRUE(
        check_resource_fits(cfg, Res("capped-cpu", {{"ncpus", S("2")}}), 5)); // replacing itself
    auto dup = check_resource_fits(cfg, Res("fs", {{"dir", S("/data")}}), std::nullopt);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().message(), "fs dir=/data: another fs resource already has dir '/data'");
    EXPECT_TRUE(check_resource_fits(cfg, Res("fs", {{"dir", S("/data")}}), 3));
    EXPECT_TRUE(check_resource_fits(cfg, Res("net", {{"address", S("auto")}}), std::nullopt));
    EXPECT_FALSE(
        check_resource_fits(cfg, Res("net", {{"address", S("10.0.0.2/8")}}), std::nullopt));
    EXPECT_EQ(describe(Res("fs", {{"dir", S("/d")}})), "fs dir=/d");
    EXPECT_EQ(describe(Res("capped-cpu", {{"ncpus", S("1")}})), "capped-cpu");
    EXPECT_EQ(describe(Res("net", {})), "net");
}

// ---- JSON -----------------------------------------------------------------------

TEST(Config, JsonRoundTrip) {
    ZoneConfig cfg = good_config();
    cfg.uuid = "0b9e8b6e-5bd4-4d8e-9f1c-3d3c0e1b2a44";
    cfg.resources[3].props["options"] = L({});
    json j = to_json(cfg);
    EXPECT_EQ(j["props"]["autoboot"], "false");
    EXPECT_EQ(j["resources"][3]["props"]["options"], json::array());
    EXPECT_EQ(j["resources"][0]["type"], "net");
    auto back = from_json(j);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, cfg);
    auto reparsed = from_json(json::parse(j.dump()));
    ASSERT_TRUE(reparsed);
    EXPECT_EQ(*reparsed, cfg);
}

TEST(Config, JsonAcceptsTemplateShape) {
    auto t = from_json(to_json(*builtin_template("default")));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->name, "");
    auto minimal = from_json(json::object());
    ASSERT_TRUE(minimal);
    EXPECT_EQ(*minimal, ZoneConfig{});
}

TEST(Config, JsonDoesNotRunVerify) {
    // fs without type: incomplete, but every value is valid; the daemon verifies separately.
    json j = {{"name", "web"}, {"resources", {{{"type", "fs"}, {"props", {{"dir", "/d"}}}}}}};
    auto cfg = from_json(j);
    ASSERT_TRUE(cfg) << cfg.error().message();
    EXPECT_FALSE(verify(*cfg));
}

TEST(Config, JsonRejectsGarbage) {
    auto rejects = [](const json& j, const std::string& fragment) {
        auto r = from_json(j);
        ASSERT_FALSE(r) << j.dump();
        EXPECT_EQ(r.error().code, kInvalidConfig);
        EXPECT_NE(r.error().message().find(fragment), std::string::npos) << r.error().message();
    };
    rejects(json::array(), "not a JSON object");
    rejects(json("text"), "not a JSON object");
    rejects({{"name", "web"}, {"color", "red"}}, "unknown key 'color'");
    rejects({{"name", 5}}, "'name' must be a string");
    rejects({{"name", "bad name"}}, "not a valid zone name");
    rejects({{"uuid", "not a uuid!"}}, "not a UUID");
    rejects({{"props", json::array()}}, "'props' must be an object");
    rejects({{"props", {{"zonepath", "/z"}}}}, "'zonepath' is not a zone property");
    rejects({{"props", {{"autoboot", true}}}}, "autoboot: must be a string");
    rejects({{"props", {{"autoboot", "maybe"}}}}, "autoboot: 'maybe' is not true or false");
    rejects({{"resources", json::object()}}, "'resources' must be an array");
    rejects({{"resources", {"net"}}}, "resource 1: not an object");
    rejects({{"resources", {{{"type", "nic"}}}}}, "'nic' is not a resource type");
    rejects({{"resources", {{{"props", json::object()}}}}}, "'type' must be a string");
    rejects({{"resources", {{{"type", "net"}, {"extra", 1}}}}}, "resource 1: unknown key 'extra'");
    rejects({{"resources", {{{"type", "net"}, {"props", {{"mtu", "1500"}}}}}}},
            "net: 'mtu' is not a property");
    rejects({{"resources", {{{"type", "fs"}, {"props", {{"options", "ro"}}}}}}},
            "options: must be an array");
    rejects({{"resources", {{{"type", "fs"}, {"props", {{"options", {"ro", 1}}}}}}}},
            "options: must be an array");
    rejects({{"resources", {{{"type", "fs"}, {"props", {{"dir", {"/a"}}}}}}}},
            "dir: must be a string");
    rejects({{"resources", {{{"type", "net"}, {"props", {{"address", "10.0.0.300/24"}}}}}}},
            "net: address: '10.0.0.300/24'");
}

TEST(Config, JsonReportsEveryProblem) {
    json j = {{"color", 1}, {"props", {{"autoboot", "x"}, {"ip-type", "y"}}}};
    auto r = from_json(j);
    ASSERT_FALSE(r);
    EXPECT_EQ(std::count(r.error().op.begin(), r.error().op.end(), '\n'), 2);
}

// ---- templates and typed parsers -----------------------------------------------------

TEST(Config, BuiltinTemplates) {
    auto d = builtin_template("default");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->get_or("autoboot", ""), "false");
    EXPECT_EQ(d->get_or("ip-type", ""), "exclusive");
    EXPECT_EQ(d->get_or("root-type", ""), "overlay");
    EXPECT_EQ(d->get_or("init", ""), "builtin");
    EXPECT_EQ(d->get_or("limitpriv", ""), "default");
    EXPECT_EQ(d->get_or("security-profile", ""), "hardened");
    EXPECT_EQ(d->props.size(), 6U);
    EXPECT_TRUE(d->resources.empty());
    ASSERT_TRUE(builtin_template("blank"));
    EXPECT_EQ(*builtin_template("blank"), ZoneConfig{});
    EXPECT_FALSE(builtin_template("sparse"));
    EXPECT_EQ(builtin_template_names(), (std::vector<std::string>{"blank", "default"}));
}

TEST(Config, ParsesImageRefs) {
    auto a = parse_image_ref("base");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->name, "base");
    EXPECT_EQ(a->version, 0U);
    auto b = parse_image_ref("base@12");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->name, "base");
    EXPECT_EQ(b->version, 12U);
    EXPECT_FALSE(parse_image_ref("base@0"));
    EXPECT_FALSE(parse_image_ref(""));
}

TEST(Config, ParsesSizes) {
    EXPECT_EQ(*parse_size("0"), 0ULL);
    EXPECT_EQ(*parse_size("1048576"), 1048576ULL);
    EXPECT_EQ(*parse_size("4k"), 4096ULL);
    EXPECT_EQ(*parse_size("512M"), 512ULL << 20);
    EXPECT_EQ(*parse_size("2g"), 2ULL << 30);
    EXPECT_EQ(*parse_size("3T"), 3ULL << 40);
    for (const char* bad :
         {"", "M", "1.5G", "-1", "12X", "1 M", "99999999999999T", "18446744073709551616"})
        EXPECT_FALSE(parse_size(bad)) << bad;
}

TEST(Config, ParsesAddresses) {
    auto a = parse_ip_prefix("10.0.0.2/24");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family, AF_INET);
    EXPECT_EQ(a->address, "10.0.0.2");
    EXPECT_EQ(a->prefix, 24U);
    auto b = parse_ip_prefix("FD00:0::2/64");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->family, AF_INET6);
    EXPECT_EQ(b->address, "fd00::2");
    auto c = parse_ip_address("fe80::1");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->prefix, 128U);
    EXPECT_FALSE(parse_ip_address("10.0.0.1/24"));
    EXPECT_FALSE(parse_ip_prefix("10.0.0.1"));
}

TEST(Config, ParsesRctlValuesAndNcpus) {
    EXPECT_EQ(*parse_rctl_value("42"), 42ULL);
    EXPECT_EQ(*parse_rctl_value("(priv=privileged,limit=7,action=deny)"), 7ULL);
    EXPECT_FALSE(parse_rctl_value("(limit=7)"));
    EXPECT_EQ(*parse_ncpus_hundredths("1.5"), 150U);
    EXPECT_EQ(*parse_ncpus_hundredths("0.05"), 5U);
    EXPECT_EQ(*parse_ncpus_hundredths("2"), 200U);
    EXPECT_FALSE(parse_ncpus_hundredths("0"));
}

TEST(Config, CapabilityNamesFollowKernelNumbers) {
    const auto& caps = capability_names();
    ASSERT_EQ(caps.size(), 41U);
    EXPECT_EQ(caps[0], "chown");
    EXPECT_EQ(caps[13], "net_raw");
    EXPECT_EQ(caps[21], "sys_admin");
    EXPECT_EQ(caps[38], "perfmon");
    EXPECT_EQ(caps[40], "checkpoint_restore");
}

TEST(Config, SchemaLookups) {
    ASSERT_NE(find_global_prop("autoboot"), nullptr);
    EXPECT_EQ(find_global_prop("nope"), nullptr);
    const auto* fs = find_resource_type("fs");
    ASSERT_NE(fs, nullptr);
    EXPECT_FALSE(fs->single);
    EXPECT_TRUE(find_resource_prop(*fs, "options")->list);
    EXPECT_TRUE(find_resource_type("capped-memory")->single);
    EXPECT_EQ(global_props().size(), 15U);
    EXPECT_EQ(resource_types().size(), 9U);
    ZoneConfig cfg = good_config();
    EXPECT_EQ(cfg.of_type("net").size(), 3U);
    EXPECT_EQ(cfg.get_or("hostname", "dflt"), "dflt");
    EXPECT_EQ(cfg.resources[3].get_or("options", "list"), "list"); // lists have no scalar form
}

TEST(Config, VerifySystemProfileWantsUserns) {
    ZoneConfig cfg = good_config();
    cfg.props["security-profile"] = S("system");
    for (const char* u : {"", "none", "false"}) {
        if (*u) cfg.props["userns"] = S(u);
        auto p = problems(cfg);
        ASSERT_EQ(p.size(), 1U) << u;
        EXPECT_NE(p[0].find("set userns=auto"), std::string::npos) << p[0];
    }
    for (const char* u : {"auto", "true"}) {
        cfg.props["userns"] = S(u);
        EXPECT_TRUE(problems(cfg).empty()) << u;
    }
}

} // namespace
} // namespace zone::config
