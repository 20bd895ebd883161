#!/bin/bash
# A call that a 302 sends to another server gets its own NTLM security
# association there ([MS-SIPAE] 3.2.1: an SA belongs to one connection). A
# SIPp redirector (the user's registrar here, over UDP) answers every INVITE
# 302 with a Contact on the lab's Front End in `auth: ntlm`, reached over
# TCP through a recorder (sip_recorder.py) that writes what passes. On that
# new connection the INVITE goes out unsigned, the Front End challenges it
# (401, NTLM, targetname fe.lab.synth.test), synth negotiates the link's SA
# (the empty token, the CHALLENGE, the AUTHENTICATE) and sends the INVITE
# again with it; the call reaches voicemail, the greeting is heard, ACK and
# BYE on the link are signed, the Front End's rspauth is checked, and so is
# the UM's BYE the Front End signs with the link's SA. A wrong password is
# auth-ntlm-refused naming the Front End; a broken signature on the UM's
# BYE is auth-ntlm-refused; a server offering only Kerberos and TLS-DSK is
# auth-unsupported-scheme naming it and the schemes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
SIPP_DIR="$SRC/tests/integration/sipp"

# redirect_setup NAME LAB: the recorder in front of lab LAB's TCP port, a
# SIPp redirector sending calls there, and $T/NAME-target.yaml whose
# registrar is the redirector, with LAB's users under auth: ntlm. Sets REC
# (the recorder's log).
redirect_setup() {
    local name=$1 lab=$2 rport redir labtcp
    labtcp=$(awk '$1 == "tcp_port:" {print $2}' "$T/$lab.yaml")
    rport=$(free_port)
    REC="$T/$name-rec.jsonl"
    python3 "$SRC/tests/integration/sip_recorder.py" "$rport" 127.0.0.1 "$labtcp" "$REC" \
        >"$T/$name-rec.out" 2>&1 &
    PIDS="$PIDS $!"
    wait_for_line "$T/$name-rec.out" "recorder ready" 10
    redir=$(free_port)
    start_sipp "$name-redir" "$redir" -sf "$SIPP_DIR/uas-redirect.xml" \
        -key contact "sip:vm@127.0.0.1:$rport;transport=tcp;opaque=app:voicemail"
    write_target "$T/$name-target.yaml" "$redir" "$(awk '$1 == "password:" {print $2}' "$T/$lab.yaml")"
}

# write_target FILE PORT PASSWORD: the redirector on udp PORT as registrar.
write_target() {
    cat >"$1" <<TGT
name: redirected-ntlm
sip_domain: lab.synth.test
registrar: {host: 127.0.0.1, port: $2, transport: udp, auth: ntlm}
voicemail_uri: "sip:{user}@127.0.0.1:$2;opaque=app:voicemail"
users: {pattern: "sip:user{n:04}@lab.synth.test", password: $3, count: 2}
media: {srtp: required}
TGT
}

# run_calls NAME SCENARIO TARGET: synth run, results in $T/NAME; sets RC.
run_calls() {
    RC=0; "$SYNTH" run "$2" --target "$3" --out "$T/$1" --workers 1 \
        --quiet >"$T/$1.out" 2>&1 || RC=$?
}

# on_link JQ: what the recorder saw on the redirected connections, as jq
# over its lines slurped (each {conn, dir, start, headers}).
on_link() { jq -e -s "$1" "$REC" >/dev/null; }
AUTHZ='[.headers[] | select(.[0] == "Authorization") | .[1]]'
CHALLENGE='[.headers[] | select(.[0] == "WWW-Authenticate") | .[1]]'
SIGNED='[.headers[] | select(.[0] == "Authentication-Info") | .[1]]'

cat >"$T/greeting.yaml" <<'SCN'
name: redirected-greeting
steps:
  - call: {hold: 10s, timeout: 5s, greeting: required, first_media_timeout: 3s}
  - hangup
load: {users: 2, rate: 2, iterations: 2}
sip: {t1: 200ms}
SCN

# 1. The lab's Front End with NTLM; its UM hangs up after 6 s.
printf 'auth: ntlm\nusers: 2\nfaults:\n  bye_after_ms: 6s\n' >"$T/lab-a.yaml"
lab_start lab --config "$T/lab-a.yaml"
redirect_setup a lab
run_calls good "$T/greeting.yaml" "$T/a-target.yaml"
[ $RC -eq 0 ] || fail "redirected NTLM calls: exit $RC: $(tail -20 "$T/good.out"; jq -c . "$T/good/events.jsonl" 2>/dev/null | cut -c1-600)"
assert_json "$T/good/summary.json" '.calls.attempted == 2 and .calls.answered == 2 and .calls.greeting_heard == 2 and .steps.hangup.ok == 2' \
    "two redirected calls answered by the UM, the greeting heard, hung up on the link"
# Per connection: the unsigned INVITE, the Front End's opening challenge,
# the empty token, the CHALLENGE with its opaque, the INVITE with the
# AUTHENTICATE, then every request signed and every answer signed.
for c in 1 2; do
    on_link "[.[] | select(.conn == $c)] as \$m |
        (\$m | map(select(.dir == \"to-server\" and (.start | startswith(\"INVITE \")))) | length == 3) and
        (\$m | map(select(.dir == \"to-server\" and (.start | startswith(\"INVITE \"))))[0] | $AUTHZ | length == 0) and
        (\$m | map(select(.start | startswith(\"SIP/2.0 401\")))[0] | $CHALLENGE | length == 1 and
            (.[0] | startswith(\"NTLM \") and contains(\"targetname=\\\"fe.lab.synth.test\\\"\") and (contains(\"gssapi-data\") | not)))" ||
        fail "connection $c: no unsigned INVITE challenged 401 NTLM by fe.lab.synth.test: $(jq -c "select(.conn == $c) | [.dir, .start]" "$REC")"
    on_link "[.[] | select(.conn == $c and .dir == \"to-server\" and (.start | startswith(\"INVITE \")))] |
        (.[1] | $AUTHZ | .[0] | contains(\"gssapi-data=\\\"\\\"\")) and
        (.[2] | $AUTHZ | .[0] | contains(\"opaque=\") and contains(\"gssapi-data=\\\"TlRMTVNTUAAD\"))" ||
        fail "connection $c: the INVITE is not retried with the empty token, then the AUTHENTICATE: $(jq -c "select(.conn == $c) | [.start, $AUTHZ]" "$REC" | cut -c1-300)"
    on_link "[.[] | select(.conn == $c and .dir == \"to-server\" and ((.start | startswith(\"ACK \")) or (.start | startswith(\"BYE \"))) and (.start | contains(\"um.lab.synth.test\")))] |
        length >= 2 and all(.[]; $AUTHZ | length == 1 and (.[0] | contains(\"response=\") and contains(\"cnum=\")))" ||
        fail "connection $c: ACK and BYE of the dialog not signed with the link's SA"
    on_link "[.[] | select(.conn == $c and .dir == \"to-client\" and (.start | startswith(\"SIP/2.0 200\")))] |
        length >= 2 and all(.[]; $SIGNED | length == 1 and (.[0] | contains(\"rspauth=\") and contains(\"targetname=\\\"fe.lab.synth.test\\\"\")))" ||
        fail "connection $c: the Front End's 200s are not signed"
done
ok "on each redirected connection: unsigned INVITE, 401 NTLM (targetname fe.lab.synth.test), INVITE with the empty token, then with the AUTHENTICATE; ACK and BYE signed, the 200s signed"
jq -e -s '[.[] | select(.step == "call")] | length == 2 and all(.[]; .outcome == "ok" and .media.greeting_heard)' "$T/good/events.jsonl" >/dev/null ||
    fail "call events: $(jq -c 'select(.step == "call")' "$T/good/events.jsonl")"
ok "call events: ok, greeting heard"

#    The UM hangs up (after 6 s, the greeting heard): the Front End signs
#    its BYE with the link's SA, synth verifies it and takes it.
cat >"$T/stay.yaml" <<'SCN'
name: redirected-stay
steps:
  - call: {hold: 10s, timeout: 5s, greeting: required, first_media_timeout: 3s, hangup_on_greeting: false}
load: {users: 1, rate: 1, iterations: 1}
sip: {t1: 200ms}
SCN
: >"$REC"
run_calls stay "$T/stay.yaml" "$T/a-target.yaml"
[ $RC -eq 0 ] || fail "the UM's BYE on the link: exit $RC: $(jq -c 'select(.step == "call")' "$T/stay/events.jsonl" 2>/dev/null)"
jq -e -s '.[] | select(.step == "call") | .outcome == "ok" and .bye_by_peer == true' "$T/stay/events.jsonl" >/dev/null ||
    fail "the UM's BYE on the link: $(jq -c 'select(.step == "call")' "$T/stay/events.jsonl")"
on_link "[.[] | select(.dir == \"to-client\" and (.start | startswith(\"BYE \")))] | length == 1 and (.[0] | $SIGNED | length == 1)" ||
    fail "the UM's BYE did not come signed on the link: $(jq -c '[.dir, .start]' "$REC")"
ok "the UM's BYE, signed by the Front End with the link's SA, verified and taken (bye_by_peer)"

#    A wrong password: the Front End challenges afresh after the AUTHENTICATE.
sed 's/password: [^,}]*/password: not-the-password/' "$T/a-target.yaml" >"$T/wrong-target.yaml"
run_calls wrong "$T/greeting.yaml" "$T/wrong-target.yaml"
[ $RC -eq 2 ] || fail "wrong password on the link: exit $RC, want 2: $(tail -5 "$T/wrong.out")"
jq -e -s '[.[] | select(.step == "call")] | length == 2 and all(.[]; .class == "auth-ntlm-refused" and (.detail | contains("NTLM credentials refused by fe.lab.synth.test")))' \
    "$T/wrong/events.jsonl" >/dev/null || fail "wrong password on the link: $(jq -c 'select(.step == "call")' "$T/wrong/events.jsonl")"
! grep -rq "not-the-password" "$T/wrong/events.jsonl" "$T/wrong/summary.json" "$T/wrong.out" "$T/wrong/traces" ||
    fail "the password appears in the results"
ok "wrong password on the link: auth-ntlm-refused, naming fe.lab.synth.test, not the password"
kill "$LABPID"

# 2. The UM hangs up at once and the Front End's signature on its BYE is
#    broken: synth refuses the BYE (403) and the call is auth-ntlm-refused.
printf 'auth: ntlm\nusers: 2\nfaults:\n  bye_after_ms: 1s\n  ntlm_bad_request_signature: true\n' >"$T/lab-b.yaml"
lab_start labb --config "$T/lab-b.yaml"
redirect_setup b labb
run_calls badbye "$T/stay.yaml" "$T/b-target.yaml"
[ $RC -eq 2 ] || fail "broken BYE signature on the link: exit $RC, want 2"
jq -e -s '.[] | select(.step == "call") | .class == "auth-ntlm-refused" and .bye_by_peer == false and (.detail | test("^BYE from the server: rspauth from fe.lab.synth.test does not verify"))' \
    "$T/badbye/events.jsonl" >/dev/null || fail "broken BYE signature on the link: $(jq -c 'select(.step == "call")' "$T/badbye/events.jsonl")"
on_link '[.[] | select(.dir == "to-server" and (.start | startswith("SIP/2.0 403")))] | length >= 1' ||
    fail "synth did not answer the broken BYE 403 on the link"
ok "a BYE on the link with a broken rspauth: 403, auth-ntlm-refused naming it"

# 3. The server the redirect names offers only Kerberos and TLS-DSK.
KRB=$(free_port); REDIR=$(free_port)
start_sipp krb "$KRB" -sf "$SIPP_DIR/uas-auth-kerberos.xml"
start_sipp krb-redir "$REDIR" -sf "$SIPP_DIR/uas-redirect.xml" -key contact "sip:vm@127.0.0.1:$KRB;opaque=app:voicemail"
write_target "$T/krb-target.yaml" "$REDIR" synth-lab
run_calls krb "$T/greeting.yaml" "$T/krb-target.yaml"
[ $RC -eq 2 ] || fail "Kerberos/TLS-DSK only: exit $RC, want 2"
jq -e -s --arg s "127.0.0.1:$KRB" '[.[] | select(.step == "call")] | length == 2 and all(.[]; .class == "auth-unsupported-scheme" and (.detail | startswith($s) and contains("(schemes offered: Kerberos, TLS-DSK)")))' \
    "$T/krb/events.jsonl" >/dev/null || fail "Kerberos/TLS-DSK only: $(jq -c 'select(.step == "call")' "$T/krb/events.jsonl")"
ok "a redirect to a server with Kerberos and TLS-DSK only: auth-unsupported-scheme naming it and the schemes"
