// zonectl template: zonecfg templates kept by zoned (docs/qa.md).
//   zonectl template list [-p]
//   zonectl template show NAME
//   zonectl template create [-F] NAME -z ZONE     (from a zone's configuration)
//   zonectl template create [-F] NAME -f FILE|-   (from a zonecfg command file)
//   zonectl template delete NAME
// A template is used with zonecfg's `create -t NAME`.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/common/fs.hpp"
#include "zonectl/common.hpp"
#include "zonectl/zonecfg_output.hpp"
#include "zonectl/zonecfg_session.hpp"

namespace zonectl {

namespace {

using zone::Result;
using zone::api::json;
namespace zc = zonecfg;
namespace config = zone::config;

int usage_template(const Tool& t) {
    std::fprintf(stderr,
                 "usage: %s list [-p]\n"
                 "       %s show NAME\n"
                 "       %s create [-F] NAME -z ZONE | -f FILE|-\n"
                 "       %s delete NAME\n",
                 t.name.c_str(), t.name.c_str(), t.name.c_str(), t.name.c_str());
    return kExitUsage;
}

// A zonecfg session's backend that keeps the committed configuration instead
// of sending it to zoned; templates (`create -t`) still come from zoned.
class CaptureBackend : public zc::Backend {
  public:
    explicit CaptureBackend(zone::api::Client& c) : client_(c) {}
    Result<std::optional<config::ZoneConfig>> load(const std::string&) override {
        return std::optional<config::ZoneConfig>();
    }
    Result<std::string> commit(const config::ZoneConfig& cfg, bool) override {
        captured = cfg;
        return std::string();
    }
    Result<void> remove(const std::string&) override { return zone::ok(); }
    Result<config::ZoneConfig> fetch_template(const std::string& name) override {
        TRY(r, client_.call("template.get", {{"name", name}}));
        return config::from_json(r.value("config", json::object()));
    }
    std::optional<config::ZoneConfig> captured;

  private:
    zone::api::Client& client_;
};

// Runs a zonecfg command file as if for a zone called `name`; its commit is the template.
Result<config::ZoneConfig> config_from_file(const Tool& t, zone::api::Client& c, const std::string& name,
                                            const std::string& file) {
    std::string text;
    if (file == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        TRY(s, zone::fs::read_file(file));
        text = std::move(s);
    }
    CaptureBackend backend(c);
    std::ostringstream out;
    zc::Session session(name, backend, zc::SessionIo{&out, nullptr, nullptr}, false);
    if (auto failure = zc::run_script(session, text, false)) {
        std::string where = file == "-" ? "stdin" : file;
        if (failure->line > 0) where += ":" + std::to_string(failure->line);
        return std::move(failure->error).wrap(where);
    }
    if (!backend.captured)
        return zone::make_error(zone::api::code::kInvalidParams,
                                (file == "-" ? std::string("stdin") : file) +
                                    " made no configuration (start it with 'create')");
    (void)t;
    return *backend.captured;
}

int create(Tool& t, zone::api::Client& c, const std::vector<std::string>& args) {
    std::string name, zone, file;
    bool replace = false;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-F") replace = true;
        else if (args[i] == "-z" && i + 1 < args.size()) zone = args[++i];
        else if (args[i] == "-f" && i + 1 < args.size()) file = args[++i];
        else if (name.empty() && !args[i].empty() && args[i][0] != '-') name = args[i];
        else return usage_template(t);
    }
    if (name.empty() || zone.empty() == file.empty()) return usage_template(t);
    json params{{"name", name}, {"replace", replace}};
    if (!zone.empty()) {
        params["zone"] = zone;
    } else {
        auto cfg = config_from_file(t, c, name, file);
        if (!cfg) return report(t, cfg.error());
        params["config"] = config::to_json(*cfg);
        params["source"] = "file";
    }
    auto r = c.call("template.create", params);
    if (!r) return report(t, r.error());
    return kExitOk;
}

int list(Tool& t, zone::api::Client& c, bool parseable) {
    auto r = c.call("template.list", json::object());
    if (!r) return report(t, r.error());
    if (!parseable) std::printf("%-20s %-20s %s\n", "NAME", "CREATED", "SOURCE");
    for (const auto& d : r->value("details", json::array())) {
        std::string name = d.value("name", ""), created = d.value("created", ""), src = d.value("source", "");
        if (parseable) std::printf("%s:%s:%s\n", name.c_str(), created.c_str(), src.c_str());
        else std::printf("%-20s %-20s %s\n", name.c_str(), created.empty() ? "-" : created.c_str(), src.c_str());
    }
    return kExitOk;
}

int show(Tool& t, zone::api::Client& c, const std::string& name) {
    auto r = c.call("template.get", {{"name", name}});
    if (!r) return report(t, r.error());
    auto cfg = config::from_json(r->value("config", json::object()));
    if (!cfg) return report(t, cfg.error());
    std::fputs(zc::export_config(*cfg).c_str(), stdout);
    return kExitOk;
}

} // namespace

int run_template(Tool& t) {
    const auto& a = t.args;
    if (a.empty()) return usage_template(t);
    if (a[0] == "-h" || a[0] == "--help" || a[0] == "help") {
        usage_template(t);
        return kExitOk;
    }
    std::vector<std::string> rest(a.begin() + 1, a.end());
    auto c = connect(t);
    if (!c) return report(t, c.error());
    if (a[0] == "list" && (rest.empty() || (rest.size() == 1 && rest[0] == "-p")))
        return list(t, *c, !rest.empty());
    if (a[0] == "show" && rest.size() == 1) return show(t, *c, rest[0]);
    if (a[0] == "create") return create(t, *c, rest);
    if (a[0] == "delete" && rest.size() == 1) {
        auto r = c->call("template.delete", {{"name", rest[0]}});
        return r ? kExitOk : report(t, r.error());
    }
    return usage_template(t);
}

} // namespace zonectl
