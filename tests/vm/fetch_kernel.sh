#!/usr/bin/env bash
# Fetches Debian's kernel for the vm lane into KERNEL_DIR (tests/setup.sh
# passes BUILD_DIR/vm). The kernel package is downloaded and unpacked, never
# installed: nothing runs its hooks and the host's own kernel and /boot stay
# as they are. Leaves in KERNEL_DIR:
#   vmlinux        the uncompressed kernel, booted directly (PVH entry point)
#   modules/*.ko   the modules of tests/vm/modules.txt (the initramfs's)
#   lib/modules/   the kernel's module tree without hardware drivers,
#                  decompressed, with busybox depmod's modules.dep and alias
#   package        "<package> <version> recipe <hash>" of what is there
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
# A change of this script or of the module list fetches again.
recipe=$(cat "$here/fetch_kernel.sh" "$here/modules.txt" | sha256sum | cut -c1-16)
want="$pkg $version recipe $recipe"
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

# /boot and the module tree less the hardware drivers (the package holds
# ~400 MiB, most of it drivers a VM never needs): the guest loads the
# modules of modules.txt from its initramfs, and autoloads any other
# (overlay, veth, bridge, nf_tables, ...) from this tree over 9p.
listing=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
mapfile -t wanted < <(grep -E '^\./boot/vmlinuz-|^\./lib/modules/[^/]+/(modules\.(builtin|order)$|kernel/)' <<<"$listing" |
    grep -vE '/kernel/(drivers|sound)/' || true)
guest_drivers=(drivers/virtio/ drivers/block/virtio_blk drivers/net/veth drivers/net/tun drivers/net/dummy)
for d in "${guest_drivers[@]}"; do
    mapfile -t -O "${#wanted[@]}" wanted < <(grep -E "/kernel/$d" <<<"$listing" | grep -v '/$' || true)
done
mkdir "$work/x"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/x" --no-recursion "${wanted[@]}"

out="$work/out"
mkdir -p "$out/modules" "$out/lib"
mv "$work/x/lib/modules" "$out/lib/modules"
kver=$(ls "$out/lib/modules")
find "$out/lib/modules" -name '*.ko.xz' -exec xz -d {} +
find "$out/lib/modules" -name '*.ko.zst' -exec zstd -q --rm -d {} +
busybox depmod -b "$out" "$kver"
mapfile -t modules < <(grep -v '^\s*\(#\|$\)' "$here/modules.txt")
for m in "${modules[@]}"; do
    src=$(find "$out/lib/modules" -name "$m.ko" -print -quit)
    [[ -n $src ]] || { echo "fetch_kernel: $pkg has no module $m" >&2; exit 1; }
    cp "$src" "$out/modules/$m.ko"
done
"$here/extract_vmlinux.sh" "$work"/x/boot/vmlinuz-* "$out/vmlinux"
echo "$want" >"$out/package"

rm -rf "$dir"
mv "$out" "$dir"
echo "fetch_kernel: $(du -sh "$dir" | cut -f1) in $dir"
