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
    libarchive-dev libssl-dev debootstrap zstd
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

# The package cache of the debootstrap image source (docs/images.md): filled
# here, once, so that tests build Debian images without the network.
deb_cache=${ZONED_DEBOOTSTRAP_CACHE:-/var/cache/zoned/debootstrap}
deb_tar=$deb_cache/bookworm-minbase-$(dpkg --print-architecture).tar.gz
if [[ ! -s $deb_tar ]]; then
    mirror=$( (grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}';
               grep -hs '^deb ' /etc/apt/sources.list | sed 's/\[[^]]*\]//' | awk '{print $2}') |
             grep -v security | head -n1 || true)
    mkdir -p "$deb_cache"
    work=$(mktemp -d "$deb_cache/.work-XXXXXX")
    debootstrap --variant=minbase --include=systemd-sysv --make-tarball="$deb_tar.part" \
        bookworm "$work/target" "${mirror:-http://deb.debian.org/debian}" >"$work.log" 2>&1 ||
        { tail -n 20 "$work.log"; rm -rf "$work" "$work.log" "$deb_tar.part"; exit 1; }
    mv "$deb_tar.part" "$deb_tar"
    rm -rf "$work" "$work.log"
fi

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZONE_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
