// zonectl image: build, list and inspect gold images (docs/images.md).
//   zonectl image build NAME --from busybox
//   zonectl image list [-p]
//   zonectl image info NAME[@VERSION]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "zonectl/common.hpp"

namespace zonectl {

namespace {

using zone::api::json;

std::string str_field(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return "";
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
    return "";
}

// 1024-based, one decimal below 10 ("1.9M", "712K"), as zfs list prints.
std::string human_size(const std::string& bytes_text) {
    double v = 0;
    try {
        v = std::stod(bytes_text);
    } catch (const std::exception&) {
        return bytes_text.empty() ? "-" : bytes_text;
    }
    const char* units = "BKMGTP";
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%.0f%c", v, units[u]);
    else if (v < 10)
        std::snprintf(buf, sizeof buf, "%.1f%c", v, units[u]);
    else
        std::snprintf(buf, sizeof buf, "%.0f%c", v, units[u]);
    return buf;
}

// Parseable output escapes ':' and '\' with a backslash (Solaris zoneadm list -p).
std::string escape_field(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == ':' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// "NAME" or "NAME@VERSION"; version 0 = the newest.
zone::Result<std::pair<std::string, long long>> parse_ref(const std::string& ref) {
    auto at = ref.rfind('@');
    if (at == std::string::npos) return std::make_pair(ref, 0LL);
    std::string v = ref.substr(at + 1);
    bool digits = !v.empty() && v.size() <= 9 &&
                  std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoll(v) == 0)
        return zone::make_error("EINVAL", "'" + ref + "': the version after '@' must be 1 or more");
    return std::make_pair(ref.substr(0, at), std::stoll(v));
}

int do_build(Tool& t, const std::string& name, const std::string& from) {
    auto c = connect(t);
    if (!c) return report(t, c.error());
    auto on_progress = [](const json& p) {
        std::string m = str_field(p, "message");
        if (!m.empty()) std::fprintf(stderr, "%s\n", m.c_str());
    };
    auto r = c->call("image.build", json{{"name", name}, {"from", from}}, {}, nullptr, on_progress);
    if (!r) return report(t, r.error());
    std::printf("image %s version %s built\n", name.c_str(), str_field(*r, "version").c_str());
    return kExitOk;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width;
    for (const auto& r : rows)
        for (size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], r[i].size());
        }
    for (const auto& r : rows) {
        std::string line;
        for (size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
        }
        std::printf("%s\n", line.c_str());
    }
}

int do_list(Tool& t, bool parseable) {
    auto c = connect(t);
    if (!c) return report(t, c.error());
    auto r = c->call("image.list", json::object());
    if (!r) return report(t, r.error());
    auto it = r->find("images");
    if (it == r->end() || !it->is_array())
        return report(
            t, zone::make_error(zone::api::code::kProtocol, "image.list: no 'images' array"));
    std::vector<std::vector<std::string>> rows{{"NAME", "VERSION", "SOURCE", "SIZE", "CREATED"}};
    for (const auto& img : *it) {
        std::vector<std::string> f{str_field(img, "name"), str_field(img, "version"),
                                   str_field(img, "source"), str_field(img, "size"),
                                   str_field(img, "created")};
        if (parseable) {
            std::string line;
            for (size_t i = 0; i < f.size(); ++i)
                line += (i ? ":" : "") + escape_field(f[i]);
            std::printf("%s\n", line.c_str());
        } else {
            f[3] = human_size(f[3]);
            rows.push_back(std::move(f));
        }
    }
    if (!parseable) print_table(rows);
    return kExitOk;
}

int do_info(Tool& t, const std::string& ref) {
    auto parsed = parse_ref(ref);
    if (!parsed) {
        report(t, parsed.error());
        return kExitUsage;
    }
    auto c = connect(t);
    if (!c) return report(t, c.error());
    json params{{"name", parsed->first}};
    if (parsed->second) params["version"] = parsed->second;
    auto r = c->call("image.info", params);
    if (!r) return report(t, r.error());
    std::printf("%s\n", r->dump(2).c_str());
    return kExitOk;
}

} // namespace

int run_image(Tool& t) {
    CLI::App app("Build, list and inspect gold images.", t.name);
    app.require_subcommand(1);
    std::string name, from, ref;
    bool parseable = false;
    auto* build = app.add_subcommand("build", "build the next version of an image");
    build->add_option("NAME", name, "image name")->required();
    build->add_option("--from", from, "source of the root file system (busybox)")->required();
    auto* list = app.add_subcommand("list", "list every version of every image");
    list->add_flag("-p,--parseable", parseable, "name:version:source:size:created, ':' escaped");
    auto* info = app.add_subcommand("info", "show the manifest of an image version");
    info->add_option("NAME[@VERSION]", ref, "image, newest version unless given")->required();
    try {
        std::vector<std::string> args(t.args.rbegin(), t.args.rend());
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    if (build->parsed()) return do_build(t, name, from);
    if (list->parsed()) return do_list(t, parseable);
    return do_info(t, ref);
}

} // namespace zonectl
