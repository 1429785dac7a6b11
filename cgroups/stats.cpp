#include "stats.hpp"

#include <charconv>
#include <cstdlib>

namespace zone::cg {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

// Calls f(line) for each non-empty line.
template <typename F> void for_each_line(std::string_view text, F f) {
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!trim(line).empty()) f(trim(line));
    }
}

// Splits "a b  c" on blanks.
template <typename F> void for_each_word(std::string_view line, F f) {
    while (!line.empty()) {
        size_t sp = line.find_first_of(" \t");
        std::string_view w = line.substr(0, sp);
        line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
        if (!w.empty()) f(w);
    }
}

double to_double(std::string_view s) {
    std::string tmp(s);
    return std::strtod(tmp.c_str(), nullptr);
}

} // namespace

std::optional<std::uint64_t> parse_u64(std::string_view text) {
    text = trim(text);
    std::uint64_t n = 0;
    if (text.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return n;
}

std::optional<std::optional<std::uint64_t>> parse_limit(std::string_view text) {
    text = trim(text);
    if (text == "max" || text == "-1") return std::optional<std::uint64_t>{};
    auto n = parse_u64(text);
    if (!n) return std::nullopt;
    if (*n >= (1ULL << 62)) return std::optional<std::uint64_t>{};
    return std::optional<std::uint64_t>{*n};
}

std::map<std::string, std::uint64_t> parse_flat_keyed(std::string_view text) {
    std::map<std::string, std::uint64_t> out;
    for_each_line(text, [&](std::string_view line) {
        size_t sp = line.find_first_of(" \t");
        if (sp == std::string_view::npos) return;
        if (auto n = parse_u64(line.substr(sp + 1))) out[std::string(line.substr(0, sp))] = *n;
    });
    return out;
}

IoStats parse_io_stat(std::string_view text) {
    IoStats s;
    for_each_line(text, [&](std::string_view line) {
        for_each_word(line, [&](std::string_view w) {
            size_t eq = w.find('=');
            if (eq == std::string_view::npos) return;
            auto key = w.substr(0, eq);
            std::uint64_t n = parse_u64(w.substr(eq + 1)).value_or(0);
            if (key == "rbytes") s.rbytes += n;
            if (key == "wbytes") s.wbytes += n;
            if (key == "rios") s.rios += n;
            if (key == "wios") s.wios += n;
        });
    });
    return s;
}

ReadWrite parse_blkio_rw(std::string_view text) {
    ReadWrite rw;
    for_each_line(text, [&](std::string_view line) {
        std::string_view words[3];
        int n = 0;
        for_each_word(line, [&](std::string_view w) {
            if (n < 3) words[n] = w;
            ++n;
        });
        if (n != 3) return; // "Total 1234" has two words
        std::uint64_t v = parse_u64(words[2]).value_or(0);
        if (words[1] == "Read") rw.read += v;
        if (words[1] == "Write") rw.write += v;
    });
    return rw;
}

std::optional<PressureStats> parse_pressure(std::string_view text) {
    std::optional<Pressure> some, full;
    for_each_line(text, [&](std::string_view line) {
        Pressure p;
        std::string_view kind;
        for_each_word(line, [&](std::string_view w) {
            size_t eq = w.find('=');
            if (eq == std::string_view::npos) {
                kind = w;
                return;
            }
            auto key = w.substr(0, eq), value = w.substr(eq + 1);
            if (key == "avg10") p.avg10 = to_double(value);
            if (key == "avg60") p.avg60 = to_double(value);
            if (key == "avg300") p.avg300 = to_double(value);
            if (key == "total") p.total_usec = parse_u64(value).value_or(0);
        });
        if (kind == "some") some = p;
        if (kind == "full") full = p;
    });
    if (!some) return std::nullopt;
    return PressureStats{*some, full};
}

CpuStats cpu_stats_from_v2(const std::map<std::string, std::uint64_t>& m) {
    auto get = [&](const char* k) {
        auto it = m.find(k);
        return it == m.end() ? 0 : it->second;
    };
    return CpuStats{get("usage_usec"), get("user_usec"),    get("system_usec"),
                    get("nr_periods"), get("nr_throttled"), get("throttled_usec")};
}

CpuStats cpu_stats_from_v1(std::uint64_t usage_ns, std::uint64_t user_ns, std::uint64_t sys_ns,
                           const std::map<std::string, std::uint64_t>& m) {
    auto get = [&](const char* k) {
        auto it = m.find(k);
        return it == m.end() ? 0 : it->second;
    };
    return CpuStats{usage_ns / 1000,   user_ns / 1000,      sys_ns / 1000,
                    get("nr_periods"), get("nr_throttled"), get("throttled_time") / 1000};
}

} // namespace zone::cg
