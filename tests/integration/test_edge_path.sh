#!/bin/bash
# Internal and external users side by side: users on `via: edge` register and
# call through the lab's Edge access proxy, which relays everything to the
# Front End over its own mutual-TLS link; summary.json "paths" compares the two.
. "$(dirname "$0")/lib.sh"

# 1. voicemail-edge.yaml against the embedded lab: both paths answered, with
#    the greeting, counted apart; every event says its path.
rc=0; "$SYNTH" run "$SRC/scenarios/voicemail-edge.yaml" --lab --out "$T/both" --workers 2 \
    >"$T/both.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "voicemail-edge: exit $rc: $(tail -20 "$T/both.out")"
S="$T/both/summary.json"
assert_json "$S" '.via == ["internal", "edge"]' "summary names the paths taken"
assert_json "$S" '.paths.internal.calls.attempted == 10 and .paths.edge.calls.attempted == 10' "10 calls on each path"
assert_json "$S" '.paths.edge.calls.greeting_heard == 10 and .paths.internal.calls.greeting_heard == 10' "greeting heard on both paths"
assert_json "$S" '.paths.edge.steps.register.ok >= 10 and .paths.edge.calls.setup_ms.p95 > 0' "edge users registered, setup measured"
assert_json "$S" '.calls.attempted == (.paths.internal.calls.attempted + .paths.edge.calls.attempted)' "paths add up to the total"
assert_json "$S" '([.findings[].id] | index("um-cert-breaks-edge-media")) == null and .certificates == null' "healthy: no diagnosis, no certificate check"
n=$(jq -r 'select(.step == "call") | .via' "$T/both/events.jsonl" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
[ "$n" = "edge=10 internal=10 " ] || fail "call events by via: '$n'"
ok "events.jsonl: 10 calls via edge, 10 via internal"
grep -q "^calls via" "$T/both.out" || fail "terminal lacks the per-path table: $(cat "$T/both.out")"
ok "terminal shows calls per path"

# 2. The Edge really carries the external users: a lab in its own process,
#    a target whose registrar is a dead port and whose edge is the lab's Edge.
#    Edge users still register, call and hear the greeting; the lab counts
#    what the Edge relayed. This lab runs each server on its own thread
#    (threads: per-server): MRAS credentials cross from the Front End's
#    thread to the relay's, the relay asks the UM's thread what is inside.
echo "threads: per-server" >"$T/lab-config.yaml"
"$SYNTH" lab --config "$T/lab-config.yaml" --state-dir "$T/lab" --write-target "$T/lab.yaml" \
    >"$T/lab.out" 2>&1 &
LABPID=$!; PIDS="$PIDS $LABPID"
wait_for_line "$T/lab.out" "lab ready" 10
names=$(cat /proc/"$LABPID"/task/*/comm | grep '^lab-' | sort | tr '\n' ' ')
[ "$names" = "lab-fe lab-turn lab-um " ] || fail "threads: per-server: lab threads '$names'"
ok "threads: per-server: the lab runs lab-fe, lab-turn and lab-um"
grep -q "edge tls:[1-9]" "$T/lab.out" || fail "lab does not announce its edge: $(cat "$T/lab.out")"
dead=$(free_port)
edge_port=$(awk '/^edge:/{e=1} e && /port:/{print $2; exit}' "$T/lab.yaml")
awk -v dead="$dead" '/^registrar:/{r=1} /^edge:/{r=0} r && /^  port:/{$0="  port: " dead} {print}' \
    "$T/lab.yaml" >"$T/edge-only.yaml"
grep -q "port: $dead" "$T/edge-only.yaml" || fail "could not point the registrar at a dead port"
cat >"$T/edge.yaml" <<SCN
name: edge-only
steps:
  - register: {expires: 300s, timeout: 5s}
  - call: {hold: 10s, timeout: 5s, greeting: required, first_media_timeout: 3s}
  - hangup
  - unregister
load: {users: 3, rate: 5, iterations: 3, via: edge}
SCN
rc=0; "$SYNTH" run "$T/edge.yaml" --target "$T/edge-only.yaml" --out "$T/edge" --workers 1 \
    --quiet >"$T/edge.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "edge only (registrar dead, edge $edge_port): exit $rc: $(tail -20 "$T/edge.out")"
assert_json "$T/edge/summary.json" '.calls.answered == 3 and .calls.greeting_heard == 3 and .steps.unregister.ok == 3' "through the Edge alone: 3 calls, greeting heard"
assert_json "$T/edge/summary.json" '.paths == null and .via == ["edge"]' "one path: no per-path breakdown, via edge"
# The same users straight to the (dead) registrar fail as unreachable.
sed 's/via: edge/via: internal/' "$T/edge.yaml" >"$T/internal.yaml"
rc=0; "$SYNTH" run "$T/internal.yaml" --target "$T/edge-only.yaml" --out "$T/int" --workers 1 \
    --quiet >"$T/int.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "internal users to a dead registrar: exit $rc, want 2"
assert_json "$T/int/summary.json" '[.findings[].id] | index("transport.unreachable") != null' "internal path to a dead registrar: unreachable"
kill -TERM "$LABPID"
for _ in $(seq 100); do grep -q "lab edge:" "$T/lab.out" && break; sleep 0.1; done
relayed=$(sed -n 's/^lab edge: \([0-9]*\) requests relayed/\1/p' "$T/lab.out")
# Per user at least REGISTER twice (challenge), INVITE, ACK, BYE, unregister twice.
[ "${relayed:-0}" -ge 21 ] || fail "the Edge relayed ${relayed:-nothing}, want >= 21: $(tail -3 "$T/lab.out")"
ok "the lab's Edge relayed $relayed requests"
# The UM asked the Front End's MRAS for A/V Edge credentials over its mutual-TLS
# link, and got them: its certificate's Subject CN is its FQDN.
grep -q "^lab mras: 1 credentials granted, 0 refused" "$T/lab.out" ||
    fail "MRAS not granted: $(grep mras "$T/lab.out")"
ok "MRAS: the UM's credentials granted"
# The 3 Edge calls went relay to relay: the UM answered with its relay candidate,
# and every allocation was released by its client at the end of the call.
for _ in $(seq 100); do grep -q "^lab turn:" "$T/lab.out" && break; sleep 0.1; done
allocs=$(sed -n 's/^lab turn: \([0-9]*\) allocations.*/\1/p' "$T/lab.out")
released=$(sed -n 's/^lab turn: [0-9]* allocations (\([0-9]*\) released.*/\1/p' "$T/lab.out")
relayc=$(sed -n 's/^lab media: .*, \([0-9]*\) UM answers with a relay candidate.*/\1/p' "$T/lab.out")
[ "${relayc:-0}" -ge 3 ] || fail "the UM should answer Edge calls with a relay candidate: $(grep '^lab media' "$T/lab.out")"
[ "${allocs:-0}" -gt 0 ] && [ "$released" = "$allocs" ] ||
    fail "every TURN allocation should be released at the end of its call: $(grep '^lab turn' "$T/lab.out")"
ok "relay to relay: $relayc UM answers with a relay candidate; $released of $allocs TURN allocations released"

# The field failure's mechanism: the UM certificate with its FQDN only in the
# SAN (um_cert_cn). TLS between the servers still passes (the SAN matches),
# but the Front End knows servers by Subject CN and refuses the UM's MRAS.
"$SYNTH" lab --state-dir "$T/labcn" --write-target "$T/labcn.yaml" --fault um_cert_cn=um01 \
    >"$T/labcn.out" 2>&1 &
CNPID=$!; PIDS="$PIDS $CNPID"
wait_for_line "$T/labcn.out" "lab ready" 10
rc=0; "$SYNTH" run "$SYNTH_SOURCE_DIR/scenarios/voicemail-edge.yaml" --target "$T/labcn.yaml" \
    --out "$T/cn" --quiet >"$T/cn.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "um_cert_cn: Edge calls without media must be critical: exit $rc: $(tail -20 "$T/cn.out")"
S="$T/cn/summary.json"
assert_json "$S" '.paths.internal.calls.greeting_heard == 10 and .paths.internal.calls.connected_no_media == 0' "um_cert_cn: internal users still hear the greeting (10 of 10)"
assert_json "$S" '.paths.edge.calls.answered == 10 and .paths.edge.calls.connected_no_media == 10 and .paths.edge.calls.greeting_heard == 0' "um_cert_cn: every Edge call answered, none with media (connected-no-media)"
n=$(jq -s '[.[] | select(.step == "call" and .via == "edge" and .class == "connected-no-media" and .media.no_media_cause == "ice-failed" and .bye_by_peer and (.reason | test("Media connectivity failure")))] | length' "$T/cn/events.jsonl")
[ "$n" = 10 ] || fail "um_cert_cn: want 10 Edge calls ended by the UM's BYE for no ICE pair: $(jq -c 'select(.step == "call" and .via == "edge")' "$T/cn/events.jsonl" | head -1)"
ok "um_cert_cn: each Edge call is 200, ACK, no media, then the UM's BYE with its Reason (the field symptom)"
# The diagnosis links the symptom to its cause in one finding.
assert_json "$S" '[.findings[] | select(.id == "um-cert-breaks-edge-media" and .severity == "critical" and (.evidence | test("UM endpoint um 127.0.0.1:[0-9]+ presents Subject CN=um01, expected um.lab.synth.test")) and (.evidence | test("10 of 10 Edge calls connected-no-media")) and (.evidence | test("10 of 10 heard the greeting")))] | length == 1' "um-cert-breaks-edge-media: the UM endpoint, CN um01 seen, the FQDN expected, 10 Edge calls without media"
assert_json "$S" '[.findings[].id] | index("cert-subject-not-fqdn") != null' "the certificate finding of the UM beside it"
assert_json "$S" '(.steps.hangup.failures.dropped // 0) == 0 and .steps.hangup.failures["not-ready"] == 10 and ([.findings[] | select(.id == "hangup.dropped")] | length == 0)' "the UM's BYE counted once: by the call step, not again as a dropped hangup"
assert_json "$S" '.certificates[0].role == "um" and .certificates[0].chain[0].subject_cn == "um01"' "summary.json certificates: the UM's chain as presented"
kill -TERM "$CNPID"
for _ in $(seq 100); do grep -q "lab turn:" "$T/labcn.out" && break; sleep 0.1; done
grep -q "^lab mras: 0 credentials granted, 1 refused" "$T/labcn.out" ||
    fail "MRAS not refused with CN=um01: $(grep mras "$T/labcn.out")"
grep -q "^lab media: .* 0 UM answers with a relay candidate, 10 UM calls without an ICE pair" "$T/labcn.out" ||
    fail "um_cert_cn: the UM should answer without a relay and give up 10 calls: $(grep '^lab media' "$T/labcn.out")"
unreach=$(sed -n 's/^lab turn: .* \([0-9]*\) unreachable.*/\1/p' "$T/labcn.out")
[ "${unreach:-0}" -gt 0 ] || fail "um_cert_cn: the relay should have dropped checks toward the UM's host: $(grep '^lab turn' "$T/labcn.out")"
ok "um_cert_cn: the Front End refused MRAS, the UM had no relay, the Edge relay could not reach the UM's host ($unreach checks dropped)"

# 3. A scenario on the Edge against a target without one: exit 3, named.
sed '/^edge:/,/^voicemail_uri:/{/^voicemail_uri:/!d}' "$T/lab.yaml" >"$T/noedge.yaml"
rc=0; "$SYNTH" run "$T/edge.yaml" --target "$T/noedge.yaml" --out "$T/ne" --quiet >"$T/ne.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "edge scenario, target without edge: exit $rc, want 3"
grep -q "load.via has edge but the target lab names no edge endpoint" "$T/ne.out" ||
    fail "unclear error: $(cat "$T/ne.out")"
ok "edge scenario against a target without an edge: exit 3, named"
