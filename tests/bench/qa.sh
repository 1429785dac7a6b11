#!/usr/bin/env bash
# The QA cycle's benchmark: `zoneadm reset` and `zoneadm clone` against the
# size of the image and the size of the zone's own changes, written into the
# "QA cycle" section of docs/benchmarks.md (between the qa-bench markers;
# tests/bench/run.sh keeps that section when it rewrites the page).
#
#   small  the busybox image (about 2 MB)
#   large  the same image plus LARGE_MB (default 200) MiB in 2000 files
#          (made by copying the small image's version into the store and
#          adding the files, since the busybox builder is the only one here)
#   changes: none, or LARGE_MB MiB in 2000 files in the zone's upper layer
#
# Usage (root):  tests/bench/qa.sh
# Environment: RUNS (default 15) timed runs per case, BUILD_DIR (default
#   build/), OUT (default docs/benchmarks.md), LARGE_MB (default 200).
# Zones have no network. Everything goes away at the end, also on failure.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}
out=${OUT:-$here/docs/benchmarks.md}
runs=${RUNS:-15}
large_mb=${LARGE_MB:-200}
[ "$(id -u)" = 0 ] || { echo "qa.sh: needs root" >&2; exit 2; }
[ -x "$build/runtime/zoned" ] && [ -x "$build/zonectl/zonectl" ] ||
    { echo "qa.sh: build the project first (tests/setup.sh)" >&2; exit 2; }

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

W=$(mktemp -d /var/tmp/zqa.XXXXXX)
chmod 755 "$W"
cg=zqa-$$
zoned_pid=
zones=()

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    log "cleaning up"
    if [ -n "$zoned_pid" ]; then
        for z in "${zones[@]}" x; do timeout 20 zoneadm -z "$z" halt >/dev/null 2>&1; done
        kill "$zoned_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$zoned_pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$zoned_pid" 2>/dev/null
        wait "$zoned_pid" 2>/dev/null
    fi
    for d in /sys/fs/cgroup/unified/"$cg" /sys/fs/cgroup/"$cg"; do
        [ -d "$d" ] || continue
        find "$d" -name cgroup.kill -exec sh -c 'echo 1 > "$1"' _ {} \; 2>/dev/null
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    grep -F " $W/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$W"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export ZONED_SOCKET=$W/run/zoned.sock
export PATH=$build/zonectl:$build/runtime:$PATH

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting zoned (state in $W)"
zoned --root "$W/root" --run-dir "$W/run" --cgroup-parent "$cg" 2>"$W/zoned.log" &
zoned_pid=$!
for _ in $(seq 200); do [ -S "$ZONED_SOCKET" ] && break; sleep 0.05; done
[ -S "$ZONED_SOCKET" ] || { cat "$W/zoned.log" >&2; echo "zoned did not start" >&2; exit 1; }

log "images: small (busybox), large (+$large_mb MiB)"
zonectl image build small --from busybox >/dev/null 2>&1
# LARGE_MB MiB in 2000 files: staged once, copied where a case needs them.
mkdir -p "$W/stage/big"
per_file_kb=$((large_mb * 1024 / 2000))
for i in $(seq 2000); do
    head -c "$((per_file_kb * 1024))" /dev/urandom >"$W/stage/big/f$i"
done
mkdir -p "$W/root/images/large"
cp -a "$W/root/images/small/1" "$W/root/images/large/.build-bench"
cp -a "$W/stage/big" "$W/root/images/large/.build-bench/rootfs/big"
python3 - "$W/root/images/large/.build-bench" <<'EOF'
import json, os, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
size = 0
for root, dirs, files in os.walk(d + "/rootfs"):
    for f in files:
        p = os.path.join(root, f)
        if os.path.isfile(p) and not os.path.islink(p):
            size += os.path.getsize(p)
m["name"], m["size"], m["source"] = "large", size, "busybox + files (benchmark)"
json.dump(m, open(d + "/manifest.json", "w"), indent=2)
EOF
mv "$W/root/images/large/.build-bench" "$W/root/images/large/1"
zonectl image info large >/dev/null

new_zone() { # NAME IMAGE [EXTRA]
    zonecfg -z "$1" "create; set image=$2${3:+; $3}; commit" >/dev/null
    zoneadm -z "$1" install
    zones+=("$1")
}
fill_changes() { # NAME: LARGE_MB MiB in its upper (or rootfs), as the zone would have written them
    local dir=$W/root/zones/$1/upper
    [ -d "$dir" ] || dir=$W/root/zones/$1/rootfs
    rm -rf "$dir/big"
    cp -a "$W/stage/big" "$dir/big"
}

# Times one command RUNS times after an untimed PREPARE; prints "median min max" in ms.
time_case() { # PREPARE COMMAND
    local prep=$1 cmd=$2 t0 t1 samples=()
    for _ in $(seq "$runs"); do
        eval "$prep"
        sync
        t0=$(date +%s%N)
        eval "$cmd" >/dev/null || { echo "qa.sh: '$cmd' failed" >&2; return 1; }
        t1=$(date +%s%N)
        samples+=($(((t1 - t0) / 1000)))
    done
    printf '%s\n' "${samples[@]}" | sort -n | awk '
        { v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "%.1f %.1f %.1f\n", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}

drop_clone() { zoneadm -z x uninstall -F >/dev/null 2>&1 || true; zonecfg -z x delete -F >/dev/null 2>&1 || true; }

log "zones"
new_zone rs small
new_zone rl large
new_zone rc small
new_zone ps small "set root-type=copy"
new_zone pl large "set root-type=copy"
# Sanity: the large zone sees the image's files; reset and clone work.
zoneadm -z rl boot
[ "$(zlogin rl ls /big | wc -l)" = 2000 ] || { echo "qa.sh: the large image is not visible in its zone" >&2; exit 1; }
zoneadm -z rl halt

results=$W/results.tsv
: >"$results"
measure() { # OPERATION ROOT IMAGE CHANGES PREPARE COMMAND
    log "$1: $2 zone, image $3, changes $4"
    local t
    t=$(time_case "$5" "$6")
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$t" >>"$results"
}

measure reset overlay "small (2 MB)" none ":" "zoneadm -z rs reset"
measure reset overlay "large (+$large_mb MiB)" none ":" "zoneadm -z rl reset"
measure reset overlay "small (2 MB)" "$large_mb MiB" "fill_changes rc" "zoneadm -z rc reset"
measure reset copy "small (2 MB)" none ":" "zoneadm -z ps reset"
measure reset copy "large (+$large_mb MiB)" none ":" "zoneadm -z pl reset"
measure clone overlay "small (2 MB)" none "drop_clone" "zoneadm -z x clone rs"
measure clone overlay "large (+$large_mb MiB)" none "drop_clone" "zoneadm -z x clone rl"
fill_changes rc
measure clone overlay "small (2 MB)" "$large_mb MiB" "drop_clone" "zoneadm -z x clone rc"
drop_clone

log "writing $out"
section=$W/section.md
{
    echo "<!-- qa-bench begin -->"
    echo "## QA cycle: reset and clone against image size"
    echo
    echo "Generated by \`tests/bench/qa.sh\` (root; do not edit by hand). $(date -u '+%Y-%m-%d %H:%M') UTC," \
        "$(nproc) CPUs, kernel $(uname -r), state root on $(df -T /var/tmp | awk 'NR==2 {print $2}'), zoned $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')," \
        "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: expect noise). Each case: $runs timed runs of the \`zoneadm\` command (client start-up included)," \
        "after an untimed preparation (\`sync\`, and for the cases with changes: $large_mb MiB in 2000 files copied into the zone's upper; for clone: the previous clone removed)."
    echo
    echo "| operation | root-type | image | zone's changes | median ms | min ms | max ms |"
    echo "|---|---|---|---|---:|---:|---:|"
    while IFS=$'\t' read -r op rt img ch t; do
        read -r med min max <<<"$t"
        echo "| $op | $rt | $img | $ch | $med | $min | $max |"
    done <"$results"
    echo
    echo "Reading it: an overlay zone's reset swaps its upper and work directories for empty ones by rename" \
        "and moves the old ones to the trash, which zoned empties in the background, so its time depends neither" \
        "on the image (small and large take the same) nor on how much the zone wrote (the $large_mb MiB case)." \
        "A clone copies the source's changes, never the image: the same for both images, and proportional to the changes." \
        "A \`root-type=copy\` zone is a full copy of its image, so its reset copies the image again and grows with it (docs/qa.md)."
    echo "<!-- qa-bench end -->"
} >"$section"
if [ -f "$out" ] && grep -q '^<!-- qa-bench begin -->$' "$out"; then
    python3 - "$out" "$section" <<'EOF'
import sys
out, section = sys.argv[1], open(sys.argv[2]).read()
text = open(out).read()
a = text.index("<!-- qa-bench begin -->")
b = text.index("<!-- qa-bench end -->") + len("<!-- qa-bench end -->\n")
open(out, "w").write(text[:a] + section + text[b:])
EOF
else
    { echo; cat "$section"; } >>"$out"
fi
cat "$section"
