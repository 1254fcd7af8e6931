#!/usr/bin/env bash
# The speedup regressor's data and model (issue 5, item 5): every paired fix workload's slow and
# fixed variants give the same result; pairs_suite.py --quick writes well-formed rows for two
# pairs; retraining on the shipped models/speedup_data.csv gives the shipped model byte for byte,
# and that model keeps the contract the report relies on (task regress, target remaining_frac:
# the fraction of the cost the fix leaves; features = window features + cost_kind).
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
    while read -r kind cost n _; do
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
ok(all(-1.0 <= float(r["remaining_frac"]) <= 1.0 for r in rows), "quick_remaining_frac_in_range")
# the target is what the row's own columns give: r = (C - (W_slow - W_fixed)) / C, within [-1, 1]
ok(all(abs(float(r["remaining_frac"]) - min(1, max(-1, (float(r["c_s"]) - float(r["w_slow_s"]) + float(r["w_fixed_s"])) / float(r["c_s"])))) < 1e-3
       for r in rows if float(r["c_s"]) > 0), "quick_remaining_frac_from_columns")
ok(all(float(r["speedup"]) > 0 and abs(float(r["speedup"]) - float(r["w_slow_s"]) / float(r["w_fixed_s"])) < 0.01 * float(r["speedup"]) for r in rows), "quick_speedup_is_wall_ratio")
ok(all(0 <= float(r["c_s"]) <= float(r["w_slow_s"]) * 1.0001 for r in rows), "quick_cost_within_run")
wb = [r for r in rows if r["pair"] == "write_buf:0"]
# 250000 unbuffered 16-byte writes: the trace sees them (at most a few % of other calls)
ok(bool(wb) and float(wb[0]["io_size_mean"]) < 20 and float(wb[0]["io_frac"]) > 0.2, "quick_write_buf_features")
EOF
cat "$T/q.check"

# ---- the shipped model is what the shipped data trains to
if [ -f models/speedup_data.csv ] && [ -f models/speedup_regressor.json ]; then
    "$PP" train --task regress --data models/speedup_data.csv --label remaining_frac \
        --ignore fix_kind,pair,cost,speedup,w_slow_s,w_fixed_s,w_traced_s,c_traced_s,c_s \
        --partition cost_kind --out "$T/m.json" --seed 1 -q >"$T/train.log" 2>&1
    check model_retrains_identical cmp -s "$T/m.json" models/speedup_regressor.json
    # the shipped CSV's target is what --rederive makes of its own columns (never edited by hand)
    cp models/speedup_data.csv "$T/rederived.csv"
    python3 tests/workloads/pairs_suite.py --rederive --out "$T/rederived.csv" >/dev/null 2>&1
    # (a fresh recording lacks the "# target ... re-derived" note that --rederive adds)
    check data_target_rederives_identical cmp -s <(grep -v '^# target ' "$T/rederived.csv") \
        <(grep -v '^# target ' models/speedup_data.csv)
    python3 - models/speedup_regressor.json "$T/q.csv" <<'EOF'
import csv, json, sys
m = json.load(open(sys.argv[1]))
hdr = next(csv.reader(l for l in open(sys.argv[2]) if not l.startswith("#")))
window = set(hdr[hdr.index("cost_kind") + 1:])
ok = lambda c, why: print(("PASS " if c else "FAIL ") + why)
ok(m.get("task") == "regress" and m.get("target") == "remaining_frac", "model_task_and_target")
ok("cost_kind" in m["features"] and all(f in window for f in m["features"] if f != "cost_kind"), "model_features_contract")
EOF
else
    fail model_retrains_identical "models/speedup_data.csv or models/speedup_regressor.json missing (make models)"
fi

# ---- the report with the shipped regressor (target remaining_frac: r, the fraction of the cost
# the fix leaves): predicted = W / (W - C + r C), C the part of the cost the named fix works on
# (fix_wall_s), fix_factor = 1 / r, and low <= predicted <= high <= the upper bound.
#  - write_buf (16-byte unbuffered writes, like the model's own write_buf rows, r well below 1/2,
#    0 with this model: a report reading r as a fix factor would say f = 1, no speedup): C is all
#    of the I/O time;
#  - open_keep (open, write, close per line): the advice is to keep the file open, which works on
#    the opens and closes only, so C is the metadata part of the I/O time.
report_io() {   # NAME KIND: record the slow variant of KIND, report it, check it
    local name=$1 kind=$2
    if "$PP" record -o "$T/$kind" -- "$W/pair_io" --kind "$kind" --variant slow --setting 0 --scale 0.1 --dir "$T" >/dev/null 2>"$T/rec.err" &&
       "$PP" report "$T/$kind" --models models --json "$T/$kind.json" >/dev/null 2>"$T/rep.err"; then
        python3 - "$T/$kind.json" "$kind" <<'EOF' && pass "$name" || fail "$name" "$(cat "$T/rep.err")"
import json, sys
r = json.load(open(sys.argv[1]))
W = r["summary"]["wall_ns"] / 1e9
root = r["summary"]["root_pid"]
assert r["summary"]["models"]["regressor"].endswith("speedup_regressor.json"), r["summary"]["models"]
p = max((p for p in r["phases"] if p["pid"] == root), key=lambda p: p["costs"]["io"]["wall_s"] or 0)
s, c, m = p["speedup"]["io"], p["costs"]["io"], p["metrics"]
C, f = c["fix_wall_s"], c["fix_factor"]
if sys.argv[2] == "write_buf":
    # r at most 1/2 (f null: r = 0, the cost removed); read as a fix factor, r would give f = 1
    assert 0.9 * c["wall_s"] <= C <= c["wall_s"] and C > 0 and (f is None or f > 2), c
else:
    share = m["io_meta_frac"] / (m["io_read_frac"] + m["io_write_frac"] + m["io_meta_frac"] + m["io_sync_frac"])
    assert share > 0.5 and abs(C - c["wall_s"] * share) < 1e-6 * c["wall_s"], (c, share)
    rec = [a for a in p["recommendations"] if a["cost"] == "io"]
    assert rec and "keep files open" in rec[0]["advice"], rec
want = W / (W - C + (C / f if f else 0))
assert abs(s["predicted"] - want) < 1e-6 * want, (s, want)
assert 1 <= s["low"] <= s["predicted"] <= s["high"] <= s["upper_bound"] * (1 + 1e-9), s
EOF
    else
        fail "$name" "record or report failed: $(tail -3 "$T/rec.err" "$T/rep.err")"
    fi
}
report_io report_uses_remaining_frac write_buf
report_io report_io_fix_part open_keep
