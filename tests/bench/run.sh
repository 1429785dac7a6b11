#!/usr/bin/env bash
# The benchmark of "zones that run": our zones side by side with lxc, bwrap,
# unshare+chroot (and runc/crun when they work here), measured with hyperfine,
# written to docs/benchmarks.md.
#
#   (a) from nothing to a finished /bin/true in a fresh container
#   (b) a command in a running container (zlogin, lxc-attach, nsenter, ...)
#   (c) the parts of (a): boot alone, halt alone, zlogin, a bare client
#       round trip (zoneadm list), the sh that (a) runs ours in
#   plus the memory of a running zone and of zoned, and (unless PROFILE=0) a
#   profile of a few boot, zlogin, halt cycles: perf trace -a when perf works
#   here (it is not installed: linux-perf must match the kernel), else strace.
#
# Usage (root, Debian 12):  tests/bench/run.sh
# Environment: RUNS (default 100, at least 30) timed runs of each command, in
#   ROUNDS (default 5) rounds of hyperfine, WARMUP (default 3) per round,
#   BUILD_DIR (default build/), OUT (default docs/benchmarks.md),
#   JSON_DIR (keep hyperfine's JSON there; default: only in the temp dir),
#   PROFILE=0 (skip the profile), PROFILE_CYCLES (default 7),
#   SKIP_APT=1 (the packages are there already).
# No traffic leaves the machine: every container gets an empty network
# namespace (ours: a zone without a net resource; lxc: lxc.net.0.type=empty;
# bwrap --unshare-all; unshare --net; the OCI default spec's netns).
# Everything it creates goes away at the end, also on failure.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}
out=${OUT:-$here/docs/benchmarks.md}
# The memory section (tests/bench/memory.sh) of the page: kept as it is.
memory_section=$(sed -n '/^<!-- memory-bench begin -->$/,/^<!-- memory-bench end -->$/p' "$out" 2>/dev/null || true)
runs=${RUNS:-100}
rounds=${ROUNDS:-5}
warmup=${WARMUP:-3}
((runs >= 30)) || { echo "RUNS must be at least 30" >&2; exit 2; }
((rounds >= 1)) || rounds=1
per_round=$(((runs + rounds - 1) / rounds))
runs=$((per_round * rounds))
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 2; }

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# ---------------------------------------------------------------- packages
if [ "${SKIP_APT:-0}" != 1 ]; then
    log "installing packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends \
        hyperfine lxc bubblewrap util-linux busybox-static socat python3 strace >/dev/null
    # Optional peers: the benchmark goes on without them.
    apt-get install -y -q --no-install-recommends crun >/dev/null 2>&1 || true
    apt-get install -y -q --no-install-recommends runc >/dev/null 2>&1 || true
fi

# ------------------------------------------------------------------- build
if [ ! -x "$build/runtime/zoned" ] || [ ! -x "$build/zonectl/zonectl" ] ||
    [ ! -x "$build/runtime/zone-monitor" ]; then
    log "building the project into $build"
    "$here/tests/setup.sh" "$build"
fi
for t in zonecfg zoneadm zlogin; do
    [ -e "$build/zonectl/$t" ] || { echo "run.sh: $build/zonectl/$t is missing" >&2; exit 1; }
done

# ------------------------------------------------------------ the sandbox
W=$(mktemp -d /var/tmp/zbench.XXXXXX)
chmod 755 "$W"
cg=zbench-$$
lxcpath=$W/lxc
zoned_pid=
runc_ok=0
crun_ok=0
lxc_pivot_existed=()
for h in /sys/fs/cgroup/*/; do [ -d "${h}lxc.pivot" ] && lxc_pivot_existed+=("${h}lxc.pivot"); done

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    log "cleaning up"
    if [ -n "$zoned_pid" ] && kill -0 "$zoned_pid" 2>/dev/null; then
        for z in b r p; do timeout 20 "$build/zonectl/zoneadm" -z "$z" halt >/dev/null 2>&1; done
    fi
    if command -v runc >/dev/null; then
        runc kill "zbench-exec-$$" KILL >/dev/null 2>&1
        runc delete -f "zbench-exec-$$" >/dev/null 2>&1
        runc delete -f "zbench-run-$$" >/dev/null 2>&1
    fi
    if command -v crun >/dev/null; then
        crun delete -f "zbench-crun-$$" >/dev/null 2>&1
        crun delete -f "zbench-cexec-$$" >/dev/null 2>&1
    fi
    if [ -d "$lxcpath" ]; then
        for c in a x; do
            lxc-stop -P "$lxcpath" -n "$c" -k >/dev/null 2>&1
            lxc-destroy -P "$lxcpath" -n "$c" >/dev/null 2>&1
        done
    fi
    if [ -n "$zoned_pid" ]; then
        kill "$zoned_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$zoned_pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$zoned_pid" 2>/dev/null
        wait "$zoned_pid" 2>/dev/null
    fi
    # A zone that would not halt: kill what is left in our cgroups.
    for d in /sys/fs/cgroup/unified/"$cg" /sys/fs/cgroup/"$cg"; do
        [ -d "$d" ] || continue
        find "$d" -name cgroup.kill -exec sh -c 'echo 1 > "$1"' _ {} \; 2>/dev/null
        for _ in $(seq 50); do grep -q 'populated 1' "$d/cgroup.events" 2>/dev/null || break; sleep 0.1; done
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    for p in /sys/fs/cgroup/*/lxc.pivot; do
        [ -d "$p" ] || continue
        [[ " ${lxc_pivot_existed[*]} " == *" $p "* ]] || rmdir "$p" 2>/dev/null
    done
    # Nothing of ours should stay mounted; then the files go.
    grep -F " $W/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$W"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export ZONED_SOCKET=$W/run/zoned.sock
export PATH=$build/zonectl:$build/runtime:$PATH

# -------------------------------------------------------------------- zoned
log "starting zoned (state in $W)"
zoned --root "$W/root" --run-dir "$W/run" --cgroup-parent "$cg" 2>"$W/zoned.log" &
zoned_pid=$!
for _ in $(seq 200); do [ -S "$ZONED_SOCKET" ] && break; sleep 0.05; done
[ -S "$ZONED_SOCKET" ] || { cat "$W/zoned.log" >&2; echo "zoned did not start" >&2; exit 1; }

zonectl image build base --from busybox >/dev/null 2>&1
for z in b r p; do
    zonecfg -z "$z" 'create; set image=base; commit' >/dev/null
    zoneadm -z "$z" install 2>/dev/null
done
rootfs_src=
for d in "$W"/root/images/base/*/rootfs; do rootfs_src=$d; done  # one version, just built
[ -d "$rootfs_src" ] || { echo "run.sh: no rootfs in the image store" >&2; exit 1; }

# Sanity: one full cycle, step by step, before timing anything.
zoneadm -z b boot
zlogin b true
zoneadm -z b halt
zoneadm -z r boot
r_init=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["init_pid"])' "$W/root/zones/r/state.json")
r_monitor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["monitor_pid"])' "$W/root/zones/r/state.json")
r_cgroup=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cgroup"])' "$W/root/zones/r/state.json")
[ "$(zlogin r hostname)" = r ] || { echo "zlogin r hostname: unexpected answer" >&2; exit 1; }
nsenter -a -t "$r_init" /bin/true

# --------------------------------------------------------------- the peers
log "preparing the peers (copies of the image's rootfs $rootfs_src)"
cp -a "$rootfs_src" "$W/rootfs"
mkdir -p "$lxcpath"
for c in x a; do
    mkdir -p "$lxcpath/$c"
    cp -a "$rootfs_src" "$lxcpath/$c/rootfs"
    cat >"$lxcpath/$c/config" <<EOF
# The distribution's common settings (caps, seccomp, /dev, /proc, /sys),
# a busybox rootfs, no network at all.
lxc.include = /usr/share/lxc/config/common.conf
lxc.arch = linux64
lxc.uts.name = $c
lxc.rootfs.path = dir:$lxcpath/$c/rootfs
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
lxc.log.level = ERROR
lxc.log.file = $lxcpath/$c.log
EOF
done
lxc-execute -P "$lxcpath" -n x -- /bin/true
lxc-start -P "$lxcpath" -n a -d -- /bin/sleep 1000000000
lxc-wait -P "$lxcpath" -n a -s RUNNING -t 10
lxc-attach -P "$lxcpath" -n a -- /bin/true
a_init=$(lxc-info -P "$lxcpath" -n a -p -H)
a_monitor=$(ps -o ppid= -p "$a_init" | tr -d ' ')

bwrap --unshare-all --bind "$W/rootfs" / --proc /proc --dev /dev /bin/true
unshare --mount --pid --uts --ipc --net --fork chroot "$W/rootfs" /bin/true

notes=$W/notes.txt
: >"$notes"
oci_bundle() {  # DIR ARGS_JSON
    mkdir -p "$1"
    cp -a "$rootfs_src" "$1/rootfs"
    (cd "$1" && if command -v runc >/dev/null; then runc spec; else crun spec; fi)
    python3 - "$1/config.json" "$2" <<'EOF'
import json, sys
path, args = sys.argv[1], json.loads(sys.argv[2])
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = args
c["root"] = {"path": "rootfs", "readonly": False}
c["hostname"] = "oci"
json.dump(c, open(path, "w"), indent=1)
EOF
}
if command -v runc >/dev/null || command -v crun >/dev/null; then
    oci_bundle "$W/oci" '["/bin/true"]'
    oci_bundle "$W/oci-exec" '["/bin/sleep", "1000000000"]'
fi
if command -v runc >/dev/null; then
    if err=$(runc run --bundle "$W/oci" "zbench-run-$$" 2>&1 </dev/null) &&
        runc run -d --bundle "$W/oci-exec" "zbench-exec-$$" </dev/null >/dev/null 2>&1 &&
        runc exec "zbench-exec-$$" /bin/true 2>/dev/null; then
        runc_ok=1
    else
        echo "runc $(runc --version | head -1 | awk '{print $3}'): does not run here: ${err:-runc run -d / exec failed}" >>"$notes"
    fi
else
    echo "runc: not installed" >>"$notes"
fi
if command -v crun >/dev/null && [ -d "$W/oci" ]; then
    if err=$(crun run --bundle "$W/oci" "zbench-crun-$$" 2>&1 </dev/null); then
        crun_ok=1
        crun run -d --bundle "$W/oci-exec" "zbench-cexec-$$" </dev/null >/dev/null 2>&1 || crun_ok=0
    else
        echo "crun $(crun --version | head -1 | awk '{print $3}'): refuses to run on this host: \`$(echo "$err" | tail -1)\` (also with --cgroup-manager=disabled)" >>"$notes"
    fi
else
    echo "crun: not installed" >>"$notes"
fi

# ------------------------------------------------------------------ memory
# VmRSS (kB) of the running zone's own processes and of the daemon, before
# the runs; zoned again after them (does it grow with every boot?).
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
mem=$W/memory.tsv
{
    printf 'zone monitor\t%s\t%s\n' "$r_monitor" "$(rss "$r_monitor")"
    printf 'zone init\t%s\t%s\n' "$r_init" "$(rss "$r_init")"
    total=0 n=0
    while read -r p; do total=$((total + $(rss "$p"))); n=$((n + 1)); done <"$r_cgroup/cgroup.procs"
    printf 'all %s processes in the zone (the console shell starts only when someone types on the console)\t-\t%s\n' "$n" "$total"
    printf 'lxc monitor (lxc-start -d)\t%s\t%s\n' "$a_monitor" "$(rss "$a_monitor")"
    printf 'lxc container init (/bin/sleep)\t%s\t%s\n' "$a_init" "$(rss "$a_init")"
    printf 'zoned, idle, 3 zones installed, 1 running\t%s\t%s\n' "$zoned_pid" "$(rss "$zoned_pid")"
} >"$mem"

# --------------------------------------------------------------- benchmarks
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# hf GROUP SHELL then NAME COMMAND PREPARE triples (PREPARE "" for none).
# SHELL: "sh" runs every command through sh -c (hyperfine subtracts the
# cost of the shell), "none" execs it directly (-N).  The commands go to
# commands.tsv, the results to GROUP.json.
hf() {
    local group=$1 shell=$2 args=() prep=() name cmd pre
    shift 2
    [ "$shell" = none ] && args+=(-N)
    while (($#)); do
        name=$1 cmd=$2 pre=$3
        shift 3
        args+=(-n "$name" "$cmd")
        [ -n "$pre" ] && prep+=(--prepare "$pre")
        printf '%s\t%s\t%s\t%s\t%s\n' "$group" "$name" "$shell" "$cmd" "$pre" >>"$W/commands.tsv"
    done
    # In rounds: the machine's load drifts, and hyperfine runs all the runs
    # of one command before the next; rounds spread every command over the
    # whole time.  report.py merges the rounds.
    local r
    for ((r = 1; r <= rounds; r++)); do
        log "hyperfine: $group, round $r of $rounds"
        hyperfine --warmup "$warmup" --runs "$per_round" --export-json "$W/$group.r$r.json" \
            --style basic "${prep[@]}" "${args[@]}" >&2
    done
}

# (a) from nothing to a finished /bin/true.  No shell for the peers (with
# one, hyperfine subtracts an estimate of its cost from every run, and that
# estimate is noisy on a busy machine); ours is three commands, so it pays
# for one sh (see "sh -c :" in (c)).
boot=(
    zones "sh -c 'zoneadm -z b boot; zlogin b true; zoneadm -z b halt'" ''
    lxc-execute "lxc-execute -P $lxcpath -n x -- /bin/true" ''
    bwrap "bwrap --unshare-all --bind $W/rootfs / --proc /proc --dev /dev /bin/true" ''
    unshare+chroot "unshare --mount --pid --uts --ipc --net --fork chroot $W/rootfs /bin/true" ''
)
((runc_ok)) && boot+=('runc run' "runc run --bundle $W/oci zbench-run-$$" '')
((crun_ok)) && boot+=('crun run' "crun run --bundle $W/oci zbench-crun-$$" '')
booted_before=$(grep -c 'zone=b booted' "$W/zoned.log" || true)
hf boot none "${boot[@]}"
booted=$(($(grep -c 'zone=b booted' "$W/zoned.log" || true) - booted_before))
if ((booted != runs + rounds * warmup)); then
    echo "zones: zoned logged $booted boots of zone b for $((runs + rounds * warmup)) runs of (a)" >>"$notes"
fi

# (b) a command in a running container: single commands, no shell.
exec_=(
    zlogin 'zlogin r true' ''
    lxc-attach "lxc-attach -P $lxcpath -n a -- /bin/true" ''
    nsenter "nsenter -a -t $r_init /bin/true" ''
)
((runc_ok)) && exec_+=('runc exec' "runc exec zbench-exec-$$ /bin/true" '')
((crun_ok)) && exec_+=('crun exec' "crun exec zbench-cexec-$$ /bin/true" '')
hf exec none "${exec_[@]}"

# (c) where (a) goes: boot alone, halt alone, and one bare client round trip.
hf parts none \
    'zoneadm boot' 'zoneadm -z b boot' 'zoneadm -z b halt' \
    'zoneadm halt' 'zoneadm -z b halt' 'zoneadm -z b boot' \
    'zoneadm list' 'zoneadm list' 'true' \
    'zlogin' 'zlogin r true' 'true' \
    'sh -c :' 'sh -c :' 'true'
# Whatever state the last prepare left: halt b.
zoneadm -z b halt >/dev/null 2>&1 || true

printf 'zoned, after %s boots and %s zlogins\t%s\t%s\n' \
    "$((3 * (runs + rounds * warmup) + 2))" "$((3 * (runs + rounds * warmup) + 2))" "$zoned_pid" "$(rss "$zoned_pid")" >>"$mem"

# ----------------------------------------------------------------- profile
# Where the time of (a) goes: perf trace -a (low overhead; report.py keeps
# only the processes descended from zoned and from this shell) across a few
# cycles on a third zone; strace -f of zoned when perf cannot trace here.
cycle() { zoneadm -z p boot; zlogin p true; zoneadm -z p halt; }
# Only the system calls that mark the steps: tracing every call (the
# clients' dynamic loading alone is hundreds) would slow what it measures.
perf_events=execve,execveat,clone,clone3,connect,sendto,setns,mount,pivot_root,fsync,waitid,write,exit_group,rmdir
if [ "${PROFILE:-1}" != 0 ]; then
    if command -v perf >/dev/null && perf trace -a -o /dev/null -- true >/dev/null 2>&1; then
        log "perf trace -a across ${PROFILE_CYCLES:-7} boot, zlogin, halt cycles"
        cycle  # once untraced: caches
        perf trace -a -e "$perf_events" -o "$W/zoned.perf" 2>/dev/null &
        perf_pid=$!
        sleep 3
        # A subshell that runs nothing but the cycles: its descendants are
        # the clients, zoned's are the rest.
        (
            echo "$zoned_pid $BASHPID" >"$W/profile.pids"
            for ((k = 0; k < ${PROFILE_CYCLES:-7}; k++)); do cycle; done
        )
        sleep 0.3
        kill -INT "$perf_pid"
        wait "$perf_pid" || true
    elif command -v strace >/dev/null; then
        log "strace of zoned across one boot, zlogin, halt"
        strace -f -tt -T -s 80 -p "$zoned_pid" -o "$W/zoned.strace" 2>/dev/null &
        strace_pid=$!
        sleep 1
        cycle
        sleep 0.3
        kill -INT "$strace_pid"
        wait "$strace_pid" || true
    fi
fi

# ------------------------------------------------------------------ report
{
    printf 'zoned\t%s\n' "$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$here" diff --quiet HEAD -- runtime zonectl cgroups images 2>/dev/null || echo ' (with uncommitted changes)')"
    printf 'hyperfine\t%s\n' "$(hyperfine --version | awk '{print $2}')"
    printf 'lxc\t%s\n' "$(lxc-execute --version)"
    printf 'bubblewrap\t%s\n' "$(bwrap --version | awk '{print $2}')"
    printf 'util-linux\t%s\n' "$(unshare --version | awk '{print $NF}')"
    command -v runc >/dev/null && printf 'runc\t%s\n' "$(runc --version | head -1 | awk '{print $3}')"
    command -v crun >/dev/null && printf 'crun\t%s\n' "$(crun --version | head -1 | awk '{print $3}')"
    printf 'busybox\t%s\n' "$(busybox 2>&1 | head -1 | awk '{print $2}')"
} >"$W/versions.tsv"

if [ -n "${JSON_DIR:-}" ]; then
    mkdir -p "$JSON_DIR"
    cp "$W"/*.json "$W"/*.tsv "$W"/notes.txt "$JSON_DIR"/
    for f in zoned.strace zoned.perf profile.pids zoned.log; do
        if [ -f "$W/$f" ]; then cp "$W/$f" "$JSON_DIR"/; fi
    done
fi
mkdir -p "$(dirname "$out")"
python3 "$here/tests/bench/report.py" --dir "$W" --runs "$runs" --rounds "$rounds" --warmup "$warmup" \
    --load-before "$load_before" --load-after "$(cut -d' ' -f1-3 /proc/loadavg)" >"$out.tmp"
# The QA-cycle section (tests/bench/qa.sh) stays as it was.
if [ -f "$out" ]; then sed -n '/^<!-- qa-bench begin -->$/,/^<!-- qa-bench end -->$/p' "$out" >>"$out.tmp"; fi
mv "$out.tmp" "$out"
log "wrote $out"
if [ -n "$memory_section" ]; then printf '\n%s\n' "$memory_section" >>"$out"; fi
