#!/usr/bin/env bash
# Pitfall 9: vfork children share the parent's memory; only the exec'd images get traces.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib vfork
cd "$T" || exit 1

d="$T/vf"
same_run vfork.same_output "$d" "$PROGS/vfork_exec"
# 20 rounds: one /bin/true each (traced), a failed exec and a bare _exit (never traced).
trace_check vfork.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree --unique \
    --root-exe vfork_exec --traces 21 --only-exe vfork_exec --only-exe true
info_check vfork.info "$d" vfork_exec
