#!/usr/bin/env bash
# Real programs: a bash pipeline, fork and exec: one trace for bash and for each of the four
# commands (a forked bash child that then execs may leave a short trace of its own).
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib pipeline
cd "$T" || exit 1

d="$T/pipe"
same_run pipeline.same_output "$d" bash -c 'seq 1 100000 | sort -r | uniq -c | wc -l'
trace_check pipeline.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree --unique \
    --root-exe bash --pids 5 --exe seq --exe sort --exe uniq --exe wc \
    --only-exe bash --only-exe seq --only-exe sort --only-exe uniq --only-exe wc
info_check pipeline.info "$d" seq sort uniq wc
