#!/bin/bash
# synth vs SIPp as the calling side (UAC) against the same kind of SIPp UAS,
# over UDP and TCP, at the same call rates: calls completed, failures, and CPU
# seconds (user+sys) per 1000 calls of each generator process, side by side.
# The UAS's CPU is measured too, so a saturated UAS is visible.
#
#   tests/bench/bench_uac_vs_sipp.sh [RATES] [DURATION_S]
#   e.g. tests/bench/bench_uac_vs_sipp.sh "200" 5       (a quick run)
#
# Environment: BENCH_RATES ("500 1000 2000"), BENCH_DURATION (20 s),
# BENCH_TRANSPORTS ("udp tcp"), BENCH_HOLD_MS (100: the pause between ACK and
# BYE, the same for both tools), BENCH_WORKERS (synth --workers; default its
# own: the CPU count), BENCH_FLOOR (1: also run sip_uac_floor, the same calls
# with no SIP stack, over one socket and over one per user: the kernel's cost
# that no UAC goes below), SIP_UAC_FLOOR, BENCH_OUT, SYNTH (see bench_lib.sh).
#
# Every run gets a fresh SIPp UAS (its built-in `uas` scenario) on an
# ephemeral port; each generator makes RATE x DURATION calls. SIPp: built-in
# `uac` scenario, `-t u1` / `-t t1` (one socket for all calls); synth: a
# `call` + `hangup` journey, one socket per user (as real clients have).
. "$(dirname "$0")/bench_lib.sh"

RATES=${1:-${BENCH_RATES:-500 1000 2000}}
DUR=${2:-${BENCH_DURATION:-20}}
TRANSPORTS=${BENCH_TRANSPORTS:-udp tcp}
HOLD_MS=${BENCH_HOLD_MS:-100}
WORKERS=${BENCH_WORKERS:-}
# The floor rows (sip_uac_floor, built beside synth in tests/); BENCH_FLOOR=0 skips them.
: "${SIP_UAC_FLOOR:=$(dirname "$SYNTH")/tests/sip_uac_floor}"
FLOOR=
if [ "${BENCH_FLOOR:-1}" != 0 ]; then
    [ -x "$SIP_UAC_FLOOR" ] || fail "no sip_uac_floor at $SIP_UAC_FLOOR (cmake --build build --target sip_uac_floor, or set SIP_UAC_FLOOR, or BENCH_FLOOR=0)"
    FLOOR=1
fi
for r in $RATES; do
    [ "$r" -ge 1 ] && [ "$r" -le 5000 ] 2>/dev/null || fail "rate $r: 1..5000 calls/s"
done
[ "$DUR" -ge 1 ] && [ "$DUR" -le 120 ] 2>/dev/null || fail "duration $DUR: 1..120 s"

# Users: enough for rate x (call duration + 1 s of slack) so an idle user is
# always there unless the generator or the UAS really falls behind; each UDP
# user has its own socket, each TCP user its own connection.
maxu=0
for r in $RATES; do
    u=$(( r * (HOLD_MS + 1000) / 1000 )); [ $u -lt 100 ] && u=100
    [ $u -gt $maxu ] && maxu=$u
done
raise_nofile $(( maxu + 512 ))

RES="$OUT/uac_vs_sipp.tsv"
printf 'transport\trate\ttool\tcalls\tok\tfailed\tmissing\tcpu_s\twall_s\tuas_cpu_s\tlag_p99_ms\trc\n' >"$RES"

# run_uas TRANSPORT NAME: a fresh SIPp UAS; sets UAS_PID, UAS_PORT, UAS_CPU0.
run_uas() {
    UAS_PORT=$(free_port)
    start_sipp_uas "$UAS_PORT" "$([ "$1" = udp ] && echo u1 || echo t1)" "$OUT/$2-uas"
    UAS_PID=${PIDS##* }
    UAS_CPU0=$(cpu_s "$UAS_PID")
}

# end_uas: UAS CPU used since run_uas, then stop it.
end_uas() {
    UAS_CPU=$(awk -v a="$(cpu_s "$UAS_PID")" -v b="$UAS_CPU0" 'BEGIN { printf "%.2f", a - b }')
    stop_pid "$UAS_PID"
}

bench_sipp() { # TRANSPORT RATE
    local tp=$1 rate=$2 name="sipp-$1-$2" calls=$(( $2 * DUR ))
    run_uas "$tp" "$name"
    local lport
    lport=$(free_port)
    # -recv_timeout: a call whose answer never comes is a failure after 5 s
    # (synth's call timeout below is 5 s too); -timeout bounds the whole run.
    measured "$OUT/$name.json" $(( DUR * 3 + 60 )) \
        sipp -sn uac -i 127.0.0.1 -p "$lport" "127.0.0.1:$UAS_PORT" -t "$([ "$tp" = udp ] && echo u1 || echo t1)" \
        -r "$rate" -m "$calls" -d "$HOLD_MS" -recv_timeout 5000 -timeout $(( DUR * 3 + 30 )) \
        -nostdin -trace_stat -stf "$OUT/$name.csv" -fd 1 -trace_err -error_file "$OUT/$name.err" \
        >"$OUT/$name.out" 2>&1
    end_uas
    local ok=0 failed=0
    if [ -s "$OUT/$name.csv" ]; then
        read -r ok failed < <(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "SuccessfulCall(C)") s = i; if ($i == "FailedCall(C)") f = i } }
                                    END { print $s + 0, $f + 0 }' "$OUT/$name.csv")
    fi
    printf '%s\t%s\tsipp\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t%s\n' "$tp" "$rate" "$calls" "$ok" "$failed" \
        $(( calls - ok - failed )) "$(jq .cpu_s "$OUT/$name.json")" "$(jq .wall_s "$OUT/$name.json")" \
        "$UAS_CPU" "$(jq .rc "$OUT/$name.json")" >>"$RES"
}

# users_for RATE: synth's users (and sockets) at that rate, as above.
users_for() {
    local u=$(( $1 * (HOLD_MS + 1000) / 1000 ))
    [ $u -lt 100 ] && u=100
    echo $u
}

bench_synth() { # TRANSPORT RATE
    local tp=$1 rate=$2 name="synth-$1-$2" calls=$(( $2 * DUR ))
    local users
    users=$(users_for "$rate")
    run_uas "$tp" "$name"
    cat >"$OUT/$name-scenario.yaml" <<SCN
name: bench-call
steps:
  - call: {hold: ${HOLD_MS}ms, timeout: 5s, media: false}
  - hangup: {timeout: 5s}
load: {users: $users, rate: $rate, max_concurrent: $users, iterations: $calls}
SCN
    cat >"$OUT/$name-target.yaml" <<TGT
name: sipp-uas-$tp
sip_domain: 127.0.0.1
registrar: {host: 127.0.0.1, port: $UAS_PORT, transport: $tp}
voicemail_uri: "sip:service@127.0.0.1:$UAS_PORT"
users: {pattern: "sip:caller{n}@127.0.0.1", password: unused, count: $users}
TGT
    measured "$OUT/$name.json" $(( DUR * 3 + 60 )) \
        "$SYNTH" run "$OUT/$name-scenario.yaml" --target "$OUT/$name-target.yaml" --out "$OUT/$name" \
        --quiet ${WORKERS:+--workers "$WORKERS"} >"$OUT/$name.out" 2>&1
    end_uas
    local S="$OUT/$name/summary.json" ok=0 failed=0 lag=-
    if [ -s "$S" ]; then
        # A call counts as ok when it was answered and its BYE got its 200.
        ok=$(jq '[.calls.answered, (.steps.hangup.ok // 0)] | min' "$S")
        failed=$(jq '.calls.attempted - ([.calls.answered, (.steps.hangup.ok // 0)] | min)' "$S")
        lag=$(jq '.generator.lag_ms.p99' "$S")
    fi
    printf '%s\t%s\tsynth\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tp" "$rate" "$calls" "$ok" "$failed" \
        $(( calls - ok - failed )) "$(jq .cpu_s "$OUT/$name.json")" "$(jq .wall_s "$OUT/$name.json")" \
        "$UAS_CPU" "$lag" "$(jq .rc "$OUT/$name.json")" >>"$RES"
}

bench_floor() { # TRANSPORT RATE SOCKETS TOOL
    local tp=$1 rate=$2 socks=$3 tool=$4 name="$4-$1-$2" calls=$(( $2 * DUR ))
    run_uas "$tp" "$name"
    measured "$OUT/$name.json" $(( DUR * 3 + 60 )) \
        "$SIP_UAC_FLOOR" -a "127.0.0.1:$UAS_PORT" -T "$tp" -r "$rate" -n "$calls" -d "$HOLD_MS" \
        -u "$socks" -j "$OUT/$name-floor.json" >"$OUT/$name.out" 2>&1
    end_uas
    local ok=0 failed=0
    if [ -s "$OUT/$name-floor.json" ]; then
        ok=$(jq .ok "$OUT/$name-floor.json")
        failed=$(jq .failed "$OUT/$name-floor.json")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t%s\n' "$tp" "$rate" "$tool" "$calls" "$ok" \
        "$failed" $(( calls - ok - failed )) "$(jq .cpu_s "$OUT/$name.json")" \
        "$(jq .wall_s "$OUT/$name.json")" "$UAS_CPU" "$(jq .rc "$OUT/$name.json")" >>"$RES"
}

echo "$(machine_line)"
echo "rates: $RATES calls/s for $DUR s each, hold ${HOLD_MS} ms, transports: $TRANSPORTS"
for tp in $TRANSPORTS; do
    for rate in $RATES; do
        echo "running $tp at $rate calls/s: sipp ..."
        bench_sipp "$tp" "$rate"
        echo "running $tp at $rate calls/s: synth ..."
        bench_synth "$tp" "$rate"
        if [ -n "$FLOOR" ]; then
            echo "running $tp at $rate calls/s: floor, one socket and one per user ..."
            bench_floor "$tp" "$rate" 1 floor1
            bench_floor "$tp" "$rate" "$(users_for "$rate")" floorU
        fi
    done
done

# The table: one row per tool, the synth row carries the ratio to SIPp's row.
echo
awk -F'\t' '
function per_k(c, n) { return n > 0 ? sprintf("%.3f", c * 1000 / n) : "-" }
NR == 1 { next }
{
    key = $1 "/" $2
    cpuk = per_k($8, $5)
    uask = per_k($10, $5)
    uaspct = $9 > 0 ? sprintf("%.0f%%", 100 * $10 / $9) : "-"
    if ($3 == "sipp") sipp[key] = cpuk
    ratio = "-"
    if ($3 != "sipp" && (key in sipp) && sipp[key] != "-" && sipp[key] > 0 && cpuk != "-")
        ratio = sprintf("%.2f", cpuk / sipp[key])
    if ($3 == "synth") synth[key] = cpuk
    if ($3 == "floorU" && (key in synth) && cpuk != "-" && cpuk > 0)
        over[key] = sprintf("%s %s: synth %.2f x the floor with its sockets (%s), SIPp %s; goal 0.5 x SIPp = %.3f",
            $1, $2, synth[key] / cpuk, cpuk, sipp[key], sipp[key] / 2)
    rows[NR] = sprintf("%-5s %6s  %-6s %7s %7s %7s %7s  %9s  %6s %6s  %9s %6s  %8s  %s",
        $1, $2, $3, $4, $5, $6, $7, cpuk, ratio, $8, uask, uaspct, $11, ($12 == "0" ? "" : "exit " $12))
    n = NR
}
END {
    printf "%-5s %6s  %-6s %7s %7s %7s %7s  %9s  %6s %6s  %9s %6s  %8s\n",
        "tp", "cps", "tool", "calls", "ok", "failed", "missing", "CPU s/1k", "ratio", "CPU s",
        "UAS s/1k", "UAS %", "lag p99"
    for (i = 2; i <= n; i++) print rows[i]
    if (length(over)) print ""
    for (k in over) print over[k]
}' "$RES" | tee "$OUT/uac_vs_sipp.txt"
echo
echo "CPU s/1k: user+sys CPU seconds of the generator process per 1000 successful calls;"
echo "ratio: synth / SIPp at the same transport and rate (goal <= 0.50); UAS %: the UAS's CPU"
echo "over the generator's wall time (100% = one core: the UAS is the bottleneck);"
echo "missing: calls not started or not finished; lag p99: synth's intended-vs-actual start."
[ -n "$FLOOR" ] && echo "floor1 / floorU: sip_uac_floor, the same calls with no SIP stack (fixed templates, no
timers, no results) over one socket (as SIPp) and one per user (as synth): the kernel's own
cost of these datagrams and wake-ups, which no UAC goes below; their ratio is to SIPp."
[ -n "${BENCH_OUT:-}" ] && echo "raw results: $OUT"
exit 0
