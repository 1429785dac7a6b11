#!/usr/bin/env bash
# Writes the uncompressed kernel (an ELF vmlinux, bootable through its PVH
# entry point) that an x86 bzImage carries. The boot protocol header (2.08+)
# says where the compressed payload is: it starts (setup_sects + 1) * 512 +
# payload_offset bytes into the file and is payload_length bytes long; its
# last four bytes are the uncompressed size, which checks the result.
# Usage: tests/vm/extract_vmlinux.sh BZIMAGE OUT
set -euo pipefail
image=${1:?usage: extract_vmlinux.sh BZIMAGE OUT}
out=${2:?usage: extract_vmlinux.sh BZIMAGE OUT}

# Little-endian unsigned integer of `size` bytes at `offset`.
field() { od -An -t "u$2" -j "$1" -N "$2" "$image" | tr -d ' '; }

[[ $(od -An -c -j 0x202 -N 4 "$image" | tr -d ' ') == HdrS ]] ||
    { echo "extract_vmlinux: $image is not a bzImage" >&2; exit 1; }
setup_sects=$(field 0x1f1 1)
if ((setup_sects == 0)); then setup_sects=4; fi
start=$(((setup_sects + 1) * 512 + $(field 0x248 4)))
length=$(field 0x24c 4)

payload="$out.payload"
trap 'rm -f "$payload" "$out.tmp"' EXIT
dd if="$image" of="$payload" bs=64K iflag=skip_bytes,count_bytes skip="$start" count="$length" status=none
magic=$(od -An -t x1 -N 6 "$payload" | tr -d ' ')
case $magic in
fd377a585a00) decompress=(xz -dc --single-stream) ;;
28b52ffd*) decompress=(zstd -qdc) ;;
1f8b*) decompress=(gzip -dc) ;;
*) echo "extract_vmlinux: unknown payload compression (magic $magic)" >&2; exit 1 ;;
esac
# gzip complains about the trailing size field but has written everything.
"${decompress[@]}" <"$payload" >"$out.tmp" 2>/dev/null || [[ $magic == 1f8b* ]]
size=$(od -An -t u4 -j "$((length - 4))" -N 4 "$payload" | tr -d ' ')
actual=$(stat -c %s "$out.tmp")
if [[ $actual != "$size" || $(od -An -c -N 4 "$out.tmp" | tr -d ' ') != 177ELF ]]; then
    echo "extract_vmlinux: $image gave $actual bytes, not the $size-byte ELF it announces" >&2
    exit 1
fi
mv "$out.tmp" "$out"
