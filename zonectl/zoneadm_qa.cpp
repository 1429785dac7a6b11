// zoneadm's QA-cycle verbs (docs/qa.md):
//   zoneadm -z NAME reset
//   zoneadm -z NEW clone [-s SNAPSHOT] SOURCE
//   zoneadm -z NAME snapshot create [SNAP] | list [-p] | rollback SNAP | delete SNAP
//   zoneadm -z NAME detach [-a FILE|-]
//   zoneadm -z NAME attach [-F] [-a FILE|- | -d DIR]   (or a bare FILE or DIR)
// Archives are opened here, with the caller's own rights, and handed to
// zoned as a file descriptor.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "zonectl/common.hpp"

namespace zonectl {

namespace {

using zone::api::json;

int usage_qa(const Tool& t) {
    zoneadm_qa_usage(t);
    return kExitUsage;
}

std::string str(const json& j, const char* k) {
    auto it = j.find(k);
    if (it == j.end()) return "";
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
    return "";
}

// Calls zoned; prints what it said that a user needs (a note, an "already").
int call(Tool& t, const std::string& method, const json& params, const std::vector<int>& fds,
         json* out = nullptr) {
    auto c = connect(t);
    if (!c) return report(t, c.error());
    auto r = c->call(method, params, fds, nullptr, [&](const json& p) {
        std::fprintf(stderr, "%s\n", p.value("message", p.dump()).c_str());
    });
    if (!r) return report(t, r.error());
    if (r->contains("message")) std::fprintf(stderr, "%s: %s\n", t.name.c_str(), str(*r, "message").c_str());
    if (auto n = r->find("notes"); n != r->end() && n->is_array())
        for (const auto& note : *n)
            if (note.is_string()) std::fprintf(stderr, "%s: note: %s\n", t.name.c_str(), note.get<std::string>().c_str());
    if (out) *out = std::move(*r);
    return kExitOk;
}

int clone(Tool& t, const std::string& zone, const std::vector<std::string>& args) {
    json params{{"name", zone}};
    std::string source;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-s" && i + 1 < args.size()) params["snapshot"] = args[++i];
        else if (args[i].rfind("-s", 0) == 0 && args[i].size() > 2) params["snapshot"] = args[i].substr(2);
        else if (!args[i].empty() && args[i][0] != '-' && source.empty()) source = args[i];
        else return usage_qa(t);
    }
    if (source.empty()) return usage_qa(t);
    params["source"] = source;
    return call(t, "zone.clone", params, {});
}

std::string human(unsigned long long v) {
    const char* units = "BKMGT";
    double d = static_cast<double>(v);
    int u = 0;
    while (d >= 1024 && u < 4) {
        d /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%c" : (d < 10 ? "%.1f%c" : "%.0f%c"), d, units[u]);
    return buf;
}

int snapshot(Tool& t, const std::string& zone, const std::vector<std::string>& args) {
    if (args.empty()) return usage_qa(t);
    const std::string& sub = args[0];
    json params{{"name", zone}};
    if (sub == "create" && args.size() <= 2) {
        if (args.size() == 2) params["snapshot"] = args[1];
        json r;
        int rc = call(t, "zone.snapshot.create", params, {}, &r);
        if (rc == kExitOk) std::printf("%s\n", str(r, "snapshot").c_str());
        return rc;
    }
    if ((sub == "rollback" || sub == "delete") && args.size() == 2) {
        params["snapshot"] = args[1];
        return call(t, "zone.snapshot." + sub, params, {});
    }
    if (sub == "list" && (args.size() == 1 || (args.size() == 2 && args[1] == "-p"))) {
        bool parseable = args.size() == 2;
        json r;
        int rc = call(t, "zone.snapshot.list", params, {}, &r);
        if (rc != kExitOk) return rc;
        if (!parseable) std::printf("%-24s %-20s %8s  %s\n", "NAME", "CREATED", "SIZE", "IMAGE");
        for (const auto& s : r.value("snapshots", json::array())) {
            std::string image = str(s, "image");
            if (image.find('@') == std::string::npos && s.value("image_version", 0U))
                image += "@" + str(s, "image_version");
            if (parseable)
                std::printf("%s:%s:%s:%s\n", str(s, "name").c_str(), str(s, "created").c_str(),
                            str(s, "size").c_str(), image.c_str());
            else
                std::printf("%-24s %-20s %8s  %s\n", str(s, "name").c_str(), str(s, "created").c_str(),
                            human(s.value("size", 0ULL)).c_str(), image.c_str());
        }
        return kExitOk;
    }
    return usage_qa(t);
}

// -a FILE (or a bare FILE for attach): "-" is stdout for detach, stdin for attach.
int move(Tool& t, const std::string& zone, const std::string& cmd, const std::vector<std::string>& args) {
    json params{{"name", zone}};
    std::string file;
    bool dir = false;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-a" && i + 1 < args.size()) file = args[++i];
        else if (args[i] == "-d" && i + 1 < args.size() && cmd == "attach" && file.empty()) {
            file = args[++i];
            dir = true;
        }
        else if (args[i] == "-F" && cmd == "attach") params["force"] = true;
        else if (cmd == "attach" && file.empty() && !args[i].empty() && (args[i][0] != '-' || args[i] == "-"))
            file = args[i];
        else return usage_qa(t);
    }
    if (file.empty()) return call(t, "zone." + cmd, params, {});
    bool detach = cmd == "detach";
    struct stat st {};
    // A bare argument that is a directory: a detached zone's directory.
    if (!detach && file != "-" && ::stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) dir = true;
    params[dir ? "directory" : "archive"] = true;
    zone::UniqueFd own;
    int fd = detach ? STDOUT_FILENO : STDIN_FILENO;
    if (file != "-") {
        // A new file only: an archive never overwrites one.
        own = zone::UniqueFd(detach ? ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
                                    : ::open(file.c_str(), O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0)));
        if (!own) {
            std::fprintf(stderr, "%s: %s: %s\n", t.name.c_str(), file.c_str(), std::strerror(errno));
            return kExitError;
        }
        fd = own.get();
    } else if (detach && ::isatty(STDOUT_FILENO)) {
        std::fprintf(stderr, "%s: refusing to write an archive to a terminal\n", t.name.c_str());
        return kExitUsage;
    }
    int rc = call(t, "zone." + cmd, params, {fd});
    if (rc != kExitOk && detach && own) ::unlink(file.c_str());  // nothing half-written stays
    return rc;
}

} // namespace

void zoneadm_qa_usage(const Tool& t) {
    std::fprintf(stderr,
                 "       %s -z NAME reset\n"
                 "       %s -z NEW clone [-s SNAPSHOT] SOURCE\n"
                 "       %s -z NAME snapshot create [SNAP] | list [-p] | rollback SNAP | delete SNAP\n"
                 "       %s -z NAME detach [-a ARCHIVE|-]\n"
                 "       %s -z NAME attach [-F] [-a ARCHIVE|- | -d DIR]\n",
                 t.name.c_str(), t.name.c_str(), t.name.c_str(), t.name.c_str(), t.name.c_str());
}

// -1 when `cmd` is not one of these verbs.
int zoneadm_qa_command(Tool& t, const std::string& zone, const std::string& cmd,
                       const std::vector<std::string>& args) {
    if (cmd == "reset") return args.empty() ? call(t, "zone.reset", {{"name", zone}}, {}) : usage_qa(t);
    if (cmd == "clone") return clone(t, zone, args);
    if (cmd == "snapshot") return snapshot(t, zone, args);
    if (cmd == "detach" || cmd == "attach") return move(t, zone, cmd, args);
    return -1;
}

} // namespace zonectl
