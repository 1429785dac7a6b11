#!/usr/bin/env bash
# Installs every Debian package the project needs and builds it.
# Usage: tests/setup.sh [BUILD_DIR]   (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}

packages=(
    build-essential cmake pkg-config git
    libseccomp-dev libcap-dev nlohmann-json3-dev libcli11-dev
    libgtest-dev libgmock-dev libedit-dev
    libnl-route-3-dev libnftables-dev nftables
    busybox-static util-linux bsdutils iproute2 procps socat
    qemu-system-x86 cpio xz-utils
    clang-14 libclang-rt-14-dev passwd
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The vm lane's kernel (Debian's, unpacked into the build dir, not installed).
"$here/tests/vm/fetch_kernel.sh" "$build/vm"

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZONE_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
