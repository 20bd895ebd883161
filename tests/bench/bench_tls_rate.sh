#!/bin/bash
# TLS registrations per second against the lab's Front End (each journey a new
# user: a new TLS connection with a full handshake, then REGISTER, 401,
# REGISTER with Digest, 200), as a ratio of what `openssl s_time -new` gets
# (full handshakes per second, nothing sent) against the same TLS port.
#
#   tests/bench/bench_tls_rate.sh [SECONDS] [OFFERED_RATE] [CONCURRENCY]
#   e.g. tests/bench/bench_tls_rate.sh 5               (a quick run)
#
# Environment: BENCH_SECONDS (10), BENCH_OFFERED (2000/s: above what two shared
# cores can do, so synth runs at its limit; arrivals finding CONCURRENCY
# journeys in flight are skipped and counted), BENCH_CONCURRENCY (64),
# BENCH_STIME_PROCS (1: s_time processes side by side), BENCH_WORKERS,
# BENCH_OUT, SYNTH.
#
# s_time is one client doing one handshake after another; synth keeps
# CONCURRENCY registrations in flight. Both run against the lab as a
# separate process on the same 2 cores, so the lab's CPU per handshake and
# per registration is printed too: it tells who the bottleneck is.
. "$(dirname "$0")/bench_lib.sh"

SECS=${1:-${BENCH_SECONDS:-10}}
OFFERED=${2:-${BENCH_OFFERED:-2000}}
CONC=${3:-${BENCH_CONCURRENCY:-64}}
WORKERS=${BENCH_WORKERS:-}
[ "$SECS" -ge 1 ] && [ "$SECS" -le 120 ] 2>/dev/null || fail "seconds $SECS: 1..120"
[ "$OFFERED" -ge 1 ] && [ "$OFFERED" -le 20000 ] 2>/dev/null || fail "offered rate $OFFERED: 1..20000/s"
[ "$CONC" -ge 1 ] && [ "$CONC" -le 5000 ] 2>/dev/null || fail "concurrency $CONC: 1..5000"
command -v openssl >/dev/null || fail "openssl is not installed"

# Every journey is a fresh user whose registered connection stays open until
# the run ends (synth then unregisters them), so the users, and the sockets
# in synth and in the lab, are bounded by the open-files limit.
raise_nofile 2048
USERS=$(( OFFERED * SECS ))
cap=$(( $(ulimit -n) - 1024 ))
[ "$USERS" -gt "$cap" ] && USERS=$cap
echo "$(machine_line)"

start_lab "$T/lab" "$USERS"
echo "lab TLS port $LAB_TLS_PORT; $(openssl s_client -connect "127.0.0.1:$LAB_TLS_PORT" -brief </dev/null 2>&1 |
    awk -F': ' '/Protocol version|Ciphersuite|Peer signature type|Server Temp Key/ { printf "%s: %s; ", $1, $2 }')"

# 1. openssl s_time: full handshakes (-new), one after another; with
# BENCH_STIME_PROCS=N, N of them side by side (their counts summed), a
# stricter reference on a machine with more than one core.
LAB_CPU0=$(cpu_s "$LAB_PID")
SPROCS=${BENCH_STIME_PROCS:-1}
[ "$SPROCS" -ge 1 ] && [ "$SPROCS" -le 16 ] 2>/dev/null || fail "BENCH_STIME_PROCS $SPROCS: 1..16"
st_pids=""
for i in $(seq "$SPROCS"); do
    python3 "$MEASURE" --out "$OUT/s_time$i.json" --timeout $(( SECS + 60 )) -- \
        openssl s_time -connect "127.0.0.1:$LAB_TLS_PORT" -new -time "$SECS" >"$OUT/s_time$i.out" 2>&1 &
    st_pids="$st_pids $!"
    PIDS="$PIDS $!"
done
for p in $st_pids; do wait_measured "$p"; done
LAB_CPU_ST=$(awk -v a="$(cpu_s "$LAB_PID")" -v b="$LAB_CPU0" 'BEGIN { printf "%.2f", a - b }')
st_conns=0; st_cpu=0; st_wall=0
for i in $(seq "$SPROCS"); do
    n=$(awk '/connections in .* real seconds/ { print $1 }' "$OUT/s_time$i.out" | tail -1)
    [ -n "$n" ] && [ -s "$OUT/s_time$i.json" ] || fail "no s_time result: $(tail -5 "$OUT/s_time$i.out")"
    st_conns=$(( st_conns + n ))
    st_cpu=$(awk -v a="$st_cpu" -v b="$(jq .cpu_s "$OUT/s_time$i.json")" 'BEGIN { print a + b }')
    st_wall=$(awk -v a="$st_wall" -v b="$(jq .wall_s "$OUT/s_time$i.json")" 'BEGIN { print (b > a ? b : a) }')
done
st_rate=$(awk -v n="$st_conns" -v w="$st_wall" 'BEGIN { printf "%.1f", n / w }')

# 2. synth: registrations on new TLS connections.
sed -i "s/^  count: .*/  count: $USERS/" "$T/lab/target.yaml"
cat >"$T/scenario.yaml" <<SCN
name: bench-tls-rate
steps:
  - register: {expires: 3600s, timeout: 10s}
load: {users: $USERS, rate: $OFFERED, max_concurrent: $CONC, duration: ${SECS}s, iterations: $USERS}
SCN
LAB_CPU0=$(cpu_s "$LAB_PID")
measured "$OUT/synth.json" $(( SECS + 120 )) \
    "$SYNTH" run "$T/scenario.yaml" --target "$T/lab/target.yaml" --out "$OUT/synth" --quiet \
    ${WORKERS:+--workers "$WORKERS"} >"$OUT/synth.out" 2>&1
LAB_CPU_SY=$(awk -v a="$(cpu_s "$LAB_PID")" -v b="$LAB_CPU0" 'BEGIN { printf "%.2f", a - b }')
stop_pid "$LAB_PID"
S="$OUT/synth/summary.json"
[ -s "$S" ] || fail "synth wrote no summary: $(tail -5 "$OUT/synth.out")"

# Registrations per second over the span in which they completed (first to
# last successful register), from events.jsonl: startup and the unregistering
# drain at the end are not in the rate (they are in the CPU figure).
read -r reg_ok span reg_rate < <(reg_rate "$OUT/synth/events.jsonl")
reg_failed=$(jq '.steps.register.failed' "$S")
skipped=$(jq '.journeys.skipped' "$S")
p95=$(jq '.steps.register.latency_ms.p95' "$S")
ratio=$(awk -v a="$reg_rate" -v b="$st_rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
sy_cpu=$(jq .cpu_s "$OUT/synth.json")
ms() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.2f", (n > 0 ? c * 1000 / n : 0) }'; }

echo
{
printf '%-30s %12s %14s %14s %14s %12s\n' "client" "per second" "done / failed" "client CPU s" "client ms/op" "lab ms/op"
printf '%-30s %12s %14s %14s %14s %12s\n' "openssl s_time -new (x$SPROCS)" "$st_rate" "$st_conns / 0" "$st_cpu" \
    "$(ms "$st_cpu" "$st_conns")" "$(ms "$LAB_CPU_ST" "$st_conns")"
printf '%-30s %12s %14s %14s %14s %12s\n' "synth register (new TLS)" "$reg_rate" "$reg_ok / $reg_failed" "$sy_cpu" \
    "$(ms "$sy_cpu" "$reg_ok")" "$(ms "$LAB_CPU_SY" "$reg_ok")"
echo
echo "ratio synth registrations/s / s_time handshakes/s: $ratio (goal >= 0.70)"
echo "synth: offered $OFFERED/s, at most $CONC in flight, $skipped arrivals skipped (cap full), register p95 $p95 ms, over ${span} s"
} | tee "$OUT/tls_rate.txt"
echo "client ms/op: CPU ms of the client process per handshake or registration (synth's includes"
echo "its start and the unregistering at the end); lab ms/op: the lab's CPU ms for each."
[ -n "${BENCH_OUT:-}" ] && echo "raw results: $OUT"
exit 0
