#!/bin/bash
# TURN allocations per second against coturn and against the lab's relay
# (synth lab, synth/lab/turn_relay.c), in the same run: synth's TURN client
# (tests/integration/turn_probe.c --bench) allocates with long-term
# credentials (Allocate, 401, Allocate with MESSAGE-INTEGRITY, success) and
# releases each allocation (Refresh 0), CONCURRENCY at a time, over UDP and
# then TCP (a new connection per allocation). Client and server run on the
# same 2 cores, so the CPU per allocation of each side is printed: it tells
# which one is the bottleneck. The lab runs as its own process (its Front
# End and UM idle beside the relay); a second lab in MS-TURN mode
# (turn_dialect: ms-turn) is measured over UDP with the client's MS-TURN
# dialect (release by Allocate LIFETIME 0).
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

# The lab relay, its own process, with the same credential; its default
# relay range (61000-65535) is apart from coturn's.
mkdir -p "$T/lab"
printf 'listen_host: 127.0.0.1\nusers: 1\nturn_realm: synth.test\nturn_user: bench\nturn_password: bench-secret\n' >"$T/lab/lab.yaml"
"$SYNTH" lab --config "$T/lab/lab.yaml" --state-dir "$T/lab/state" --write-target "$T/lab/target.yaml" \
    >"$T/lab/lab.out" 2>&1 </dev/null &
LAB_PID=$!
PIDS="$PIDS $LAB_PID"
wait_for_line "$T/lab/lab.out" "lab ready" 20
LAB_TURN_PORT=$(sed -n 's/.*turn udp:\([0-9]*\) .*/\1/p' "$T/lab/lab.out")
wait_for_port udp "$LAB_TURN_PORT" 10

# The same lab in MS-TURN mode, beside it.
mkdir -p "$T/labms"
cp "$T/lab/lab.yaml" "$T/labms/lab.yaml"
printf 'turn_dialect: ms-turn\nturn_relay_ports: 56000-60999\n' >>"$T/labms/lab.yaml"
"$SYNTH" lab --config "$T/labms/lab.yaml" --state-dir "$T/labms/state" >"$T/labms/lab.out" 2>&1 </dev/null &
LABMS_PID=$!
PIDS="$PIDS $LABMS_PID"
wait_for_line "$T/labms/lab.out" "lab ready" 20
LABMS_TURN_PORT=$(sed -n 's/.*turn udp:\([0-9]*\) .*/\1/p' "$T/labms/lab.out")
wait_for_port udp "$LABMS_TURN_PORT" 10

# bench_one NAME PORT SERVER-PID TRANSPORT (udp, tcp, or ms-turn: UDP in that dialect)
bench_one() {
    local flag="" out="$OUT/bench-$1-$4.out"
    [ "$4" = tcp ] && flag=--tcp
    [ "$4" = ms-turn ] && flag=--ms-turn
    c0=$(cpu_s "$3")
    "$TURN_PROBE" --server "127.0.0.1:$2" --user bench --pass bench-secret $flag \
        --bench "$N" --concurrency "$CONC" >"$out" 2>&1 || true
    c1=$(cpu_s "$3")
    line=$(grep -m1 '^bench ' "$out") || fail "$1 $4: $(cat "$out")"
    ok_n=$(echo "$line" | tr ' ' '\n' | sed -n 's/^ok=//p')
    srv_us=$(awk -v a="$c1" -v b="$c0" -v n="$ok_n" 'BEGIN { if (n > 0) printf "%.0f", (a - b) * 1e6 / n; else print "-" }')
    echo "server=$1 $line server_cpu_us_per_alloc=$srv_us"
    grep -m1 '^bench first failure' "$out" || true
}

for tp in udp tcp; do
    bench_one coturn "$PORT" "$TURN_PID" $tp
    bench_one lab "$LAB_TURN_PORT" "$LAB_PID" $tp
done
bench_one lab-ms-turn "$LABMS_TURN_PORT" "$LABMS_PID" ms-turn
