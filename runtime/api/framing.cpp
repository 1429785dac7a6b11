#include "framing.hpp"

namespace zone::api {

LineBuffer::Status LineBuffer::next(std::string& line) {
    for (;;) {
        size_t nl = buf_.find('\n', scanned_);
        if (discarding_) {
            if (nl == std::string::npos) {
                buf_.clear();
                scanned_ = 0;
                return Status::NeedMore;
            }
            buf_.erase(0, nl + 1);
            scanned_ = 0;
            discarding_ = false;
            continue;
        }
        if (nl == std::string::npos) {
            if (buf_.size() > max_) {
                buf_.clear();
                scanned_ = 0;
                discarding_ = true;
                return Status::TooLong;
            }
            scanned_ = buf_.size();
            return Status::NeedMore;
        }
        if (nl > max_) {
            buf_.erase(0, nl + 1);
            scanned_ = 0;
            return Status::TooLong;
        }
        line.assign(buf_, 0, nl);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        buf_.erase(0, nl + 1);
        scanned_ = 0;
        return Status::Line;
    }
}

} // namespace zone::api
