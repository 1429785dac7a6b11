#!/usr/bin/env bash
# The main job, end to end: set up, start zoned, build a gold image, configure
# and boot a zone, run a command in it with zlogin, halt, clean up.
# Usage (as root): tests/demo.sh [--keep]   --keep leaves zoned and the zone running.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
"$here/tests/setup.sh" "$build"

state=$(mktemp -d /var/tmp/zoned-demo.XXXXXX)
export ZONED_SOCKET=$state/run/zoned.sock
export PATH=$build/zonectl:$build/runtime:$PATH
keep=${1:-}

cleanup() {
    [ "$keep" = --keep ] && return
    zoneadm -z demo halt >/dev/null 2>&1 || true
    [ -n "${zoned_pid:-}" ] && kill "$zoned_pid" 2>/dev/null && wait "$zoned_pid" 2>/dev/null || true
    rmdir /sys/fs/cgroup/unified/zoned-demo /sys/fs/cgroup/zoned-demo 2>/dev/null || true
    rm -rf "$state"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

# Its own bridge and subnet, so the demo never meets a network of the host's.
printf 'bridge = zdemo0\nsubnet = 10.199.77.0/24\nnft-table = zoned_demo\n' >"$state/zoned.conf"
zoned --root "$state/root" --run-dir "$state/run" --cgroup-parent zoned-demo \
    --config "$state/zoned.conf" 2>"$state/zoned.log" &
zoned_pid=$!
for _ in $(seq 100); do [ -S "$ZONED_SOCKET" ] && break; sleep 0.05; done

step zonectl image build base --from busybox
step zonecfg -z demo 'create; set image=base; set hostname=demo-zone; add net; end;
    add capped-cpu; set ncpus=0.5; end; add capped-memory; set physical=256M; end;
    set max-processes=100; commit'
step zonecfg -z demo info
step zoneadm -z demo install
step zoneadm -z demo boot
step zoneadm list -v
step zlogin demo 'echo "hello from $(hostname)"; id; ps; cat /etc/os-release'
step zlogin demo 'ip -4 addr show eth0; ping -c 2 -W 1 gateway'
step zonestat
# Resource caps: a busy loop held at half a CPU, then the cap raised live.
step zlogin demo "sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &"
step zonestat -r cpu,memory,processes 1 1
step zonecfg -z demo -r 'select capped-cpu; set ncpus=1; end'
step zonestat -r cpu 1 1
step zoneadm -z demo halt
step zoneadm list -cv
if [ "$keep" = --keep ]; then
    echo "zoned keeps running (pid $zoned_pid); ZONED_SOCKET=$ZONED_SOCKET"
fi
