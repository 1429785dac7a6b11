#include "daemon_config.hpp"

#include <charconv>

#include "runtime/common/fs.hpp"

namespace zone {

static std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

Result<DaemonConfig> parse_daemon_config(std::string_view text, const std::string& origin) {
    DaemonConfig cfg;
    int lineno = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++lineno;
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        std::string where = origin + ":" + std::to_string(lineno);
        size_t eq = line.find('=');
        if (eq == std::string_view::npos)
            return make_error("EINVAL", where + ": expected 'key = value', got '" + std::string(line) + "'");
        std::string key(trim(line.substr(0, eq)));
        std::string value(trim(line.substr(eq + 1)));
        if (key == "admin-group") {
            cfg.admin_group = value;
        } else if (key == "log-level") {
            if (!log::parse_level(value, cfg.log_level))
                return make_error("EINVAL", where + ": log-level '" + value +
                                                "' is not one of debug, info, warning, error");
        } else if (key == "cgroup-parent") {
            if (value.empty() || value.find("..") != std::string::npos)
                return make_error("EINVAL", where + ": cgroup-parent '" + value + "' is not a valid cgroup path");
            cfg.cgroup_parent = value;
        } else if (key == "shutdown-timeout") {
            int v = 0;
            auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
            if (ec != std::errc() || p != value.data() + value.size() || v < 0)
                return make_error("EINVAL", where + ": shutdown-timeout '" + value + "' is not a number of seconds");
            cfg.shutdown_timeout = v;
        } else {
            return make_error("EINVAL", where + ": unknown key '" + key + "'");
        }
    }
    return cfg;
}

Result<DaemonConfig> load_daemon_config(const std::string& path) {
    TRY(text, fs::read_file(path));
    return parse_daemon_config(text, path);
}

} // namespace zone
