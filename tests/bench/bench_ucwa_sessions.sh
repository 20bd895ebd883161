#!/bin/bash
# Signed-in UCWA sessions held in one synth process (issue #5), through the
# lab's reverse proxy as mobile clients go:
#
# 1. hold: every user signs in (discover, token, application, available,
#    the first P-GET, answered at once with the availability event), then
#    holds its event channel open (a P-GET the lab keeps until its timeout,
#    every user's at the same time), then signs out. Twice: a small baseline
#    and N, so that KB per session = (RSS at N - RSS at the baseline) /
#    (sessions held at N - at the baseline) leaves out what the process
#    costs with no session.
#    A session stayed open when its held P-GET ended at its own timeout
#    (ucwa.events ok) and its sign-out then worked.
# 2. sign-in rate: sign-in journeys (discover .. available, sign-out) at
#    rising rates, a few seconds each, with the sign-in latency (the four
#    steps of a journey, from its intended start) p50/p95 per rate:
#    PROTOCOLS.md "UCWA", Front Ends take 12 concurrent sign-ins, so the
#    latency as concurrency rises is the figure, not only the failures.
#
#   tests/bench/bench_ucwa_sessions.sh [SESSIONS] [RATES]
#   e.g. tests/bench/bench_ucwa_sessions.sh 500 "20 50"     (a quick run)
#
# Environment: BENCH_SESSIONS (5000), BENCH_BASE (100: the baseline count),
# BENCH_RATE (30: sign-ins started per second while the sessions are
# built; the lab answers about 50 on 2 shared cores, see phase 2), BENCH_HOLD_S (10: how long every session is held at once),
# BENCH_SIGNIN_RATES ("10 25 50 75 100"), BENCH_STEP_S (5: seconds per
# rate), BENCH_WORKERS, BENCH_OUT, SYNTH.
. "$(dirname "$0")/bench_lib.sh"

N=${1:-${BENCH_SESSIONS:-5000}}
RATES=${2:-${BENCH_SIGNIN_RATES:-10 25 50 75 100}}
BASE=${BENCH_BASE:-100}
RATE=${BENCH_RATE:-30}
HOLD=${BENCH_HOLD_S:-10}
STEP_S=${BENCH_STEP_S:-5}
WORKERS=${BENCH_WORKERS:-}
GOAL_SESSIONS=5000
GOAL_KB=100
[ "$N" -ge 2 ] && [ "$N" -le 20000 ] 2>/dev/null || fail "sessions $N: 2..20000"
[ "$BASE" -ge 1 ] 2>/dev/null || fail "baseline $BASE: at least 1"
[ "$BASE" -lt "$N" ] || BASE=$(( N / 10 > 0 ? N / 10 : 1 ))
[ "$RATE" -ge 1 ] && [ "$RATE" -le 2000 ] 2>/dev/null || fail "rate $RATE: 1..2000/s"
for r in $RATES; do
    [ "$r" -ge 1 ] && [ "$r" -le 2000 ] 2>/dev/null || fail "sign-in rate $r: 1..2000/s"
done

# A held session is one TLS socket in synth (plus the idle one its sign-in
# used, kept in curl's cache) and three in the lab (client to proxy, proxy
# to service, the service's side of it); both inherit this shell's limit.
raise_nofile $(( 3 * N + 1024 ))
echo "$(machine_line)"
echo "open files limit: $(ulimit -n)"

start_lab "$T/lab" "$N"
PROXY_PORT=$(awk '$1 == "proxy_port:" { print $2 }' "$T/lab/target.yaml")
[ -n "$PROXY_PORT" ] || fail "no proxy_port in $T/lab/target.yaml"
LAB_RSS0=$(rss_kb "$LAB_PID" VmRSS)

# hold TAG COUNT: COUNT sessions signed in at RATE/s and held; sets
# H_RSS (synth VmRSS while all are held), H_PEAK, H_HELD (sockets to the
# proxy, ss), H_LAB_RSS, H_LAB_CPU, H_OPEN (sessions whose held P-GET ended
# at its timeout and whose sign-out worked), H_FAILED, H_SIGNIN_P95.
hold() {
    local tag=$1 n=$2
    local ramp=$(( (n + RATE - 1) / RATE ))
    # Sign-ins may finish later than they start when the lab is the
    # bottleneck (its proxy makes a TLS handshake to the service for every
    # request): every session is sampled once all are held, or at the
    # latest after WAIT_S; the held P-GET lasts past that, so the first
    # user's is still held when the last one's starts.
    local wait_s=$(( ramp + ramp / 4 + 10 ))
    local pget=$(( wait_s + HOLD + 5 ))
    sed "s/^  count: .*/  count: $n/" "$T/lab/target.yaml" >"$T/target-$tag.yaml"
    cat >"$T/hold-$tag.yaml" <<SCN
name: bench-ucwa-hold
steps:
  - ucwa.discover: {timeout: 60s}
  - ucwa.token: {timeout: 60s}
  - ucwa.application: {timeout: 60s}
  - ucwa.available: {timeout: 60s}
  - ucwa.events: {pget_timeout: 30s}
  - ucwa.events: {pget_timeout: ${pget}s}
  - ucwa.signout: {timeout: 60s}
load: {users: $n, rate: $RATE, max_concurrent: $n, iterations: $n}
SCN
    local cpu0
    cpu0=$(cpu_s "$LAB_PID")
    measured_bg "$OUT/hold-$tag.json" $(( ramp + pget + 180 )) \
        "$SYNTH" run "$T/hold-$tag.yaml" --target "$T/target-$tag.yaml" --out "$OUT/hold-$tag" \
        --quiet ${WORKERS:+--workers "$WORKERS"} >"$OUT/hold-$tag.out" 2>&1
    local spid=$CHILD_PID
    local t0
    t0=$(date +%s)
    H_RSS=0; H_HELD=0; H_LAB_RSS=0
    # All held (one socket each to the proxy: the sign-in's connection
    # carries the P-GET), then HOLD / 2 more seconds for the ones in flight.
    while kill -0 "$spid" 2>/dev/null && [ "$(date +%s)" -lt $(( t0 + wait_s )) ]; do
        H_HELD=$(ss -tnH state established "( dport = :$PROXY_PORT )" | wc -l)
        [ "$H_HELD" -ge "$n" ] && break
        sleep 0.5
    done
    H_BUILD_S=$(( $(date +%s) - t0 ))
    sleep $(( HOLD / 2 ))
    if kill -0 "$spid" 2>/dev/null; then
        H_HELD=$(ss -tnH state established "( dport = :$PROXY_PORT )" | wc -l)
        H_RSS=$(rss_kb "$spid" VmRSS)
        H_LAB_RSS=$(rss_kb "$LAB_PID" VmRSS)
    fi
    wait_measured "$MEASURED_PID"
    H_LAB_CPU=$(awk -v a="$(cpu_s "$LAB_PID")" -v b="$cpu0" 'BEGIN { printf "%.2f", a - b }')
    local s="$OUT/hold-$tag/summary.json"
    [ -s "$s" ] || fail "hold $n: synth wrote no summary: $(cat "$OUT/hold-$tag.json"; tail -5 "$OUT/hold-$tag.out")"
    H_PEAK=$(jq '[.maxrss_kb, .vmhwm_kb] | max' "$OUT/hold-$tag.json")
    # The held P-GET is step 5 of each journey.
    H_OPEN=$(jq -s '[group_by([.user, .journey])[] | select(any(.step_index == 5 and .outcome == "ok") and any(.step == "ucwa.signout" and .outcome == "ok"))] | length' \
        "$OUT/hold-$tag/events.jsonl")
    H_FAILED=$(jq '[.steps[] | .failed] | add' "$s")
    H_SIGNIN_P95=$(jq '.steps["ucwa.token"].latency_ms.p95' "$s")
}

hold base "$BASE"
B_RSS=$H_RSS; B_OPEN=$H_OPEN; B_LAB_RSS=$H_LAB_RSS; B_HELD=$H_HELD
[ "$B_RSS" -gt 0 ] || fail "baseline run ended before it was sampled: $(tail -5 "$OUT/hold-base.out")"
hold n "$N"
[ "$H_RSS" -gt 0 ] || fail "the $N-session run ended before it was sampled: $(tail -5 "$OUT/hold-n.out")"
# Per session actually held (ss), so a run where some failed is not
# flattered by sessions that hold nothing.
KB_PER=$(awk -v a="$H_RSS" -v b="$B_RSS" -v n="$H_HELD" -v m="$B_HELD" 'BEGIN { if (n > m) printf "%.1f", (a - b) / (n - m); else printf "-" }')
LAB_KB_PER=$(awk -v a="$H_LAB_RSS" -v b="$LAB_RSS0" -v n="$H_HELD" 'BEGIN { printf "%.1f", (a - b) / n }')

# Phase 2: sign-ins per second. Each rate is its own run; the sign-in
# latency of a journey is the sum of its four sign-in steps (the first
# measured from the journey's intended start, so a queue in synth or the
# lab shows).
RATE_ROWS=""
BEST=0
for r in $RATES; do
    users=$(( r * STEP_S < N ? r * STEP_S : N ))
    cat >"$T/rate-$r.yaml" <<SCN
name: bench-ucwa-signin-rate
steps:
  - ucwa.discover: {timeout: 30s}
  - ucwa.token: {timeout: 30s}
  - ucwa.application: {timeout: 30s}
  - ucwa.available: {timeout: 30s}
  - ucwa.signout: {timeout: 30s}
load: {users: $users, rate: $r, max_concurrent: $users, duration: ${STEP_S}s}
SCN
    cpu0=$(cpu_s "$LAB_PID")
    measured "$OUT/rate-$r.json" $(( STEP_S + 120 )) \
        "$SYNTH" run "$T/rate-$r.yaml" --target "$T/target-n.yaml" --out "$OUT/rate-$r" --quiet \
        ${WORKERS:+--workers "$WORKERS"} >"$OUT/rate-$r.out" 2>&1
    lab_cpu=$(awk -v a="$(cpu_s "$LAB_PID")" -v b="$cpu0" 'BEGIN { printf "%.2f", a - b }')
    s="$OUT/rate-$r/summary.json"
    [ -s "$s" ] || fail "rate $r: synth wrote no summary: $(tail -5 "$OUT/rate-$r.out")"
    row=$(python3 - "$OUT/rate-$r/events.jsonl" "$STEP_S" <<'PY'
import json, sys
from datetime import datetime
signin = {"ucwa.discover", "ucwa.token", "ucwa.application", "ucwa.available"}
lat, bad = {}, set()
first, last = None, None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("step") not in signin:
        continue
    j = (e.get("user"), e.get("journey"))
    if e.get("outcome") != "ok":
        bad.add(j)
    lat.setdefault(j, [0.0, 0])
    lat[j][0] += e.get("duration_ms", 0.0)
    lat[j][1] += 1
    # ts is when the step started; the first step's lag takes it back to
    # the journey's intended start.
    t = datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).timestamp() * 1000
    if e["step"] == "ucwa.discover":
        t0 = t - e.get("start_lag_ms", 0.0)
        first = t0 if first is None else min(first, t0)
    if e["step"] == "ucwa.available":
        t1 = t + e.get("duration_ms", 0.0)
        last = t1 if last is None else max(last, t1)
ok = sorted(v[0] for j, v in lat.items() if j not in bad and v[1] == 4)
def pct(p):
    return ok[min(len(ok) - 1, int(p * len(ok)))] if ok else float("nan")
# Sign-ins completed per second: from the first intended start to the
# last sign-in's end, so a lab that falls behind shows below the rate.
span = (last - first) / 1000 if first is not None and last is not None and last > first else 0
print("%d %d %.1f %.1f %.1f" % (len(ok), len(bad), len(ok) / span if span else 0, pct(0.50), pct(0.95)))
PY
)
    read -r ok_n bad_n per_s p50 p95 <<<"$row"
    skipped=$(jq '.journeys.skipped' "$s")
    RATE_ROWS="$RATE_ROWS$(printf '%8s %10s %8s %8s %10s %10s %10s' "$r" "$per_s" "$ok_n" "$(( bad_n + skipped ))" "$p50" "$p95" "$lab_cpu")
"
    # Held: every journey signed in and the p95 within the shipped
    # scenario's warning threshold (scenarios/ucwa-signin.yaml, 1 s).
    if [ "$bad_n" -eq 0 ] && [ "$skipped" -eq 0 ] &&
        awk -v p="$p95" 'BEGIN { exit !(p == p + 0 && p <= 1000) }'; then BEST=$r; fi
done
stop_pid "$LAB_PID"

{
    echo
    printf '%-44s %-22s %s\n' "" "measured" "goal" \
        "sessions signed in and held (ss, mid-hold)" "$H_HELD of $N" "$GOAL_SESSIONS" \
        "sessions that stayed open to the end" "$H_OPEN of $N (baseline $B_OPEN of $BASE)" "all" \
        "failed steps" "$H_FAILED" "0" \
        "synth RSS mid-hold, $BASE / $N sessions" "$B_RSS / $H_RSS KB" "" \
        "synth KB per session" "$KB_PER" "<= $GOAL_KB" \
        "synth peak RSS (VmHWM)" "$H_PEAK KB" "" \
        "synth CPU s, $N sign-ins and sign-outs" "$(jq .cpu_s "$OUT/hold-n.json")" "" \
        "lab RSS idle / $BASE / $N sessions" "$LAB_RSS0 / $B_LAB_RSS / $H_LAB_RSS KB" "" \
        "lab KB per session" "$LAB_KB_PER" "" \
        "lab CPU s, $N sign-ins and sign-outs" "$H_LAB_CPU" "" \
        "seconds until all were held (started $RATE/s)" "$H_BUILD_S s" "" \
        "ucwa.token p95 while building" "$H_SIGNIN_P95 ms" ""
    echo
    echo "sign-ins per second (${STEP_S} s per rate; sign-in = discover + token + application + available):"
    printf '%8s %10s %8s %8s %10s %10s %10s\n' "rate/s" "done/s" "ok" "not ok" "p50 ms" "p95 ms" "lab CPU s"
    printf '%s' "$RATE_ROWS"
    echo "highest rate held (all signed in, p95 <= 1000 ms): $BEST/s"
} | tee "$OUT/ucwa_sessions.txt"
[ -n "${BENCH_OUT:-}" ] && echo "raw results: $OUT"
exit 0
