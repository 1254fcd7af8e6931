#!/usr/bin/env bash
# Real program: CPython runs a script that allocates (lists, dicts, strings) and writes a file.
# (Small objects come from pymalloc's arenas, so libc sees only some thousands of malloc calls.)
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib python
cd "$T" || exit 1
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3)

cat >"$T/work.py" <<'PYEOF'
import hashlib, sys
rows = [{"id": i, "name": "item-%d" % i, "vals": list(range(i % 50))} for i in range(100000)]
text = "\n".join("%d,%s,%d" % (r["id"], r["name"], sum(r["vals"])) for r in rows)
with open(sys.argv[1], "w") as f:
    for _ in range(5):
        f.write(text)
with open(sys.argv[1], "rb") as f:
    data = f.read()
print(len(rows), len(data), hashlib.sha256(data).hexdigest())
print("to stderr", file=sys.stderr)
sys.exit(4)
PYEOF
d="$T/py"
same_run python.same_output "$d" "$PY" "$T/work.py" "$T/out.csv"
trace_check python.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 \
    --root-exe 'python3*' --sum 'SAMPLE.alloc_calls>=1000' --min-kind FILE_STATS=1 --root-exit 4
info_check python.info "$d" python3
