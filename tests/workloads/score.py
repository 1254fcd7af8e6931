#!/usr/bin/env python3
"""Scores detected phase boundaries against a schedule's ground truth (python3 stdlib only).

    score.py [--margin-ms 50] [--min-f1 X] [--min-cover X] [--max-false N] TRUTH:DETECTED ...

TRUTH is what tests/workloads/schedule prints: "start_ns end_ns label" per phase, CLOCK_MONOTONIC,
'#' lines ignored.  DETECTED is either tests/workloads/detect's JSON lines (absolute
CLOCK_MONOTONIC start_ns/end_ns per segment) or a phaseprof-report/1 document (phases[] relative
to clock.monotonic_start_ns).  Only the first process's segments are scored (the generator is one
process).

Scored range: [start of the first phase, end of the last] — what lies outside is the program's
unlabelled set-up and exit.  True boundaries: the starts of phases 2..n.  Detected boundaries:
segment starts inside the range, except those within the margin of its ends (they separate the
unlabelled set-up or exit from the first or last phase).

  F1      boundary F1: a detected boundary matches a true one within the margin, each true
          boundary matching at most one detected boundary (and vice versa); precision over
          detected, recall over true.  No true and no detected boundary scores 1.
  cover   covering metric (Arbelaez et al.; van den Burg & Williams 2020): sum over true phases
          of |A| * max Jaccard(A, detected segment), over the range length.
Beside each score, two baselines: "none" (no boundary at all: F1 0 when there are true
boundaries, cover of one segment) and "even" (as many boundaries as the truth has, evenly
spaced: what knowing only the count gives).

With --min-f1/--min-cover the exit status is 1 when the mean falls below; --max-false N checks
that no pair has more than N detected boundaries that match nothing (for steady runs).
"""
import json
import sys


def read_truth(path):
    phases = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            a, b, label = line.split()[:3]
            phases.append((int(a), int(b), label))
    if not phases:
        raise SystemExit(f"score.py: {path}: no phases")
    return phases


def read_detected(path):
    with open(path) as f:
        text = f.read()
    segs = []
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and 'phases' in doc:
        t0 = int(doc.get('clock', {}).get('monotonic_start_ns', 0))
        for p in doc['phases']:
            segs.append((p['pid'], int(p['start_ns']) + t0, int(p['end_ns']) + t0, p.get('type')))
    else:
        for line in text.splitlines():
            line = line.strip()
            if line:
                p = json.loads(line)
                segs.append((p['pid'], int(p['start_ns']), int(p['end_ns']), p.get('type')))
    if not segs:
        raise SystemExit(f"score.py: {path}: no segments")
    pid = segs[0][0]
    return sorted((a, b) for (q, a, b, _) in segs if q == pid)


def match_count(true_b, det_b, margin):
    """Maximum one-to-one matching within margin; greedy on sorted lists is optimal on a line."""
    i = j = m = 0
    while i < len(true_b) and j < len(det_b):
        if abs(true_b[i] - det_b[j]) <= margin:
            m += 1; i += 1; j += 1
        elif det_b[j] < true_b[i]:
            j += 1
        else:
            i += 1
    return m


def f1(true_b, det_b, margin):
    if not true_b and not det_b:
        return 1.0, 0
    m = match_count(true_b, det_b, margin)
    if m == 0:
        return 0.0, len(det_b)
    p, r = m / len(det_b), m / len(true_b)
    return 2 * p * r / (p + r), len(det_b) - m


def covering(true_segs, det_segs, lo, hi):
    total = hi - lo
    s = 0.0
    for a, b in true_segs:
        best = 0.0
        for c, d in det_segs:
            inter = min(b, d) - max(a, c)
            if inter <= 0:
                continue
            union = max(b, d) - min(a, c)
            best = max(best, inter / union)
        s += (b - a) * best
    return s / total


def segs_from_bounds(bounds, lo, hi):
    pts = [lo] + sorted(bounds) + [hi]
    return [(pts[i], pts[i + 1]) for i in range(len(pts) - 1)]


def score_pair(truth_path, det_path, margin):
    truth = read_truth(truth_path)
    lo, hi = truth[0][0], truth[-1][1]
    true_b = [a for a, _, _ in truth[1:]]
    true_segs = [(a, b) for a, b, _ in truth]
    det = read_detected(det_path)
    det_b = sorted(a for a, _ in det if lo + margin < a < hi - margin)
    det_segs = [(max(a, lo), min(b, hi)) for a, b in det if min(b, hi) > max(a, lo)]
    f, false_pos = f1(true_b, det_b, margin)
    cov = covering(true_segs, det_segs, lo, hi)
    n = len(true_b)
    even = [lo + (hi - lo) * (k + 1) // (n + 1) for k in range(n)]
    return {
        'f1': f, 'cover': cov, 'true': n, 'det': len(det_b), 'false': false_pos,
        'f1_none': 1.0 if n == 0 else 0.0, 'cover_none': covering(true_segs, [(lo, hi)], lo, hi),
        'f1_even': f1(true_b, even, margin)[0],
        'cover_even': covering(true_segs, segs_from_bounds(even, lo, hi), lo, hi),
        'secs': (hi - lo) / 1e9,
    }


def main(argv):
    margin_ms, min_f1, min_cover, max_false = 50.0, None, None, None
    pairs = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ('--margin-ms', '--min-f1', '--min-cover', '--max-false') and i + 1 < len(argv):
            v = float(argv[i + 1]); i += 2
            if a == '--margin-ms': margin_ms = v
            elif a == '--min-f1': min_f1 = v
            elif a == '--min-cover': min_cover = v
            else: max_false = int(v)
            continue
        if ':' not in a:
            raise SystemExit(__doc__)
        pairs.append(a.split(':', 1))
        i += 1
    if not pairs:
        raise SystemExit(__doc__)
    margin = int(margin_ms * 1e6)
    print(f"{'run':<28} {'secs':>5} {'true':>4} {'det':>4} {'false':>5} {'F1':>6} {'none':>5} {'even':>5}"
          f" {'cover':>6} {'none':>5} {'even':>5}")
    rows = []
    for t, d in pairs:
        r = score_pair(t, d, margin)
        rows.append(r)
        name = d if len(d) <= 28 else '…' + d[-27:]
        print(f"{name:<28} {r['secs']:5.1f} {r['true']:4d} {r['det']:4d} {r['false']:5d} {r['f1']:6.3f}"
              f" {r['f1_none']:5.2f} {r['f1_even']:5.2f} {r['cover']:6.3f} {r['cover_none']:5.2f}"
              f" {r['cover_even']:5.2f}")
    k = len(rows)
    mean = lambda key: sum(r[key] for r in rows) / k
    print(f"{'mean of ' + str(k):<28} {mean('secs'):5.1f} {mean('true'):4.1f} {mean('det'):4.1f}"
          f" {mean('false'):5.2f} {mean('f1'):6.3f} {mean('f1_none'):5.2f} {mean('f1_even'):5.2f}"
          f" {mean('cover'):6.3f} {mean('cover_none'):5.2f} {mean('cover_even'):5.2f}")
    ok = True
    if min_f1 is not None and mean('f1') < min_f1:
        print(f"mean F1 {mean('f1'):.3f} below {min_f1}"); ok = False
    if min_cover is not None and mean('cover') < min_cover:
        print(f"mean cover {mean('cover'):.3f} below {min_cover}"); ok = False
    if max_false is not None and max(r['false'] for r in rows) > max_false:
        print(f"a run has more than {max_false} false boundaries"); ok = False
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
