#!/usr/bin/env bash
# Pitfall 12: programs that close every descriptor (close loop, close_range, closefrom) or dup2
# onto every descriptor must see exactly what they see without the preload, and the trace must
# survive complete, with the program's later I/O still counted.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fd_protect
ST=(python3 "$ROOT/tests/io_stats.py")
cd "$T" || exit 1
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got $2, want $3"; fi; }

d="$T/closer"
same_run fd_closer.same_output "$d" "$PROGS/fd_closer" "$T"
trace_check fd_closer.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 --no-foot-flag FD_LOST
# What the program read back is what it wrote (fprintf lines + write() tails), all counted.
want=$(sed -n 's/^read back: lines=[0-9]* bytes=\([0-9]*\)$/\1/p' "$T/pp.out")
expect fd_closer.writes_counted "$("${ST[@]}" file "$d" '*/fd_closer.out' write_bytes)" "$want"
expect fd_closer.reads_counted "$("${ST[@]}" file "$d" '*/fd_closer.out' read_bytes)" "$want"
stdout_bytes=$(wc -c <"$T/pp.out")
expect fd_closer.stdout_counted "$("${ST[@]}" file "$d" "$T/pp.out" write_bytes)" "$stdout_bytes"

# The same with the soft descriptor limit at 1024, where our descriptor sits just below it.
d="$T/closer1024"
( ulimit -Sn 1024 && same_run fd_closer.same_output_nofile1024 "$d" "$PROGS/fd_closer" "$T" )
trace_check fd_closer.traces_nofile1024 "$d" --complete --traces 1 --no-foot-flag FD_LOST

d="$T/dup2"
same_run dup2_onto.same_output "$d" "$PROGS/dup2_onto" "$T"
trace_check dup2_onto.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1
want=$(sed -n 's/^wrote \([0-9]*\) bytes$/\1/p' "$T/pp.out")
expect dup2_onto.writes_counted "$("${ST[@]}" file "$d" '*/dup2_onto.out' write_bytes)" "$want"
expect dup2_onto.reads_counted "$("${ST[@]}" file "$d" '*/dup2_onto.out' read_bytes)" "$want"
