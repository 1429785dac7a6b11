#!/usr/bin/env bash
# Fetches Debian's kernel for the vm lane into KERNEL_DIR (tests/setup.sh
# passes BUILD_DIR/vm). The kernel package is downloaded and unpacked, never
# installed: nothing runs its hooks and the host's own kernel and /boot stay
# as they are. Leaves in KERNEL_DIR:
#   vmlinux        the uncompressed kernel, booted directly (PVH entry point)
#   modules/*.ko   the modules of tests/vm/modules.txt, decompressed
#   package        "<package> <version>" of what is there
# A second run with the same package version does nothing.
# Usage: tests/vm/fetch_kernel.sh KERNEL_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: fetch_kernel.sh KERNEL_DIR}

# The kernel that Debian's linux-image-amd64 points at today.
current_kernel() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-/ && !n++ { print $2 }'
}
pkg=$(current_kernel)
if [[ -z $pkg ]]; then
    apt-get update >/dev/null
    pkg=$(current_kernel)
fi
[[ -n $pkg ]] || { echo "fetch_kernel: apt knows no linux-image-amd64" >&2; exit 1; }
version=$(apt-cache show --no-all-versions "$pkg" | awk '$1 == "Version:" && !n++ { print $2 }')
want="$pkg $version"
if [[ -f $dir/package && $(<"$dir/package") == "$want" && -f $dir/vmlinux ]]; then
    exit 0
fi

mkdir -p "$(dirname "$dir")"
work=$(mktemp -d "$(dirname "$dir")/.vm-fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetch_kernel: $want"
(cd "$work" && apt-get download -o APT::Sandbox::User=root "$pkg=$version" >/dev/null)
debs=("$work"/*.deb)
deb=${debs[0]}

# Only /boot and the modules the guest loads (the package holds ~400 MiB).
mapfile -t modules < <(grep -v '^\s*\(#\|$\)' "$here/modules.txt")
listing=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
wanted=($(grep -E '^\./boot/vmlinuz-' <<<"$listing"))
for m in "${modules[@]}"; do
    path=$(grep -m1 -E "/$m\.ko(\.xz|\.zst)?\$" <<<"$listing" || true)
    [[ -n $path ]] || { echo "fetch_kernel: $pkg has no module $m" >&2; exit 1; }
    wanted+=("$path")
done
mkdir "$work/x"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/x" "${wanted[@]}"

out="$work/out"
mkdir -p "$out/modules"
for m in "${modules[@]}"; do
    src=$(find "$work/x/lib/modules" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) -print -quit)
    case $src in
    *.ko.xz) xz -dc "$src" >"$out/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$src" >"$out/modules/$m.ko" ;;
    *) cp "$src" "$out/modules/$m.ko" ;;
    esac
done
"$here/extract_vmlinux.sh" "$work"/x/boot/vmlinuz-* "$out/vmlinux"
echo "$want" >"$out/package"

rm -rf "$dir"
mv "$out" "$dir"
echo "fetch_kernel: $(du -sh "$dir" | cut -f1) in $dir"
