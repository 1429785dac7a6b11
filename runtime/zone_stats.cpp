#include "zone_stats.hpp"

#include <algorithm>
#include <unistd.h>

#include "runtime/common/fs.hpp"

namespace zone::stats {

namespace {

uint64_t to_u64(std::string_view s) {
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') break;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

std::string_view next_field(std::string_view& s) {
    size_t b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        s = {};
        return {};
    }
    s.remove_prefix(b);
    size_t e = s.find_first_of(" \t");
    std::string_view f = s.substr(0, e);
    s = e == std::string_view::npos ? std::string_view() : s.substr(e);
    return f;
}

} // namespace

NetCounters parse_net_dev(std::string_view text) {
    NetCounters c;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;  // the two header lines
        std::string_view name = line.substr(0, colon);
        name.remove_prefix(std::min(name.find_first_not_of(' '), name.size()));
        if (name == "lo") continue;
        std::string_view rest = line.substr(colon + 1);
        // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets ...
        uint64_t f[10] = {};
        for (int i = 0; i < 10; ++i) f[i] = to_u64(next_field(rest));
        c.rx_bytes += f[0];
        c.rx_packets += f[1];
        c.tx_bytes += f[8];
        c.tx_packets += f[9];
    }
    return c;
}

uint64_t keyed_value(std::string_view text, std::string_view key) {
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
            return to_u64(line.substr(key.size() + 1));
    }
    return 0;
}

Result<ZoneSample> sample_zone(const cg::Driver& driver, const std::string& zone, int init_pid) {
    ZoneSample s;
    TRY(st, driver.stats(zone));
    s.cgroup = st;
    if (st.cpu) {
        s.cpu_usec = st.cpu->usage_usec;
        s.user_usec = st.cpu->user_usec;
        s.system_usec = st.cpu->system_usec;
    }
    TRY(procs, fs::read_file(driver.dirs(zone).v2 + "/cgroup.procs"));
    s.nprocs = static_cast<uint64_t>(std::count(procs.begin(), procs.end(), '\n'));
    if (init_pid > 0) {
        auto net = fs::read_file("/proc/" + std::to_string(init_pid) + "/net/dev");
        if (net) s.net = parse_net_dev(*net);
    }
    return s;
}

uint64_t busy_usec_from_proc_stat(std::string_view text, long hz) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (line.substr(0, 4) != "cpu ") return 0;
    line.remove_prefix(4);
    // user nice system idle iowait irq softirq steal
    uint64_t f[8] = {};
    for (auto& v : f) v = to_u64(next_field(line));
    uint64_t busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
    return hz > 0 ? busy * 1000000ULL / static_cast<uint64_t>(hz) : 0;
}

std::pair<uint64_t, uint64_t> memory_from_meminfo(std::string_view text) {
    auto kb = [&](std::string_view key) {
        size_t p = text.find(key);
        if (p == std::string_view::npos) return uint64_t{0};
        std::string_view rest = text.substr(p + key.size());
        return to_u64(next_field(rest)) * 1024;
    };
    uint64_t total = kb("MemTotal:"), avail = kb("MemAvailable:");
    return {total, total > avail ? total - avail : 0};
}

HostSample sample_host() {
    HostSample h;
    if (auto t = fs::read_file("/proc/stat")) h.cpu_usec = busy_usec_from_proc_stat(*t, ::sysconf(_SC_CLK_TCK));
    if (auto t = fs::read_file("/proc/meminfo")) {
        auto [total, used] = memory_from_meminfo(*t);
        h.memory_total = total;
        h.memory_used = used;
    }
    if (auto t = fs::read_file("/proc/pressure/cpu")) h.cpu_pressure = cg::parse_pressure(*t);
    return h;
}

} // namespace zone::stats
