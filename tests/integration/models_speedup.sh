#!/usr/bin/env bash
# The speedup regressor's data and model (issue 5, item 5): every paired fix workload's slow and
# fixed variants give the same result; pairs_suite.py --quick writes well-formed rows for two
# pairs; retraining on the shipped models/speedup_data.csv gives the shipped model byte for byte,
# and that model keeps the contract the report relies on (task regress, target fix_factor,
# features = window features + cost_kind).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1
W="$B/workloads"
for p in pair_io pair_alloc pair_wait pair_cpu; do
    [ -x "$W/$p" ] || { fail models_speedup "no $W/$p (make progs)"; exit 0; }
done
[ -x "$PP" ] || { fail models_speedup "no $PP"; exit 0; }

# ---- both variants of every kind do the same work: same checksum, small scale
bad=""
for p in pair_io pair_alloc pair_wait pair_cpu; do
    while read -r kind cost n; do
        for s in $(seq 0 $((n - 1))); do
            a=$("$W/$p" --kind "$kind" --variant slow --setting "$s" --scale 0.02 --dir "$T" | tail -1 | cut -d' ' -f3)
            b=$("$W/$p" --kind "$kind" --variant fixed --setting "$s" --scale 0.02 --dir "$T" | tail -1 | cut -d' ' -f3)
            [ -n "$a" ] && [ "$a" = "$b" ] || bad="$bad $kind:$s($a/$b)"
        done
    done < <("$W/$p" --list)
done
if [ -z "$bad" ]; then pass pairs_same_result; else fail pairs_same_result "slow and fixed differ:$bad"; fi
check pairs_bad_option_exit_2 bash -c '"$0" --kind nope --variant slow --setting 0 2>/dev/null; [ $? -eq 2 ]' "$W/pair_io"
check pairs_no_files_left bash -c '[ -z "$(ls "$0" | grep "^pair_")" ]' "$T"

# ---- the suite on two pairs
python3 tests/workloads/pairs_suite.py --build "$B" --quick --out "$T/q.csv" --work "$T/work" >"$T/q.log" 2>&1
rc=$?
check suite_quick_exit_0 test $rc -eq 0
[ $rc -eq 0 ] || tail -5 "$T/q.log"
python3 - "$T/q.csv" >"$T/q.check" 2>&1 <<'EOF'
import csv, sys
rows = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))
ok = lambda c, why: print(("PASS " if c else "FAIL ") + why)
ok(len(rows) == 2 and sorted(r["pair"] for r in rows) == ["pool:1", "write_buf:0"], "quick_two_pairs")
ok(all(r["group"] == r["fix_kind"] and r["counter_set"] for r in rows), "quick_group_is_fix_kind")
ok(sorted(r["cost_kind"] for r in rows) == ["1", "2"], "quick_cost_kind_io_alloc")
ok(all(1.0 <= float(r["fix_factor"]) <= 30.0 for r in rows), "quick_fix_factor_in_range")
ok(all(float(r["speedup"]) > 0 and abs(float(r["speedup"]) - float(r["w_slow_s"]) / float(r["w_fixed_s"])) < 0.01 * float(r["speedup"]) for r in rows), "quick_speedup_is_wall_ratio")
ok(all(0 <= float(r["c_s"]) <= float(r["w_slow_s"]) * 1.0001 for r in rows), "quick_cost_within_run")
wb = [r for r in rows if r["pair"] == "write_buf:0"]
# 250000 unbuffered 16-byte writes: the trace sees them (at most a few % of other calls)
ok(bool(wb) and float(wb[0]["io_size_mean"]) < 20 and float(wb[0]["io_frac"]) > 0.2, "quick_write_buf_features")
EOF
cat "$T/q.check"

# ---- the shipped model is what the shipped data trains to
if [ -f models/speedup_data.csv ] && [ -f models/speedup_regressor.json ]; then
    "$PP" train --task regress --data models/speedup_data.csv --label fix_factor \
        --ignore fix_kind,pair,cost,speedup,w_slow_s,w_fixed_s,w_traced_s,c_traced_s,c_s \
        --out "$T/m.json" --seed 1 -q >"$T/train.log" 2>&1
    check model_retrains_identical cmp -s "$T/m.json" models/speedup_regressor.json
    python3 - models/speedup_regressor.json "$T/q.csv" <<'EOF'
import csv, json, sys
m = json.load(open(sys.argv[1]))
hdr = next(csv.reader(l for l in open(sys.argv[2]) if not l.startswith("#")))
window = set(hdr[hdr.index("cost_kind") + 1:])
ok = lambda c, why: print(("PASS " if c else "FAIL ") + why)
ok(m.get("task") == "regress" and m.get("target") == "fix_factor", "model_task_and_target")
ok("cost_kind" in m["features"] and all(f in window for f in m["features"] if f != "cost_kind"), "model_features_contract")
EOF
else
    fail model_retrains_identical "models/speedup_data.csv or models/speedup_regressor.json missing (make models)"
fi
