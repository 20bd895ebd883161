#!/bin/bash
# synth report --html on a results directory of 1M events (issue #6): wall
# time and peak RSS of the report process (/usr/bin/time -v), the page's
# size, and the page opened in headless Chromium (its charts drawn).
# Goal: under 10 s and 200 MB.
#
#   tests/bench/bench_report_html.sh [EVENTS] [SECONDS]    (default 1000000 events over 1000 s)
# env: BENCH_OUT (keep the results directory and the page), KEEP_TMP=1
. "$(dirname "$0")/bench_lib.sh"
EVENTS=${1:-1000000}
SECONDS_RUN=${2:-1000}
[ -x /usr/bin/time ] || fail "/usr/bin/time missing (Debian package time)"

python3 "$BENCH_DIR/gen_results.py" "$OUT/run" "$EVENTS" "$SECONDS_RUN" || fail "generator failed"
ok "results: $(wc -l <"$OUT/run/events.jsonl") events, $(du -m "$OUT/run/events.jsonl" | cut -f1) MB events.jsonl"

rc=0
/usr/bin/time -v "$SYNTH" report "$OUT/run" --html "$OUT/report.html" 2>"$OUT/time.txt" || rc=$?
# The generated run is a warning (call success 98 %): exit 1.
[ $rc -eq 1 ] || fail "synth report --html: exit $rc: $(tail -5 "$OUT/time.txt")"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' "$OUT/time.txt")
cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$OUT/time.txt")
rss_mb=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$OUT/time.txt")
page_kb=$(( $(wc -c <"$OUT/report.html") / 1024 ))
echo "events=$EVENTS wall_s=$wall cpu_s=$cpu peak_rss_mb=$rss_mb page_kb=$page_kb"

if command -v chromium >/dev/null; then
    timeout 180 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$OUT/chrome" \
        --host-resolver-rules="MAP * ~NOTFOUND" --virtual-time-budget=5000 --dump-dom \
        "file://$OUT/report.html" >"$OUT/report.dom" 2>/dev/null || fail "chromium failed"
    drawn=$(grep -o 'data-drawn="[0-9]*"' "$OUT/report.dom" | wc -l)
    ok "chromium: $drawn charts drawn"
fi
awk -v w="$wall" -v r="$rss_mb" 'BEGIN { exit !(w < 10 && r < 200) }' ||
    fail "goal missed: $wall s, $rss_mb MB (goal < 10 s, < 200 MB)"
ok "goal met: $wall s < 10 s, $rss_mb MB < 200 MB"
