#!/usr/bin/env bash
# One timed allocation call in 64 stands for the other 63: a thread preempted inside a timed
# call must not turn a timeslice into 64 timeslices of allocator time.  alloc_pairs shares one
# CPU with a busy loop (preempted every few ms); the allocator time the trace estimates
# (timed_ns x calls / timed) must stay below the process's CPU time.  Uncapped, it was 2.2x.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib preempt
cd "$T" || exit 1
command -v taskset >/dev/null || { fail preempt.taskset "taskset not installed (util-linux)"; exit 1; }
taskset -c 0 sh -c 'while :; do :; done' &
hog=$!
d="$T/pre"
taskset -c 0 env LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" "$PROGS/alloc_pairs" 20000000 >/dev/null
kill "$hog"; wait "$hog" 2>/dev/null
out=$("$PP" info "$d" 2>&1)
cpu=$(printf '%s\n' "$out" | sed -n 's/^  cpu: ns=\([0-9]*\).*/\1/p' | head -1)
est=$(printf '%s\n' "$out" | sed -n 's/.*alloc: calls=\([0-9]*\) frees=\([0-9]*\) .* timed=\([0-9]*\) timed_ns=\([0-9]*\).*/\1 \2 \3 \4/p' | head -1 |
      awk '{ if ($3 > 0) printf "%.0f", $4 * ($1 + $2) / $3; else print -1 }')
if [ -n "$cpu" ] && [ -n "$est" ] && [ "$est" -ge 0 ] && awk -v e="$est" -v c="$cpu" 'BEGIN { exit !(e <= c) }'; then
    pass preempt.alloc_time_within_cpu
else
    fail preempt.alloc_time_within_cpu "allocator time estimate ${est:-?} ns, process CPU ${cpu:-?} ns"
fi
