#!/bin/bash
# Concurrent bidirectional SRTP calls held against the lab UM (issue #3): for
# each count N, N calls of 20 ms PCMU with SRTP both ways held SECONDS each,
# with synth and `synth lab` as separate processes; beside the machine's
# ceiling measured in the same run by media_ceiling (a bare sendto/recv loop
# of the same 182-byte packets and libsrtp2's protect+unprotect, through
# synth's media/srtp_session).
#
#   tests/bench/bench_media.sh [COUNTS] [SECONDS]
#   e.g. tests/bench/bench_media.sh "50 200" 15        (a quick run)
#   BENCH_RELAY=coturn tests/bench/bench_media.sh "50 100" 15
#
# With BENCH_RELAY (issue #4) every call is media_path: relay: through coturn
# (client → coturn → the UM's host: each packet crosses loopback twice), or
# through the lab's own A/V Edge (lab: relay to relay, as an Edge user
# reaches the UM: three crossings, two allocations per call). The ceiling
# is then the relayed one for that many crossings (media_ceiling), the
# goal held >= 60 % of it with loss <= 0.1 % both ways (the jitter is shown,
# not judged), and the relay's CPU is shown beside.
#
# A count is held when every call is ok with media, the loss is <= 0.1 % both
# ways (what synth received; what the UM received, from its RTCP) and the
# UM's RTCP jitter p99 over the calls is <= 2 ms (the send-interval jitter of
# synth's sender as the receiver sees it). With dumpcap, synth's own send
# intervals are also taken from the wire (kernel timestamps of its RTP
# packets on lo): p99 of |interval - 20 ms|, shown beside, not judged.
# Prints, per count, CPU per
# stream-second of synth and of the lab in the steady state (every call up;
# per call that was up), and the highest count held as a share of the ceiling.
#
# Environment: BENCH_COUNTS ("50 100 200 400 800"), BENCH_SECONDS (60),
# BENCH_RAMP_S (4: all N calls start within this), BENCH_WORKERS,
# BENCH_STOP_ON_FAIL (0: 1 stops after the first count not held),
# BENCH_CEILING_S (2: seconds per media_ceiling loop), BENCH_CAPTURE_S (3:
# seconds of dumpcap on lo at the start of the steady state, to measure
# synth's send intervals on the wire; 0 = none), BENCH_UM_PORTS
# (the lab's um_media_ports, default its own), BENCH_LAB_THREADS (the lab's
# `threads`: one or per-server; default the lab's), MEDIA_CEILING (the
# media_ceiling binary; default next to SYNTH, in tests/), BENCH_OUT, SYNTH.
. "$(dirname "$0")/bench_lib.sh"

COUNTS=${1:-${BENCH_COUNTS:-50 100 200 400 800}}
SECONDS_HOLD=${2:-${BENCH_SECONDS:-60}}
RAMP=${BENCH_RAMP_S:-4}
WORKERS=${BENCH_WORKERS:-}
STOP_ON_FAIL=${BENCH_STOP_ON_FAIL:-0}
CEIL_S=${BENCH_CEILING_S:-2}
UM_PORTS=${BENCH_UM_PORTS:-}
LAB_THREADS=${BENCH_LAB_THREADS:-}
RELAY=${BENCH_RELAY:-}
case "$RELAY" in ""|coturn|lab) ;; *) fail "BENCH_RELAY $RELAY: coturn or lab (or unset)" ;; esac
CAPTURE_S=${BENCH_CAPTURE_S:-3}
command -v dumpcap >/dev/null 2>&1 || CAPTURE_S=0
: "${MEDIA_CEILING:=$(dirname "$SYNTH")/tests/media_ceiling}"
[ -x "$MEDIA_CEILING" ] || fail "no media_ceiling at $MEDIA_CEILING (cmake --build build --target media_ceiling, or set MEDIA_CEILING)"
[ "$SECONDS_HOLD" -ge 10 ] && [ "$SECONDS_HOLD" -le 600 ] 2>/dev/null || fail "seconds $SECONDS_HOLD: 10..600"
[ "$RAMP" -ge 1 ] && [ "$RAMP" -le 30 ] 2>/dev/null || fail "BENCH_RAMP_S $RAMP: 1..30"
MAXN=0
for n in $COUNTS; do
    [ "$n" -ge 1 ] && [ "$n" -le 5000 ] 2>/dev/null || fail "count $n: 1..5000"
    [ "$n" -gt "$MAXN" ] && MAXN=$n
done
# The target's client_ports (20000-32767) give 6384 RTP/RTCP pairs; the lab's
# default UM range (49152-57500) 4174.
[ "$MAXN" -le 4000 ] || fail "count $MAXN: more calls than the lab's UM ports"

# Per call: synth's RTP and RTCP sockets and its user's TLS connection; in
# the lab the Front End's two legs (caller, UM) and the UM's leg and media.
raise_nofile $(( MAXN * 6 + 512 ))
echo "$(machine_line)"
echo "open files limit: $(ulimit -n)"
others=$(ps -eo comm= | grep -cE '^(tshark|dumpcap|tcpdump)$' || true)
[ "$others" -eq 0 ] || echo "note: $others packet capture process(es) running on this machine: every loopback packet is also copied to them"

# now_s, sleep_until T: wall clock with fractions, for the sampling window.
now_s() { date +%s.%N; }
sleep_until() {
    local d
    d=$(awk -v t="$1" -v n="$(now_s)" 'BEGIN { d = t - n; printf "%.2f", (d > 0 ? d : 0) }')
    sleep "$d"
}
# us_per_ss CPU_S N WINDOW_S: µs of CPU per stream-second.
us_per_ss() {
    awk -v c="$1" -v n="$2" -v w="$3" 'BEGIN { if (n > 0 && w > 0) printf "%.0f", c * 1e6 / (n * w); else printf "-" }'
}
# pct_core CPU_S WINDOW_S: CPU over the window, % of one core.
pct_core() {
    awk -v c="$1" -v w="$2" 'BEGIN { if (w > 0) printf "%.0f", c * 100 / w; else printf "-" }'
}

# send_intervals PCAP: p99 and max of |interval - 20 ms| between consecutive
# RTP packets of each of synth's sources (classic pcap, Ethernet framing as
# Linux gives lo), and the packets and streams seen.
send_intervals() {
    python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
if len(d) < 24:
    print("- - 0 0"); sys.exit()
endian = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
nano = d[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
off, last, dev, pkts = 24, {}, [], 0
while off + 16 <= len(d):
    sec, frac, incl, _ = struct.unpack(endian + "IIII", d[off:off + 16])
    p = d[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(p) < 14 + 20 + 8 + 12 or p[12:14] != b"\x08\x00":
        continue
    ihl = (p[14] & 15) * 4
    sport = struct.unpack(">H", p[14 + ihl:16 + ihl])[0]
    t = sec + frac / (1e9 if nano else 1e6)
    pkts += 1
    if sport in last:
        dev.append(abs(t - last[sport] - 0.020) * 1000)
    last[sport] = t
dev.sort()
if not dev:
    print("- - %d %d" % (pkts, len(last))); sys.exit()
print("%.3f %.3f %d %d" % (dev[min(len(dev) - 1, int(len(dev) * 0.99))], dev[-1], pkts, len(last)))
PY
}

# 1. The ceiling, in the same run.
echo
# -s: the SRTP sessions synth holds at the largest count (one per direction).
"$MEDIA_CEILING" -t "$CEIL_S" -s $(( 2 * MAXN )) -j "$OUT/ceiling.json" | tee "$OUT/ceiling.txt"
C="$OUT/ceiling.json"
CEILING=$(jq .ceiling_calls "$C")
GOAL=0.75
case "$RELAY" in
coturn) CEILING=$(jq .ceiling_relayed_calls "$C"); GOAL=0.60 ;;
lab) CEILING=$(jq .ceiling_relay_to_relay_calls "$C"); GOAL=0.60 ;;
esac
# coturn, once for every count: its relayed ports below synth's client range.
TURN_PID=""
if [ "$RELAY" = coturn ]; then
    TURN_PORT=$(free_port)
    mkdir -p "$OUT/coturn"
    start_coturn "$OUT/coturn" "$TURN_PORT" 10000 19999 bench bench-turn-secret bench.test \
        --total-quota=0 --user-quota=0 --max-bps=0
    TURN_PID=$(cat "$OUT/coturn/turnserver.pid" 2>/dev/null || true)
    [ -n "$TURN_PID" ] || TURN_PID=$(pgrep -n turnserver)
    echo "coturn on 127.0.0.1:$TURN_PORT, relaying from 10000-19999 (pid $TURN_PID)"
fi
MIN_SS=$(jq .stream_second_us "$C")

# 2. N calls held, one fresh lab per count.
echo
echo "calls held ${SECONDS_HOLD} s each, started within ${RAMP} s; steady state = every call up"
printf '%s\n' "n|calls ok|media ok|loss max %|peer loss max %|jitter p99 ms|peer jitter p99 ms|send interval dev p99/max ms|synth µs/stream-s|synth % core|lab µs/stream-s|lab % core|relay µs/stream-s|lag p99 ms|held" >"$OUT/media.tsv"
HELD=0
for n in $COUNTS; do
    d="$OUT/n$n"
    mkdir -p "$d"
    {
        echo "listen_host: 127.0.0.1"
        echo "users: $n"
        echo "um_max_message: $(( SECONDS_HOLD + 60 ))s"
        [ -n "$UM_PORTS" ] && echo "um_media_ports: $UM_PORTS"
        [ -n "$LAB_THREADS" ] && echo "threads: $LAB_THREADS"
    } >"$d/lab.yaml"
    "$SYNTH" lab --config "$d/lab.yaml" --state-dir "$d/state" --write-target "$d/target.yaml" \
        >"$d/lab.out" 2>&1 </dev/null &
    LAB_PID=$!
    PIDS="$PIDS $LAB_PID"
    wait_for_line "$d/lab.out" "lab ready" 20
    for _ in $(seq 100); do [ -s "$d/target.yaml" ] && break; sleep 0.1; done
    [ -s "$d/target.yaml" ] || fail "the lab wrote no target file"
    path_key=""
    if [ -n "$RELAY" ]; then
        path_key=", media_path: relay"
        if [ "$RELAY" = coturn ]; then
            awk -v turn="  turn: {host: 127.0.0.1, port: $TURN_PORT, transport: udp, username: bench, password: bench-turn-secret, realm: bench.test}" \
                '!/^  turn:/ {print} /^  client_ports:/ && !done {print turn; done=1}' \
                "$d/target.yaml" >"$d/target.tmp" && mv "$d/target.tmp" "$d/target.yaml"
        fi
    fi
    rate=$(( (n + RAMP - 1) / RAMP ))
    cat >"$d/scenario.yaml" <<SCN
name: bench-media-$n
steps:
  - call: {hold: ${SECONDS_HOLD}s, timeout: 10s, greeting: optional, hangup_on_greeting: false$path_key}
  - hangup
load: {users: $n, rate: $rate, max_concurrent: $n, iterations: $n}
SCN
    lab0=$(cpu_s "$LAB_PID")
    t0=$(now_s)
    measured_bg "$d/synth.json" $(( SECONDS_HOLD + RAMP + 120 )) \
        "$SYNTH" run "$d/scenario.yaml" --target "$d/target.yaml" --out "$d/run" --quiet \
        ${WORKERS:+--workers "$WORKERS"} >"$d/synth.out" 2>&1
    SPID=$CHILD_PID
    # Every call is up from about RAMP s (plus its setup) until the first
    # ends at SECONDS_HOLD s.
    w0=$(awk -v t="$t0" -v r="$RAMP" 'BEGIN { printf "%.2f", t + r + 2 }')
    # (the capture, when on, comes first and the CPU window after it)
    w1=$(awk -v t="$t0" -v s="$SECONDS_HOLD" 'BEGIN { printf "%.2f", t + s - 1 }')
    sc0=0; sc1=0; lc0=0; lc1=0; tc0=0; tc1=0; win=0
    if awk -v a="$w0" -v b="$w1" -v c="$CAPTURE_S" 'BEGIN { exit !(b - a - c - 1 >= 3) }'; then
        sleep_until "$w0"
        if [ "$CAPTURE_S" -gt 0 ] && kill -0 "$SPID" 2>/dev/null; then
            # synth's RTP only: from its client ports, SRTP-sized (14 + 20 + 8 + 182).
            dumpcap -q -P -B 16 -i lo -s 64 -a "duration:$CAPTURE_S" \
                -f "udp and src portrange 20000-32767 and greater 220" \
                -w "$d/send.pcap" >"$d/dumpcap.out" 2>&1 </dev/null || true
        fi
        if kill -0 "$SPID" 2>/dev/null; then
            ta=$(now_s); sc0=$(cpu_s "$SPID"); lc0=$(cpu_s "$LAB_PID")
            thread_cpu "$LAB_PID" >"$d/lab_threads0.txt"
            tc0=0; [ -n "$TURN_PID" ] && tc0=$(cpu_s "$TURN_PID")
            sleep_until "$w1"
            if kill -0 "$SPID" 2>/dev/null; then
                tb=$(now_s); sc1=$(cpu_s "$SPID"); lc1=$(cpu_s "$LAB_PID")
                tc1=0; [ -n "$TURN_PID" ] && tc1=$(cpu_s "$TURN_PID")
                win=$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.2f", b - a }')
                thread_cpu "$LAB_PID" >"$d/lab_threads1.txt"
                ps -L -o tid=,pcpu=,comm= -p "$SPID" >"$d/synth_threads.txt" 2>/dev/null || true
            fi
        fi
    fi
    wait_measured "$MEASURED_PID"
    lab_alive=yes
    kill -0 "$LAB_PID" 2>/dev/null || lab_alive=no
    lab_cpu=$(awk -v a="$(cpu_s "$LAB_PID")" -v b="$lab0" 'BEGIN { printf "%.2f", a - b }')
    stop_pid "$LAB_PID"
    S="$d/run/summary.json"
    if [ ! -s "$S" ]; then
        echo "n=$n: synth wrote no summary ($(jq -c . "$d/synth.json"); $(tail -3 "$d/synth.out"))"
        printf '%s\n' "$n|-|-|-|-|-|-|-|-|-|-|-|-|-|no (no summary)" >>"$OUT/media.tsv"
        [ "$STOP_ON_FAIL" = 1 ] && break
        continue
    fi
    q() { jq -r "$1 // \"-\"" "$S"; }
    ok=$(q '.steps.call.ok'); media_ok=$(q '.calls.media_ok')
    loss=$(q '.calls.loss_pct.max'); ploss=$(q '.calls.peer_loss_pct.max')
    jit=$(q '.calls.jitter_ms.p99'); pjit=$(q '.calls.peer_jitter_ms.p99')
    reports=$(q '.calls.media_policy.peer_reports'); lag=$(q '.generator.lag_ms.p99')
    hang_ok=$(q '.steps.hangup.ok')
    # Per stream that was up: the calls ok (a failed call had no media then).
    up=$n; [ "$ok" != "-" ] && [ "$ok" -lt "$n" ] && up=$ok
    s_us=$(us_per_ss "$(awk -v a="$sc1" -v b="$sc0" 'BEGIN { print a - b }')" "$up" "$win")
    l_us=$(us_per_ss "$(awk -v a="$lc1" -v b="$lc0" 'BEGIN { print a - b }')" "$up" "$win")
    s_pct=$(pct_core "$(awk -v a="$sc1" -v b="$sc0" 'BEGIN { print a - b }')" "$win")
    l_pct=$(pct_core "$(awk -v a="$lc1" -v b="$lc0" 'BEGIN { print a - b }')" "$win")
    # The relay's own CPU: coturn's process; the lab relay runs inside the lab.
    r_us="-"
    [ -n "$TURN_PID" ] && r_us=$(us_per_ss "$(awk -v a="$tc1" -v b="$tc0" 'BEGIN { print a - b }')" "$up" "$win")
    sendiv="-"
    if [ -s "$d/send.pcap" ]; then
        read -r sp99 smax spk sstreams < <(send_intervals "$d/send.pcap")
        sendiv="$sp99/$smax"
        echo "n=$n: on the wire, $spk RTP packets of $sstreams synth streams in ${CAPTURE_S} s" >"$d/send.txt"
    fi
    why=""
    [ "$ok" = "$n" ] && [ "$hang_ok" = "$n" ] || why="$why calls"
    [ "$media_ok" = "$n" ] || why="$why media"
    [ "$reports" = "$n" ] || why="$why peer-reports($reports)"
    awk -v x="$loss" 'BEGIN { exit !(x != "-" && x <= 0.1) }' || why="$why loss"
    awk -v x="$ploss" 'BEGIN { exit !(x != "-" && x <= 0.1) }' || why="$why peer-loss"
    # Relayed, the goal is the issue's: loss <= 0.1 % (the jitter is shown).
    [ -n "$RELAY" ] || awk -v x="$pjit" 'BEGIN { exit !(x != "-" && x <= 2) }' || why="$why peer-jitter"
    [ "$lab_alive" = yes ] || why="$why lab-died"
    if [ -n "$RELAY" ]; then
        relayed=$(q '.calls.media_path.relay')
        [ "$relayed" = "$n" ] || why="$why relayed($relayed)"
    fi
    if [ -z "$why" ]; then held=yes; [ "$n" -gt "$HELD" ] && HELD=$n
    else held="no:$why"; fi
    printf '%s\n' "$n|$ok|$media_ok|$loss|$ploss|$jit|$pjit|$sendiv|$s_us|$s_pct|$l_us|$l_pct|$r_us|$lag|$held" >>"$OUT/media.tsv"
    echo "n=$n: $ok ok, loss max $loss % / peer $ploss %, peer jitter p99 $pjit ms, send interval dev p99/max $sendiv ms, synth $s_us µs/stream-s ($s_pct % core), lab $l_us ($l_pct %), total CPU synth $(jq .cpu_s "$d/synth.json") s lab $lab_cpu s: held $held"
    # The lab's servers each on its thread (docs/lab.md): which one is the limit.
    [ -s "$d/lab_threads1.txt" ] && echo "n=$n: lab threads over the window: $(thread_pct "$d/lab_threads0.txt" "$d/lab_threads1.txt" "$win")"
    if [ "$held" != yes ] && [ "$STOP_ON_FAIL" = 1 ]; then break; fi
done

echo
column -t -s '|' "$OUT/media.tsv" | tee "$OUT/media.txt"
echo
best_us=$(awk -F'|' -v h="$HELD" 'NR > 1 && $1 == h { print $9 }' "$OUT/media.tsv")
case "$RELAY" in
coturn) what="relayed through coturn, 2 loopback crossings per packet" ;;
lab) what="relay to relay through the lab's A/V Edge, 3 crossings per packet" ;;
*) what="direct" ;;
esac
printf '%-44s %s\n' \
    "ceiling (media_ceiling, this run)" "$CEILING calls ($what) on $(jq .cores "$C") cores; minimum $MIN_SS µs CPU per stream-second (generator's half, direct)" \
    "highest count held" "$HELD" \
    "held / ceiling (goal >= $GOAL)" "$(awk -v h="$HELD" -v c="$CEILING" 'BEGIN { printf "%.2f", (c > 0 ? h / c : 0) }')" \
    "synth CPU per stream-second at that count" "${best_us:--} µs (minimum $MIN_SS: $(awk -v m="$MIN_SS" -v s="${best_us:-0}" 'BEGIN { if (s > 0) printf "%.2f", m / s; else printf "-" }') of it)" \
    "SRTP pair, 1 session / $(jq .sessions "$C") sessions" "$(jq .srtp_pair_us "$C") / $(jq .srtp_pair_many_us "$C") µs" \
    "send path / bare loop, by CPU (goal >= 0.50)" "$(jq .send_ratio_cpu "$C") (by packets/s: $(jq .send_ratio_wall "$C"))" | tee -a "$OUT/media.txt"
[ -n "${BENCH_OUT:-}" ] && echo "raw results: $OUT"
exit 0
