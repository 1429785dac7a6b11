#!/usr/bin/env bash
# Sets everything up (Debian packages, build) and runs the whole test suite:
# unit tests and, as root, the integration tests on the real kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
"$here/tests/setup.sh" "$build"
cd "$build"
ctest -j2 --output-on-failure --timeout 600 "$@"
