#!/usr/bin/env bash
# kill -9 from outside, mid-run: the program's stdout and status (137) are what they are without
# the preload; the trace reads up to its last written chunk, with no bad chunk, and `phaseprof
# info` says it is incomplete.  (process_exit_paths.sh covers a process killing itself.)
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fault_kill9
cd "$T" || exit 1

# killed_run OUT ENV...: starts fault_rate (calls until killed), waits for its "started" line,
# lets it run 1.5 s more, then SIGKILL.  Prints the exit status.
killed_run() {
    local out=$1; shift
    env "$@" "$PROGS/fault_rate" 0 0 >"$out" 2>"$out.err" </dev/null &
    local pid=$! i
    for i in $(seq 1 300); do grep -q started "$out" 2>/dev/null && break; sleep 0.1; done
    sleep 1.5
    kill -9 "$pid"
    wait "$pid"
    echo $?
}
d="$T/k9"
rc1=$(killed_run "$T/plain.out")
rc2=$(killed_run "$T/pp.out" LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" PHASEPROF_FLUSH_MS=100)
if [ "$rc1" = 137 ] && [ "$rc2" = 137 ]; then pass kill9.status
else fail kill9.status "exit status $rc1 plain, $rc2 traced (want 137)"; fi
if cmp -s "$T/plain.out" "$T/pp.out" && cmp -s "$T/plain.out.err" "$T/pp.out.err"; then pass kill9.same_output
else fail kill9.same_output "stdout/stderr differ: $(head -c 200 "$T/pp.out.err")"; fi
# Chunks age out every 100 ms: ~1.5 s of run leaves well over 20 interval samples on disk.
trace_check kill9.trace_readable "$d" --traces 1 --readable --min-kind SAMPLE=20 --kind FOOTER=0
info=$("$PP" info "$d" 2>&1); irc=$?
if [ $irc -eq 0 ] && printf '%s' "$info" | grep -q 'status: incomplete' &&
   printf '%s' "$info" | grep -q 'totals: processes=1 .*complete=0 .*bad_chunks=0'; then
    pass kill9.info_says_incomplete
else fail kill9.info_says_incomplete "rc=$irc: $(printf '%s' "$info" | grep -E 'status|totals' | tr '\n' ';')"; fi
# The C reader and the independent one agree on the records read.
n_c=$("$PP" dump "$d"/*.pptrace 2>/dev/null | grep -c '^[0-9]')
n_py=$("${PPTRACE[@]}" summary "$d" | sed -n 's/.*kinds=//p' | tr ',' '\n' | awk -F: '{s+=$2} END {print s+0}')
if [ "$n_c" -gt 0 ] && [ "$n_c" = "$n_py" ]; then pass kill9.readers_agree
else fail kill9.readers_agree "dump printed $n_c records, pptrace.py decoded $n_py"; fi
