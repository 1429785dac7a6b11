// Networking with real zones: addresses, TCP between host, zones and the
// gateway, isolation, leases, port forwards, cleanup, two daemons side by
// side. All traffic stays on this machine: the host, its test bridges and
// the zones' namespaces.
#include <arpa/inet.h>
#include <map>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "integration/harness.hpp"

namespace zt {
namespace {

// Connects to addr:port and returns what the peer sends until it closes;
// "" when the connection fails.
std::string fetch(const std::string& addr, int port, int timeout_ms = 2000) {
    zone::UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) != 1) return "";
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 && errno != EINPROGRESS)
        return "";
    pollfd p{s.get(), POLLOUT, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return "";
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return "";
    std::string out;
    char buf[512];
    for (;;) {
        pollfd r{s.get(), POLLIN, 0};
        if (::poll(&r, 1, timeout_ms) != 1) break;
        ssize_t n = ::read(s.get(), buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

// A one-shot TCP server on addr:port in a thread; answers `reply`.
class OneShotServer {
  public:
    OneShotServer(const std::string& addr, int port, std::string reply) : reply_(std::move(reply)) {
        fd_ = zone::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        int one = 1;
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
        ok_ = ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 && ::listen(fd_.get(), 4) == 0;
        if (ok_)
            thread_ = std::thread([this] {
                pollfd p{fd_.get(), POLLIN, 0};
                if (::poll(&p, 1, 10000) != 1) return;
                zone::UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
                if (c) (void)!::write(c.get(), reply_.data(), reply_.size());
            });
    }
    ~OneShotServer() {
        if (thread_.joinable()) {
            ::shutdown(fd_.get(), SHUT_RDWR);
            thread_.join();
        }
    }
    bool ok() const { return ok_; }

  private:
    zone::UniqueFd fd_;
    std::string reply_;
    bool ok_ = false;
    std::thread thread_;
};

std::string zone_address(const TestDaemon& d, const std::string& zone) {
    auto r = d.zlogin(zone, "ip -4 -o addr show eth0");
    auto pos = r.out.find("inet ");
    if (pos == std::string::npos) return "";
    auto start = pos + 5;
    return r.out.substr(start, r.out.find('/', start) - start);
}

// Starts a TCP server in the zone answering `reply` to every connection,
// and waits until it answers from the host.
::testing::AssertionResult serve_in_zone(const TestDaemon& d, const std::string& zone,
                                         const std::string& addr, const std::string& reply) {
    auto r = d.zlogin(zone, "nc -ll -p 8080 -e echo " + reply + " </dev/null >/dev/null 2>&1 &");
    if (r.status != 0) return ::testing::AssertionFailure() << r;
    if (!wait_for([&] { return fetch(addr, 8080, 500) == reply + "\n"; }, 5000))
        return ::testing::AssertionFailure() << "no answer from " << zone << " at " << addr << ":8080";
    return ::testing::AssertionSuccess();
}

std::vector<std::string> veths_on(const std::string& bridge) {
    auto r = run_command({"/sbin/ip", "-o", "link", "show", "master", bridge}, environment_with({}));
    std::vector<std::string> out;
    for (const auto& l : split_lines(r.out))
        if (!l.empty()) out.push_back(l);
    return out;
}

TEST(Network, TwoZonesDistinctAddressesAndTcpEveryWay) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("n1", "add net; end"));
    ASSERT_TRUE(d.boot_new_zone("n2", "add net; end"));
    std::string a1 = zone_address(d, "n1"), a2 = zone_address(d, "n2");
    ASSERT_FALSE(a1.empty());
    ASSERT_FALSE(a2.empty());
    EXPECT_NE(a1, a2);
    EXPECT_EQ(a1.rfind(d.subnet_prefix(), 0), 0U) << a1;
    EXPECT_EQ(d.zlogin("n1", "ip route | grep default").out.find("via " + d.gateway()), 8U);
    // /etc/hosts names the zone and the gateway.
    auto hosts = d.zlogin("n1", "cat /etc/hosts").out;
    EXPECT_NE(hosts.find(a1 + "\tn1"), std::string::npos) << hosts;
    EXPECT_NE(hosts.find(d.gateway() + "\tgateway"), std::string::npos) << hosts;

    // host -> zone
    ASSERT_TRUE(serve_in_zone(d, "n1", a1, "from-n1"));
    // zone -> zone
    auto zz = d.zlogin("n2", "nc -w 3 " + a1 + " 8080 </dev/null");
    EXPECT_EQ(zz.out, "from-n1\n") << zz;
    // zone -> gateway (the host)
    OneShotServer host(d.gateway(), 18765, "from-host\n");
    ASSERT_TRUE(host.ok());
    auto zg = d.zlogin("n2", "nc -w 3 " + d.gateway() + " 18765 </dev/null");
    EXPECT_EQ(zg.out, "from-host\n") << zg;
    // zoneadm list -v shows the addresses.
    auto v = d.zoneadm({"list", "-v"});
    EXPECT_NE(v.out.find(a1 + "/24"), std::string::npos) << v.out;
}

TEST(Network, IsolationRefusesZoneToZoneButNotZoneToHost) {
    ZT_REQUIRE_ROOT();
    TestDaemon d("isolate = yes");
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("i1", "add net; end"));
    ASSERT_TRUE(d.boot_new_zone("i2", "add net; end"));
    std::string a1 = zone_address(d, "i1");
    ASSERT_TRUE(serve_in_zone(d, "i1", a1, "from-i1"));  // the host still reaches it
    auto zz = d.zlogin("i2", "nc -w 2 " + a1 + " 8080 </dev/null");
    EXPECT_EQ(zz.out, "") << zz;
    EXPECT_NE(zz.status, 0) << zz;
    OneShotServer host(d.gateway(), 18766, "from-host\n");
    ASSERT_TRUE(host.ok());
    EXPECT_EQ(d.zlogin("i2", "nc -w 3 " + d.gateway() + " 18766 </dev/null").out, "from-host\n");
}

TEST(Network, StaticAddressHeldByAnotherZoneIsRefused) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("first", "add net; end"));
    std::string a = zone_address(d, "first");
    ASSERT_FALSE(a.empty());
    ASSERT_TRUE(d.configure("second", "add net; set address=" + a + "/24; end"));
    ASSERT_TRUE(d.adm("second", "install"));
    auto b = d.zoneadm({"-z", "second", "boot"});
    EXPECT_NE(b.status, 0);
    EXPECT_NE(b.err.find("already leased to zone 'first'"), std::string::npos) << b;
    EXPECT_EQ(d.state("second"), "installed");
    // A free static address works.
    ASSERT_TRUE(d.configure("third", "add net; set address=" + d.subnet_prefix() + "200/24; end"));
    ASSERT_TRUE(d.adm("third", "install"));
    ASSERT_TRUE(d.adm("third", "boot"));
    EXPECT_EQ(zone_address(d, "third"), d.subnet_prefix() + "200");
}

TEST(Network, LeasesSurviveRebootAndRestartOfZoned) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("a", "add net; end"));
    ASSERT_TRUE(d.boot_new_zone("b", "add net; end"));
    std::string before = zone_address(d, "b");
    ASSERT_TRUE(d.adm("b", "halt"));
    ASSERT_TRUE(d.adm("a", "halt"));
    ASSERT_TRUE(d.restart(SIGKILL));
    ASSERT_TRUE(d.adm("b", "boot"));  // b first: it must still get its own address
    EXPECT_EQ(zone_address(d, "b"), before);
    ASSERT_TRUE(d.restart(SIGTERM));   // with b running: its forwards and network stay
    EXPECT_EQ(zone_address(d, "b"), before);
    EXPECT_EQ(d.state("b"), "running");
}

TEST(Network, PortForwardReachesTheZone) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("web", "add net; set forward=[18080:8080/tcp]; end"));
    std::string a = zone_address(d, "web");
    ASSERT_TRUE(serve_in_zone(d, "web", a, "from-web"));
    EXPECT_TRUE(wait_for([&] { return fetch(d.gateway(), 18080, 500) == "from-web\n"; }, 3000));
    // The same host port for a second zone is refused while the first runs.
    ASSERT_TRUE(d.configure("web2", "add net; set forward=[18080:80/tcp]; end"));
    ASSERT_TRUE(d.adm("web2", "install"));
    auto b = d.zoneadm({"-z", "web2", "boot"});
    EXPECT_NE(b.status, 0);
    EXPECT_NE(b.err.find("already forwarded to zone 'web'"), std::string::npos) << b;
    // Halt removes the forward.
    ASSERT_TRUE(d.adm("web", "halt"));
    auto t = run_command({"/usr/sbin/nft", "list", "table", "ip", d.nft_table()}, environment_with({}));
    EXPECT_EQ(t.out.find("dport 18080"), std::string::npos) << t.out;
}

TEST(Network, HaltAndUninstallLeaveNothing) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("gone", "add net; set forward=[18081:80/tcp]; end"));
    EXPECT_EQ(veths_on(d.bridge()).size(), 1U);
    ASSERT_TRUE(d.adm("gone", "halt"));
    EXPECT_TRUE(wait_for([&] { return veths_on(d.bridge()).empty(); }, 3000));
    ASSERT_TRUE(d.adm("gone", "uninstall"));
    std::string leases = read_text(d.root() + "/network/leases.json");
    EXPECT_EQ(leases.find("\"gone\""), std::string::npos) << leases;
    auto t = run_command({"/usr/sbin/nft", "list", "table", "ip", d.nft_table()}, environment_with({}));
    EXPECT_EQ(t.out.find("dnat"), std::string::npos) << t.out;
    auto routes = run_command({"/sbin/ip", "-o", "route", "show", "dev", d.bridge()}, environment_with({}));
    EXPECT_EQ(routes.out.find(d.subnet_prefix() + "2 "), std::string::npos) << routes.out;
    // zoned stopping with no zone running removes the bridge and its table.
    d.stop(SIGTERM);
    EXPECT_NE(::access(("/sys/class/net/" + d.bridge()).c_str(), F_OK), 0);
    EXPECT_NE(run_command({"/usr/sbin/nft", "list", "table", "ip", d.nft_table()}, environment_with({})).status, 0);
}

TEST(Network, TwoDaemonsSideBySide) {
    ZT_REQUIRE_ROOT();
    TestDaemon d1, d2;
    ASSERT_TRUE(d1.started());
    ASSERT_TRUE(d2.started());
    ASSERT_NE(d1.bridge(), d2.bridge());
    ASSERT_NE(d1.subnet_prefix(), d2.subnet_prefix());
    ASSERT_TRUE(d1.boot_new_zone("same", "add net; end"));
    ASSERT_TRUE(d2.boot_new_zone("same", "add net; end"));
    std::string a1 = zone_address(d1, "same"), a2 = zone_address(d2, "same");
    EXPECT_EQ(a1.rfind(d1.subnet_prefix(), 0), 0U) << a1;
    EXPECT_EQ(a2.rfind(d2.subnet_prefix(), 0), 0U) << a2;
    ASSERT_TRUE(serve_in_zone(d1, "same", a1, "from-d1"));
    ASSERT_TRUE(serve_in_zone(d2, "same", a2, "from-d2"));
    EXPECT_EQ(veths_on(d1.bridge()).size(), 1U);
    EXPECT_EQ(veths_on(d2.bridge()).size(), 1U);
}

TEST(Network, SharedAndNoneIpTypes) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("shared", "set ip-type=shared"));
    ASSERT_TRUE(d.boot_new_zone("none", "set ip-type=none"));
    // shared: the host's stack (it sees the host's interfaces, e.g. the bridge-less host lo + more).
    auto host_ns = read_text("/proc/self/ns/net");
    auto links = d.zlogin("shared", "ip -o link | wc -l").out;
    auto own = d.zlogin("none", "ip -o link").out;
    EXPECT_EQ(split_lines(trim(own)).size(), 1U) << own;  // loopback only
    EXPECT_NE(trim(links), "1");
    EXPECT_TRUE(veths_on(d.bridge()).empty());
}

} // namespace
} // namespace zt

namespace zt {
namespace {

TEST(Network, ZonestatCountsTheZonesTraffic) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.boot_new_zone("talker", "add net; end"));
    ASSERT_TRUE(d.boot_new_zone("quiet"));
    ASSERT_EQ(d.zlogin("talker", "ping -c 3 -i 0.2 -W 1 " + d.gateway() + " >/dev/null").status, 0);
    auto r = d.run("zonestat", {"-o", "json"});
    ASSERT_EQ(r.status, 0) << r;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    std::map<std::string, nlohmann::json> by;
    for (const auto& z : j["zones"]) by[z.value("zone", "")] = z;
    ASSERT_TRUE(by.count("talker") && by.count("quiet") && by.count("[total]")) << r.out;
    EXPECT_GE(by["talker"].value("tx_bytes", 0.0), 3 * 84.0) << r.out;  // three echo requests
    EXPECT_GE(by["talker"].value("rx_bytes", 0.0), 3 * 84.0) << r.out;
    EXPECT_EQ(by["quiet"].value("tx_bytes", -1.0), 0.0) << r.out;       // loopback only
    EXPECT_GE(by["talker"].value("procs", 0), 1);
    // Parseable form and a zone filter.
    auto p = d.run("zonestat", {"-p", "-z", "talker"});
    ASSERT_EQ(p.status, 0) << p;
    EXPECT_EQ(p.out.rfind("talker:", 0), 0U) << p.out;
    EXPECT_EQ(p.out.find("quiet"), std::string::npos) << p.out;
}

} // namespace
} // namespace zt
