// libFuzzer target: the zonecfg language, from text to a committed
// configuration. Each line is lexed and parsed, and the commands run in a
// session over an in-memory zoned; whatever configuration results must
// verify as zoned would, and its `export` must read back to the same
// configuration.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include "zonectl/zonecfg_parser.hpp"
#include "zonectl/zonecfg_session.hpp"

namespace {

namespace zc = zonectl::zonecfg;
using zone::config::ZoneConfig;

class MemoryBackend : public zc::Backend {
  public:
    zone::Result<std::optional<ZoneConfig>> load(const std::string& zone) override {
        auto it = zones.find(zone);
        if (it == zones.end()) return std::optional<ZoneConfig>();
        return std::optional<ZoneConfig>(it->second);
    }
    zone::Result<std::string> commit(const ZoneConfig& cfg, bool create) override {
        if (create && zones.count(cfg.name)) return zone::make_error("EXISTS", "exists");
        // zoned re-validates every commit.
        if (auto v = zone::config::verify(cfg); !v) return std::move(v).error();
        zones[cfg.name] = cfg;
        return std::string("00000000-0000-0000-0000-000000000000");
    }
    zone::Result<void> remove(const std::string& zone) override {
        zones.erase(zone);
        return zone::ok();
    }
    zone::Result<ZoneConfig> fetch_template(const std::string& name) override {
        auto t = zone::config::builtin_template(name);
        if (!t) return zone::make_error("NOT_FOUND", "no template");
        return *t;
    }
    std::map<std::string, ZoneConfig> zones;
};

// Runs `text` as a non-interactive zonecfg script on zone "fz".
void run_script(MemoryBackend& be, std::string_view text, std::ostream& out) {
    zc::SessionIo io{&out, [](const std::string&, bool d) { return d; },
                     [](const std::string&, const std::string&) { return zone::ok(); }};
    zc::Session s("fz", be, io, /*interactive=*/false);
    if (!s.load()) return;
    int lineno = 0;
    while (!text.empty() && !s.done()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        auto cmds = zc::lex_line(line, ++lineno);
        if (!cmds) return;
        for (const auto& raw : *cmds) {
            auto cmd = zc::parse_command(raw);
            if (!cmd) return;
            for (const auto& a : cmd->assignments)
                (void)zc::format_value(a.value, true);
            if (!s.run(*cmd)) return;
            if (s.done()) break;
        }
    }
    (void)s.finish();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 8192) return 0;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    MemoryBackend be;
    std::ostringstream out;
    run_script(be, text, out);
    auto it = be.zones.find("fz");
    if (it == be.zones.end()) return 0;
    // export, then the export as a script on a fresh zoned: the same zone.
    std::ostringstream exported;
    {
        zc::SessionIo io{&exported, [](const std::string&, bool d) { return d; },
                         [](const std::string&, const std::string&) { return zone::ok(); }};
        zc::Session s("fz", be, io, false);
        zc::Command ex;
        ex.verb = zc::Verb::Export;
        if (!s.load() || !s.run(ex)) std::abort();
    }
    MemoryBackend fresh;
    std::ostringstream ignored;
    run_script(fresh, exported.str(), ignored);
    auto back = fresh.zones.find("fz");
    if (back == fresh.zones.end()) std::abort();
    ZoneConfig a = it->second, b = back->second;
    a.uuid = b.uuid = "";
    if (!(a == b)) std::abort();
    return 0;
}
