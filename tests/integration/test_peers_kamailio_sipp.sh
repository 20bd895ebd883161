#!/bin/bash
# synth against software it did not write: Kamailio as a TLS registrar with
# Digest auth routing the voicemail call to a SIPp UAS, and SIPp as the
# answering side directly over UDP and TCP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

REALM=synth.test
PASS=kam-secret-42
UAS=$(free_port); KUDP=$(free_port); KTLS=$(free_port)
start_sipp_uas "$UAS" u1 "$T/uas" "$SRC/tests/integration/sipp/uas-rr.xml"
mkdir -p "$T/kam"
start_kamailio "$T/kam" "$KUDP" "$KTLS" "$UAS" "$REALM" "$PASS"

cat >"$T/kamailio-target.yaml" <<TGT
name: kamailio-peer
sip_domain: $REALM
registrar:
  host: 127.0.0.1
  port: $KTLS
  transport: tls
  tls:
    server_name: kamailio.synth.test
    ca_file: $T/kam/cert.pem
voicemail_uri: "sip:{user}@{domain};opaque=app:voicemail"
users:
  pattern: "sip:user{n:03}@$REALM"
  password: env:KAM_PASSWORD
  count: 12
TGT
export KAM_PASSWORD=$PASS
SC="$SRC/tests/integration/scenarios/short-call-signaling.yaml"
rc=0; "$SYNTH" run "$SC" --target "$T/kamailio-target.yaml" --out "$T/k" --workers 2 --quiet >"$T/k.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "against Kamailio: exit $rc: $(tail -30 "$T/k.out"; tail -20 "$T/kam/kamailio.log")"
S="$T/k/summary.json"
assert_json "$S" '.target == "kamailio-peer" and .verdict == "ok"' "Kamailio over TLS: verdict ok"
assert_json "$S" '.steps.register.ok >= 12 and .steps.register.failed == 0' "Digest registrations accepted by Kamailio"
assert_json "$S" '.calls.attempted == 12 and .calls.answered == 12' "12 calls through Kamailio answered by SIPp"
assert_json "$S" '.steps.hangup.ok == 12' "BYEs routed back through Kamailio's Record-Route"
grep -q "$PASS" "$T/k.out" "$T/k/events.jsonl" "$T/k/summary.json" && fail "the password leaked into the output"
ok "password not in output"

# Wrong password: Kamailio challenges again; synth reports auth-refused and stops trying.
export KAM_PASSWORD=wrong
rc=0; "$SYNTH" run "$SC" --target "$T/kamailio-target.yaml" --out "$T/w" --workers 1 --quiet >"$T/w.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "wrong password: exit $rc, want 2"
assert_json "$T/w/summary.json" '.steps.register.failures["auth-refused"] >= 1' "wrong password: auth-refused"

# SIPp UAS directly, over UDP and TCP, no registration.
cat >"$T/call-only.yaml" <<SCN
name: call-only
steps:
  - call: {hold: 100ms, timeout: 3s, media: false}
  - hangup
load: {users: 4, rate: 20, iterations: 20}
sip: {t1: 100ms}
SCN
for tp in udp tcp; do
    port=$(free_port)
    start_sipp_uas "$port" "$([ $tp = udp ] && echo u1 || echo t1)" "$T/uas-$tp"
    cat >"$T/sipp-$tp.yaml" <<TGT
name: sipp-uas-$tp
sip_domain: 127.0.0.1
registrar: {host: 127.0.0.1, port: $port, transport: $tp}
voicemail_uri: "sip:service@127.0.0.1:$port"
users: {pattern: "sip:caller{n}@127.0.0.1", password: unused, count: 4}
TGT
    rc=0; "$SYNTH" run "$T/call-only.yaml" --target "$T/sipp-$tp.yaml" --out "$T/s-$tp" --workers 1 --quiet >"$T/s-$tp.out" 2>&1 || rc=$?
    [ $rc -eq 0 ] || fail "SIPp UAS over $tp: exit $rc: $(tail -20 "$T/s-$tp.out")"
    assert_json "$T/s-$tp/summary.json" '.calls.answered == 20 and .steps.hangup.ok == 20' "SIPp UAS over $tp: 20 calls answered and hung up"
done
