#!/usr/bin/env bash
# Real program: xz -T2 on a 20 MB deterministic input (2 MiB blocks, so both threads work).
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib xz
cd "$T" || exit 1

seq 1 3000000 | head -c 20000000 >"$T/input.txt"
d="$T/xz"
same_run xz.same_output "$d" xz -T2 -3 --block-size=2MiB -c "$T/input.txt"
trace_check xz.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 \
    --root-exe xz --min-kind THREAD_START=2
info_check xz.info "$d" xz
