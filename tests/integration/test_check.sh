#!/bin/bash
# synth check: the certificates of the lab's Front End and UM (healthy, and
# with the UM's FQDN only in its SAN), of Kamailio's TLS port (a certificate
# made by `openssl req -x509`, with and without its CA), and of a real
# `openssl s_server` presenting an expired RSA-1024 SHA-1 certificate that a
# normal handshake would refuse.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

# 1. The healthy lab: every rule passes for the Front End and the UM.
rc=0; "$SYNTH" check --lab --out "$T/lab" >"$T/lab.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "check --lab: exit $rc: $(tail -30 "$T/lab.out")"
S="$T/lab/summary.json"
assert_json "$S" '.verdict == "ok" and .target == "lab" and .findings == [] and .reason == "every certificate rule passed, every web service port answers for its site, the media relay answers"' "lab: verdict ok, no findings"
assert_json "$S" '[.certificates[].endpoint] == ["registrar", "edge", "um"]' "lab: the Front End, the Edge and the UM checked"
assert_json "$S" '[.certificates[] | .result == "pass" and (.chain | length) >= 1 and (.rules | length) == 7] | all' "lab: a chain and 7 passing rules each"
assert_json "$S" '([.certificates[] | select(.endpoint == "um")][0]).chain[0].subject_cn == "um.lab.synth.test" and ([.certificates[] | select(.endpoint == "um")][0]).mtls' "lab: the UM's CN is its FQDN, mutual TLS expected"
assert_json "$S" '([.certificates[] | select(.endpoint == "um")][0]).probe.client_cert_requested and ([.certificates[] | select(.endpoint == "um")][0]).probe.client_cert_sent' "lab: the UM asked for a client certificate and got the Front End's"
assert_json "$S" 'has("calls") and has("steps") and has("thresholds") and .exit_code == 0' "lab: summary.json has run's shape"
head -1 "$T/lab.out" | grep -q "target lab" || fail "the target is not named first: $(head -3 "$T/lab.out")"
grep -q "^target: lab (embedded lab)" "$T/lab.out" || fail "no target line in the table"
grep -Eq "^  um +subject-cn +PASS +Subject CN=um.lab.synth.test" "$T/lab.out" || fail "no UM subject row: $(cat "$T/lab.out")"
ok "terminal: target first, a row per rule"

# 2. The field failure: the UM's Subject CN is another name, its FQDN only in the SAN.
rc=0; "$SYNTH" check --lab --fault um_cert_cn=um01 --out "$T/san" >"$T/san.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "um_cert_cn: exit $rc, want 2: $(tail -30 "$T/san.out")"
S="$T/san/summary.json"
assert_json "$S" '[.findings[].id] == ["cert-subject-not-fqdn"] and .findings[0].severity == "critical"' "um_cert_cn: one critical cert-subject-not-fqdn"
assert_json "$S" '.findings[0].evidence | (contains("CN=um01") and contains("expected um.lab.synth.test"))' "um_cert_cn: the CN seen and the FQDN expected"
assert_json "$S" '.findings[0].summary | contains("calls through the Edge connect and get no media, then BYE")' "um_cert_cn: the symptom explained"
assert_json "$S" '([.certificates[] | select(.endpoint == "um")][0]).chain[0].sans == ["DNS:um.lab.synth.test"] and .certificates[0].result == "pass"' "um_cert_cn: FQDN in the SAN, the Front End unaffected"

# 2b. The target `synth lab --write-target` writes lists the UM check; without the
#     Front End's key (kept in memory) the UM asks for a client certificate and gets none.
lab_start labw
rc=0; "$SYNTH" check --target "$T/labw.yaml" --out "$T/lw" >"$T/lw.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "written lab target: exit $rc: $(tail -30 "$T/lw.out")"
assert_json "$T/lw/summary.json" '.target_kind == "deployment" and [.certificates[].endpoint] == ["registrar", "edge", "um"] and .findings == []' "written lab target: registrar, Edge and UM pass"
assert_json "$T/lw/summary.json" '([.certificates[] | select(.endpoint == "um")][0]).probe.client_cert_requested and (([.certificates[] | select(.endpoint == "um")][0]).probe.client_cert_sent | not)' "written lab target: client certificate asked for, none sent"

# 3. Kamailio's TLS port, a certificate nobody here generated.
KUDP=$(free_port); KTLS=$(free_port); UAS=$(free_port)
mkdir -p "$T/kam"
CERT_DAYS=365 start_kamailio "$T/kam" "$KUDP" "$KTLS" "$UAS" synth.test unused-secret
kam_target() { # FILE CA_LINE
    cat >"$1" <<TGT
name: kamailio-peer
sip_domain: synth.test
registrar: {host: 127.0.0.1, port: $KUDP, transport: udp}
checks:
  - name: kamailio
    role: registrar
    host: 127.0.0.1
    port: $KTLS
    server_name: kamailio.synth.test
    names: [kamailio.synth.test, 127.0.0.1]
$2
users: {pattern: "sip:u{n}@synth.test", password: unused, count: 1}
TGT
}
kam_target "$T/kam-ca.yaml" "    ca_file: $T/kam/cert.pem"
rc=0; "$SYNTH" check --target "$T/kam-ca.yaml" --out "$T/kca" >"$T/kca.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "Kamailio with its CA: exit $rc: $(tail -30 "$T/kca.out")"
S="$T/kca/summary.json"
assert_json "$S" '.target == "kamailio-peer" and .verdict == "ok" and .findings == []' "Kamailio with its CA: pass"
assert_json "$S" '.certificates[0].chain[0].self_signed and .certificates[0].chain[0].key_type == "EC" and (.certificates[0].chain[0].sans | index("IP:127.0.0.1")) != null' "Kamailio: the openssl req -x509 certificate's fields"
kam_target "$T/kam-noca.yaml" ""
rc=0; "$SYNTH" check --target "$T/kam-noca.yaml" --out "$T/knoca" >"$T/knoca.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "Kamailio without its CA: exit $rc, want 2: $(tail -30 "$T/knoca.out")"
assert_json "$T/knoca/summary.json" '[.findings[].id] == ["cert-untrusted"] and (.findings[0].evidence | contains("the system store"))' "Kamailio without its CA: cert-untrusted"

# 4. Real OpenSSL serving what a normal handshake refuses: RSA-1024, SHA-1, expired.
mkdir -p "$T/weak"
cat >"$T/weak/ca.cnf" <<'CNF'
[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
CNF
( cd "$T/weak" && : >index.txt && echo 01 >serial &&
  openssl req -new -newkey rsa:1024 -nodes -subj "/CN=weak.synth.test" \
      -addext "subjectAltName=DNS:weak.synth.test" -keyout key.pem -out req.csr &&
  openssl ca -batch -config ca.cnf -selfsign -keyfile key.pem -in req.csr -out cert.pem \
      -startdate 20200101000000Z -enddate 20200301000000Z -md sha1 -notext ) >"$T/weak/make.out" 2>&1 \
    || fail "making the weak certificate: $(tail -5 "$T/weak/make.out")"
WPORT=$(free_port)
openssl s_server -cert "$T/weak/cert.pem" -key "$T/weak/key.pem" -accept "127.0.0.1:$WPORT" \
    -cipher 'DEFAULT:@SECLEVEL=0' -quiet </dev/null >"$T/weak/s_server.log" 2>&1 &
PIDS="$PIDS $!"
wait_for_port tcp "$WPORT" 10
cat >"$T/weak.yaml" <<TGT
name: weak-server
sip_domain: synth.test
registrar:
  host: 127.0.0.1
  port: $WPORT
  transport: tls
  tls: {server_name: weak.synth.test, ca_file: $T/weak/cert.pem}
users: {pattern: "sip:u{n}@synth.test", password: unused, count: 1}
TGT
rc=0; "$SYNTH" check --target "$T/weak.yaml" --out "$T/w" >"$T/w.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "weak certificate: exit $rc, want 2: $(tail -30 "$T/w.out")"
S="$T/w/summary.json"
assert_json "$S" '[.findings[].id] | (index("cert-weak") != null and index("cert-expiring") != null)' "weak: cert-weak and cert-expiring"
assert_json "$S" '.certificates[0].chain[0] | (.key_type == "RSA" and .key_bits == 1024 and .signature == "sha1WithRSAEncryption" and .days_left < 0)' "weak: inspected at security level 0 (RSA 1024, SHA-1, expired)"
assert_json "$S" '[.certificates[0].rules[] | select(.rule == "chain-trusted")][0].result == "pass"' "weak: trusted all the same (its own CA)"

# 4b. A server that requires a client certificate (openssl s_server -Verify): without
#     one, TLS 1.3 lets the handshake finish and then refuses; the chain is judged all the same.
mkdir -p "$T/mtls"
CERT_DAYS=365 make_cert "$T/mtls" mtls.synth.test
MPORT=$(free_port)
openssl s_server -cert "$T/mtls/cert.pem" -key "$T/mtls/key.pem" -accept "127.0.0.1:$MPORT" \
    -Verify 1 -quiet </dev/null >"$T/mtls/s_server.log" 2>&1 &
PIDS="$PIDS $!"
wait_for_port tcp "$MPORT" 10
sed -e "s/port: $WPORT/port: $MPORT/" -e "s|server_name: weak.synth.test, ca_file: $T/weak/cert.pem|server_name: mtls.synth.test, ca_file: $T/mtls/cert.pem|" \
    "$T/weak.yaml" >"$T/mtls.yaml"
rc=0; "$SYNTH" check --target "$T/mtls.yaml" --out "$T/m" >"$T/m.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "client certificate required: exit $rc, want 1: $(tail -30 "$T/m.out")"
assert_json "$T/m/summary.json" '[.findings[].id] == ["tls.client-cert-refused"] and .certificates[0].result == "pass" and .certificates[0].probe.client_cert_requested' "client certificate required: refused after the handshake, chain judged (warning)"

# 5. Unreachable endpoint and bad input.
CLOSED=$(free_port)
sed "s/port: $WPORT/port: $CLOSED/" "$T/weak.yaml" >"$T/closed.yaml"
rc=0; "$SYNTH" check --target "$T/closed.yaml" --out "$T/c" >"$T/c.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "closed port: exit $rc, want 2"
assert_json "$T/c/summary.json" '.findings[0].id == "transport.unreachable" and (.findings[0].evidence | contains("connection refused")) and .certificates[0].result == "error"' "closed port: transport.unreachable, connection refused"
# A port that accepts TCP and never speaks TLS: the handshake's deadline, told apart.
SILENT=$(free_port)
python3 -c 'import socket, signal, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); signal.pause()' "$SILENT" &
PIDS="$PIDS $!"
wait_for_port tcp "$SILENT" 10
sed "s/port: $WPORT/port: $SILENT/" "$T/weak.yaml" >"$T/silent.yaml"
rc=0; "$SYNTH" check --target "$T/silent.yaml" --timeout 1s --out "$T/si" >"$T/si.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "silent port: exit $rc, want 2"
assert_json "$T/si/summary.json" '.findings[0].id == "tls.handshake-failed" and (.findings[0].evidence | contains("TLS handshake not finished within 1000 ms"))' "silent port: the handshake's deadline, not a refused connection"
rc=0; "$SYNTH" check --target "$T/silent.yaml" --timeout 5 --out "$T/si2" >"$T/si2.out" 2>&1 || rc=$?
[ $rc -eq 3 ] && grep -q "timeout: needs a unit" "$T/si2.out" || fail "--timeout 5: exit $rc: $(cat "$T/si2.out")"
ok "--timeout without a unit: exit 3"
printf 'name: x\nsip_domain: d\nregistrar: {host: h}\nchecks:\n  - {name: um, role: voicemail, host: h}\nusers: {pattern: "sip:u{n}@d", password: p, count: 1}\n' >"$T/bad.yaml"
rc=0; "$SYNTH" check --target "$T/bad.yaml" --out "$T/b" >"$T/b.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "bad role: exit $rc, want 3"
grep -q "bad.yaml:5: checks\[0\].role: expected registrar, edge, um or web" "$T/b.out" || fail "error does not name file:line:key: $(cat "$T/b.out")"
ok "bad input: exit 3 naming bad.yaml:5 checks[0].role"

# 6. The check as a scenario step: before the calls, every journey checks the
#    target's certificates on the worker's loop.
cat >"$T/chk.scn.yaml" <<'SCN'
name: check-then-call
steps:
  - check: {timeout: 5s}
  - register: {timeout: 5s}
  - call: {hold: 3s, timeout: 5s, greeting: off}
  - hangup
  - unregister
load: {users: 2, rate: 4, iterations: 2}
SCN
rc=0; "$SYNTH" run "$T/chk.scn.yaml" --lab --out "$T/sg" --quiet >"$T/sg.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "check step, healthy lab: exit $rc: $(tail -20 "$T/sg.out")"
assert_json "$T/sg/summary.json" '.steps.check.attempts == 2 and .steps.check.ok == 2' "check step: the healthy lab's certificates pass, 2 of 2"
rc=0; "$SYNTH" run "$T/chk.scn.yaml" --lab --fault um_cert_cn=um01 --out "$T/sb" --quiet >"$T/sb.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "check step, um_cert_cn: exit $rc, want 2: $(tail -20 "$T/sb.out")"
assert_json "$T/sb/summary.json" '.steps.check.failures.certificate == 2 and ([.findings[] | select(.id == "check.certificate" and .severity == "critical" and (.evidence | test("um 127.0.0.1:[0-9]+ subject-cn: Subject CN=um01 is not the FQDN um.lab.synth.test")))] | length == 1)' "check step, um_cert_cn: certificate failures, the finding names the UM and the rule"
n=$(jq -s '[.[] | select(.step == "check" and .class == "certificate")] | length' "$T/sb/events.jsonl")
[ "$n" = 2 ] || fail "check step: want 2 check events of class certificate, got $n"
ok "check step: each journey's event is class certificate"
