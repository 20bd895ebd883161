#!/bin/bash
# ICE and media through a TURN relay (issue #4): synth calls the lab's UM
# (which does ICE as the controlled agent, host candidate) with the target's
# media.turn pointing at coturn, a relay we did not write.
#   media_path: relay  → the greeting heard through coturn, every call's
#                        media_path "relay", the pair's local candidate a
#                        relay in coturn's range (tshark, if installed, sees
#                        the media on coturn's port);
#   media_path: direct → host candidates only, media_path "direct";
#   a wrong TURN password: auto still calls direct (relay_error
#                        auth-refused), relay fails as relay-unavailable;
#   the UM never answering a check (um_ice_silent): ice-failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

USER=synthuser PASS=turn-secret-42 REALM=synth.test
PORT=$(free_port)
RMIN=$(relay_range)
RMAX=$((RMIN + 49))
mkdir -p "$T/coturn"
start_coturn "$T/coturn" "$PORT" "$RMIN" "$RMAX" "$USER" "$PASS" "$REALM"

"$SYNTH" lab --state-dir "$T/lab" --write-target "$T/lab.yaml" >"$T/lab.out" 2>&1 &
PIDS="$PIDS $!"
wait_for_line "$T/lab.out" "lab ready" 10

# target_with NAME PASSWORD-SPEC [TRANSPORT]: the lab's target with media.turn at coturn.
target_with() {
    awk -v turn="  turn: {host: 127.0.0.1, port: $PORT, transport: ${3:-udp}, username: $USER, password: \"$2\", realm: $REALM}" \
        '!/^  turn:/ {print} /^  client_ports:/ && !done {print turn; done=1}' "$T/lab.yaml" >"$T/$1.yaml"
    grep -q "^  turn:" "$T/$1.yaml" || fail "could not add media.turn to the lab's target"
}
export SYNTH_IT_TURN_PASS="$PASS"
target_with good "env:SYNTH_IT_TURN_PASS"
target_with bad "wrong-password"
target_with tcp "env:SYNTH_IT_TURN_PASS" tcp

scenario() { # NAME PATH
    cat >"$T/$1.scn.yaml" <<SCN
name: ice-$1
steps:
  - register: {expires: 300s, timeout: 5s}
  - call: {hold: 6s, timeout: 5s, greeting: required, first_media_timeout: 4s, media_path: $2}
  - hangup
  - unregister
load: {users: 3, rate: 5, iterations: 3}
sip: {t1: 100ms}
SCN
}
run() { # NAME TARGET PATH WANT-EXIT [ARGS...]
    name=$1 target=$2 path=$3 want=$4; shift 4
    scenario "$name" "$path"
    rc=0; "$SYNTH" run "$T/$name.scn.yaml" --target "$T/$target.yaml" --out "$T/$name" --workers 1 \
        --quiet "$@" >"$T/$name.out" 2>&1 || rc=$?
    [ $rc -eq "$want" ] || fail "$name: exit $rc, want $want: $(tail -20 "$T/$name.out"; tail -5 "$T/coturn/turnserver.log")"
}
calls() { jq -c 'select(.step == "call")' "$T/$1/events.jsonl"; }

# 1. Relay only: media crosses coturn.
CAP=""
if command -v tshark >/dev/null && tshark -D 2>/dev/null | grep -qw lo; then
    tshark -i lo -f "udp port $PORT" -w "$T/relay.pcap" -q >"$T/tshark.out" 2>&1 &
    CAP=$!; PIDS="$PIDS $CAP"
    for _ in $(seq 50); do grep -q "Capturing on" "$T/tshark.out" && break; sleep 0.1; done
fi
run relay good relay 0
[ -n "$CAP" ] && { kill -INT "$CAP" 2>/dev/null || true; wait "$CAP" 2>/dev/null || true; }
S="$T/relay/summary.json"
assert_json "$S" '.calls.answered == 3 and .calls.greeting_heard == 3' "relay: 3 calls, greeting heard through coturn"
assert_json "$S" '.calls.media_path.relay == 3 and .calls.media_path.direct == 0' "relay: summary counts 3 calls by relay"
assert_json "$S" '.calls.relay_allocate_ms.count == 3 and .calls.relay_allocate_ms.p50 > 0 and .calls.relay_allocate_ms.max < 2000' "relay: coturn's allocation time in calls.relay_allocate_ms (3 calls)"
n=$(jq -s '[.[] | select(.step == "call" and (.media.relay_allocate_ms // 0) > 0)] | length' "$T/relay/events.jsonl")
[ "$n" = 3 ] || fail "each relayed call's event should carry media.relay_allocate_ms: $(jq -c 'select(.step == "call") | .media' "$T/relay/events.jsonl" | head -2)"
n=$(calls relay | jq -s "[.[] | select(.media.media_path == \"relay\" and .media.ice.ok and .media.ice.local_type == \"relay\" and (.media.ice.local_addr | split(\":\")[1] | tonumber) >= $RMIN and (.media.ice.local_addr | split(\":\")[1] | tonumber) <= $RMAX)] | length")
[ "$n" = 3 ] || fail "relay: want 3 calls with media_path relay and a relay pair in $RMIN-$RMAX: $(calls relay | jq -c .media)"
ok "relay: every call event says media_path relay, local candidate relay in coturn's range $RMIN-$RMAX"
ok "relay: ICE $(jq -r '.calls.ice.ms.p50' "$S") ms (p50), pair $(calls relay | head -1 | jq -r '"\(.media.ice.local_type) \(.media.ice.local_addr) -> \(.media.ice.remote_type) \(.media.ice.remote_addr)"')"
if [ -n "$CAP" ] && [ -s "$T/relay.pcap" ]; then
    # SRTP in ChannelData frames (RFC 8656 12.4: first byte 0x40-0x4F) to coturn's port.
    for dir in dst src; do
        cd_frames=$(tshark -r "$T/relay.pcap" -Y "udp.${dir}port == $PORT && udp.length > 150" \
            -T fields -e udp.payload 2>/dev/null | grep -c '^4[0-9a-f]') || true
        [ "$cd_frames" -gt 100 ] || fail "tshark: only $cd_frames ChannelData media frames with coturn's port $PORT as $dir"
        ok "tshark: $cd_frames media datagrams as ChannelData with coturn's port $PORT as $dir"
    done
else
    echo "note: tshark not usable on lo, wire check skipped"
fi

# 1b. The same over TURN's TCP transport (RFC 8656 3.1: the A/V Edge's 443/TCP).
run relaytcp tcp relay 0
assert_json "$T/relaytcp/summary.json" '.calls.greeting_heard == 3 and .calls.media_path.relay == 3' "relay over TCP to coturn: 3 calls, greeting heard, media_path relay"

# 2. Direct only: host candidates, no relay.
run direct good direct 0
assert_json "$T/direct/summary.json" '.calls.greeting_heard == 3 and .calls.media_path.direct == 3' "direct: 3 calls, greeting heard, media_path direct"
n=$(calls direct | jq -s '[.[] | select(.media.media_path == "direct" and .media.ice.local_type == "host" and .media.ice.remote_type == "host")] | length')
[ "$n" = 3 ] || fail "direct: want 3 host-host pairs: $(calls direct | jq -c .media)"
ok "direct: ICE $(jq -r '.calls.ice.ms.p50' "$T/direct/summary.json") ms (p50), host pairs"

# 3. auto with a relay: ICE prefers the host pair (RFC 8445 5.1.2 priorities).
run auto good auto 0
assert_json "$T/auto/summary.json" '.calls.greeting_heard == 3 and .calls.media_path.direct == 3' "auto: ICE picks the host pair over the relay"

# 4. A wrong TURN password: auto goes on direct, relay cannot.
run badauto bad auto 0
n=$(calls badauto | jq -s '[.[] | select(.media.media_path == "direct" and .media.relay_error == "auth-refused" and .media.greeting_heard)] | length')
[ "$n" = 3 ] || fail "wrong password, auto: $(calls badauto | jq -c .media)"
ok "wrong TURN password, auto: calls go direct, relay_error auth-refused"
run badrelay bad relay 2
n=$(calls badrelay | jq -s '[.[] | select(.class == "relay-unavailable" and (.detail | contains("auth-refused")))] | length')
[ "$n" = 3 ] || fail "wrong password, relay: want relay-unavailable: $(calls badrelay | head -1)"
ok "wrong TURN password, relay: relay-unavailable, the detail names auth-refused"
grep -rq "$PASS" "$T"/relay* "$T"/badrelay* 2>/dev/null && fail "the TURN password appears in the results"
grep -q "wrong-password" "$T/badrelay/events.jsonl" && fail "a TURN password appears in the events"
ok "no TURN password in results or output"

# 5. ICE apart from SRTP: a UM that never answers a check is ice-failed.
scenario silent auto
rc=0; "$SYNTH" run "$T/silent.scn.yaml" --lab --fault um_ice_silent=true --out "$T/silent" \
    --workers 1 --quiet >"$T/silent.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "um_ice_silent: exit $rc, want 2: $(tail -10 "$T/silent.out")"
n=$(calls silent | jq -s '[.[] | select(.class == "connected-no-media" and .media.no_media_cause == "ice-failed" and .answered and .media.ice.ok == false and .media.ice.checks_sent > 0 and .media.media_path == "none")] | length')
[ "$n" = 3 ] || fail "um_ice_silent: $(calls silent | head -1)"
assert_json "$T/silent/summary.json" '.calls.ice.failed == 3 and .calls.connected_no_media == 3' "um_ice_silent: connected-no-media, its cause ice-failed"
ls "$T/silent/traces/"*.txt >/dev/null 2>&1 || fail "um_ice_silent: no traces of the failed calls"
grep -q "^a=ice-pwd: \[redacted\]" "$T"/silent/traces/*.txt || fail "traces: the ICE password line is not redacted: $(grep -h ice-pwd "$T"/silent/traces/*.txt | head -2)"
grep -h "^a=ice-pwd" "$T"/silent/traces/*.txt | grep -qv "redacted" && fail "traces hold an ICE password"
ok "traces of the failed calls: ICE passwords redacted"
