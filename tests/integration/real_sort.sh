#!/usr/bin/env bash
# Real program: sort on 10 MB of deterministic pseudo-random lines (sort uses threads).
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib sort
cd "$T" || exit 1

python3 - "$T/input.txt" <<'PYEOF'
import random, sys
r = random.Random(20240601)
with open(sys.argv[1], "w") as f:
    n = 0
    while n < 10_000_000:
        line = "%08x %s\n" % (r.getrandbits(32), "abcdefghijklmnopqrstuvwxyz"[: r.randrange(1, 26)])
        f.write(line)
        n += len(line)
PYEOF
d="$T/sort"
export LC_ALL=C
same_run sort.same_output "$d" sort -S 64M "$T/input.txt"
trace_check sort.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 --root-exe sort
# sort installs its own handler for SIGPROF (to remove temporary files): the signal is shared,
# so its CPU is still sampled (it used to go unsampled).
trace_check sort.cpu_sampled "$d" --min-kind CPU_SAMPLE=20
info_check sort.info "$d" sort
