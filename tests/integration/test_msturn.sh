#!/bin/bash
# MS-TURN through the lab's A/V Edge (issue #7): the lab relay in MS-TURN
# mode (turn_dialect: ms-turn), synth's client in the same dialect
# (edge.turn: ms-turn).
#   voicemail-edge.yaml --lab with the MS-TURN lab: Edge users call relay to
#       relay through the MS-TURN relay, the greeting heard;
#   the target `synth lab --write-target` writes carries edge.turn: ms-turn,
#       and with it media_path: relay hears the greeting, every allocation
#       released (MS-TURN's Allocate with LIFETIME 0);
#   the same over TCP: the pseudo-TLS handshake, then [MS-TURN] 2.1
#       framing, read by tshark; and without the handshake (pseudo_tls:
#       false);
#   a standard client (no edge.turn) against the MS-TURN lab: the relay does
#       not answer it, relay-unavailable naming the timeout;
#   an MS-TURN client against the standard lab: msturn-allocate-failed.
# test_ice_relay.sh keeps the standard dialect green against coturn.
. "$(dirname "$0")/lib.sh"

printf 'turn_dialect: ms-turn\n' >"$T/ms-lab.yaml"

# 1. The shipped Edge scenario against the MS-TURN lab.
rc=0; "$SYNTH" run "$SRC/scenarios/voicemail-edge.yaml" --lab --lab-config "$T/ms-lab.yaml" \
    --out "$T/both" --workers 2 --quiet >"$T/both.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "voicemail-edge on the MS-TURN lab: exit $rc: $(tail -20 "$T/both.out")"
S="$T/both/summary.json"
assert_json "$S" '.paths.edge.calls.attempted == 10 and .paths.edge.calls.greeting_heard == 10' "MS-TURN lab: 10 Edge calls, greeting heard"
assert_json "$S" '.paths.internal.calls.greeting_heard == 10' "MS-TURN lab: internal calls unaffected"
n=$(jq -s '[.[] | select(.step == "call" and .via == "edge" and .media.media_path == "relay" and .media.ice.local_type == "relay" and .media.ice.remote_type == "relay")] | length' "$T/both/events.jsonl")
[ "$n" = 10 ] || fail "Edge calls should go relay to relay: $(jq -c 'select(.step == "call" and .via == "edge") | .media' "$T/both/events.jsonl" | head -3)"
ok "every Edge call relay to relay through the MS-TURN relay"

# 2. A lab in its own process, its target written with the dialect.
"$SYNTH" lab --state-dir "$T/lab" --config "$T/ms-lab.yaml" --write-target "$T/lab.yaml" \
    >"$T/lab.out" 2>&1 &
LABPID=$!; PIDS="$PIDS $LABPID"
wait_for_line "$T/lab.out" "lab ready" 10
awk '/^edge:/{e=1} /^[a-z]/ && !/^edge:/{e=0} e && /^  turn: ms-turn$/{found=1} END{exit !found}' "$T/lab.yaml" ||
    fail "the written lab target lacks edge.turn: ms-turn: $(cat "$T/lab.yaml")"
ok "--write-target: edge.turn: ms-turn"
grep -v '^  turn: ms-turn$' "$T/lab.yaml" >"$T/std.yaml"
cat >"$T/relay.scn.yaml" <<SCN
name: msturn-relay
steps:
  - register: {expires: 300s, timeout: 5s}
  - call: {hold: 5s, timeout: 5s, greeting: required, first_media_timeout: 4s, media_path: relay}
  - hangup
  - unregister
load: {users: 2, rate: 5, iterations: 2, via: edge}
sip: {t1: 100ms}
SCN
run() { # NAME TARGET WANT-EXIT
    rc=0; "$SYNTH" run "$T/relay.scn.yaml" --target "$T/$2.yaml" --out "$T/$1" --workers 1 \
        --quiet >"$T/$1.out" 2>&1 || rc=$?
    [ $rc -eq "$3" ] || fail "$1: exit $rc, want $3: $(tail -20 "$T/$1.out")"
}
TPORT=$(sed -n 's/^  turn: {host: "[^"]*", port: \([0-9]*\),.*/\1/p' "$T/lab.yaml")
[ -n "$TPORT" ] || fail "no media.turn port in the lab's target: $(grep turn "$T/lab.yaml")"
# capture FILTER PCAP: tshark on lo into PCAP when it can capture there
# (CAP its pid, else empty); capture_stop ends it.
capture() {
    CAP=""
    command -v tshark >/dev/null && tshark -D 2>/dev/null | grep -qw lo || return 0
    tshark -i lo -f "$1" -w "$2" -q >"$2.log" 2>&1 &
    CAP=$!; PIDS="$PIDS $CAP"
    for _ in $(seq 50); do grep -q "Capturing on" "$2.log" && break; sleep 0.1; done
}
capture_stop() { [ -z "$CAP" ] || { kill -INT "$CAP" 2>/dev/null || true; wait "$CAP" 2>/dev/null || true; }; }
capture "udp port $TPORT" "$T/ms.pcap"
run ms lab 0
capture_stop
assert_json "$T/ms/summary.json" '.calls.answered == 2 and .calls.greeting_heard == 2 and .calls.media_path.relay == 2' "edge.turn: ms-turn, media_path relay: 2 calls, greeting heard"
if [ -n "$CAP" ] && [ -s "$T/ms.pcap" ]; then
    # On the wire, read by tshark, not by our parser: every TURN message to
    # and from the relay's port (first byte 0x00/0x01) has the MAGIC-COOKIE
    # attribute 000f 0004 72c64bc6 at byte 20, none the RFC 5389 cookie at 4.
    tshark -r "$T/ms.pcap" -T fields -e udp.payload 2>/dev/null | tr -d ':' | grep '^0[01]' >"$T/turn.hex" || true
    total=$(wc -l <"$T/turn.hex")
    cookie=$(cut -c41-56 "$T/turn.hex" | grep -c '^000f000472c64bc6$') || true
    rfc=$(cut -c9-16 "$T/turn.hex" | grep -c '^2112a442$') || true
    [ "$total" -gt 10 ] && [ "$cookie" = "$total" ] && [ "$rfc" = 0 ] ||
        fail "tshark: $total TURN messages, $cookie with the MS-TURN MAGIC-COOKIE first, $rfc with the RFC 5389 cookie"
    types=$(cut -c1-4 "$T/turn.hex" | sort -u | tr '\n' ' ')
    for want in 0003 0113 0103 0006 0106; do
        case " $types" in *" $want "*) ;; *) fail "tshark: no MS-TURN message of type $want on the wire (seen: $types)" ;; esac
    done
    ok "tshark: $total MS-TURN messages on the relay's port, MAGIC-COOKIE first in each, types $types"
else
    echo "note: tshark not usable on lo, wire check skipped"
fi

# first_bytes PCAP DISPLAY-FILTER OUT: each TCP stream's payload from its
# start (relative sequence 1) in one direction, joined across segments (a
# loaded machine may send a header in a segment of its own), its first 100
# bytes as hex: "STREAM HEX" lines. Read by tshark, not by our parser.
first_bytes() {
    tshark -r "$1" -Y "$2 && tcp.len > 0" -T fields -e tcp.stream -e tcp.seq -e tcp.payload \
        2>/dev/null | tr -d ':' | sort -s -k1,1n -k2,2n |
        awk '{ if (!($1 in next_seq)) { if ($2 != 1) next; next_seq[$1] = 1 }
               if ($2 != next_seq[$1] || length(head[$1]) >= 200) next
               head[$1] = head[$1] $3; next_seq[$1] += length($3) / 2 }
             END { for (s in head) print s, head[s] }' >"$3" || true
}

# 2b. [MS-TURN] over TCP (the A/V Edge's TCP 443), the same relay's TCP
#     listener: by default each connection opens with the pseudo-TLS
#     handshake (a ClientHello, the relay's ServerHello and ServerHelloDone
#     in one record), then each message in a 2.1 frame (02 00 LEN a TURN
#     message, 03 00 LEN data for the active destination), greeting heard.
sed '/^  turn: {host: /s/transport: udp/transport: tcp/' "$T/lab.yaml" >"$T/tcp.yaml"
capture "tcp port $TPORT" "$T/tcp.pcap"
run tcp tcp 0
capture_stop
assert_json "$T/tcp/summary.json" '.calls.answered == 2 and .calls.greeting_heard == 2 and .calls.media_path.relay == 2' "edge.turn: ms-turn over TCP, pseudo-TLS, media_path relay: 2 calls, greeting heard"
if [ -n "$CAP" ] && [ -s "$T/tcp.pcap" ]; then
    # tshark's TLS dissector on the relay's port: a ClientHello (1) from
    # each client, a ServerHello (2) and ServerHelloDone (14) from the relay.
    hs=$(tshark -r "$T/tcp.pcap" -d "tcp.port==$TPORT,tls" -Y tls.handshake -T fields \
        -e tcp.srcport -e tls.handshake.type 2>/dev/null | sort | uniq -c | tr -s ' ' | tr '\n' ';')
    n_hello=$(echo "$hs" | tr ';' '\n' | awk -v p="$TPORT" '$2 != p && $3 == "1" {n += $1} END {print n + 0}')
    n_answer=$(echo "$hs" | tr ';' '\n' | awk -v p="$TPORT" '$2 == p && $3 == "2,14" {n += $1} END {print n + 0}')
    [ "${n_hello:-0}" -ge 2 ] && [ "${n_answer:-0}" = "$n_hello" ] ||
        fail "tshark (TLS): want a ClientHello per connection and a ServerHello+ServerHelloDone record for each: $hs"
    # After the client's 50-byte record: a control frame (02 00, the
    # length) holding an MS-TURN Allocate (0003) whose first attribute is
    # MAGIC-COOKIE; the client sent nothing between.
    first_bytes "$T/tcp.pcap" "tcp.dstport == $TPORT" "$T/first.txt"
    n=$(wc -l <"$T/first.txt")
    good=$(awk '{print substr($2, 1, 12) substr($2, 101, 4) substr($2, 109, 4) substr($2, 149, 16)}' "$T/first.txt" |
        grep -c '^160301002d0102000003000f000472c64bc6$') || true
    [ "$n" -ge 2 ] && [ "$good" = "$n" ] ||
        fail "tshark: $good of $n TCP connections open with the pseudo-TLS ClientHello, then a framed MS-TURN Allocate: $(head -3 "$T/first.txt")"
    ok "tshark: each of $n TCP connections opens with the pseudo-TLS handshake (ClientHello; ServerHello and ServerHelloDone), then a framed MS-TURN Allocate"
else
    echo "note: tshark not usable on lo, TCP wire check skipped"
fi

# 2c. The same with media.turn.pseudo_tls: false: the first bytes are the
#     framed Allocate (an Edge MUST take both).
sed '/^  turn: {host: /s/transport: udp/transport: tcp, pseudo_tls: false/' "$T/lab.yaml" >"$T/tcp-plain.yaml"
capture "tcp port $TPORT" "$T/plain.pcap"
run tcp-plain tcp-plain 0
capture_stop
assert_json "$T/tcp-plain/summary.json" '.calls.answered == 2 and .calls.greeting_heard == 2 and .calls.media_path.relay == 2' "pseudo_tls: false: 2 calls over TCP, greeting heard"
if [ -n "$CAP" ] && [ -s "$T/plain.pcap" ]; then
    first_bytes "$T/plain.pcap" "tcp.dstport == $TPORT" "$T/first-plain.txt"
    n=$(wc -l <"$T/first-plain.txt")
    good=$(awk '{print substr($2, 1, 4) substr($2, 9, 4) substr($2, 49, 16)}' "$T/first-plain.txt" |
        grep -c '^02000003000f000472c64bc6$') || true
    [ "$n" -ge 2 ] && [ "$good" = "$n" ] ||
        fail "tshark: $good of $n TCP connections open with an [MS-TURN] 2.1 control frame: $(head -3 "$T/first-plain.txt")"
    ok "tshark: pseudo_tls: false, each of $n TCP connections opens with a framed MS-TURN Allocate"
fi

# 3. The standard dialect against the MS-TURN relay: no answer, no allocation.
run std std 2
n=$(jq -s '[.[] | select(.step == "call" and .class == "relay-unavailable" and (.detail | contains("timeout")))] | length' "$T/std/events.jsonl")
[ "$n" = 2 ] || fail "standard client, MS-TURN lab: want relay-unavailable (timeout): $(jq -c 'select(.step == "call")' "$T/std/events.jsonl" | head -2)"
ok "standard client against the MS-TURN relay: relay-unavailable, the TURN request timed out"
kill -TERM "$LABPID"
for _ in $(seq 100); do grep -q "^lab turn:" "$T/lab.out" && break; sleep 0.1; done
allocs=$(sed -n 's/^lab turn: \([0-9]*\) allocations.*/\1/p' "$T/lab.out")
released=$(sed -n 's/^lab turn: [0-9]* allocations (\([0-9]*\) released.*/\1/p' "$T/lab.out")
# The four TCP allocations of 2b and 2c go with their connection: over
# TCP the lab does not count the client's closing release (standard TURN
# alike).
[ "${allocs:-0}" -ge 6 ] && [ "$released" = "$((allocs - 4))" ] ||
    fail "MS-TURN allocations should be made and released: $(grep '^lab turn' "$T/lab.out")"
ok "the MS-TURN relay made $allocs allocations, $released released by Allocate LIFETIME 0"
ptls=$(sed -n 's/^lab turn: \([0-9]*\) TCP connections opened with pseudo-TLS$/\1/p' "$T/lab.out")
[ "$ptls" = 2 ] || fail "the relay should count 2 pseudo-TLS connections (2b, not 2c): $(grep '^lab turn' "$T/lab.out")"
ok "the relay answered 2 pseudo-TLS handshakes (2b), and took 2c's connections without"

# 4. The reverse: an MS-TURN client against the standard lab relay.
"$SYNTH" lab --state-dir "$T/lab2" --write-target "$T/lab2.yaml" >"$T/lab2.out" 2>&1 &
LAB2=$!; PIDS="$PIDS $LAB2"
wait_for_line "$T/lab2.out" "lab ready" 10
awk '{print} /^edge:/{print "  turn: ms-turn"}' "$T/lab2.yaml" >"$T/ms2.yaml"
run rev ms2 2
n=$(jq -s '[.[] | select(.step == "call" and .class == "msturn-allocate-failed")] | length' "$T/rev/events.jsonl")
[ "$n" = 2 ] || fail "MS-TURN client, standard lab: want msturn-allocate-failed: $(jq -c 'select(.step == "call")' "$T/rev/events.jsonl" | head -2)"
assert_json "$T/rev/summary.json" '[.findings[].id] | length > 0' "MS-TURN client against a standard relay: a finding"
ok "MS-TURN client against the standard relay: msturn-allocate-failed"
grep -rq "synth-turn-lab" "$T"/ms "$T"/std "$T"/rev 2>/dev/null && fail "the TURN password appears in the results"
ok "no TURN password in results"

# 5. An Edge pool (turn_pool_redirect): the target and MRAS name the pool's
#    first Edge, which allocates nothing and sends every Allocate on to the
#    relay: [MS-TURN] in its 401 with ALTERNATE-SERVER, standard TURN with
#    300 Try Alternate. Calls relayed through the pool hear the greeting only
#    if synth follows; the relay's own 401s name itself (the client stays).
#    The first Edge's answers are read by tshark: ALTERNATE-SERVER (000e on
#    the MS-TURN wire, 8023 in RFC 5389) naming the relay's port.
pool() { # NAME LAB-YAML-LINES...
    local name=$1; shift
    printf '%s\n' "$@" >"$T/$name-lab.yaml"
    "$SYNTH" lab --state-dir "$T/$name-lab" --config "$T/$name-lab.yaml" \
        --write-target "$T/$name.yaml" >"$T/$name-lab.out" 2>&1 &
    POOLPID=$!; PIDS="$PIDS $POOLPID"
    wait_for_line "$T/$name-lab.out" "lab ready" 10
    DPORT=$(sed -n 's/^  turn: {host: "[^"]*", port: \([0-9]*\),.*/\1/p' "$T/$name.yaml")
    capture "udp port $DPORT" "$T/$name.pcap"
    run "$name" "$name" 0
    capture_stop
    kill -TERM "$POOLPID"
    for _ in $(seq 100); do grep -q "^lab turn pool:" "$T/$name-lab.out" && break; sleep 0.1; done
    assert_json "$T/$name/summary.json" '.calls.answered == 2 and .calls.greeting_heard == 2 and .calls.media_path.relay == 2' "$name: 2 relayed calls through the pool, greeting heard"
    # The relay's own port is its TCP one (UDP clients are given the first Edge).
    relay=$(sed -n 's/^lab ready:.* turn udp:[0-9]* tcp:\([0-9]*\),.*/\1/p' "$T/$name-lab.out")
    n=$(jq -s --arg r "127.0.0.1:$relay" '[.[] | select(.step == "call" and .media.relay_server == $r)] | length' "$T/$name/events.jsonl")
    [ -n "$relay" ] && [ "$relay" != "$DPORT" ] && [ "$n" = 2 ] ||
        fail "$name: want both calls' relay_server 127.0.0.1:$relay (not the first Edge, $DPORT): $(jq -c 'select(.step == "call") | .media.relay_server' "$T/$name/events.jsonl")"
    ok "$name: media.relay_server names the relay (:$relay), not the first Edge (:$DPORT)"
    sent_on=$(sed -n 's/^lab turn pool: \([0-9]*\) Allocates.*/\1/p' "$T/$name-lab.out")
    [ "${sent_on:-0}" -ge 2 ] || fail "$name: the pool's first Edge should have sent the Allocates on: $(grep '^lab turn' "$T/$name-lab.out")"
    ok "$name: the first Edge sent $sent_on Allocates on to the relay, synth followed"
}
wire_alternate() { # NAME ERROR-TYPE ATTR
    [ -n "$CAP" ] && [ -s "$T/$1.pcap" ] || { echo "note: tshark not usable on lo, wire check skipped"; return 0; }
    tshark -r "$T/$1.pcap" -Y "udp.srcport == $DPORT" -T fields -e udp.payload 2>/dev/null | tr -d ':' >"$T/$1.hex" || true
    n=$(grep -c "^$2" "$T/$1.hex") || true
    alt=$(grep "^$2" "$T/$1.hex" | grep -c "${3}0008" ) || true
    [ "$n" -ge 2 ] && [ "$alt" = "$n" ] || fail "tshark: $n answers $2 from the first Edge, $alt with ALTERNATE-SERVER ($3)"
    ok "tshark: the first Edge's $n answers ($2) carry ALTERNATE-SERVER ($3)"
}
pool mspool "turn_dialect: ms-turn" "turn_pool_redirect: true"
wire_alternate mspool 0113 000e
pool stdpool "turn_pool_redirect: true"
wire_alternate stdpool 0113 8023
