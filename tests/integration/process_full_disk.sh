#!/usr/bin/env bash
# A trace that cannot be written (RLIMIT_FSIZE of 16 KiB, every call recorded) stops tracing with
# at most one "phaseprof[PID]:" line; the program's output, files and exit status do not change,
# and it is never killed by SIGXFSZ.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib full_disk
cd "$T" || exit 1

d="$T/fd"
( ulimit -f 16; exec "$PROGS/full_disk" "$T/plain.txt" ) >"$T/fd_plain.out" 2>"$T/fd_plain.err" </dev/null
rc1=$?
( ulimit -f 16; export LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" PHASEPROF_EVENTS=all
  exec "$PROGS/full_disk" "$T/traced.txt" ) >"$T/fd_pp.out" 2>"$T/fd_pp.err" </dev/null
rc2=$?
if [ "$rc1" -eq "$rc2" ] && [ "$rc1" -eq 0 ]; then pass full_disk.status
else fail full_disk.status "exit status $rc1 plain, $rc2 traced (153 = SIGXFSZ)"; fi
if cmp -s "$T/fd_plain.out" "$T/fd_pp.out"; then pass full_disk.stdout
else fail full_disk.stdout "stdout differs"; diff "$T/fd_plain.out" "$T/fd_pp.out" | head -5; fi
if cmp -s "$T/plain.txt" "$T/traced.txt"; then pass full_disk.own_file
else fail full_disk.own_file "the program's own file differs"; fi
grep -Ev '^phaseprof\[[0-9]+\]: ' "$T/fd_pp.err" >"$T/fd_pp.err.rest"
nlines=$(grep -Ec '^phaseprof\[[0-9]+\]: ' "$T/fd_pp.err")
if cmp -s "$T/fd_plain.err" "$T/fd_pp.err.rest"; then pass full_disk.stderr
else fail full_disk.stderr "stderr differs beyond phaseprof lines"; diff "$T/fd_plain.err" "$T/fd_pp.err.rest" | head -5; fi
if [ "$nlines" -eq 1 ]; then pass full_disk.one_line
else fail full_disk.one_line "$nlines phaseprof lines on stderr, expected exactly 1: $(head -c 300 "$T/fd_pp.err")"; fi
size=$(cat "$d"/*.pptrace 2>/dev/null | wc -c)
if [ "$size" -gt 0 ] && [ "$size" -le 16384 ]; then pass full_disk.trace_size
else fail full_disk.trace_size "trace is $size bytes, limit 16384"; fi
trace_check full_disk.trace_readable "$d" --traces 1 --readable
