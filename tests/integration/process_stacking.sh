#!/usr/bin/env bash
# Pitfalls 3, 14, 27: other preloaded libraries beside ours.  jemalloc before or after us in
# LD_PRELOAD (its init and its locks must not re-enter through our hooks: a hang shows as exit
# 137 from the timeout), and an AddressSanitizer program recorded by `phaseprof record`, which
# must keep ASan's runtime first in the list.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib stacking
cd "$T" || exit 1

# same_preload NAME DIR PLAIN_PRELOAD TRACED_PRELOAD CMD...: as same_run, with LD_PRELOAD set in
# both runs; a 30 s limit turns a deadlock into a failure.
same_preload() {
    local n=$1 dir=$2 lp=$3 lt=$4; shift 4
    timeout -s KILL 30 env LD_PRELOAD="$lp" "$@" >"$T/plain.out" 2>"$T/plain.err" </dev/null; local rc1=$?
    timeout -s KILL 30 env LD_PRELOAD="$lt" PHASEPROF_OUTPUT="$dir" "$@" >"$T/pp.out" 2>"$T/pp.err" </dev/null; local rc2=$?
    if [ $rc1 -ne $rc2 ]; then fail "$n" "exit status $rc1 plain, $rc2 traced"; return 1; fi
    if ! cmp -s "$T/plain.out" "$T/pp.out"; then fail "$n" "stdout differs"; return 1; fi
    if ! cmp -s "$T/plain.err" "$T/pp.err"; then fail "$n" "stderr differs: $(head -c 200 "$T/pp.err")"; return 1; fi
    pass "$n"
}

J=$(ls /usr/lib/*/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 2>/dev/null | head -n 1)
if [ -z "$J" ]; then
    fail stacking.jemalloc "libjemalloc.so.2 not installed (bash .ci/deps.sh)"
else
    # ours first: every malloc goes through our hook to jemalloc, and is counted
    d="$T/j_after"
    same_preload stacking.jemalloc_after_us "$d" "$J" "$LIB:$J" "$PROGS/threads" 8
    trace_check stacking.jemalloc_after_us_trace "$d" --complete --traces 1 --module '*libjemalloc*' \
        --sum 'SAMPLE.alloc_calls>=1600000'
    # jemalloc first: the program's malloc never reaches us, everything else must still work
    d="$T/j_before"
    same_preload stacking.jemalloc_before_us "$d" "$J" "$J:$LIB" "$PROGS/threads" 8
    trace_check stacking.jemalloc_before_us_trace "$d" --complete --traces 1 --min-kind THREAD_END=8
    d="$T/j_fork"
    same_preload stacking.jemalloc_fork_threads "$d" "$J" "$LIB:$J" "$PROGS/fork_threads"
    trace_check stacking.jemalloc_fork_threads_trace "$d" --complete --traces 21
fi

# AddressSanitizer: the runtime refuses to run unless it comes first in the library list.
if [ -x "$PP" ] && gcc -fsanitize=address -g -O1 -o "$T/asan_threads" "$ROOT/tests/progs/threads.c" -lpthread 2>"$T/asan.err"; then
    "$T/asan_threads" 4 >"$T/asan_plain.out" 2>&1; rc1=$?
    timeout -s KILL 30 "$PP" record -o "$T/asan" -- "$T/asan_threads" 4 >"$T/asan_pp.out" 2>"$T/asan_pp.err" </dev/null; rc2=$?
    if [ "$rc1" -eq "$rc2" ] && cmp -s "$T/asan_plain.out" "$T/asan_pp.out"; then pass stacking.asan_program
    else fail stacking.asan_program "exit $rc1 plain, $rc2 recorded: $(grep -v '^phaseprof record' "$T/asan_pp.err" | head -c 300)"; fi
    trace_check stacking.asan_trace "$T/asan" --complete --traces 1 --module '*libasan*'
else
    fail stacking.asan_program "could not build an ASan program or $PP is missing: $(head -c 200 "$T/asan.err")"
fi
