#!/usr/bin/env bash
# Pitfalls 9, 10: posix_spawn / posix_spawnp with a cleaned environment still trace the child.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib spawn
cd "$T" || exit 1

d="$T/sp"
same_run spawn.same_output "$d" "$PROGS/spawn"
# parent, /bin/true by posix_spawn, true by posix_spawnp, spawn "spawned-child"
trace_check spawn.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree --unique \
    --root-exe spawn --traces 4 --pids 4 --exe true --argv-has spawned-child \
    --only-exe spawn --only-exe true
info_check spawn.info "$d" spawn true
