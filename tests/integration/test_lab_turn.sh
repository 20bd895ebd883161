#!/bin/bash
# The lab's A/V Edge, its TURN relay (synth/lab/turn_relay.c), against
# (a) coturn's own client, turnutils_uclient, relaying to turnutils_peer over
# UDP by channels and by Send indications and over TCP, and relay to relay
# in RTP/RTCP allocation pairs (EVEN-PORT, RESERVATION-TOKEN), and (b) synth's
# TURN client (tests/integration/turn_probe.c): allocations over UDP and TCP,
# a permission, data both ways by indications and by ChannelData, refresh,
# release, a wrong password, a stale nonce, the user quota, an exhausted
# relay range and the fault knobs turn_refuse_allocate and turn_drop_relayed;
# and over IPv6 (::1) where loopback has it.
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

HOST=127.0.0.1

# start_turn_lab NAME YAML-LINES [--fault K=V]...: a lab on $HOST with the
# TURN credential above and more keys; sets PORT (UDP and TCP) and LAB_PID.
start_turn_lab() {
    local d="$T/$1" extra=$2
    shift 2
    mkdir -p "$d"
    printf 'listen_host: "%s"\nusers: 2\nturn_realm: %s\nturn_user: %s\nturn_password: %s\n%s\n' \
        "$HOST" "$REALM" "$USER" "$PASS" "$extra" >"$d/lab.yaml"
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

probe() { "$PROBE" --server "$HOST:$PORT" --user "$USER" --rto 100 "$@"; }

# hold_allocation NAME: a probe in the background that holds its allocation
# (it waits 5 s before its Refresh); returns once it has data through.
hold_allocation() {
    probe --pass "$PASS" --refresh-delay 5000 >"$T/$1.out" 2>&1 &
    PIDS="$PIDS $!"
    wait_for_line "$T/$1.out" "^channeldata ok" 10
}

start_turn_lab main ""
grep -q "turn udp:$PORT tcp:$PORT" "$T/main/lab.out" || fail "lab ready line: $(cat "$T/main/lab.out")"

# (a) coturn's client. It allocates (sometimes with EVEN-PORT), binds
# channels (numbers up to 0x7FFF, RFC 5766) or sends Send indications (-s),
# 20 messages a client; -c: one allocation, no RTCP one beside it.
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
# -y: two clients, each an RTP allocation (EVEN-PORT with R: the next port
# reserved) and an RTCP one (RESERVATION-TOKEN), talking relay to relay.
for tp in udp tcp; do
    flags=""; [ $tp = tcp ] && flags="-t"
    out="$T/uclient-pairs-$tp.out"
    # shellcheck disable=SC2086 # flags: one option or none
    timeout 60 turnutils_uclient -y $flags -n 20 -u "$USER" -w "$PASS" -p "$PORT" 127.0.0.1 \
        >"$out" 2>&1 || fail "turnutils_uclient -y $tp: exit $?: $(tail -5 "$out")"
    grep -q "tot_send_msgs=80, tot_recv_msgs=80$" "$out" && grep -q "Total lost packets 0 (0.000000%)" "$out" \
        || fail "uclient -y $tp: want 80 sent and received, none lost: $(tail -6 "$out")"
    ! grep -q "error 4[0-9][0-9]" "$out" || fail "uclient -y $tp: an error answer: $(grep -m3 error "$out")"
    ok "turnutils_uclient -y over $tp: RTP/RTCP allocation pairs (EVEN-PORT, RESERVATION-TOKEN), 80 messages relay to relay, 0 lost"
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
# uclient: 3 runs of 1 allocation, 60 packets each way, and 2 of 4, whose
# 80 packets a run go out of one relayed socket into another (counted once
# each way); the probe: 2 allocations, 10 packets each way.
[ "$allocs" -ge 13 ] && [ "$to" -ge 240 ] && [ "$from" -ge 240 ] || fail "lab counters: $TURN_LINE"
ok "the lab counted it: $TURN_LINE"

# A nonce that goes stale: the Refresh 2 s later gets 438 and is retried.
# A quota of one allocation per user: a second one while the first is held
# gets 486.
start_turn_lab limits "turn_nonce_lifetime: 1s
turn_user_quota: 1"
rc=0; probe --pass "$PASS" --refresh-delay 2000 >"$T/stale.out" 2>&1 || rc=$?
[ $rc -eq 0 ] && [ "$(field stale_nonces "$T/stale.out" "refresh ok")" -ge 1 ] \
    || fail "stale nonce: exit $rc: $(cat "$T/stale.out")"
ok "stale nonce: 438, retried with the new nonce ($(field stale_nonces "$T/stale.out" "refresh ok") times)"
hold_allocation quota-hold
rc=0; probe --pass "$PASS" >"$T/quota.out" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q '^allocate failed class=allocation-quota code=486 ' "$T/quota.out" \
    || fail "user quota 1: want 486 while another allocation is held: exit $rc: $(cat "$T/quota.out")"
ok "user quota: a second allocation while the first is held is refused with 486 (allocation-quota)"

# A relay range of one port: a second allocation while it is held finds
# none (508).
ONE=$(free_port)
start_turn_lab range "turn_relay_ports: $ONE-$ONE"
hold_allocation range-hold
rc=0; probe --pass "$PASS" >"$T/range.out" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q '^allocate failed class=insufficient-capacity code=508 ' "$T/range.out" \
    || fail "relay range of one port: want 508 while its port is held: exit $rc: $(cat "$T/range.out")"
ok "relay range exhausted: a second allocation while the one port is held gets 508 (insufficient-capacity)"

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
dropped=$(echo "$TURN_LINE" | sed -n 's/.* \([0-9]*\) dropped,.*/\1/p')
[ "$dropped" -ge 5 ] || fail "turn_drop_relayed: the lab dropped $dropped: $TURN_LINE"
ok "turn_drop_relayed: allocated, permitted, nothing relayed ($dropped dropped)"

# Over IPv6: a lab on ::1 relays from ::1 (where loopback has ::1).
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
    HOST=::1
    start_turn_lab v6 ""
    for tp in udp tcp; do
        flag=""; [ $tp = tcp ] && flag=--tcp
        rc=0; probe --pass "$PASS" $flag >"$T/probe-v6-$tp.out" 2>&1 || rc=$?
        [ $rc -eq 0 ] && grep -q '^allocate ok .*relayed=\[::1\]:' "$T/probe-v6-$tp.out" \
            && grep -q '^channeldata ok packets=5 bytes_match=yes' "$T/probe-v6-$tp.out" \
            || fail "IPv6 $tp: exit $rc: $(cat "$T/probe-v6-$tp.out")"
        ok "IPv6 $tp: relayed $(field relayed "$T/probe-v6-$tp.out" "allocate ok"), data both ways, released"
    done
else echo "note: no ::1 on lo, IPv6 part skipped"; fi

grep -q "$PASS" "$T"/probe-*.out "$T"/uclient-*.out && fail "the password leaked into the output"
ok "password not in output"
