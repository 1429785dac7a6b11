// Issue "foundation": zoned and the zonecfg/zoneadm front ends against a real
// daemon (root): configurations, listings, restarts, many clients, malformed
// requests, a missing daemon, and a crash in the middle of commits.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <gtest/gtest.h>
#include <latch>
#include <map>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <vector>

#include "harness.hpp"

using namespace zt;
using nlohmann::json;

namespace {

// A zone with one of everything that does not need the network to exist.
const char* kFullConfig = "create; set image=base; set hostname=full-host; set cpu-shares=50; "
                          "set max-processes=300; add capped-memory; set physical=512M; end; "
                          "add fs; set dir=/data; set special=/srv/data; set type=lofs; "
                          "set options=[ro,nosuid]; end; "
                          "add attr; set name=comment; set type=string; set value=\"two words\"; "
                          "end; add net; set address=10.1.2.3/24; end; commit";

std::vector<std::string> names_of(const std::string& out) {
    std::vector<std::string> v;
    for (const auto& l : split_lines(out))
        if (!trim(l).empty()) v.push_back(trim(l));
    return v;
}

std::set<std::string> listed(const TestDaemon& d) {
    std::set<std::string> s;
    for (const auto& r : parse_list_p(d.zoneadm({"list", "-cp"}).out))
        s.insert(r.name);
    return s;
}

bool looks_like_uuid(const std::string& s) {
    static const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
    return std::regex_match(s, re);
}

// A raw connection to the API socket: bytes in, lines out.
class RawConn {
  public:
    explicit RawConn(const std::string& path) {
        fd_ = zone::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) fd_.reset();
    }
    bool ok() const { return fd_.valid(); }
    bool send(const std::string& bytes) {
        size_t done = 0;
        while (done < bytes.size()) {
            ssize_t n = ::send(fd_.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += static_cast<size_t>(n);
        }
        return true;
    }
    // One answer line parsed as JSON; null on timeout, EOF or bad JSON.
    json answer(int timeout_ms = 5000) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            if (auto nl = buf_.find('\n'); nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                last_line_ = line;
                return json::parse(line, nullptr, false);
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return json();
            pollfd p{fd_.get(), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char b[65536];
            ssize_t n = ::recv(fd_.get(), b, sizeof b, 0);
            if (n <= 0) return json();
            buf_.append(b, static_cast<size_t>(n));
        }
    }
    const std::string& last_line() const { return last_line_; }
    void close() { fd_.reset(); }

  private:
    zone::UniqueFd fd_;
    std::string buf_, last_line_;
};

// {"id":...,"error":{"code":CODE,"message":"..."}} and nothing else.
::testing::AssertionResult is_error(const json& a, const std::string& code) {
    if (!a.is_object()) return ::testing::AssertionFailure() << "answer is not a JSON object";
    if (!a.contains("id")) return ::testing::AssertionFailure() << "answer has no id: " << a;
    if (a.contains("result")) return ::testing::AssertionFailure() << "answer has a result: " << a;
    auto e = a.find("error");
    if (e == a.end() || !e->is_object())
        return ::testing::AssertionFailure() << "answer has no error object: " << a;
    if (!e->contains("code") || !(*e)["code"].is_string() || !e->contains("message") ||
        !(*e)["message"].is_string() || (*e)["message"].get<std::string>().empty())
        return ::testing::AssertionFailure() << "error lacks a code or message: " << a;
    if ((*e)["code"] != code)
        return ::testing::AssertionFailure() << "code " << (*e)["code"] << ", wanted " << code;
    return ::testing::AssertionSuccess();
}

std::string ping(long id) {
    return json{{"id", id}, {"method", "daemon.ping"}, {"params", json::object()}}.dump() + "\n";
}

} // namespace

TEST(ZonecfgCli, ExportThenImportGivesTheSameConfig) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    auto made = d.zonecfg("orig", kFullConfig);
    ASSERT_EQ(made.status, 0) << made;

    auto exp = d.run("zonecfg", {"-z", "orig", "export"});
    ASSERT_EQ(exp.status, 0) << exp;
    EXPECT_EQ(exp.out.rfind("create -b\n", 0), 0u) << exp.out;
    for (const char* want : {"set hostname=full-host", "set cpu-shares=50", "add capped-memory",
                             "set physical=512M", "set dir=/data", "set options=[ro,nosuid]",
                             "set value=\"two words\"", "set address=10.1.2.3/24"})
        EXPECT_NE(exp.out.find(want), std::string::npos) << want << " not in\n" << exp.out;

    // -f FILE into a second zone, then -f - (stdin) into a third.
    std::string file = d.dir() + "/orig.zonecfg";
    ASSERT_TRUE(write_text(file, exp.out));
    auto imp = d.run("zonecfg", {"-z", "copy", "-f", file});
    ASSERT_EQ(imp.status, 0) << imp;
    auto imp2 = d.run("zonecfg", {"-z", "copy2", "-f", "-"}, exp.out);
    ASSERT_EQ(imp2.status, 0) << imp2;
    for (const char* z : {"copy", "copy2"}) {
        auto again = d.run("zonecfg", {"-z", z, "export"});
        ASSERT_EQ(again.status, 0) << again;
        EXPECT_EQ(again.out, exp.out) << z;
    }
    // export -f FILE writes the same text.
    std::string out_file = d.dir() + "/export-f.zonecfg";
    auto to_file = d.zonecfg("orig", "export -f " + out_file);
    ASSERT_EQ(to_file.status, 0) << to_file;
    EXPECT_EQ(read_text(out_file), exp.out);

    // Each zone has its own uuid.
    std::set<std::string> uuids;
    for (const auto& r : parse_list_p(d.zoneadm({"list", "-cp"}).out)) {
        if (r.name == "global") continue;
        EXPECT_TRUE(looks_like_uuid(r.uuid)) << r.name << ": '" << r.uuid << "'";
        uuids.insert(r.uuid);
    }
    EXPECT_EQ(uuids.size(), 3u);
}

TEST(ZoneadmList, EveryFormShowsTheRightZones) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("cfgonly"));
    ASSERT_TRUE(d.configure("inst"));
    ASSERT_TRUE(d.adm("inst", "install"));
    ASSERT_TRUE(d.boot_new_zone("run"));

    auto plain = d.zoneadm({"list"});
    ASSERT_EQ(plain.status, 0) << plain;
    EXPECT_EQ(names_of(plain.out), (std::vector<std::string>{"global", "run"}));

    auto c = d.zoneadm({"list", "-c"});
    ASSERT_EQ(c.status, 0) << c;
    auto cn = names_of(c.out);
    ASSERT_FALSE(cn.empty());
    EXPECT_EQ(cn.front(), "global");
    EXPECT_EQ(std::set<std::string>(cn.begin(), cn.end()),
              (std::set<std::string>{"global", "cfgonly", "inst", "run"}));
    EXPECT_EQ(cn.size(), 4u);

    auto i = d.zoneadm({"list", "-i"});
    ASSERT_EQ(i.status, 0) << i;
    auto in = names_of(i.out);
    ASSERT_FALSE(in.empty());
    EXPECT_EQ(in.front(), "global");
    EXPECT_EQ(std::set<std::string>(in.begin(), in.end()),
              (std::set<std::string>{"global", "inst", "run"}));

    // -p: zoneid:zonename:state:zonepath:uuid:brand:ip-type, global first.
    auto p = d.zoneadm({"list", "-cp"});
    ASSERT_EQ(p.status, 0) << p;
    auto rows = parse_list_p(p.out);
    ASSERT_EQ(rows.size(), 4u) << p.out;
    EXPECT_EQ(split_lines(p.out).front(), "0:global:running:/::native:shared");
    std::map<std::string, ListRow> by;
    for (const auto& r : rows)
        by[r.name] = r;
    EXPECT_EQ(by["cfgonly"].state, "configured");
    EXPECT_EQ(by["cfgonly"].id, "-");
    EXPECT_EQ(by["inst"].state, "installed");
    EXPECT_EQ(by["inst"].id, "-");
    EXPECT_EQ(by["run"].state, "running");
    EXPECT_GE(std::atoi(by["run"].id.c_str()), 1) << by["run"].id;
    for (const char* z : {"cfgonly", "inst", "run"}) {
        EXPECT_EQ(by[z].path, d.zone_dir(z));
        EXPECT_TRUE(looks_like_uuid(by[z].uuid)) << by[z].uuid;
        EXPECT_EQ(by[z].brand, "native");
        EXPECT_EQ(by[z].ip_type, "excl");
    }
    auto running_only = parse_list_p(d.zoneadm({"list", "-p"}).out);
    ASSERT_EQ(running_only.size(), 2u);
    EXPECT_EQ(running_only[0].name, "global");
    EXPECT_EQ(running_only[1].name, "run");
    EXPECT_EQ(running_only[1].uuid, by["run"].uuid);
    EXPECT_EQ(parse_list_p(d.zoneadm({"list", "-ip"}).out).size(), 3u);
    // Flags apart or together mean the same.
    EXPECT_EQ(d.zoneadm({"list", "-c", "-p"}).out, p.out);

    // -v: a header, then one row per zone with its state, path, brand, IP type and image.
    auto v = d.zoneadm({"list", "-cv"});
    ASSERT_EQ(v.status, 0) << v;
    auto lines = split_lines(v.out);
    ASSERT_EQ(lines.size(), 5u) << v.out;
    for (const char* col : {"ID", "NAME", "STATUS", "PATH", "BRAND", "IP"})
        EXPECT_NE(lines[0].find(col), std::string::npos) << col << " in " << lines[0];
    auto words = [](const std::string& l) {
        std::istringstream ws(l);
        std::vector<std::string> w;
        for (std::string s; ws >> s;)
            w.push_back(s);
        return w;
    };
    auto g = words(lines[1]);
    ASSERT_GE(g.size(), 4u);
    EXPECT_EQ(std::vector<std::string>(g.begin(), g.begin() + 4),
              (std::vector<std::string>{"0", "global", "running", "/"}));
    for (size_t k = 2; k < lines.size(); ++k) {
        auto w = words(lines[k]);
        ASSERT_GE(w.size(), 6u) << lines[k];
        const ListRow& r = by[w[1]];
        EXPECT_EQ(w[0], r.id) << lines[k];
        EXPECT_EQ(w[2], r.state) << lines[k];
        EXPECT_EQ(w[3], r.path) << lines[k];
        EXPECT_EQ(w[4], "native") << lines[k];
        EXPECT_EQ(w[5], "excl") << lines[k];
        if (w[1] == "run") {
            EXPECT_NE(lines[k].find("base@1"), std::string::npos) << lines[k];
        }
    }
    auto v_running = split_lines(d.zoneadm({"list", "-v"}).out);
    EXPECT_EQ(v_running.size(), 3u); // header, global, run

    auto bad = d.zoneadm({"list", "-x"});
    EXPECT_EQ(bad.status, 2) << bad;
}

TEST(ZonecfgCli, DeleteRemovesTheZone) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_TRUE(d.configure("gone"));
    ASSERT_TRUE(d.configure("kept"));
    ASSERT_TRUE(d.configure("inst"));
    ASSERT_TRUE(d.adm("inst", "install"));
    std::string old_uuid = d.row("gone").uuid;
    struct stat st {};
    ASSERT_EQ(::stat(d.zone_dir("gone").c_str(), &st), 0);

    // Without -F and without a terminal to ask on: refused, nothing deleted.
    auto unasked = d.zonecfg("gone", "delete");
    EXPECT_EQ(unasked.status, 2) << unasked;
    EXPECT_NE(unasked.err.find("delete -F"), std::string::npos) << unasked;
    EXPECT_TRUE(listed(d).count("gone"));

    auto del = d.run("zonecfg", {"-z", "gone", "delete", "-F"});
    ASSERT_EQ(del.status, 0) << del;
    EXPECT_EQ(listed(d), (std::set<std::string>{"global", "kept", "inst"}));
    EXPECT_NE(::stat(d.zone_dir("gone").c_str(), &st), 0) << d.zone_dir("gone") << " still exists";
    auto exp = d.run("zonecfg", {"-z", "gone", "export"});
    EXPECT_EQ(exp.status, 2) << exp;
    EXPECT_NE(exp.err.find("does not exist"), std::string::npos) << exp;

    // An installed zone is refused, with the way out.
    auto busy = d.run("zonecfg", {"-z", "inst", "delete", "-F"});
    EXPECT_EQ(busy.status, 1) << busy;
    EXPECT_NE(busy.err.find("uninstall"), std::string::npos) << busy;
    EXPECT_EQ(d.state("inst"), "installed");

    // Gone for good across a restart; the name can be used again, with a new uuid.
    ASSERT_TRUE(d.restart(SIGTERM));
    EXPECT_EQ(listed(d), (std::set<std::string>{"global", "kept", "inst"}));
    ASSERT_TRUE(d.configure("gone"));
    EXPECT_TRUE(looks_like_uuid(d.row("gone").uuid));
    EXPECT_NE(d.row("gone").uuid, old_uuid);
}

TEST(DaemonRestart, KeepsEveryConfigAndUuid) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.ensure_image());
    ASSERT_EQ(d.zonecfg("full", kFullConfig).status, 0);
    ASSERT_TRUE(d.configure("small", "set hostname=small-one"));
    ASSERT_TRUE(d.configure("inst", "set max-processes=64"));
    ASSERT_TRUE(d.adm("inst", "install"));

    auto snapshot = [&] {
        std::map<std::string, std::string> s;
        s["list"] = d.zoneadm({"list", "-cp"}).out;
        for (const char* z : {"full", "small", "inst"}) {
            auto e = d.run("zonecfg", {"-z", z, "export"});
            s[z] = e.status == 0 ? e.out : "export failed: " + e.err;
        }
        return s;
    };
    auto before = snapshot();
    ASSERT_EQ(parse_list_p(before["list"]).size(), 4u) << before["list"];
    for (int sig : {SIGTERM, SIGKILL}) {
        pid_t old_pid = d.pid();
        ASSERT_TRUE(d.restart(sig)) << "signal " << sig;
        EXPECT_NE(d.pid(), old_pid);
        auto after = snapshot();
        for (const auto& [k, v] : before)
            EXPECT_EQ(after[k], v) << k << " after a restart by signal " << sig;
    }
}

TEST(DaemonClients, TwentyAtOnceAreAllServed) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    constexpr int kClients = 20;

    // Twenty raw connections open together, each answered.
    std::vector<std::unique_ptr<RawConn>> conns;
    for (int i = 0; i < kClients; ++i) {
        conns.push_back(std::make_unique<RawConn>(d.socket()));
        ASSERT_TRUE(conns.back()->ok()) << "connection " << i;
    }
    for (int i = 0; i < kClients; ++i)
        ASSERT_TRUE(conns[i]->send(ping(1000 + i)));
    for (int i = 0; i < kClients; ++i) {
        json a = conns[i]->answer();
        EXPECT_TRUE(a.is_object() && a.contains("result") && a["id"] == 1000 + i)
            << "connection " << i << ": " << conns[i]->last_line();
    }

    // Twenty zonecfg/zoneadm clients released at the same moment.
    std::latch go(kClients);
    std::vector<std::string> failures(kClients);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i)
        threads.emplace_back([&, i] {
            std::string z = "c" + std::to_string(i);
            go.arrive_and_wait();
            auto made = d.zonecfg(z, "create; set image=base; set hostname=h" + std::to_string(i) +
                                         "; commit");
            auto list = d.zoneadm({"list", "-c"});
            auto exp = d.run("zonecfg", {"-z", z, "export"});
            std::ostringstream why;
            if (made.status != 0) why << "zonecfg create: " << made << "\n";
            if (list.status != 0) why << "zoneadm list: " << list << "\n";
            if (exp.status != 0 ||
                exp.out.find("set hostname=h" + std::to_string(i) + "\n") == std::string::npos)
                why << "zonecfg export: " << exp << "\n";
            failures[i] = why.str();
        });
    for (auto& t : threads)
        t.join();
    for (int i = 0; i < kClients; ++i)
        EXPECT_EQ(failures[i], "") << "client " << i;
    auto rows = parse_list_p(d.zoneadm({"list", "-cp"}).out);
    EXPECT_EQ(rows.size(), static_cast<size_t>(kClients) + 1);
    std::set<std::string> uuids;
    for (const auto& r : rows)
        if (r.name != "global") uuids.insert(r.uuid);
    EXPECT_EQ(uuids.size(), static_cast<size_t>(kClients));
    EXPECT_TRUE(d.running());
}

TEST(DaemonProtocol, MalformedRequestsGetStructuredErrors) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    RawConn a(d.socket());
    ASSERT_TRUE(a.ok());
    struct Case {
        std::string line, code;
        json id; // echoed when the request had a readable one
    } cases[] = {
        {"this is not json", "PARSE_ERROR", nullptr},
        {"{\"id\":1,\"method\":", "PARSE_ERROR", nullptr},
        {"[1,2,3]", "INVALID_REQUEST", nullptr},
        {"\"a string\"", "INVALID_REQUEST", nullptr},
        {"{\"id\":3,\"params\":{}}", "INVALID_REQUEST", nullptr},
        {"{\"id\":4,\"method\":\"no.such.method\",\"params\":{}}", "UNKNOWN_METHOD", 4},
        {"{\"id\":\"five\",\"method\":\"no.such\"}", "UNKNOWN_METHOD", "five"},
        {"{\"id\":6,\"method\":\"daemon.ping\",\"params\":[1]}", "INVALID_REQUEST", nullptr},
        {"{\"id\":7,\"method\":\"zone.boot\",\"params\":{}}", "INVALID_PARAMS", 7},
    };
    long next = 100;
    for (const auto& c : cases) {
        ASSERT_TRUE(a.send(c.line + "\n"));
        json ans = a.answer();
        EXPECT_TRUE(is_error(ans, c.code)) << c.line << " -> " << a.last_line();
        if (!c.id.is_null()) {
            EXPECT_EQ(ans.value("id", json()), c.id) << c.line;
        }
        // The same connection goes on serving.
        ASSERT_TRUE(a.send(ping(next)));
        json p = a.answer();
        EXPECT_TRUE(p.is_object() && p.contains("result") && p["id"] == next)
            << "after " << c.line << ": " << a.last_line();
        ++next;
    }

    // A line over 1 MiB, sent in two halves; another client is served in between.
    std::string big = "{\"id\":9,\"method\":\"daemon.ping\",\"params\":{\"pad\":\"" +
                      std::string((1 << 20) + 200 * 1024, 'x') + "\"}}\n";
    ASSERT_TRUE(a.send(big.substr(0, 700 * 1024)));
    {
        RawConn b(d.socket());
        ASSERT_TRUE(b.ok());
        ASSERT_TRUE(b.send(ping(500)));
        json pb = b.answer();
        EXPECT_TRUE(pb.is_object() && pb.contains("result") && pb["id"] == 500) << b.last_line();
    }
    ASSERT_TRUE(a.send(big.substr(700 * 1024)));
    EXPECT_TRUE(is_error(a.answer(), "LINE_TOO_LONG")) << a.last_line().substr(0, 300);
    ASSERT_TRUE(a.send(ping(501)));
    json after = a.answer();
    EXPECT_TRUE(after.is_object() && after.contains("result") && after["id"] == 501)
        << a.last_line().substr(0, 300);

    // A client that goes away in the middle of a request changes nothing.
    {
        RawConn c(d.socket());
        ASSERT_TRUE(c.ok());
        c.send("{\"id\":1,\"meth");
        c.close();
    }
    EXPECT_TRUE(d.running());
    RawConn e(d.socket());
    ASSERT_TRUE(e.send(ping(600)));
    EXPECT_TRUE(e.answer().contains("result")) << e.last_line();
    auto list = d.zoneadm({"list"});
    EXPECT_EQ(list.status, 0) << list;
}

TEST(ZonecfgCli, BadLineExitsTwoNamingLineAndPropertyAndCommitsNothing) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    struct stat st {};

    std::string file = d.dir() + "/bad.zonecfg";
    ASSERT_TRUE(write_text(file, "create\nset image=base\nset nosuchprop=1\ncommit\n"));
    auto r = d.run("zonecfg", {"-z", "bad1", "-f", file});
    EXPECT_EQ(r.status, 2) << r;
    EXPECT_NE(r.err.find("line 3"), std::string::npos) << r;
    EXPECT_NE(r.err.find("nosuchprop"), std::string::npos) << r;

    auto in = d.run("zonecfg", {"-z", "bad2", "-f", "-"}, "create\nset cpu-shares=abc\ncommit\n");
    EXPECT_EQ(in.status, 2) << in;
    EXPECT_NE(in.err.find("line 2"), std::string::npos) << in;
    EXPECT_NE(in.err.find("cpu-shares"), std::string::npos) << in;

    auto args = d.zonecfg("bad3", "create; set image=base; set max-processes=lots; commit");
    EXPECT_EQ(args.status, 2) << args;
    EXPECT_NE(args.err.find("max-processes"), std::string::npos) << args;

    EXPECT_EQ(listed(d), (std::set<std::string>{"global"}));
    for (const char* z : {"bad1", "bad2", "bad3"})
        EXPECT_NE(::stat(d.zone_dir(z).c_str(), &st), 0) << d.zone_dir(z) << " exists";

    // An existing zone keeps its old configuration, the good lines before the
    // bad one included.
    ASSERT_TRUE(d.configure("keep", "set hostname=before"));
    auto baseline = d.run("zonecfg", {"-z", "keep", "export"});
    ASSERT_EQ(baseline.status, 0) << baseline;
    ASSERT_TRUE(write_text(file, "set hostname=after\nset cpu-shares=0\ncommit\n"));
    auto edit = d.run("zonecfg", {"-z", "keep", "-f", file});
    EXPECT_EQ(edit.status, 2) << edit;
    EXPECT_NE(edit.err.find("line 2"), std::string::npos) << edit;
    EXPECT_NE(edit.err.find("cpu-shares"), std::string::npos) << edit;
    EXPECT_EQ(d.run("zonecfg", {"-z", "keep", "export"}).out, baseline.out);
}

TEST(Zonectl, NoDaemonIsAPlainErrorWithStatus3) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    ASSERT_TRUE(d.configure("z"));
    auto check = [&](const RunResult& r, const std::string& tool, const std::string& what) {
        EXPECT_EQ(r.status, 3) << what << ": " << r;
        EXPECT_EQ(r.err.rfind(tool + ": zoned is not running", 0), 0u) << what << ": " << r;
        EXPECT_EQ(split_lines(r.err).size(), 1u) << what << ": " << r;
        EXPECT_EQ(r.err.find('{'), std::string::npos) << what << ": " << r;
        EXPECT_EQ(r.out, "") << what;
    };
    auto all = [&](const std::string& how) {
        check(d.zoneadm({"list"}), "zoneadm", how + " zoneadm list");
        check(d.zoneadm({"-z", "z", "boot"}), "zoneadm", how + " zoneadm boot");
        check(d.run("zonecfg", {"-z", "z", "export"}), "zonecfg", how + " zonecfg export");
        check(d.zonecfg("z", "set hostname=x; commit"), "zonecfg", how + " zonecfg set");
        check(d.zlogin("z", "true"), "zlogin", how + " zlogin");
        check(d.run("zlogin", {"-C", "z"}), "zlogin", how + " zlogin -C");
        check(d.run("zonectl", {"image", "list"}), "zonectl image", how + " image list");
    };
    // Killed: its socket file is left behind, and nobody listens on it.
    d.stop(SIGKILL);
    struct stat st {};
    ASSERT_EQ(::stat(d.socket().c_str(), &st), 0) << "SIGKILL should leave the socket file";
    all("stale socket:");
    // No socket file at all.
    ASSERT_EQ(::unlink(d.socket().c_str()), 0);
    all("no socket:");
    // Nothing was changed meanwhile.
    ASSERT_TRUE(d.start());
    EXPECT_EQ(d.run("zonecfg", {"-z", "z", "export"}).out.find("hostname=x"), std::string::npos);
}

TEST(DaemonCrash, SigkillDuringCommitsLeavesEachConfigOldOrNew) {
    ZT_REQUIRE_ROOT();
    TestDaemon d;
    ASSERT_TRUE(d.started());
    constexpr int kZones = 4, kThreads = 3, kRounds = 3;
    std::map<std::string, std::string> uuids;
    for (int i = 0; i < kZones; ++i) {
        std::string z = "k" + std::to_string(i);
        ASSERT_TRUE(d.configure(z, "set hostname=h0x0"));
        uuids[z] = d.row(z).uuid;
        ASSERT_TRUE(looks_like_uuid(uuids[z]));
    }
    std::mt19937 rng(std::random_device{}());
    const std::regex hostname_line("(^|\n)set hostname=h[0-9]+x[0-9]+\n");
    for (int round = 0; round < kRounds; ++round) {
        std::atomic<bool> stop{false};
        std::atomic<int> committed{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                for (int it = 1; !stop; ++it) {
                    std::string host =
                        "h" + std::to_string(t) + "x" + std::to_string(round * 100000 + it);
                    RunResult r;
                    if (it % 4 == 0) {
                        std::string z = "n" + std::to_string(round) + "t" + std::to_string(t) +
                                        "i" + std::to_string(it);
                        r = d.zonecfg(z,
                                      "create; set image=base; set hostname=" + host + "; commit");
                    } else {
                        std::string z = "k" + std::to_string((t + it) % kZones);
                        r = d.zonecfg(z, "set hostname=" + host + "; set cpu-shares=" +
                                             std::to_string(1 + it % 9000) + "; commit");
                    }
                    if (r.status == 0) ++committed;
                }
            });
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(200, 700)(rng)));
        d.stop(SIGKILL);
        stop = true;
        for (auto& t : threads)
            t.join();
        EXPECT_GT(committed.load(), 0) << "round " << round << ": no commit before the kill";

        // On disk: every config.json is whole JSON naming its own zone.
        std::set<std::string> on_disk{"global"};
        DIR* dir = ::opendir((d.root() + "/zones").c_str());
        ASSERT_NE(dir, nullptr);
        while (dirent* e = ::readdir(dir)) {
            if (e->d_name[0] == '.') continue;
            std::string text = read_text(d.zone_dir(e->d_name) + "/config.json");
            if (text.empty()) continue; // created, killed before its first config
            json j = json::parse(text, nullptr, false);
            EXPECT_TRUE(j.is_object()) << e->d_name << "/config.json:\n" << text;
            if (!j.is_object()) continue;
            EXPECT_EQ(j.value("name", ""), e->d_name);
            EXPECT_TRUE(looks_like_uuid(j.value("uuid", ""))) << text;
            on_disk.insert(e->d_name);
        }
        ::closedir(dir);

        ASSERT_TRUE(d.restart()) << "round " << round;
        EXPECT_EQ(listed(d), on_disk) << "round " << round;
        for (const auto& z : on_disk) {
            if (z == "global") continue;
            auto exp = d.run("zonecfg", {"-z", z, "export"});
            EXPECT_EQ(exp.status, 0) << z << ": " << exp;
            EXPECT_TRUE(std::regex_search(exp.out, hostname_line)) << z << ":\n" << exp.out;
        }
        for (const auto& [z, u] : uuids)
            EXPECT_EQ(d.row(z).uuid, u) << z << " changed its uuid in round " << round;
    }
}
