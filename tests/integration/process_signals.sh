#!/usr/bin/env bash
# A program that blocks every signal is traced all the same, and its mask is left alone.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib blocks_signals
cd "$T" || exit 1

d="$T/bs"
same_run blocks_signals.same_output "$d" "$PROGS/blocks_signals"
if grep -q 'mask intact main=1 thread=1, pending signals 0$' "$T/pp.out"; then pass blocks_signals.mask_untouched
else fail blocks_signals.mask_untouched "$(cat "$T/pp.out")"; fi
# ~200 ms of CPU on each of two threads at the default 10 ms interval: samples from both.
trace_check blocks_signals.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 \
    --min-kind SAMPLE=20 --min-kind THREAD_START=1 --sum 'SAMPLE.alloc_calls>=100000'
