#!/usr/bin/env bash
# The HTML report of a long, wide run stays light: a synthetic 1-hour, 65-thread trace
# (tests/unit/test_report_html.c writes it and its page) gives a page under 5 MB that headless
# Chromium loads with no console message, its script done within a generous bound for a loaded
# 2-core machine (the time is printed).
source "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
gen="$B/tests/test_report_html"
[ -x "$gen" ] || { fail html_big.generator "$gen not built (make unit)"; exit 0; }
command -v chromium >/dev/null || { fail html_big.tools "chromium missing (bash .ci/deps.sh)"; exit 0; }
"$gen" --write "$T/big" >"$T/gen.out" 2>&1 || { fail html_big.generated "$(grep -v '^PASS' "$T/gen.out" | head -5)"; exit 0; }
grep -v '^PASS' "$T/gen.out"
size=$(stat -c %s "$T/big/big.html")
[ "$size" -lt 5000000 ] && pass html_big.size || fail html_big.size "$size bytes"
prof=$(mktemp -d "$T/chrome.XXXXXX")
t0=$(date +%s%N)
timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
    --user-data-dir="$prof" --enable-logging=stderr --v=0 --dump-dom "file://$T/big/big.html" >"$T/dom" 2>"$T/log"
t1=$(date +%s%N)
if grep -aq CONSOLE "$T/log"; then fail html_big.console "$(grep -a CONSOLE "$T/log" | head -3)"; else pass html_big.console; fi
ms=$(grep -o 'data-ready-ms="[0-9]*"' "$T/dom" | grep -o '[0-9]*')
echo "page: $((size / 1024)) KiB; script done ${ms:-?} ms after navigation; chromium run $(((t1 - t0) / 1000000)) ms in all"
# 20 s: far above the ~1 s it takes, so a busy machine does not fail it; a page that drew
# every window and every stack node would take minutes.
[ -n "$ms" ] && [ "$ms" -lt 20000 ] && pass html_big.loads_fast || fail html_big.loads_fast "script done at ${ms:-never} ms"
