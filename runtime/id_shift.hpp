// Moving a zone's own files between id ranges on the host side: the upper
// directory (or the full copy) of a zone whose user namespace changed — its
// first boot with userns=auto, a new range, or back to no user namespace.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

#include "runtime/common/error.hpp"

namespace zone::userns {

// Pure: `id` moved from [from, from+size) to [to, to+size); other ids stay.
uint32_t shift_id(uint32_t id, uint32_t from, uint32_t to, uint32_t size);

// Every file below `dir`, `dir` included: owner and group through shift_id.
// Never follows a symlink, never leaves the file system of `dir`; restores
// the setuid/setgid bits that chown clears. Idempotent for disjoint ranges,
// so a shift cut off half way is finished by running it again. Runs before
// the zone's boot, with no zone process alive to race it.
Result<void> shift_tree(const std::string& dir, uint32_t from, uint32_t to, uint32_t size);

} // namespace zone::userns
