#!/usr/bin/env bash
# `phaseprof report --html`: the page is well formed, loads in headless Chromium with no console
# message (a JS error or a CSP violation fails the test), its script runs to the end, the phase
# table and recommendations are there, and text from the trace cannot become markup (a file and
# an argv[0] named like HTML show as text).  The size cap on a long run is html_big.sh's.
source "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1

# HTML5 and SVG elements libxml2's HTML 4 parser does not know: its only complaint allowed.
KNOWN_TAGS='main|section|header|footer|nav|svg|g|rect|line|polyline|path|text|title|details|summary'
# html_parses NAME FILE: strict XML well-formedness, then the HTML parser with nothing but the
# unknown-tag notices above.
html_parses() {
    if ! xmllint --noout "$2" 2>"$T/xml.err"; then fail "$1" "not well formed: $(head -3 "$T/xml.err")"; return 1; fi
    # --memory: libxml2 2.9.14's HTML parser, reading a file in chunks, misreads an attribute value
    # that straddles a chunk ("error parsing attribute name" on a well-formed report; the same
    # file with a 7-byte comment added at the top parses clean): the whole file at once.
    xmllint --html --memory --noout "$2" 2>"$T/html.err"
    if grep 'error' "$T/html.err" | grep -Ev "Tag ($KNOWN_TAGS) invalid" | grep -q .; then
        # the line the parser stopped at: the file is gone with the test's directory
        local at
        at=$(grep 'error' "$T/html.err" | grep -Ev "Tag ($KNOWN_TAGS) invalid" | head -1 | sed -n 's/^[^:]*:\([0-9]*\):.*/\1/p')
        fail "$1" "$(grep 'error' "$T/html.err" | grep -Ev "Tag ($KNOWN_TAGS) invalid" | head -3) [line ${at:-?}: $(sed -n "${at:-0}p" "$2" 2>/dev/null | cut -c1-600)]"; return 1
    fi
    pass "$1"
}
# chrome FILE OUTPREFIX [noshot]: dumps the DOM after the script ran (OUTPREFIX.dom), a
# screenshot (OUTPREFIX.png, unless noshot) and the console (OUTPREFIX.console: lines Chromium
# logs as CONSOLE).
chrome() {
    local prof
    prof=$(mktemp -d "$T/chrome.XXXXXX")
    local args=(--headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run
                --user-data-dir="$prof" --enable-logging=stderr --v=0 --virtual-time-budget=5000)
    timeout 120 chromium "${args[@]}" --dump-dom "file://$1" >"$2.dom" 2>"$2.log"
    [ "${3:-}" = noshot ] || timeout 120 chromium "${args[@]}" --screenshot="$2.png" --window-size=1400,2000 "file://$1" >/dev/null 2>>"$2.log"
    grep -a 'CONSOLE' "$2.log" >"$2.console"
    rm -rf "$prof"
}
# loads_clean NAME PREFIX: no console message, the script finished, a screenshot was taken.
loads_clean() {
    if [ -s "$2.console" ]; then fail "$1" "console: $(head -3 "$2.console")"; return 1; fi
    if ! grep -q 'data-ready="1"' "$2.dom"; then fail "$1" "the page's script did not run to the end"; return 1; fi
    if [ ! -s "$2.png" ] || [ "$(stat -c %s "$2.png")" -lt 20000 ]; then fail "$1" "no screenshot"; return 1; fi
    pass "$1"
}

command -v xmllint >/dev/null && command -v chromium >/dev/null || { fail html.tools "xmllint or chromium missing (bash .ci/deps.sh)"; exit 0; }

# ---- the demo: four phases, I/O, allocation, computing ----
"$PP" record -o "$T/demo" -- "$PROGS/demo" "$T" >/dev/null 2>"$T/rec.err" || { fail html.record "$(cat "$T/rec.err")"; exit 0; }
if "$PP" report "$T/demo" --html "$T/demo.html" >"$T/out" 2>&1 && [ -s "$T/demo.html" ]; then pass html.written
else fail html.written "$(head -5 "$T/out")"; exit 0; fi
html_parses html.demo_parses "$T/demo.html"
chrome "$T/demo.html" "$T/demo"
loads_clean html.demo_loads_clean "$T/demo"
# a page that throws must be caught by the same check (the check itself works)
sed "s/'use strict';/'use strict'; null.boom();/" "$T/demo.html" >"$T/broken.html"
chrome "$T/broken.html" "$T/broken" noshot
grep -q 'Uncaught' "$T/broken.console" && pass html.console_check_catches_errors \
    || fail html.console_check_catches_errors "a script error did not show in Chromium's log"
# interaction: a script of ours (same nonce) clicks a flame frame (it must fill the width), clicks
# the ancestor bar (back to the top), and moves the mouse over the timeline (a tooltip with the
# time and the phase there)
cat >"$T/interact.js" <<'JS'
window.addEventListener('load', function () {
  var out = [], fl = document.querySelector('div.flame'), bars = fl.querySelectorAll('.fr'), target = null;
  for (var i = 0; i < bars.length; i++) if (parseFloat(bars[i].style.width) < 99) { target = bars[i]; break; }
  if (target) {
    var name = target.textContent;
    target.click();
    var z = fl.querySelectorAll('.fr:not(.anc)');
    out.push('zoom=' + (z[0].textContent === name && parseFloat(z[0].style.width) > 99.9 && fl.querySelectorAll('.fr.anc').length > 0));
    fl.querySelector('.fr.anc').click();
    out.push('unzoom=' + (fl.querySelectorAll('.fr.anc').length === 0));
  } else out.push('zoom=noframe');
  var svg = document.querySelector('svg.tl[data-axis]'), r = svg.getBoundingClientRect();
  svg.dispatchEvent(new MouseEvent('mousemove', { clientX: r.left + r.width * 0.6, clientY: r.top + 60, bubbles: true }));
  var tip = document.getElementById('tip');
  out.push('tip=' + (tip.style.display === 'block' && /t = [0-9.]+ s/.test(tip.textContent) && /phase #[0-9]+/.test(tip.textContent)));
  document.documentElement.setAttribute('data-test', out.join(' '));
});
JS
# with_script PAGE JS OUT: the page with one more script of ours (the page's own nonce)
with_script() {
    local nonce
    nonce=$(grep -o 'nonce="[0-9a-f]*"' "$1" | head -1)
    python3 - "$1" "$2" "$nonce" "$3" <<'PY'
import sys
page, js, nonce, out = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3], sys.argv[4]
open(out, "w").write(page.replace("</body>", "<script %s>%s</script></body>" % (nonce, js)))
PY
}
with_script "$T/demo.html" "$T/interact.js" "$T/interact.html"
chrome "$T/interact.html" "$T/interact" noshot
grep -q 'data-test="zoom=true unzoom=true tip=true"' "$T/interact.dom" && pass html.flame_zoom_and_hover \
    || fail html.flame_zoom_and_hover "$(grep -o 'data-test="[^"]*"' "$T/interact.dom") $(head -2 "$T/interact.console")"
rows=$(grep -o '<tr class="ph">' "$T/demo.dom" | wc -l)
[ "$rows" -ge 3 ] && pass html.phase_rows || fail html.phase_rows "$rows phase rows in the table (the demo has 4 phases)"
grep -q 'class="fr' "$T/demo.dom" && pass html.flame_drawn || fail html.flame_drawn "no flame graph frame in the DOM"
grep -q '<svg class="tl"' "$T/demo.dom" && grep -q '<polyline class="m-cpu"' "$T/demo.dom" && pass html.timeline \
    || fail html.timeline "no timeline"
grep -q 'id="advice"' "$T/demo.dom" && grep -q 'class="rec"' "$T/demo.dom" && pass html.recommendations \
    || fail html.recommendations "no recommendation for the demo (its save phase writes 64-byte records unbuffered)"
grep -q 'demo-input.bin' "$T/demo.dom" && pass html.io_by_file || fail html.io_by_file "the demo's input file is not in the page"

# ---- an incomplete record is flagged where it is seen first ----
mkdir -p "$T/cut"
f=$(ls "$T/demo"/*.pptrace | head -1)
head -c $(( $(stat -c %s "$f") - 100 )) "$f" >"$T/cut/cut.pptrace"
"$PP" report "$T/cut" --html "$T/cut.html" >/dev/null 2>&1
grep -q 'id="incomplete"' "$T/cut.html" && grep -q 'truncated' "$T/cut.html" && pass html.truncated_flagged \
    || fail html.truncated_flagged "a cut trace is not flagged"
grep -q 'id="incomplete"' "$T/demo.html" && fail html.complete_not_flagged "a complete run is flagged" || pass html.complete_not_flagged

# ---- injection: a file and an argv[0] named like markup; a forked child and an exec ----
name='<img src=x onerror=alert(1)>'
mkdir -p "$T/inj"
"$PP" record -o "$T/injd" -- bash -c 'python3 -c pass; exec -a "<script>alert(2)</script>" python3 -c "
import sys
with open(sys.argv[1], \"w\") as f:
    for i in range(2000): f.write(\"x\" * 4096); f.flush()
" "$0/$1"' "$T/inj" "$name" >/dev/null 2>"$T/rec2.err" || { fail html.inj_record "$(cat "$T/rec2.err")"; exit 0; }
[ -f "$T/inj/$name" ] || { fail html.inj_record "the program did not create its file"; exit 0; }
"$PP" report "$T/injd" --html "$T/inj.html" >"$T/out" 2>&1 || { fail html.inj_written "$(head -3 "$T/out")"; exit 0; }
html_parses html.inj_parses "$T/inj.html"
chrome "$T/inj.html" "$T/inj"
loads_clean html.inj_loads_clean "$T/inj"
# the names are in the page, as text; no element came out of them
if grep -qF '&lt;img src=x onerror=alert(1)&gt;' "$T/inj.dom" && grep -qF '&lt;script&gt;alert(2)&lt;/script&gt;' "$T/inj.dom"; then
    pass html.inj_shown_as_text
else fail html.inj_shown_as_text "the injected names are not shown"; fi
if grep -q '<img' "$T/inj.dom" || grep -q '<script>alert' "$T/inj.dom" || grep -qi 'onerror="' "$T/inj.dom"; then
    fail html.inj_no_element "an element was made from trace text"
else pass html.inj_no_element; fi
# script data cannot close its element: one </script> per <script
opened=$(grep -o '<script' "$T/inj.html" | wc -l); closed=$(grep -o '</script' "$T/inj.html" | wc -l)
[ "$opened" -eq "$closed" ] && pass html.script_data_escaped || fail html.script_data_escaped "$opened <script, $closed </script"
# hover on a multi-process page: a process row of the overview, then a process's timeline; any
# error in the handlers would show in the console
cat >"$T/hover.js" <<'JS'
window.addEventListener('load', function () {
  var out = [], tip = document.getElementById('tip');
  var row = document.querySelector('svg.gantt rect[data-tip]');
  var gr = row.getBoundingClientRect();
  row.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: gr.left + 1, clientY: gr.top + 1 }));
  row.dispatchEvent(new MouseEvent('mouseover', { bubbles: true, clientX: gr.left + 1, clientY: gr.top + 1 }));
  out.push('row=' + (tip.style.display === 'block' && tip.textContent === row.getAttribute('data-tip')));
  var svg = document.querySelector('svg.tl[data-axis]'), r = svg.getBoundingClientRect();
  svg.dispatchEvent(new MouseEvent('mousemove', { clientX: r.left + r.width * 0.3, clientY: r.top + 60, bubbles: true }));
  out.push('tip=' + /t = [0-9.]+ s/.test(tip.textContent));
  document.documentElement.setAttribute('data-test', out.join(' '));
});
JS
with_script "$T/inj.html" "$T/hover.js" "$T/hover.html"
chrome "$T/hover.html" "$T/hover" noshot
grep -q 'data-test="row=true tip=true"' "$T/hover.dom" && [ ! -s "$T/hover.console" ] && pass html.multiprocess_hover \
    || fail html.multiprocess_hover "$(grep -o 'data-test="[^"]*"' "$T/hover.dom") $(head -2 "$T/hover.console")"
# the process tree: bash with its python3 child nested under it, and bash's exec into python3
# shown as one process with two images
python3 - "$T/inj.dom" <<'PY' && pass html.process_tree || fail html.process_tree "see above"
import re, sys
d = open(sys.argv[1]).read()
tree = d[d.index('<ul class="tree">'):]
tree = tree[:tree.index('</ul>\n')]
n = tree.count("<li>")
assert n >= 2, "%d processes in the tree, expected bash and its child" % n
assert "<ul>" in tree, "no nesting in the process tree"
root = tree[:tree.index("<ul>", 5)]
assert "\u2192" in root and "images (exec)" in root, "the exec chain is not on the root process: " + root
PY
