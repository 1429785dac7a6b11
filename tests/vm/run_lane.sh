#!/usr/bin/env bash
# The vm lane: boots Debian's kernel (fetched by tests/vm/fetch_kernel.sh
# during tests/setup.sh) under qemu with a busybox initramfs whose cgroup2 has
# every controller, and runs a host-built test binary in it, chrooted into
# the host's / (shared read-only over 9p). The guest's exit code is this
# script's; a guest that panics, fails to set up or outlives the timeout is
# a failure that says so. Offline; everything it makes lives in one temp dir
# that is removed, and qemu is killed, however the run ends.
#
# Usage: tests/vm/run_lane.sh --kernel-dir DIR --binary PATH [--timeout SECONDS]
#            [--env NAME=VALUE]... [--kernel-args "ARGS"] [-- ARGS...]
# Exit: the guest's result; 77 (skip) when the kernel or qemu is missing,
# outside CI (CI=true makes that a failure).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kernel_dir="" binary="" timeout=240 envs=() args=() kernel_args=""
while (($#)); do
    case $1 in
    --kernel-dir) kernel_dir=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --kernel-args) kernel_args=$2; shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --) shift; args=("$@"); break ;;
    *) echo "run_lane: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[[ -n $kernel_dir && -n $binary ]] || { echo "usage: run_lane.sh --kernel-dir DIR --binary PATH" >&2; exit 2; }

unavailable() {
    echo "run_lane: $*" >&2
    if [[ ${CI:-} == true ]]; then exit 1; fi
    echo "run_lane: skipped (tests/setup.sh installs and fetches what the vm lane needs)" >&2
    exit 77
}
for tool in qemu-system-x86_64 cpio setpriv; do
    command -v "$tool" >/dev/null || unavailable "$tool is not installed"
done
busybox=/bin/busybox
[[ -x $busybox && $(ldd "$busybox" 2>&1) == *"not a dynamic executable"* ]] ||
    unavailable "$busybox is not the static busybox (package busybox-static)"
[[ -f $kernel_dir/vmlinux ]] || unavailable "no kernel in $kernel_dir (tests/vm/fetch_kernel.sh)"
[[ -x $binary ]] || { echo "run_lane: $binary is not an executable" >&2; exit 1; }
binary=$(realpath "$binary") # the guest sees the host's / at its own /

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zt-vm.XXXXXX")
qemu_pid=""
cleanup() {
    if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill -KILL "$qemu_pid" 2>/dev/null || true
        { wait "$qemu_pid"; } 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "run_lane: interrupted" >&2; exit 143' TERM INT

# The initramfs: busybox, the modules in load order, /init and the command.
root=$tmp/initramfs
mkdir -p "$root"/{bin,dev,proc,sys,host,modules}
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
grep -v '^\s*\(#\|$\)' "$here/modules.txt" >"$root/modules/order"
while read -r m; do
    cp "$kernel_dir/modules/$m.ko" "$root/modules/" ||
        unavailable "module $m.ko is missing in $kernel_dir (tests/vm/fetch_kernel.sh)"
done <"$root/modules/order"
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
{
    echo "ZT_BINARY=$(quote "$binary")"
    echo "ZT_MODULES=$(quote "$(realpath "$kernel_dir")/lib/modules")"
    echo "ZT_ENV=$(quote "${envs[*]:-}")"
    echo "ZT_ARGS=$(quote "${args[*]:-}")"
} >"$root/lane.env"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$tmp/initramfs.cpio"

# A scratch disk for io tests (the guest's /dev/vda).
truncate -s 32M "$tmp/scratch.raw"

console=$tmp/console.log
start=$SECONDS
# TCG: KVM on these machines cannot boot a normal guest. The uncompressed
# vmlinux boots through its PVH entry point, twice as fast as the bzImage.
# setpriv: qemu dies with this script even if it is SIGKILLed.
setpriv --pdeathsig KILL -- qemu-system-x86_64 \
    -nodefaults -no-user-config -display none -no-reboot \
    -accel tcg,thread=multi -smp 2 -m 512M \
    -kernel "$kernel_dir/vmlinux" -initrd "$tmp/initramfs.cpio" \
    -append "console=ttyS0 quiet panic=-1 mitigations=off $kernel_args" \
    -chardev "file,id=console,path=$console" -serial chardev:console \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -drive "file=$tmp/scratch.raw,format=raw,if=virtio" \
    </dev/null >"$tmp/qemu.log" 2>&1 &
qemu_pid=$!
timed_out=0
while kill -0 "$qemu_pid" 2>/dev/null; do
    if ((SECONDS - start >= timeout)); then
        timed_out=1
        kill -KILL "$qemu_pid" 2>/dev/null || true
        break
    fi
    sleep 0.2
done
qemu_status=0
{ wait "$qemu_pid"; } 2>/dev/null || qemu_status=$?
qemu_pid=""
elapsed=$((SECONDS - start))

# Console bytes as text: the guest's output, less carriage returns and the
# firmware's escape sequences.
tr -d '\r' <"$console" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$tmp/console.txt" || true
echo "---- guest console ----"
cat "$tmp/console.txt"
echo "---- end of guest console ----"
if [[ -s $tmp/qemu.log ]]; then
    echo "---- qemu ----"
    cat "$tmp/qemu.log"
fi

result=$(grep -ao 'ZT-VM-RESULT [0-9]*' "$tmp/console.txt" | tail -1 | cut -d' ' -f2 || true)
setup_failed=$(grep -ao 'ZT-VM-SETUP-FAILED .*' "$tmp/console.txt" | head -1 || true)
if [[ -n $result ]]; then
    echo "run_lane: guest finished in ${elapsed} s: exit code $result"
    exit "$result"
elif ((timed_out)); then
    echo "run_lane: FAILED: the guest did not finish within ${timeout} s (killed)"
elif grep -aq 'Kernel panic' "$tmp/console.txt"; then
    echo "run_lane: FAILED: the guest kernel panicked (see the console above)"
elif [[ -n $setup_failed ]]; then
    echo "run_lane: FAILED: guest setup: ${setup_failed#ZT-VM-SETUP-FAILED }"
else
    echo "run_lane: FAILED: the guest stopped without a result (qemu exit $qemu_status)"
fi
exit 1
