#!/usr/bin/env bash
# Pitfall 16: a FORTIFY build imports __open_2, __read_chk, __pread_chk, __fread_chk,
# __fgets_chk, __printf_chk …; each must be intercepted and counted like the plain call.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fortify
ST=(python3 "$ROOT/tests/io_stats.py")
cd "$T" || exit 1
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got $2, want $3"; fi; }

imports=$(nm -D --undefined-only "$PROGS/fortify" | awk '{print $2}' | sed 's/@.*//')
missing=""
for s in __open_2 __open64_2 __openat_2 __read_chk __pread_chk __pread64_chk __fread_chk \
         __fread_unlocked_chk __fgets_chk __fgets_unlocked_chk __printf_chk __fprintf_chk __dprintf_chk; do
    printf '%s\n' "$imports" | grep -qx "$s" || missing="$missing $s"
done
if [ -z "$missing" ]; then pass fortify.imports; else fail fortify.imports "fortify does not import:$missing"; fi

d="$T/fortify"
same_run fortify.same_output "$d" "$PROGS/fortify" "$T"
trace_check fortify.traces "$d" --complete --traces 1
want=$(sed -n 's/^total read: \([0-9]*\)$/\1/p' "$T/pp.out")
expect fortify.reads_counted "$("${ST[@]}" file "$d" '*/fortify.dat' read_bytes)" "$want"
size=$(wc -c <"$T/fortify.dat")
expect fortify.writes_counted "$("${ST[@]}" file "$d" '*/fortify.dat' write_bytes)" "$size"
expect fortify.opens "$("${ST[@]}" file "$d" '*/fortify.dat' opens)" 5
