// The v1-hybrid driver, for hosts whose controllers are bound to cgroup v1
// hierarchies while cgroup2 is mounted without controllers
// (/sys/fs/cgroup/unified). A zone has:
//   <cgroup2>/<parent>/<zone>          tracking: CLONE_INTO_CGROUP, populated,
//                                      cgroup.kill, cgroup.freeze, PSI
//   <v1 mount>/<parent>/<zone>         per hierarchy (cpu, cpuacct, cpuset,
//                                      memory, pids, blkio, freezer): limits
//                                      and their accounting
// and every process of the zone is in all of them (attach()). A v1 group
// whose cpuset is empty takes no task, so the cpuset is copied down from the
// hierarchy's root when the directories are made.
#include <sys/stat.h>

#include "cgroups/cgfs.hpp"
#include "runtime/common/fs.hpp"

namespace zone::cg::detail {

namespace {

constexpr int kDrainTimeoutMs = 10000;
// The parent's rmdir may see a just-removed child for a moment (EBUSY).
constexpr int kParentTimeoutMs = 2000;

bool is_dir(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

// Gives `dir` its parent's cpus and mems when they are still empty.
Result<void> inherit_cpuset(const std::string& dir, const std::string& parent) {
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
        std::string mine = trimmed(read_opt(dir + "/" + file).value_or(""));
        if (!mine.empty()) continue;
        std::string theirs = trimmed(read_opt(parent + "/" + file).value_or(""));
        if (theirs.empty()) continue;
        TRY_VOID(write_one(dir + "/" + file, theirs));
    }
    return ok();
}

class V1HybridDriver final : public Driver {
  public:
    V1HybridDriver(std::string v2_parent, std::map<std::string, std::string> v1_parents,
                   std::set<std::string> controllers)
        : v2_parent_(std::move(v2_parent)), v1_parents_(std::move(v1_parents)),
          controllers_(std::move(controllers)) {}

    std::string_view name() const override { return "v1-hybrid"; }
    std::string describe() const override {
        std::string list;
        for (const auto& [c, d] : v1_parents_)
            list += " " + c;
        return "v1-hybrid: limits in the cgroup v1 hierarchies" + list + ", tracking in " +
               v2_parent_;
    }
    const std::set<std::string>& controllers() const override { return controllers_; }

    Dirs dirs(const std::string& zone) const override {
        Dirs d{v2_parent_ + "/" + zone, {}};
        for (const auto& [c, p] : v1_parents_)
            if (std::find(d.v1.begin(), d.v1.end(), p + "/" + zone) == d.v1.end())
                d.v1.push_back(p + "/" + zone);
        return d;
    }
    Dirs parent_dirs() const override {
        Dirs d{v2_parent_, {}};
        for (const auto& [c, p] : v1_parents_)
            if (std::find(d.v1.begin(), d.v1.end(), p) == d.v1.end()) d.v1.push_back(p);
        return d;
    }

    Result<void> check(const Limits& limits) const override {
        TRY_VOID(plan_v1(limits, HostState{controllers_, {}, "", ""}));
        return ok();
    }

    Result<Cgroup> create(const std::string& zone) override;
    Result<void> attach(const std::string& zone, pid_t pid) override;
    Result<void> apply(const std::string& zone, const Limits& limits) override;
    Result<Stats> stats(const std::string& zone) const override;
    Result<void> freeze(const std::string& zone) override { return set_frozen(zone, true); }
    Result<void> thaw(const std::string& zone) override { return set_frozen(zone, false); }
    Result<void> kill(const std::string& zone) override;
    Result<void> destroy(const std::string& zone) override;
    Result<void> remove_parent() override;

  private:
    std::string v2_dir(const std::string& zone) const { return v2_parent_ + "/" + zone; }
    // The zone's directory in the hierarchy of `controller`; "" when not mounted.
    std::string v1_dir(const std::string& controller, const std::string& zone) const {
        auto it = v1_parents_.find(controller);
        return it == v1_parents_.end() ? "" : it->second + "/" + zone;
    }
    Result<void> set_frozen(const std::string& zone, bool frozen);
    void set_v1_frozen(const std::string& zone, bool frozen);
    bool empty(const std::string& zone) const;

    std::string v2_parent_;
    std::map<std::string, std::string> v1_parents_; // controller -> <mount>/<parent>
    std::set<std::string> controllers_;
};

Result<Cgroup> V1HybridDriver::create(const std::string& zone) {
    TRY_VOID(check_zone_name(zone));
    auto made = [&]() -> Result<Cgroup> {
        TRY_VOID(make_dir(v2_dir(zone)));
        for (const auto& d : dirs(zone).v1)
            TRY_VOID(make_dir(d));
        if (auto it = v1_parents_.find("cpuset"); it != v1_parents_.end())
            TRY_VOID(inherit_cpuset(it->second + "/" + zone, it->second));
        return Cgroup::open(v2_dir(zone));
    }();
    if (made) return made;
    (void)destroy(zone); // half made: undo
    return std::move(made).error().wrap("zone '" + zone + "': creating its cgroups");
}

Result<void> V1HybridDriver::attach(const std::string& zone, pid_t pid) {
    TRY_VOID(check_zone_name(zone));
    for (const auto& procs : procs_files(dirs(zone))) {
        auto r = write_one(procs, std::to_string(pid));
        if (!r)
            return std::move(r).error().wrap("zone '" + zone + "': attaching pid " +
                                             std::to_string(pid));
    }
    return ok();
}

Result<void> V1HybridDriver::apply(const std::string& zone, const Limits& limits) {
    TRY_VOID(check_zone_name(zone));
    HostState host{controllers_, {}, "", ""};
    if (controllers_.count("blkio"))
        for (const char* f :
             {"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
              "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"})
            host.io_devices[f] = devices_in(read_opt(v1_dir("blkio", zone) + "/" + f).value_or(""));
    if (controllers_.count("cpuset")) {
        host.parent_cpus =
            trimmed(read_opt(v1_parents_.at("cpuset") + "/cpuset.cpus").value_or(""));
        host.parent_mems =
            trimmed(read_opt(v1_parents_.at("cpuset") + "/cpuset.mems").value_or(""));
    }
    auto plan = plan_v1(limits, host);
    if (!plan) return std::move(plan).error().wrap("zone '" + zone + "': cgroup limits");
    auto r = run_plan(*plan, [&](const std::string& c) { return v1_dir(c, zone); });
    if (!r) return std::move(r).error().wrap("zone '" + zone + "': cgroup limits");
    return ok();
}

std::optional<MemoryStats> v1_memory_stats(const std::string& d) {
    auto usage = read_u64(d + "/memory.usage_in_bytes");
    if (!usage) return std::nullopt;
    MemoryStats m;
    m.current = *usage;
    m.peak = read_u64(d + "/memory.max_usage_in_bytes");
    if (auto t = read_opt(d + "/memory.limit_in_bytes"))
        if (auto lim = parse_limit(*t)) m.max = *lim;
    auto oom = parse_flat_keyed(read_opt(d + "/memory.oom_control").value_or(""));
    m.oom_kill = oom.count("oom_kill") ? oom["oom_kill"] : 0;
    auto stat = parse_flat_keyed(read_opt(d + "/memory.stat").value_or(""));
    if (stat.count("total_rss")) m.anon = stat["total_rss"];
    if (stat.count("total_cache")) m.file = stat["total_cache"];
    if (auto memsw = read_u64(d + "/memory.memsw.usage_in_bytes"))
        m.swap_current = *memsw > *usage ? *memsw - *usage : 0;
    return m;
}

Result<Stats> V1HybridDriver::stats(const std::string& zone) const {
    TRY_VOID(check_zone_name(zone));
    Stats s;
    auto throttling = parse_flat_keyed(read_opt(v1_dir("cpu", zone) + "/cpu.stat").value_or(""));
    std::string acct = v1_dir("cpuacct", zone);
    if (auto usage = read_u64(acct + "/cpuacct.usage"); usage && !acct.empty()) {
        s.cpu = cpu_stats_from_v1(*usage, read_u64(acct + "/cpuacct.usage_user").value_or(0),
                                  read_u64(acct + "/cpuacct.usage_sys").value_or(0), throttling);
    } else if (auto v2 = read_opt(v2_dir(zone) + "/cpu.stat")) {
        // No cpuacct: cgroup2's core cpu.stat still counts usage.
        CpuStats c = cpu_stats_from_v2(parse_flat_keyed(*v2));
        CpuStats t = cpu_stats_from_v1(0, 0, 0, throttling);
        c.nr_periods = t.nr_periods, c.nr_throttled = t.nr_throttled;
        c.throttled_usec = t.throttled_usec;
        s.cpu = c;
    }
    if (std::string d = v1_dir("memory", zone); !d.empty()) s.memory = v1_memory_stats(d);
    if (std::string d = v1_dir("pids", zone); !d.empty()) {
        if (auto cur = read_u64(d + "/pids.current")) {
            PidsStats p;
            p.current = *cur;
            p.peak = read_u64(d + "/pids.peak");
            if (auto t = read_opt(d + "/pids.max"))
                if (auto lim = parse_limit(*t)) p.max = *lim;
            s.pids = p;
        }
    }
    if (std::string d = v1_dir("blkio", zone); !d.empty()) {
        auto bytes = read_opt(d + "/blkio.throttle.io_service_bytes");
        auto ios = read_opt(d + "/blkio.throttle.io_serviced");
        if (bytes) {
            auto b = parse_blkio_rw(*bytes);
            auto n = parse_blkio_rw(ios.value_or(""));
            s.io = IoStats{b.read, b.write, n.read, n.write};
        }
    }
    if (!is_dir(v2_dir(zone)) && !s.cpu && !s.memory)
        return sys_error(ENOENT, "read(" + v2_dir(zone) + ")")
            .wrap("zone '" + zone + "': statistics");
    read_pressure(v2_dir(zone), s);
    return s;
}

void V1HybridDriver::set_v1_frozen(const std::string& zone, bool frozen) {
    std::string d = v1_dir("freezer", zone);
    if (d.empty()) return;
    const char* want = frozen ? "FROZEN" : "THAWED";
    if (!write_one(d + "/freezer.state", want)) return;
    wait_for([&] { return trimmed(read_opt(d + "/freezer.state").value_or(want)) == want; }, 1000);
}

Result<void> V1HybridDriver::set_frozen(const std::string& zone, bool frozen) {
    TRY_VOID(check_zone_name(zone));
    // cgroup2's freezer (5.2+) works without controllers; else the v1 freezer.
    if (fs::exists(v2_dir(zone) + "/cgroup.freeze"))
        return freeze_v2(v2_dir(zone), frozen, kDrainTimeoutMs);
    std::string d = v1_dir("freezer", zone);
    if (d.empty())
        return make_error(kUnsupportedLimit,
                          "freezing zone '" + zone +
                              "' needs cgroup.freeze (Linux 5.2) or the v1 freezer");
    const char* want = frozen ? "FROZEN" : "THAWED";
    TRY_VOID(write_one(d + "/freezer.state", want));
    if (wait_for([&] { return trimmed(read_opt(d + "/freezer.state").value_or("")) == want; },
                 kDrainTimeoutMs))
        return ok();
    return sys_error(ETIMEDOUT, std::string("waiting for ") + d + " to become " + want);
}

Result<void> V1HybridDriver::kill(const std::string& zone) {
    TRY_VOID(check_zone_name(zone));
    std::string v2 = v2_dir(zone);
    if (auto r = write_one(v2 + "/cgroup.kill", "1"); !r && r.error().err != ENOENT) return r;
    if (!fs::exists(v2 + "/cgroup.kill"))
        TRY_VOID(kill_listed(
            v2 + "/cgroup.procs", [&](bool f) { set_v1_frozen(zone, f); }, kDrainTimeoutMs));
    // v1 has no cgroup.kill: sweep each v1 group for anything not (or no
    // longer) in the cgroup2 group, freezing the zone around each round.
    for (const auto& d : dirs(zone).v1)
        TRY_VOID(kill_listed(
            d + "/cgroup.procs", [&](bool f) { set_v1_frozen(zone, f); }, kDrainTimeoutMs));
    return ok();
}

bool V1HybridDriver::empty(const std::string& zone) const {
    for (const auto& procs : procs_files(dirs(zone)))
        if (!read_pids(procs).empty()) return false;
    return true;
}

Result<void> V1HybridDriver::destroy(const std::string& zone) {
    TRY_VOID(check_zone_name(zone));
    Dirs all = dirs(zone);
    bool any = is_dir(all.v2);
    for (const auto& d : all.v1)
        any = any || is_dir(d);
    if (!any) return ok();
    if (!empty(zone)) {
        TRY_VOID(kill(zone));
        if (!wait_for([&] { return empty(zone); }, kDrainTimeoutMs))
            return sys_error(ETIMEDOUT, "waiting for zone '" + zone + "' to empty its cgroups");
    }
    // Remove every directory even when one fails; report the first failure.
    std::optional<Error> first;
    for (const auto& d : all.v1)
        if (auto r = remove_dir(d, kDrainTimeoutMs); !r && !first) first = r.error();
    if (auto r = remove_tree(all.v2, kDrainTimeoutMs); !r && !first) first = r.error();
    if (first) return std::move(*first).wrap("zone '" + zone + "': removing its cgroups");
    return ok();
}

Result<void> V1HybridDriver::remove_parent() {
    Dirs all = parent_dirs();
    std::optional<Error> first;
    for (const auto& d : all.v1)
        if (auto r = remove_dir(d, kParentTimeoutMs); !r && !first) first = r.error();
    if (auto r = remove_dir(all.v2, kParentTimeoutMs); !r && !first) first = r.error();
    if (first) return *first;
    return ok();
}

} // namespace

// Makes <mount>/<parent>, level by level, each level's cpuset copied from
// the level above. Returns the directory.
Result<std::string> make_v1_parent(const std::string& controller, const std::string& mount,
                                   const std::string& parent) {
    std::string cur = mount;
    for (size_t i = 0; i <= parent.size();) {
        size_t slash = std::min(parent.find('/', i), parent.size());
        std::string above = cur;
        cur += "/" + parent.substr(i, slash - i);
        TRY_VOID(make_dir(cur));
        if (controller == "cpuset") TRY_VOID(inherit_cpuset(cur, above));
        i = slash + 1;
    }
    return cur;
}

Result<std::unique_ptr<Driver>> make_v1_hybrid(std::string unified_parent,
                                               const std::map<std::string, std::string>& v1_mounts,
                                               const std::string& parent) {
    // A hierarchy where the parent cannot be made is left out: its limits
    // are then refused by name at check/apply.
    std::map<std::string, std::string> usable;
    std::set<std::string> controllers;
    std::optional<Error> first;
    for (const auto& [c, mount] : v1_mounts) {
        if (std::find(kV1Hierarchies.begin(), kV1Hierarchies.end(), c) == kV1Hierarchies.end())
            continue;
        auto dir = make_v1_parent(c, mount, parent);
        if (!dir) {
            if (!first) first = dir.error();
            continue;
        }
        usable[c] = *dir;
        if (std::find(kV1Limits.begin(), kV1Limits.end(), c) != kV1Limits.end())
            controllers.insert(c);
    }
    if (controllers.empty())
        return (first ? *first : make_error("ENOENT", "no cgroup v1 hierarchy"))
            .wrap("making the zones' parent '" + parent + "' in the cgroup v1 hierarchies");
    return std::unique_ptr<Driver>(std::make_unique<V1HybridDriver>(
        std::move(unified_parent), std::move(usable), std::move(controllers)));
}

} // namespace zone::cg::detail
