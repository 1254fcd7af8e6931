#!/usr/bin/env bash
# Pitfall 19: file-backed mmaps are recorded (MMAP records with the file's path and length), as
# their bytes never pass through read/write.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib mmap
cd "$T" || exit 1

d="$T/mm"
same_run mmap.same_output "$d" "$PROGS/mmap_file" "$T/data.bin"
# 4 MiB + 1 MiB mapped from data.bin (the loader's own mappings of libraries do not come through
# our hook, so only these two are certain).
trace_check mmap.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 \
    --min-kind MMAP=2 --sum 'MMAP.len>=5242880' --mmap-path '*/data.bin'
