#!/usr/bin/env bash
# Pitfalls 8, 15: fork while other threads allocate.  No child may deadlock (each has a 20 s
# alarm) or lose its trace; three runs to give a race a chance to show.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fork_threads
cd "$T" || exit 1

for i in 1 2 3; do
    d="$T/ft$i"
    same_run "fork_threads.$i.same_output" "$d" "$PROGS/fork_threads"
    trace_check "fork_threads.$i.traces" "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree \
        --unique --root-exe fork_threads --traces 21 --pids 21 --min-kind FORK=20
done
