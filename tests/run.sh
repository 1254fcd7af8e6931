#!/usr/bin/env bash
# Runs every test and prints one closing line "N passed, N failed".
# Unit binaries (build/tests/*) and integration scripts (tests/integration/*.sh) print one line per
# check: "PASS name" or "FAIL name: why".  Anything else they print is shown as is.
# TESTS=pattern runs only the matching files.
set -u
B=${B:-build}
export B
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log=$(mktemp -d "${TMPDIR:-/tmp}/pptest.XXXXXX")
pass=0; fail=0
run_one() {  # name, command...
    local name=$1; shift
    local out="$log/$(echo "$name" | tr '/ ' '__').out"
    local t0=$SECONDS
    "$@" >"$out" 2>&1
    local rc=$?
    local p f
    p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited $rc with no FAIL line" >>"$out"; f=1
    fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: ran no check" >>"$out"; f=1
    fi
    pass=$((pass + p)); fail=$((fail + f))
    printf '%-40s %3d passed %3d failed  %3ds\n' "$name" "$p" "$f" $((SECONDS - t0))
    if [ "$f" -ne 0 ]; then grep -v '^PASS ' "$out" | tail -n 40 | sed 's/^/    /'; fi
}
for t in "$B"/tests/*; do
    [ -x "$t" ] || continue
    case "$(basename "$t")" in ${TESTS:-*}) ;; *) continue ;; esac
    run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    case "$(basename "$t" .sh)" in ${TESTS:-*}) ;; *) continue ;; esac
    run_one "integration/$(basename "$t" .sh)" bash "$t"
done
rm -rf "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
