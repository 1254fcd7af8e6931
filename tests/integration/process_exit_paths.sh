#!/usr/bin/env bash
# Pitfall 11: every way out.  Normal exits and _exit/_Exit leave a complete trace with the exit
# status; abort, SIGTERM and SIGKILL lose at most the chunk not yet written.  Chunks are written
# every 10 ms and samples taken every 1 ms, so ~150 ms of work leaves well over 50 samples.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib exit_paths
cd "$T" || exit 1
export PHASEPROF_FLUSH_MS=10 PHASEPROF_INTERVAL_MS=1

for mode in return exit _exit _Exit abort sigterm kill9; do
    d="$T/ep_$mode"
    same_run "exit_paths.$mode.same_output" "$d" "$PROGS/exit_paths" "$mode" 150
    case $mode in
        # main's return value reaches the footer through the wrapped __libc_start_main.
        return) trace_check "exit_paths.$mode.trace" "$d" --traces 1 --complete --min-kind SAMPLE=50 --root-exit 5 ;;
        exit)   trace_check "exit_paths.$mode.trace" "$d" --traces 1 --complete --min-kind SAMPLE=50 --root-exit 6 ;;
        _exit)  trace_check "exit_paths.$mode.trace" "$d" --traces 1 --complete --min-kind SAMPLE=50 --root-exit 7 ;;
        _Exit)  trace_check "exit_paths.$mode.trace" "$d" --traces 1 --complete --min-kind SAMPLE=50 --root-exit 8 ;;
        *)      trace_check "exit_paths.$mode.trace" "$d" --traces 1 --readable --min-kind SAMPLE=50 ;;
    esac
done
