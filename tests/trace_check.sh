# Sourced after tests/lib.sh by tests/integration/{real,process,record}_*.sh.
# Checks on the traces a run left, through tests/pptrace.py (an independent reader that follows
# include/phaseprof/events.def), and through `phaseprof info` once that command exists.
set -u
PPTRACE=(python3 "$ROOT/tests/pptrace.py")

# Every run in a test file shares one fresh run id, so each trace can be checked to belong to it.
PHASEPROF_RUN_ID=$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n')
export PHASEPROF_RUN_ID
# Nothing inherited from the caller's environment may change what the preload does.
unset PHASEPROF_DISABLE PHASEPROF_EXCLUDE PHASEPROF_EVENTS PHASEPROF_INTERVAL_MS \
      PHASEPROF_FLUSH_MS PHASEPROF_BUFFER_KB PHASEPROF_SIGNAL PHASEPROF_COUNTERS 2>/dev/null

# trace_check NAME DIR [pptrace.py check assertions...]: PASS when all hold.
trace_check() {
    local n=$1 d=$2; shift 2
    local out
    if out=$("${PPTRACE[@]}" check "$d" "$@" 2>&1); then
        pass "$n"
    else
        fail "$n" "$(printf '%s' "$out" | head -n 6 | tr '\n' ';')"
        "${PPTRACE[@]}" summary "$d" 2>&1 | head -n 12 | sed 's/^/    trace: /'
        return 1
    fi
}

# info_check NAME DIR WORD...: `phaseprof info DIR` exits 0 and mentions every WORD (exe names).
# Skipped (no line) while the analyzer has no `info` command yet.
info_check() {
    local n=$1 d=$2; shift 2
    [ -x "$PP" ] && "$PP" info --help >/dev/null 2>&1 || return 0
    local out rc w
    out=$("$PP" info "$d" 2>&1); rc=$?
    if [ "$rc" -ne 0 ]; then fail "$n" "phaseprof info exited $rc: $(printf '%s' "$out" | tail -n 2 | tr '\n' ';')"; return 1; fi
    for w in "$@"; do
        if ! printf '%s' "$out" | grep -qF -- "$w"; then fail "$n" "phaseprof info does not mention $w"; return 1; fi
    done
    pass "$n"
}

# need_lib: fail every remaining check early (one clear line) when the preload is not built.
need_lib() {
    if [ ! -f "$LIB" ]; then fail "${1:-setup}" "$LIB is missing (run make)"; exit 1; fi
}
