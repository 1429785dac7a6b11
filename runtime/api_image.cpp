// image.* methods (placeholder until the image store lands).
#include "runtime/daemon.hpp"

namespace zone {
std::vector<Method> image_methods() { return {}; }
} // namespace zone
