#!/bin/bash
# The HTML report opened in headless Chromium (Debian chromium), as a person
# would open it: a healthy lab run, a failing one (um_no_media: findings
# first) and a certificate check. For each page: no console errors, the
# verdict and target text, every chart's canvas drawn (the page's script
# writes data-drawn = painted pixels sampled), no network reference, a
# screenshot kept in the build tree. Runs offline.
. "$(dirname "$0")/lib.sh"
SC="$SRC/tests/integration/scenarios/short-call.yaml"
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || fail "chromium missing (scripts/setup.sh --tests)"
[ -r /usr/share/javascript/chart.js/chart.min.js ] || fail "Chart.js missing (libjs-chart.js; scripts/setup.sh)"
SHOTS="${SYNTH_BUILD_DIR:-$T}/test-artifacts/html"
mkdir -p "$SHOTS"

# chrome NAME PAGE ARGS...: headless Chromium on file://PAGE, no network
# (every host name resolves to nothing), logs in $T/NAME.log.
chrome() {
    local name=$1 page=$2
    shift 2
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$T/chrome-$name" --host-resolver-rules="MAP * ~NOTFOUND" \
        --virtual-time-budget=3000 --enable-logging=stderr --v=0 "$@" "file://$page" \
        2>>"$T/$name.log"
}

# check_page NAME PAGE VERDICT MIN_CHARTS: renders PAGE and asserts.
check_page() {
    local name=$1 page=$2 verdict=$3 min=$4
    [ -s "$page" ] || fail "$name: no page at $page"
    # No src/href/url() that would fetch: the page is self-contained.
    if grep -Eio '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?[a-z]*:?//[^"'"'"' >]*|url\([^)]*//' "$page" | head -3 | grep -q .; then
        fail "$name: a network reference in the page: $(grep -Eio '(src|href)=["'"'"']?[a-z]*:?//[^"'"'"' >]*' "$page" | head -3)"
    fi
    ok "$name: no network reference ($(wc -c <"$page") bytes)"
    chrome "$name" "$page" --dump-dom >"$T/$name.dom" || fail "$name: chromium --dump-dom failed: $(tail -5 "$T/$name.log")"
    chrome "$name" "$page" --screenshot="$SHOTS/$name.png" --window-size=1280,3000 >/dev/null ||
        fail "$name: chromium --screenshot failed: $(tail -5 "$T/$name.log")"
    [ -s "$SHOTS/$name.png" ] || fail "$name: empty screenshot"
    ok "$name: screenshot $SHOTS/$name.png ($(wc -c <"$SHOTS/$name.png") bytes)"
    # The page logs nothing: any console line (console.error shows as
    # INFO:CONSOLE too, an exception as "Uncaught ...") is a fault.
    if grep -Eq ':CONSOLE[:(]|Uncaught' "$T/$name.log"; then
        fail "$name: console output: $(grep -E ':CONSOLE[:(]|Uncaught' "$T/$name.log" | head -5)"
    fi
    ok "$name: no console output"
    python3 - "$T/$name.dom" "$verdict" "$min" "$name" <<'PY' || fail "$name: page check failed"
import re, sys
dom, verdict, want, name = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3]), sys.argv[4]
m = re.search(r'<p id="verdict"[^>]*>verdict: <strong>([A-Z]+)</strong>', dom)
if not m or m.group(1) != verdict:
    sys.exit("verdict: %s, want %s" % (m and m.group(1), verdict))
if not re.search(r'<strong id="target">lab</strong> <span class="lab">embedded lab', dom):
    sys.exit("the target is not named as the lab")
canvases = re.findall(r'<canvas id="(chart-\d+)"[^>]*>', dom)
drawn = dict(re.findall(r'<canvas id="(chart-\d+)"[^>]*data-drawn="(\d+)"', dom))
m = re.search(r'data-charts="(\d+)"', dom)
if not m or int(m.group(1)) != len(canvases) or len(canvases) < want:
    sys.exit("charts: %s built, %d canvases, want >= %d" % (m and m.group(1), len(canvases), want))
for c in canvases:
    if int(drawn.get(c, 0)) < 100:
        sys.exit("%s not drawn (data-drawn=%s)" % (c, drawn.get(c)))
titles = re.findall(r'</canvas><figcaption>([^<]*)</figcaption>', dom)
print("ok: %s: verdict %s, %d charts drawn: %s" % (name, verdict, len(canvases), "; ".join(titles)))
PY
}

# 1. A healthy lab run: --report html writes report.html into the results.
"$SYNTH" run "$SC" --lab --out "$T/ok" --workers 1 --quiet --report html >"$T/ok.run" 2>&1 ||
    fail "lab run: $(tail -5 "$T/ok.run")"
[ -s "$T/ok/report.html" ] || fail "synth run --report html wrote no report.html"
ok "synth run --report html wrote report.html"
rc=0; "$SYNTH" report "$T/ok" --html "$T/ok/page.html" 2>"$T/ok.err" || rc=$?
[ $rc -eq 0 ] || fail "synth report --html of an ok run: exit $rc: $(cat "$T/ok.err")"
cmp -s "$T/ok/report.html" "$T/ok/page.html" || fail "synth report --html differs from synth run --report html"
ok "synth report --html gives the page synth run wrote"
# Setup/PDD, calls/s, lag, setup histogram, 4 media distributions.
check_page ok "$T/ok/page.html" OK 8
grep -q 'failures by class: none' "$T/ok/page.html" || fail "ok run: no 'failures by class: none'"
grep -q 'id="t-worst-setup"' "$T/ok/page.html" || fail "ok run: no slowest-setup table"
grep -q 'id="t-worst-mos"' "$T/ok/page.html" || fail "ok run: no lowest-MOS table"
ok "ok run: worst calls tables"

# 2. A failing run: no media from the UM. Findings come before the charts,
# critical first; failed calls link their SIP traces.
rc=0; "$SYNTH" run "$SC" --lab --out "$T/bad" --workers 1 --quiet --fault um_no_media=true \
    >"$T/bad.run" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "um_no_media run: exit $rc, want 2"
rc=0; "$SYNTH" report "$T/bad" --html "$T/bad/report.html" 2>"$T/bad.err" || rc=$?
[ $rc -eq 2 ] || fail "synth report --html of a critical run: exit $rc: $(cat "$T/bad.err")"
check_page bad "$T/bad/report.html" CRITICAL 5
python3 - "$T/bad.dom" <<'PY' || fail "failing run: findings not first"
import re, sys
dom = open(sys.argv[1]).read()
f, c = dom.find('id="findings"'), dom.find('id="charts"')
if not (0 < f < c):
    sys.exit("findings at %d, charts at %d" % (f, c))
first = re.search(r'<div class="finding s-(\w+)"><p><span class="sev">\w+</span> <code class="fid">([^<]+)', dom)
if not first or first.group(1) != "critical":
    sys.exit("first finding: %s" % (first and first.groups(),))
if 'connected-no-media' not in dom[f:c]:
    sys.exit("no connected-no-media finding")
if not re.search(r'<figcaption>failures by class', dom):
    sys.exit("no failures-by-class chart")
print("ok: failing run: findings first (%s), failures chart" % first.group(2))
PY
# Tables sort: the slowest-setup table opened sorted by its setup column
# (the page's #sort=TABLE:COLUMN[:desc] fragment clicks that header).
chrome bad-sort "$T/bad/report.html#sort=t-worst-setup:6" --dump-dom >"$T/bad-sort.dom" ||
    fail "chromium --dump-dom #sort failed"
chrome bad-sort "$T/bad/report.html#sort=t-worst-setup:6:desc" --dump-dom >"$T/bad-sort-desc.dom" ||
    fail "chromium --dump-dom #sort:desc failed"
python3 - "$T/bad-sort.dom" "$T/bad-sort-desc.dom" <<'PY' || fail "tables do not sort"
import re, sys
for path, want in ((sys.argv[1], "ascending"), (sys.argv[2], "descending")):
    dom = open(path).read()
    table = re.search(r'<table class="sortable" id="t-worst-setup">(.*?)</table>', dom, re.S).group(1)
    if 'aria-sort="%s"' % want not in table:
        sys.exit("%s: no header marked %s" % (path, want))
    # The setup cell is each row's first numeric one (data-v).
    body = table.split("<tbody>")[1]
    v = [float(re.search(r'data-v="([^"]+)"', row).group(1))
         for row in re.findall(r'<tr>(.*?)</tr>', body, re.S)]
    if len(v) < 2 or v != sorted(v, reverse=want == "descending"):
        sys.exit("%s: setup column not %s: %s" % (path, want, v))
print("ok: the slowest-setup table sorts both ways (%d rows)" % len(v))
PY
trace=$(grep -o 'href="traces/[0-9a-f]*\.txt"' "$T/bad/report.html" | head -1 | sed 's/href="//; s/"$//')
[ -n "$trace" ] && [ -s "$T/bad/$trace" ] || fail "failing run: no link to an existing SIP trace"
ok "failing run: failed calls link their SIP trace ($trace)"

# 3. A certificate check: the certificate table and its rules.
rc=0; "$SYNTH" check --lab --out "$T/chk" >"$T/chk.run" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "synth check --lab: exit $rc"
"$SYNTH" report "$T/chk" --html "$T/chk/report.html" || fail "synth report --html of a check"
grep -q 'id="t-certificates"' "$T/chk/report.html" || fail "check: no certificate table"
grep -q '<td>subject-cn</td>' "$T/chk/report.html" || fail "check: no certificate rules"
check_page chk "$T/chk/report.html" OK 0
grep -q '<canvas' "$T/chk/report.html" && fail "check: call charts for a run without calls"
ok "check: certificate table and rules"

# 4. A summary with a session-survival curve (UCWA idle probes; the shape
# summary.json "survival" will have): its chart drawn and its assessment.
mkdir -p "$T/surv"
jq '.survival = [{"session": "ucwa", "intervals": [{"idle_s": 300, "survived": true},
      {"idle_s": 600, "survived": true}, {"idle_s": 900, "survived": false, "died_how": "504"}],
      "estimated_timeout_s": 750, "uncertainty_s": 150}]' "$T/ok/summary.json" >"$T/surv/summary.json"
"$SYNTH" report "$T/surv" --html "$T/surv/report.html" || fail "synth report --html with survival"
check_page surv "$T/surv/report.html" OK 1
grep -q 'session survival by idle time' "$T/surv/report.html" || fail "survival: no chart"
grep -q 'below 1200 s' "$T/surv/report.html" || fail "survival: no assessment of a 750 s timeout"
ok "survival: curve and assessment"

# 5. Without Chart.js the page still renders its tables and says why.
SYNTH_CHARTJS=/nonexistent/chart.min.js "$SYNTH" report "$T/ok" --html "$T/nochart.html" ||
    fail "report without Chart.js"
grep -q 'charts unavailable' "$T/nochart.html" || fail "no 'charts unavailable' without Chart.js"
grep -q 'id="t-steps"' "$T/nochart.html" || fail "no steps table without Chart.js"
ok "without Chart.js: tables and a note"
