#!/usr/bin/env bash
# Signal handlers that allocate, interrupting the program inside hooked calls (open, read,
# write, close): same output and status as without the preload, no hang (60 s limit), and the
# trace is complete with the handlers' allocations counted.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fault_signal_alloc
cd "$T" || exit 1

d="$T/sa"
same_run_limited signal_alloc.same_output "$d" "$PROGS/fault_sig_alloc" 1000
if grep -q 'alarm handler ran: yes, usr1 handler ran: yes, bad: 0' "$T/pp.out"; then pass signal_alloc.handlers_ran
else fail signal_alloc.handlers_ran "$(cat "$T/pp.out")"; fi
# 20,000 loop iterations with 2 opens each; ~1,000 SIGALRM and ~5,000 SIGUSR1 handler runs
# allocate twice each (malloc, realloc): at least 100 handler runs seen even on a loaded machine.
trace_check signal_alloc.trace "$d" --run-id "$PHASEPROF_RUN_ID" --traces 1 --complete \
    --no-foot-flag SIGNAL_TAKEN --sum 'SAMPLE.alloc_calls>=200'
# At 1 ms sampling the preload's own SIGPROF handler lands inside the program's handlers too.
d="$T/sa1"
export PHASEPROF_INTERVAL_MS=1
same_run_limited signal_alloc.sampled_1ms_same_output "$d" "$PROGS/fault_sig_alloc" 1000
unset PHASEPROF_INTERVAL_MS
trace_check signal_alloc.sampled_1ms_trace "$d" --traces 1 --complete --min-kind SAMPLE=100
# A storm: SIGUSR1 as fast as another thread can send it, in 8 short runs.  Any allocation the
# preload makes inside a hook of a call the program may interrupt with an allocating handler
# (open, read, write, close: async-signal-safe) deadlocks on the allocator's lock here; each
# run starts fresh, so one-time work (such as loading libunwind) gets 8 chances to be caught.
"$PROGS/fault_sig_alloc" 100 1000 0 >"$T/storm_plain.out" 2>&1 </dev/null
ok=1
for i in 1 2 3 4 5 6 7 8; do
    timeout -s KILL 20 env LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$T/storm$i" "$PROGS/fault_sig_alloc" 100 1000 0 \
        >"$T/storm.out" 2>&1 </dev/null; rc=$?
    if [ $rc -ne 0 ] || ! cmp -s "$T/storm_plain.out" "$T/storm.out"; then
        fail signal_alloc.storm_no_deadlock "run $i: exit $rc (137: hung 20 s and killed): $(head -c 200 "$T/storm.out")"
        ok=0; break
    fi
done
[ $ok -eq 1 ] && pass signal_alloc.storm_no_deadlock
