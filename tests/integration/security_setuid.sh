#!/usr/bin/env bash
# Setuid and setgid programs are never traced by the preload itself (AT_SECURE), even when the
# loader does load it: in secure-execution mode ld.so ignores LD_PRELOAD paths with a slash and
# loads only set-user-ID libraries from its system directories, so the test puts a setuid copy
# of the library there for the length of the test.  The programs are copies of sleep owned by
# `nobody` (setuid) and group `nogroup` (setgid): run by root, their effective ids differ from
# the real ones, which is what makes the kernel set AT_SECURE.  A plain copy is the control: the
# same library, loaded the same way, traces it.  `phaseprof record` refuses such programs with a
# message (record_cli.sh).  Without root, only the library's use of getauxval is checked.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib security_setuid
cd "$T" || exit 1

if nm -D --undefined-only "$LIB" | grep -qw getauxval; then pass setuid.preload_checks_at_secure
else fail setuid.preload_checks_at_secure "libphaseprof.so does not call getauxval (the AT_SECURE check)"; fi

sysdir=$(dirname "$(ldconfig -p | sed -n 's/.*libc\.so\.6 (libc6,x86-64) => //p' | head -n 1)")
if [ "$(id -u)" -ne 0 ] || [ ! -d "$sysdir" ] || ! getent group nogroup >/dev/null; then
    echo "note: not root (or no system library directory / nogroup): setuid runs skipped"
    exit 0
fi
name="libphaseprof-sectest-$$-$RANDOM.so"
trap 'rm -f "$sysdir/$name"; rm -rf "$T"' EXIT
cp "$LIB" "$sysdir/$name" && chmod 4755 "$sysdir/$name" || { fail setuid.setup "cannot install $sysdir/$name"; exit 1; }
chmod 755 "$T"
for kind in plain suid sgid; do
    cp "$(command -v sleep)" "$T/${kind}_sleep"
    mkdir -m 777 "$T/out_$kind"
done
chown nobody "$T/suid_sleep" && chmod u+s "$T/suid_sleep"
chgrp nogroup "$T/sgid_sleep" && chmod g+s "$T/sgid_sleep"

# run KIND: runs the copy for 2 s with the library preloaded by name; prints
# "<status> <library mapped: 0/1> <trace files> <stderr bytes>".
run() {
    local k=$1
    LD_PRELOAD="$name" PHASEPROF_OUTPUT="$T/out_$k" "$T/${k}_sleep" 2 2>"$T/$k.err" &
    local pid=$! mapped=0 i
    for i in $(seq 1 30); do
        grep -q "$name" "/proc/$pid/maps" 2>/dev/null && { mapped=1; break; }
        sleep 0.05
    done
    wait "$pid"; local rc=$?
    echo "$rc $mapped $(find "$T/out_$k" -name '*.pptrace' | wc -l) $(wc -c <"$T/$k.err")"
}
r=$(run plain)
if [ "$r" = "0 1 1 0" ]; then pass setuid.control_traced
else fail setuid.control_traced "status, mapped, traces, stderr bytes: $r (want 0 1 1 0)"; fi
for k in suid sgid; do
    r=$(run $k)
    if [ "$r" = "0 1 0 0" ]; then pass "setuid.${k}_not_traced"
    else fail "setuid.${k}_not_traced" "status, mapped, traces, stderr bytes: $r (want 0 1 0 0: loaded, silent, no trace)"; fi
done
