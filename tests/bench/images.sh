#!/usr/bin/env bash
# Image store measurements: build time and size of each kind of image, the
# size and time of an export (.tar.zst) and an import, and a patch.
# Prints a markdown table (docs/benchmarks.md, "Gold images").
#
# Usage (root, after tests/setup.sh):  tests/bench/images.sh
# Environment: BUILD_DIR (default build/), DEBOOTSTRAP=0 to skip the Debian
#   image (it needs the package cache that tests/setup.sh fills).
# Runs its own zoned on a temp state root; removes everything at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}
[ "$(id -u)" = 0 ] || { echo "images.sh: needs root" >&2; exit 2; }
tmp=$(mktemp -d /var/tmp/zones-img-bench-XXXXXX)
cg="zones-img-bench-$$"
tag=$(printf '%06x' $(($$ % 16777216)))
cat >"$tmp/zoned.conf" <<CONF
bridge = zib$tag
subnet = 10.251.$(($$ % 200)).0/24
nft-table = zib_$tag
CONF
"$build/runtime/zoned" --root "$tmp/root" --run-dir "$tmp/run" --socket "$tmp/sock" \
    --cgroup-parent "$cg" --config "$tmp/zoned.conf" 2>"$tmp/zoned.log" &
zoned=$!
cleanup() {
    kill "$zoned" 2>/dev/null && wait "$zoned" 2>/dev/null || true
    rm -rf --one-file-system "$tmp"
    # zoned leaves its (empty) cgroup parent behind.
    for m in /sys/fs/cgroup/unified /sys/fs/cgroup; do
        [ -d "$m/$cg" ] && rmdir "$m/$cg" 2>/dev/null || true
    done
}
trap cleanup EXIT
export ZONED_SOCKET=$tmp/sock
z() { "$build/zonectl/zonectl" "$@"; }
for _ in $(seq 100); do [ -S "$tmp/sock" ] && break; sleep 0.05; done

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
mib() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1048576 }'; }
field() { z image info "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

echo "| what | time (s) | size (MiB) | notes |"
echo "|---|---:|---:|---|"
t0=$(now); z image build bb --from busybox >/dev/null 2>&1; t1=$(now)
echo "| build busybox | $(secs "$t0" "$t1") | $(mib "$(field bb size)") | |"

if [ "${DEBOOTSTRAP:-1}" != 0 ]; then
    t0=$(now); z image build deb --from debootstrap:bookworm >/dev/null 2>&1; t1=$(now)
    echo "| build debootstrap:bookworm (from the package cache) | $(secs "$t0" "$t1") | $(mib "$(field deb size)") | minbase + systemd-sysv |"
    img=deb
else
    img=bb
fi

t0=$(now); z image export "$img" "$tmp/$img.tar.zst" >/dev/null 2>&1; t1=$(now)
echo "| export $img (.tar.zst) | $(secs "$t0" "$t1") | $(mib "$(stat -c %s "$tmp/$img.tar.zst")") | file size |"
t0=$(now); z image import "$tmp/$img.tar.zst" --name imported >/dev/null 2>&1; t1=$(now)
echo "| import it, digest verified | $(secs "$t0" "$t1") | $(mib "$(field imported size)") | |"
t0=$(now); z image patch "$img" -- /bin/sh -c 'echo patched > /etc/patched' >/dev/null 2>&1; t1=$(now)
new_kib=$(du -sk "$tmp/root/images/$img/1" "$tmp/root/images/$img/2" | awk 'NR == 2 { print $1 }')
echo "| patch $img (one file) | $(secs "$t0" "$t1") | $(mib "$(field "$img" size)") | new disk space: $(mib $((new_kib * 1024))) MiB (unchanged files shared with the parent) |"
