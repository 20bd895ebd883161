#!/bin/bash
# The lab's A/V Edge, its TURN relay (synth/lab/turn_relay.c), against
# (a) coturn's own client, turnutils_uclient, relaying to turnutils_peer over
# UDP by channels and by Send indications and over TCP, and (b) synth's
# TURN client (tests/integration/turn_probe.c): allocations over UDP and TCP,
# a permission, data both ways by indications and by ChannelData, refresh,
# release, a wrong password, a stale nonce, the user quota, an exhausted
# relay range and the fault knobs turn_refuse_allocate and turn_drop_relayed.
# The lab's target file gives the port; the lab's counters show the relay
# was ours.
. "$(dirname "$0")/lib.sh"

PROBE="${SYNTH_BUILD_DIR:?}/tests/turn_probe"
[ -x "$PROBE" ] || fail "no $PROBE (build the turn_probe target)"
command -v turnutils_uclient >/dev/null && command -v turnutils_peer >/dev/null \
    || fail "coturn's turnutils not installed (./scripts/setup.sh --tests)"
USER=avuser
PASS=relay-secret-7
REALM=av.synth.test

# start_turn_lab NAME YAML-LINES [--fault K=V]...: a lab with the TURN
# credential above and more keys; sets PORT (UDP and TCP) and LAB_PID.
start_turn_lab() {
    local d="$T/$1" extra=$2
    shift 2
    mkdir -p "$d"
    printf 'listen_host: 127.0.0.1\nusers: 2\nturn_realm: %s\nturn_user: %s\nturn_password: %s\n%s\n' \
        "$REALM" "$USER" "$PASS" "$extra" >"$d/lab.yaml"
    "$SYNTH" lab --config "$d/lab.yaml" --state-dir "$d/state" --write-target "$d/target.yaml" "$@" \
        >"$d/lab.out" 2>&1 </dev/null &
    LAB_PID=$!
    PIDS="$PIDS $LAB_PID"
    wait_for_line "$d/lab.out" "lab ready" 20
    for _ in $(seq 100); do [ -s "$d/target.yaml" ] && break; sleep 0.1; done
    PORT=$(awk '$1 == "turn_udp_port:" { print $2 }' "$d/target.yaml")
    [ -n "$PORT" ] && [ "$(awk '$1 == "turn_tcp_port:" { print $2 }' "$d/target.yaml")" = "$PORT" ] \
        || fail "no turn ports in $d/target.yaml: $(cat "$d/target.yaml")"
    wait_for_port udp "$PORT" 10
    wait_for_port tcp "$PORT" 10
}

# stop_lab NAME: SIGTERM, then the 'lab turn:' line of its counters.
stop_lab() {
    kill "$LAB_PID"
    for _ in $(seq 100); do grep -q "^lab turn:" "$T/$1/lab.out" && break; sleep 0.1; done
    TURN_LINE=$(grep "^lab turn:" "$T/$1/lab.out") || fail "$1: no 'lab turn:' line: $(tail -5 "$T/$1/lab.out")"
}

# field KEY FILE LINE-PREFIX: the value of KEY= on the first line starting with the prefix.
field() { grep -m1 "^$3" "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

probe() { "$PROBE" --server "127.0.0.1:$PORT" --user "$USER" --rto 100 "$@"; }

start_turn_lab main ""
grep -q "turn udp:$PORT tcp:$PORT" "$T/main/lab.out" || fail "lab ready line: $(cat "$T/main/lab.out")"

# (a) coturn's client. It allocates, binds channels (numbers up to 0x7FFF, RFC
# 5766) or sends Send indications (-s), 20 messages a client; -c: no RTCP
# allocations (they need EVEN-PORT, which the lab relay does not offer).
PEER_PORT=$(free_port)
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >"$T/peer.log" 2>&1 </dev/null &
PIDS="$PIDS $!"
wait_for_port udp "$PEER_PORT" 10
for mode in udp-channels udp-indications tcp-channels; do
    flags="-c"
    case $mode in udp-indications) flags="-c -s" ;; tcp-channels) flags="-c -t" ;; esac
    out="$T/uclient-$mode.out"
    # shellcheck disable=SC2086 # flags are several options
    timeout 60 turnutils_uclient $flags -n 20 -u "$USER" -w "$PASS" -p "$PORT" -e 127.0.0.1 -r "$PEER_PORT" 127.0.0.1 \
        >"$out" 2>&1 || fail "turnutils_uclient $mode: exit $?: $(tail -5 "$out")"
    grep -q "tot_send_msgs=20, tot_recv_msgs=20$" "$out" || fail "uclient $mode: not 20 sent and 20 received: $(tail -6 "$out")"
    grep -q "Total lost packets 0 (0.000000%)" "$out" || fail "uclient $mode: loss: $(tail -6 "$out")"
    ok "turnutils_uclient $mode: 20 messages relayed to turnutils_peer and back, 0 lost"
done

# (b) synth's TURN client.
for tp in udp tcp; do
    flag=""; [ $tp = tcp ] && flag=--tcp
    out="$T/probe-$tp.out"
    rc=0; probe --pass "$PASS" $flag >"$out" 2>&1 || rc=$?
    [ $rc -eq 0 ] || fail "probe over $tp: exit $rc: $(cat "$out")"
    relayed=$(field relayed "$out" "allocate ok")
    rport=${relayed##*:}
    [ "${relayed%:*}" = 127.0.0.1 ] && [ "$rport" -ge 61000 ] && [ "$rport" -le 65535 ] \
        || fail "$tp: relayed address $relayed is not in the lab's relay range 61000-65535"
    [ "$(field requests "$out" "allocate ok")" = 2 ] || fail "$tp: want 2 Allocate requests (401 round): $(cat "$out")"
    [ "$(field lifetime "$out" "allocate ok")" = 600 ] || fail "$tp: want the default lifetime 600: $(cat "$out")"
    ok "$tp: allocated with long-term credentials (401, then integrity), relayed $relayed, lifetime 600 s"
    grep -q "^permission ok" "$out" || fail "$tp: CreatePermission: $(cat "$out")"
    for path in indications channeldata; do
        line=$(grep -m1 "^$path ok" "$out") || fail "$tp: $path: $(cat "$out")"
        [ "$(field bytes_match "$out" "$path ok")" = yes ] && [ "$(field rx "$out" "$path ok")" = 5 ] \
            || fail "$tp: $path: $line"
        [ "$(field peer_saw "$out" "$path ok")" = "$relayed" ] || fail "$tp: $path: the peer saw another address: $line"
        ok "$tp: 5 packets to the echo peer from $relayed and back by $path"
    done
    [ "$(field lifetime "$out" "refresh ok")" = 600 ] || fail "$tp: refresh: $(cat "$out")"
    grep -q "^release ok" "$out" || fail "$tp: release (Refresh 0): $(cat "$out")"
    ok "$tp: refreshed and released"
done
mapped=$(field mapped "$T/probe-udp.out" "binding ok")
case "$mapped" in 127.0.0.1:*) ok "STUN Binding answered: $mapped" ;; *) fail "Binding: $(cat "$T/probe-udp.out")" ;; esac

rc=0; probe --pass wrong-password >"$T/wrong.out" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q '^allocate failed class=auth-refused code=401 ' "$T/wrong.out" \
    || fail "wrong password: exit $rc: $(cat "$T/wrong.out")"
ok "wrong password: auth-refused (401 after credentials)"

stop_lab main
allocs=$(echo "$TURN_LINE" | sed -n 's/^lab turn: \([0-9]*\) allocations.*/\1/p')
to=$(echo "$TURN_LINE" | sed -n 's/.* \([0-9]*\) packets relayed to peers.*/\1/p')
from=$(echo "$TURN_LINE" | sed -n 's/.*to peers, \([0-9]*\) from peers.*/\1/p')
# uclient: 3 runs of 1 allocation (plus its Refresh); the probe: 2, 10 packets each way.
[ "$allocs" -ge 5 ] && [ "$to" -ge 80 ] && [ "$from" -ge 80 ] || fail "lab counters: $TURN_LINE"
ok "the lab counted it: $TURN_LINE"

# A nonce that goes stale: the Refresh 2 s later gets 438 and is retried.
# A quota of one allocation per user: two at once, the second gets 486.
start_turn_lab limits "turn_nonce_lifetime: 1s
turn_user_quota: 1"
rc=0; probe --pass "$PASS" --refresh-delay 2000 >"$T/stale.out" 2>&1 || rc=$?
[ $rc -eq 0 ] && [ "$(field stale_nonces "$T/stale.out" "refresh ok")" -ge 1 ] \
    || fail "stale nonce: exit $rc: $(cat "$T/stale.out")"
ok "stale nonce: 438, retried with the new nonce ($(field stale_nonces "$T/stale.out" "refresh ok") times)"
rc=0; probe --pass "$PASS" --bench 2 --concurrency 2 >"$T/quota.out" 2>&1 || rc=$?
grep -q '^bench .* ok=1 failed=1 ' "$T/quota.out" && grep -q '^bench first failure: allocation-quota/486/' "$T/quota.out" \
    || fail "user quota 1: want one allocation and one 486: $(cat "$T/quota.out")"
ok "user quota: the second allocation at once is refused with $(sed -n 's/^bench first failure: //p' "$T/quota.out")"

# A relay range of one port: the second allocation at once finds none (508).
ONE=$(free_port)
start_turn_lab range "turn_relay_ports: $ONE-$ONE"
rc=0; probe --pass "$PASS" --bench 2 --concurrency 2 >"$T/range.out" 2>&1 || rc=$?
grep -q '^bench .* ok=1 failed=1 ' "$T/range.out" && grep -q '^bench first failure: insufficient-capacity/508/' "$T/range.out" \
    || fail "relay range of one port: want one allocation and one 508: $(cat "$T/range.out")"
ok "relay range exhausted: $(sed -n 's/^bench first failure: //p' "$T/range.out")"

# The fault knobs.
for code in 486 508; do
    start_turn_lab "refuse$code" "" --fault "turn_refuse_allocate=$code"
    rc=0; probe --pass "$PASS" >"$T/refuse$code.out" 2>&1 || rc=$?
    class=allocation-quota; [ $code = 508 ] && class=insufficient-capacity
    [ $rc -eq 2 ] && grep -q "^allocate failed class=$class code=$code " "$T/refuse$code.out" \
        || fail "turn_refuse_allocate=$code: exit $rc: $(cat "$T/refuse$code.out")"
    ok "turn_refuse_allocate=$code: $class"
done
start_turn_lab drop "" --fault turn_drop_relayed=true
rc=0; probe --pass "$PASS" --deadline 3 >"$T/drop.out" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q "^allocate ok" "$T/drop.out" && grep -q "^permission ok" "$T/drop.out" \
    && grep -q "^deadline: " "$T/drop.out" && ! grep -q "^indications ok" "$T/drop.out" \
    || fail "turn_drop_relayed: want an allocation and no data back: exit $rc: $(cat "$T/drop.out")"
stop_lab drop
dropped=$(echo "$TURN_LINE" | sed -n 's/.* \([0-9]*\) dropped$/\1/p')
[ "$dropped" -ge 5 ] || fail "turn_drop_relayed: the lab dropped $dropped: $TURN_LINE"
ok "turn_drop_relayed: allocated, permitted, nothing relayed ($dropped dropped)"

grep -q "$PASS" "$T"/probe-*.out "$T"/uclient-*.out && fail "the password leaked into the output"
ok "password not in output"
