#!/usr/bin/env bash
# Phase detection against ground truth: records short seeded schedules (tests/workloads/schedule)
# under the preload, detects phases (tests/workloads/detect) and scores them
# (tests/workloads/score.py): boundary F1 within 50 ms and covering on a mixed schedule, F1 on a
# compute <-> pointer-chasing schedule (only the code-location signature tells those apart with
# software counters), and no more than one false boundary on a steady run.  About 17 s of
# recording.  Thresholds sit below what docs/phases.md reports so that a slow or busy CI machine
# passes, yet a broken detector (or a broken signature) fails.
. "$(dirname "$0")/../lib.sh"
W="$B/workloads"
SCORE="$ROOT/tests/workloads/score.py"
for f in "$W/schedule" "$W/detect" "$LIB"; do
    [ -e "$f" ] || { fail phases_schedule_prereq "$f not built"; exit 1; }
done

# record NAME ARGS...: one traced schedule in $T/NAME, detected segments in $T/NAME/det.jsonl
record() {
    local n=$1; shift
    mkdir -p "$T/$n"
    LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$T/$n" "$W/schedule" -d "$T" -o "$T/$n/truth.txt" "$@" </dev/null
    "$W/detect" "$T/$n" >"$T/$n/det.jsonl"
}

record mix -s 3 -t 7
record chase -s 4 -t 5 -k cpu_int,mem_chase
record steady -S io_small_write -t 5

if python3 "$SCORE" --min-f1 0.8 --min-cover 0.85 "$T/mix/truth.txt:$T/mix/det.jsonl" >"$T/mix.score"; then
    pass phases_mixed_schedule
else
    fail phases_mixed_schedule "$(tail -2 "$T/mix.score" | tr '\n' ' ')"
fi
if python3 "$SCORE" --min-f1 0.8 "$T/chase/truth.txt:$T/chase/det.jsonl" >"$T/chase.score"; then
    pass phases_compute_vs_pointer_chasing
else
    fail phases_compute_vs_pointer_chasing "$(tail -2 "$T/chase.score" | tr '\n' ' ')"
fi
if python3 "$SCORE" --max-false 1 "$T/steady/truth.txt:$T/steady/det.jsonl" >"$T/steady.score"; then
    pass phases_steady_run
else
    fail phases_steady_run "$(tail -2 "$T/steady.score" | tr '\n' ' ')"
fi
# The report-schema dump names the same segments, relative to the root's start.
"$W/detect" --json "$T/mix" >"$T/mix.json"
if python3 "$SCORE" --min-f1 0.8 "$T/mix/truth.txt:$T/mix.json" >/dev/null &&
   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["phases"][0]; sys.exit(not (d["schema"]=="phaseprof-report/1" and p["start_ns"]==0 and p["class"] is None and "cpu_util" in p["metrics"]))' "$T/mix.json"; then
    pass phases_json_dump
else
    fail phases_json_dump "schema or times wrong in $(head -c 300 "$T/mix.json")"
fi
