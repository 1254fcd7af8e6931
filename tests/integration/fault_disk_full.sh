#!/usr/bin/env bash
# The trace directory fills up (a real 64 KiB tmpfs in a private mount namespace, so the write
# fails with ENOSPC; process_full_disk.sh covers EFBIG from RLIMIT_FSIZE), or cannot be created
# at all (a file stands where a directory of the path must be).  Either way tracing stops with
# exactly one "phaseprof[PID]:" line on stderr and the program's stdout, the rest of its stderr
# and its exit status do not change.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fault_disk_full
cd "$T" || exit 1

# compare NAME: plain.{out,err,rc} against pp.{out,err,rc}, allowing exactly one phaseprof line.
compare() {
    local n=$1
    if [ "$(cat "$T/plain.rc")" = "$(cat "$T/pp.rc")" ]; then pass "$n.status"
    else fail "$n.status" "exit status $(cat "$T/plain.rc") plain, $(cat "$T/pp.rc") traced"; fi
    if cmp -s "$T/plain.out" "$T/pp.out"; then pass "$n.stdout"; else fail "$n.stdout" "stdout differs"; fi
    grep -Ev '^phaseprof\[[0-9]+\]: ' "$T/pp.err" >"$T/pp.err.rest"
    local k; k=$(grep -Ec '^phaseprof\[[0-9]+\]: ' "$T/pp.err")
    if cmp -s "$T/plain.err" "$T/pp.err.rest" && [ "$k" -eq 1 ]; then pass "$n.one_line"
    else fail "$n.one_line" "$k phaseprof lines (want 1), stderr: $(head -c 300 "$T/pp.err")"; fi
}

# 1. ENOSPC on a full tmpfs: 2 s of every call recorded is far more than 64 KiB.
if unshare -m true 2>/dev/null; then
    mkdir -p "$T/mnt"
    cat >"$T/inns.sh" <<SH
mount -t tmpfs -o size=64k tmpfs "$T/mnt" || exit 99
"\$@" >"$T/pp.out" 2>"$T/pp.err" </dev/null; echo \$? >"$T/pp.rc"
cat "$T"/mnt/tr/*.pptrace >"$T/trace.copy" 2>/dev/null
df -k "$T/mnt" | tail -n 1 >"$T/df.txt"
SH
    "$PROGS/fault_rate" 2 0 >"$T/plain.out" 2>"$T/plain.err" </dev/null; echo $? >"$T/plain.rc"
    unshare -m bash "$T/inns.sh" timeout -s KILL 60 env LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$T/mnt/tr" \
        PHASEPROF_EVENTS=all "$PROGS/fault_rate" 2 0
    if [ -f "$T/pp.rc" ]; then
        compare disk_full.tmpfs
        echo "    tmpfs: $(cat "$T/pp.err") (df: $(cat "$T/df.txt"))"
        if grep -q 'no space\|disk\|full\|stopped' "$T/pp.err"; then pass disk_full.tmpfs.says_why
        else fail disk_full.tmpfs.says_why "$(head -c 200 "$T/pp.err")"; fi
        mkdir -p "$T/copy" && mv "$T/trace.copy" "$T/copy/t.pptrace"
        trace_check disk_full.tmpfs.trace_readable "$T/copy" --traces 1 --readable --min-kind HEADER=1
    else
        fail disk_full.tmpfs "could not mount a tmpfs in a private mount namespace"
    fi
else
    echo "note: no private mount namespace here (unshare -m): the tmpfs case is not run"
fi

# 2. The directory cannot be created: tracing off, one line.
: >"$T/afile"
"$PROGS/fault_rate" 1 0 >"$T/plain.out" 2>"$T/plain.err" </dev/null; echo $? >"$T/plain.rc"
timeout -s KILL 60 env LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$T/afile/sub" "$PROGS/fault_rate" 1 0 \
    >"$T/pp.out" 2>"$T/pp.err" </dev/null; echo $? >"$T/pp.rc"
compare disk_full.no_directory
