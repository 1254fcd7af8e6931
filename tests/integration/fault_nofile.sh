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
