// The cgroup v2 driver: a zone is <cgroup2>/<parent>/<zone>, every limit and
// every statistic is a file in that one directory.
#include <sys/stat.h>

#include "cgroups/cgfs.hpp"

namespace zone::cg::detail {

namespace {

constexpr int kDrainTimeoutMs = 10000;
// The parent's rmdir may see a just-removed child for a moment (EBUSY).
constexpr int kParentTimeoutMs = 2000;

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

bool populated(const std::string& dir) {
    auto events = parse_flat_keyed(read_opt(dir + "/cgroup.events").value_or(""));
    return events.count("populated") && events["populated"] != 0;
}

class V2Driver final : public Driver {
  public:
    V2Driver(std::string parent, std::set<std::string> controllers)
        : parent_(std::move(parent)), controllers_(std::move(controllers)) {}

    std::string_view name() const override { return "v2"; }
    std::string describe() const override {
        std::string list;
        for (const auto& c : controllers_)
            list += " " + c;
        return "v2: zones in " + parent_ + ", controllers:" + (list.empty() ? " none" : list);
    }
    const std::set<std::string>& controllers() const override { return controllers_; }
    Dirs dirs(const std::string& zone) const override { return {parent_ + "/" + zone, {}}; }
    Dirs parent_dirs() const override { return {parent_, {}}; }

    Result<void> check(const Limits& limits) const override {
        TRY_VOID(plan_v2(limits, HostState{controllers_, {}, "", ""}));
        return ok();
    }

    Result<Cgroup> create(const std::string& zone) override {
        TRY_VOID(check_zone_name(zone));
        TRY_VOID(make_dir(dir(zone)));
        return Cgroup::open(dir(zone));
    }

    Result<void> attach(const std::string& zone, pid_t pid) override {
        TRY_VOID(check_zone_name(zone));
        return write_one(dir(zone) + "/cgroup.procs", std::to_string(pid));
    }

    Result<void> apply(const std::string& zone, const Limits& limits) override {
        TRY_VOID(check_zone_name(zone));
        HostState host{controllers_, {}, "", ""};
        if (controllers_.count("io"))
            host.io_devices["io.max"] = devices_in(read_opt(dir(zone) + "/io.max").value_or(""));
        if (controllers_.count("cpuset") && populated(dir(zone))) {
            host.parent_cpus = trimmed(read_opt(parent_ + "/cpuset.cpus.effective").value_or(""));
            host.parent_mems = trimmed(read_opt(parent_ + "/cpuset.mems.effective").value_or(""));
        }
        TRY(plan, plan_v2(limits, host));
        std::string d = dir(zone);
        auto r = run_plan(plan, [&](const std::string&) { return d; });
        if (!r) return std::move(r).error().wrap("zone '" + zone + "': cgroup limits");
        return ok();
    }

    Result<Stats> stats(const std::string& zone) const override;

    Result<void> freeze(const std::string& zone) override {
        TRY_VOID(check_zone_name(zone));
        return freeze_v2(dir(zone), true, kDrainTimeoutMs);
    }
    Result<void> thaw(const std::string& zone) override {
        TRY_VOID(check_zone_name(zone));
        return freeze_v2(dir(zone), false, kDrainTimeoutMs);
    }

    Result<void> kill(const std::string& zone) override {
        TRY_VOID(check_zone_name(zone));
        std::string d = dir(zone);
        auto r = write_one(d + "/cgroup.kill", "1");
        if (r || r.error().err != ENOENT) return r;
        // Before Linux 5.14 there is no cgroup.kill: freeze, SIGKILL, thaw.
        return kill_listed(
            d + "/cgroup.procs", [&](bool f) { (void)freeze_v2(d, f, 1000); }, kDrainTimeoutMs);
    }

    Result<void> destroy(const std::string& zone) override {
        TRY_VOID(check_zone_name(zone));
        struct stat st;
        if (::stat(dir(zone).c_str(), &st) < 0 && errno == ENOENT) return ok();
        TRY(group, Cgroup::open(dir(zone)));
        if (group.populated()) {
            TRY_VOID(kill(zone));
            TRY_VOID(group.wait_empty(kDrainTimeoutMs));
        }
        return remove_tree(dir(zone), kDrainTimeoutMs);
    }

    Result<void> remove_parent() override { return remove_dir(parent_, kParentTimeoutMs); }

  private:
    std::string dir(const std::string& zone) const { return parent_ + "/" + zone; }

    std::string parent_;
    std::set<std::string> controllers_;
};

MemoryStats memory_stats(const std::string& d) {
    MemoryStats m;
    m.current = read_u64(d + "/memory.current").value_or(0);
    m.peak = read_u64(d + "/memory.peak");
    if (auto t = read_opt(d + "/memory.max"))
        if (auto lim = parse_limit(*t)) m.max = *lim;
    auto events = parse_flat_keyed(read_opt(d + "/memory.events").value_or(""));
    m.oom_kill = events.count("oom_kill") ? events["oom_kill"] : 0;
    if (events.count("oom")) m.oom_events = events["oom"];
    auto stat = parse_flat_keyed(read_opt(d + "/memory.stat").value_or(""));
    if (stat.count("anon")) m.anon = stat["anon"];
    if (stat.count("file")) m.file = stat["file"];
    m.swap_current = read_u64(d + "/memory.swap.current");
    return m;
}

Result<Stats> V2Driver::stats(const std::string& zone) const {
    TRY_VOID(check_zone_name(zone));
    std::string d = dir(zone);
    Stats s;
    auto cpu = read_opt(d + "/cpu.stat");
    if (!cpu) return sys_error("read(" + d + "/cpu.stat)").wrap("zone '" + zone + "': statistics");
    s.cpu = cpu_stats_from_v2(parse_flat_keyed(*cpu));
    if (controllers_.count("memory")) s.memory = memory_stats(d);
    if (auto cur = read_u64(d + "/pids.current"); cur && controllers_.count("pids")) {
        PidsStats p;
        p.current = *cur;
        p.peak = read_u64(d + "/pids.peak");
        if (auto t = read_opt(d + "/pids.max"))
            if (auto lim = parse_limit(*t)) p.max = *lim;
        s.pids = p;
    }
    if (auto io = read_opt(d + "/io.stat"); io && controllers_.count("io"))
        s.io = parse_io_stat(*io);
    read_pressure(d, s);
    return s;
}

} // namespace

std::unique_ptr<Driver> make_v2(std::string unified_parent, std::set<std::string> controllers) {
    return std::make_unique<V2Driver>(std::move(unified_parent), std::move(controllers));
}

} // namespace zone::cg::detail
