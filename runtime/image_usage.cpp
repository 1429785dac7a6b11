#include "image_usage.hpp"

namespace zone {

std::optional<ImageUse> image_use(ZoneState s, const std::string& image, bool copy, unsigned booted,
                                  const std::function<unsigned(const config::ImageRef&)>& resolve) {
    auto ref = config::parse_image_ref(image);
    if (!ref) return std::nullopt;
    ImageUse u{ref->name, 0, ref->version == 0, false};
    bool mounted = s == ZoneState::Ready || s == ZoneState::Running ||
                   s == ZoneState::ShuttingDown || s == ZoneState::Down;
    u.installed = s != ZoneState::Configured && s != ZoneState::Incomplete && !copy;
    if (mounted && !copy)
        u.version = booted;
    else if (u.installed)
        u.version = resolve(*ref);
    return u;
}

} // namespace zone
