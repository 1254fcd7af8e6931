#!/usr/bin/env python3
"""Runs the labelled workload suite under phaseprof and writes the training CSV (python3 stdlib only).

    label_suite.py [--build build] [--out models/training_data.csv] [--seconds 1.0]
                   [--settings 0-9] [--gens label_io:fsync,...] [--work DIR] [--jobs 1]

For every generator of tests/workloads/label_{cpu,memory,io,alloc,wait,mixed} (each lists its
own with --list) and every setting: `phaseprof record` it, read the phase lines it prints
("start_ns end_ns label", CLOCK_MONOTONIC), `phaseprof export --format csv` its windows, and
average the windows wholly inside each phase (weighted by window length; io_size_mean by
read/write calls) into one row:

    workload,group,counter_set,label,<features...>

group is PROGRAM:GEN (the unit --evaluate holds out), workload adds the setting.  Left out as
features: the window bookkeeping columns, rss_bytes and the code signature sig* (they name the
program rather than its bottleneck, and would let a forest recognise a generator instead of
learning the cost).  Hardware-only columns stay empty under the sw backend; `phaseprof train`
drops a column that is empty in every row.  The counter set is read from `phaseprof info`.
"""
import argparse
import csv
import io
import os
import re
import subprocess
import sys
import tempfile

PROGS = ["label_cpu", "label_memory", "label_io", "label_alloc", "label_wait", "label_mixed"]
SKIP = {"pid", "ppid", "exe", "exec_gen", "window", "start_s", "end_s", "duration_s", "rss_bytes", "sig_samples"}


def parse_range(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def run_one(pp, prog_path, gen, setting, secs, work):
    tr = tempfile.mkdtemp(prefix="tr.", dir=work)
    cmd = [pp, "record", "-o", tr, "--", prog_path, "--gen", gen, "--setting", str(setting),
           "--seconds", str(secs), "--dir", work]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr.strip()[-300:]))
    phases = []
    for line in r.stdout.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        a, b, lab = line.split()[:3]
        phases.append((int(a), int(b), lab))
    info = subprocess.run([pp, "info", tr], stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"monotonic_ns=(\d+)", info)
    cs = re.search(r"backend=(\w+)", info)
    if not m:
        raise RuntimeError("no monotonic start in phaseprof info " + tr)
    t0 = int(m.group(1))
    ex = subprocess.run([pp, "export", "--format", "csv", tr], stdout=subprocess.PIPE, text=True)
    rows = list(csv.DictReader(io.StringIO(ex.stdout)))
    subprocess.run(["rm", "-rf", tr])
    return phases, t0, (cs.group(1) if cs else "sw"), rows


def window_means(windows, features):
    """Means of the features over (row, weight) windows: weighted by weight, io_size_mean by
    read/write calls.  None for a feature no window has (or no weight at all).  Also returns the
    total weight.  pairs_suite.py uses it too."""
    acc = {f: 0.0 for f in features}
    present = {f: False for f in features}
    wsum = calls = size_acc = 0.0
    for r, w in windows:
        if w <= 0:
            continue
        wsum += w
        for f in features:
            v = r.get(f, "")
            if v == "":
                continue
            present[f] = True
            if f == "io_size_mean":
                c = float(r.get("rw_calls_ps") or 0) * w
                calls += c
                size_acc += float(v) * c
            else:
                acc[f] += float(v) * w
    out = {}
    for f in features:
        if not present[f] or wsum == 0:
            out[f] = None
        elif f == "io_size_mean":
            out[f] = size_acc / calls if calls else 0.0
        else:
            out[f] = acc[f] / wsum
    return out, wsum


def phase_row(rows, t0, a, b, features):
    lo, hi = (a - t0) / 1e9, (b - t0) / 1e9
    root = rows[0]["pid"] if rows else None
    mine = [r for r in rows if r["pid"] == root]
    # Windows wholly inside the phase: one that straddles a boundary carries the neighbour's
    # rates (a 10 ms window with 5 ms of allocation churn shows 10^6 calls/s in a sleep phase).
    # A phase shorter than two windows falls back to overlap weighting.
    inside = [r for r in mine if float(r["start_s"]) >= lo and float(r["end_s"]) <= hi]
    if len(inside) >= 2:
        windows = [(r, float(r["end_s"]) - float(r["start_s"])) for r in inside]
    else:
        windows = [(r, max(0.0, min(float(r["end_s"]), hi) - max(float(r["start_s"]), lo))) for r in mine]
    means, wsum = window_means(windows, features)
    return {f: "" if v is None else "%.6g" % v for f, v in means.items()}, wsum


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="models/training_data.csv")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--settings", default="0-9")
    ap.add_argument("--gens", default="", help="only these PROGRAM:GEN, comma-separated")
    ap.add_argument("--work", default=None, help="scratch directory (default: a temporary one)")
    args = ap.parse_args()
    pp = os.path.join(args.build, "phaseprof")
    work = args.work or tempfile.mkdtemp(prefix="label_suite.")
    os.makedirs(work, exist_ok=True)
    only = set(g for g in args.gens.split(",") if g)
    jobs = []
    for prog in PROGS:
        path = os.path.join(args.build, "workloads", prog)
        lst = subprocess.run([path, "--list"], stdout=subprocess.PIPE, text=True, check=True).stdout
        for line in lst.splitlines():
            _, gen, _ = line.split()
            if only and "%s:%s" % (prog, gen) not in only:
                continue
            for s in parse_range(args.settings):
                jobs.append((prog, path, gen, s))
    features = None
    out_rows = []
    for i, (prog, path, gen, s) in enumerate(jobs):
        print("\r[%d/%d] %s --gen %s --setting %d      " % (i + 1, len(jobs), prog, gen, s), end="", file=sys.stderr, flush=True)
        phases, t0, cs, rows = run_one(pp, path, gen, s, args.seconds, work)
        if not rows:
            print("\n%s %s %d: no windows" % (prog, gen, s), file=sys.stderr)
            continue
        if features is None:
            features = [c for c in rows[0].keys() if c not in SKIP and not c.startswith("sig")]
        for k, (a, b, lab) in enumerate(phases):
            feat, covered = phase_row(rows, t0, a, b, features)
            if covered <= 0:
                continue
            wl = "%s:%s:%d" % (prog, gen, s) + (":%d" % k if len(phases) > 1 else "")
            out_rows.append([wl, "%s:%s" % (prog, gen), cs, lab] + [feat[f] for f in features])
    print("", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["workload", "group", "counter_set", "label"] + (features or []))
        w.writerows(out_rows)
    print("%d rows from %d runs -> %s" % (len(out_rows), len(jobs), args.out), file=sys.stderr)
    if not args.work:
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
