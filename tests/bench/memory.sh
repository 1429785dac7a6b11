#!/usr/bin/env bash
# "Zones from one gold share its pages": the host memory that one more
# running container costs, for zones over one gold image (overlay, and
# root-type=copy for contrast) and for the peers a user would pick for the
# same job: lxc (lxc-start, one rootfs directory per container, as lxc-create
# makes them), bwrap (one rootfs, bound read-only into every sandbox), runc
# and crun (one OCI bundle per container), systemd-nspawn (one directory per
# container) -- each one that runs here.  Written into the section between
# the memory-bench markers of docs/benchmarks.md (tests/bench/run.sh keeps
# that section when it rewrites the page); tests/bench/memory.py samples and
# makes the tables.
#
# Usage (root, Debian 12):  tests/bench/memory.sh
# Environment: COUNTS (default "1 5 10 20") the numbers of running containers
#   sampled, BUILD_DIR (default build/), OUT (default docs/benchmarks.md),
#   SKIP_APT=1 (the packages are there already), KEEP=DIR (keep the samples).
# No traffic leaves the machine: every container has an empty network
# namespace.  Everything it creates goes away at the end, also on failure or
# when interrupted.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}
out=${OUT:-$here/docs/benchmarks.md}
read -r -a counts <<<"${COUNTS:-1 5 10 20}"
max=${counts[-1]}
((${#counts[@]} >= 2)) || { echo "memory.sh: COUNTS needs at least two numbers" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "memory.sh: needs root" >&2; exit 2; }

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# ---------------------------------------------------------------- packages
if [ "${SKIP_APT:-0}" != 1 ]; then
    log "installing packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends lxc bubblewrap busybox-static python3 util-linux >/dev/null
    # Optional peers: the benchmark goes on without them.
    for p in runc crun systemd-container; do
        apt-get install -y -q --no-install-recommends "$p" >/dev/null 2>&1 || true
    done
fi

# ------------------------------------------------------------------- build
if [ ! -x "$build/runtime/zoned" ] || [ ! -x "$build/zonectl/zonectl" ] ||
    [ ! -x "$build/runtime/zone-monitor" ]; then
    log "building the project into $build"
    "$here/tests/setup.sh" "$build"
fi

# ------------------------------------------------------------ the sandbox
W=$(mktemp -d /var/tmp/zmem.XXXXXX)
chmod 755 "$W"
cg=zmem-$$
lxcpath=$W/lxc
zoned_pid=
bg_pids=()     # bwrap and nspawn launchers started here
oci_ids=()     # "runtime id" of every OCI container created
lxc_names=()
zones=()
lxc_pivot_existed=()
# systemd-nspawn --keep-unit splits the cgroup it starts in into
# `supervisor` and `payload`; started from the root cgroup it would leave
# those at the top of the host's cgroup2 tree. Each one starts in a group
# of ours below $cg2/$cg-nspawn instead, which the cleanup removes.
cg2=/sys/fs/cgroup/unified
[ -f "$cg2/cgroup.procs" ] || cg2=/sys/fs/cgroup
for h in /sys/fs/cgroup/*/; do [ -d "${h}lxc.pivot" ] && lxc_pivot_existed+=("${h}lxc.pivot"); done

stop_bg() {
    local p
    for p in "${bg_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${bg_pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    bg_pids=()
}
stop_oci() {
    local e
    for e in "${oci_ids[@]}"; do
        # shellcheck disable=SC2086
        set -- $e
        "$1" kill "$2" KILL >/dev/null 2>&1 || true
        "$1" delete -f "$2" >/dev/null 2>&1 || true
    done
    oci_ids=()
}
stop_lxc() {
    local c
    for c in "${lxc_names[@]}"; do
        lxc-stop -P "$lxcpath" -n "$c" -k >/dev/null 2>&1 || true
        lxc-destroy -P "$lxcpath" -n "$c" >/dev/null 2>&1 || true
    done
    lxc_names=()
}
stop_zones() {  # halted is enough: their files go with $W
    local z
    for z in "${zones[@]}"; do
        timeout 20 "$build/zonectl/zoneadm" -z "$z" halt >/dev/null 2>&1 || true
    done
    zones=()
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    log "cleaning up"
    stop_bg
    stop_oci
    stop_lxc
    [ -n "$zoned_pid" ] && kill -0 "$zoned_pid" 2>/dev/null && stop_zones
    if [ -n "$zoned_pid" ]; then
        kill "$zoned_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$zoned_pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$zoned_pid" 2>/dev/null
        wait "$zoned_pid" 2>/dev/null
    fi
    # A zone that would not halt: kill what is left in our cgroups.
    for d in /sys/fs/cgroup/unified/"$cg" /sys/fs/cgroup/*/"$cg" "$cg2/$cg-nspawn" /sys/fs/cgroup/*/"$cg-nspawn"; do
        [ -d "$d" ] || continue
        find "$d" -name cgroup.kill -exec sh -c 'echo 1 > "$1"' _ {} \; 2>/dev/null
        for _ in $(seq 50); do grep -q 'populated 1' "$d/cgroup.events" 2>/dev/null || break; sleep 0.1; done
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    for p in /sys/fs/cgroup/*/lxc.pivot; do
        [ -d "$p" ] || continue
        [[ " ${lxc_pivot_existed[*]} " == *" $p "* ]] || rmdir "$p" 2>/dev/null
    done
    grep -F " $W/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$W"/*.json* "$W"/notes.txt "$KEEP"/ 2>/dev/null; fi
    rm -rf "$W"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export ZONED_SOCKET=$W/run/zoned.sock
export PATH=$build/zonectl:$build/runtime:$PATH
samples=$W/samples.jsonl
starts=$W/start.json
notes=$W/notes.txt
: >"$notes"

# The workload: three processes of the one busybox binary, long-lived.
workload='httpd -f -p 127.0.0.1:8080 -h /etc & while :; do sleep 100000; done'

sample() { # SYSTEM N [--cgroup DIR] -- GROUP...
    python3 "$here/tests/bench/memory.py" sample "$samples" "$@"
}
is_count() { local c; for c in "${counts[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }
# Waits until every group's processes include a sleep (the workload is up).
wait_up() { # GROUP...
    local g p ok
    for _ in $(seq 100); do
        ok=1
        for g in "$@"; do
            p=$(python3 - "$g" <<'EOF'
import os, sys
roots = [int(x) for x in sys.argv[1].split(",") if x]
kids = {}
for d in filter(str.isdigit, os.listdir("/proc")):
    try:
        s = open(f"/proc/{d}/stat").read()
    except OSError:
        continue
    kids.setdefault(int(s.rsplit(")", 1)[1].split()[1]), []).append((int(d), s.split("(", 1)[1].rsplit(")", 1)[0]))
seen, todo, names = set(), list(roots), []
while todo:
    p = todo.pop()
    if p in seen:
        continue
    seen.add(p)
    for k, n in kids.get(p, []):
        names.append(n)
        todo.append(k)
print("yes" if "sleep" in names and "httpd" in names else "no")
EOF
)
            [ "$p" = yes ] || { ok=0; break; }
        done
        ((ok)) && return 0
        sleep 0.1
    done
    echo "memory.sh: the workload did not come up in every container" >&2
    return 1
}
settle() { sync; sleep 1; }
export LOAD_BEFORE READING=$W/reading.md
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# -------------------------------------------------------------------- zoned
log "starting zoned (state in $W)"
zoned --root "$W/root" --run-dir "$W/run" --cgroup-parent "$cg" 2>"$W/zoned.log" &
zoned_pid=$!
for _ in $(seq 200); do [ -S "$ZONED_SOCKET" ] && break; sleep 0.05; done
[ -S "$ZONED_SOCKET" ] || { cat "$W/zoned.log" >&2; echo "zoned did not start" >&2; exit 1; }
zonectl image build base --from busybox >/dev/null 2>&1
rootfs_src=
for d in "$W"/root/images/base/*/rootfs; do rootfs_src=$d; done
[ -d "$rootfs_src" ] || { echo "memory.sh: no rootfs in the image store" >&2; exit 1; }

# ------------------------------------------------------------------- zones
zone_groups=()
zone_pids() { # NAME -> "monitor,init" pids and the cgroup's processes
    python3 - "$W/root/zones/$1/state.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
pids = [s["monitor_pid"], s["init_pid"]]
try:
    pids += [int(p) for p in open(s["cgroup"] + "/cgroup.procs").read().split()]
except OSError:
    pass
print(",".join(str(p) for p in dict.fromkeys(pids)))
EOF
}
run_zones() { # SYSTEM ROOT-TYPE
    local sys=$1 rt=$2 i z cgdir=
    log "zones, root-type=$rt: up to $max"
    zone_groups=()
    python3 "$here/tests/bench/memory.py" start "$starts" "$sys"
    for ((i = 1; i <= max; i++)); do
        z=$sys-$i
        # A memory cap far above the use: then the zone has a memory cgroup to read.
        zonecfg -z "$z" "create; set image=base; set root-type=$rt; add capped-memory; set physical=1G; end; commit" >/dev/null
        zones+=("$z")
        zoneadm -z "$z" install >/dev/null
        zoneadm -z "$z" boot
        # The workload in its own session, so that it outlives the zlogin.
        zlogin "$z" "setsid sh -c '$workload' </dev/null >/dev/null 2>&1 &"
        zone_groups+=("$(zone_pids "$z")")
        if is_count "$i"; then
            wait_up "${zone_groups[@]}"
            # The cgroup's processes again: the workload's are there now.
            zone_groups=()
            for ((k = 1; k <= i; k++)); do zone_groups+=("$(zone_pids "$sys-$k")"); done
            settle
            for d in /sys/fs/cgroup/memory/"$cg" /sys/fs/cgroup/"$cg"; do
                if [ -f "$d/memory.current" ] || [ -f "$d/memory.usage_in_bytes" ]; then cgdir=$d; fi
            done
            sample "$sys" "$i" ${cgdir:+--cgroup "$cgdir"} -- "${zone_groups[@]}"
        fi
    done
    stop_zones
    sleep 2
}
run_zones zones overlay
run_zones zones-copy copy

# --------------------------------------------------------------------- lxc
run_lxc() {
    local i c groups=() init mon
    log "lxc: up to $max"
    mkdir -p "$lxcpath"
    python3 "$here/tests/bench/memory.py" start "$starts" lxc
    for ((i = 1; i <= max; i++)); do
        c=c$i
        mkdir -p "$lxcpath/$c"
        cp -a "$rootfs_src" "$lxcpath/$c/rootfs"
        cat >"$lxcpath/$c/config" <<EOF
lxc.include = /usr/share/lxc/config/common.conf
lxc.arch = linux64
lxc.uts.name = $c
lxc.rootfs.path = dir:$lxcpath/$c/rootfs
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
lxc.log.level = ERROR
lxc.log.file = $lxcpath/$c.log
EOF
        lxc_names+=("$c")
        lxc-start -P "$lxcpath" -n "$c" -d -- /bin/sh -c "$workload"
        lxc-wait -P "$lxcpath" -n "$c" -s RUNNING -t 10
        init=$(lxc-info -P "$lxcpath" -n "$c" -p -H)
        mon=$(ps -o ppid= -p "$init" | tr -d ' ')
        groups+=("$mon,$init")
        if is_count "$i"; then
            wait_up "${groups[@]}"
            settle
            sample lxc "$i" -- "${groups[@]}"
        fi
    done
    stop_lxc
    sleep 2
}
if command -v lxc-start >/dev/null; then run_lxc; else echo "lxc: not installed" >>"$notes"; fi

# -------------------------------------------------------------------- bwrap
run_bwrap() {
    local i groups=()
    log "bwrap: up to $max"
    cp -a "$rootfs_src" "$W/rootfs"
    python3 "$here/tests/bench/memory.py" start "$starts" bwrap
    for ((i = 1; i <= max; i++)); do
        setsid bwrap --unshare-all --die-with-parent --ro-bind "$W/rootfs" / --proc /proc --dev /dev \
            --tmpfs /tmp /bin/sh -c "$workload" </dev/null >/dev/null 2>&1 &
        bg_pids+=("$!")
        groups+=("$!")
        if is_count "$i"; then
            wait_up "${groups[@]}"
            settle
            sample bwrap "$i" -- "${groups[@]}"
        fi
    done
    stop_bg
    sleep 2
}
if command -v bwrap >/dev/null; then run_bwrap; else echo "bwrap: not installed" >>"$notes"; fi

# ------------------------------------------------------------- runc, crun
oci_bundle() { # RUNTIME DIR
    mkdir -p "$2"
    cp -a "$rootfs_src" "$2/rootfs"
    (cd "$2" && "$1" spec)
    python3 - "$2/config.json" "$workload" <<'EOF'
import json, sys
path, wl = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", wl]
c["root"] = {"path": "rootfs", "readonly": False}
c["hostname"] = "oci"
json.dump(c, open(path, "w"), indent=1)
EOF
}
run_oci() { # RUNTIME
    local rt=$1 i id groups=() pid err
    log "$rt: up to $max"
    python3 "$here/tests/bench/memory.py" start "$starts" "$rt"
    for ((i = 1; i <= max; i++)); do
        id=zmem-$$-$rt-$i
        oci_bundle "$rt" "$W/oci-$rt-$i" >/dev/null
        oci_ids+=("$rt $id")
        # The container inherits the stdio: no pipe, or reading it would never end.
        if ! "$rt" run -d --bundle "$W/oci-$rt-$i" "$id" </dev/null >/dev/null 2>"$W/oci-err"; then
            err=$(cat "$W/oci-err")
            echo "$rt $("$rt" --version | head -1 | awk '{print $3}'): does not run here: \`$(echo "$err" | tail -1)\`" >>"$notes"
            stop_oci
            # The samples of a runtime that did not reach the end are dropped.
            python3 - "$samples" "$rt" <<'EOF'
import json, sys
path, rt = sys.argv[1], sys.argv[2]
keep = [l for l in open(path) if json.loads(l)["system"] != rt]
open(path, "w").writelines(keep)
EOF
            return 0
        fi
        pid=$("$rt" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
        groups+=("$pid")
        if is_count "$i"; then
            wait_up "${groups[@]}"
            settle
            sample "$rt" "$i" -- "${groups[@]}"
        fi
    done
    stop_oci
    sleep 2
}
for rt in runc crun; do
    if command -v "$rt" >/dev/null; then run_oci "$rt"; else echo "$rt: not installed" >>"$notes"; fi
done

# ----------------------------------------------------------- systemd-nspawn
run_nspawn() {
    local i groups=() d
    log "systemd-nspawn: up to $max"
    python3 "$here/tests/bench/memory.py" start "$starts" nspawn
    for ((i = 1; i <= max; i++)); do
        d=$W/nspawn/n$i
        mkdir -p "$W/nspawn"
        cp -a "$rootfs_src" "$d"
        mkdir -p "$cg2/$cg-nspawn/n$i"
        # Join our group first, then become nspawn (same pid, so bg_pids holds it).
        sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec setsid "$@"' _ "$cg2/$cg-nspawn/n$i" \
            systemd-nspawn -q --register=no --keep-unit --private-network -M "zmem$$n$i" -D "$d" \
            /bin/sh -c "$workload" </dev/null >"$W/nspawn/n$i.log" 2>&1 &
        bg_pids+=("$!")
        groups+=("$!")
        if ((i == 1)) && ! wait_up "${groups[@]}" 2>/dev/null; then
            echo "systemd-nspawn $(systemd-nspawn --version | head -1 | awk '{print $2}'): does not run here: \`$(grep -v '^$' "$W/nspawn/n1.log" | tail -1)\`" >>"$notes"
            stop_bg
            return 0
        fi
        if is_count "$i"; then
            wait_up "${groups[@]}"
            settle
            sample nspawn "$i" -- "${groups[@]}"
        fi
    done
    stop_bg
}
if command -v systemd-nspawn >/dev/null; then run_nspawn; else echo "systemd-nspawn: not installed" >>"$notes"; fi

# ------------------------------------------------------------------ report
cat >"$READING" <<'EOF'
Why the overlay shares and a copy does not: the kernel keeps a file's pages in the page cache once per inode, and a process that maps the file maps those pages. Every zone's root is an overlayfs whose lower layer is the gold image's `rootfs/`; a file the zone has not changed is the image's file, and overlayfs hands `read` and `mmap` through to that real inode. So `/bin/busybox` of every zone is one inode: its text is in memory once, every process of every zone maps the same physical pages, Pss divides them among all of those processes, and one more zone adds only what is its own (stacks, heap, the data it writes, and in the kernel its namespaces, cgroup, mounts and page tables). A whole-root copy (`root-type=copy`), an lxc container in a directory of its own, an OCI bundle or nspawn directory per container hold the same bytes in other inodes: every container reads its own copy of the binary into the page cache and maps it alone, so one more container also adds the resident part of every binary it runs (here the one busybox; with a real distribution, libc, the shell, the daemons ...), and the disk space and install time of the copy. bwrap with one directory bound into every sandbox shares like the overlay does (one inode), but then all sandboxes see one tree (read-only here), while the overlay gives each zone a writable root of its own and still shares. A zone's monitor is a host process of its own (the part that lets the zone outlive `zoned`), counted in the zones' numbers; its binary's text is shared among the monitors the same way.
EOF
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$W/meta.json" "$starts" "$notes" "$workload" "${counts[*]}" "$load_after" \
    "$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')" <<'EOF'
import json, os, platform, sys, time
path, starts, notes, workload, counts, load_after, rev = sys.argv[1:]
mem = int(open("/proc/meminfo").readline().split()[1])
c = counts.split()
json.dump({
    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    "cpus": os.cpu_count(), "memory": f"{mem / 1048576:.1f} GiB", "kernel": platform.release(),
    "zoned": rev, "load_before": os.environ["LOAD_BEFORE"], "load_after": load_after,
    "workload": workload, "counts_text": f"Up to {c[-1]} ({', '.join(c)})",
    "start": json.load(open(starts)),
    "labels": {"zones": "zones (overlay over the gold image)", "zones-copy": "zones, root-type=copy",
               "lxc": "lxc-start (a rootfs directory each)", "bwrap": "bwrap (one rootfs, --ro-bind)",
               "runc": "runc run -d (a bundle each)", "crun": "crun run -d (a bundle each)",
               "nspawn": "systemd-nspawn (a directory each)"},
    "notes": [l.strip() for l in open(notes) if l.strip()],
    "reading": open(os.environ["READING"]).read().strip(),
}, open(path, "w"), indent=1)
EOF
mkdir -p "$(dirname "$out")"
# Everything of the page but this section stays as it was.
python3 "$here/tests/bench/memory.py" report "$samples" --meta "$W/meta.json" --page "$out" >"$W/page.md"
mv "$W/page.md" "$out"
log "wrote $out"
