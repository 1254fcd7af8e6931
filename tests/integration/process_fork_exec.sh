#!/usr/bin/env bash
# Pitfalls 8, 10: fork then exec, including exec with an empty environment; the exclude list.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fork_exec
cd "$T" || exit 1

d="$T/fe"
same_run fork_exec.same_output "$d" "$PROGS/fork_exec"
# parent + two forked children; each child image is replaced by exec and starts a new trace:
# /bin/true, and fork_exec again with no environment at all (argv "empty-env-child").
trace_check fork_exec.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree --unique \
    --root-exe fork_exec --pids 3 --exe true --argv-has empty-env-child --only-exe fork_exec \
    --only-exe true --min-kind FORK=2 --min-kind EXEC=2
info_check fork_exec.info "$d" fork_exec true

# PHASEPROF_EXCLUDE: the excluded program runs, untraced; the rest still is.
d="$T/fe_excl"
export PHASEPROF_EXCLUDE=true
same_run fork_exec.exclude_same_output "$d" "$PROGS/fork_exec"
trace_check fork_exec.exclude_traces "$d" --complete --only-exe fork_exec --argv-has empty-env-child
unset PHASEPROF_EXCLUDE
