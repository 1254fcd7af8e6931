#!/usr/bin/env bash
# A trace's size follows the run's length, not its call count (per-interval aggregates, capped
# I/O events, byte-sampled allocation stacks).  Two runs of the same length, one making calls
# as fast as it can and one slowed ~50x by arithmetic between calls: the fast one must make at
# least 10x the calls and its trace must stay within 5x the slow one's and under 64 KiB per
# second of run; and a file reopened in a loop (FILE_STATS per second, not per close).
# PP_BOUNDED_SECS (default 3) sets the length; docs/reliability.md has a long run.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fault_trace_bounded
cd "$T" || exit 1
secs=${PP_BOUNDED_SECS:-3}

run() {  # DIR SPIN
    timeout -s KILL $((secs * 4 + 60)) env LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$1" \
        "$PROGS/fault_rate" "$secs" "$2" >"$1.out" 2>&1
}
run "$T/fast" 0
run "$T/slow" 3000
for s in fast slow; do
    if [ "$(cat "$T/$s.out")" = "$(printf 'started\ndone')" ]; then pass "trace_bounded.$s.ran"
    else fail "trace_bounded.$s.ran" "$(head -c 200 "$T/$s.out")"; fi
done
trace_check trace_bounded.traces "$T/fast" --traces 1 --complete
calls() { "$PP" info "$1" | sed -n 's/^  alloc: calls=\([0-9]*\).*/\1/p' | head -n 1; }
size() { cat "$1"/*.pptrace | wc -c; }
cf=$(calls "$T/fast"); cs=$(calls "$T/slow"); sf=$(size "$T/fast"); ss=$(size "$T/slow")
detail="calls fast=$cf slow=$cs, bytes fast=$sf slow=$ss over $secs s"
if [ "${cf:-0}" -ge $((10 * ${cs:-1})) ] && [ "${cs:-0}" -gt 0 ]; then pass trace_bounded.call_rates_differ
else fail trace_bounded.call_rates_differ "$detail (the fast run must make >= 10x the calls)"; fi
if [ "$sf" -le $((5 * ss)) ] && [ "$sf" -le $((65536 * secs)) ]; then pass trace_bounded.size_follows_time; echo "    $detail"
else fail trace_bounded.size_follows_time "$detail"; fi

# A file opened and closed in a loop (a shell's `echo x > f`): one FILE_STATS per second or so per
# path, not one per close, and the counts still exact.
n=3000
LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$T/reopen" bash -c "for i in \$(seq $n); do echo x > '$T/f'; done" >"$T/reopen.out" 2>&1
root=$(ls -S "$T/reopen"/*.pptrace | head -n 1)
fs=$("$PP" info "$root" | grep -o 'FILE_STATS=[0-9]*' | head -n 1 | cut -d= -f2)
opens=$("$PP" info "$root" | sed -n "s|^    file \"$T/f\" opens=\([0-9]*\) .* writes=\([0-9]*\) .*|\1 \2|p" | head -n 1)
# (bash's echo is printf + putc: two stdio write calls per line, the same in every iteration)
read -r o w <<<"${opens:-0 0}"
if [ "$o" = "$n" ] && [ "$w" -gt 0 ] && [ $((w % n)) -eq 0 ] && [ "${fs:-99999}" -le 60 ]; then pass trace_bounded.reopen_loop; echo "    $n reopens: $fs FILE_STATS records"
else fail trace_bounded.reopen_loop "opens/writes '$opens' (want $n and a multiple of $n), FILE_STATS=$fs (want <= 60)"; fi
