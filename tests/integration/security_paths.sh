#!/usr/bin/env bash
# Trace files are created with the user's umask, and only directly in the chosen directory:
# nothing the program controls (argv[0], its executable's name) nor the host name can steer the
# file name out of it.  Names are HOST-PID-NS.pptrace with HOST reduced to [A-Za-z0-9._-].
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib security_paths
cd "$T" || exit 1
namere='^[A-Za-z0-9._-]+-[0-9]+-[0-9]+\.pptrace$'

# 1. umask: the directory the preload creates and the file get 0777 / 0666 less the umask.
for m in 022 027 077; do
    d="$T/um$m/sub"
    ( umask $m; LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$d" "$(type -P true)" )
    f=$(ls "$d"/*.pptrace 2>/dev/null | head -n 1)
    want_f=$(printf '%o' $((0666 & ~8#$m))); want_d=$(printf '%o' $((0777 & ~8#$m)))
    got_f=$(stat -c %a "$f" 2>/dev/null); got_d=$(stat -c %a "$d"); got_p=$(stat -c %a "$T/um$m")
    if [ "$got_f" = "$want_f" ] && [ "$got_d" = "$want_d" ] && [ "$got_p" = "$want_d" ]; then pass "paths.umask_$m"
    else fail "paths.umask_$m" "file $got_f dir $got_d parent $got_p, want $want_f and $want_d"; fi
done

# only_in NAME DIR: every trace under $T/NAME's tree sits directly in DIR, with a plain name.
only_in() {
    local n=$1 d=$2 bad=0 f
    local total; total=$(find "$T" -name '*.pptrace' -newer "$T/stamp" | wc -l)
    local inside; inside=$(find "$d" -maxdepth 1 -name '*.pptrace' -newer "$T/stamp" | wc -l)
    while IFS= read -r f; do
        basename "$f" | grep -Eq "$namere" || { bad=1; echo "    odd name: $f"; }
    done < <(find "$d" -maxdepth 1 -name '*.pptrace')
    # (the runs start deep inside $T, so an escape by ../ would still land under $T; the rest
    # of the machine is not scanned: other users' traces come and go there)
    if [ "$total" -ge 1 ] && [ "$total" = "$inside" ] && [ $bad -eq 0 ]; then pass "$n"
    else fail "$n" "$inside of $total new traces in $d (names checked: bad=$bad)"; fi
}

# 2. argv[0] and the executable's name: a hostile argv[0] and a copy of a program whose file
#    name holds spaces, a newline, a star and dots (bash, traced too, execs it: 2 traces).
mkdir -p "$T/a/b/c/d/e"
odd=$'x y\n..*'
cp "$PROGS/fault_rate" "$T/a/$odd"
touch "$T/stamp"; sleep 0.01
( cd "$T/a/b/c/d/e" && LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$T/out1" bash -c 'exec -a "../../../escape" "$0" 0.1 0' "$T/a/$odd" >/dev/null )
only_in paths.argv0_and_exe_name "$T/out1"
trace_check paths.argv0_recorded "$T/out1" --traces 2 --complete --argv-has ../../../escape

# 3. A hostile host name ("../../evil", in a private UTS namespace): it is reduced to
#    ".._.._evil", so the file still lands in the chosen directory.
if unshare -u true 2>/dev/null; then
    touch "$T/stamp"; sleep 0.01
    # hostname(1) refuses a slash; the kernel takes any bytes
    unshare -u sh -c 'printf ../../evil >/proc/sys/kernel/hostname && exec env LD_PRELOAD="$0" PHASEPROF_OUTPUT="$1" true' "$LIB" "$T/out2/x"
    only_in paths.host_name "$T/out2/x"
    if ls -A "$T/out2/x" | grep -q "^\.\._\.\._evil-"; then pass paths.host_name_reduced
    else fail paths.host_name_reduced "$(ls -A "$T/out2/x")"; fi
    # The name now starts with a dot: the analyzer must still find the file in the directory.
    check paths.host_name_dotfile_read bash -c '"$0" info "$1" | grep -q "^process .*/true$"' "$PP" "$T/out2/x"
else
    echo "note: no private UTS namespace here (unshare -u): the host name case is not run"
fi
