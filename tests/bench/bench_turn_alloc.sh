#!/bin/bash
# TURN allocations per second against coturn: synth's TURN client
# (tests/integration/turn_probe.c --bench) allocates with long-term
# credentials (Allocate, 401, Allocate with MESSAGE-INTEGRITY, success) and
# releases each allocation (Refresh 0), CONCURRENCY at a time, over UDP and
# then TCP (a new connection per allocation). Both run on the same 2 cores,
# so the CPU per allocation of each side is printed: it tells which one is
# the bottleneck.
#
#   tests/bench/bench_turn_alloc.sh [ALLOCATIONS] [CONCURRENCY]
#
# Environment: BENCH_ALLOCS (5000), BENCH_CONCURRENCY (32), TURN_PROBE (the
# turn_probe binary; default build/tests/turn_probe), BENCH_OUT, SYNTH.
. "$(dirname "$0")/bench_lib.sh"

N=${1:-${BENCH_ALLOCS:-5000}}
CONC=${2:-${BENCH_CONCURRENCY:-32}}
: "${TURN_PROBE:=$SYNTH_SOURCE_DIR/build/tests/turn_probe}"
[ -x "$TURN_PROBE" ] || fail "no turn_probe at $TURN_PROBE (build it, or set TURN_PROBE)"
[ "$N" -ge 1 ] && [ "$N" -le 100000 ] 2>/dev/null || fail "allocations $N: 1..100000"
[ "$CONC" -ge 1 ] && [ "$CONC" -le 1024 ] 2>/dev/null || fail "concurrency $CONC: 1..1024"
raise_nofile 4096
echo "$(machine_line)"

# coturn does not hand a released relay port out again at once, so the range
# is wide: 16,000 ports (some may be taken; coturn skips those).
PORT=$(free_port)
mkdir -p "$T/coturn"
start_coturn "$T/coturn" "$PORT" 33000 48999 bench bench-secret synth.test
TURN_PID=$(cat "$T/coturn/turnserver.pid" 2>/dev/null || echo "${PIDS##* }")

for tp in udp tcp; do
    flag=""; [ $tp = tcp ] && flag=--tcp
    c0=$(cpu_s "$TURN_PID")
    "$TURN_PROBE" --server "127.0.0.1:$PORT" --user bench --pass bench-secret $flag \
        --bench "$N" --concurrency "$CONC" >"$OUT/bench-$tp.out" 2>&1 || true
    c1=$(cpu_s "$TURN_PID")
    line=$(grep -m1 '^bench ' "$OUT/bench-$tp.out") || fail "$tp: $(cat "$OUT/bench-$tp.out")"
    ok_n=$(echo "$line" | tr ' ' '\n' | sed -n 's/^ok=//p')
    turn_us=$(awk -v a="$c1" -v b="$c0" -v n="$ok_n" 'BEGIN { if (n > 0) printf "%.0f", (a - b) * 1e6 / n; else print "-" }')
    echo "$line coturn_cpu_us_per_alloc=$turn_us"
    grep -m1 '^bench first failure' "$OUT/bench-$tp.out" || true
done
