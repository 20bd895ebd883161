#!/bin/bash
# Registered TLS users held in one synth process: every user opens its own TLS
# connection to the lab's Front End, registers (REGISTER, 401, REGISTER with
# Digest, 200), stays registered while the others ramp up, then unregisters.
# Prints the synth process's peak RSS (VmHWM; the lab runs as its own process
# and is not counted), KB per user, and registrations ok/failed.
#
#   tests/bench/bench_tls_users.sh [USERS] [RATE]
#   e.g. tests/bench/bench_tls_users.sh 1000 250      (a quick run)
#
# Environment: BENCH_USERS (10000), BENCH_RATE (registrations started per
# second, 250: what the lab takes on 2 shared cores without queueing),
# BENCH_HOLD_S (10: how long every user is registered at the same time),
# BENCH_WORKERS, BENCH_OUT, SYNTH.
. "$(dirname "$0")/bench_lib.sh"

USERS=${1:-${BENCH_USERS:-10000}}
RATE=${2:-${BENCH_RATE:-250}}
HOLD=${BENCH_HOLD_S:-10}
WORKERS=${BENCH_WORKERS:-}
[ "$USERS" -ge 1 ] && [ "$USERS" -le 50000 ] 2>/dev/null || fail "users $USERS: 1..50000"
[ "$RATE" -ge 1 ] && [ "$RATE" -le 5000 ] 2>/dev/null || fail "rate $RATE: 1..5000/s"

# One socket per user in synth and one per user in the lab (both inherit
# this shell's limit), plus listeners, logs and libevent's own.
raise_nofile $(( USERS + 512 ))
echo "$(machine_line)"
echo "open files limit: $(ulimit -n) (each user holds one TLS socket in synth and one in the lab)"

start_lab "$T/lab" "$USERS"
RAMP_S=$(( (USERS + RATE - 1) / RATE ))
# Each user waits long enough that the last one is registered while the
# first still holds on, plus HOLD seconds with all of them registered.
WAIT_S=$(( RAMP_S + HOLD + 5 ))
sed -i "s/^  count: .*/  count: $USERS/" "$T/lab/target.yaml"
cat >"$T/scenario.yaml" <<SCN
name: bench-tls-users
steps:
  - register: {expires: 3600s, timeout: 30s}
  - wait: {duration: ${WAIT_S}s}
  - unregister: {timeout: 30s}
load: {users: $USERS, rate: $RATE, max_concurrent: $USERS, iterations: $USERS}
SCN
echo "users: $USERS at $RATE/s (ramp ${RAMP_S} s), each registered for ${WAIT_S} s"

LAB_CPU0=$(cpu_s "$LAB_PID")
measured_bg "$OUT/tls_users.json" $(( RAMP_S + WAIT_S + 120 )) \
    "$SYNTH" run "$T/scenario.yaml" --target "$T/lab/target.yaml" --out "$OUT/tls_users" --quiet \
    ${WORKERS:+--workers "$WORKERS"} >"$OUT/tls_users.out" 2>&1
SPID=$CHILD_PID

# Sample while everyone should be registered: after the ramp (plus slack for
# the registrations in flight), before the first user's wait ends.
sample_at=$(( $(date +%s) + RAMP_S + HOLD / 2 + 3 ))
held=0; rss_hold=0; lab_rss=0
while kill -0 "$SPID" 2>/dev/null && [ "$(date +%s)" -lt "$sample_at" ]; do sleep 0.5; done
if kill -0 "$SPID" 2>/dev/null; then
    held=$(ss -tnH state established "( dport = :$LAB_TLS_PORT )" | wc -l)
    rss_hold=$(rss_kb "$SPID" VmRSS)
    lab_rss=$(rss_kb "$LAB_PID" VmRSS)
fi
wait_measured "$MEASURED_PID"
LAB_CPU=$(awk -v a="$(cpu_s "$LAB_PID")" -v b="$LAB_CPU0" 'BEGIN { printf "%.2f", a - b }')
stop_pid "$LAB_PID"

J="$OUT/tls_users.json"
S="$OUT/tls_users/summary.json"
[ -s "$S" ] || fail "synth wrote no summary: $(cat "$J")"
reg_ok=$(jq '.steps.register.ok' "$S"); reg_failed=$(jq '.steps.register.failed' "$S")
unreg_ok=$(jq '.steps.unregister.ok // 0' "$S"); skipped=$(jq '.journeys.skipped' "$S")
reg_p95=$(jq '.steps.register.latency_ms.p95' "$S")
peak=$(jq '[.maxrss_kb, .vmhwm_kb] | max' "$J")

echo
printf '%-34s %s\n' "users" "$USERS" \
    "registrations ok / failed" "$reg_ok / $reg_failed  (skipped $skipped, unregistered $unreg_ok)" \
    "register latency p95" "$reg_p95 ms" \
    "TLS connections held (ss, mid-hold)" "$held" \
    "synth RSS mid-hold" "$rss_hold KB" \
    "synth peak RSS (VmHWM)" "$peak KB" \
    "synth KB per user (peak / users)" "$(awk -v p="$peak" -v u="$USERS" 'BEGIN { printf "%.1f", p / u }')" \
    "synth CPU s (user+sys)" "$(jq .cpu_s "$J")  ($(per_k "$(jq .cpu_s "$J")" "$reg_ok") per 1000 users)" \
    "lab RSS mid-hold (not counted)" "$lab_rss KB" \
    "lab CPU s" "$LAB_CPU" \
    "synth exit" "$(jq .rc "$J")" | tee "$OUT/tls_users.txt"
echo "goal: $USERS users registered and held, <= 64 KB RSS per user"
[ -n "${BENCH_OUT:-}" ] && echo "raw results: $OUT"
exit 0
