#!/usr/bin/env bash
# A program with its own allocator linked in (malloc and friends defined in the executable):
# libc, libunwind and the program all allocate from it, the preload's allocation hooks never
# run.  Same output and status; the preload never hands memory from one allocator to the other
# (the program's free checks a header and aborts on a foreign pointer); the trace is complete.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fault_own_malloc
cd "$T" || exit 1

d="$T/om"
same_run_limited own_malloc.same_output "$d" "$PROGS/fault_own_malloc" 4
if grep -q 'own allocator used: yes' "$T/pp.out"; then pass own_malloc.own_allocator_used
else fail own_malloc.own_allocator_used "$(cat "$T/pp.out" "$T/pp.err")"; fi
# Threads are still seen; the allocations are not (they never reach libc's malloc, by design:
# intercept, never replace).
trace_check own_malloc.trace "$d" --run-id "$PHASEPROF_RUN_ID" --traces 1 --complete \
    --min-kind THREAD_START=5 --sum 'SAMPLE.alloc_calls<=1000'
# Sampling every 1 ms: stacks are unwound (libunwind allocates from the program's allocator).
d="$T/om1"
export PHASEPROF_INTERVAL_MS=1 PHASEPROF_ALLOC_SAMPLE_KB=1
same_run_limited own_malloc.sampled_same_output "$d" "$PROGS/fault_own_malloc" 8
unset PHASEPROF_INTERVAL_MS PHASEPROF_ALLOC_SAMPLE_KB
trace_check own_malloc.sampled_trace "$d" --traces 1 --complete
