#!/usr/bin/env bash
# Per-thread state: 8 named threads that allocate; each gets a start, an end and its name, and
# every allocation is counted once.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib threads
cd "$T" || exit 1

d="$T/th"
same_run threads.same_output "$d" "$PROGS/threads" 8
# 8 workers x 200000 malloc each (the program's own few mallocs come on top).
trace_check threads.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 \
    --root-exe threads --min-kind THREAD_START=8 --min-kind THREAD_END=8 \
    --min-kind THREAD_NAME=8 --sum 'SAMPLE.alloc_calls>=1600000' --sum 'SAMPLE.free_calls>=1600000' \
    --sum 'SAMPLE.alloc_calls<=1700000'
info_check threads.info "$d" threads

# Many short-lived threads: more than a small thread table, none may be lost silently.
d="$T/th64"
same_run threads.many_same_output "$d" "$PROGS/threads" 64
trace_check threads.many_traces "$d" --complete --traces 1 --min-kind THREAD_END=64 \
    --no-foot-flag THREADS_FULL

# Pitfall 24: the trace grows with time and threads, not with calls: 3.2 million calls (8 threads
# x 200,000 malloc + free) must not make a per-call-sized trace (that would be > 3 MB).
size=$(cat "$T/th"/*.pptrace 2>/dev/null | wc -c)
if [ "$size" -gt 0 ] && [ "$size" -lt 524288 ]; then pass threads.trace_compact
else fail threads.trace_compact "trace of 3.2 M calls is $size bytes (bound 512 KiB)"; fi
