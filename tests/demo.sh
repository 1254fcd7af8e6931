#!/usr/bin/env bash
# `make demo`: records the bundled demo program (tests/progs/demo.c) with `phaseprof record`,
# then shows what phaseprof makes of it: the terminal summary, and the HTML report (one
# self-contained file to open in any browser).  Output in build/demo/.
set -u
B=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
out="$B/demo"
rm -rf "$out" && mkdir -p "$out" || exit 1
echo "== phaseprof record -o $out/data -- $B/progs/demo $out"
"$B/phaseprof" record -o "$out/data" -- "$B/progs/demo" "$out" || exit 1
echo
echo "== phaseprof info $out/data"
"$B/phaseprof" info "$out/data" | head -n 40
echo
echo "== phaseprof report $out/data"
"$B/phaseprof" report "$out/data" || exit 1
echo
echo "== phaseprof report $out/data --html $out/report.html"
"$B/phaseprof" report "$out/data" --html "$out/report.html" 2>/dev/null || exit 1
html=$(cd "$out" && pwd)/report.html
echo
echo "HTML report: $html"
echo "  open it in a browser (file://$html); it needs no network."
