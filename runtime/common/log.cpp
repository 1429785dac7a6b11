#include "log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace zone::log {
namespace {
std::atomic<Level> g_level{Level::Info};
const char* g_prefix = "zoned";
const char* name_of(Level l) {
    switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warning";
    case Level::Error: return "error";
    }
    return "?";
}
} // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level; }
void set_prefix(const char* prefix) { g_prefix = prefix; }

bool parse_level(std::string_view s, Level& out) {
    if (s == "debug") out = Level::Debug;
    else if (s == "info") out = Level::Info;
    else if (s == "warning" || s == "warn") out = Level::Warn;
    else if (s == "error") out = Level::Error;
    else return false;
    return true;
}

void write(Level l, const char* fmt, ...) {
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    localtime_r(&ts.tv_sec, &t);
    char line[4300];
    int n = snprintf(line, sizeof line, "%02d:%02d:%02d.%03ld %s[%d] %s: %s\n", t.tm_hour, t.tm_min,
                     t.tm_sec, ts.tv_nsec / 1000000, g_prefix, getpid(), name_of(l), msg);
    if (n > 0) {
        // One write() per line so lines from threads do not interleave.
        ssize_t unused = ::write(STDERR_FILENO, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
        (void)unused;
    }
}

} // namespace zone::log
