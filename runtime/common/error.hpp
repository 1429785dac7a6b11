// Result<T> and Error: the one error type of the project.
//
// Error carries the errno (0 when not a system error), a stable code for the
// wire protocol, the failed operation and the context gathered on the way up.
// It is rendered once, at the edge: "zone 'web': building root: mount(...): EPERM".
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace zone {

struct Error {
    int err = 0;            // errno, 0 if not a system error
    std::string code;       // stable protocol code: "ENOENT", "EINVAL", "NOT_FOUND", ...
    std::string op;         // what failed, with its arguments
    std::vector<std::string> context;  // outermost last

    Error wrap(std::string what) && {
        context.push_back(std::move(what));
        return std::move(*this);
    }
    Error wrap(std::string what) const& {
        Error e = *this;
        e.context.push_back(std::move(what));
        return e;
    }
    // "ctx-outer: ctx-inner: op: strerror"
    std::string message() const;
};

// Captures errno now.
Error sys_error(std::string op);
Error sys_error(int err, std::string op);
// A non-system error with a protocol code ("EINVAL", "NOT_FOUND", ...).
Error make_error(std::string code, std::string msg);

// Symbolic errno name ("EPERM"); "E<number>" when unknown.
std::string errno_name(int err);

template <typename T> class [[nodiscard]] Result {
  public:
    Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
    Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}
    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    Error& error() & { return std::get<1>(v_); }
    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

  private:
    std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error e) : e_(std::move(e)), ok_(false) {}
    bool has_value() const { return ok_; }
    explicit operator bool() const { return ok_; }
    void value() const {}
    Error& error() & { return e_; }
    const Error& error() const& { return e_; }
    Error&& error() && { return std::move(e_); }

  private:
    Error e_;
    bool ok_ = true;
};

inline Result<void> ok() { return {}; }

} // namespace zone

#define ZONE_CAT2(a, b) a##b
#define ZONE_CAT(a, b) ZONE_CAT2(a, b)

// TRY(var, expr): declares `var` from a Result or returns its error.
#define TRY(var, expr)                                                                             \
    auto ZONE_CAT(try_r_, __LINE__) = (expr);                                                      \
    if (!ZONE_CAT(try_r_, __LINE__)) return std::move(ZONE_CAT(try_r_, __LINE__)).error();        \
    auto var = std::move(ZONE_CAT(try_r_, __LINE__)).value()

// TRY_VOID(expr): returns the error of a Result<void>/Result<T>, drops the value.
#define TRY_VOID(expr)                                                                             \
    do {                                                                                           \
        auto try_v_ = (expr);                                                                      \
        if (!try_v_) return std::move(try_v_).error();                                             \
    } while (0)
