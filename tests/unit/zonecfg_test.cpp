// The zonecfg language: lexer, parser, quoting, and whole sessions against an
// in-memory backend (no daemon).
#include <gtest/gtest.h>
#include <map>
#include <sstream>

// zonectl's sources are not a library the unit tests link against; the pure
// parts of zonecfg are compiled into this test directly.
#include "zonectl/zonecfg_output.cpp"
#include "zonectl/zonecfg_parser.cpp"
#include "zonectl/zonecfg_session.cpp"

namespace zonectl::zonecfg {
namespace {

using zone::config::PropValue;
using zone::config::ZoneConfig;

PropValue S(std::string s) {
    return PropValue{false, std::move(s), {}};
}
PropValue L(std::vector<std::string> l) {
    return PropValue{true, {}, std::move(l)};
}

std::vector<std::string> texts(const RawCommand& c) {
    std::vector<std::string> out;
    for (const auto& w : c.words)
        out.push_back(w.text);
    return out;
}

Command parse(std::string_view line) {
    auto raws = lex_line(line, 1);
    EXPECT_TRUE(raws) << raws.error().message();
    EXPECT_EQ(raws->size(), 1U) << line;
    auto cmd = parse_command(raws->at(0));
    EXPECT_TRUE(cmd) << line << ": " << cmd.error().message();
    return cmd ? *cmd : Command{};
}

std::string parse_error(std::string_view line) {
    auto raws = lex_line(line, 1);
    if (!raws) return raws.error().message();
    for (const auto& raw : *raws) {
        auto cmd = parse_command(raw);
        if (!cmd) return cmd.error().message();
    }
    return "";
}

// ---- lexer --------------------------------------------------------------------------

TEST(Zonecfg, LexesWordsCommandsAndComments) {
    auto r = lex_line("  create -b; set autoboot=true ;;add net # comment; set x=1", 7);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 3U);
    EXPECT_EQ(texts((*r)[0]), (std::vector<std::string>{"create", "-b"}));
    EXPECT_EQ(texts((*r)[1]), (std::vector<std::string>{"set", "autoboot=true"}));
    EXPECT_EQ(texts((*r)[2]), (std::vector<std::string>{"add", "net"}));
    EXPECT_EQ((*r)[2].line, 7);
    EXPECT_TRUE(lex_line("   # only a comment", 1)->empty());
    EXPECT_TRUE(lex_line("", 1)->empty());
    auto hash = lex_line("set hostname=a#b", 1);
    EXPECT_EQ(hash->at(0).words[1].text, "hostname=a#b"); // '#' inside a word is literal
}

TEST(Zonecfg, LexesQuotes) {
    auto r = lex_line(R"(set special="/srv/my data; x" "" "a\"b\\c\d")", 1);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1U);
    const auto& w = r->at(0).words;
    ASSERT_EQ(w.size(), 4U);
    EXPECT_EQ(w[1].text, "special=/srv/my data; x");
    EXPECT_FALSE(w[1].quoted[7]); // the '=' is outside the quotes
    EXPECT_TRUE(w[1].quoted[8]);
    EXPECT_EQ(w[2].text, ""); // "" is an empty word, not nothing
    EXPECT_EQ(w[3].text, "a\"b\\c\\d");
}

TEST(Zonecfg, RejectsUnterminatedQuote) {
    auto r = lex_line("set hostname=\"web", 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kSyntax);
    EXPECT_NE(r.error().message().find("unterminated quoted string"), std::string::npos);
}

TEST(Zonecfg, KeepsListsWithSpacesTogether) {
    auto r = lex_line("set options=[ro, nodev , \"a b\"]", 1);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->at(0).words.size(), 2U);
    Command c = parse("set options=[ro, nodev , \"a b\"]");
    ASSERT_EQ(c.assignments.size(), 1U);
    EXPECT_EQ(c.assignments[0].value, L({"ro", "nodev", "a b"}));
}

// ---- parser -------------------------------------------------------------------------

TEST(Zonecfg, ParsesCommands) {
    Command c = parse("create -F -t default");
    EXPECT_EQ(c.verb, Verb::Create);
    EXPECT_TRUE(c.force);
    EXPECT_EQ(c.template_name, "default");
    EXPECT_TRUE(parse("create -Fb").blank);
    c = parse("set address=10.0.0.2/24");
    EXPECT_EQ(c.assignments, (std::vector<Assignment>{{"address", S("10.0.0.2/24")}}));
    c = parse("select fs dir=/data type=lofs");
    EXPECT_EQ(c.verb, Verb::Select);
    EXPECT_EQ(c.args, (std::vector<PropValue>{S("fs")}));
    EXPECT_EQ(c.assignments.size(), 2U);
    c = parse("remove -F net");
    EXPECT_TRUE(c.force);
    c = parse("add options [ro,nodev]");
    EXPECT_EQ(c.args, (std::vector<PropValue>{S("options"), L({"ro", "nodev"})}));
    c = parse("export -f /tmp/web.cfg");
    EXPECT_EQ(c.file, "/tmp/web.cfg");
    EXPECT_EQ(parse("?").verb, Verb::Help);
    EXPECT_EQ(parse("info net address=auto").assignments.size(), 1U);
}

TEST(Zonecfg, ParsesSpacedAssignmentsAndOddValues) {
    EXPECT_EQ(parse("set autoboot = true").assignments,
              (std::vector<Assignment>{{"autoboot", S("true")}}));
    EXPECT_EQ(parse("set autoboot= true").assignments,
              (std::vector<Assignment>{{"autoboot", S("true")}}));
    EXPECT_EQ(parse("set autoboot =true").assignments,
              (std::vector<Assignment>{{"autoboot", S("true")}}));
    EXPECT_EQ(parse("set value=(priv=privileged,limit=5,action=deny)").assignments[0].value,
              S("(priv=privileged,limit=5,action=deny)"));
    EXPECT_EQ(parse("set limitpriv=default,net_raw").assignments[0].value, S("default,net_raw"));
    EXPECT_EQ(parse("set hostname=\"\"").assignments[0].value, S(""));
    EXPECT_EQ(parse("set options=[]").assignments[0].value, L({}));
    EXPECT_EQ(parse("set options=\"[ro]\"").assignments[0].value, S("[ro]")); // quoted: not a list
    EXPECT_EQ(parse("set special=\"a=b\"").assignments[0].value, S("a=b"));
}

TEST(Zonecfg, RejectsBadCommands) {
    EXPECT_NE(parse_error("frobnicate").find("unknown command 'frobnicate'"), std::string::npos);
    EXPECT_NE(parse_error("create -x").find("unknown option '-x'"), std::string::npos);
    EXPECT_NE(parse_error("create -t").find("needs an argument"), std::string::npos);
    EXPECT_NE(parse_error("create -b -t default").find("exclude each other"), std::string::npos);
    EXPECT_NE(parse_error("set").find("usage: set PROP=VALUE"), std::string::npos);
    EXPECT_NE(parse_error("set autoboot").find("usage: set PROP=VALUE"), std::string::npos);
    EXPECT_NE(parse_error("set a=1 b=2").find("usage: set"), std::string::npos);
    EXPECT_NE(parse_error("set =true").find("no property name"), std::string::npos);
    EXPECT_NE(parse_error("clear").find("usage: clear PROP"), std::string::npos);
    EXPECT_NE(parse_error("add").find("missing arguments"), std::string::npos);
    EXPECT_NE(parse_error("end now").find("usage: end"), std::string::npos);
    EXPECT_NE(parse_error("select fs dir=/a extra").find("after PROP=VALUE"), std::string::npos);
    EXPECT_NE(parse_error("add [net]").find("a list where a name is expected"), std::string::npos);
    EXPECT_NE(parse_error("set options=[ro,nodev").find("unterminated list"), std::string::npos);
    EXPECT_NE(parse_error("set options=[ro,,nodev]").find("empty item"), std::string::npos);
    EXPECT_NE(parse_error("set options=[ro,[x]]").find("do not nest"), std::string::npos);
    EXPECT_NE(parse_error("set hostname=a]").find("'[' and ']'"), std::string::npos);
    EXPECT_NE(parse_error("commit -F").find("unknown option '-F'"), std::string::npos);
}

TEST(Zonecfg, QuotingReadsBack) {
    for (std::string s :
         {"plain", "", "a b", "with\"quote", "back\\slash", "#hash", "semi;colon", "[x]", "a,b",
          "tab\there", "(priv=privileged,limit=1,action=deny)", "x=y", "-F"}) {
        std::string line = "set special=" + quote_word(s, false);
        auto raws = lex_line(line, 1);
        ASSERT_TRUE(raws) << line;
        auto c = parse_command(raws->at(0));
        ASSERT_TRUE(c) << line << ": " << c.error().message();
        EXPECT_EQ(c->assignments.at(0).value, S(s)) << line;
        PropValue list = L({s.empty() ? "x" : s, "y"});
        line = "set options=" + format_value(list, true);
        c = parse_command(lex_line(line, 1)->at(0));
        ASSERT_TRUE(c) << line;
        EXPECT_EQ(c->assignments.at(0).value, list) << line;
    }
    EXPECT_EQ(quote_word("10.0.0.2/24", false), "10.0.0.2/24");
    EXPECT_EQ(quote_word("default,net_raw", false), "default,net_raw");
    EXPECT_EQ(quote_word("a,b", true), "\"a,b\"");
}

// ---- sessions against a fake zoned --------------------------------------------------

class FakeBackend : public Backend {
  public:
    zone::Result<std::optional<ZoneConfig>> load(const std::string& zone) override {
        ++loads;
        if (down) return zone::make_error("NO_DAEMON", "zoned is not running");
        auto it = zones.find(zone);
        if (it == zones.end()) return std::optional<ZoneConfig>();
        return std::optional<ZoneConfig>(it->second);
    }
    zone::Result<std::string> commit(const ZoneConfig& cfg, bool create) override {
        ++commits;
        last_create = create;
        if (refuse_commit) return zone::make_error("BAD_STATE", "zone 'web' is running");
        if (create && zones.count(cfg.name)) return zone::make_error("EXISTS", "zone exists");
        ZoneConfig stored = cfg;
        if (stored.uuid.empty()) stored.uuid = "11111111-2222-3333-4444-555555555555";
        zones[cfg.name] = stored;
        return stored.uuid;
    }
    zone::Result<void> remove(const std::string& zone) override {
        if (!zones.erase(zone))
            return zone::make_error("NOT_FOUND", "zone '" + zone + "' is not configured");
        return zone::ok();
    }
    zone::Result<ZoneConfig> fetch_template(const std::string& name) override {
        auto t = zone::config::builtin_template(name);
        if (!t) return zone::make_error("NOT_FOUND", "no template named '" + name + "'");
        return *t;
    }

    std::map<std::string, ZoneConfig> zones;
    int loads = 0;
    int commits = 0;
    bool last_create = false;
    bool refuse_commit = false;
    bool down = false;
};

// A session on zone "web" over a FakeBackend, capturing output.
struct Harness {
    explicit Harness(bool interactive = false)
        : session("web", backend,
                  SessionIo{&out,
                            [this](const std::string& q, bool) {
                                questions.push_back(q);
                                return answer;
                            },
                            [this](const std::string& path, const std::string& text) {
                                files[path] = text;
                                return zone::ok();
                            }},
                  interactive) {}

    // Runs a script numbered by command (the argument form); "" on success.
    std::string script(std::string_view text, bool by_command = true) {
        auto f = run_script(session, text, by_command);
        if (!f) return "";
        return (f->line ? "line " + std::to_string(f->line) + ": " : "") + f->error.message();
    }
    std::string line(std::string_view text) {
        auto r = run_line(session, text, 1);
        return r ? "" : r.error().message();
    }
    const ZoneConfig& stored() { return backend.zones.at("web"); }

    FakeBackend backend;
    std::ostringstream out;
    std::vector<std::string> questions;
    std::map<std::string, std::string> files;
    bool answer = true;
    Session session;
};

ZoneConfig existing_zone() {
    ZoneConfig cfg = *zone::config::builtin_template("default");
    cfg.name = "web";
    cfg.uuid = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    cfg.resources = {
        {"net", {{"address", S("10.0.0.2/24")}}},
        {"net", {{"address", S("10.0.0.3/24")}}},
        {"fs", {{"dir", S("/data")}, {"special", S("/srv/data")}, {"type", S("lofs")}}},
    };
    return cfg;
}

TEST(Zonecfg, NewZoneNeedsCreate) {
    Harness h;
    EXPECT_EQ(h.script("set autoboot=true"),
              "line 1: zone 'web' does not exist; use 'create' to make it");
    EXPECT_EQ(h.backend.commits, 0);
}

TEST(Zonecfg, CreateUsesDefaultTemplateAndCommitsAtEnd) {
    Harness h;
    EXPECT_EQ(h.script("create; set autoboot=true"), "");
    ASSERT_EQ(h.backend.commits, 1);
    EXPECT_TRUE(h.backend.last_create);
    EXPECT_EQ(h.stored().get_or("autoboot", ""), "true");
    EXPECT_EQ(h.stored().get_or("ip-type", ""), "exclusive");
    EXPECT_EQ(h.stored().name, "web");
}

TEST(Zonecfg, CreateVariants) {
    Harness blank;
    EXPECT_EQ(blank.script("create -b"), "");
    EXPECT_TRUE(blank.stored().props.empty());
    Harness tmpl;
    EXPECT_EQ(tmpl.script("create -t blank; set autoboot=false"), "");
    EXPECT_EQ(tmpl.stored().props.size(), 1U);
    Harness missing;
    auto f = run_script(missing.session, "create -t nosuch", true);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->from_daemon);
    EXPECT_EQ(f->error.code, "NOT_FOUND");
}

TEST(Zonecfg, CreateOnExistingZoneNeedsForce) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_NE(h.script("create").find("already exists; use 'create -F'"), std::string::npos);
    Harness f;
    f.backend.zones["web"] = existing_zone();
    EXPECT_EQ(f.script("create -F -b; set autoboot=true"), "");
    EXPECT_FALSE(f.backend.last_create);
    EXPECT_EQ(f.stored().props.size(), 1U);
    EXPECT_TRUE(f.stored().resources.empty());
    EXPECT_EQ(f.stored().uuid, existing_zone().uuid); // a zone keeps its uuid
}

TEST(Zonecfg, BadValueStopsWithLineAndCommitsNothing) {
    Harness h;
    std::string err =
        h.script("create\nset autoboot=true\nadd net\nset address=10.0.0.300/24\nend\n", false);
    EXPECT_EQ(err, "line 4: net: address: '10.0.0.300/24' is not an IPv4 or IPv6 address with a "
                   "prefix length");
    EXPECT_EQ(h.backend.commits, 0);
    Harness byc;
    EXPECT_EQ(
        byc.script("create; set autoboot=maybe; set ip-type=none").rfind("line 2: autoboot:", 0),
        0U);
    EXPECT_EQ(byc.backend.commits, 0);
}

TEST(Zonecfg, ScopeErrors) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_EQ(h.line("end"), "end: not in a resource scope (use 'add' or 'select' first)");
    EXPECT_EQ(h.line("cancel"), "cancel: not in a resource scope (use 'add' or 'select' first)");
    EXPECT_NE(h.line("set address=auto").find("'address' is not a zone property"),
              std::string::npos);
    EXPECT_NE(h.line("set net=auto").find("'net' is a resource"), std::string::npos);
    EXPECT_NE(h.line("add nic").find("'nic' is not a resource type"), std::string::npos);
    EXPECT_EQ(h.line("add net"), "");
    EXPECT_EQ(h.session.prompt(), "zonecfg:web:net> ");
    EXPECT_NE(h.line("set dir=/x").find("net: 'dir' is not a property of net resources"),
              std::string::npos);
    EXPECT_NE(h.line("commit").find("not allowed in the net resource scope"), std::string::npos);
    EXPECT_NE(h.line("add fs").find("inside the net resource scope"), std::string::npos);
    EXPECT_NE(h.line("set address=[auto]").find("takes a single value"), std::string::npos);
    EXPECT_EQ(h.line("cancel"), "");
    EXPECT_EQ(h.session.prompt(), "zonecfg:web> ");
    EXPECT_EQ(h.session.config()->resources.size(), 3U);
}

TEST(Zonecfg, EndChecksTheResource) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_EQ(h.line("add fs; set dir=/opt"), "");
    EXPECT_EQ(h.line("end"), "fs dir=/opt: type is required");
    EXPECT_EQ(h.line("set type=tmpfs; set special=swap; end"), "");
    EXPECT_EQ(h.line("add fs; set dir=/data; set type=tmpfs; set special=x"), "");
    EXPECT_EQ(h.line("end"), "fs dir=/data: another fs resource already has dir '/data'");
    EXPECT_EQ(h.line("cancel; add capped-cpu; set ncpus=2; end"), "");
    EXPECT_NE(h.line("add capped-cpu").find("already has one; use 'select capped-cpu'"),
              std::string::npos);
    EXPECT_EQ(h.session.config()->resources.size(), 5U);
}

TEST(Zonecfg, SelectModifiesOneResource) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_EQ(h.line("select net address=10.0.0.9/24"),
              "select: no net resource matches address=10.0.0.9/24");
    EXPECT_EQ(h.line("select net"),
              "select: 2 net resources match; add PROP=VALUE pairs to pick one");
    EXPECT_EQ(h.line("select capped-cpu"), "select: no capped-cpu resource is configured");
    EXPECT_NE(h.line("select net mtu=1500").find("'mtu' is not a property"), std::string::npos);
    EXPECT_EQ(h.line("select net address=10.0.0.3/24; set bridge=zbr0; end"), "");
    EXPECT_EQ(h.session.config()->resources[1].get_or("bridge", ""), "zbr0");
    EXPECT_EQ(h.line("select net address=10.0.0.3/24; set address=10.0.0.2/16"), "");
    EXPECT_NE(h.line("end").find("already has address '10.0.0.2'"), std::string::npos);
    EXPECT_EQ(h.line("cancel"), "");
    EXPECT_EQ(h.session.config()->resources[1].get_or("address", ""), "10.0.0.3/24");
    EXPECT_TRUE(h.session.dirty());
}

TEST(Zonecfg, RemoveNeedsForceForMany) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_NE(h.line("remove net").find("2 net resources match; use 'remove -F net'"),
              std::string::npos);
    EXPECT_NE(h.line("remove net address=10.9.9.9/24").find("no net resource matches"),
              std::string::npos);
    EXPECT_EQ(h.line("remove fs"), ""); // the only one
    EXPECT_EQ(h.line("remove net address=10.0.0.2/24"), "");
    EXPECT_EQ(h.line("add net; end; remove -F net"), "");
    EXPECT_TRUE(h.session.config()->resources.empty());
}

TEST(Zonecfg, ListPropertiesInScope) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_EQ(h.line("select fs dir=/data; set options=ro"), ""); // one word is a one-item list
    EXPECT_EQ(h.line("add options [nosuid,nodev]"), "");
    EXPECT_NE(h.line("add options rw").find("'ro' and 'rw' conflict"), std::string::npos);
    EXPECT_EQ(h.line("remove options ro"), "");
    EXPECT_EQ(h.line("remove options ro"), "remove: 'ro' is not in options");
    EXPECT_NE(h.line("add dir /x").find("is not a list"), std::string::npos);
    EXPECT_EQ(h.line("end"), "");
    EXPECT_EQ(*h.session.config()->resources[2].get("options"), L({"nosuid", "nodev"}));
    EXPECT_EQ(h.line("select fs dir=/data; clear options; end"), "");
    EXPECT_EQ(h.session.config()->resources[2].get("options"), nullptr);
}

TEST(Zonecfg, ClearAndInfo) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_EQ(h.line("set hostname=www; info hostname; clear hostname; info hostname"), "");
    EXPECT_EQ(h.out.str(), "hostname: www\nhostname:\n");
    h.out.str("");
    EXPECT_EQ(h.line("info fs"), "");
    EXPECT_EQ(h.out.str(), "fs:\n\tdir: /data\n\tspecial: /srv/data\n\ttype: lofs\n");
    h.out.str("");
    EXPECT_EQ(h.line("info net address=10.0.0.3/24"), "");
    EXPECT_EQ(h.out.str(), "net:\n\taddress: 10.0.0.3/24\n");
    h.out.str("");
    EXPECT_EQ(h.line("info"), "");
    EXPECT_EQ(h.out.str().rfind("zonename: web\nautoboot: false\nroot-type: overlay\n", 0), 0U)
        << h.out.str();
    EXPECT_NE(h.out.str().find("net:\n\taddress: 10.0.0.2/24\nnet:\n"), std::string::npos);
    EXPECT_NE(h.line("info bogus").find("neither a zone property nor a resource type"),
              std::string::npos);
    EXPECT_NE(h.line("clear bogus").find("not a zone property"), std::string::npos);
}

TEST(Zonecfg, VerifyAndCommit) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_EQ(h.line("set ip-type=none"), "");
    EXPECT_NE(h.line("verify").find("ip-type=none has no network"), std::string::npos);
    EXPECT_NE(h.line("commit").find("ip-type=none"), std::string::npos);
    EXPECT_EQ(h.backend.commits, 0);
    EXPECT_EQ(h.line("set ip-type=exclusive; verify; commit"), "");
    EXPECT_EQ(h.backend.commits, 1);
    EXPECT_FALSE(h.backend.last_create);
    EXPECT_FALSE(h.session.dirty());
}

TEST(Zonecfg, DaemonErrorsAreMarked) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    h.backend.refuse_commit = true;
    auto f = run_script(h.session, "set autoboot=true", true);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->from_daemon);
    EXPECT_EQ(f->line, 0); // the implicit commit at the end
    EXPECT_EQ(f->error.code, "BAD_STATE");
    Harness down;
    down.backend.down = true;
    f = run_script(down.session, "info", true);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->from_daemon);
    EXPECT_EQ(f->error.code, "NO_DAEMON");
    Harness help;
    help.backend.down = true;
    EXPECT_EQ(help.line("help"), ""); // help needs no daemon
}

TEST(Zonecfg, UnchangedZoneIsNotCommitted) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_EQ(h.script("info; export"), "");
    EXPECT_EQ(h.backend.commits, 0);
}

TEST(Zonecfg, ResourceScopeMustEnd) {
    Harness h;
    EXPECT_EQ(h.script("create; add net"),
              "input ended inside the net resource scope (missing 'end')");
    EXPECT_EQ(h.backend.commits, 0);
}

TEST(Zonecfg, ExitSemantics) {
    Harness h;
    EXPECT_EQ(h.script("create; set autoboot=true; exit -F; set autoboot=maybe"), "");
    EXPECT_EQ(h.backend.commits, 0); // -F drops the changes, later lines are not read
    Harness e;
    EXPECT_EQ(e.script("create; add net; set address=auto; exit; set autoboot=maybe"), "");
    EXPECT_EQ(e.backend.commits, 1); // exit ends the scope; the script's end commits
    EXPECT_EQ(e.stored().resources.size(), 1U);
}

TEST(Zonecfg, InteractiveExitAsks) {
    Harness yes(true);
    EXPECT_EQ(yes.line("create; set autoboot=true; exit"), "");
    ASSERT_EQ(yes.questions.size(), 1U);
    EXPECT_EQ(yes.backend.commits, 1);
    EXPECT_TRUE(yes.session.done());
    Harness no(true);
    no.answer = false;
    EXPECT_EQ(no.line("create; exit"), "");
    EXPECT_EQ(no.backend.commits, 0);
    EXPECT_TRUE(no.session.done());
    EXPECT_TRUE(no.session.finish()); // nothing left to commit
    EXPECT_EQ(no.backend.commits, 0);
    Harness clean(true);
    clean.backend.zones["web"] = existing_zone();
    EXPECT_EQ(clean.line("exit"), "");
    EXPECT_TRUE(clean.questions.empty());
}

TEST(Zonecfg, DeleteAndRevert) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_EQ(h.line("delete"), "delete: use 'delete -F' to delete zone 'web' without being asked");
    EXPECT_NE(h.line("revert").find("revert -F"), std::string::npos);
    EXPECT_EQ(h.line("set autoboot=true; revert -F"), "");
    EXPECT_FALSE(h.session.dirty());
    EXPECT_EQ(h.line("delete -F"), "");
    EXPECT_EQ(h.backend.zones.count("web"), 0U);
    EXPECT_NE(h.line("info").find("does not exist"), std::string::npos);
    Harness ask(true);
    ask.backend.zones["web"] = existing_zone();
    ask.answer = false;
    EXPECT_EQ(ask.line("delete"), "");
    EXPECT_EQ(ask.backend.zones.count("web"), 1U);
    ask.answer = true;
    EXPECT_EQ(ask.line("delete"), "");
    EXPECT_EQ(ask.backend.zones.count("web"), 0U);
    EXPECT_EQ(ask.questions.size(), 2U);
}

ZoneConfig tricky_config() {
    ZoneConfig cfg = existing_zone();
    cfg.uuid = "";
    cfg.props["hostname"] = S("web-1.example.com");
    cfg.props["limitpriv"] = S("default,-net_raw,+sys_ptrace");
    cfg.props["image"] = S("base@3");
    cfg.props["max-processes"] = S("300");
    cfg.resources.push_back({"fs",
                             {{"dir", S("/srv/with space")},
                              {"special", S("/host/\"quoted\" \\ dir#1;x")},
                              {"type", S("lofs")},
                              {"options", L({"ro", "nosuid"})}}});
    cfg.resources.push_back(
        {"fs",
         {{"dir", S("/tmp")}, {"special", S("swap")}, {"type", S("tmpfs")}, {"options", L({})}}});
    cfg.resources.push_back({"rctl",
                             {{"name", S("zone.max-processes")},
                              {"value", S("(priv=privileged,limit=300,action=deny)")}}});
    cfg.resources.push_back({"admin", {{"user", S("alice")}, {"auths", L({"login", "clone"})}}});
    cfg.resources.push_back(
        {"attr", {{"name", S("comment")}, {"type", S("string")}, {"value", S("")}}});
    cfg.resources.push_back({"capped-memory", {{"physical", S("512M")}, {"swap", S("1G")}}});
    cfg.resources.push_back({"dedicated-cpu", {{"cpus", S("0-1,3")}}});
    return cfg;
}

TEST(Zonecfg, ExportRoundTrip) {
    ZoneConfig cfg = tricky_config();
    ASSERT_TRUE(zone::config::verify(cfg)) << zone::config::verify(cfg).error().message();
    std::string text = export_config(cfg);
    EXPECT_EQ(text.rfind("create -b\nset autoboot=false\nset image=base@3\nset "
                         "root-type=overlay\nset hostname=web-1.example.com\n",
                         0),
              0U)
        << text;
    EXPECT_NE(text.find("add fs\nset dir=\"/srv/with space\"\n"), std::string::npos) << text;
    EXPECT_NE(text.find("set options=[]\n"), std::string::npos) << text;
    Harness h;
    EXPECT_EQ(h.script(text, /*by_command=*/false), "") << text;
    ASSERT_EQ(h.backend.commits, 1);
    ZoneConfig back = h.stored();
    back.uuid = "";
    EXPECT_EQ(back, cfg);
    EXPECT_EQ(export_config(back), text);
}

TEST(Zonecfg, ExportCommandWritesFiles) {
    Harness h;
    h.backend.zones["web"] = existing_zone();
    EXPECT_EQ(h.line("export"), "");
    EXPECT_EQ(h.out.str(), export_config(existing_zone()));
    EXPECT_EQ(h.line("export -f /tmp/web.cfg"), "");
    EXPECT_EQ(h.files.at("/tmp/web.cfg"), export_config(existing_zone()));
    // Fed back to another zone, the export recreates the same configuration.
    Harness other;
    EXPECT_EQ(other.script(h.files.at("/tmp/web.cfg"), false), "");
    ZoneConfig back = other.stored();
    back.uuid = existing_zone().uuid;
    EXPECT_EQ(back, existing_zone());
}

TEST(Zonecfg, NumbersByLineInFiles) {
    Harness h;
    std::string err = h.script("# comment\ncreate\n\nset autoboot=true; set cpu-shares=0\n", false);
    EXPECT_EQ(err.rfind("line 4: cpu-shares: '0' is not an integer from 1 to 10000", 0), 0U) << err;
    Harness q;
    EXPECT_EQ(q.script("create\nset hostname=\"web\n", false)
                  .rfind("line 2: unterminated quoted string", 0),
              0U);
    Harness u;
    EXPECT_EQ(u.script("create; frobnicate"),
              "line 2: unknown command 'frobnicate' (type 'help' for the list)");
}

TEST(Zonecfg, Help) {
    EXPECT_NE(help_text("", nullptr).find("create [-F] [-b | -t TEMPLATE]"), std::string::npos);
    EXPECT_NE(help_text("select", nullptr).find("usage: select RESOURCE"), std::string::npos);
    EXPECT_NE(help_text("properties", nullptr).find("limitpriv"), std::string::npos);
    EXPECT_NE(help_text("resources", nullptr).find("capped-memory"), std::string::npos);
    EXPECT_NE(help_text("fs", nullptr).find("options"), std::string::npos);
    EXPECT_NE(help_text("autoboot", nullptr).find("autoboot:"), std::string::npos);
    zone::config::Resource net{"net", {}};
    EXPECT_NE(help_text("", &net).find("defrouter"), std::string::npos);
    EXPECT_NE(help_text("address", &net).find("address:"), std::string::npos);
    EXPECT_NE(help_text("nonsense", nullptr).find("no help for 'nonsense'"), std::string::npos);
}

} // namespace
} // namespace zonectl::zonecfg
