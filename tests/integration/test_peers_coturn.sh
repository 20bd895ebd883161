#!/bin/bash
# synth's TURN client (synth/turn) against coturn, a server we did not
# write: allocations over UDP and TCP with long-term credentials, a
# permission, data through the relay to an echo peer and back by Send/Data
# indications and by ChannelData, refresh and release; a wrong password is
# auth-refused. Over IPv4, and over IPv6 (::1, an IPv6 relay asked for with
# REQUESTED-ADDRESS-FAMILY) where loopback has ::1. The driver is
# tests/integration/turn_probe.c.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

PROBE="${SYNTH_BUILD_DIR:?}/tests/turn_probe"
[ -x "$PROBE" ] || fail "no $PROBE (build the turn_probe target)"
USER=synthuser
PASS=turn-secret-42
REALM=synth.test
PORT=$(free_port)
RMIN=$(relay_range)
RMAX=$((RMIN + 49))
SERVERS=127.0.0.1
V6=""
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
    SERVERS="127.0.0.1 ::1"; V6="--listening-ip=::1 --relay-ip=::1"
else echo "note: no ::1 on lo, IPv6 part skipped"; fi
mkdir -p "$T/coturn"
# shellcheck disable=SC2086 # V6 is two options or none
start_coturn "$T/coturn" "$PORT" "$RMIN" "$RMAX" "$USER" "$PASS" "$REALM" $V6

# field KEY FILE LINE-PREFIX: the value of KEY= on the first line starting with the prefix.
field() { grep -m1 "^$3" "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

for srv in $SERVERS; do
for tp0 in udp tcp; do
    flag=""; [ $tp0 = tcp ] && flag=--tcp
    host=$srv; tp=$tp0
    [ "$srv" = ::1 ] && host="[::1]" && tp="$tp0-ipv6"
    out="$T/probe-$tp.out"
    rc=0; "$PROBE" --server "$srv:$PORT" --user "$USER" --pass "$PASS" --rto 100 $flag >"$out" 2>&1 || rc=$?
    [ $rc -eq 0 ] || fail "probe over $tp: exit $rc: $(cat "$out"; tail -20 "$T/coturn/turnserver.log")"
    relayed=$(field relayed "$out" "allocate ok")
    rport=${relayed##*:}
    [ "${relayed%:*}" = "$host" ] && [ "$rport" -ge "$RMIN" ] && [ "$rport" -le "$RMAX" ] \
        || fail "$tp: relayed address $relayed is not in coturn's relay range $host:$RMIN-$RMAX"
    ok "$tp: allocated with long-term credentials, relayed $relayed in $RMIN-$RMAX, allocate time $(field allocate_us "$out" "allocate ok") us ($(field requests "$out" "allocate ok") requests: 401, then credentials)"
    [ "$(field requests "$out" "allocate ok")" = 2 ] || fail "$tp: want 2 Allocate requests (401 round), got $(cat "$out")"
    grep -q "^permission ok" "$out" || fail "$tp: CreatePermission: $(cat "$out")"
    for path in indications channeldata; do
        line=$(grep -m1 "^$path ok" "$out") || fail "$tp: $path: $(cat "$out")"
        [ "$(field bytes_match "$out" "$path ok")" = yes ] && [ "$(field packets "$out" "$path ok")" = 5 ] \
            || fail "$tp: $path: $line"
        [ "$(field peer_saw "$out" "$path ok")" = "$relayed" ] \
            || fail "$tp: $path: the echo peer saw $(field peer_saw "$out" "$path ok"), not the relay $relayed"
        [ "$(field rx "$out" "$path ok")" = 5 ] || fail "$tp: $path: not all 5 came back by $path: $line"
        ok "$tp: 5 packets through the relay and back by $path, bytes match (rtt avg $(field rtt_avg_us "$out" "$path ok") us)"
    done
    [ "$(field lifetime "$out" "refresh ok")" -gt 0 ] || fail "$tp: refresh: $(cat "$out")"
    grep -q "^release ok" "$out" || fail "$tp: release (Refresh 0): $(cat "$out")"
    ok "$tp: refreshed and released"
done
done
for f in "$T"/probe-udp*.out; do
    mapped=$(field mapped "$f" "binding ok")
    case "$mapped" in 127.0.0.1:*|"[::1]:"*) ok "STUN Binding answered by coturn: $mapped" ;;
    *) fail "Binding: mapped address '$mapped' in $(cat "$f")" ;; esac
done

rc=0; "$PROBE" --server "127.0.0.1:$PORT" --user "$USER" --pass wrong-password --rto 100 >"$T/wrong.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "wrong password: exit $rc, want 2: $(cat "$T/wrong.out")"
grep -q '^allocate failed class=auth-refused code=401 ' "$T/wrong.out" || fail "wrong password: $(cat "$T/wrong.out")"
ok "wrong password: auth-refused (401 after credentials)"
# A nonce that goes stale (coturn --stale-nonce=1): the Refresh 2 s later gets
# 438 and is retried with the new nonce. A quota of one allocation per user:
# the second of two at once gets 486 (a user of its own: coturn counts a
# released allocation a while longer). A second coturn for both, on its own ports.
QPORT=$(free_port)
QMIN=$(relay_range)
mkdir -p "$T/coturn-q"
start_coturn "$T/coturn-q" "$QPORT" "$QMIN" $((QMIN + 49)) "$USER" "$PASS" "$REALM" --stale-nonce=1 --user-quota=1 --user="quota:$PASS"
rc=0; "$PROBE" --server "127.0.0.1:$QPORT" --user "$USER" --pass "$PASS" --rto 100 --refresh-delay 2000 >"$T/stale.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "stale nonce: exit $rc: $(cat "$T/stale.out"; tail -20 "$T/coturn-q/turnserver.log")"
[ "$(field stale_nonces "$T/stale.out" "refresh ok")" -ge 1 ] || fail "stale nonce: no 438 retried: $(cat "$T/stale.out")"
ok "stale nonce: the Refresh got 438 and went through with the new nonce ($(field stale_nonces "$T/stale.out" "refresh ok") retried)"
rc=0; "$PROBE" --server "127.0.0.1:$QPORT" --user quota --pass "$PASS" --rto 100 --bench 2 --concurrency 2 >"$T/quota.out" 2>&1 || rc=$?
grep -q '^bench .* ok=1 failed=1 ' "$T/quota.out" && grep -q '^bench first failure: allocation-quota/486/' "$T/quota.out" \
    || fail "user quota 1: want one allocation and one 486: $(cat "$T/quota.out")"
ok "user quota: the second allocation at once is refused with $(sed -n 's/^bench first failure: //p' "$T/quota.out")"

grep -q "$PASS" "$T"/probe-*.out "$T/wrong.out" && fail "the password leaked into the output"
ok "password not in output"
