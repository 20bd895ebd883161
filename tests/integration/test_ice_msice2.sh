#!/bin/bash
# [MS-ICE2] end to end (issue #7): the lab UM answers as a Skype for Business
# agent does (ice_dialect: ms-ice2: no a=ice-options, checks and responses
# with MS-IMPLEMENTATION-VERSION, checks with CANDIDATE-IDENTIFIER) and
# synth's agent, reading the answer, speaks the same.
#   Edge users through the lab relay, relay to relay: the greeting heard,
#       every call event media.ice.dialect "ms-ice2"; tshark (if usable on
#       lo) sees the MS-ICE2 attributes in the checks crossing the relay;
#   the same with the relay in MS-TURN too (turn_dialect: ms-turn), the
#       path a call through a real Edge takes;
#   the default lab (rfc8445): dialect "rfc8445", no MS-ICE2 attribute on
#       the wire.
. "$(dirname "$0")/lib.sh"

cat >"$T/relay.scn.yaml" <<SCN
name: msice2-relay
steps:
  - register: {expires: 300s, timeout: 5s}
  - call: {hold: 5s, timeout: 5s, greeting: required, first_media_timeout: 4s, media_path: relay}
  - hangup
  - unregister
load: {users: 4, rate: 5, iterations: 4, via: edge}
sip: {t1: 100ms}
SCN

# One lab NAME from config CONFIG-TEXT, 4 relayed Edge calls; the relay's
# port on the wire in $T/NAME.hex (one UDP payload a line) when tshark can.
relayed_calls() { # NAME CONFIG-TEXT
    local name=$1
    printf '%b' "$2" >"$T/$name.cfg.yaml"
    lab_start "$name-lab" --config "$T/$name.cfg.yaml"
    local tport cap=""
    tport=$(sed -n 's/^  turn: {host: "[^"]*", port: \([0-9]*\),.*/\1/p' "$T/$name-lab.yaml")
    [ -n "$tport" ] || fail "$name: no media.turn port in the lab's target: $(grep turn "$T/$name-lab.yaml")"
    rm -f "$T/$name.hex"
    if command -v tshark >/dev/null && tshark -D 2>/dev/null | grep -qw lo; then
        tshark -i lo -f "udp port $tport" -w "$T/$name.pcap" -q >"$T/$name-tshark.out" 2>&1 &
        cap=$!; PIDS="$PIDS $cap"
        for _ in $(seq 50); do grep -q "Capturing on" "$T/$name-tshark.out" && break; sleep 0.1; done
    fi
    local rc=0
    "$SYNTH" run "$T/relay.scn.yaml" --target "$T/$name-lab.yaml" --out "$T/$name" --workers 1 \
        --quiet >"$T/$name.out" 2>&1 || rc=$?
    if [ -n "$cap" ]; then
        kill -INT "$cap" 2>/dev/null || true; wait "$cap" 2>/dev/null || true
        tshark -r "$T/$name.pcap" -T fields -e udp.payload 2>/dev/null | tr -d ':' >"$T/$name.hex" || true
    fi
    kill -TERM "$LABPID"; wait "$LABPID" 2>/dev/null || true
    [ $rc -eq 0 ] || fail "$name: exit $rc: $(tail -20 "$T/$name.out"; jq -r .reason "$T/$name/summary.json" 2>/dev/null)"
    assert_json "$T/$name/summary.json" '.calls.answered == 4 and .calls.greeting_heard == 4 and .calls.media_path.relay == 4' "$name: 4 Edge calls through the relay, greeting heard"
}
# dialect_of_calls NAME WANT: every call event's media.ice says WANT, relay to relay.
dialect_of_calls() {
    n=$(jq -s "[.[] | select(.step == \"call\" and .media.ice.ok and .media.ice.dialect == \"$2\" and .media.ice.local_type == \"relay\" and .media.ice.remote_type == \"relay\")] | length" "$T/$1/events.jsonl")
    [ "$n" = 4 ] || fail "$1: want 4 calls with media.ice.dialect $2, relay to relay: $(jq -c 'select(.step == "call") | .media.ice' "$T/$1/events.jsonl" | head -2)"
    ok "$1: every call event says media.ice.dialect $2, relay to relay"
}
# MS-IMPLEMENTATION-VERSION 2 (8070 0004 00000002) and CANDIDATE-IDENTIFIER
# "2" of a relay candidate (8054 0004 32000000), anywhere in a payload:
# inside ChannelData, Send and Data indications alike.
wire_count() { # NAME PATTERN
    grep -c "$2" "$T/$1.hex" || true
}

# 1. MS-ICE2 lab, standard relay.
relayed_calls ms 'ice_dialect: ms-ice2\n'
dialect_of_calls ms ms-ice2
if [ -s "$T/ms.hex" ]; then
    ver=$(wire_count ms '8070000400000002')
    id=$(wire_count ms '8054000432000000')
    [ "$ver" -ge 8 ] && [ "$id" -ge 4 ] ||
        fail "tshark: $ver payloads with MS-IMPLEMENTATION-VERSION 2, $id with CANDIDATE-IDENTIFIER \"2\" through the relay"
    ok "tshark: $ver payloads through the relay carry MS-IMPLEMENTATION-VERSION 2, $id a relay CANDIDATE-IDENTIFIER"
else
    echo "note: tshark not usable on lo, wire check skipped"
fi

# 2. MS-ICE2 over MS-TURN: the whole Microsoft path.
relayed_calls msturn 'ice_dialect: ms-ice2\nturn_dialect: ms-turn\n'
dialect_of_calls msturn ms-ice2

# 3. The default lab speaks RFC 8445, and so does synth.
relayed_calls std 'turn_dialect: standard\n'  # ice_dialect left to its default
dialect_of_calls std rfc8445
if [ -s "$T/std.hex" ]; then
    ver=$(wire_count std '8070000400000002')
    [ "$ver" = 0 ] || fail "tshark: $ver payloads with MS-IMPLEMENTATION-VERSION in an RFC 8445 call"
    ok "tshark: no MS-ICE2 attribute on the wire of an RFC 8445 call"
fi

# 4. A wrong knob value names the file, the line and the field.
printf 'ice_dialect: ms-ice\n' >"$T/bad-lab.yaml"
rc=0; "$SYNTH" lab --state-dir "$T/bad" --config "$T/bad-lab.yaml" >"$T/bad.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "ice_dialect: ms-ice should be refused"
grep -q "bad-lab.yaml:1" "$T/bad.out" && grep -q "ice_dialect\|rfc8445" "$T/bad.out" ||
    fail "the error should name bad-lab.yaml:1 and the field: $(cat "$T/bad.out")"
ok "ice_dialect: ms-ice refused, naming bad-lab.yaml:1"
