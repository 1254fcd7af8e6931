#!/usr/bin/env bash
# The recorder learns what a descriptor is (file, pipe, tty) without reading the file's
# timestamps: on Linux 6.13+ (multigrain timestamps) a query of ctime/mtime makes the program's
# next write take a fine-grained stamp and dirty the inode — other timestamps on the program's
# files, and an open-write-close loop ~40% slower.  tests/progs/stamps.c.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib stamps
ST=(python3 "$ROOT/tests/io_stats.py")
cd "$T" || exit 1
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got $2, want $3"; fi; }
mkdir -p "$T/files"
# Whether this kernel and filesystem tell the two apart: the program queries the times itself.
probe=$("$PROGS/stamps" "$T/files" --query)
case "$probe" in
    *": yes") ;;
    *) echo "NOTE io_stamps: stamps alike after a query here ($probe): stamps.times_untouched cannot fail on this kernel or filesystem" ;;
esac
d="$T/tr"
same_run stamps.same_output "$d" "$PROGS/stamps" "$T/files"
expect stamps.times_untouched "$(cat "$T/pp.out")" "the writes moved the change time on most files: no"
trace_check stamps.traces "$d" --complete --traces 1
# Every write counted as a file write, the log reopened per record as one file (its class known
# from its first open).
expect stamps.files_written "$("${ST[@]}" file "$d" '*/files/stamp.[0-9]*' write_bytes)" $((200 * 2 * 64))
expect stamps.log_opens "$("${ST[@]}" file "$d" '*/files/stamp.log' opens)" 100
expect stamps.log_written "$("${ST[@]}" file "$d" '*/files/stamp.log' write_bytes)" 6400
out=$(wc -c <"$T/pp.out")
expect stamps.class_file "$("${ST[@]}" cell "$d" file write bytes)" $((200 * 2 * 64 + 6400 + out))
