#include "passwd.hpp"

#include <algorithm>
#include <charconv>

namespace zone {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t i = 0;
    for (;;) {
        size_t j = s.find(sep, i);
        out.push_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
        if (j == std::string_view::npos) return out;
        i = j + 1;
    }
}

template <typename T> bool to_num(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

template <typename F> void for_lines(std::string_view text, F fn) {
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        fn(line);
    }
}

} // namespace

std::optional<PasswdEntry> find_passwd(std::string_view passwd, std::string_view user) {
    std::optional<PasswdEntry> found;
    uid_t want_uid = 0;
    bool numeric = to_num(user, want_uid);
    for_lines(passwd, [&](std::string_view line) {
        if (found) return;
        auto f = split(line, ':');
        if (f.size() < 7) return;
        PasswdEntry e;
        e.name = f[0];
        if (!to_num(f[2], e.uid) || !to_num(f[3], e.gid)) return;
        if (f[0] != user && !(numeric && e.uid == want_uid)) return;
        e.home = f[5].empty() ? "/" : std::string(f[5]);
        e.shell = f[6].empty() ? "/bin/sh" : std::string(f[6]);
        found = std::move(e);
    });
    return found;
}

std::vector<gid_t> groups_of(std::string_view group, std::string_view user, gid_t primary) {
    std::vector<gid_t> out{primary};
    for_lines(group, [&](std::string_view line) {
        auto f = split(line, ':');
        if (f.size() < 4) return;
        gid_t gid;
        if (!to_num(f[2], gid)) return;
        for (auto m : split(f[3], ','))
            if (m == user && std::find(out.begin(), out.end(), gid) == out.end()) out.push_back(gid);
    });
    return out;
}

} // namespace zone
