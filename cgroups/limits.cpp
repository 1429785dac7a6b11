#include "limits.hpp"

#include <algorithm>
#include <charconv>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/config/zone_config.hpp"

namespace zone::cg {

namespace {

Error invalid(std::string msg) {
    return make_error(config::kInvalidConfig, std::move(msg));
}

std::optional<unsigned long long> to_uint(std::string_view s) {
    unsigned long long n = 0;
    if (s.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return n;
}

// Sets `slot` from `value` (named `what` in messages), refusing a second,
// different value for the same limit (named by `first` when it was set).
template <typename T>
Result<void> set_once(std::optional<T>& slot, std::string& first, T value, std::string what) {
    if (slot && !(*slot == value))
        return invalid(first + " and " + what + " disagree; set only one of them");
    slot = value;
    first = std::move(what);
    return ok();
}

CpuMax cpu_max_from_hundredths(unsigned long long hundredths) {
    return CpuMax{hundredths * kDefaultCpuPeriodUs / 100, kDefaultCpuPeriodUs};
}

// dedicated-cpu ncpus: "2" or "2-4".
Result<CpuCount> parse_cpu_count(std::string_view s) {
    auto dash = s.find('-');
    auto lo = to_uint(s.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : to_uint(s.substr(dash + 1));
    if (!lo || !hi || *lo == 0 || *hi < *lo || *hi > 8192)
        return invalid("dedicated-cpu: ncpus: '" + std::string(s) +
                       "' is not a positive number of CPUs or a range N-M");
    return CpuCount{static_cast<unsigned>(*lo), static_cast<unsigned>(*hi)};
}

struct Sources {
    std::string cpu_max, cpu_weight, swap;
};

Result<void> map_cpu(const config::ZoneConfig& cfg, Limits& l, Sources& src) {
    for (const auto* r : cfg.of_type("capped-cpu")) {
        std::string n = r->get_or("ncpus", "");
        TRY(h, config::parse_ncpus_hundredths(n));
        TRY_VOID(
            set_once(l.cpu_max, src.cpu_max, cpu_max_from_hundredths(h), "capped-cpu ncpus=" + n));
    }
    if (const auto* p = cfg.get("cpu-shares")) {
        auto n = to_uint(p->scalar);
        if (!n || *n < 1 || *n > kMaxCpuWeight)
            return invalid("cpu-shares: '" + p->scalar + "' is not a number 1..10000");
        l.cpu_weight = weight_from_shares(*n);
        src.cpu_weight = "cpu-shares=" + p->scalar;
    }
    for (const auto* r : cfg.of_type("dedicated-cpu")) {
        if (const auto* cpus = r->get("cpus")) {
            TRY_VOID(parse_cpu_list(cpus->scalar));
            l.cpuset_cpus = cpus->scalar;
        } else if (const auto* n = r->get("ncpus")) {
            TRY(count, parse_cpu_count(n->scalar));
            l.dedicated_ncpus = count;
        }
    }
    return ok();
}

Result<void> map_memory(const config::ZoneConfig& cfg, Limits& l, Sources& src) {
    for (const auto* r : cfg.of_type("capped-memory")) {
        if (const auto* p = r->get("physical")) {
            TRY(bytes, config::parse_size(p->scalar));
            l.memory_max = bytes;
        }
        if (const auto* s = r->get("swap")) {
            TRY(bytes, config::parse_size(s->scalar));
            TRY_VOID(set_once(l.memory_swap_max, src.swap, std::uint64_t{bytes},
                              "capped-memory swap=" + s->scalar));
        }
    }
    return ok();
}

void lower_pids(Limits& l, unsigned long long n) {
    l.pids_max = l.pids_max ? std::min<std::uint64_t>(*l.pids_max, n) : n;
}

Result<void> map_rctl(const config::Resource& r, Limits& l, Sources& src) {
    std::string name = r.get_or("name", "");
    auto parsed = config::parse_rctl_value(r.get_or("value", ""));
    if (!parsed) return std::move(parsed).error().wrap("rctl " + name);
    unsigned long long v = *parsed;
    std::string what = "rctl " + name + "=" + std::to_string(v);
    if (name == "zone.max-processes" || name == "zone.max-lwps") {
        if (v == 0) return invalid(what + ": at least 1 is needed");
        lower_pids(l, v);
    } else if (name == "zone.cpu-shares") {
        if (v < 1 || v > kMaxCpuWeight) return invalid(what + " is out of range (1..10000)");
        TRY_VOID(set_once(l.cpu_weight, src.cpu_weight, weight_from_shares(v), what));
    } else if (name == "zone.cpu-cap") {
        if (v < 1 || v > 1024 * 100) return invalid(what + " is out of range (1..102400 percent)");
        TRY_VOID(set_once(l.cpu_max, src.cpu_max, cpu_max_from_hundredths(v), what));
    } else if (name == "zone.max-swap") {
        TRY_VOID(set_once(l.memory_swap_max, src.swap, std::uint64_t{v}, what));
    } else {
        return invalid("rctl: '" + name + "' is not a resource control this system knows");
    }
    return ok();
}

Result<DeviceNumber> parse_device(const std::string& match, const DeviceLookup& lookup) {
    auto colon = match.find(':');
    if (colon == std::string::npos) {
        auto d = lookup(match);
        if (!d) return std::move(d).error().wrap("device-io match=" + match);
        return d;
    }
    auto ma = to_uint(std::string_view(match).substr(0, colon));
    auto mi = to_uint(std::string_view(match).substr(colon + 1));
    if (!ma || !mi || *ma > 4095 || *mi > 1048575)
        return invalid("device-io: match: '" + match + "' is not MAJOR:MINOR or /dev/NAME");
    return DeviceNumber{static_cast<unsigned>(*ma), static_cast<unsigned>(*mi)};
}

Result<std::optional<std::uint64_t>> io_rate(const config::Resource& r, const char* prop,
                                             bool bytes) {
    const auto* p = r.get(prop);
    if (!p) return std::optional<std::uint64_t>();
    if (bytes) {
        auto n = config::parse_size(p->scalar);
        if (!n || *n == 0)
            return invalid("device-io: " + std::string(prop) + ": '" + p->scalar +
                           "' is not a size per second such as 10M");
        return std::optional<std::uint64_t>(*n);
    }
    auto n = to_uint(p->scalar);
    if (!n || *n == 0)
        return invalid("device-io: " + std::string(prop) + ": '" + p->scalar +
                       "' is not a number >= 1");
    return std::optional<std::uint64_t>(*n);
}

Result<void> map_io(const config::ZoneConfig& cfg, const DeviceLookup& lookup, Limits& l) {
    if (const auto* p = cfg.get("io-shares")) {
        auto n = to_uint(p->scalar);
        if (!n || *n < 1 || *n > 10000)
            return invalid("io-shares: '" + p->scalar + "' is not a number 1..10000");
        l.io_weight = static_cast<unsigned>(*n);
    }
    for (const auto* r : cfg.of_type("device-io")) {
        TRY(dev, parse_device(r->get_or("match", ""), lookup));
        IoMax m{dev.major, dev.minor, {}, {}, {}, {}};
        TRY(rbps, io_rate(*r, "read-bps", true));
        TRY(wbps, io_rate(*r, "write-bps", true));
        TRY(riops, io_rate(*r, "read-iops", false));
        TRY(wiops, io_rate(*r, "write-iops", false));
        m.rbps = rbps, m.wbps = wbps, m.riops = riops, m.wiops = wiops;
        for (const auto& other : l.io_max)
            if (other.major == m.major && other.minor == m.minor)
                return invalid("device-io: device " + std::to_string(m.major) + ":" +
                               std::to_string(m.minor) + " is given more than once");
        l.io_max.push_back(m);
    }
    return ok();
}

} // namespace

Result<DeviceNumber> stat_block_device(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return sys_error("stat(" + path + ")");
    if (!S_ISBLK(st.st_mode)) return sys_error(ENOTBLK, path + " is not a block device");
    return DeviceNumber{major(st.st_rdev), minor(st.st_rdev)};
}

Result<Limits> limits_from_config(const config::ZoneConfig& cfg, const DeviceLookup& lookup) {
    Limits l;
    Sources src;
    TRY_VOID(map_cpu(cfg, l, src));
    TRY_VOID(map_memory(cfg, l, src));
    TRY_VOID(map_io(cfg, lookup, l));
    if (const auto* p = cfg.get("max-processes")) {
        auto n = to_uint(p->scalar);
        if (!n || *n == 0)
            return invalid("max-processes: '" + p->scalar + "' is not a number >= 1");
        lower_pids(l, *n);
    }
    for (const auto* r : cfg.of_type("rctl"))
        TRY_VOID(map_rctl(*r, l, src));
    return l;
}

unsigned weight_from_shares(std::uint64_t shares) {
    return static_cast<unsigned>(std::clamp<std::uint64_t>(shares, 1, kMaxCpuWeight));
}

std::uint64_t v1_shares_from_weight(unsigned weight) {
    return std::clamp<std::uint64_t>(std::uint64_t{weight} * 1024 / 100, 2, 262144);
}

unsigned v1_bfq_weight_from_io_weight(unsigned weight) {
    return std::clamp(weight / 10, 1U, 1000U);
}

Result<std::set<unsigned>> parse_cpu_list(std::string_view s) {
    std::set<unsigned> out;
    auto bad = [&] { return invalid("'" + std::string(s) + "' is not a CPU list such as 0-1,3"); };
    while (!s.empty()) {
        auto comma = s.find(',');
        std::string_view item = s.substr(0, comma);
        s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
        if (item.empty()) return bad();
        auto dash = item.find('-');
        auto lo = to_uint(item.substr(0, dash));
        auto hi = dash == std::string_view::npos ? lo : to_uint(item.substr(dash + 1));
        if (!lo || !hi || *hi < *lo || *hi > 8191) return bad();
        for (auto c = *lo; c <= *hi; ++c)
            out.insert(static_cast<unsigned>(c));
    }
    return out;
}

std::string format_cpu_list(const std::set<unsigned>& cpus) {
    std::string out;
    for (auto it = cpus.begin(); it != cpus.end();) {
        unsigned lo = *it, hi = lo;
        while (++it != cpus.end() && *it == hi + 1)
            hi = *it;
        out += (out.empty() ? "" : ",") + std::to_string(lo);
        if (hi != lo) out += "-" + std::to_string(hi);
    }
    return out;
}

Result<std::string> pick_cpus(const CpuCount& want, std::string_view available,
                              std::string_view taken) {
    TRY(avail, parse_cpu_list(available));
    TRY(busy, parse_cpu_list(taken));
    std::set<unsigned> chosen;
    for (unsigned c : avail)
        if (!busy.count(c) && chosen.size() < want.max) chosen.insert(c);
    if (chosen.size() < want.min || want.min == 0)
        return make_error(
            "EBUSY", "dedicated-cpu ncpus=" + std::to_string(want.min) +
                         (want.max != want.min ? "-" + std::to_string(want.max) : "") + ": only " +
                         std::to_string(chosen.size()) + " CPUs are free (host CPUs " +
                         std::string(available) + ", held by other zones: " +
                         (taken.empty() ? "none" : std::string(taken)) + ")");
    return format_cpu_list(chosen);
}

std::string describe(const Limits& l) {
    std::string out;
    auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
    auto num = [](std::uint64_t n) { return std::to_string(n); };
    if (l.cpu_max) add("cpu.max=" + num(l.cpu_max->quota_us) + "/" + num(l.cpu_max->period_us));
    if (l.cpu_weight) add("cpu.weight=" + num(*l.cpu_weight));
    if (l.cpuset_cpus) add("cpuset.cpus=" + *l.cpuset_cpus);
    if (l.dedicated_ncpus)
        add("dedicated-cpu.ncpus=" + num(l.dedicated_ncpus->min) + "-" +
            num(l.dedicated_ncpus->max));
    if (l.cpuset_mems) add("cpuset.mems=" + *l.cpuset_mems);
    if (l.memory_max) add("memory.max=" + num(*l.memory_max));
    if (l.memory_high) add("memory.high=" + num(*l.memory_high));
    if (l.memory_swap_max) add("memory.swap.max=" + num(*l.memory_swap_max));
    if (l.pids_max) add("pids.max=" + num(*l.pids_max));
    for (const auto& d : l.io_max)
        add("io.max=" + num(d.major) + ":" + num(d.minor));
    if (l.io_weight) add("io.weight=" + num(*l.io_weight));
    return out.empty() ? "none" : out;
}

} // namespace zone::cg
