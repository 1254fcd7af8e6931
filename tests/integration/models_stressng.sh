#!/usr/bin/env bash
# The shipped classifier on programs nobody here wrote and it never saw: three stress-ng
# stressors whose bottleneck is not in doubt (integer compute, disk writes, semaphore waits) must
# be classified cpu, io and wait (tests/workloads/stressng_eval.py; the full set of 17 and its
# scores are in models/README.md).
source "$(dirname "$0")/../lib.sh"
command -v stress-ng >/dev/null || { fail stressng_prereq "stress-ng not installed (.ci/deps.sh)"; exit 0; }
python3 "$ROOT/tests/workloads/stressng_eval.py" --build "$B" --models "$ROOT/models" --seconds 1.5 \
    --only cpu,hdd,sem >"$T/out" 2>"$T/err"
for s in cpu hdd sem; do
    line=$(grep "^$s " "$T/out")
    read -r _ want got _ <<<"$line"
    if [ -n "$line" ] && [ "$want" = "$got" ]; then pass "stressng.$s.$want"
    else fail "stressng.$s" "expected ${want:-?}, got '${got:-none}': $(cat "$T/err" | tail -3)"; fi
done
