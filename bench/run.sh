#!/usr/bin/env bash
# bench/run.sh: what libphaseprof.so costs, measured against the same program without it.
#
# Every figure is a ratio or a difference taken in this run: each traced run is paired with an
# uninstrumented run of the same program (pairs alternate which goes first), wall-time ratios
# are the median over PAIRS pairs of traced/plain, and instruction counts come from
# `valgrind --tool=callgrind` (repeatable on a noisy shared machine).  heaptrack and ltrace run
# on the same workloads in the same run for comparison.  The table goes to bench/RESULTS.md
# (between the bench:begin/bench:end markers; the intro above them is kept).
#
#   make bench                      # PAIRS=10, about 15-20 minutes on 2 cores
#   PAIRS=3 bash bench/run.sh       # quick look, about 5 minutes
#
# Environment: B (build dir, default build), PAIRS (default 10), and the sizes below.
# LD_PRELOAD and PHASEPROF_* from the caller are cleared so every run starts from defaults.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${B:-build}
case "$B" in /*) BD=$B ;; *) BD=$ROOT/$B ;; esac
PAIRS=${PAIRS:-10}
LIB=$BD/libphaseprof.so
PP=$BD/phaseprof
BIN=$BD/bench
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}

# Sizes (a full run uses the defaults; the per-call and per-thread-second figures do not depend on them).
CHURN_PAIRS=${CHURN_PAIRS:-32000000}      # malloc/free pairs, split over the threads
WRITE_CALLS=${WRITE_CALLS:-2000000}       # 64-byte write() calls
STDIO_RECORDS=${STDIO_RECORDS:-5000000}   # fprintf/fputs records
COMPUTE_ITERS=${COMPUTE_ITERS:-600000000} # about 1.5 s
EXECS=${EXECS:-1000}                      # empty-program execs each way
EVENTS_ALL_PAIRS=${EVENTS_ALL_PAIRS:-8000000}   # PHASEPROF_EVENTS=all churn (bounded: disk)
XZ_MB=${XZ_MB:-20}
SQL_INSERTS=${SQL_INSERTS:-2000}
PY_SCALE=${PY_SCALE:-6}
LTRACE_CALLS=${LTRACE_CALLS:-20000}       # ltrace is thousands of times slower
LTRACE_TIMEOUT=${LTRACE_TIMEOUT:-300}
LIMIT_FACTOR=${LIMIT_FACTOR:-20}          # a traced run is killed after 20x its plain run ...
LIMIT_MIN=${LIMIT_MIN:-30}                # ... but never before 30 s ...
LIMIT_MAX=${LIMIT_MAX:-120}               # ... and always after 120 s
HT_RUNS=${HT_RUNS:-$([ "$PAIRS" -ge 10 ] && echo 3 || echo 1)}
# Under callgrind: smaller sizes (instruction ratios do not depend on them) and a sampling
# interval scaled by callgrind's slowdown (~50-100x), so timer samples per instruction stay
# near what a native run takes; the per-call hooks are measured exactly either way.
CG_CHURN=${CG_CHURN:-2000000}
CG_WRITES=${CG_WRITES:-200000}
CG_STDIO=${CG_STDIO:-500000}
CG_XZ_MB=${CG_XZ_MB:-$([ "$PAIRS" -ge 10 ] && echo "$XZ_MB" || echo 3)}   # all of it in a full run
CG_PY_SCALE=${CG_PY_SCALE:-1}
CG_INTERVAL_MS=${CG_INTERVAL_MS:-1000}
CG_LIMIT=${CG_LIMIT:-600}                 # seconds for one callgrind run
STACK_PAIRS=${STACK_PAIRS:-300000}         # callgrind churn for the cost of one stack capture
STACK_SAMPLE_KB=${STACK_SAMPLE_KB:-8}

unset LD_PRELOAD
for v in $(env | sed -n 's/^\(PHASEPROF_[A-Z_0-9]*\)=.*/\1/p'); do unset "$v"; done

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ -f "$LIB" ] || die "$LIB missing: run 'make' first (or 'make bench')"
command -v cc >/dev/null || die "no C compiler (cc)"

W=$(mktemp -d "${TMPDIR:-/tmp}/pp-bench.XXXXXX") || die "mktemp"
cleanup() { rm -rf "$W"; [ -z "${SHM:-}" ] || rm -rf "$SHM"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
# Snapshot the library: a rebuild during the run must not mix two versions in one table.
mkdir -p "$W/lib" && cp "$LIB" "$W/lib/libphaseprof.so" || die "copying $LIB"
LIB_SHA=$(sha256sum "$LIB" | cut -c1-12)
LIB=$W/lib/libphaseprof.so
ROWS=$W/rows.tsv; : >"$ROWS"
NOTES=$W/notes.md; : >"$NOTES"
CGTOP=$W/cgtop.md; : >"$CGTOP"
T_START=$(date +%s)

# ---------------------------------------------------------------- build the bench programs
mkdir -p "$BIN" || die "mkdir $BIN"
for p in brun empty churn writes stdio compute creat; do
    src=$ROOT/bench/progs/$p.c
    if [ ! -x "$BIN/$p" ] || [ "$src" -nt "$BIN/$p" ]; then
        cc -std=gnu11 -O2 -g -Wall -Wextra -o "$BIN/$p" "$src" -lpthread || die "building $p"
    fi
done
BRUN=$BIN/brun

# ---------------------------------------------------------------- tools (optional ones never fail the run)
have() { command -v "$1" >/dev/null 2>&1; }
missing=()
for t in valgrind heaptrack ltrace; do have "$t" || missing+=("$t"); done
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && have apt-get; then
    say "installing ${missing[*]} (apt-get)"
    pkgs=()
    for t in "${missing[@]}"; do pkgs+=("$t"); done
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q "${pkgs[@]}" >"$W/apt.log" 2>&1 ||
        { timeout 300 apt-get update -q >>"$W/apt.log" 2>&1 &&
          DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q "${pkgs[@]}" >>"$W/apt.log" 2>&1; } ||
        say "apt-get could not install ${pkgs[*]}; those rows say 'not installed'"
fi
HAVE_VG=0; have valgrind && have callgrind_annotate && HAVE_VG=1
HAVE_HT=0; have heaptrack && HAVE_HT=1
HAVE_LT=0; have ltrace && HAVE_LT=1
HAVE_XZ=0; have xz && HAVE_XZ=1
HAVE_SQ=0; have sqlite3 && HAVE_SQ=1
# Debian's python, not a pyenv/asdf shim (a shim is a shell script: we would trace bash too).
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
    PY=$(command -v python3 2>/dev/null || true)
    [ -n "$PY" ] && PY=$("$PY" -c 'import sys; print(sys.executable)' 2>/dev/null || true)
fi
HAVE_PY=0; [ -n "$PY" ] && [ -x "$PY" ] && HAVE_PY=1

# ---------------------------------------------------------------- helpers
median() { sort -g | awk '{a[NR]=$1} END { if (!NR) { print "nan"; exit } if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
calc() { case "$1" in *nan*|*'>'*) echo nan ;; *) awk "BEGIN { printf \"%.6g\", $1 }" ;; esac; }
# Values may be "nan" (no data) or ">X" (a lower bound: the traced run was killed at its limit).
fmt() { awk -v v="$1" -v d="$2" 'BEGIN { if (v == "nan" || v == "") print "n/a";
    else if (substr(v, 1, 1) == ">") printf ">%.*f", d, substr(v, 2); else printf "%.*f", d, v }'; }
# Geometric mean of the values on stdin; ">X" values make it a lower bound, "nan" makes it nan.
geomean() { awk '{ v = $1; if (v == "nan") bad = 1; else { if (substr(v, 1, 1) == ">") { lb = 1; v = substr(v, 2) }
    s += log(v); n++ } } END { if (bad || !n) print "nan"; else printf "%s%.6g\n", lb ? ">" : "", exp(s / n) }'; }
# FOOTER self_ns of the (one) traced process whose trace is in DIR.
self_ns_of() {
    local f
    f=$(find "$1" -name '*.pptrace' -size +0 2>/dev/null | head -1)
    [ -n "$f" ] && "$PP" dump "$f" 2>/dev/null | sed -n 's/.* FOOTER .*self_ns=\([0-9]*\).*/\1/p' | tail -1
}
dir_bytes() { find "$1" -name '*.pptrace' -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'; }
# judge VALUE OP LIMIT → pass | miss | n/a
judge() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v == "nan" || v == "" || v == "n/a") { print "n/a"; exit }
    if (substr(v, 1, 1) == ">") { print (op == "<=" && substr(v, 2) + 0 >= l + 0) ? "**miss**" : "n/a"; exit }
    ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0); print ok ? "pass" : "**miss**" }'; }
# row WORKLOAD METRIC VALUE TARGET VERDICT COMMAND
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$ROWS"; }
note() { printf '%s\n' "$*" >>"$NOTES"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# One run: plain or traced (extra PHASEPROF_* settings after the mode), output to $W/out.MODE.
# Prints "wall_s maxrss_kib status trace_bytes"; status "timeout" when a traced run went past
# RUN_LIMIT seconds (set by `pairs` from the plain run: a pathological slowdown must not eat the
# whole bench budget).
TD=$W/trace
RUN_LIMIT=0
one() {
    local mode=$1; shift
    local args=()
    while [ "$1" != "--" ]; do args+=(-E "$1"); shift; done
    shift
    local res
    if [ "$mode" = plain ]; then
        res=$("$BRUN" -o "$W/out.plain" -e "$W/err.plain" "${STDIN_ARGS[@]}" -- "$@") || res="nan 0 255"
        echo "$res 0"
    else
        rm -rf "$TD"; mkdir -p "$TD"
        res=$("$BRUN" -t "$RUN_LIMIT" -E "LD_PRELOAD=$LIB" -E "PHASEPROF_OUTPUT=$TD" "${args[@]}" \
              -o "$W/out.traced" -e "$W/err.traced" "${STDIN_ARGS[@]}" -- "$@") || res="nan 0 255"
        echo "$res $(dir_bytes "$TD")"
    fi
}
STDIN_ARGS=()

# pairs NAME N [PHASEPROF_X=v ...] -- CMD ARGS: N alternating pairs after one unmeasured warm-up
# pair.  Writes $W/NAME.pairs ("plain_wall plain_rss traced_wall traced_rss trace_bytes") and
# checks that the traced run printed the same output and exit status as the plain one.
pairs() {
    local name=$1 n=$2; shift 2
    local settings=()
    while [ "$1" != "--" ]; do settings+=("$1"); shift; done
    shift
    say "$name: $n pairs: $*"
    : >"$W/$name.pairs"; rm -f "$W/$name.timeout"
    local i p t w0
    w0=$(one plain -- "$@" | cut -d' ' -f1)
    RUN_LIMIT=$(awk -v w="$w0" -v f="$LIMIT_FACTOR" -v lo="$LIMIT_MIN" -v hi="$LIMIT_MAX" \
        'BEGIN { x = int(w * f) + 1; if (x < lo) x = lo; if (x > hi) x = hi; print x }')
    t=$(one traced "${settings[@]}" -- "$@")
    if [ "$(echo "$t" | cut -d' ' -f3)" = timeout ]; then
        say "$name: traced run killed after ${RUN_LIMIT}s (plain ${w0}s)"
        echo "$w0 $RUN_LIMIT" >"$W/$name.timeout"
        note "- **$name**: a traced run took longer than ${RUN_LIMIT} s (plain: $(fmt "$w0" 2) s) and was killed; no pairs measured."
        RUN_LIMIT=0
        return
    fi
    for i in $(seq 1 "$n"); do
        if [ $((i % 2)) = 1 ]; then
            p=$(one plain -- "$@"); t=$(one traced "${settings[@]}" -- "$@")
        else
            t=$(one traced "${settings[@]}" -- "$@"); p=$(one plain -- "$@")
        fi
        local ps ts
        ps=$(echo "$p" | cut -d' ' -f3); ts=$(echo "$t" | cut -d' ' -f3)
        if [ "$ts" = timeout ]; then
            echo "$(echo "$p" | cut -d' ' -f1) $RUN_LIMIT" >"$W/$name.timeout"
            note "- **$name**: traced run $i took longer than ${RUN_LIMIT} s and was killed; pairs stopped there."
            break
        elif [ "$ps" != "$ts" ]; then
            note "- **$name**: exit status differs: plain $ps, traced $ts (pair $i)."
        elif [ "$i" = 1 ] && ! cmp -s "$W/out.plain" "$W/out.traced"; then
            note "- **$name**: traced output differs from plain output."
        fi
        [ "$ts" = 0 ] || { [ "$i" = 1 ] && sed -n '1,5p' "$W/err.traced" | sed 's/^/    /' >>"$NOTES"; }
        echo "$(echo "$p" | cut -d' ' -f1,2) $(echo "$t" | cut -d' ' -f1,2,4)" >>"$W/$name.pairs"
    done
    RUN_LIMIT=0
}
# Statistics over a .pairs file.
ratio_med() {
    if [ -f "$W/$1.timeout" ]; then awk '{ printf ">%.6g\n", $2 / $1 }' "$W/$1.timeout"; return; fi
    awk '$1 > 0 && $3 != "nan" {print $3/$1}' "$W/$1.pairs" | median
}
diff_med()  { awk '$1 > 0 && $3 != "nan" {print $3-$1}' "$W/$1.pairs" | median; }
col_med()   { awk -v c="$2" '{print $c}' "$W/$1.pairs" | median; }

# Callgrind: total instructions ("totals:" line) of CMD, plain or traced.  CG_BEFORE, if set, is
# run before each (sqlite3: both runs start from no database; the second would first drop the
# first one's table, 1% more instructions charged to whichever run came second).
CG_BEFORE=
cg() {
    local mode=$1 out=$2; shift 2
    [ -z "$CG_BEFORE" ] || eval "$CG_BEFORE"
    local env=()
    if [ "$mode" = traced ]; then
        rm -rf "$W/cgtrace"; mkdir -p "$W/cgtrace"
        env=(-E "LD_PRELOAD=$LIB" -E "PHASEPROF_OUTPUT=$W/cgtrace" -E "PHASEPROF_INTERVAL_MS=$CG_INTERVAL_MS")
        while [ "$1" != "--" ]; do env+=(-E "$1"); shift; done
    fi
    shift
    "$BRUN" -t "$CG_LIMIT" "${env[@]}" -o /dev/null -e "$W/cg.log" "${STDIN_ARGS[@]}" -- \
        valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null || true
    local ir
    ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out" 2>/dev/null | head -1)
    echo "${ir:-nan}"
}
# cg_pair NAME -- CMD: instruction ratio traced/plain; keeps the traced profile as $W/NAME.cg.
cg_pair() {
    local name=$1; shift; shift
    say "$name: callgrind plain + traced: $*"
    local a b
    a=$(cg plain "$W/$name.cg.plain" -- "$@")
    b=$(cg traced "$W/$name.cg" -- "$@")
    echo "$a $b" >"$W/$name.ir"
    # Our functions (preload sources, inlined or not) by self cost in the traced run.
    if [ -s "$W/$name.cg" ]; then
        {
            echo "**$name** (\`$(basename "$1") $(echo "${*:2}" | sed "s#$W#TMPDIR#g")\`): traced $b Ir, plain $a Ir; top preload functions by self cost:"
            echo '```'
            callgrind_annotate --threshold=100 "$W/$name.cg" 2>/dev/null |
                grep -E '/preload/|libphaseprof' | head -8 |
                sed -E 's#[^ ]*/preload/##; s# \[[^]]*libphaseprof[^]]*\]##'
            echo '```'
        } >>"$CGTOP"
    fi
}
cg_ratio() { awk '{ if ($1 == "nan" || $2 == "nan" || $1 == 0) print "nan"; else print $2/$1 }' "$W/$1.ir"; }
cg_added() { awk -v n="$2" '{ if ($1 == "nan" || $2 == "nan") print "nan"; else print ($2-$1)/n }' "$W/$1.ir"; }

# WAIT_LOAD=X: wait (up to 15 minutes) until the 1-minute load average is below X.
if [ -n "${WAIT_LOAD:-}" ]; then
    for _ in $(seq 1 90); do
        awk -v l="$(load1)" -v x="$WAIT_LOAD" 'BEGIN { exit !(l < x) }' && break
        say "load average $(load1) >= $WAIT_LOAD: waiting"; sleep 10
    done
fi
LOAD_BEFORE=$(load1)
say "load average $LOAD_BEFORE; PAIRS=$PAIRS; work dir $W"
awk -v l="$LOAD_BEFORE" 'BEGIN { exit !(l > 1.0) }' &&
    say "warning: load average $LOAD_BEFORE > 1 on $(nproc) cores: wall ratios will be noisy"

CMDLINE="make bench"
[ "$PAIRS" != 10 ] && CMDLINE="PAIRS=$PAIRS bash bench/run.sh"
K=1000   # KB = 1,000 bytes in the targets (the stricter reading)

# ---------------------------------------------------------------- start-up: empty program
# Two cases, EXECS execs each way, in alternating blocks of 100:
#  - in a traced tree (what make, git and shell pipelines see): the runner itself is traced and
#    forks + execs the empty program, which inherits what the root probed (counters backend);
#  - as a child given what the root probed (PHASEPROF_COUNTERS_PROBE=sw, as a traced parent
#    hands it down) but run from the plain runner: its peak RSS is its own, while a forked
#    child's ru_maxrss also counts the pages it shared with its (traced) parent before exec;
#  - as the root of a run (`LD_PRELOAD=... prog`): the process probes everything itself;
#  - as a child again, with the trace directory in memory (tmpfs, /dev/shm): every traced process
#    creates one file, and what a new inode costs depends on the filesystem, not on us (the dev
#    VM's ext4 has taken anywhere from 0.04 to 0.9 ms of kernel time per create), so this row is
#    the preload's own part, and `creat` measures the file creation itself in the same run.
SHM=
if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
    SHM=$(mktemp -d /dev/shm/pp-bench.XXXXXX 2>/dev/null) || SHM=
fi
MODES="tree child root"; [ -z "$SHM" ] || MODES="$MODES shm"
say "start-up: $EXECS execs of an empty program each way: $MODES"
blocks=$(( (EXECS + 99) / 100 ))
for mode in $MODES; do
    : >"$W/startup.$mode"
    TD_SAVED=$TD; [ "$mode" != shm ] || TD=$SHM/trace
    for b in $(seq 1 "$blocks"); do
        rm -rf "$TD"; mkdir -p "$TD"
        for half in 1 2; do
            if [ $(( (b + half) % 2 )) = 0 ]; then
                p=$("$BRUN" -n 100 -- "$BIN/empty")
            elif [ "$mode" = tree ]; then
                "$BRUN" -E "LD_PRELOAD=$LIB" -E "PHASEPROF_OUTPUT=$TD" -o "$W/inner.out" -- \
                    "$BRUN" -n 100 -- "$BIN/empty" >/dev/null
                t=$(head -1 "$W/inner.out")
            elif [ "$mode" = child ] || [ "$mode" = shm ]; then
                t=$("$BRUN" -n 100 -E "LD_PRELOAD=$LIB" -E "PHASEPROF_OUTPUT=$TD" \
                    -E PHASEPROF_COUNTERS_PROBE=sw -- "$BIN/empty")
            else
                t=$("$BRUN" -n 100 -E "LD_PRELOAD=$LIB" -E "PHASEPROF_OUTPUT=$TD" -- "$BIN/empty")
            fi
        done
        if [ "$mode" = root ]; then
            hdr=$(find "$TD" -name '*.pptrace' -printf '%s\n' | median)
        else    # all bytes of the tree (runner included) per exec'd program
            hdr=$(calc "$(dir_bytes "$TD") / 100")
        fi
        echo "$(echo "$p" | cut -d' ' -f1,2) $(echo "$t" | cut -d' ' -f1,2) $hdr" >>"$W/startup.$mode"
    done
    rm -rf "$TD"; TD=$TD_SAVED
done
# One file created where the traces go, and in memory: the floor under the rows above.
mkdir -p "$TD"
CREAT_MS=$("$BIN/creat" "$TD" 200 | awk '{ printf "%.4f", $1 / 1000 }')
CREAT_SHM_MS=nan; [ -z "$SHM" ] || CREAT_SHM_MS=$("$BIN/creat" "$SHM" 200 | awk '{ printf "%.4f", $1 / 1000 }')
CMD_EMPTY="$B/bench/empty (x$EXECS)"
for mode in $MODES; do
    su_ms=$(awk '{p+=$1; t+=$3; n+=100} END { printf "%.4f", (t-p)/n*1000 }' "$W/startup.$mode")
    su_plain_ms=$(awk '{p+=$1; n+=100} END { printf "%.3f", p/n*1000 }' "$W/startup.$mode")
    su_rss=$(awk '{print $4-$2}' "$W/startup.$mode" | median)
    if [ "$mode" = tree ]; then
        what="in a traced process tree (fork + exec)"
        row "empty program, $what" "time added per process (ms; plain $su_plain_ms ms)" "$(fmt "$su_ms" 3)" "≤ 0.3 ms" "$(judge "$su_ms" '<=' 0.3)" "$CMD_EMPTY"
        tree_b=$(awk '{print $5}' "$W/startup.tree" | median)
        row "empty program, $what" "trace bytes per process (incl. the forked child's pre-exec trace)" "$(fmt "$tree_b" 0)" "≤ 16 KB" "$(judge "$tree_b" '<=' $((16 * K)))" "$CMD_EMPTY"
    elif [ "$mode" = child ]; then
        what="as a child (counters probe inherited)"
        row "empty program, $what" "time added per process (ms; plain $su_plain_ms ms)" "$(fmt "$su_ms" 3)" "≤ 0.3 ms" "$(judge "$su_ms" '<=' 0.3)" "$CMD_EMPTY"
        row "empty program, $what" "peak RSS added per process (KiB)" "$(fmt "$su_rss" 0)" "≤ 1024 KiB" "$(judge "$su_rss" '<=' 1024)" "$CMD_EMPTY"
    elif [ "$mode" = root ]; then
        what="as the root of a run (probes counters itself)"
        row "empty program, $what" "time added per run (ms; plain $su_plain_ms ms)" "$(fmt "$su_ms" 3)" "— (once per run)" "—" "$CMD_EMPTY"
        row "empty program, $what" "peak RSS added (KiB)" "$(fmt "$su_rss" 0)" "— (once per run)" "—" "$CMD_EMPTY"
    else
        what="as a child, trace directory on tmpfs"
        row "empty program, $what" "time added per process (ms; plain $su_plain_ms ms): the preload's own part" "$(fmt "$su_ms" 3)" "— (≤ 0.3 ms above)" "—" "PHASEPROF_OUTPUT=/dev/shm/… $CMD_EMPTY"
    fi
done
row "one file created (each traced process creates its trace)" "ms per create, where the traces go ($(findmnt -n -o FSTYPE --target "$TD" 2>/dev/null || stat -f -c %T "$TD"))" "$(fmt "$CREAT_MS" 3)" "—" "—" "$B/bench/creat TRACEDIR 200"
[ -z "$SHM" ] || row "one file created (each traced process creates its trace)" "ms per create, tmpfs" "$(fmt "$CREAT_SHM_MS" 3)" "—" "—" "$B/bench/creat /dev/shm/… 200"
HDR=$(awk '{print $5}' "$W/startup.root" | median)
row "empty program, as the root of a run" "trace bytes per process (header, module map, footer)" "$(fmt "$HDR" 0)" "≤ 16 KB" "$(judge "$HDR" '<=' $((16 * K)))" "$CMD_EMPTY"

# ---------------------------------------------------------------- allocation churn
for th in 1 4; do
    name=churn${th}t
    CMD="$B/bench/churn $CHURN_PAIRS $th"
    pairs "$name" "$PAIRS" -- "$BIN/churn" "$CHURN_PAIRS" "$th"
    r=$(ratio_med "$name")
    lim=1.10; [ "$th" = 4 ] && lim=1.15
    row "churn, $th thread$([ "$th" = 1 ] || echo s)" "wall ratio" "$(fmt "$r" 3)×" "≤ ${lim}×" "$(judge "$r" '<=' "$lim")" "$CMD"
    row "churn, $th thread$([ "$th" = 1 ] || echo s)" "wall ratio (issue 3: with byte-sampled stacks)" "$(fmt "$r" 3)×" "≤ 1.20×" "$(judge "$r" '<=' 1.20)" "$CMD"
    prss=$(col_med "$name" 2); trss=$(col_med "$name" 4)
    nthreads=$th; [ "$th" -gt 1 ] && nthreads=$((th + 1))
    lim_kib=$((4096 + 256 * nthreads))
    added=$(calc "$trss - $prss")
    row "churn, $th thread$([ "$th" = 1 ] || echo s)" "peak RSS added (KiB; plain $(fmt "$prss" 0))" "$(fmt "$added" 0)" "≤ $lim_kib KiB (4 MiB + 256 KiB × $nthreads threads)" "$(judge "$added" '<=' "$lim_kib")" "$CMD"
    tb=$(col_med "$name" 5); tw=$(col_med "$name" 3)
    bps=$(calc "($tb - $HDR) / ($th * $tw)")
    row "churn, $th thread$([ "$th" = 1 ] || echo s)" "trace bytes per thread-second (default interval; $(fmt "$tb" 0) B in $(fmt "$tw" 2) s)" "$(fmt "$(calc "$bps / $K")" 1) KB" "≤ 20 KB (≤ 32 KB with stacks)" "$(judge "$bps" '<=' $((20 * K)))" "$CMD"
    if [ "$th" = 1 ]; then
        # The recorder's own figure (FOOTER self_ns of the last traced run, CPU ns) next to the
        # wall time the pairs measured it adding (one thread: the two are comparable).
        sn=$(self_ns_of "$TD"); dm=$(diff_med "$name")
        row "churn, 1 thread" "recorder's own cost: FOOTER self_ns (last traced run) / median wall added" "$(fmt "$(calc "${sn:-nan} / 1e6")" 1) / $(fmt "$(calc "$dm * 1000")" 1) ms" "—" "—" "$CMD"
    fi
done

# Churn without stacks: what stack capture costs on top of the per-call hooks.
name=churn1t_nostacks
CMD="PHASEPROF_STACKS=0 $B/bench/churn $CHURN_PAIRS 1"
pairs "$name" "$PAIRS" PHASEPROF_STACKS=0 -- "$BIN/churn" "$CHURN_PAIRS" 1
r=$(ratio_med "$name")
row "churn, 1 thread, stacks off" "wall ratio" "$(fmt "$r" 3)×" "≤ 1.10×" "$(judge "$r" '<=' 1.10)" "$CMD"
tb=$(col_med "$name" 5); tw=$(col_med "$name" 3)
bps=$(calc "($tb - $HDR) / $tw")
row "churn, 1 thread, stacks off" "trace bytes per thread-second" "$(fmt "$(calc "$bps / $K")" 1) KB" "≤ 20 KB" "$(judge "$bps" '<=' $((20 * K)))" "$CMD"

# Every call recorded.
name=churn_all
CMD="PHASEPROF_EVENTS=all $B/bench/churn $EVENTS_ALL_PAIRS 1"
pairs "$name" "$PAIRS" PHASEPROF_EVENTS=all -- "$BIN/churn" "$EVENTS_ALL_PAIRS" 1
r=$(ratio_med "$name")
row "churn, EVENTS=all" "wall ratio" "$(fmt "$r" 3)×" "≤ 2.0×" "$(judge "$r" '<=' 2.0)" "$CMD"
tb=$(col_med "$name" 5)
nev=$("$PP" info "$TD" 2>/dev/null | sed -n 's/^ *calls: \([0-9][0-9]*\) (every call.*/\1/p' | tail -1)
[ -n "$nev" ] || nev=$((2 * EVENTS_ALL_PAIRS))
bpe=$(calc "($tb - $HDR) / $nev")
row "churn, EVENTS=all" "trace bytes per event ($nev events)" "$(fmt "$bpe" 2)" "≤ 10 B" "$(judge "$bpe" '<=' 10)" "$CMD"
# The last traced run's trace, compressed after the fact as `phaseprof record` leaves it.
z0=$(date +%s%N); "$PP" compress "$TD" >/dev/null 2>&1; z1=$(date +%s%N)
zs=$(calc "($z1 - $z0) / 1e9")
zb=$(dir_bytes "$TD")
zpe=$(calc "($zb - $HDR) / $nev")
row "churn, EVENTS=all" "trace bytes per event, compressed ($(fmt "$zb" 0) B; \`phaseprof compress\` took $(fmt "$zs" 2) s, after the run)" "$(fmt "$zpe" 2)" "≤ 4 B" "$(judge "$zpe" '<=' 4)" "$CMD; $B/phaseprof compress DIR"

# ---------------------------------------------------------------- small writes, stdio records
name=writes
CMD="$B/bench/writes $WRITE_CALLS 64 TMPDIR"
pairs "$name" "$PAIRS" -- "$BIN/writes" "$WRITE_CALLS" 64 "$W"
r=$(ratio_med "$name"); d=$(diff_med "$name")
ns=$(calc "$d * 1e9 / $WRITE_CALLS")
row "64 B write()" "wall ratio" "$(fmt "$r" 3)×" "≤ 1.10×" "$(judge "$r" '<=' 1.10)" "$CMD"
row "64 B write()" "ns added per call (plain $(fmt "$(calc "$(col_med "$name" 1) * 1e9 / $WRITE_CALLS")" 0) ns)" "$(fmt "$ns" 1)" "≤ 50 ns" "$(judge "$ns" '<=' 50)" "$CMD"
WRITES_NS=$ns

name=stdio
CMD="$B/bench/stdio $STDIO_RECORDS TMPDIR"
pairs "$name" "$PAIRS" -- "$BIN/stdio" "$STDIO_RECORDS" "$W"
r=$(ratio_med "$name"); d=$(diff_med "$name")
ns=$(calc "$d * 1e9 / $STDIO_RECORDS")
row "stdio records" "wall ratio" "$(fmt "$r" 3)×" "≤ 1.10×" "$(judge "$r" '<=' 1.10)" "$CMD"
row "stdio records" "ns added per record (plain $(fmt "$(calc "$(col_med "$name" 1) * 1e9 / $STDIO_RECORDS")" 0) ns)" "$(fmt "$ns" 1)" "≤ 50 ns" "$(judge "$ns" '<=' 50)" "$CMD"

# ---------------------------------------------------------------- compute-bound: sampling cost
name=compute
CMD="$B/bench/compute $COMPUTE_ITERS"
pairs "$name" "$PAIRS" -- "$BIN/compute" "$COMPUTE_ITERS"
r=$(ratio_med "$name")
row "compute-bound" "wall ratio (CPU sampling at the default interval)" "$(fmt "$r" 3)×" "≤ 1.02×" "$(judge "$r" '<=' 1.02)" "$CMD"
tb=$(col_med "$name" 5); tw=$(col_med "$name" 3)
bps=$(calc "($tb - $HDR) / $tw")
row "compute-bound" "trace bytes per thread-second ($(fmt "$tb" 0) B in $(fmt "$tw" 2) s)" "$(fmt "$(calc "$bps / $K")" 1) KB" "≤ 32 KB with stacks" "$(judge "$bps" '<=' $((32 * K)))" "$CMD"

# ---------------------------------------------------------------- real programs
REAL=()
if [ "$HAVE_XZ" = 1 ]; then
    seq 1 5000000 | head -c $((XZ_MB * 1000000)) >"$W/xz.in"
    head -c $((CG_XZ_MB * 1000000)) "$W/xz.in" >"$W/xz.cg.in"
    CMD="xz -T2 -3 --block-size=2MiB -c (${XZ_MB} MB of seq)"
    pairs xz "$PAIRS" -- xz -T2 -3 --block-size=2MiB -c "$W/xz.in"
    r=$(ratio_med xz)
    row "xz" "wall ratio" "$(fmt "$r" 3)×" "≤ 1.05× (geomean)" "—" "$CMD"
    REAL+=(xz)
else
    row "xz" "wall ratio" "not installed" "≤ 1.05× (geomean)" "n/a" "xz"
fi
if [ "$HAVE_SQ" = 1 ]; then
    {
        echo "PRAGMA synchronous=OFF;"
        echo "DROP TABLE IF EXISTS t;"
        echo "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);"
        for i in $(seq 1 "$SQL_INSERTS"); do echo "INSERT INTO t(name, v) VALUES('row-$i', $i * 0.5);"; done
        echo "SELECT count(*), sum(v), max(name) FROM t;"
    } >"$W/sq.sql"
    CMD="sqlite3 -batch DB < ($SQL_INSERTS autocommit inserts, synchronous=OFF)"
    STDIN_ARGS=(-i "$W/sq.sql")
    pairs sqlite "$PAIRS" -- sqlite3 -batch "$W/sq.db"
    STDIN_ARGS=()
    r=$(ratio_med sqlite)
    row "sqlite3" "wall ratio" "$(fmt "$r" 3)×" "≤ 1.05× (geomean)" "—" "$CMD"
    REAL+=(sqlite)
else
    row "sqlite3" "wall ratio" "not installed" "≤ 1.05× (geomean)" "n/a" "sqlite3"
fi
if [ "$HAVE_PY" = 1 ]; then
    CMD="$PY bench/progs/alloc_heavy.py $PY_SCALE"
    pairs python "$PAIRS" -- "$PY" "$ROOT/bench/progs/alloc_heavy.py" "$PY_SCALE"
    r=$(ratio_med python)
    row "python3" "wall ratio" "$(fmt "$r" 3)×" "≤ 1.05× (geomean)" "—" "$CMD"
    REAL+=(python)
else
    row "python3" "wall ratio" "not installed" "≤ 1.05× (geomean)" "n/a" "python3"
fi
if [ "${#REAL[@]}" -gt 0 ]; then
    g=$(for n in "${REAL[@]}"; do ratio_med "$n"; done | geomean)
    row "real programs (${REAL[*]})" "wall ratio, geometric mean" "$(fmt "$g" 3)×" "≤ 1.05×" "$(judge "$g" '<=' 1.05)" "the three rows above"
fi

# ---------------------------------------------------------------- callgrind instruction counts
if [ "$HAVE_VG" = 1 ]; then
    cg_pair cg_churn -- "$BIN/churn" "$CG_CHURN" 1
    r=$(cg_ratio cg_churn)
    row "churn, 1 thread" "instructions ratio (callgrind)" "$(fmt "$r" 3)×" "≤ 1.15×" "$(judge "$r" '<=' 1.15)" "valgrind --tool=callgrind $B/bench/churn $CG_CHURN 1"
    row "churn, 1 thread" "instructions added per malloc/free call" "$(fmt "$(cg_added cg_churn $((2 * CG_CHURN)))" 1)" "—" "—" "same"
    cg_pair cg_writes -- "$BIN/writes" "$CG_WRITES" 64 "$W"
    r=$(cg_ratio cg_writes)
    row "64 B write()" "instructions ratio (callgrind, user space)" "$(fmt "$r" 3)×" "—" "—" "valgrind --tool=callgrind $B/bench/writes $CG_WRITES 64"
    row "64 B write()" "instructions added per call" "$(fmt "$(cg_added cg_writes "$CG_WRITES")" 1)" "—" "—" "same"
    cg_pair cg_stdio -- "$BIN/stdio" "$CG_STDIO" "$W"
    r=$(cg_ratio cg_stdio)
    row "stdio records" "instructions ratio (callgrind)" "$(fmt "$r" 3)×" "—" "—" "valgrind --tool=callgrind $B/bench/stdio $CG_STDIO"
    row "stdio records" "instructions added per record" "$(fmt "$(cg_added cg_stdio "$CG_STDIO")" 1)" "—" "—" "same"
    CGREAL=()
    if [ "$HAVE_XZ" = 1 ]; then
        cg_pair cg_xz -- xz -T1 -3 --block-size=2MiB -c "$W/xz.cg.in"
        row "xz" "instructions ratio (callgrind)" "$(fmt "$(cg_ratio cg_xz)" 4)×" "≤ 1.03× (geomean)" "—" "valgrind --tool=callgrind xz -T1 -3 --block-size=2MiB -c (${CG_XZ_MB} MB)"
        CGREAL+=(cg_xz)
    fi
    if [ "$HAVE_SQ" = 1 ]; then
        STDIN_ARGS=(-i "$W/sq.sql")
        CG_BEFORE='rm -f "$W/sq.db"'
        cg_pair cg_sqlite -- sqlite3 -batch "$W/sq.db"
        CG_BEFORE=
        STDIN_ARGS=()
        row "sqlite3" "instructions ratio (callgrind)" "$(fmt "$(cg_ratio cg_sqlite)" 4)×" "≤ 1.03× (geomean)" "—" "valgrind --tool=callgrind sqlite3 -batch DB < ($SQL_INSERTS inserts)"
        CGREAL+=(cg_sqlite)
    fi
    if [ "$HAVE_PY" = 1 ]; then
        cg_pair cg_python -- "$PY" "$ROOT/bench/progs/alloc_heavy.py" "$CG_PY_SCALE"
        row "python3" "instructions ratio (callgrind)" "$(fmt "$(cg_ratio cg_python)" 4)×" "≤ 1.03× (geomean)" "—" "valgrind --tool=callgrind $PY bench/progs/alloc_heavy.py $CG_PY_SCALE"
        CGREAL+=(cg_python)
    fi
    if [ "${#CGREAL[@]}" -gt 0 ]; then
        g=$(for n in "${CGREAL[@]}"; do cg_ratio "$n"; done | geomean)
        row "real programs" "instructions ratio, geometric mean" "$(fmt "$g" 4)×" "≤ 1.03×" "$(judge "$g" '<=' 1.03)" "the rows above"
    fi
    # One stack capture: allocation samples every STACK_SAMPLE_KB with stacks on vs off.
    say "stack capture cost: callgrind churn, a sample every $STACK_SAMPLE_KB KiB, stacks on vs off"
    rm -rf "$W/stk"; mkdir -p "$W/stk"
    a=$(cg traced "$W/stk.off.cg" PHASEPROF_STACKS=0 "PHASEPROF_ALLOC_SAMPLE_KB=$STACK_SAMPLE_KB" PHASEPROF_ALLOC_SAMPLES_MAX=1000000 -- "$BIN/churn" "$STACK_PAIRS" 1)
    b=$(cg traced "$W/stk.on.cg" PHASEPROF_STACKS=1 "PHASEPROF_ALLOC_SAMPLE_KB=$STACK_SAMPLE_KB" PHASEPROF_ALLOC_SAMPLES_MAX=1000000 -- "$BIN/churn" "$STACK_PAIRS" 1)
    ns=$("$PP" info "$W/cgtrace" 2>/dev/null | sed -n 's/.*alloc: calls=.* samples=\([0-9]*\).*/\1/p' | tail -1)
    if ! { [ -n "$ns" ] && [ "$ns" -gt 0 ] 2>/dev/null; }; then
        # No count from `phaseprof info`: expect one sample per STACK_SAMPLE_KB allocated.
        ab=$("$BIN/churn" "$STACK_PAIRS" 1 | sed -n 's/.* bytes=\([0-9]*\).*/\1/p')
        ns=$(calc "${ab:-0} / ($STACK_SAMPLE_KB * 1024)"); ns="≈$(fmt "$ns" 0)"
    fi
    per=$(awk -v a="$a" -v b="$b" -v n="${ns#≈}" 'BEGIN { if (a == "nan" || b == "nan" || n + 0 <= 0) print "nan"; else print (b-a)/n }')
    row "one stack capture" "instructions per allocation stack ($ns samples)" "$(fmt "$per" 0)" "—" "—" "valgrind --tool=callgrind, PHASEPROF_ALLOC_SAMPLE_KB=$STACK_SAMPLE_KB, STACKS=1 vs 0, churn $STACK_PAIRS"
else
    row "callgrind rows" "instructions ratio" "not installed" "" "n/a" "valgrind"
fi

# ---------------------------------------------------------------- comparison: heaptrack, ltrace
if [ "$HAVE_HT" = 1 ]; then
    for th in 1 4; do
        name=ht$th
        say "heaptrack: churn $th thread(s), $HT_RUNS pair(s)"
        : >"$W/$name.pairs"
        for i in $(seq 1 "$HT_RUNS"); do
            p=$("$BRUN" -o /dev/null -- "$BIN/churn" "$CHURN_PAIRS" "$th")
            rm -f "$W/ht.out"*
            h=$("$BRUN" -t 300 -o /dev/null -e "$W/ht.log" -- heaptrack -o "$W/ht.out" "$BIN/churn" "$CHURN_PAIRS" "$th")
            hb=$(find "$W" -maxdepth 1 -name 'ht.out*' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
            echo "$(echo "$p" | cut -d' ' -f1,2) $(echo "$h" | cut -d' ' -f1,2) $hb" >>"$W/$name.pairs"
        done
        CMD="heaptrack -o FILE $B/bench/churn $CHURN_PAIRS $th"
        r=$(ratio_med "$name")
        rr=$(awk '$2 > 0 {print $4/$2}' "$W/$name.pairs" | median)
        bpa=$(calc "$(col_med "$name" 5) / $CHURN_PAIRS")
        row "heaptrack: churn, $th thread$([ "$th" = 1 ] || echo s)" "wall ratio" "$(fmt "$r" 2)×" "(comparison)" "—" "$CMD"
        row "heaptrack: churn, $th thread$([ "$th" = 1 ] || echo s)" "peak RSS ratio (largest process)" "$(fmt "$rr" 1)×" "(comparison)" "—" "$CMD"
        row "heaptrack: churn, $th thread$([ "$th" = 1 ] || echo s)" "output bytes per allocation (compressed)" "$(fmt "$bpa" 2)" "(comparison)" "—" "$CMD"
    done
    # Ours, for the same comparison: peak RSS ratio.
    for th in 1 4; do
        rr=$(awk '$2 > 0 {print $4/$2}' "$W/churn${th}t.pairs" | median)
        row "phaseprof: churn, $th thread$([ "$th" = 1 ] || echo s)" "peak RSS ratio" "$(fmt "$rr" 2)×" "(comparison)" "—" "$B/bench/churn $CHURN_PAIRS $th"
    done
else
    row "heaptrack" "churn" "not installed" "(comparison)" "n/a" "heaptrack"
fi
if [ "$HAVE_LT" = 1 ]; then
    say "ltrace -c: $LTRACE_CALLS writes (timeout ${LTRACE_TIMEOUT}s)"
    p=$("$BRUN" -o /dev/null -- "$BIN/writes" "$LTRACE_CALLS" 64 "$W")
    l=$("$BRUN" -o /dev/null -e "$W/lt.log" -- timeout "$LTRACE_TIMEOUT" ltrace -c -o "$W/lt.out" "$BIN/writes" "$LTRACE_CALLS" 64 "$W")
    CMD="timeout $LTRACE_TIMEOUT ltrace -c $B/bench/writes $LTRACE_CALLS 64"
    if [ "$(echo "$l" | cut -d' ' -f3)" = 0 ]; then
        pw=$(echo "$p" | cut -d' ' -f1); lw=$(echo "$l" | cut -d' ' -f1)
        row "ltrace -c: 64 B write()" "wall ratio ($LTRACE_CALLS calls)" "$(fmt "$(calc "$lw / $pw")" 0)×" "(comparison)" "—" "$CMD"
        row "ltrace -c: 64 B write()" "µs added per call (phaseprof: $(fmt "$WRITES_NS" 1) ns)" "$(fmt "$(calc "($lw - $pw) * 1e6 / $LTRACE_CALLS")" 1)" "(comparison)" "—" "$CMD"
    else
        row "ltrace -c: 64 B write()" "wall ratio" "did not finish (status $(echo "$l" | cut -d' ' -f3))" "(comparison)" "—" "$CMD"
    fi
else
    row "ltrace" "small writes" "not installed" "(comparison)" "n/a" "ltrace"
fi

# ---------------------------------------------------------------- RESULTS.md
LOAD_AFTER=$(load1)
ELAPSED=$(( $(date +%s) - T_START ))
COMMIT=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain -- preload include 2>/dev/null | head -1)
[ -n "$DIRTY" ] && COMMIT="$COMMIT (preload/ or include/ had uncommitted changes)"
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
GEN=$W/gen.md
{
    echo "<!-- bench:begin (generated by bench/run.sh; edits here are overwritten) -->"
    echo "## Results"
    echo
    echo "- Command: \`$CMDLINE\` (PAIRS=$PAIRS alternating pairs per wall ratio; heaptrack $HT_RUNS pair(s))"
    echo "- Machine: $(nproc) CPUs, $CPU, kernel $(uname -r)"
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $COMMIT; libphaseprof.so sha256 $LIB_SHA…"
    echo "- Load average (1 min): $LOAD_BEFORE at start, $LOAD_AFTER at end; the run took $((ELAPSED / 60)) min $((ELAPSED % 60)) s"
    echo "- Busiest other processes at the end: $(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 >= 20 { printf "%s%s (%s%% CPU)", sep, $2, $1; sep = ", " }' | head -c 300)"
    echo "- Niceness of the bench: $(nice) (plain and traced runs alike)"
    echo
    misses=$(awk -F'\t' '$5 ~ /miss/' "$ROWS" | wc -l)
    passes=$(awk -F'\t' '$5 == "pass"' "$ROWS" | wc -l)
    echo "**$passes targets met, $misses missed.**"
    if [ "$misses" -gt 0 ]; then
        echo
        echo "Missed:"
        awk -F'\t' '$5 ~ /miss/ { printf "- %s: %s = %s (target %s)\n", $1, $2, $3, $4 }' "$ROWS"
    fi
    echo
    echo "| workload | metric | value | target | verdict | command |"
    echo "|---|---|---|---|---|---|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | `%s` |\n", $1, $2, $3, $4, $5, $6 }' "$ROWS"
    echo
    if [ -s "$NOTES" ]; then echo "### Problems seen"; echo; cat "$NOTES"; echo; fi
    if [ -s "$CGTOP" ]; then
        echo "### Where the traced instructions go (callgrind, self cost)"
        echo
        cat "$CGTOP"
        echo
    fi
    echo "<!-- bench:end -->"
} >"$GEN"
if [ -f "$RESULTS" ] && grep -q '<!-- bench:begin' "$RESULTS" && grep -q '<!-- bench:end' "$RESULTS"; then
    awk -v gen="$GEN" '
        /<!-- bench:begin/ { while ((getline l < gen) > 0) print l; skip = 1; next }
        /<!-- bench:end/ { skip = 0; next }
        !skip { print }' "$RESULTS" >"$W/results.new" && cat "$W/results.new" >"$RESULTS"
else
    { echo "# phaseprof benchmark results"; echo; cat "$GEN"; } >"$RESULTS"
fi
# Raw figures stay in the build dir for a closer look (callgrind_annotate on the .cg files).
rm -rf "$BIN/last-run"; mkdir -p "$BIN/last-run"
cp "$W"/*.pairs "$W"/*.ir "$W"/startup.* "$ROWS" "$BIN/last-run/" 2>/dev/null
for f in "$W"/*.cg "$W"/*.cg.plain; do [ -f "$f" ] && cp "$f" "$BIN/last-run/"; done
say "done in ${ELAPSED}s: $RESULTS (raw figures in $BIN/last-run)"
awk -F'\t' '{ printf "%-28s %-60s %-14s %-24s %s\n", $1, $2, $3, $4, $5 }' "$ROWS" >&2
