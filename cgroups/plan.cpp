#include "plan.hpp"

#include <algorithm>

namespace zone::cg {

namespace {

std::string num(std::uint64_t n) {
    return std::to_string(n);
}

std::string dev(const IoMax& d) {
    return num(d.major) + ":" + num(d.minor);
}

// Collects writes and the limits the host cannot enforce; one error lists them all.
class Planner {
  public:
    Planner(const HostState& host, std::string version) : host_(host), version_(version) {}

    bool offers(const std::string& controller) const { return host_.controllers.count(controller); }

    // A write for a limit that is set: refused when the controller is missing.
    void set(const std::string& controller, std::string file, std::vector<std::string> lines,
             std::string limit) {
        if (!offers(controller)) {
            missing_.push_back("limit " + limit + " needs the " + controller + " controller");
            return;
        }
        writes_.push_back({controller, std::move(file), std::move(lines), std::move(limit)});
    }
    // A reset to the default: skipped when the controller is missing.
    void reset(const std::string& controller, std::string file, std::vector<std::string> lines) {
        if (offers(controller))
            writes_.push_back({controller, std::move(file), std::move(lines), ""});
    }
    void refuse(std::string why) { missing_.push_back(std::move(why)); }

    Result<std::vector<Write>> result() && {
        if (missing_.empty()) return std::move(writes_);
        std::string offered;
        for (const auto& c : host_.controllers)
            offered += (offered.empty() ? "" : " ") + c;
        std::string msg;
        for (const auto& m : missing_)
            msg += (msg.empty() ? "" : "; ") + m;
        return make_error(kUnsupportedLimit,
                          msg + " (this host's cgroup " + version_ + " offers zones: " +
                              (offered.empty() ? "no controllers" : offered) + ")");
    }

  private:
    const HostState& host_;
    std::string version_;
    std::vector<Write> writes_;
    std::vector<std::string> missing_;
};

Result<void> check_values(const Limits& l) {
    auto bad = [](std::string msg) { return make_error("EINVAL", std::move(msg)); };
    if (l.cpu_max && (l.cpu_max->quota_us < 1000 || l.cpu_max->period_us < 1000 ||
                      l.cpu_max->period_us > 1000000))
        return bad("cpu_max: quota must be >= 1000 us and period 1000..1000000 us");
    if (l.cpu_weight && (*l.cpu_weight < 1 || *l.cpu_weight > kMaxCpuWeight))
        return bad("cpu_weight " + num(*l.cpu_weight) + " is not in 1..10000");
    if (l.io_weight && (*l.io_weight < 1 || *l.io_weight > 10000))
        return bad("io_weight " + num(*l.io_weight) + " is not in 1..10000");
    if (l.dedicated_ncpus && !l.cpuset_cpus)
        return bad("dedicated-cpu ncpus=" + num(l.dedicated_ncpus->min) + "-" +
                   num(l.dedicated_ncpus->max) +
                   " must be resolved to CPUs (cg::pick_cpus) before the limits are applied");
    return ok();
}

std::vector<std::string> dropped_devices(const HostState& host, const std::string& file,
                                         const std::vector<IoMax>& keep) {
    std::vector<std::string> out;
    auto it = host.io_devices.find(file);
    if (it == host.io_devices.end()) return out;
    for (const auto& d : it->second)
        if (std::none_of(keep.begin(), keep.end(), [&](const IoMax& k) { return dev(k) == d; }))
            out.push_back(d);
    return out;
}

std::string opt(const std::optional<std::uint64_t>& v) {
    return v ? num(*v) : "max";
}

void plan_v2_io(const Limits& l, const HostState& host, Planner& p) {
    std::vector<std::string> resets;
    for (const auto& d : dropped_devices(host, "io.max", l.io_max))
        resets.push_back(d + " rbps=max wbps=max riops=max wiops=max\n");
    if (!resets.empty()) p.reset("io", "io.max", resets);
    for (const auto& d : l.io_max)
        p.set("io", "io.max",
              {dev(d) + " rbps=" + opt(d.rbps) + " wbps=" + opt(d.wbps) + " riops=" + opt(d.riops) +
               " wiops=" + opt(d.wiops) + "\n"},
              "io_max " + dev(d));
    if (l.io_weight)
        p.set("io", "io.weight", {"default " + num(*l.io_weight)},
              "io_weight=" + num(*l.io_weight));
    else
        p.reset("io", "io.weight", {"default 100"});
}

// Writes `line` for a set limit, or the reset value.
void set_or_reset(Planner& p, const std::string& controller, const std::string& file,
                  const std::optional<std::string>& value, const std::string& reset_value,
                  const std::string& limit) {
    if (value)
        p.set(controller, file, {*value}, limit + "=" + *value);
    else
        p.reset(controller, file, {reset_value});
}

std::optional<std::string> str(const std::optional<std::uint64_t>& v) {
    return v ? std::optional<std::string>(num(*v)) : std::nullopt;
}

} // namespace

std::vector<std::string> devices_in(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        std::string_view first = line.substr(0, line.find(' '));
        if (first.find(':') != std::string_view::npos) out.emplace_back(first);
    }
    return out;
}

Result<std::vector<Write>> plan_v2(const Limits& l, const HostState& host) {
    TRY_VOID(check_values(l));
    Planner p(host, "v2");
    if (l.cpu_max)
        p.set("cpu", "cpu.max", {num(l.cpu_max->quota_us) + " " + num(l.cpu_max->period_us)},
              "cpu_max=" + num(l.cpu_max->quota_us) + "/" + num(l.cpu_max->period_us));
    else
        p.reset("cpu", "cpu.max", {"max " + num(kDefaultCpuPeriodUs)});
    auto weight = l.cpu_weight ? std::optional<std::string>(num(*l.cpu_weight)) : std::nullopt;
    set_or_reset(p, "cpu", "cpu.weight", weight, num(kDefaultCpuWeight), "cpu_weight");
    // An empty cpuset.cpus/mems means "the parent's"; written as "\n" (a
    // zero-length write may not reach the kernel's handler). The kernel
    // refuses to empty the cpuset of a populated cgroup (ENOSPC, Linux 6.1):
    // for a running zone the driver passes the parent's effective sets instead.
    auto or_empty = [](const std::string& s) { return s.empty() ? std::string("\n") : s; };
    set_or_reset(p, "cpuset", "cpuset.cpus", l.cpuset_cpus, or_empty(host.parent_cpus),
                 "cpuset_cpus");
    set_or_reset(p, "cpuset", "cpuset.mems", l.cpuset_mems, or_empty(host.parent_mems),
                 "cpuset_mems");
    set_or_reset(p, "memory", "memory.max", str(l.memory_max), "max", "memory_max");
    set_or_reset(p, "memory", "memory.high", str(l.memory_high), "max", "memory_high");
    set_or_reset(p, "memory", "memory.swap.max", str(l.memory_swap_max), "max", "memory_swap_max");
    set_or_reset(p, "pids", "pids.max", str(l.pids_max), "max", "pids_max");
    plan_v2_io(l, host, p);
    return std::move(p).result();
}

namespace {

void plan_v1_cpu(const Limits& l, Planner& p) {
    // Quota first to unlimited, so that a new period never conflicts with the old quota.
    if (l.cpu_max) {
        std::string limit = "cpu_max=" + num(l.cpu_max->quota_us) + "/" + num(l.cpu_max->period_us);
        p.reset("cpu", "cpu.cfs_quota_us", {"-1"});
        p.set("cpu", "cpu.cfs_period_us", {num(l.cpu_max->period_us)}, limit);
        p.set("cpu", "cpu.cfs_quota_us", {num(l.cpu_max->quota_us)}, limit);
    } else {
        p.reset("cpu", "cpu.cfs_quota_us", {"-1"});
        p.reset("cpu", "cpu.cfs_period_us", {num(kDefaultCpuPeriodUs)});
    }
    if (l.cpu_weight)
        p.set("cpu", "cpu.shares", {num(v1_shares_from_weight(*l.cpu_weight))},
              "cpu_weight=" + num(*l.cpu_weight));
    else
        p.reset("cpu", "cpu.shares", {"1024"});
}

void plan_v1_memory(const Limits& l, Planner& p) {
    if (l.memory_high)
        p.refuse("limit memory_high=" + num(*l.memory_high) +
                 " needs cgroup v2's memory controller (cgroup v1 has no memory.high)");
    if (l.memory_swap_max && !l.memory_max) {
        p.refuse("limit memory_swap_max=" + num(*l.memory_swap_max) +
                 " needs memory_max too on cgroup v1 (memory.memsw caps memory + swap together)");
        return;
    }
    // memsw must stay >= the memory limit at every step: lift it, set the
    // memory limit, then cap memory + swap.
    if (p.offers("memory")) p.reset("memory", "memory.memsw.limit_in_bytes", {"-1"});
    set_or_reset(p, "memory", "memory.limit_in_bytes", str(l.memory_max), "-1", "memory_max");
    if (l.memory_swap_max)
        p.set("memory", "memory.memsw.limit_in_bytes", {num(*l.memory_max + *l.memory_swap_max)},
              "memory_swap_max=" + num(*l.memory_swap_max));
}

void plan_v1_io(const Limits& l, const HostState& host, Planner& p) {
    using Field = std::optional<std::uint64_t> IoMax::*;
    const std::pair<const char*, Field> files[] = {
        {"blkio.throttle.read_bps_device", &IoMax::rbps},
        {"blkio.throttle.write_bps_device", &IoMax::wbps},
        {"blkio.throttle.read_iops_device", &IoMax::riops},
        {"blkio.throttle.write_iops_device", &IoMax::wiops}};
    for (const auto& [file, field] : files) {
        std::vector<std::string> resets;
        for (const auto& d : dropped_devices(host, file, l.io_max))
            resets.push_back(d + " 0\n"); // 0 removes a v1 throttle rule
        if (!resets.empty()) p.reset("blkio", file, resets);
        for (const auto& d : l.io_max)
            p.set("blkio", file, {dev(d) + " " + ((d.*field) ? num(*(d.*field)) : "0") + "\n"},
                  "io_max " + dev(d));
    }
    if (l.io_weight)
        p.set("blkio", "blkio.bfq.weight", {num(v1_bfq_weight_from_io_weight(*l.io_weight))},
              "io_weight=" + num(*l.io_weight));
    else
        p.reset("blkio", "blkio.bfq.weight", {"100"});
}

} // namespace

Result<std::vector<Write>> plan_v1(const Limits& l, const HostState& host) {
    TRY_VOID(check_values(l));
    Planner p(host, "v1");
    plan_v1_cpu(l, p);
    // A v1 cpuset with tasks may not be empty: the reset value is the parent's set.
    if (l.cpuset_cpus || !host.parent_cpus.empty())
        set_or_reset(p, "cpuset", "cpuset.cpus", l.cpuset_cpus, host.parent_cpus, "cpuset_cpus");
    if (l.cpuset_mems || !host.parent_mems.empty())
        set_or_reset(p, "cpuset", "cpuset.mems", l.cpuset_mems, host.parent_mems, "cpuset_mems");
    plan_v1_memory(l, p);
    set_or_reset(p, "pids", "pids.max", str(l.pids_max), "max", "pids_max");
    plan_v1_io(l, host, p);
    return std::move(p).result();
}

} // namespace zone::cg
