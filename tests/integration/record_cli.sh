#!/usr/bin/env bash
# `phaseprof record`: exit status, refusals (static, setuid, not ELF, static #! interpreter),
# #! scripts followed, the --append rule, --help, settings passed on, signals forwarded.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib record
if [ ! -x "$PP" ]; then fail record.built "$PP is missing (run make)"; exit 1; fi
cd "$T" || exit 1

# expect NAME WANT_RC STDERR_PATTERN -- CMD...: exit status and a line of stderr (grep -E).
expect() {
    local n=$1 want=$2 pat=$3; shift 4
    "$@" >"$T/rec.out" 2>"$T/rec.err" </dev/null
    local rc=$?
    if [ "$rc" -ne "$want" ]; then fail "$n" "exit $rc, expected $want: $(head -c 300 "$T/rec.err")"; return 1; fi
    if [ -n "$pat" ] && ! grep -Eq -- "$pat" "$T/rec.err"; then
        fail "$n" "stderr lacks /$pat/: $(head -c 300 "$T/rec.err")"; return 1
    fi
    pass "$n"
}
run_id_of() { sed -n 's/.*(run \([0-9a-f]\{16\}\)).*/\1/p' "$T/rec.err" | head -n 1; }

# --help and usage errors
expect record.help 0 '' -- "$PP" record --help
check record.help_text grep -q '^usage: phaseprof record' "$T/rec.out"
expect record.no_command 2 'no command' -- "$PP" record
expect record.bad_option 2 'unknown option' -- "$PP" record --no-such-option true
expect record.bad_interval 2 'interval' -- "$PP" record --interval 0 -- true
expect record.bad_events 2 'events' -- "$PP" record --events some -- true
expect record.not_found 127 'not found' -- "$PP" record -o "$T/nf" -- no-such-command-here

# exit status propagation, summary, and the trace belongs to this run
expect record.exit_status 3 'traces in /' -- "$PP" record -o "$T/r1" -- sh -c 'exit 3'
check record.summary_dir grep -qF "traces in $T/r1" "$T/rec.err"
check record.summary_count grep -Eq '1 process traced, 1 trace file, [0-9.]+ (bytes|KiB|MiB)' "$T/rec.err"
rid=$(run_id_of)
trace_check record.trace "$T/r1" --traces 1 --complete --run-id "${rid:-none}" --root-exe dash \
    --root-exit 3 --setting PHASEPROF_INTERVAL_MS=10
expect record.signal_status 143 'signal 15' -- "$PP" record -o "$T/r2" -- sh -c 'kill -TERM $$'
expect record.pipeline 0 '5 processes traced' -- "$PP" record -o "$T/r3" -- bash -c 'seq 1 1000 | sort -r | uniq -c | wc -l'
check record.pipeline_output grep -qx 1000 "$T/rec.out"

# options reach the preload
expect record.options 0 '' -- "$PP" record -o "$T/r4" --interval 5 --events all -- true
trace_check record.options_trace "$T/r4" --traces 1 --setting PHASEPROF_INTERVAL_MS=5 \
    --setting PHASEPROF_EVENTS=all --header-flag EVENTS_ALL
# an LD_PRELOAD already set is kept, after ours
libm=$(ls /lib/x86_64-linux-gnu/libm.so.6 /usr/lib/*/libm.so.6 2>/dev/null | head -n 1)
expect record.keeps_preload 0 '' -- env LD_PRELOAD="$libm" "$PP" record -o "$T/r5" -- sh -c 'printf %s "$LD_PRELOAD"'
check record.keeps_preload_value test "$(cat "$T/rec.out")" = "$(cd "$B" && pwd)/libphaseprof.so:$libm"

# default directory is ./phaseprof-data; a relative -o is made absolute
mkdir -p "$T/cwd" && cd "$T/cwd" || exit 1
expect record.default_dir 0 "traces in $T/cwd/phaseprof-data" -- "$PP" record true
check record.default_dir_trace test -n "$(ls "$T/cwd/phaseprof-data/"*.pptrace 2>/dev/null)"
expect record.relative_dir 0 "traces in $T/cwd/rel/sub" -- "$PP" record -o ./rel/sub -- true
# --append rule
expect record.refuses_used_dir 2 'append' -- "$PP" record true
n_before=$(ls "$T/cwd/phaseprof-data/"*.pptrace | wc -l)
expect record.append 0 '1 process traced' -- "$PP" record --append -- true
check record.append_added test "$(ls "$T/cwd/phaseprof-data/"*.pptrace | wc -l)" -eq "$((n_before + 1))"
cd "$T" || exit 1

# refusals: nothing is run and no directory is made
if [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || [ -f /usr/lib/libc.a ]; then
    printf 'int main(void) { return 0; }\n' >"$T/st.c"
    if cc -static -o "$T/static_prog" "$T/st.c" 2>"$T/cc.err"; then
        expect record.refuses_static 2 'statically linked' -- "$PP" record -o "$T/no1" -- "$T/static_prog"
        check record.refuses_static_nodir test ! -e "$T/no1"
        printf '#!%s\n' "$T/static_prog" >"$T/static_interp.sh"; chmod +x "$T/static_interp.sh"
        expect record.refuses_static_interpreter 2 'interpreter of .*statically linked' -- \
            "$PP" record -o "$T/no1" -- "$T/static_interp.sh"
    else
        fail record.refuses_static "cc -static failed: $(head -c 200 "$T/cc.err")"
    fi
else
    fail record.refuses_static "no libc.a (install build-essential)"
fi
cp /bin/true "$T/suid_true" && chmod u+s "$T/suid_true"
expect record.refuses_setuid 2 'setuid' -- "$PP" record -o "$T/no2" -- "$T/suid_true"
cp /bin/true "$T/sgid_true" && chmod g+s "$T/sgid_true"
expect record.refuses_setgid 2 'setgid' -- "$PP" record -o "$T/no2" -- "$T/sgid_true"
printf 'just text\n' >"$T/text_prog"; chmod +x "$T/text_prog"
expect record.refuses_non_elf 2 'neither an ELF' -- "$PP" record -o "$T/no3" -- "$T/text_prog"
check record.refusals_nodir test ! -e "$T/no2" -a ! -e "$T/no3"

# #! scripts are followed to the interpreter, and through env
printf '#!/bin/sh\necho "script says $1"\nexit 4\n' >"$T/script.sh"; chmod +x "$T/script.sh"
expect record.script 4 '1 process traced' -- "$PP" record -o "$T/s1" -- "$T/script.sh" hello
check record.script_output grep -qx 'script says hello' "$T/rec.out"
printf '#!/usr/bin/env python3\nimport sys\nprint("py", sys.argv[1])\n' >"$T/script.py"; chmod +x "$T/script.py"
expect record.env_script 0 '' -- "$PP" record -o "$T/s2" -- "$T/script.py" there
check record.env_script_output grep -qx 'py there' "$T/rec.out"
trace_check record.env_script_trace "$T/s2" --complete --exe 'python3*'

# signals sent to record reach the command; record then exits as the command did
"$PP" record -o "$T/sig" -- sleep 30 >/dev/null 2>"$T/sig.err" </dev/null &
rpid=$!
for _ in $(seq 1 200); do
    [ -n "$(ls "$T/sig/"*.pptrace 2>/dev/null)" ] && break
    sleep 0.05
done
t0=$SECONDS
kill -TERM "$rpid"
wait "$rpid"; rc=$?
if [ "$rc" -eq 143 ] && [ $((SECONDS - t0)) -lt 10 ]; then pass record.forwards_sigterm
else fail record.forwards_sigterm "exit $rc after $((SECONDS - t0)) s: $(head -c 300 "$T/sig.err")"; fi
check record.forwards_sigterm_summary grep -q 'killed by signal 15' "$T/sig.err"
