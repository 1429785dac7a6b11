// Tools that are not built yet.
#include <cstdio>

#include "zonectl/common.hpp"

namespace zonectl {
int run_zonestat(Tool& t) { std::fprintf(stderr, "%s: not available yet\n", t.name.c_str()); return kExitError; }
} // namespace zonectl
