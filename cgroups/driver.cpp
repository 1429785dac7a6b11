#include "driver.hpp"

#include <algorithm>

#include "cgroups/cgfs.hpp"
#include "runtime/common/fs.hpp"

namespace zone::cg {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        size_t p = s.find(sep);
        if (p != 0) out.push_back(s.substr(0, p));
        if (p == std::string_view::npos) break;
        s = s.substr(p + 1);
    }
    return out;
}

std::set<std::string> words(const std::string& text) {
    std::set<std::string> out;
    for (auto line : split(text, '\n'))
        for (auto w : split(line, ' '))
            out.emplace(w);
    return out;
}

// One v1 mount of mountinfo: its mount point, root and super options.
struct V1Mount {
    std::string root, point;
    std::vector<std::string_view> options;
};

std::optional<V1Mount> v1_mount(std::string_view line) {
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) return std::nullopt;
    auto head = split(line.substr(0, dash), ' ');
    auto tail = split(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3 || tail[0] != "cgroup") return std::nullopt;
    return V1Mount{std::string(head[3]), std::string(head[4]), split(tail[2], ',')};
}

// Enables in `dir`'s subtree_control every wanted controller its
// cgroup.controllers offers; returns those that are on.
std::set<std::string> enable_controllers(const std::string& dir) {
    std::set<std::string> offered =
        words(detail::read_opt(dir + "/cgroup.controllers").value_or(""));
    std::set<std::string> wanted;
    std::string all;
    for (const auto& c : detail::kV2Controllers)
        if (offered.count(c)) {
            wanted.insert(c);
            all += (all.empty() ? "+" : " +") + c;
        }
    if (wanted.empty() || detail::write_one(dir + "/cgroup.subtree_control", all)) return wanted;
    // One at a time: keep those the kernel accepts (the others stay refused at apply).
    std::set<std::string> on;
    for (const auto& c : wanted)
        if (detail::write_one(dir + "/cgroup.subtree_control", "+" + c)) on.insert(c);
    return on;
}

} // namespace

Roots roots_from_mountinfo(std::string_view mountinfo) {
    Roots r;
    r.unified = cgroup2_mount_from_mountinfo(mountinfo).value_or("");
    std::map<std::string, std::string> roots_of; // controller -> root of the chosen mount
    for (auto line : split(mountinfo, '\n')) {
        auto m = v1_mount(line);
        if (!m) continue;
        for (auto opt : m->options) {
            std::string c(opt);
            if (std::find(detail::kV1Hierarchies.begin(), detail::kV1Hierarchies.end(), c) ==
                detail::kV1Hierarchies.end())
                continue;
            // Prefer the hierarchy's own root, then the shortest mount point.
            auto it = r.v1.find(c);
            bool better = it == r.v1.end() || (m->root == "/" && roots_of[c] != "/") ||
                          (m->root == roots_of[c] && m->point.size() < it->second.size());
            if (better) {
                r.v1[c] = m->point;
                roots_of[c] = m->root;
            }
        }
    }
    return r;
}

Result<Roots> find_roots() {
    TRY(text, fs::read_file("/proc/self/mountinfo"));
    return roots_from_mountinfo(text);
}

Result<std::unique_ptr<Driver>> detect(const Roots& roots, const std::string& parent) {
    TRY_VOID(detail::check_parent_name(parent));
    if (roots.unified.empty())
        return make_error("ENOENT", "no cgroup2 file system is mounted: zones need one (the "
                                    "unified or the hybrid cgroup layout)");
    std::string v2_parent = roots.unified + "/" + parent;
    auto root_offers = words(detail::read_opt(roots.unified + "/cgroup.controllers").value_or(""));
    bool v2_has = std::any_of(detail::kV2Controllers.begin(), detail::kV2Controllers.end(),
                              [&](const std::string& c) { return root_offers.count(c) > 0; });
    bool v1_has = std::any_of(detail::kV1Limits.begin(), detail::kV1Limits.end(),
                              [&](const std::string& c) { return roots.v1.count(c) > 0; });
    TRY_VOID(fs::mkdir_p(v2_parent, 0755));
    if (!v2_has && v1_has) {
        return detail::make_v1_hybrid(v2_parent, roots.v1, parent);
    }
    return detail::make_v2(v2_parent,
                           v2_has ? enable_controllers(v2_parent) : std::set<std::string>{});
}

std::vector<std::string> procs_files(const Dirs& dirs) {
    std::vector<std::string> out{dirs.v2 + "/cgroup.procs"};
    for (const auto& d : dirs.v1)
        out.push_back(d + "/cgroup.procs");
    return out;
}

Result<void> destroy_dirs(const Dirs& dirs) {
    constexpr int kDrainTimeoutMs = 10000;
    std::optional<Error> first;
    auto keep = [&](Result<void> r) {
        if (!r && !first) first = r.error();
    };
    if (fs::exists(dirs.v2)) {
        auto group = Cgroup::open(dirs.v2);
        if (group && group->populated()) {
            keep(group->kill());
            keep(group->wait_empty(kDrainTimeoutMs));
        }
    }
    // Nothing joins a v1 group without being in the cgroup2 group too, so
    // this sweep only meets stragglers; no freezer needed.
    for (const auto& d : dirs.v1) {
        if (!fs::exists(d)) continue;
        keep(detail::kill_listed(d + "/cgroup.procs", [](bool) {}, kDrainTimeoutMs));
        keep(detail::remove_dir(d, kDrainTimeoutMs));
    }
    keep(detail::remove_tree(dirs.v2, kDrainTimeoutMs));
    if (first) return std::move(*first).wrap("removing cgroup " + dirs.v2);
    return ok();
}

std::string probe(const Roots& roots) {
    if (roots.unified.empty()) return "none (no cgroup2 file system is mounted)";
    auto offers = words(detail::read_opt(roots.unified + "/cgroup.controllers").value_or(""));
    std::string v2, v1;
    for (const auto& c : detail::kV2Controllers)
        if (offers.count(c)) v2 += " " + c;
    for (const auto& c : detail::kV1Limits)
        if (roots.v1.count(c)) v1 += " " + c;
    if (!v2.empty()) return "v2 (cgroup2 at " + roots.unified + ", controllers:" + v2 + ")";
    if (!v1.empty())
        return "v1-hybrid (cgroup2 at " + roots.unified + " has no controllers; limits in v1:" +
               v1 + ")";
    return "v2 without controllers (cgroup2 at " + roots.unified + "; every limit is refused)";
}

} // namespace zone::cg
