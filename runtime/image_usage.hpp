// Which image version a zone uses: derived every time from the zone's state
// and (effective) configuration, never kept as a counter that could drift
// (docs/images.md, "Which zones use a version").
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "runtime/config/zone_config.hpp"
#include "runtime/state.hpp"

namespace zone {

struct ImageUse {
    std::string image;
    unsigned version = 0;   // 0: the zone names the image but uses no version
    bool floating = false;  // image=NAME (the newest at each boot)
    bool installed = false; // an installed overlay zone: its files sit on the image
};

// Pure. `image` is the zone's `image` property (of the configuration it
// booted with while its root is mounted), `copy` its root-type, `booted` the
// version it booted on, `resolve` the version a reference names now (0 when
// none). nullopt when the zone names no valid image.
//  - root mounted (ready, running, shutting down, down): the booted version;
//  - installed overlay zone: the version it will boot on;
//  - configured, incomplete, copy zones: no version.
std::optional<ImageUse> image_use(ZoneState state, const std::string& image, bool copy,
                                  unsigned booted,
                                  const std::function<unsigned(const config::ImageRef&)>& resolve);

} // namespace zone
