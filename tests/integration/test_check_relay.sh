#!/bin/bash
# synth check probes the media relay (media.turn, the A/V Edge's TURN):
#   the lab's MS-TURN relay over UDP and over TCP with the pseudo-TLS
#       handshake: reachable, the allocation made and released, the lab
#       counting the handshake;
#   credentials: mras (the check has none): the relay's 401 proves it
#       reachable, no finding;
#   the check step of a scenario: ok, then relay-unavailable naming the
#       relay when only it does not answer;
#   a TLS server (openssl s_server) on the relay's address, as a
#       TLS-inspecting proxy or a web server on TCP 443 would be: outcome
#       pseudo-tls, the critical finding turn-relay-unreachable naming the
#       proxy in its remedy, exit 2, in the deadline;
#   nothing listening on the UDP port: turn-relay-unreachable, exit 2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

printf 'turn_dialect: ms-turn\n' >"$T/ms-lab.yaml"
"$SYNTH" lab --state-dir "$T/lab" --config "$T/ms-lab.yaml" --write-target "$T/lab.yaml" \
    >"$T/lab.out" 2>&1 &
LABPID=$!; PIDS="$PIDS $LABPID"
wait_for_line "$T/lab.out" "lab ready" 10

check() { # NAME TARGET WANT-EXIT
    rc=0; "$SYNTH" check --target "$T/$2.yaml" --timeout 2s --out "$T/$1" >"$T/$1.out" 2>&1 || rc=$?
    [ $rc -eq "$3" ] || fail "$1: exit $rc, want $3: $(tail -20 "$T/$1.out")"
}

# 1. Over UDP, then over TCP with pseudo-TLS (its default with ms-turn).
check udp lab 0
assert_json "$T/udp/summary.json" '.relay.reachable and .relay.outcome == "allocated" and .relay.transport == "udp" and .relay.dialect == "ms-turn" and ([.findings[].id] | index("turn-relay-unreachable") | not)' "udp: the MS-TURN relay allocated, no finding"
grep -Eq "^relay 127\.0\.0\.1:[0-9]+ udp ms-turn: answers \(allocated" "$T/udp.out" || fail "no relay line: $(tail -5 "$T/udp.out")"
sed '/^  turn: {host: /s/transport: udp/transport: tcp/' "$T/lab.yaml" >"$T/tcp.yaml"
check tcp tcp 0
assert_json "$T/tcp/summary.json" '.relay.reachable and .relay.outcome == "allocated" and .relay.transport == "tcp" and .relay.pseudo_tls' "tcp: allocated after the pseudo-TLS handshake"
ok "the relay answers over UDP and over TCP with pseudo-TLS"

# 2. credentials: mras: no password of its own, the 401 is the answer.
sed -E '/^  turn: \{host: /s/, username: "[^"]*", password: "[^"]*", realm: "[^"]*"/, credentials: mras/' \
    "$T/lab.yaml" >"$T/mras.yaml"
grep -q 'credentials: mras' "$T/mras.yaml" || fail "sed left no credentials: mras: $(grep turn "$T/mras.yaml")"
check mras mras 0
assert_json "$T/mras/summary.json" '.relay.reachable and .relay.outcome == "auth-refused"' "credentials: mras: the relay's 401 proves it reachable"

# 2b. The check step does the same in a journey (for a scheduled run or
#     the exporter): ok against the lab, relay-unavailable when only the
#     relay does not answer, naming it.
cat >"$T/step.yaml" <<'SCN'
name: check-step
steps:
  - check: {timeout: 3s}
load: {users: 1, rate: 1, iterations: 1}
SCN
rc=0; "$SYNTH" run "$T/step.yaml" --target "$T/lab.yaml" --out "$T/step-ok" --quiet >"$T/step-ok.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "check step against the lab: exit $rc: $(tail -20 "$T/step-ok.out")"
sed -E "/^  turn: \{host: /s/port: [0-9]+/port: $(free_port)/" "$T/lab.yaml" >"$T/step-closed.yaml"
rc=0; "$SYNTH" run "$T/step.yaml" --target "$T/step-closed.yaml" --out "$T/step-bad" --quiet >"$T/step-bad.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "check step, relay closed: exit $rc, want 2: $(tail -20 "$T/step-bad.out")"
n=$(jq -s '[.[] | select(.step == "check" and .class == "relay-unavailable" and (.detail | test("^relay 127\\.0\\.0\\.1:[0-9]+ over udp \\(ms-turn\\): (transport|timeout) after [0-9]+ ms: not reachable$")))] | length' "$T/step-bad/events.jsonl")
[ "$n" = 1 ] || fail "check step: want relay-unavailable naming the relay: $(jq -c 'select(.step == "check")' "$T/step-bad/events.jsonl")"
ok "the check step probes the relay too: ok, then relay-unavailable naming it"

kill -TERM "$LABPID"
for _ in $(seq 100); do grep -q "^lab turn:" "$T/lab.out" && break; sleep 0.1; done
grep -q "^lab turn: 1 TCP connections opened with pseudo-TLS$" "$T/lab.out" ||
    fail "the lab should have answered one pseudo-TLS handshake: $(grep '^lab turn' "$T/lab.out")"
released=$(sed -n 's/^lab turn: \([0-9]*\) allocations (\([0-9]*\) released.*/\1 \2/p' "$T/lab.out")
# The UDP allocations (udp, and the step's) are released by LIFETIME 0;
# the TCP one goes with its connection.
[ "$released" = "3 2" ] || fail "allocations made and released by the check: $(grep '^lab turn' "$T/lab.out")"
ok "the lab answered 1 pseudo-TLS handshake; the check's UDP allocation was released"

# 3. A TLS server where the Edge's TCP port should be (what a
#    TLS-inspecting proxy or a web server on TCP 443 is to the ClientHello):
#    openssl s_server answers with a real handshake or an alert.
SPORT=$(free_port)
mkdir -p "$T/tls"
make_cert "$T/tls" proxy.synth.test
openssl s_server -cert "$T/tls/cert.pem" -key "$T/tls/key.pem" -accept "127.0.0.1:$SPORT" \
    -quiet </dev/null >"$T/tls/s_server.log" 2>&1 &
PIDS="$PIDS $!"
wait_for_port tcp "$SPORT" 10
sed -E "/^  turn: \{host: /s/port: [0-9]+/port: $SPORT/" "$T/tcp.yaml" >"$T/proxy.yaml"
check proxy proxy 2
S="$T/proxy/summary.json"
assert_json "$S" '.relay.reachable == false and .relay.outcome == "pseudo-tls" and .relay.ms < 2000' "TLS server: its answer to the ClientHello is no pseudo-TLS ServerHello (pseudo-tls), before the deadline"
assert_json "$S" '[.findings[] | select(.id == "turn-relay-unreachable")][0] | .severity == "critical" and (.evidence | contains("over tcp (ms-turn, pseudo-TLS): pseudo-tls")) and (.remedy | contains("TLS-inspecting proxy"))' "TLS server: turn-relay-unreachable, critical, naming the proxy"

# 4. Nothing on the UDP port.
sed -E "/^  turn: \{host: /s/port: [0-9]+/port: $(free_port)/" "$T/lab.yaml" >"$T/closed.yaml"
check closed closed 2
assert_json "$T/closed/summary.json" '.relay.reachable == false and (.relay.outcome == "transport" or .relay.outcome == "timeout") and .relay.ms <= 2500 and ([.findings[].id] | index("turn-relay-unreachable"))' "closed UDP port: turn-relay-unreachable within the deadline"
grep -q "NOT REACHED" "$T/closed.out" || fail "the terminal does not say the relay was not reached: $(tail -5 "$T/closed.out")"
ok "an unreachable relay is a critical finding"
