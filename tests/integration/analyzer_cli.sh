#!/usr/bin/env bash
# `phaseprof info` and `phaseprof dump` on the committed seed traces (tests/fuzz/corpus, written by
# tests/fuzz/gen_seeds.c with known values), and their errors: no preload needed.
source "$(dirname "$0")/../lib.sh"
C="$ROOT/tests/fuzz/corpus"
[ -x "$PP" ] || { fail analyzer_cli "no $PP"; exit 0; }

# exact figures from the seed: 2 threads x 3 SAMPLEs, each 4 file writes of 4096 bytes in total
out=$("$PP" info "$C/seed_full.pptrace" 2>&1); rc=$?
check info_exit_0 test $rc -eq 0
check info_io_exact grep -qx '  io file write: bytes=24576 calls=24 ns=30000' <<<"$out"
check info_alloc_exact grep -qx '  alloc: calls=600 frees=540 bytes=38400 freed_bytes=30000 timed=12 timed_ns=1800 samples=6' <<<"$out"
check info_file_stats grep -q '^    file "/tmp/out.txt" opens=1 read_bytes=0 write_bytes=16384 ' <<<"$out"
check info_identity grep -q '^process 4242 /usr/bin/demo$' <<<"$out"
check info_threads grep -q '^  threads: 2 ' <<<"$out"
check info_start_iso grep -q '^  start: 2025-11-24T16:00:00.000000000Z' <<<"$out"
check info_footer_flags grep -q 'flags=exec$' <<<"$out"
check info_untraced_fork grep -q '4300 (forked, no trace)' <<<"$out"
check info_help bash -c "'$PP' info --help >/dev/null"

# damage: the damaged seed reads with one bad chunk, reported with its offset, exit 0
out=$("$PP" info "$C/seed_damaged.pptrace" 2>"$T/err"); rc=$?
check damaged_exit_0 test $rc -eq 0
check damaged_counted grep -q 'bad_chunks=1 bad_crc=1' <<<"$out"
check damaged_offset_on_stderr grep -q 'seed_damaged.pptrace: offset [0-9]*: chunk CRC mismatch' "$T/err"
out=$("$PP" info "$C/seed_truncated.pptrace" 2>&1)
check truncated_flagged grep -q 'truncated=yes complete=no' <<<"$out"

# dump: one line per record, stable fields, summary
"$PP" dump "$C/seed_full.pptrace" >"$T/dump" 2>&1; rc=$?
check dump_exit_0 test $rc -eq 0
check dump_record_count test "$(grep -vc '^#' "$T/dump")" -eq 44
check dump_string_ref grep -q '^1 4242 IO_EVENT ts=1003000 dur=2000000 tid=4242 fd=3 fn=11 op=1 cls=0 bytes=4096 path=1:"/tmp/out.txt" offset=0 stack=1$' "$T/dump"
check dump_list grep -q 'argv=\["sh","-c","echo hi"\]$' "$T/dump"
check dump_summary grep -qx '# summary chunks=5 records=44 unknown=0 bad_chunks=0 bad_bytes=0 truncated=no complete=yes undefined_strings=0' "$T/dump"
"$PP" dump "$C/seed_unknown_short_long.pptrace" >"$T/dump2" 2>&1
check dump_unknown grep -q '^0 1 UNKNOWN(77) len=13$' "$T/dump2"
check dump_missing_string grep -q 'name=9:?$' "$T/dump2"

# errors: clear message, non-zero exit
printf 'NOTPHASE\1\0\0\0\20\0\0\0' >"$T/bad.pptrace"
"$PP" dump "$T/bad.pptrace" >/dev/null 2>"$T/err"; rc=$?
check bad_magic_exit test $rc -ne 0
check bad_magic_message grep -q 'bad.pptrace: offset 0: bad magic' "$T/err"
printf 'PHASEPRF\7\0\0\0\20\0\0\0' >"$T/v7.pptrace"
"$PP" info "$T/v7.pptrace" >/dev/null 2>"$T/err"; rc=$?
check bad_version_message grep -q 'v7.pptrace: offset 8: unsupported trace version 7' "$T/err"
mkdir -p "$T/empty"
"$PP" info "$T/empty" >/dev/null 2>"$T/err"; rc=$?
check empty_dir_exit test $rc -ne 0
check empty_dir_message grep -q 'no trace files' "$T/err"
"$PP" info "$T/missing" >/dev/null 2>&1; rc=$?
check missing_path_exit test $rc -ne 0
"$PP" frobnicate >/dev/null 2>&1; rc=$?
check unknown_command_exit test $rc -eq 2
check version_line bash -c "'$PP' --version | grep -q 'trace format v1'"
