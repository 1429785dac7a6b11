// Pure parts of networking: addresses, forwards, leases (on a temp dir), the
// nft script, /etc/hosts and resolv.conf, safe writes into a zone root, and
// the network keys of zoned's config.
#include <cstdlib>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "runtime/common/fs.hpp"
#include "runtime/daemon_config.hpp"
#include "runtime/leases.hpp"
#include "runtime/net_types.hpp"
#include "runtime/nft.hpp"
#include "runtime/zone_files.hpp"

namespace zone::net {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A temp dir removed (recursively, never following symlinks) at the end.
class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/zone-net-test.XXXXXX";
        path_ = ::mkdtemp(tmpl) ? tmpl : "";
    }
    ~TempDir() {
        if (!path_.empty()) (void)fs::remove_tree(path_);
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

Cidr cidr(const char* s) {
    return parse_cidr(s).value();
}
std::string slurp(const std::string& p) {
    auto r = fs::read_file(p);
    return r ? *r : "<unreadable: " + r.error().message() + ">";
}

// ---- addresses and forwards ----------------------------------------------------

TEST(Net_Cidr, ParsesAndPrints) {
    auto c = parse_cidr("10.88.0.5/16");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->addr, 0x0a580005u);
    EXPECT_EQ(c->prefix, 16);
    EXPECT_EQ(c->network(), 0x0a580000u);
    EXPECT_EQ(c->broadcast(), 0x0a58ffffu);
    EXPECT_EQ(to_string(*c), "10.88.0.5/16");
    EXPECT_EQ(ipv4_to_string(0xffffffffu), "255.255.255.255");
    EXPECT_EQ(to_string(cidr("0.0.0.0/0")), "0.0.0.0/0");
    EXPECT_EQ(to_string(cidr("192.168.1.1/32")), "192.168.1.1/32");
    EXPECT_EQ(parse_ipv4("1.2.3.4").value(), 0x01020304u);
}

TEST(Net_Cidr, RefusesMalformedWithClearMessage) {
    auto bad = parse_cidr("10.0.0.300/24");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "EINVAL");
    EXPECT_EQ(bad.error().message(), "'10.0.0.300/24' is not an IPv4 address with a prefix length");
    for (const char* s : {"", "10.0.0.1", "10.0.0.1/", "10.0.0.1/33", "10.0.0/24", "10.0.0.1.1/24",
                          "10.0.0.01/24", "10.0.0.1/-1", "10.0.0.1/+8", " 10.0.0.1/24",
                          "10.0.0.1/24 ", "::1/128", "a.b.c.d/8", "10..0.1/8"})
        EXPECT_FALSE(parse_cidr(s)) << s;
    EXPECT_THAT(parse_cidr("10.0.0.1").error().message(), HasSubstr("add one"));
    EXPECT_FALSE(parse_ipv4("256.0.0.1"));
    EXPECT_FALSE(parse_ipv4("1.2.3"));
    EXPECT_EQ(parse_ipv4("1.2.3").error().message(), "'1.2.3' is not an IPv4 address");
}

TEST(Net_Forward, ParsesPortsAndProtocol) {
    auto f = parse_forward("8080:80/tcp");
    ASSERT_TRUE(f) << f.error().message();
    EXPECT_EQ(f->host_port, 8080);
    EXPECT_EQ(f->zone_port, 80);
    EXPECT_EQ(f->proto, "tcp");
    EXPECT_EQ(parse_forward("53:5353/udp")->proto, "udp");
    EXPECT_EQ(parse_forward("65535:1")->proto, "tcp"); // tcp by default
    EXPECT_EQ(parse_forward("65535:1")->host_port, 65535);
}

TEST(Net_Forward, RefusesBadPortsAndProtocols) {
    for (const char* s : {"0:80", "80:0", "65536:80", "80:65536", "80", ":80", "80:", "80:80/sctp",
                          "80:80/", "-1:80", "8o:80", "80:80/TCP", "80:80:80", ""})
        EXPECT_FALSE(parse_forward(s)) << s;
    EXPECT_THAT(
        parse_forward("0:80").error().message(),
        HasSubstr("'0:80' is not a port forward HOSTPORT:ZONEPORT[/tcp|/udp] with ports 1-65535"));
}

// ---- leases ----------------------------------------------------------------------

TEST(Lease_Pool, AutoAllocatesLowestFreeAfterGateway) {
    TempDir tmp;
    Leases l(tmp.path() + "/network/leases.json", cidr("10.88.0.0/16"));
    ASSERT_TRUE(l.load());
    EXPECT_EQ(to_string(l.gateway()), "10.88.0.1/16");
    EXPECT_EQ(to_string(l.acquire("a", 0, "auto").value()), "10.88.0.2/16");
    EXPECT_EQ(to_string(l.acquire("b", 0, "auto").value()), "10.88.0.3/16");
    EXPECT_EQ(to_string(l.acquire("a", 1, "auto").value()), "10.88.0.4/16");
    ASSERT_TRUE(l.release("b"));
    EXPECT_EQ(to_string(l.acquire("c", 0, "auto").value()), "10.88.0.3/16"); // the freed one
    EXPECT_EQ(l.all().size(), 3u);
}

TEST(Lease_Pool, AcquireIsIdempotent) {
    TempDir tmp;
    Leases l(tmp.path() + "/leases.json", cidr("10.88.0.0/16"));
    auto first = l.acquire("web", 0, "auto").value();
    EXPECT_EQ(l.acquire("web", 0, "auto").value(), first);
    EXPECT_EQ(to_string(l.acquire("db", 0, "10.88.7.7/16").value()), "10.88.7.7/16");
    EXPECT_EQ(to_string(l.acquire("db", 0, "10.88.7.7/16").value()), "10.88.7.7/16");
    EXPECT_EQ(l.all().size(), 2u);
}

TEST(Lease_Pool, SwitchingBetweenAutoAndStaticDropsTheOld) {
    TempDir tmp;
    Leases l(tmp.path() + "/leases.json", cidr("10.88.0.0/16"));
    EXPECT_EQ(to_string(l.acquire("web", 0, "auto").value()), "10.88.0.2/16");
    EXPECT_EQ(to_string(l.acquire("web", 0, "10.88.9.9/16").value()), "10.88.9.9/16");
    ASSERT_EQ(l.all().size(), 1u);
    EXPECT_TRUE(l.all()[0].is_static);
    // The old auto address is free again.
    EXPECT_EQ(to_string(l.acquire("other", 0, "auto").value()), "10.88.0.2/16");
    EXPECT_EQ(to_string(l.acquire("web", 0, "auto").value()), "10.88.0.3/16");
    EXPECT_EQ(l.all().size(), 2u);
    EXPECT_TRUE(l.acquire("x", 0, "10.88.9.9/16")); // released by web's switch back
}

TEST(Lease_Pool, PersistsAcrossANewLeasesObject) {
    TempDir tmp;
    std::string path = tmp.path() + "/state/network/leases.json";
    {
        Leases l(path, cidr("10.88.0.0/16"));
        ASSERT_TRUE(l.load()); // missing file: empty
        ASSERT_TRUE(l.acquire("web", 0, "auto"));
        ASSERT_TRUE(l.acquire("db", 0, "auto"));
        ASSERT_TRUE(l.acquire("st", 0, "192.168.5.5/24"));
    }
    auto doc = nlohmann::json::parse(slurp(path), nullptr, false);
    ASSERT_FALSE(doc.is_discarded());
    ASSERT_EQ(doc["leases"].size(), 3u);
    EXPECT_EQ(doc["leases"][2]["address"], "192.168.5.5/24");
    EXPECT_EQ(doc["leases"][2]["static"], true);
    EXPECT_EQ(doc["leases"][0]["zone"], "web");
    EXPECT_EQ(doc["leases"][0]["net"], 0);

    Leases again(path, cidr("10.88.0.0/16"));
    ASSERT_TRUE(again.load());
    EXPECT_EQ(again.all().size(), 3u);
    EXPECT_EQ(to_string(again.acquire("db", 0, "auto").value()), "10.88.0.3/16");
    EXPECT_EQ(to_string(again.acquire("new", 0, "auto").value()), "10.88.0.4/16");
}

TEST(Lease_Pool, CorruptFileIsAnError) {
    TempDir tmp;
    std::string path = tmp.path() + "/leases.json";
    ASSERT_TRUE(fs::write_file_atomic(path, "{not json"));
    Leases l(path, cidr("10.88.0.0/16"));
    auto r = l.load();
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message(), HasSubstr(path));
}

TEST(Lease_Static, ConflictNamesTheHolder) {
    TempDir tmp;
    Leases l(tmp.path() + "/leases.json", cidr("10.88.0.0/16"));
    ASSERT_TRUE(l.acquire("web", 0, "10.88.0.5/16"));
    auto r = l.acquire("db", 0, "10.88.0.5/24"); // another prefix, same address
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "EXISTS");
    EXPECT_EQ(r.error().message(), "address 10.88.0.5 is already leased to zone 'web'");
    // An auto lease counts too, and auto allocation skips static addresses.
    EXPECT_EQ(to_string(l.acquire("a", 0, "auto").value()), "10.88.0.2/16");
    EXPECT_EQ(l.acquire("b", 0, "10.88.0.2/16").error().code, "EXISTS");
    EXPECT_THAT(l.acquire("web", 1, "10.88.0.5/16").error().message(),
                HasSubstr("already leased to zone 'web' (net 0)"));
}

TEST(Lease_Static, RefusesNonHostAndReservedAddresses) {
    TempDir tmp;
    Leases l(tmp.path() + "/leases.json", cidr("10.88.0.0/16"));
    for (const char* s : {"10.88.0.0/16", "10.88.0.1/16", "10.88.255.255/16", "10.88.0.1/24",
                          "192.168.1.0/24", "192.168.1.255/24", "127.0.0.2/8", "224.0.0.1/4",
                          "0.0.0.1/8", "10.88.0.300/16", "bogus"}) {
        auto r = l.acquire("z", 0, s);
        EXPECT_FALSE(r) << s;
    }
    EXPECT_THAT(l.acquire("z", 0, "10.88.0.1/16").error().message(), HasSubstr("gateway"));
    EXPECT_TRUE(l.acquire("z", 0, "192.168.1.1/24")); // outside the pool: any host address
    EXPECT_EQ(l.all().size(), 1u);
}

TEST(Lease_Pool, ExhaustionOnASlash30) {
    TempDir tmp;
    Leases l(tmp.path() + "/leases.json", cidr("10.9.9.0/30"));
    EXPECT_EQ(to_string(l.gateway()), "10.9.9.1/30");
    EXPECT_EQ(to_string(l.acquire("a", 0, "auto").value()), "10.9.9.2/30");
    auto r = l.acquire("b", 0, "auto");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "EBUSY");
    EXPECT_THAT(r.error().message(), HasSubstr("10.9.9.0/30"));
    ASSERT_TRUE(l.release("a"));
    EXPECT_EQ(to_string(l.acquire("b", 0, "auto").value()), "10.9.9.2/30");
}

TEST(Lease_Pool, ReleaseDropsEveryNetOfTheZoneAndPersists) {
    TempDir tmp;
    std::string path = tmp.path() + "/leases.json";
    Leases l(path, cidr("10.88.0.0/16"));
    ASSERT_TRUE(l.acquire("web", 0, "auto"));
    ASSERT_TRUE(l.acquire("web", 1, "auto"));
    ASSERT_TRUE(l.acquire("db", 0, "auto"));
    ASSERT_TRUE(l.release("web"));
    ASSERT_TRUE(l.release("never-leased"));
    Leases again(path, cidr("10.88.0.0/16"));
    ASSERT_TRUE(again.load());
    ASSERT_EQ(again.all().size(), 1u);
    EXPECT_EQ(again.all()[0].zone, "db");
}

TEST(Lease_Pool, AutoLeaseOutsideAChangedPoolIsRenewed) {
    TempDir tmp;
    std::string path = tmp.path() + "/leases.json";
    ASSERT_TRUE(Leases(path, cidr("10.88.0.0/16")).acquire("web", 0, "auto"));
    Leases moved(path, cidr("10.99.0.0/24"));
    ASSERT_TRUE(moved.load());
    EXPECT_EQ(to_string(moved.acquire("web", 0, "auto").value()), "10.99.0.2/24");
    EXPECT_EQ(moved.all().size(), 1u);
}

// ---- nftables script -------------------------------------------------------------

std::vector<Forward> some_forwards() {
    Forward a{"web", "tcp", 8080, 0x0a580002, 80};
    Forward b{"dns", "udp", 5353, 0x0a580003, 53};
    return {a, b};
}

TEST(Nft_Render, ReplacesTheWholeTableAtomically) {
    NetworkConfig cfg;
    cfg.nft_table = "zt1";
    std::string s = render_ruleset(cfg, {});
    EXPECT_EQ(s.rfind("table ip zt1 {}\ndelete table ip zt1\ntable ip zt1 {\n", 0), 0u) << s;
    EXPECT_THAT(s, Not(HasSubstr("inet")));
}

TEST(Nft_Render, MasqueradeIffNat) {
    NetworkConfig cfg;
    cfg.subnet = "10.77.0.0/16";
    std::string on = render_ruleset(cfg, some_forwards());
    EXPECT_THAT(on, HasSubstr("type nat hook postrouting priority srcnat;"));
    EXPECT_THAT(on, HasSubstr("ip saddr 10.77.0.0/16 ip daddr != 10.77.0.0/16 masquerade"));
    cfg.nat = false;
    std::string off = render_ruleset(cfg, some_forwards());
    EXPECT_THAT(off, Not(HasSubstr("masquerade")));
    EXPECT_THAT(off, Not(HasSubstr("postrouting")));
    EXPECT_THAT(off, HasSubstr("dnat to 10.88.0.2:80")); // forwards do not depend on nat
}

TEST(Nft_Render, ForwardsInPreroutingAndOutput) {
    NetworkConfig cfg;
    std::string s = render_ruleset(cfg, some_forwards());
    EXPECT_THAT(s, HasSubstr("type nat hook prerouting priority dstnat;"));
    EXPECT_THAT(s, HasSubstr("type nat hook output priority -100;"));
    const std::string tcp = "fib daddr type local tcp dport 8080 dnat to 10.88.0.2:80";
    const std::string udp = "fib daddr type local udp dport 5353 dnat to 10.88.0.3:53";
    auto pre = s.find("chain prerouting"), out = s.find("chain output");
    ASSERT_NE(pre, std::string::npos);
    ASSERT_NE(out, std::string::npos);
    EXPECT_NE(s.find(tcp, pre), std::string::npos);
    EXPECT_NE(s.find(udp, pre), std::string::npos);
    EXPECT_NE(s.find(tcp, out), std::string::npos); // the host itself, e.g. to the gateway
    EXPECT_NE(s.find(udp, out), std::string::npos);
    EXPECT_THAT(s, HasSubstr("comment \"zone web\""));
    EXPECT_THAT(render_ruleset(cfg, {}), Not(HasSubstr("dnat")));
}

TEST(Nft_Render, IsolationIffIsolate) {
    NetworkConfig cfg;
    cfg.bridge = "zbr7";
    EXPECT_THAT(render_ruleset(cfg, {}), Not(HasSubstr("drop")));
    cfg.isolate = true;
    std::string s = render_ruleset(cfg, {});
    EXPECT_THAT(s, HasSubstr("type filter hook forward priority filter;"));
    EXPECT_THAT(s, HasSubstr("iifname \"zbr7\" oifname \"zbr7\" drop"));
}

TEST(Nft_Apply, RefusesANameThatIsNotATable) {
    NetworkConfig cfg;
    cfg.nft_table = "x; flush ruleset";
    auto r = apply_ruleset(cfg, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "EINVAL");
    EXPECT_FALSE(remove_ruleset(cfg));
}

// ---- /etc/hosts, /etc/resolv.conf ------------------------------------------------

TEST(ZoneFiles_Hosts, LocalhostZoneAddressesAndGateway) {
    std::string h = render_hosts("web", {"10.88.0.2", "10.89.0.2"}, "10.88.0.1");
    EXPECT_THAT(h, HasSubstr("127.0.0.1\tlocalhost\n"));
    EXPECT_THAT(h, HasSubstr("::1\tlocalhost ip6-localhost\n"));
    EXPECT_THAT(h, HasSubstr("10.88.0.2\tweb\n"));
    EXPECT_THAT(h, HasSubstr("10.89.0.2\tweb\n"));
    EXPECT_THAT(h, HasSubstr("10.88.0.1\tgateway\n"));
    EXPECT_THAT(render_hosts("web.example.com", {"10.88.0.2"}, ""),
                HasSubstr("10.88.0.2\tweb.example.com web\n"));
    EXPECT_THAT(render_hosts("web", {}, ""), Not(HasSubstr("gateway")));
}

TEST(ZoneFiles_Resolv, NameserverLines) {
    EXPECT_THAT(render_resolv({"1.1.1.1", "9.9.9.9"}),
                HasSubstr("nameserver 1.1.1.1\nnameserver 9.9.9.9\n"));
    EXPECT_THAT(render_resolv({}), Not(HasSubstr("nameserver")));
}

TEST(ZoneFiles_Resolv, UsableNameserversDropLoopback) {
    std::string conf = "# generated\n"
                       "nameserver 127.0.0.53\n"
                       "options edns0 trust-ad\n"
                       "nameserver 10.0.0.2\n"
                       "nameserver ::1\n"
                       "nameserver   192.168.1.1  # router\n"
                       "; nameserver 8.8.8.8\n"
                       "nameserver 127.0.1.1\n"
                       "nameserver fe80::1%eth0\n"
                       "nameserver 2001:4860:4860::8888\n"
                       "nameserver 10.0.0.2\n"
                       "search example.com\n";
    EXPECT_EQ(usable_nameservers(conf),
              (std::vector<std::string>{"10.0.0.2", "192.168.1.1", "2001:4860:4860::8888"}));
    EXPECT_TRUE(usable_nameservers("nameserver 127.0.0.53\n").empty());
}

// ---- writing into a zone root ----------------------------------------------------

bool is_symlink(const std::string& p) {
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

TEST(ZoneFiles_Write, CreatesMissingDirectoriesAndSetsMode) {
    TempDir tmp;
    ASSERT_TRUE(write_zone_file(tmp.path(), "etc/hosts", "one\n"));
    EXPECT_EQ(slurp(tmp.path() + "/etc/hosts"), "one\n");
    ASSERT_TRUE(write_zone_file(tmp.path(), "etc/hosts", "two\n"));
    EXPECT_EQ(slurp(tmp.path() + "/etc/hosts"), "two\n");
    ASSERT_TRUE(write_zone_file(tmp.path(), "a/b/c", "deep", 0600));
    struct stat st;
    ASSERT_EQ(::stat((tmp.path() + "/a/b/c").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    ASSERT_EQ(::stat((tmp.path() + "/a/b").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_FALSE(write_zone_file(tmp.path(), "../escape", "x"));
    EXPECT_FALSE(write_zone_file(tmp.path(), "/etc/hosts", "x"));
    EXPECT_FALSE(write_zone_file(tmp.path(), "", "x"));
}

TEST(ZoneFiles_Write, ReplacesASymlinkedFileInsteadOfFollowingIt) {
    TempDir tmp;
    std::string root = tmp.path() + "/root", outside = tmp.path() + "/outside-hosts";
    ASSERT_TRUE(fs::mkdir_p(root + "/etc"));
    ASSERT_TRUE(fs::write_file_atomic(outside, "host secret\n"));
    ASSERT_EQ(::symlink(outside.c_str(), (root + "/etc/hosts").c_str()), 0);
    auto r = write_zone_file(root, "etc/hosts", "zone hosts\n");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(slurp(outside), "host secret\n");
    EXPECT_FALSE(is_symlink(root + "/etc/hosts"));
    EXPECT_EQ(slurp(root + "/etc/hosts"), "zone hosts\n");
}

TEST(ZoneFiles_Write, RefusesASymlinkedDirectory) {
    TempDir tmp;
    std::string root = tmp.path() + "/root", outside = tmp.path() + "/outside-etc";
    ASSERT_TRUE(fs::mkdir_p(root));
    ASSERT_TRUE(fs::mkdir_p(outside));
    ASSERT_EQ(::symlink(outside.c_str(), (root + "/etc").c_str()), 0);
    auto r = write_zone_file(root, "etc/hosts", "zone hosts\n");
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message(), HasSubstr("symbolic link"));
    EXPECT_FALSE(fs::exists(outside + "/hosts"));
    // A relative link that would stay inside the root is refused all the same.
    ASSERT_TRUE(fs::mkdir_p(root + "/real-etc"));
    ASSERT_EQ(::unlink((root + "/etc").c_str()), 0);
    ASSERT_EQ(::symlink("real-etc", (root + "/etc").c_str()), 0);
    EXPECT_FALSE(write_zone_file(root, "etc/hosts", "x"));
    EXPECT_FALSE(fs::exists(root + "/real-etc/hosts"));
}

} // namespace
} // namespace zone::net

// ---- zoned's config: the network keys ---------------------------------------------

namespace zone {
namespace {

using ::testing::HasSubstr;

TEST(DaemonConfig_Network, DefaultsWhenAbsent) {
    auto c = parse_daemon_config("admin-group = x\n", "f");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->network.bridge, "zbr0");
    EXPECT_EQ(c->network.subnet, "10.88.0.0/16");
    EXPECT_TRUE(c->network.nat);
    EXPECT_FALSE(c->network.isolate);
    EXPECT_EQ(c->network.nft_table, "zoned");
    EXPECT_TRUE(c->network.dns.empty());
}

TEST(DaemonConfig_Network, AllKeys) {
    auto c = parse_daemon_config("bridge = zbr-test.1\n"
                                 "subnet = 10.99.3.1/24   # the gateway's network\n"
                                 "nat = no\n"
                                 "isolate = yes\n"
                                 "nft-table = zoned_test-2\n"
                                 "dns = 1.1.1.1, 9.9.9.9\n",
                                 "zoned.conf");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->network.bridge, "zbr-test.1");
    EXPECT_EQ(c->network.subnet, "10.99.3.0/24"); // normalized to the network
    EXPECT_FALSE(c->network.nat);
    EXPECT_TRUE(c->network.isolate);
    EXPECT_EQ(c->network.nft_table, "zoned_test-2");
    EXPECT_EQ(c->network.dns, (std::vector<std::string>{"1.1.1.1", "9.9.9.9"}));
    auto t = parse_daemon_config("nat = true\nisolate = false\ndns =\n", "f");
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->network.nat);
    EXPECT_FALSE(t->network.isolate);
    EXPECT_TRUE(t->network.dns.empty());
}

TEST(DaemonConfig_Network, ErrorsNameFileAndLine) {
    auto expect_error = [](const std::string& line, const std::string& needle) {
        auto c = parse_daemon_config("# first\n" + line + "\n", "zoned.conf");
        ASSERT_FALSE(c) << line;
        EXPECT_EQ(c.error().code, "EINVAL");
        EXPECT_THAT(c.error().message(), HasSubstr("zoned.conf:2: ")) << line;
        EXPECT_THAT(c.error().message(), HasSubstr(needle)) << line;
    };
    expect_error("bridge = a-very-long-bridge0", "not an interface name");
    expect_error("bridge =", "not an interface name");
    expect_error("bridge = br/0", "not an interface name");
    expect_error("bridge = br\"0", "not an interface name");
    expect_error("subnet = 10.0.0.300/24",
                 "'10.0.0.300/24' is not an IPv4 address with a prefix length");
    expect_error("subnet = 10.0.0.0/31", "8..30");
    expect_error("subnet = 10.0.0.0/7", "8..30");
    expect_error("subnet = 127.0.0.0/8", "unicast");
    expect_error("nat = maybe", "true, false, yes, no");
    expect_error("isolate = 1", "true, false, yes, no");
    expect_error("nft-table = bad;name", "not a table name");
    expect_error("nft-table = 1zoned", "starting with a letter or _");
    expect_error("nft-table = -zoned", "starting with a letter or _");
    expect_error("nft-table = " + std::string(33, 'x'), "not a table name");
    expect_error("dns = 1.1.1.1, localhost", "'localhost' is not an IPv4 address");
    expect_error("dns = 1.1.1.1,,8.8.8.8", "is not an IPv4 address");
}

} // namespace
} // namespace zone
