#!/usr/bin/env python3
"""Helper of tests/bench/memory.sh: samples the host memory of N running
containers, and turns the samples into the "Zones from one gold share its
pages" section of docs/benchmarks.md.

  memory.py sample FILE SYSTEM N [--cgroup DIR] -- GROUP GROUP ...
      GROUP is a comma-separated list of root pids of one container (its
      monitor, its init, ...); the container's processes are those pids and
      all their descendants.  Appends one JSON line to FILE.
  memory.py report FILE --meta META.json
      Prints the markdown section.
"""
import json
import os
import re
import sys


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, rest = line.split(":", 1)
            out[key] = int(rest.split()[0])
    return out


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the ppid is the
        # second field after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def descendants(roots, kids):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(kids.get(p, []))
    return seen


def rollup(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                    out[parts[0][:-1]] = int(parts[1])
    except OSError:
        return None
    return out


def task_kernel(pid):
    """kB of kernel memory a process has for itself alone: its page tables
    (VmPTE) and a kernel stack per thread (16 KiB on x86-64)."""
    pte = threads = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmPTE:"):
                    pte = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
    except OSError:
        pass
    return pte + 16 * threads


def cgroup_bytes(d):
    for name in ("memory.current", "memory.usage_in_bytes"):
        try:
            with open(os.path.join(d, name)) as f:
                return int(f.read())
        except OSError:
            pass
    return None


def sample(argv):
    path, system, n = argv[0], argv[1], int(argv[2])
    rest = argv[3:]
    cgroup = None
    if rest[:1] == ["--cgroup"]:
        cgroup, rest = rest[1], rest[2:]
    assert rest[:1] == ["--"], "usage: sample FILE SYSTEM N [--cgroup DIR] -- GROUP..."
    groups = [[int(p) for p in g.split(",") if p] for g in rest[1:]]
    kids = children_map()
    pss = rss = private = nproc = ktask = 0
    for g in groups:
        for pid in descendants(g, kids):
            r = rollup(pid)
            if r is None:
                continue
            nproc += 1
            ktask += task_kernel(pid)
            pss += r.get("Pss", 0)
            rss += r.get("Rss", 0)
            private += r.get("Private_Clean", 0) + r.get("Private_Dirty", 0)
    m = meminfo()
    rec = {
        "system": system, "n": n, "containers": len(groups), "processes": nproc,
        "pss": pss, "rss": rss, "private": private, "ktask": ktask,
        "used": m["MemTotal"] - m["MemAvailable"],
        "kernel": m.get("Slab", 0) + m.get("PageTables", 0) + m.get("KernelStack", 0),
        "cgroup": (cgroup_bytes(cgroup) // 1024) if cgroup and cgroup_bytes(cgroup) is not None else None,
    }
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(f"{system} n={n}: {nproc} processes, Pss {pss} kB, private {private} kB, Rss {rss} kB",
          file=sys.stderr)


def slope(points):
    """Least-squares slope of (n, value) points: the cost of one more container."""
    pts = [(x, y) for x, y in points if y is not None]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else None


def fmt(v, digits=0):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}".replace(",", " ")


def report(argv):
    path = argv[0]
    meta = json.load(open(argv[argv.index("--meta") + 1]))
    recs = [json.loads(line) for line in open(path) if line.strip()]
    systems = []
    for r in recs:
        if r["system"] not in systems:
            systems.append(r["system"])
    by = {s: sorted((r for r in recs if r["system"] == s), key=lambda r: r["n"]) for s in systems}
    labels = meta["labels"]
    base = {}
    lines = []

    def p(text=""):
        lines.append(text)

    p("<!-- memory-bench begin -->")
    p("## Zones from one gold share its pages: host memory per extra container")
    p()
    p(f"Generated by `tests/bench/memory.sh` (root; do not edit by hand). {meta['date']}, "
      f"{meta['cpus']} CPUs, {meta['memory']}, kernel {meta['kernel']}, zoned {meta['zoned']}, "
      f"load average before {meta['load_before']}, after {meta['load_after']} "
      "(a shared machine: the whole-host numbers below move with other work; the per-process ones do not).")
    p()
    p("Every container runs the same workload from the same busybox root file system "
      f"(our gold image, `zonectl image build --from busybox`): `sh -c '{meta['workload']}'`, "
      "that is a shell, a web server and a `sleep`, all three the one static `/bin/busybox` binary, "
      f"in an empty network namespace. {meta['counts_text']} containers of each kind are started one "
      "after the other and sampled when 1, 5, ... of them run; *per extra container* is the "
      "least-squares slope over those samples.")
    p()
    p("- **Pss**: the sum of `Pss` of `/proc/PID/smaps_rollup` over every process of the containers "
      "(their runtime's resident helpers included: a zone's monitor, lxc's monitor, bwrap's two "
      "processes, nspawn's; runc and crun leave none). A page mapped by k processes counts 1/k "
      "in each, so the sum is what the containers cost in user pages, shared pages counted once.")
    p("- **private** (samples only): `Private_Clean + Private_Dirty` summed, pages only one process "
      "maps; not additive (a binary only the first container runs is private to it, then shared).")
    p("- **Rss**: what `ps` shows summed, shared pages counted in every process (for contrast).")
    p("- **page tables + stacks**: the kernel memory the containers' processes have each for "
      "themselves: `VmPTE` of `/proc/PID/status` plus a 16 KiB kernel stack per thread.")
    p("- **host kernel**: `Slab + PageTables + KernelStack` of `/proc/meminfo` (adds the namespaces, "
      "mounts, cgroups, dentries and inodes of the containers), and **host used**: "
      "`MemTotal − MemAvailable`: whole-host numbers, so every other process on the machine moves "
      "them; on a busy machine host used is noise (its slope is not shown) and host kernel is rough.")
    p("- **cgroup**: `memory.current` (v2) or `memory.usage_in_bytes` (v1) of the zones' cgroup "
      "parent, when the zones have a memory cgroup (they get `capped-memory physical=1G`, far above "
      "their use, for that); \"–\" when they have none (zoned found no memory controller it could "
      "use). It is the zones' user and kernel memory as the kernel charges it: a page goes to the "
      "cgroup that first touched it, so the image's page cache, read first by `zoned` or an "
      "earlier zone, is not in it.")
    p()
    p("| container | Pss per extra (kB) | Pss per extra ÷ zones' | Rss per extra (kB) | "
      "page tables + stacks per extra (kB) | host kernel per extra (kB) | cgroup per extra (kB) |")
    p("|---|---:|---:|---:|---:|---:|---:|")
    for s in systems:
        pts = by[s]
        sl = {k: slope([(r["n"], r.get(k)) for r in pts]) for k in ("pss", "rss", "ktask", "kernel", "cgroup")}
        base.setdefault("pss", sl["pss"])
        ratio = sl["pss"] / base["pss"] if base["pss"] and sl["pss"] is not None else None
        name = f"**{labels.get(s, s)}**" if s == systems[0] else labels.get(s, s)
        p(f"| {name} | {fmt(sl['pss'])} | {fmt(ratio, 2)} | {fmt(sl['rss'])} | "
          f"{fmt(sl['ktask'])} | {fmt(sl['kernel'])} | {fmt(sl['cgroup'])} |")
    p()
    slopes = {x: {k: slope([(r["n"], r.get(k)) for r in by[x]]) for k in ("pss", "ktask", "kernel")}
              for x in systems}
    short = {"zones-copy": "copy zones", "nspawn": "systemd-nspawn"}
    z = slopes.get("zones", {}).get("pss")
    if z:
        p("Reading it:")
        p()
        line = f"- One more zone over the gold image costs {fmt(z)} kB of Pss"
        if "zones-copy" in slopes and slopes["zones-copy"]["pss"] is not None:
            c = slopes["zones-copy"]["pss"]
            line += (f"; one more zone with `root-type=copy` costs {fmt(c)} kB ({c / z:.1f}×): the "
                     f"{fmt(c - z)} kB between them is the resident part of the busybox binary, which "
                     "every copy maps alone and the overlay zones map once for all.")
        else:
            line += "."
        p(line)
        peers = [x for x in systems if x not in ("zones", "zones-copy") and slopes[x]["pss"] is not None]
        if peers:
            p("- The peers, per extra container, as a multiple of a zone: " + "; ".join(
                f"{labels.get(x, x)} {slopes[x]['pss'] / z:.2f}×" for x in peers) +
              ". Those with a root file system of their own per container pay for their own copy of "
              "the binary as `root-type=copy` does (lxc would share too with containers made as overlay "
              "snapshots of one, `lxc-copy -s -B overlay`, which is not what `lxc-create` makes); bwrap binding one directory into every sandbox "
              "shares its pages as the overlay does, and has no resident monitor per sandbox and no "
              "writable root.")
        rz, rc = slope([(r["n"], r["rss"]) for r in by["zones"]]), None
        if "zones-copy" in by:
            rc = slope([(r["n"], r["rss"]) for r in by["zones-copy"]])
        p("- Rss counts a shared page in every process that maps it, so it cannot tell shared from "
          f"copied: {fmt(rz)} kB per extra zone" + (f", {fmt(rc)} kB per extra copy zone" if rc else "") +
          "; Pss can.")
        kt = {x: slopes[x]["ktask"] for x in systems if slopes[x]["ktask"] is not None}
        if kt:
            p("- Kernel memory of the processes themselves (page tables, stacks) per extra container: "
              + ", ".join(f"{short.get(x, x)} {fmt(v)} kB" for x, v in kt.items())
              + ": it follows the number of processes (a zone is five: monitor, init and the three of "
              "the workload). The whole-host kernel slope adds namespaces, mounts and cgroups but "
              "moves with everything else on the machine.")
        p()
    p("The samples (kB; processes: how many processes the containers and their helpers are):")
    p()
    p("| container | running | processes | Pss | private | Rss | page tables + stacks | cgroup | host used − at start | host kernel − at start |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in systems:
        start = meta["start"].get(s, {})
        for r in by[s]:
            used = r["used"] - start["used"] if "used" in start else None
            kern = r["kernel"] - start["kernel"] if "kernel" in start else None
            p(f"| {labels.get(s, s)} | {r['n']} | {r['processes']} | {fmt(r['pss'])} | {fmt(r['private'])} | "
              f"{fmt(r['rss'])} | {fmt(r.get('ktask'))} | {fmt(r.get('cgroup'))} | {fmt(used)} | {fmt(kern)} |")
    p()
    for note in meta.get("notes", []):
        p(f"- {note}")
    if meta.get("notes"):
        p()
    p(meta["reading"])
    p("<!-- memory-bench end -->")
    page = ""
    if "--page" in argv and os.path.exists(argv[argv.index("--page") + 1]):
        page = open(argv[argv.index("--page") + 1]).read()
        page = re.sub(r"\n*<!-- memory-bench begin -->\n.*?<!-- memory-bench end -->\n?", "\n", page, flags=re.S)
        page = page.rstrip("\n") + "\n\n"
    sys.stdout.write(page + "\n".join(lines) + "\n")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "sample":
        sample(argv)
    elif cmd == "start":
        # start FILE SYSTEM: the whole-host numbers before any container of SYSTEM.
        m = meminfo()
        d = json.load(open(argv[0])) if os.path.exists(argv[0]) else {}
        d[argv[1]] = {"used": m["MemTotal"] - m["MemAvailable"],
                      "kernel": m.get("Slab", 0) + m.get("PageTables", 0) + m.get("KernelStack", 0)}
        json.dump(d, open(argv[0], "w"))
    elif cmd == "report":
        report(argv)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
