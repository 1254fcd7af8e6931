#!/usr/bin/env bash
# A program with its own allocator linked in (malloc and friends defined in the executable):
# libc, libunwind and the program all allocate from it, the preload's allocation hooks never
# run.  Same output and status; the preload never hands memory from one allocator to the other
# (the program's free checks a header and aborts on a foreign pointer); the trace is complete.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fault_own_malloc
cd "$T" || exit 1
# same_run with a 60 s limit outside the traced process: a hang is a failure, not a stuck suite.
same_run_limited() {
    local n=$1 dir=$2; shift 2
    timeout -s KILL 60 "$@" >"$T/plain.out" 2>"$T/plain.err" </dev/null; local rc1=$?
    timeout -s KILL 60 env LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$dir" "$@" >"$T/pp.out" 2>"$T/pp.err" </dev/null; local rc2=$?
    if [ $rc1 -ne $rc2 ]; then fail "$n" "exit status $rc1 plain, $rc2 traced (137: killed after 60 s)"; return 1; fi
    if ! cmp -s "$T/plain.out" "$T/pp.out"; then fail "$n" "stdout differs: $(diff "$T/plain.out" "$T/pp.out" | head -4 | tr '\n' ';')"; return 1; fi
    if ! cmp -s "$T/plain.err" "$T/pp.err"; then fail "$n" "stderr differs: $(head -c 200 "$T/pp.err")"; return 1; fi
    pass "$n"
}

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
