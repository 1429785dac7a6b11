#include "zone_stats.hpp"

#include <algorithm>

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

Result<ZoneSample> sample_zone(const std::string& cgroup_dir, int init_pid) {
    ZoneSample s;
    TRY(cpu, fs::read_file(cgroup_dir + "/cpu.stat"));
    s.cpu_usec = keyed_value(cpu, "usage_usec");
    s.user_usec = keyed_value(cpu, "user_usec");
    s.system_usec = keyed_value(cpu, "system_usec");
    TRY(procs, fs::read_file(cgroup_dir + "/cgroup.procs"));
    s.nprocs = static_cast<uint64_t>(std::count(procs.begin(), procs.end(), '\n'));
    if (init_pid > 0) {
        auto net = fs::read_file("/proc/" + std::to_string(init_pid) + "/net/dev");
        if (net) s.net = parse_net_dev(*net);
    }
    return s;
}

} // namespace zone::stats
