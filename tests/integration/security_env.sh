#!/usr/bin/env bash
# Every PHASEPROF_* setting given a bad value (out of range, not a number, not a choice, too
# long): the preload says so in exactly one stderr line naming the variable, then either uses
# the default (the trace header records NAME=DEFAULT) or, for the trace directory, does not
# trace at all.  The program's stdout, the rest of its stderr and its exit status never change.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib security_env
cd "$T" || exit 1
long=$(printf 'x%.0s' $(seq 1 600))
prog=(sh -c 'echo out; echo err >&2; exit 3')
"${prog[@]}" >"$T/plain.out" 2>"$T/plain.err" </dev/null; echo $? >"$T/plain.rc"

# bad NAME VALUE DEFAULT: DEFAULT "-" means tracing must be off.
i=0
bad() {
    local name=$1 value=$2 def=$3 n d k
    i=$((i + 1)); n="env.$name.$i"; d="$T/tr$i"
    mkdir -p "$T/cwd$i"
    local before; before=$(find "$T" -name '*.pptrace' | wc -l)
    ( cd "$T/cwd$i" && env "$name=$value" LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="${PHASEPROF_OUTPUT_OVERRIDE:-$d}" \
        "${prog[@]}" >"$T/pp.out" 2>"$T/pp.err" </dev/null; echo $? >"$T/pp.rc" )
    grep -Ev '^phaseprof\[[0-9]+\]: ' "$T/pp.err" >"$T/pp.err.rest"
    k=$(grep -Ec "^phaseprof\[[0-9]+\]: $name: " "$T/pp.err")
    if ! cmp -s "$T/plain.out" "$T/pp.out" || ! cmp -s "$T/plain.err" "$T/pp.err.rest" ||
       [ "$(cat "$T/plain.rc")" != "$(cat "$T/pp.rc")" ]; then
        fail "$n" "value '${value:0:40}': the program's output or status changed: $(head -c 200 "$T/pp.err")"; return
    fi
    if [ "$k" -ne 1 ] || [ "$(wc -l <"$T/pp.err")" -ne 2 ]; then
        fail "$n" "value '${value:0:40}': want one line naming $name, stderr: $(head -c 300 "$T/pp.err")"; return
    fi
    local stray; stray=$(find "$T/cwd$i" -name '*.pptrace' | wc -l)
    if [ "$def" = - ]; then
        local after; after=$(find "$T" -name '*.pptrace' | wc -l)
        if [ "$after" -eq "$before" ]; then pass "$n"
        else fail "$n" "value '${value:0:40}': tracing should be off, found $((after - before)) new traces"; fi
        return
    fi
    if [ "$stray" -ne 0 ]; then fail "$n" "traces written to the program's directory"; return; fi
    local out
    if out=$("${PPTRACE[@]}" check "$d" --traces 1 --complete --setting "$name=$def" 2>&1); then pass "$n"
    else fail "$n" "value '${value:0:40}': $(printf '%s' "$out" | head -n 2 | tr '\n' ';')"; fi
}
bad PHASEPROF_DISABLE 2 0
bad PHASEPROF_DISABLE yes 0
bad PHASEPROF_INTERVAL_MS 0 10
bad PHASEPROF_INTERVAL_MS 10001 10
bad PHASEPROF_INTERVAL_MS 5ms 10
bad PHASEPROF_INTERVAL_MS 99999999999999999999 10
bad PHASEPROF_EVENTS everything default
bad PHASEPROF_IO_THRESHOLD_US -1 1000
bad PHASEPROF_IO_EVENTS_MAX 1000001 200
bad PHASEPROF_BUFFER_KB 3 32
bad PHASEPROF_BUFFER_KB 1025 32
bad PHASEPROF_FLUSH_MS 9 1000
bad PHASEPROF_COUNTERS gpu auto
bad PHASEPROF_PAPI_EVENTS "$long" ""
bad PHASEPROF_SIGNAL KILL PROF
bad PHASEPROF_SIGNAL 9 PROF
bad PHASEPROF_SIGNAL SEGV PROF
bad PHASEPROF_SIGNAL 999 PROF
bad PHASEPROF_STACKS 2 1
bad PHASEPROF_ALLOC_SAMPLE_KB 0 512
bad PHASEPROF_ALLOC_SAMPLES_MAX 0 150
bad PHASEPROF_STACK_DEPTH 129 64
bad PHASEPROF_RUN_ID xyz ""
bad PHASEPROF_RUN_ID 12345678901234567 ""
bad PHASEPROF_RUN_ID -1 ""
bad PHASEPROF_RUN_ID 0x1f ""
bad PHASEPROF_EXCLUDE "$long" ""
# The trace directory: too long means no tracing at all (not the default ./phaseprof-data).
PHASEPROF_OUTPUT_OVERRIDE="$T/$long" bad PHASEPROF_OUTPUT "$T/$long" -
