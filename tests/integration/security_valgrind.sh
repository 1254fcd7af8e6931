#!/usr/bin/env bash
# The analyzer under valgrind memcheck on a small real trace (a shell pipeline of three
# processes, one of them allocating hard): info, dump, report (text, --top, --json, --html) and every
# export format.  No memcheck error and no definitely lost block; "possibly lost" and "still
# reachable" are libdw's caches and the symbol cache, which live as long as the process.
# Each command gets 10 minutes: valgrind is ~30x slower, and a loaded machine slower still.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib security_valgrind
cd "$T" || exit 1
if ! command -v valgrind >/dev/null; then fail valgrind.installed "valgrind not found (.ci/deps.sh installs it)"; exit 1; fi

d="$T/tr"
"$PP" record -o "$d" -- sh -c "'$PROGS/fault_rate' 0.3 0 | cat >/dev/null; echo done" >"$T/rec.out" 2>&1 ||
    { fail valgrind.record "$(tail -n 3 "$T/rec.out")"; exit 1; }
big=$(ls -S "$d"/*.pptrace | head -n 1)
# Built with ASAN=1, the analyzer cannot run under valgrind: the same commands run bare, and
# AddressSanitizer (with LeakSanitizer) is the checker.
asan=0; grep -q __asan_init "$PP" && asan=1
vg() {  # NAME ARGS...
    local n=$1; shift
    if [ $asan -eq 1 ]; then
        if "$PP" "$@" >"$T/as.$n.out" 2>"$T/as.$n.err"; then pass "asan.$n"
        else fail "asan.$n" "$(grep -m3 -E 'ERROR|SUMMARY' "$T/as.$n.err" | tr '\n' ';')"; fi
        return
    fi
    timeout -s KILL 600 valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite --error-exitcode=99 --log-file="$T/vg.$n.log" \
        "$PP" "$@" >"$T/vg.$n.out" 2>"$T/vg.$n.err"
    local rc=$?
    local summary; summary=$(grep -m1 'ERROR SUMMARY' "$T/vg.$n.log")
    if [ $rc -eq 0 ] && printf '%s' "$summary" | grep -q 'ERROR SUMMARY: 0 errors'; then pass "valgrind.$n"
    else
        fail "valgrind.$n" "rc=$rc (99: memcheck errors, 137: timed out) $summary"
        grep -A12 -m3 -E 'Invalid|uninitialised|definitely lost|Mismatched' "$T/vg.$n.log" | head -n 40 | sed 's/^/    /'
    fi
}
vg info info "$d"
vg dump dump "$big"
vg report report "$d"
vg report_top report "$d" --top
vg report_json report "$d" --json "$T/r.json"
vg report_html report "$d" --html "$T/r.html"
vg export_chrome export --format chrome -o "$T/c.json" "$d"
vg export_folded export --format folded --weight cpu "$d"
vg export_csv export --format csv "$d"
