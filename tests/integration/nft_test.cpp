// zoned's nftables table against the real kernel (root): applied, replaced
// as a whole, removed. No traffic; each test owns a table named after its pid.
#include <cstdio>
#include <cstdlib>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

#include "runtime/nft.hpp"
#include "integration/harness.hpp"

namespace zone::net {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;


// `nft list table ip NAME`: its output, or "" when the table does not exist.
std::string list_table(const std::string& name) {
    std::string cmd = "nft list table ip " + name + " 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return "";
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p))
        out.append(buf, n);
    int status = ::pclose(p);
    return status == 0 ? out : "";
}

// A unique table, deleted however the test ends.
struct ScratchTable {
    NetworkConfig cfg;
    explicit ScratchTable(const std::string& tag) {
        cfg.nft_table = "zt_nft_" + tag + "_" + std::to_string(::getpid());
        cfg.bridge = "ztnft" + std::to_string(::getpid() % 100000);
        cfg.subnet = "10.231.0.0/24";
    }
    ~ScratchTable() {
        std::string cmd = "nft delete table ip " + cfg.nft_table + " 2>/dev/null";
        if (std::system(cmd.c_str())) {
        } // absent already: fine
    }
};

Forward fwd(uint16_t host, uint32_t addr, uint16_t zone, const char* proto = "tcp") {
    return Forward{"web", proto, host, addr, zone};
}

TEST(Nft_Kernel, ApplyReplaceRemove) {
    ZT_REQUIRE_ROOT();
    ScratchTable t("arr");
    auto r = apply_ruleset(t.cfg, {fwd(18080, 0x0ae70002, 80)});
    ASSERT_TRUE(r) << r.error().message();
    std::string listed = list_table(t.cfg.nft_table);
    EXPECT_THAT(listed, HasSubstr("masquerade"));
    EXPECT_THAT(listed, HasSubstr("ip saddr 10.231.0.0/24"));
    EXPECT_THAT(listed, HasSubstr("tcp dport 18080 dnat to 10.231.0.2:80"));
    EXPECT_THAT(listed, HasSubstr("hook output"));
    EXPECT_THAT(listed, Not(HasSubstr("drop")));

    // Applied again: the table is replaced, not appended to.
    t.cfg.isolate = true;
    r = apply_ruleset(t.cfg, {fwd(19090, 0x0ae70003, 90, "udp")});
    ASSERT_TRUE(r) << r.error().message();
    listed = list_table(t.cfg.nft_table);
    EXPECT_THAT(listed, Not(HasSubstr("18080")));
    EXPECT_THAT(listed, HasSubstr("udp dport 19090 dnat to 10.231.0.3:90"));
    EXPECT_THAT(listed, HasSubstr("iifname \"" + t.cfg.bridge + "\" oifname \"" + t.cfg.bridge +
                                  "\" drop"));
    // The bridge need not exist: iifname matches by name.

    r = remove_ruleset(t.cfg);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(list_table(t.cfg.nft_table), "");
    r = remove_ruleset(t.cfg); // absent: still success
    EXPECT_TRUE(r) << r.error().message();
}

TEST(Nft_Kernel, NoNatNoForwardsIsAnEmptyTable) {
    ZT_REQUIRE_ROOT();
    ScratchTable t("empty");
    t.cfg.nat = false;
    auto r = apply_ruleset(t.cfg, {});
    ASSERT_TRUE(r) << r.error().message();
    std::string listed = list_table(t.cfg.nft_table);
    EXPECT_THAT(listed, HasSubstr("table ip " + t.cfg.nft_table));
    EXPECT_THAT(listed, Not(HasSubstr("chain")));
    EXPECT_TRUE(remove_ruleset(t.cfg));
}

TEST(Nft_Kernel, NftErrorsBecomeErrors) {
    ZT_REQUIRE_ROOT();
    // A well-formed name that nft's grammar reserves: nft's own message comes back.
    NetworkConfig cfg;
    cfg.nft_table = "counter";
    auto r = apply_ruleset(cfg, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "EIO");
    EXPECT_THAT(r.error().message(), HasSubstr("replacing nft table ip counter: nft: "));
    EXPECT_THAT(r.error().message(), HasSubstr("syntax error, unexpected counter"));
    EXPECT_EQ(r.error().message().find('\n'), std::string::npos) << r.error().message();
    EXPECT_EQ(list_table("counter"), "");
}

} // namespace
} // namespace zone::net
