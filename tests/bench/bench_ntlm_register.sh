#!/bin/bash
# NTLM registrations per second beside Digest registrations per second, in
# the same run, against the lab's Front End (issue #7: the extra round trip
# and the signing must not cost more than 30 %). Two lab processes, one in
# `auth: digest` (RFC 7616: REGISTER, 401, REGISTER, 200) and one in
# `auth: ntlm` ([MS-SIPAE]: REGISTER, 401, REGISTER with the empty token,
# 401 with the CHALLENGE, REGISTER with the signed AUTHENTICATE, 200 signed),
# each driven in two ways:
#   fresh:  every journey a new user on a new TLS connection, so every
#           registration is the whole exchange (the NTLM worst case);
#   reuse:  USERS users doing register + unregister journeys over and over
#           on their connection: Digest is challenged at every REGISTER, NTLM
#           signs over the SA it made once (what SfB clients do).
#
#   tests/bench/bench_ntlm_register.sh [SECONDS] [OFFERED_RATE] [USERS]
#
# Environment: BENCH_SECONDS (5 per run, 4 runs), BENCH_OFFERED (5000/s:
# above what two shared cores do, so both run at their limit), BENCH_USERS
# (200, the reuse runs), BENCH_CONCURRENCY (64 in flight), BENCH_WORKERS,
# BENCH_OUT, SYNTH. Prints registrations/s, synth's and the lab's CPU ms per
# registration, and NTLM's cost against Digest's (goal: at most 1.30).
. "$(dirname "$0")/bench_lib.sh"

SECS=${1:-${BENCH_SECONDS:-5}}
OFFERED=${2:-${BENCH_OFFERED:-5000}}
NUSERS=${3:-${BENCH_USERS:-200}}
CONC=${BENCH_CONCURRENCY:-64}
WORKERS=${BENCH_WORKERS:-}
[ "$SECS" -ge 1 ] && [ "$SECS" -le 60 ] 2>/dev/null || fail "seconds $SECS: 1..60"
[ "$OFFERED" -ge 1 ] && [ "$OFFERED" -le 20000 ] 2>/dev/null || fail "offered rate $OFFERED: 1..20000/s"
[ "$NUSERS" -ge 1 ] && [ "$NUSERS" -le 5000 ] 2>/dev/null || fail "users $NUSERS: 1..5000"
[ "$CONC" -ge 1 ] && [ "$CONC" -le 5000 ] 2>/dev/null || fail "concurrency $CONC: 1..5000"

# Fresh users keep their connection until the run ends: bounded by open files.
raise_nofile 4096
FRESH=$(( OFFERED * SECS ))
cap=$(( $(ulimit -n) - 1024 ))
[ "$FRESH" -gt "$cap" ] && FRESH=$cap
LABUSERS=$(( FRESH > NUSERS ? FRESH : NUSERS ))
echo "$(machine_line)"

# run AUTH KIND: one lab in AUTH, one synth run of KIND; appends a row to
# $OUT/rows and sets RATE_<AUTH>_<KIND>, CPU_<AUTH>_<KIND> (synth+lab ms/reg).
run() {
    local auth=$1 kind=$2 users iters d="$T/lab-$1-$2"
    start_lab "$d" "$LABUSERS" "auth: $auth"
    if [ "$kind" = fresh ]; then users=$FRESH; iters=$FRESH; else users=$NUSERS; iters=$(( OFFERED * SECS )); fi
    sed -i "s/^  count: .*/  count: $users/" "$d/target.yaml"
    cat >"$d/scenario.yaml" <<SCN
name: bench-ntlm-register
steps:
  - register: {expires: 3600s, timeout: 10s}
  - unregister
load: {users: $users, rate: $OFFERED, max_concurrent: $CONC, duration: ${SECS}s, iterations: $iters}
SCN
    local lab0 lab1
    lab0=$(cpu_s "$LAB_PID")
    measured "$OUT/$auth-$kind.json" $(( SECS + 120 )) \
        "$SYNTH" run "$d/scenario.yaml" --target "$d/target.yaml" --out "$OUT/$auth-$kind" --quiet \
        ${WORKERS:+--workers "$WORKERS"} >"$OUT/$auth-$kind.out" 2>&1
    lab1=$(cpu_s "$LAB_PID")
    stop_pid "$LAB_PID"
    local S="$OUT/$auth-$kind/summary.json"
    [ -s "$S" ] || fail "$auth $kind: synth wrote no summary: $(tail -5 "$OUT/$auth-$kind.out")"
    local ok span rate failed sy lab p95
    read -r ok span rate < <(reg_rate "$OUT/$auth-$kind/events.jsonl")
    [ "$ok" -gt 10 ] || fail "$auth $kind: only $ok registrations: $(tail -5 "$OUT/$auth-$kind.out")"
    failed=$(jq '.steps.register.failed + .steps.unregister.failed' "$S")
    p95=$(jq '.steps.register.latency_ms.p95' "$S")
    sy=$(awk -v c="$(jq .cpu_s "$OUT/$auth-$kind.json")" -v n="$ok" 'BEGIN { printf "%.3f", c * 1000 / n }')
    lab=$(awk -v a="$lab1" -v b="$lab0" -v n="$ok" 'BEGIN { printf "%.3f", (a - b) * 1000 / n }')
    printf '%-8s %-6s %10s %14s %10s %14s %12s\n' "$auth" "$kind" "$rate" "$ok / $failed" "$p95" "$sy" "$lab" >>"$OUT/rows"
    printf -v "RATE_${auth}_${kind}" '%s' "$rate"
    printf -v "CPU_${auth}_${kind}" '%s' "$(awk -v a="$sy" -v b="$lab" 'BEGIN { print a + b }')"
}

: >"$OUT/rows"
for kind in fresh reuse; do
    run digest "$kind"
    run ntlm "$kind"
done

cost() { awk -v n="$1" -v d="$2" 'BEGIN { printf "%.2f", (n > 0 ? d / n : 0) }'; }
echo
{
printf '%-8s %-6s %10s %14s %10s %14s %12s\n' "auth" "users" "regs/s" "ok / failed" "p95 ms" "synth ms/reg" "lab ms/reg"
cat "$OUT/rows"
echo
for kind in fresh reuse; do
    r=$(cost "$(eval echo "\$RATE_ntlm_$kind")" "$(eval echo "\$RATE_digest_$kind")")
    c=$(cost "$(eval echo "\$CPU_digest_$kind")" "$(eval echo "\$CPU_ntlm_$kind")")
    echo "$kind: Digest regs/s / NTLM regs/s = $r, NTLM CPU / Digest CPU per registration (synth + lab) = $c (goal <= 1.30)"
done
echo "offered $OFFERED/s, at most $CONC in flight, $SECS s per run; fresh: $FRESH users, one registration each; reuse: $NUSERS users"
} | tee "$OUT/ntlm_register.txt"
[ -n "${BENCH_OUT:-}" ] && echo "raw results: $OUT"
exit 0
