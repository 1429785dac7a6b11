// Newline-delimited framing with a hard line limit (1 MiB by default).
// Pure: fed bytes, yields complete lines; no I/O, so it is unit-tested on
// partial lines, oversized lines and garbage.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace zone::api {

inline constexpr size_t kMaxLine = 1 << 20;

class LineBuffer {
  public:
    explicit LineBuffer(size_t max_line = kMaxLine) : max_(max_line) {}

    void feed(std::string_view bytes) { buf_.append(bytes); }

    enum class Status { Line, NeedMore, TooLong };
    // Extracts the next complete line (without '\n'). A line longer than the
    // limit yields TooLong once; its bytes are then skipped up to the next
    // newline so that the stream can recover.
    Status next(std::string& line);

    size_t buffered() const { return buf_.size(); }

  private:
    std::string buf_;
    size_t max_;
    size_t scanned_ = 0;      // bytes of buf_ known to hold no newline
    bool discarding_ = false; // inside an oversized line
};

} // namespace zone::api
