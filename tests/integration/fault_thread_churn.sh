#!/usr/bin/env bash
# 64 threads created and joined in a loop (default 12 s; PP_CHURN_SECS=60 for the long manual
# run documented in docs/reliability.md).  Per-thread state must not leak: after a warm-up
# quarter the traced program's resident set grows by no more than max(512 KiB, 64 bytes per
# thread created) and its descriptor count never changes; every thread gets its start record
# and the thread table never fills (slots are reused).
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib fault_thread_churn
cd "$T" || exit 1
secs=${PP_CHURN_SECS:-12}
LIMIT=$((secs * 3 + 60))

d="$T/churn"
same_run_limited thread_churn.same_output "$d" "$PROGS/fault_thread_churn" "$secs" "$T/churn.log"
# The plain run wrote the same log name first; the traced run overwrote it.
rounds=$(wc -l <"$T/churn.log")
read -r verdict detail < <(awk -v n="$rounds" '
    { rss[NR] = $2; fds[NR] = $3 }
    END {
        w = int(n / 4); if (w < 2) w = 2
        fmin = fds[1]; fmax = fds[1]
        for (i = 1; i <= n; i++) { if (fds[i] < fmin) fmin = fds[i]; if (fds[i] > fmax) fmax = fds[i] }
        grow = rss[n] - rss[w]; threads = (n - w) * 64
        allow = 512; if (threads * 64 / 1024 > allow) allow = threads * 64 / 1024
        ok = (fmin == fmax && grow <= allow && n >= 10)
        printf "%s rounds=%d rss_kb=%d..%d growth_kb=%d allowed_kb=%d fds=%d..%d\n", ok ? "ok" : "bad", n, rss[w], rss[n], grow, allow, fmin, fmax
    }' "$T/churn.log")
if [ "$verdict" = ok ]; then pass thread_churn.no_leak; echo "    $detail"
else fail thread_churn.no_leak "$detail"; fi
trace_check thread_churn.trace "$d" --traces 1 --complete --no-foot-flag THREADS_FULL \
    --min-kind THREAD_START=$((rounds * 64)) --min-kind THREAD_END=$((rounds * 64))
