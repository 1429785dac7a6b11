#include "error.hpp"

#include <cstring>

namespace zone {

std::string errno_name(int err) {
    const char* n = strerrorname_np(err);
    return n ? n : "E" + std::to_string(err);
}

std::string Error::message() const {
    std::string out;
    for (auto it = context.rbegin(); it != context.rend(); ++it) {
        out += *it;
        out += ": ";
    }
    out += op;
    if (err != 0) {
        out += ": ";
        out += strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error";
        out += " (" + errno_name(err) + ")";
    }
    return out;
}

Error sys_error(std::string op) { return sys_error(errno, std::move(op)); }

Error sys_error(int err, std::string op) {
    return Error{err, errno_name(err), std::move(op), {}};
}

Error make_error(std::string code, std::string msg) {
    return Error{0, std::move(code), std::move(msg), {}};
}

} // namespace zone
