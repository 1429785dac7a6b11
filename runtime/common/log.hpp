// Leveled printf-style logging to stderr. Library code logs at debug only;
// the request handlers and main() log above that.
#pragma once

#include <string_view>

namespace zone::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void set_level(Level l);
Level level();
bool parse_level(std::string_view s, Level& out);
void set_prefix(const char* prefix);  // program name shown on every line

void write(Level l, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

} // namespace zone::log

#define ZLOG_AT(lvl, ...)                                                                          \
    do {                                                                                           \
        if (static_cast<int>(lvl) >= static_cast<int>(::zone::log::level()))                       \
            ::zone::log::write(lvl, __VA_ARGS__);                                                  \
    } while (0)
#define ZLOG_DEBUG(...) ZLOG_AT(::zone::log::Level::Debug, __VA_ARGS__)
#define ZLOG_INFO(...) ZLOG_AT(::zone::log::Level::Info, __VA_ARGS__)
#define ZLOG_WARN(...) ZLOG_AT(::zone::log::Level::Warn, __VA_ARGS__)
#define ZLOG_ERROR(...) ZLOG_AT(::zone::log::Level::Error, __VA_ARGS__)
