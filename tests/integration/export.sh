#!/usr/bin/env bash
# `phaseprof export` (chrome, folded, csv) on a recorded run of tests/progs/export_demo: two
# threads, fsync'd writes (slow I/O), allocation, marks, a fork; its output file's name holds '"',
# '<' and a byte that is not UTF-8.  Checks that each format parses and holds what the trace
# holds, that --pid and --from/--to restrict it, and that bad input fails with a clear message.
source "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
[ -x "$PP" ] && [ -x "$PROGS/export_demo" ] || { fail export "no $PP or $PROGS/export_demo (make progs)"; exit 0; }

weird="$T/out\"<$(printf '\377')x.dat"
d="$T/run"
LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" PHASEPROF_IO_THRESHOLD_US=0 "$PROGS/export_demo" "$weird"
check demo_ran test -f "$weird"
"$PP" info "$d" >"$T/info" 2>&1
parent=$(sed -n 's/^process \([0-9]*\) .*/\1/p' "$T/info" | head -1)
child=$(sed -n 's/^process \([0-9]*\) .*/\1/p' "$T/info" | sed -n 2p)
cpu_total=$(grep -o 'CPU_SAMPLE=[0-9]*' "$T/info" | awk -F= '{s += $2} END {print s + 0}')
cpu_child=$(awk -v p="$child" '/^process / { on = ($2 == p) } on' "$T/info" | grep -o 'CPU_SAMPLE=[0-9]*' | awk -F= '{s += $2} END {print s + 0}')
check two_processes test -n "$parent" -a -n "$child"

# ---- chrome ----
"$PP" export --format chrome "$d" >"$T/c.json" 2>"$T/c.err"; rc=$?
check chrome_exit_0 test $rc -eq 0
cat >"$T/chrome_check.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))       # raises on invalid JSON or UTF-8
parent, child = int(sys.argv[2]), int(sys.argv[3])
ev = d["traceEvents"]
def has(f): return any(f(e) for e in ev)
checks = {
    "processes": {e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"} == {parent, child},
    "threads": has(lambda e: e["ph"] == "M" and e["name"] == "thread_name" and e["args"]["name"] == "cruncher"),
    "io_slices": sum(1 for e in ev if e["ph"] == "X" and e.get("cat") == "io" and e["name"] == "fsync") >= 5,
    "weird_path": has(lambda e: e.get("cat") == "io" and '"<\ufffdx.dat' in (e["args"].get("path") or "")),
    "counters": {e["pid"] for e in ev if e["ph"] == "C" and e["name"] == "CPU"} == {parent, child},
    "marks": has(lambda e: e["ph"] == "i" and e["name"] == "start") and has(lambda e: e["ph"] == "B" and e["name"] == "write"),
    "fork_flow": {e["id"] for e in ev if e["ph"] == "s"} == {e["id"] for e in ev if e["ph"] == "f"} != set(),
    "phases": has(lambda e: e.get("cat") == "phase"),
    "ts_numbers": all(isinstance(e["ts"], (int, float)) for e in ev),
}
for k, ok in checks.items():
    print(("PASS chrome_" if ok else "FAIL chrome_") + k + ("" if ok else ": not found"))
EOF
python3 "$T/chrome_check.py" "$T/c.json" "$parent" "$child" || fail chrome_parses "python3 could not load the JSON"

# ---- folded ----
"$PP" export --format folded "$d" >"$T/f.txt" 2>"$T/f.err"; rc=$?
check folded_exit_0 test $rc -eq 0
check folded_nonempty test -s "$T/f.txt"
bad=$(grep -cvE '^[^ ]+( [0-9]+)$' "$T/f.txt")
if [ "$bad" -eq 0 ]; then pass folded_line_format; else fail folded_line_format "$bad lines not 'frames weight'"; grep -vE '^[^ ]+( [0-9]+)$' "$T/f.txt" | head -3; fi
sum=$(awk '{s += $NF} END {print s + 0}' "$T/f.txt")
if [ "$sum" -eq "$cpu_total" ]; then pass folded_cpu_sum_matches_info
else fail folded_cpu_sum_matches_info "folded sum $sum, info CPU_SAMPLE $cpu_total"; fi
check folded_root_is_process bash -c "cut -d';' -f1 '$T/f.txt' | sort -u | grep -qx export_demo"
check folded_symbolized grep -q ';spin ' "$T/f.txt"
"$PP" export --format folded --weight io "$d" >"$T/fio.txt"
check folded_io_fsync grep -q ';\[fsync\] [0-9]*$' "$T/fio.txt"
"$PP" export --format folded --weight alloc "$d" >"$T/fal.txt"
check folded_alloc_churn grep -q ';churn' "$T/fal.txt"

# ---- csv ----
"$PP" export --format csv "$d" >"$T/x.csv" 2>"$T/x.err"; rc=$?
check csv_exit_0 test $rc -eq 0
check csv_header grep -q '^pid,ppid,exe,exec_gen,window,start_s,end_s,duration_s,cpu_util,' "$T/x.csv"
cols=$(awk -F, '{print NF}' "$T/x.csv" | sort -u | wc -l)
check csv_consistent_columns test "$cols" -eq 1
# one row per window: each process's duration (info, ns) over the 10 ms interval, rounded up
for p in "$parent" "$child"; do
    ns=$(awk -v p="$p" '/^process / { on = ($2 == p) } on && /^  duration:/' "$T/info" | sed 's/.*(ns=\([0-9]*\).*/\1/')
    want=$(( (ns + 9999999) / 10000000 ))
    got=$(awk -F, -v p="$p" 'NR > 1 && $1 == p' "$T/x.csv" | wc -l)
    idx=$(awk -F, -v p="$p" 'NR > 1 && $1 == p { if ($5 != n) bad = 1; n++ } END { print bad ? "gap" : "ok" }' "$T/x.csv")
    if [ "$got" -eq "$want" ] && [ "$idx" = ok ]; then pass "csv_rows_per_window_$([ "$p" = "$parent" ] && echo parent || echo child)"
    else fail "csv_rows_per_window_$p" "$got rows ($idx), want $want for ${ns} ns"; fi
done

# ---- --pid ----
"$PP" export --format chrome --pid "$child" "$d" >"$T/cp.json"
check pid_chrome python3 -c "import json,sys; d=json.load(open('$T/cp.json')); sys.exit({e['pid'] for e in d['traceEvents']} != {$child})"
sum=$("$PP" export --format folded --pid "$child" "$d" | awk '{s += $NF} END {print s + 0}')
if [ "$sum" -eq "$cpu_child" ]; then pass pid_folded_sum; else fail pid_folded_sum "$sum, want $cpu_child"; fi
check pid_csv bash -c "'$PP' export --format csv --pid $child '$d' | awk -F, -v p=$child 'NR > 1 && \$1 != p { exit 1 } END { exit NR < 2 }'"

# ---- --from / --to (seconds since the root started) ----
"$PP" export --format chrome --from 0.1 --to 0.2 "$d" >"$T/cr.json"
check range_chrome python3 - "$T/cr.json" "$T/c.json" <<'EOF'
import json, sys
r = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] != "M"]
a = [e for e in json.load(open(sys.argv[2]))["traceEvents"] if e["ph"] != "M"]
# slices overlap the range; a counter value is stamped at the start of its 10 ms window
ok = r and len(r) < len(a) and all(e["ts"] <= 200000 and e["ts"] + e.get("dur", 0) >= 100000 - (10000 if e["ph"] == "C" else 0)
                                   for e in r)
sys.exit(0 if ok else 1)
EOF
"$PP" export --format csv --from 0.1 --to 0.2 "$d" >"$T/xr.csv"
check range_csv awk -F, 'NR > 1 { n++; if ($7 < 0.1 - 1e-9 || $6 > 0.2 + 1e-9) exit 1 } END { exit !(n > 0 && n < 40) }' "$T/xr.csv"
sum=$("$PP" export --format folded --from 0.1 --to 0.2 "$d" | awk '{s += $NF} END {print s + 0}')
check range_folded test "$sum" -lt "$cpu_total"

# ---- output file, help, usage errors ----
"$PP" export --format csv -o "$T/o.csv" "$d" >"$T/stdout"; rc=$?
check output_file bash -c "test $rc -eq 0 && test -s '$T/o.csv' && ! test -s '$T/stdout' && cmp -s '$T/o.csv' '$T/x.csv'"
check help_exit_0 bash -c "'$PP' export --help | grep -q 'usage: phaseprof export'"
"$PP" export --format xml "$d" >/dev/null 2>"$T/err"; rc=$?
check bad_format_exit_2 bash -c "test $rc -eq 2 && grep -q 'usage:' '$T/err'"
"$PP" export "$d" >/dev/null 2>"$T/err"; rc=$?
check missing_format_exit_2 test $rc -eq 2
"$PP" export --format chrome --weight io "$d" >/dev/null 2>&1; rc=$?
check weight_needs_folded test $rc -eq 2
"$PP" export --format csv --pid 1 "$d" >/dev/null 2>"$T/err"; rc=$?
check unknown_pid bash -c "test $rc -eq 1 && grep -q 'no process with pid 1' '$T/err'"

# ---- bad input: clear message naming the file, non-zero exit ----
mkdir -p "$T/empty"
"$PP" export --format chrome "$T/empty" >/dev/null 2>"$T/err"; rc=$?
check empty_dir bash -c "test $rc -ne 0 && grep -q 'empty: no trace files' '$T/err'"
head -c 4096 /dev/urandom >"$T/garbage.pptrace"
"$PP" export --format folded "$T/garbage.pptrace" >/dev/null 2>"$T/err"; rc=$?
check garbage_file bash -c "test $rc -ne 0 && grep -q 'garbage.pptrace: offset 0: bad magic' '$T/err'"
"$PP" export --format csv "$T/missing" >/dev/null 2>"$T/err"; rc=$?
check missing_path bash -c "test $rc -ne 0 && grep -q 'missing: No such file' '$T/err'"
# a trace cut mid-chunk still exports, as valid JSON
f=$(ls "$d"/*.pptrace | head -1)
head -c $(( $(stat -c %s "$f") * 2 / 3 )) "$f" >"$T/cut.pptrace"
"$PP" export --format chrome "$T/cut.pptrace" >"$T/cut.json" 2>/dev/null; rc=$?
check truncated_exports bash -c "test $rc -eq 0 && python3 -c 'import json; json.load(open(\"$T/cut.json\"))'"
