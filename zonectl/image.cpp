// zonectl image: build, patch, move and inspect gold images (docs/images.md).
//   zonectl image build NAME --from busybox|debootstrap[:SUITE]|tar:FILE|oci:DIR|zone:NAME
//   zonectl image list [-p]
//   zonectl image info NAME[@VERSION]
//   zonectl image remove NAME[@VERSION]
//   zonectl image tag [-d] NAME[@VERSION] TAG
//   zonectl image gc [-n] [NAME]
//   zonectl image patch NAME -- COMMAND...
//   zonectl image export NAME[@VERSION] FILE.tar.zst
//   zonectl image import FILE.tar.zst [--name NAME]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>
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

// "NAME", "NAME@VERSION" or "NAME@TAG"; version 0 = the newest.
struct Ref {
    std::string name;
    long long version = 0;
    std::string tag;
};

zone::Result<Ref> parse_ref(const std::string& ref) {
    auto at = ref.rfind('@');
    if (at == std::string::npos) return Ref{ref, 0, ""};
    std::string v = ref.substr(at + 1);
    bool digits = !v.empty() && v.size() <= 9 &&
                  std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
        if (v.empty())
            return zone::make_error("EINVAL", "'" + ref + "': a version or tag must follow '@'");
        return Ref{ref.substr(0, at), 0, v};
    }
    if (std::stoll(v) == 0)
        return zone::make_error("EINVAL", "'" + ref + "': the version after '@' must be 1 or more");
    return Ref{ref.substr(0, at), std::stoll(v), ""};
}

// The params naming a version: "name", and "version" or "version_tag".
json ref_params(const Ref& r) {
    json params{{"name", r.name}};
    if (r.version) params["version"] = r.version;
    if (!r.tag.empty()) params["version_tag"] = r.tag;
    return params;
}

// Progress on stderr: on a terminal, transient status lines overwrite each
// other in place; elsewhere every line is printed as it comes.
struct ProgressPrinter {
    bool tty = ::isatty(2) == 1;
    bool pending = false; // a transient line is on screen
    void operator()(const json& p) {
        std::string m = str_field(p, "message");
        if (m.empty()) return;
        bool transient = p.value("transient", false);
        if (tty && transient) {
            if (m.size() > 100) m = m.substr(0, 97) + "...";
            std::fprintf(stderr, "\r\033[K%s", m.c_str());
            pending = true;
            return;
        }
        if (pending) std::fprintf(stderr, "\r\033[K");
        pending = false;
        std::fprintf(stderr, "%s\n", m.c_str());
    }
    ~ProgressPrinter() {
        if (pending) std::fprintf(stderr, "\r\033[K");
    }
};

zone::Result<json> call_with_progress(Tool& t, const std::string& method, const json& params,
                                      const std::vector<int>& fds = {}) {
    auto c = connect(t);
    if (!c) return c.error();
    ProgressPrinter printer;
    auto on_progress = [&](const json& p) { printer(p); };
    return c->call(method, params, fds, nullptr, on_progress);
}

// tar:FILE and oci:DIR are opened here, with the caller's own rights, and
// handed to zoned as an fd; the manifest records the absolute path.
int do_build(Tool& t, const std::string& name, std::string from, bool devices) {
    zone::UniqueFd fd;
    auto colon = from.find(':');
    std::string kind = from.substr(0, colon == std::string::npos ? from.size() : colon);
    if ((kind == "tar" || kind == "oci") && colon != std::string::npos) {
        std::string path = from.substr(colon + 1);
        fd = zone::UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (kind == "oci" ? O_DIRECTORY : 0)));
        if (!fd) return report(t, zone::sys_error("open(" + path + ")"));
        char real[PATH_MAX];
        if (::realpath(path.c_str(), real)) from = kind + ":" + real;
    }
    json params{{"name", name}, {"from", from}};
    if (devices) params["allow_devices"] = true;
    std::vector<int> fds;
    if (fd) fds.push_back(fd.get());
    auto r = call_with_progress(t, "image.build", params, fds);
    if (!r) return report(t, r.error());
    std::printf("image %s version %s built\n", name.c_str(), str_field(*r, "version").c_str());
    return kExitOk;
}

std::string joined(const json& arr) {
    std::string out;
    if (!arr.is_array()) return "-";
    for (const auto& v : arr)
        if (v.is_string()) out += (out.empty() ? "" : ",") + v.get<std::string>();
    return out.empty() ? "-" : out;
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
    std::vector<std::vector<std::string>> rows{
        {"NAME", "VERSION", "SOURCE", "SIZE", "CREATED", "TAGS", "ZONES"}};
    for (const auto& img : *it) {
        std::string source = str_field(img, "source");
        if (!parseable && source.size() > 40) source = source.substr(0, 37) + "...";
        std::vector<std::string> f{str_field(img, "name"),    str_field(img, "version"),
                                   source,                    str_field(img, "size"),
                                   str_field(img, "created"), joined(img.value("tags", json())),
                                   joined(img.value("zones", json()))};
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

int bad_ref(Tool& t, const zone::Error& e) {
    report(t, e);
    return kExitUsage;
}

int do_info(Tool& t, const std::string& ref) {
    auto parsed = parse_ref(ref);
    if (!parsed) return bad_ref(t, parsed.error());
    auto c = connect(t);
    if (!c) return report(t, c.error());
    json params = ref_params(*parsed);
    auto r = c->call("image.info", params);
    if (!r) return report(t, r.error());
    std::printf("%s\n", r->dump(2).c_str());
    return kExitOk;
}

int do_simple(Tool& t, const std::string& method, const json& params) {
    auto c = connect(t);
    if (!c) return report(t, c.error());
    auto r = c->call(method, params);
    if (!r) return report(t, r.error());
    return kExitOk;
}

int do_remove(Tool& t, const std::string& ref) {
    auto parsed = parse_ref(ref);
    if (!parsed) return bad_ref(t, parsed.error());
    json params = ref_params(*parsed);
    int rc = do_simple(t, "image.remove", params);
    if (rc == kExitOk) std::printf("removed %s\n", ref.c_str());
    return rc;
}

int do_tag(Tool& t, const std::string& ref, const std::string& tag, bool remove) {
    auto parsed = parse_ref(ref);
    if (!parsed) return bad_ref(t, parsed.error());
    json params = ref_params(*parsed);
    params["tag"] = tag;
    if (remove) params["remove"] = true;
    return do_simple(t, "image.tag", params);
}

int do_gc(Tool& t, const std::string& name, bool dry) {
    auto c = connect(t);
    if (!c) return report(t, c.error());
    json params{{"dry_run", dry}};
    if (!name.empty()) params["name"] = name;
    auto r = c->call("image.gc", params);
    if (!r) return report(t, r.error());
    for (const auto& v : r->value("versions", json::array())) {
        bool gone = v.value("would_remove", false);
        std::printf("%s@%s: %s (%s)\n", str_field(v, "name").c_str(), str_field(v, "version").c_str(),
                    gone ? (dry ? "would be removed" : "removed") : "kept", str_field(v, "why").c_str());
    }
    return kExitOk;
}

int do_patch(Tool& t, const std::string& name, const std::vector<std::string>& cmd) {
    json argv = json::array();
    for (const auto& a : cmd) argv.push_back(a);
    auto r = call_with_progress(t, "image.patch", json{{"name", name}, {"argv", argv}});
    if (!r) return report(t, r.error());
    std::printf("image %s version %s committed (parent %s)\n", name.c_str(),
                str_field(*r, "version").c_str(), str_field(*r, "parent").c_str());
    return kExitOk;
}

// The file is created here (never over an existing one) and written by zoned
// through the fd; a failed export removes it again.
int do_export(Tool& t, const std::string& ref, const std::string& file) {
    auto parsed = parse_ref(ref);
    if (!parsed) return bad_ref(t, parsed.error());
    zone::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) return report(t, zone::sys_error("create(" + file + ")"));
    json params = ref_params(*parsed);
    auto r = call_with_progress(t, "image.export", params, {fd.get()});
    if (!r) {
        ::unlink(file.c_str());
        return report(t, r.error());
    }
    std::printf("exported %s@%s to %s (%s, digest %s)\n", parsed->name.c_str(),
                str_field(*r, "version").c_str(), file.c_str(),
                human_size(str_field(*r, "file_size")).c_str(), str_field(*r, "digest").c_str());
    return kExitOk;
}

int do_import(Tool& t, const std::string& file, const std::string& name) {
    zone::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return report(t, zone::sys_error("open(" + file + ")"));
    json params = json::object();
    if (!name.empty()) params["name"] = name;
    auto r = call_with_progress(t, "image.import", params, {fd.get()});
    if (!r) return report(t, r.error());
    std::printf("image %s version %s %s (digest %s verified)\n", str_field(*r, "name").c_str(),
                str_field(*r, "version").c_str(),
                r->value("already", false) ? "was already here" : "imported",
                str_field(*r, "digest").c_str());
    return kExitOk;
}

} // namespace

int run_image(Tool& t) {
    CLI::App app("Build, patch, move and inspect gold images.", t.name);
    app.require_subcommand(1);
    std::string name, from, ref, tag, file;
    std::vector<std::string> cmd;
    bool parseable = false, devices = false, untag = false, dry = false;
    auto* build = app.add_subcommand("build", "build the next version of an image");
    build->add_option("NAME", name, "image name")->required();
    build->add_option("--from", from,
                      "busybox, debootstrap[:SUITE], tar:FILE, oci:DIR or zone:NAME")->required();
    build->add_flag("--allow-devices", devices, "keep device nodes of tar/oci sources");
    auto* list = app.add_subcommand("list", "list every version of every image");
    list->add_flag("-p,--parseable", parseable,
                   "name:version:source:size:created:tags:zones, ':' escaped");
    auto* info = app.add_subcommand("info", "show the manifest of an image version");
    info->add_option("NAME[@VERSION]", ref, "image, newest version unless given")->required();
    auto* remove = app.add_subcommand("remove", "remove an image, or one version of it");
    remove->add_option("NAME[@VERSION]", ref, "image (all versions) or one version")->required();
    auto* tagc = app.add_subcommand("tag", "name a version (gc keeps tagged versions)");
    tagc->add_option("NAME[@VERSION]", ref, "image, newest version unless given")->required();
    tagc->add_option("TAG", tag, "tag name")->required();
    tagc->add_flag("-d,--delete", untag, "remove the tag instead");
    auto* gc = app.add_subcommand("gc", "remove versions that no zone uses and no tag names");
    gc->add_option("NAME", name, "only this image");
    gc->add_flag("-n,--dry-run", dry, "only say what would go");
    auto* patch = app.add_subcommand("patch", "run a command over the newest version; commit on exit 0");
    patch->add_option("NAME", name, "image")->required();
    patch->add_option("COMMAND", cmd, "command and arguments (after --)")->required();
    auto* exp = app.add_subcommand("export", "write a version to a .tar.zst file");
    exp->add_option("NAME[@VERSION]", ref, "image, newest version unless given")->required();
    exp->add_option("FILE", file, "file to create")->required();
    auto* imp = app.add_subcommand("import", "add a version from an exported file");
    imp->add_option("FILE", file, "exported .tar.zst")->required();
    imp->add_option("--name", name, "import under this image name");
    try {
        std::vector<std::string> args(t.args.rbegin(), t.args.rend());
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    if (build->parsed()) return do_build(t, name, from, devices);
    if (list->parsed()) return do_list(t, parseable);
    if (remove->parsed()) return do_remove(t, ref);
    if (tagc->parsed()) return do_tag(t, ref, tag, untag);
    if (gc->parsed()) return do_gc(t, name, dry);
    if (patch->parsed()) return do_patch(t, name, cmd);
    if (exp->parsed()) return do_export(t, ref, file);
    if (imp->parsed()) return do_import(t, file, name);
    return do_info(t, ref);
}

} // namespace zonectl
