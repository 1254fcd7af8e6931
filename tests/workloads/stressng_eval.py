#!/usr/bin/env python3
"""Classifier check on programs it was never trained on: stress-ng stressors (python3 stdlib only).

    stressng_eval.py [--build build] [--models models] [--seconds 3] [--out FILE] [--only a,b]

Each stressor runs as `stress-ng --NAME 1 -t SECONDS` under `phaseprof record`; stress-ng forks
one worker process per stressor, and the worker's phases (from `phaseprof report --json`) are
what is judged: the class holding most of its time (a phase marked "mixed" counts for neither of
its two classes).  Beside it, the plain baseline of models/README.md: per phase the cost with the
most threads busy (costs.*.threads_busy), by time.  The expected class is what the stressor does,
by stress-ng's own description; memory stressors expect cpu (software counters cannot tell memory
from compute: the classifier says cpu with class_note compute_or_memory).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

# (stressor, extra options, expected class)
STRESSORS = [
    ("cpu", ["--cpu-method", "int64"], "cpu"),
    ("matrix", [], "cpu"),
    ("qsort", [], "cpu"),
    ("heapsort", [], "cpu"),
    ("bsearch", [], "cpu"),
    ("stream", [], "cpu"),
    ("memcpy", [], "cpu"),
    ("hdd", ["--hdd-bytes", "64M"], "io"),
    ("seek", ["--seek-size", "64M"], "io"),
    ("iomix", ["--iomix-bytes", "64M"], "io"),
    ("sync-file", ["--sync-file-bytes", "16M"], "io"),
    ("readahead", ["--readahead-bytes", "64M"], "io"),
    ("malloc", [], "alloc"),
    ("mutex", [], "wait"),
    ("sem", [], "wait"),
    ("poll", [], "wait"),
    ("sleep", [], "wait"),
]
COSTS = ["cpu", "io", "alloc", "wait"]


def worker_phases(report):
    """Phases of the process that did the work: not the root (stress-ng's parent waits), the one
    with the most CPU time."""
    procs = [p for p in report["processes"] if not p.get("root")]
    if not procs:
        procs = report["processes"]
    w = max(procs, key=lambda p: p.get("cpu_ns") or 0)
    return w["pid"], [ph for ph in report["phases"] if ph["pid"] == w["pid"]]


def shares(phases, key):
    t = {}
    for ph in phases:
        d = ph["end_ns"] - ph["start_ns"]
        k = key(ph)
        if k:
            t[k] = t.get(k, 0) + d
    total = sum(ph["end_ns"] - ph["start_ns"] for ph in phases) or 1
    return {k: v / total for k, v in t.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--models", default="models")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", default=None, help="comma-separated stressors (default: all)")
    a = ap.parse_args()
    only = set(a.only.split(",")) if a.only else None
    pp = os.path.join(a.build, "phaseprof")
    rows = []
    with tempfile.TemporaryDirectory(prefix="ppsng.") as tmp:
        for name, opts, want in STRESSORS:
            if only and name not in only:
                continue
            d = os.path.join(tmp, name)
            cmd = [pp, "record", "-o", d, "--", "stress-ng", "--" + name, "1", "-t", f"{a.seconds:g}",
                   "--temp-path", tmp, "--quiet"] + opts
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                print(f"{name}: stress-ng failed ({r.returncode}): {r.stderr.strip()[-200:]}", file=sys.stderr)
                continue
            rep = subprocess.run([pp, "report", "--models", a.models, "--json", "-", d],
                                 capture_output=True, text=True)
            if rep.returncode != 0:
                print(f"{name}: report failed: {rep.stderr.strip()[-200:]}", file=sys.stderr)
                continue
            pid, phases = worker_phases(json.loads(rep.stdout))
            cls = shares(phases, lambda ph: ph["class"])
            base = shares(phases, lambda ph: max(COSTS, key=lambda c: (ph["costs"][c]["threads_busy"] or 0)))
            got = max(cls, key=cls.get) if cls else None
            bgot = max(base, key=base.get) if base else None
            rows.append((name, want, got, cls.get(got, 0), bgot))
    lines = [f"{'stressor':<10} {'expected':<8} {'forest':<8} {'share':>6}  {'baseline':<8}"]
    for name, want, got, sh, b in rows:
        lines.append(f"{name:<10} {want:<8} {str(got):<8} {sh:6.2f}  {str(b):<8}")
    n = len(rows)
    ok = sum(1 for r in rows if r[1] == r[2])
    bok = sum(1 for r in rows if r[1] == r[4])
    lines.append(f"forest {ok}/{n} right, baseline (largest cost share) {bok}/{n} right")
    # macro-F1 over the expected classes
    def macro(pred_idx):
        f1s = []
        for c in COSTS:
            tp = sum(1 for r in rows if r[1] == c and r[pred_idx] == c)
            fp = sum(1 for r in rows if r[1] != c and r[pred_idx] == c)
            fn = sum(1 for r in rows if r[1] == c and r[pred_idx] != c)
            if tp + fp + fn:
                f1s.append(2 * tp / (2 * tp + fp + fn))
        return sum(f1s) / len(f1s) if f1s else 0
    lines.append(f"macro-F1 over cpu/io/alloc/wait: forest {macro(2):.3f}, baseline {macro(4):.3f}")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(f"# python3 tests/workloads/stressng_eval.py --seconds {a.seconds:g} (stress-ng never trained on)\n")
            f.write(text)


if __name__ == "__main__":
    main()
