#!/usr/bin/env python3
"""Turns the benchmark's hyperfine JSON into docs/benchmarks.md (on stdout).

Usage: report.py --dir W [--runs N] [--rounds N] [--warmup N] [--load-before L] [--load-after L]
       report.py FILE.json...      (just the tables of medians, for a quick look)

W is the work directory of tests/bench/run.sh: boot.rN.json, exec.rN.json and
parts.rN.json (hyperfine --export-json, one per round), commands.tsv (group, name, shell,
command, prepare), memory.tsv (what, pid, VmRSS kB), versions.tsv, notes.txt
and, when it exists, zoned.strace (strace -f -tt -T of zoned across one boot,
zlogin and halt) or zoned.perf and profile.pids (perf trace -a of a few
cycles, and the pids whose descendants are ours).  Standard library only.
"""

import argparse
import collections
import datetime
import glob
import json
import os
import platform
import re
import statistics
import sys

# Medians measured earlier on these machines (ms), before this benchmark existed.
REFERENCE_MS = {
    "unshare+chroot": 3.9,
    "bwrap": 5.0,
    "lxc-execute": 9.8,
    "crun run": 9.9,
    "runc run": 26.7,
    "systemd-nspawn": 82.0,
    "nsenter": 2.0,
    "lxc-attach": 6.0,
    "crun exec": 6.1,
    "runc exec": 16.5,
}
OURS = {"boot": "zones", "exec": "zlogin"}


def ms(seconds):
    return seconds * 1000.0


def fmt(x):
    return f"{x:.1f}"


def load_results(paths):
    """One row per command, the runs of all `paths` (rounds) merged."""
    if isinstance(paths, str):
        paths = [paths]
    times, order = {}, []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for r in data["results"]:
            if r["command"] not in times:
                times[r["command"]] = []
                order.append(r["command"])
            times[r["command"]].extend(r.get("times") or [])
    out = []
    for name in order:
        t = times[name]
        out.append({
            "name": name,
            "median": ms(statistics.median(t)),
            "mean": ms(statistics.mean(t)),
            "stddev": ms(statistics.stdev(t)) if len(t) > 1 else 0.0,
            "min": ms(min(t)),
            "max": ms(max(t)),
            "runs": len(t),
        })
    return out


def table(results, ours=None, reference=True):
    """Markdown table of one hyperfine group; ratio = peer median / our median."""
    base = next((r for r in results if r["name"] == ours), None) if ours else None
    head = "| | median (ms) | mean ± σ (ms) | min … max (ms) | runs |"
    rule = "|---|---:|---:|---:|---:|"
    if base:
        head += " peer ÷ ours |"
        rule += "---:|"
    if reference:
        head += " earlier median (ms) |"
        rule += "---:|"
    lines = [head, rule]
    for r in results:
        name = f"**{r['name']}**" if r is base else r["name"]
        row = (f"| {name} | {fmt(r['median'])} | {fmt(r['mean'])} ± {fmt(r['stddev'])} "
               f"| {fmt(r['min'])} … {fmt(r['max'])} | {r['runs']} |")
        if base:
            row += " 1 |" if r is base else f" {r['median'] / base['median']:.2f} |"
        if reference:
            ref = REFERENCE_MS.get(r["name"])
            row += f" {fmt(ref)} |" if ref else " |"
        lines.append(row)
    return "\n".join(lines)


def read_tsv(path, width):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                cells = line.split("\t")
                rows.append(cells + [""] * (width - len(cells)))
    return rows


# ------------------------------------------------------------------ machine
def machine():
    info = {}
    info["nproc"] = os.cpu_count()
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info["cpu"] = model
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    info["memory"] = f"{mem_kb / 1024 / 1024:.1f} GiB"
    info["kernel"] = platform.release()
    distro = "?"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    info["distro"] = distro
    v1, v2 = [], None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            sep = parts.index("-")
            fstype, point = parts[sep + 1], parts[4]
            if fstype == "cgroup2" and point.startswith("/sys/fs/cgroup"):
                v2 = point
            elif fstype == "cgroup" and point.startswith("/sys/fs/cgroup"):
                v1.append(point.rsplit("/", 1)[-1])
    if v2 and not v1:
        info["cgroup"] = f"unified (cgroup v2 only, at {v2})"
    elif v2:
        info["cgroup"] = (f"hybrid: cgroup v2 at {v2} with no controllers of its own; "
                          f"controllers on cgroup v1 ({', '.join(sorted(v1))})")
    else:
        info["cgroup"] = f"legacy (cgroup v1 only: {', '.join(sorted(v1))})"
    return info


# ------------------------------------------------------------------ profile
LINE = re.compile(r"^(\d+)\s+(\d+):(\d+):(\d+\.\d+)\s+(.*)$")

# Each request as a chain of events in zoned's strace: (label of the span
# that ends at this event, regex).  Searched in order, each after the last.
CHAINS = {
    "zone.boot": [
        ("request read", r"recvmsg.*method\W+zone\.boot\W"),
        ("checks, image, cgroup, plan; spawning the monitor", r"clone3\(\{flags=CLONE_VM\|CLONE_VFORK"),
        ("vfork until the monitor's exec", r'execve\(".*zone-monitor"'),
        ("monitor start-up (exec, pty, pipes)", r"clone3\(\{flags=[A-Z_|]*CLONE_NEWNS"),
        ("zone child: overlay, /proc, /sys, /dev, pivot_root, masks, exec init", r'execveat\(.*\["init"\]'),
        ("monitor reports; zoned persists `running`, replies", r"sendto\(.*\Wresult\W"),
    ],
    "zone.login": [
        ("request read", r"recvmsg.*method\W+zone\.login\W"),
        ("checks, setns(pid), clone into the zone's cgroup", r"clone3\(\{flags=CLONE_PIDFD\|CLONE_INTO_CGROUP"),
        ("setns into the zone, exec the command", r'execve\("/bin/sh", \["sh", "-c"'),
        ("the command (sh -c true) runs", r"\+\+\+ exited with"),
        ("reap, reply", r"sendto\(.*\Wresult\W"),
    ],
    "zone.halt": [
        ("request read", r"recvmsg.*method\W+zone\.halt\W"),
        ("checks, open cgroup.kill", r'openat\(.*"cgroup\.kill"'),
        ("the kernel kills the zone; the monitor reaps init", r"waitid.*CLD_KILLED"),
        ("monitor: rmdir cgroup, exit.json, exit", r"\+\+\+ exited with 0"),
        ("zoned reaps the monitor, persists `installed`, replies", r"sendto\(.*\Wresult\W"),
    ],
}


def parse_strace(path):
    events = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            pid, h, mi, s, rest = m.groups()
            t = int(h) * 3600 + int(mi) * 60 + float(s)
            events.append((t, int(pid), rest))
    return events


def profile(path):
    events = parse_strace(path)
    if not events:
        return None
    out = []
    pos = 0
    for method, chain in CHAINS.items():
        marks = []
        i = pos
        for label, rx in chain:
            r = re.compile(rx)
            while i < len(events) and not r.search(events[i][2]):
                i += 1
            if i == len(events):
                break
            marks.append((label, events[i][0]))
            i += 1
        if len(marks) != len(chain):
            out.append((method, None, []))
            continue
        pos = i
        spans = [(marks[k][0], ms(marks[k][1] - marks[k - 1][1])) for k in range(1, len(marks))]
        out.append((method, ms(marks[-1][1] - marks[0][1]), spans))
    # Syscalls by total time spent in them (-T), all threads and children of zoned.
    per = {}
    dur = re.compile(r"^(?:<\.\.\. )?([a-z0-9_]+)[( ].*<(\d+\.\d+)>$")
    for _, _, rest in events:
        m = dur.match(rest)
        if m and m.group(1) not in ("restart_syscall", "poll", "epoll_wait", "accept4", "read",
                                    "recvmsg", "waitid", "rt_sigtimedwait", "wait4", "ppoll",
                                    "futex", "pselect6", "select", "rt_sigsuspend", "clock_nanosleep"):
            name = m.group(1)
            n, total = per.get(name, (0, 0.0))
            per[name] = (n + 1, total + float(m.group(2)))
    top = sorted(per.items(), key=lambda kv: -kv[1][1])[:10]
    return out, top


# perf trace -a (system-wide, low overhead) across several boot/zlogin/halt
# cycles; only the processes descended from zoned and from run.sh are kept.
PERF = re.compile(r"^\s*(\d+\.\d+|\?) \(\s*(?:([\d.]+) ms)?\s*\): (.+?)/(\d+) +(.*)$")

# (label of the span that ends here, comm regex, text regex, take end time)
PERF_CHAINS = {
    "zoneadm -z p boot": [
        ("", r"^(bash|zoneadm)$", r"^execve\(", False),
        ("client start-up: exec, connect", r"zoneadm", r"^connect\(", False),
        ("zoned: request, checks, cgroup, plan, vfork + exec of the monitor", r"zone-monitor", r"", True),
        ("monitor start-up: exec, pty, pipes", r"zone-monitor", r"^clone3\(", False),
        ("clone3 into new namespaces and the cgroup", r"zone-monitor", r"^mount\(", False),
        ("zone child: overlay, proc, sys, dev, devpts, shm, run", r"zone-monitor", r"^pivot_root\(", False),
        ("zone child: masked paths, host name, lo, exec init", r".", r"^execveat\(", False),
        ("monitor reports init; zoned records it", r"zoned", r"^fsync\(", False),
        ("zoned persists `running` (file + directory fsync), replies", r"zoned", r"^sendto\(", False),
        ("client reads the reply, exits", r"zoneadm", r"^exit_group\(", False),
    ],
    "zlogin p true": [
        ("", r"^(bash|zlogin)$", r"^execve\(", False),
        ("client start-up: exec, connect", r"zlogin", r"^connect\(", False),
        ("zoned: request, fds, checks, setns(pid)", r"zoned", r"^setns\(", False),
        ("clone3 into the cgroup, setns, exec sh -c true", r"^(zoned|sh)$", r"^execve\(", False),
        ("sh -c true runs and exits; zoned reaps it, replies; the client exits", r"zlogin", r"^exit_group\(", False),
    ],
    "zoneadm -z p halt": [
        ("", r"^(bash|zoneadm)$", r"^execve\(", False),
        ("client start-up: exec, connect", r"zoneadm", r"^connect\(", False),
        ("zoned: request, checks, write cgroup.kill", r"zoned", r"^write\(fd: \d+(<[^>]*>)?, buf: \w+, count: 1\)", False),
        ("the kernel kills and tears down the zone; the monitor wakes", r"zone-monitor", r"^waitid\(", False),
        ("monitor: rmdir cgroup, exit.json (file + directory fsync), exit", r"zone-monitor", r"^exit_group\(", False),
        ("zoned reaps the monitor, persists `installed` (fsyncs), replies", r"zoned", r"^sendto\(", False),
        ("client exits", r"zoneadm", r"^exit_group\(", False),
    ],
}


def parse_perf(path, roots):
    """Events (start, end, tid, comm, text) of the processes under `roots`."""
    raw = []
    with open(path, errors="replace") as f:
        for line in f:
            m = PERF.match(line)
            if not m:
                continue
            ts, dur, comm, tid, text = m.groups()
            raw.append((ts, dur, comm, int(tid), text))
    # Who cloned whom (a child's lines may come before its parent's return).
    children, inherited = {}, {}  # tid -> [child tids]; tid -> comm of its cloner
    for _ts, _dur, comm, tid, text in raw:
        m = re.search(r"(?:^|\]: )(clone3?|fork|vfork)\(.*= (\d+)", text)
        if m and int(m.group(2)) > 0:
            children.setdefault(tid, []).append(int(m.group(2)))
            if not comm.startswith(":"):
                inherited[int(m.group(2))] = comm
    keep, todo = set(), list(roots)
    while todo:
        tid = todo.pop()
        if tid not in keep:
            keep.add(tid)
            todo.extend(children.get(tid, []))
    events = []
    for ts, dur, comm, tid, text in raw:
        if tid not in keep or ts == "?":
            continue
        if comm.startswith(":"):  # perf did not see this thread's name
            comm = inherited.get(tid, comm)
        text = text.lstrip()
        cont = text.startswith("... [continued]: ")
        if cont:
            text = text[len("... [continued]: "):]
        t = float(ts)
        end = t + float(dur) if dur else t
        events.append((t, end, tid, comm, text, cont, dur is not None))
    # perf's name for a thread lags behind its exec now and then ("bash" for
    # a client that has exec'd): take the name a thread mostly goes by.
    names = {}
    for e in events:
        if e[3] != "bash" and not e[3].startswith(":"):
            names.setdefault(e[2], collections.Counter())[e[3]] += 1
    events = [(e[0], e[1], e[2], names[e[2]].most_common(1)[0][0], *e[4:])
              if (e[3] == "bash" or e[3].startswith(":")) and e[2] in names else e
              for e in events]
    events.sort(key=lambda e: e[0])
    return events


def perf_profile(path, roots):
    events = parse_perf(path, roots)
    results = {}
    i = 0
    cycles = 0
    fsyncs = []
    while True:
        cycle = {}
        start_i = i
        for method, chain in PERF_CHAINS.items():
            marks = []
            for label, comm_rx, text_rx, use_end in chain:
                c, t = re.compile(comm_rx), re.compile(text_rx)
                while i < len(events):
                    e = events[i]
                    i += 1
                    # Blocking calls appear twice (entry, then "[continued]"):
                    # markers take the entry unless they want the end.
                    if e[5] and not use_end and text_rx:
                        continue
                    if use_end and not e[6]:
                        continue  # a blocking call's entry: its end comes later
                    if c.search(e[3]) and t.search(e[4]):
                        marks.append((label, e[1] if use_end else e[0]))
                        break
                else:
                    break
            if len(marks) != len(chain):
                break
            cycle[method] = [(marks[k][0], marks[k][1] - marks[k - 1][1]) for k in range(1, len(marks))]
        if len(cycle) != len(PERF_CHAINS):
            break
        cycles += 1
        for method, spans in cycle.items():
            results.setdefault(method, []).append(spans)
        # fsync time inside this cycle
        t0, t1 = events[start_i][0], events[i - 1][0]
        done = [e for e in events if t0 <= e[0] <= t1 and e[4].startswith("fsync(") and e[6]]
        fsyncs.append((sum(e[1] - e[0] for e in done), len(done)))
    if not cycles:
        return None
    summary = []
    for method, runs in results.items():
        labels = [label for label, _ in runs[0]]
        med = [statistics.median(r[k][1] for r in runs) for k in range(len(labels))]
        total = statistics.median(sum(d for _, d in r) for r in runs)
        summary.append((method, total, list(zip(labels, med))))
    return cycles, summary, (statistics.median(f[0] for f in fsyncs),
                             statistics.median(f[1] for f in fsyncs))


# ------------------------------------------------------------------- report
def reading(groups, parts, perf=None):
    b = {r["name"]: r["median"] for r in groups.get("boot", [])}
    e = {r["name"]: r["median"] for r in groups.get("exec", [])}
    lines = []

    def verdict(ok):
        return "**met**" if ok else "**not met**"

    if "zones" in b and "lxc-execute" in b:
        z, l = b["zones"], b["lxc-execute"]
        lines.append(f"- Boot, `true`, halt no slower than `lxc-execute`: {verdict(z <= l)} — "
                     f"{fmt(z)} ms against {fmt(l)} ms ({z / l:.2f}× lxc-execute).")
    if "zlogin" in e and "lxc-attach" in e:
        z, l = e["zlogin"], e["lxc-attach"]
        lines.append(f"- `zlogin` no slower than `lxc-attach`: {verdict(z <= l)} — "
                     f"{fmt(z)} ms against {fmt(l)} ms ({z / l:.2f}×).")
    if "zlogin" in e and "nsenter" in e:
        z, n = e["zlogin"], e["nsenter"]
        lines.append(f"- `zlogin` within 2× `nsenter`: {verdict(z <= 2 * n)} — "
                     f"{fmt(z)} ms against {fmt(n)} ms ({z / n:.2f}×).")
    p = {r["name"]: r["median"] for r in parts}
    if {"zoneadm boot", "zoneadm halt", "zoneadm list", "zlogin"} <= p.keys() and "zones" in b:
        client = p["zoneadm list"]
        lines.append(
            f"- Where (a) goes: `zoneadm boot` {fmt(p['zoneadm boot'])} ms + `zlogin` "
            f"{fmt(p['zlogin'])} ms + `zoneadm halt` {fmt(p['zoneadm halt'])} ms = "
            f"{fmt(p['zoneadm boot'] + p['zlogin'] + p['zoneadm halt'])} ms measured one by one "
            f"({fmt(b['zones'])} ms together, in one `sh -c`"
            + (f" that costs {fmt(p['sh -c :'])} ms by itself" if "sh -c :" in p else "")
            + "). A bare client round trip (`zoneadm list`: "
            f"exec of the static client, connect, one request) costs "
            f"{fmt(client)} ms, so about {fmt(3 * client)} ms of (a) is three client start-ups, "
            f"which `lxc-execute` pays once.")
    if perf:
        _cycles, summary, fsync_ms = perf
        steps = [(d, f"{label} (`{method.split()[0]} {method.split()[-1]}`)")
                 for method, _total, spans in summary for label, d in spans]
        steps.sort(key=lambda x: -x[0])
        clients = sum(d for method, _t, spans in summary for label, d in spans
                      if label.startswith("client start-up"))
        lines.append(
            "- The profile below (perf trace, one cycle split into steps): the biggest steps are "
            + "; ".join(f"{label}: {fmt(d)} ms" for d, label in steps[:4])
            + f". The three client start-ups take {fmt(clients)} ms of a cycle, its "
            f"{fsync_ms[1]:.0f} fsyncs {fmt(fsync_ms[0])} ms.")
    if "zones" in b and "lxc-execute" in b and b["zones"] > b["lxc-execute"]:
        lines.append(
            "- What `lxc-execute` does not pay: it is one process that clones the container "
            "and waits for it, while a zone cycle is three client processes (each an exec of "
            "the static `zonectl`), three round trips to `zoned` and the `sh -c` around them, "
            "and the exec of a separate monitor (so that the zone outlives `zoned`). Boot and "
            "halt records are written atomically without fsync (they are re-derived from the "
            "kernel when zoned starts); configuration and install changes are fsynced.")
    if "zlogin" in e and "nsenter" in e:
        lines.append(
            "- `zlogin NAME true` runs the command through the zone's shell (`sh -c true`, as "
            "Solaris zlogin does) and goes client → zoned → fork in the zone; `nsenter` execs "
            "`/bin/true` itself, so it is the floor for any attach.")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--load-before", default="")
    ap.add_argument("--load-after", default="")
    ap.add_argument("json", nargs="*")
    a = ap.parse_args()

    if not a.dir:
        for path in a.json:
            res = load_results(path)
            ours = next((r["name"] for r in res if r["name"] in OURS.values()), None)
            print(f"### {path}\n\n{table(res, ours)}\n")
        return 0

    W = a.dir.rstrip("/")
    groups = {}
    per_round = {}
    for g in ("boot", "exec", "parts"):
        paths = sorted(glob.glob(os.path.join(W, g + ".r*.json")),
                       key=lambda p: int(re.search(r"\.r(\d+)\.json$", p).group(1))) or \
            [p for p in [os.path.join(W, g + ".json")] if os.path.exists(p)]
        if paths:
            groups[g] = load_results(paths)
            per_round[g] = [load_results(p) for p in paths]
    commands = read_tsv(os.path.join(W, "commands.tsv"), 5)
    memory = read_tsv(os.path.join(W, "memory.tsv"), 3)
    versions = read_tsv(os.path.join(W, "versions.tsv"), 2)
    notes = []
    if os.path.exists(os.path.join(W, "notes.txt")):
        with open(os.path.join(W, "notes.txt")) as f:
            notes = [l.strip() for l in f if l.strip()]
    m = machine()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    def show(cmd):
        return cmd.replace(W, "$W")

    o = []
    o.append("# Benchmarks: zones that run\n")
    o.append("Generated by `tests/bench/run.sh` (root; it installs its packages, builds the project "
             "when needed, measures, cleans up and rewrites this page; "
             "`tests/bench/report.py` makes the tables). Do not edit by hand: run it again. "
             "The section on memory per extra container at the end is `tests/bench/memory.sh`'s "
             "(run.sh keeps it as it is).\n")
    o.append("Goals (issue \"zones that run\"): from nothing to a finished `/bin/true` in a fresh "
             "zone (`zoneadm boot; zlogin true; zoneadm halt`) no slower than `lxc-execute`; "
             "`zlogin` into a running zone no slower than `lxc-attach` and within 2× of `nsenter`.\n")

    o.append("## Machine\n")
    o.append(f"- date: {now}")
    o.append(f"- CPU: {m['nproc']} × {m['cpu']}")
    o.append(f"- memory: {m['memory']}")
    o.append(f"- kernel: {m['kernel']} ({m['distro']})")
    o.append(f"- cgroups: {m['cgroup']}")
    if a.load_before or a.load_after:
        o.append(f"- load average (1, 5, 15 min) before the runs: {a.load_before}; after: {a.load_after} "
                 "— the machine is shared with other work, so expect noise; medians, not means, "
                 "are compared")
    if versions:
        o.append("- versions: " + ", ".join(f"{k} {v}" for k, v in versions))
    if a.runs:
        o.append(f"- hyperfine: {a.runs} timed runs of each command, in {a.rounds} rounds of "
                 f"{a.runs // a.rounds} (each round runs every command of its group in turn, "
                 f"after {a.warmup} warm-up runs), merged")
    o.append("")

    o.append("## Method\n")
    o.append("All containers run the same busybox root file system: our gold image `base` "
             "(`zonectl image build base --from busybox`); the peers get plain copies of its "
             "`rootfs/` under the temporary directory `$W`. No traffic leaves the machine: the "
             "zones have no `net` resource (an empty network namespace with `lo` up), lxc has "
             "`lxc.net.0.type = empty`, bwrap `--unshare-all` and `unshare --net` make an empty "
             "network namespace, and the OCI spec of runc/crun has one too. The lxc containers "
             "use the distribution's `common.conf` (capabilities, seccomp, /dev, /proc, /sys), "
             "`lxc-attach` goes into a container started with `lxc-start -d -- /bin/sleep ...`, "
             "`nsenter -a` into the init of the running zone `r`. Ours: `zoned` with a private "
             "state root and cgroup parent, zones `b` (booted and halted by (a)) and `r` "
             "(running for (b)), each an overlay over the image.\n")
    o.append("The exact commands (`$W` is the temporary directory; `zoneadm`, `zlogin` are "
             "`build/zonectl/`; *none*: exec'd directly, `hyperfine -N`; *sh*: run through "
             "`sh -c`, and hyperfine subtracts its estimate of the shell's own start-up):\n")
    o.append("| group | name | shell | command | before each run |")
    o.append("|---|---|---|---|---|")
    for g, name, shell, cmd, pre in commands:
        o.append(f"| {g} | {name} | {shell} | `{show(cmd)}` | {('`' + show(pre) + '`') if pre else ''} |")
    o.append("")

    lxc_config = os.path.join(W, "lxc", "x", "config")
    if os.path.exists(lxc_config):
        with open(lxc_config) as f:
            o.append("The lxc containers' configuration (`$W/lxc/x/config`; `a` differs only "
                     "in its name):\n")
            o.append("```")
            o.append(show(f.read().rstrip()))
            o.append("```\n")

    titles = {
        "boot": "(a) From nothing to a finished `/bin/true` in a fresh container",
        "exec": "(b) `/bin/true` in a running container",
        "parts": "(c) The parts of (a), one by one",
    }
    for g in ("boot", "exec", "parts"):
        if g not in groups:
            continue
        o.append(f"## {titles[g]}\n")
        o.append(table(groups[g], OURS.get(g), reference=g != "parts"))
        o.append("")
        rounds = per_round.get(g, [])
        if len(rounds) > 1 and g in OURS:
            o.append("Median of each round (ms), to show how the machine's load moved under "
                     "the runs; every round runs each command in turn:\n")
            o.append("| | " + " | ".join(f"round {k + 1}" for k in range(len(rounds))) + " |")
            o.append("|---|" + "---:|" * len(rounds))
            for r in groups[g]:
                cells = []
                for rr in rounds:
                    m = next((x["median"] for x in rr if x["name"] == r["name"]), None)
                    cells.append(fmt(m) if m is not None else "")
                o.append(f"| {r['name']} | " + " | ".join(cells) + " |")
            o.append("")
    o.append("*peer ÷ ours*: the peer's median over ours; above 1 the peer is slower than we are. "
             "*earlier median*: measured on these machines before this benchmark existed "
             "(systemd-nspawn, 82 ms, is not run here).\n")

    perf_path = os.path.join(W, "zoned.perf")
    roots_path = os.path.join(W, "profile.pids")
    strace_path = os.path.join(W, "zoned.strace")
    perf = None
    if os.path.exists(perf_path) and os.path.exists(roots_path):
        with open(roots_path) as f:
            roots = [int(x) for x in f.read().split()]
        perf = perf_profile(perf_path, roots)

    o.append("## Reading\n")
    o.extend(reading(groups, groups.get("parts", []), perf))
    for n in notes:
        o.append(f"- {n}")
    o.append("")

    if memory:
        o.append("## Memory\n")
        o.append("Resident set size (`VmRSS` of `/proc/PID/status`) of the running zone `r`, "
                 "of an lxc container kept by `lxc-start -d` for comparison, and of `zoned`.\n")
        o.append("| process | VmRSS (kB) |")
        o.append("|---|---:|")
        for what, _pid, kb in memory:
            o.append(f"| {what} | {kb} |")
        o.append("")

    if perf:
        cycles, summary, fsync_ms = perf
        o.append("## Where the time goes\n")
        o.append(f"`perf trace -a` (system-wide, low overhead) across {cycles} cycles of "
                 "`zoneadm -z p boot; zlogin p true; zoneadm -z p halt` on a third zone, after "
                 "the timed runs, seen from the system calls of the client, zoned, the monitor "
                 "and the zone; medians over the cycles. Each step ends at the system call that "
                 "marks it, so waiting for a CPU counts in the step that waited; each step is its "
                 "median over the cycles, so the steps need not add up to the total.\n")
        for method, total, steps in summary:
            o.append(f"- `{method}`: {fmt(total)} ms")
            for label, d in steps:
                share = 100.0 * d / total if total else 0.0
                o.append(f"  - {label}: {fmt(d)} ms ({share:.0f} %)")
        o.append(f"- `fsync`: {fsync_ms[1]:.0f} calls in a cycle (boot: state.json and its "
                 "directory; halt: the monitor's exit.json and its directory, then state.json "
                 f"and its directory), {fmt(fsync_ms[0])} ms in all (median). Each waits for a "
                 "journal commit of the file system under the state root, so it grows with the "
                 "machine's other disk traffic.")
        o.append("")
    elif os.path.exists(strace_path):
        prof = profile(strace_path)
        if prof:
            spans, top = prof
            o.append("## Where the time goes (strace)\n")
            o.append("`strace -f -tt -T -p $(zoned)` across `zoneadm -z p boot; zlogin p true; "
                     "zoneadm -z p halt` (a third zone, after the timed runs). Times are server "
                     "side, from the request read to the reply sent; strace slows every system "
                     "call, so read the shares, not the absolute numbers.\n")
            for method, total, steps in spans:
                if total is None:
                    o.append(f"- `{method}`: its steps were not found in the trace.")
                    continue
                o.append(f"- `{method}`: {fmt(total)} ms under strace")
                for label, d in steps:
                    share = 100.0 * d / total if total else 0.0
                    o.append(f"  - {label}: {fmt(d)} ms ({share:.0f} %)")
            o.append("")
            if top:
                o.append("System calls by time inside them (zoned's threads and children; "
                         "blocking waits left out):\n")
                o.append("| system call | calls | total (ms) |")
                o.append("|---|---:|---:|")
                for name, (n, total) in top:
                    o.append(f"| {name} | {n} | {fmt(ms(total))} |")
                o.append("")

    sys.stdout.write("\n".join(o).rstrip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
