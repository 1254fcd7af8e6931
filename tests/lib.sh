# Sourced by tests/integration/*.sh.  Gives pass/fail/check helpers and a scratch directory.
set -u
B=${B:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$(cd "$ROOT" && cd "$B" && pwd)
PP="$B/phaseprof"
LIB="$B/libphaseprof.so"
PROGS="$B/progs"
T=$(mktemp -d "${TMPDIR:-/tmp}/ppit.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; }
# check NAME COMMAND...: PASS if the command succeeds.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "command failed: $*"; fi; }
# same_run NAME DIR CMD...: runs CMD plain and under the preload (PHASEPROF_OUTPUT=DIR) in the
# current directory; PASS when stdout, stderr and exit status are byte-identical.
same_run() {
    local n=$1 dir=$2; shift 2
    "$@" >"$T/plain.out" 2>"$T/plain.err" </dev/null; local rc1=$?
    LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$dir" "$@" >"$T/pp.out" 2>"$T/pp.err" </dev/null; local rc2=$?
    if [ $rc1 -ne $rc2 ]; then fail "$n" "exit status $rc1 plain, $rc2 traced"; return 1; fi
    if ! cmp -s "$T/plain.out" "$T/pp.out"; then fail "$n" "stdout differs"; diff "$T/plain.out" "$T/pp.out" | head -5; return 1; fi
    if ! cmp -s "$T/plain.err" "$T/pp.err"; then fail "$n" "stderr differs"; diff "$T/plain.err" "$T/pp.err" | head -5; return 1; fi
    pass "$n"
}
# same_run_limited NAME DIR CMD...: same_run with a limit (LIMIT seconds, default 60) enforced
# outside the traced process: a hang is a failure, not a stuck suite.
same_run_limited() {
    local n=$1 dir=$2 lim=${LIMIT:-60}; shift 2
    timeout -s KILL "$lim" "$@" >"$T/plain.out" 2>"$T/plain.err" </dev/null; local rc1=$?
    timeout -s KILL "$lim" env LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$dir" "$@" >"$T/pp.out" 2>"$T/pp.err" </dev/null; local rc2=$?
    if [ $rc1 -ne $rc2 ]; then fail "$n" "exit status $rc1 plain, $rc2 traced (137: killed after $lim s)"; return 1; fi
    if ! cmp -s "$T/plain.out" "$T/pp.out"; then fail "$n" "stdout differs: $(diff "$T/plain.out" "$T/pp.out" | head -4 | tr '\n' ';')"; return 1; fi
    if ! cmp -s "$T/plain.err" "$T/pp.err"; then fail "$n" "stderr differs: $(head -c 200 "$T/pp.err")"; return 1; fi
    pass "$n"
}
