#!/usr/bin/env bash
# `phaseprof report`: the bundled demo's four marked phases (load, compute, transform, save) are
# found from the trace alone; the JSON follows the schema; filters and bad input behave.
source "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1

d="$T/demo"
"$PP" record -o "$d" -- "$PROGS/demo" "$T" >/dev/null 2>"$T/rec.err" || { fail report.record "$(cat "$T/rec.err")"; exit 0; }
"$PP" report "$d" >"$T/report.txt" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q '^Phases of pid' "$T/report.txt" && pass report.text_summary || fail report.text_summary "rc=$rc $(head -5 "$T/report.txt")"
"$PP" report "$d" --json "$T/r.json" 2>/dev/null
"$PP" dump "$d"/*.pptrace | awk '$3 == "MARK" { for (i = 4; i <= NF; i++) if ($i ~ /^ts=/) { sub("ts=", "", $i); print $i } }' >"$T/marks"
python3 - "$T/r.json" "$T/marks" <<'PY' && pass report.json_schema_and_boundaries || fail report.json_schema_and_boundaries "see above"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("schema", "clock", "processes", "phases", "summary"):
    assert k in r, "missing key " + k
assert r["schema"] == "phaseprof-report/1"
t0 = r["clock"]["monotonic_start_ns"]
for p in r["phases"]:
    for k in ("id", "type", "pid", "start_ns", "end_ns", "class", "class_note", "confidence",
              "probabilities", "metrics", "top_stacks", "speedup", "recommendations"):
        assert k in p, "phase lacks " + k
    assert p["end_ns"] > p["start_ns"] >= 0
# The demo marks begin/end of each of its 4 phases: the 3 inner boundaries (end of one phase =
# begin of the next, +/- the marks' own gap) must each be matched by a detected boundary within
# 100 ms (two windows).
marks = sorted(int(x) - t0 for x in open(sys.argv[2]).read().split())
assert len(marks) == 8, "expected 8 marks, got %d" % len(marks)
truth = [(marks[i] + marks[i + 1]) / 2 for i in (1, 3, 5)]
found = sorted(p["start_ns"] for p in r["phases"] if p["start_ns"] > 0)
for b in truth:
    best = min((abs(f - b) for f in found), default=1e18)
    assert best <= 100e6, "boundary at %.3f s not found (closest off by %.3f s); found %s" % (b / 1e9, best / 1e9, [f / 1e9 for f in found])
print("phases:", len(r["phases"]), "boundaries found:", [round(f / 1e9, 3) for f in found])
PY
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["processes"][0]["pid"])' "$T/r.json")
"$PP" report "$d" --pid "$pid" >/dev/null 2>&1 && pass report.pid_filter || fail report.pid_filter "--pid $pid failed"
"$PP" report "$d" --pid 999999999 >/dev/null 2>"$T/e"; [ $? -ne 0 ] && grep -q 'no process' "$T/e" && pass report.unknown_pid || fail report.unknown_pid "$(cat "$T/e")"
n_all=$(grep -c '^ *[0-9]  [A-Z] ' "$T/report.txt"); n_cut=$("$PP" report "$d" --from 0 --to 0.05 | grep -c '^ *[0-9]  [A-Z] ')
[ "$n_cut" -ge 1 ] && [ "$n_cut" -lt "$n_all" ] && pass report.time_filter || fail report.time_filter "all=$n_all cut=$n_cut"
mkdir -p "$T/empty"; "$PP" report "$T/empty" >/dev/null 2>"$T/e"; [ $? -ne 0 ] && grep -q 'empty' "$T/e" && pass report.empty_dir || fail report.empty_dir "$(cat "$T/e")"
head -c 100 /dev/urandom >"$T/junk.pptrace"; "$PP" report "$T/junk.pptrace" >/dev/null 2>"$T/e"; [ $? -ne 0 ] && grep -q 'junk.pptrace' "$T/e" && pass report.garbage_file || fail report.garbage_file "$(cat "$T/e")"

# Hot functions name the code a fix would change: a loop calling getc() per byte spends its time
# in getc (the C library and our wrapper), which is charged to the loop's function; a qsort per
# query to the function that sorts and to the comparator.  The CPU advice names the hottest and
# the prediction's C_fix is its share of the CPU cost.
W="$B/workloads"
for ks in "getc_fread 0 sum_getc" "sort_once 0 sorted_copy,cmp_u32"; do
    set -- $ks
    PHASEPROF_INTERVAL_MS=2 "$PP" record -o "$T/hot_$1" -- "$W/pair_cpu" --kind "$1" --setting "$2" --variant slow --scale 0.5 --dir "$T" >/dev/null 2>&1
    "$PP" report "$T/hot_$1" --json "$T/hot_$1.json" >/dev/null 2>&1
    python3 - "$T/hot_$1.json" "$3" <<'PY' && pass "report.hot_charged_to_caller_$1" || fail "report.hot_charged_to_caller_$1" "see above"
import json, sys
r, want = json.load(open(sys.argv[1])), sys.argv[2].split(",")
ph = max((p for p in r["phases"] if p["top_stacks"]), key=lambda p: p["end_ns"] - p["start_ns"])
names = [s["frames"][0].split(" (")[0] for s in ph["top_stacks"]]
libc = {"getc", "_IO_getc", "fgetc", "qsort", "qsort_r", "msort_with_tmp", "__memmove_avx_unaligned_erms", "memcpy"}
assert names and names[0] in want, "hottest %s, want one of %s" % (names, want)
assert not libc & set(names), "a library function listed: %s" % names
cpu = ph["costs"]["cpu"]
share = ph["top_stacks"][0]["cpu_share"]
assert abs(cpu["fix_wall_s"] - cpu["wall_s"] * share) <= 1e-6 + 1e-6 * cpu["wall_s"], (cpu, share)
adv = [x for x in ph["recommendations"] if x.get("cost") == "cpu"]
assert not adv or names[0] in adv[0]["advice"], adv
print(sys.argv[2], "hottest:", [(n, s["cpu_share"]) for n, s in zip(names, ph["top_stacks"])])
PY
done
