#!/usr/bin/env bash
# Exactness of the I/O accounting: exact_io write()s N bytes in M calls and fwrite()s K bytes;
# the trace must say exactly that, per file (FILE_STATS) and per thread (SAMPLE cells), and
# `phaseprof info` must print those figures.  Also: events=all keeps one CALL per write(), and
# IO_EVENT records (threshold 0) stop at their per-second cap with the footer flag set.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib exact
ST=(python3 "$ROOT/tests/io_stats.py")
cd "$T" || exit 1

N=1000003 M=997 K=2000001
FW=$(( (K + 3999) / 4000 ))          # exact_io fwrite()s 4000 bytes at a time
d="$T/exact"
same_run exact.same_output "$d" "$PROGS/exact_io" $N $M $K "$T"
trace_check exact.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 --no-foot-flag FDS_FULL

# expect NAME ACTUAL WANTED
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got $2, want $3"; fi; }
expect exact.write_bytes   "$("${ST[@]}" file "$d" '*/exact_write.bin' write_bytes)" $N
expect exact.write_calls   "$("${ST[@]}" file "$d" '*/exact_write.bin' writes)" $M
expect exact.write_seq     "$("${ST[@]}" file "$d" '*/exact_write.bin' seq_writes)" $M
expect exact.max_offset    "$("${ST[@]}" file "$d" '*/exact_write.bin' max_offset)" $N
expect exact.fwrite_bytes  "$("${ST[@]}" file "$d" '*/exact_fwrite.bin' write_bytes)" $K
expect exact.fwrite_calls  "$("${ST[@]}" file "$d" '*/exact_fwrite.bin' writes)" $FW
expect exact.read_bytes    "$("${ST[@]}" file "$d" '*/exact_write.bin' read_bytes)" $N
expect exact.fread_bytes   "$("${ST[@]}" file "$d" '*/exact_fwrite.bin' read_bytes)" $K
expect exact.opens         "$("${ST[@]}" file "$d" '*/exact_*.bin' opens)" 4
# N/M = 1003 bytes per write(): Darshan bucket 1 (100..1023)
expect exact.hist_write    "$("${ST[@]}" file "$d" '*/exact_write.bin' hist_write)" "0,$M,0,0,0,0,0,0,0,0"
expect exact.cell_write_bytes "$("${ST[@]}" cell "$d" file write bytes)" $((N + K))
expect exact.cell_write_calls "$("${ST[@]}" cell "$d" file write calls)" $((M + FW))
expect exact.cell_read_bytes  "$("${ST[@]}" cell "$d" file read bytes)" $((N + K))

# phaseprof info: the per-file lines and the process totals (once the analyzer builds)
if [ -x "$PP" ] && "$PP" info --help >/dev/null 2>&1; then
    out=$("$PP" info "$d" 2>&1)
    if printf '%s\n' "$out" | grep -q "file \"[^\"]*/exact_write.bin\".* write_bytes=$N .*writes=$M " &&
       printf '%s\n' "$out" | grep -q "file \"[^\"]*/exact_fwrite.bin\".* write_bytes=$K " &&
       printf '%s\n' "$out" | grep -q "io file write: bytes=$((N + K)) calls=$((M + FW)) "; then
        pass exact.info
    else
        fail exact.info "phaseprof info does not show N=$N in M=$M write() calls and K=$K fwrite bytes"
        printf '%s\n' "$out" | grep -E "io file|exact_" | head -8 | sed 's/^/    /'
    fi
fi

# events=all: one CALL per write() (fn=write), and as many per fwrite(); one per malloc() (the
# malloc family is staged and written in batches: none may be lost, the first ones included)
d="$T/all"
PHASEPROF_EVENTS=all LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" "$PROGS/exact_io" 5000 50 9000 "$T" 100000
expect exact.events_all_write "$("${ST[@]}" count "$d" CALL fn=write)" 50
expect exact.events_all_fwrite "$("${ST[@]}" count "$d" CALL fn=fwrite)" 3
calls=$("${ST[@]}" count "$d" CALL fn=malloc); counted=$("$PP" info "$d" 2>/dev/null | sed -n 's/.*alloc: calls=\([0-9]*\).*/\1/p' | head -1)
if [ "$calls" -ge 100000 ] && [ "$calls" = "$counted" ]; then pass exact.events_all_malloc
else fail exact.events_all_malloc "$calls CALL fn=malloc, $counted malloc-family calls counted, want >= 100000 and equal"; fi

# IO_EVENT: threshold 0 makes every timed call an event; the cap (per thread-second) holds and
# the footer says it bit.
d="$T/capped"
PHASEPROF_IO_THRESHOLD_US=0 PHASEPROF_IO_EVENTS_MAX=20 LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" \
    "$PROGS/exact_io" 20000 2000 1000 "$T"
n=$("${ST[@]}" count "$d" IO_EVENT)
if [ "$n" -ge 20 ] && [ "$n" -le 60 ]; then pass exact.io_events_capped; else fail exact.io_events_capped "$n IO_EVENT records, cap 20 per second"; fi
trace_check exact.capped_flag "$d" --complete --foot-flag EVENTS_CAPPED
d="$T/uncapped"
PHASEPROF_IO_THRESHOLD_US=0 PHASEPROF_IO_EVENTS_MAX=100000 LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" \
    "$PROGS/exact_io" 2000 200 1000 "$T"
n=$("${ST[@]}" count "$d" IO_EVENT fn=write)
expect exact.io_events_every_write "$n" 200
trace_check exact.uncapped_flag "$d" --complete --no-foot-flag EVENTS_CAPPED

# printf into a full-buffered file: the calls that may fill the buffer are timed and, when the
# buffer took all of it after all, counted untimed; the ones that flushed keep their time, so the
# file's write time is that of its flushes (about bytes / 4 KiB of them), not just fclose's.
cat >"$T/pf.c" <<'CEOF'
#include <stdio.h>
int main(int argc, char **argv)
{
    FILE *f = fopen(argv[1], "w");
    if (!f) return 1;
    for (int i = 0; i < 200000; i++) fprintf(f, "record %d of %s\n", i, "printf");
    return fclose(f) != 0;
}
CEOF
if cc -O2 -o "$T/pf" "$T/pf.c"; then
    d="$T/pf_trace"
    LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" "$T/pf" "$T/pf.out"
    want=$(stat -c %s "$T/pf.out")
    expect exact.printf_bytes "$("${ST[@]}" file "$d" '*/pf.out' write_bytes)" "$want"
    expect exact.printf_calls "$("${ST[@]}" file "$d" '*/pf.out' writes)" 200000
    ns=$("${ST[@]}" file "$d" '*/pf.out' write_ns)
    flushes=$((want / 4096))          # each a write() of at least half a microsecond
    if [ "${ns:-0}" -ge $((flushes * 500)) ]; then pass exact.printf_flushes_timed
    else fail exact.printf_flushes_timed "write_ns=$ns for about $flushes flushes"; fi
else
    fail exact.printf_build "cc failed"
fi
