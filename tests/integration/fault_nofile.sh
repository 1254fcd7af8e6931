#!/usr/bin/env bash
# RLIMIT_NOFILE set low.  The program counts how many descriptors it can open before EMFILE,
# lowers its own limit to 8 and counts again, then writes and reads a file: the counts must be
# the same as without the preload, so the preload's descriptors may not take a slot below the
# program's soft limit.  Only the soft limit is lowered (ulimit -Sn), as a program or a shell
# usually does; under a hard limit this low there is no free number above it to move to.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fault_nofile
cd "$T" || exit 1
# same_run with a 60 s limit outside the traced process: a hang is a failure, not a stuck suite.
same_run_limited() {
    local n=$1 dir=$2; shift 2
    timeout -s KILL 60 "$@" >"$T/plain.out" 2>"$T/plain.err" </dev/null; local rc1=$?
    timeout -s KILL 60 env LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$dir" "$@" >"$T/pp.out" 2>"$T/pp.err" </dev/null; local rc2=$?
    if [ $rc1 -ne $rc2 ]; then fail "$n" "exit status $rc1 plain, $rc2 traced (137: killed after 60 s)"; return 1; fi
    if ! cmp -s "$T/plain.out" "$T/pp.out"; then fail "$n" "stdout differs: $(diff "$T/plain.out" "$T/pp.out" | head -4 | tr '\n' ';')"; return 1; fi
    if ! cmp -s "$T/plain.err" "$T/pp.err"; then fail "$n" "stderr differs: $(head -c 200 "$T/pp.err")"; return 1; fi
    pass "$n"
}

for lim in 16 32; do
    d="$T/nf$lim"
    mkdir -p "$T/own$lim"
    # the limit is set in a subshell around both runs
    ( ulimit -Sn "$lim" && same_run_limited nofile.soft_$lim.same_output "$d" "$PROGS/fault_nofile" "$T/own$lim" )
    trace_check nofile.soft_$lim.trace "$d" --traces 1 --complete --no-foot-flag FD_LOST
done
# A limit below what the preload needs for itself (trace file and libunwind's pipe, at 3, 4, 5):
# tracing may lose a slot or stop, but the program still runs to its end.
d="$T/nf5"
mkdir -p "$T/own5"
out=$( (ulimit -n 5; timeout -s KILL 60 env LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" "$PROGS/fault_nofile" "$T/own5") 2>&1 ); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q 'read back sum 1999000'; then pass nofile.hard_5_runs
else fail nofile.hard_5_runs "rc=$rc: $(printf '%s' "$out" | tail -n 3 | tr '\n' ';')"; fi
