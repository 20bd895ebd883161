#!/bin/bash
# The lab driven by a peer it did not write: SIPp as UAC calls the voicemail
# URI through the lab's Front End over UDP and over TCP (INVITE, ACK, BYE
# along the Record-Route set), and registers over UDP with Digest (401, then
# 200 for credentials computed here, outside synth's code). The lab's own
# counters on SIGTERM must agree with what SIPp saw.
. "$(dirname "$0")/lib.sh"
SIPP_DIR="$SRC/tests/integration/sipp"
CALLS=100
RATE=25
USER=user0001
PASS=synth-lab

# lab_port KEY: a port from the lab: section of the target file.
lab_port() {
    awk -v k="$1:" '/^lab:/{in_lab=1; next} /^[^ ]/{in_lab=0} in_lab && $1==k {print $2}' "$T/lab.yaml"
}

# sipp_counter CSV COLUMN: the column's value in the last row of a -trace_stat file.
sipp_counter() {
    awk -F';' -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c) col=i} END{if(col) print $col}' "$1"
}

# run_sipp NAME ARGS...: SIPp in the foreground with a deadline; its exit
# status is checked by the caller through the statistics and error files.
run_sipp() {
    name=$1; shift
    timeout 40 sipp "$@" -i 127.0.0.1 -nostdin -trace_err -error_file "$T/$name.err" \
        -trace_stat -stf "$T/$name.csv" -fd 1 >"$T/$name.out" 2>&1 </dev/null
}

"$SYNTH" lab --state-dir "$T/state" --write-target "$T/lab.yaml" >"$T/lab.out" 2>&1 &
LABPID=$!; PIDS="$PIDS $LABPID"
wait_for_line "$T/lab.out" "lab ready" 15
UDP=$(lab_port udp_port); TCP=$(lab_port tcp_port)
DOMAIN=$(awk '/^sip_domain:/{gsub(/"/,"",$2); print $2}' "$T/lab.yaml")
[ -n "$UDP" ] && [ -n "$TCP" ] && [ -n "$DOMAIN" ] || fail "no ports or domain in the target: $(cat "$T/lab.yaml")"
wait_for_port udp "$UDP" 5
wait_for_port tcp "$TCP" 5

# 1. Calls to voicemail over UDP and TCP.
for tp in udp tcp; do
    port=$UDP; flag=u1
    [ $tp = tcp ] && port=$TCP && flag=t1
    rc=0
    run_sipp "vm-$tp" -sf "$SIPP_DIR/uac-voicemail.xml" -t $flag -key domain "$DOMAIN" -s "$USER" \
        -p "$(free_port)" -r $RATE -m $CALLS "127.0.0.1:$port" || rc=$?
    csv="$T/vm-$tp.csv"
    [ -s "$csv" ] || fail "SIPp over $tp wrote no statistics (exit $rc): $(tail -5 "$T/vm-$tp.out")"
    okc=$(sipp_counter "$csv" 'SuccessfulCall(C)'); bad=$(sipp_counter "$csv" 'FailedCall(C)')
    [ "$okc" = $CALLS ] && [ "$bad" = 0 ] && [ $rc -eq 0 ] ||
        fail "SIPp over $tp: $okc successful, $bad failed of $CALLS (exit $rc): $(head -c 1500 "$T/vm-$tp.err" 2>/dev/null)"
    ok "SIPp UAC over $tp: $CALLS voicemail calls through the Front End answered and hung up"
done

# 2. REGISTER with Digest over UDP: challenged, then accepted.
rc=0
run_sipp reg1 -sf "$SIPP_DIR/uac-register-challenge.xml" -t u1 -key domain "$DOMAIN" -s "$USER" \
    -p "$(free_port)" -m 1 -trace_msg -message_file "$T/reg1.msg" -trace_logs -log_file "$T/reg1.log" \
    "127.0.0.1:$UDP" || rc=$?
[ $rc -eq 0 ] || fail "unauthenticated REGISTER: exit $rc, want a 401: $(head -c 1500 "$T/reg1.err" 2>/dev/null; tail -5 "$T/reg1.out")"
ok "REGISTER without credentials: 401"
# RFC 8760 2.4: challenges in order of preference, SHA-256 first, MD5 offered too.
algos=$(grep -o '^WWW-Authenticate: Digest .*algorithm=[A-Z0-9-]*' "$T/reg1.msg" | grep -o 'algorithm=[A-Z0-9-]*' | tr '\n' ' ')
[ "$algos" = "algorithm=SHA-256 algorithm=MD5 " ] || fail "401 challenges: '$algos', want SHA-256 then MD5"
ok "401 offers SHA-256 first and MD5"
NONCE=$(sed -n 's/.*nonce \([0-9a-f]*\).*/\1/p' "$T/reg1.log" | head -1)
[ -n "$NONCE" ] || fail "no nonce logged: $(cat "$T/reg1.log")"

# RFC 2617 3.2.2 with qop=auth, computed with openssl, not with synth's digest.c.
md5() { printf '%s' "$1" | openssl md5 -r | cut -d' ' -f1; }
URI="sip:$DOMAIN"; CNONCE=0a4f113b; NC=00000001
HA1=$(md5 "$USER:$DOMAIN:$PASS"); HA2=$(md5 "REGISTER:$URI")
RESP=$(md5 "$HA1:$NONCE:$NC:$CNONCE:auth:$HA2")
printf 'SEQUENTIAL\nDigest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, cnonce="%s", qop=auth, nc=%s\n' \
    "$USER" "$DOMAIN" "$NONCE" "$URI" "$RESP" "$CNONCE" "$NC" >"$T/auth.csv"
rc=0
run_sipp reg2 -sf "$SIPP_DIR/uac-register-credentials.xml" -t u1 -key domain "$DOMAIN" -s "$USER" \
    -inf "$T/auth.csv" -p "$(free_port)" -m 1 "127.0.0.1:$UDP" || rc=$?
[ $rc -eq 0 ] || fail "REGISTER with MD5 credentials: exit $rc, want 200: $(head -c 1500 "$T/reg2.err" 2>/dev/null; tail -5 "$T/reg2.out")"
ok "REGISTER with Digest MD5 credentials: 200 with the binding's expiry"

# Wrong password, same nonce: refused for good (real accounts lock out).
RESP=$(md5 "$(md5 "$USER:$DOMAIN:wrong"):$NONCE:$NC:$CNONCE:auth:$HA2")
sed "s/response=\"[0-9a-f]*\"/response=\"$RESP\"/" "$T/auth.csv" >"$T/bad.csv"
rc=0
run_sipp reg3 -sf "$SIPP_DIR/uac-register-credentials.xml" -t u1 -key domain "$DOMAIN" -s "$USER" \
    -inf "$T/bad.csv" -p "$(free_port)" -m 1 -trace_msg -message_file "$T/reg3.msg" "127.0.0.1:$UDP" || rc=$?
[ $rc -ne 0 ] || fail "REGISTER with a wrong password was accepted"
grep -q '^SIP/2.0 403' "$T/reg3.msg" && grep -q '^ms-diagnostics: 1000;reason="Authentication failed"' "$T/reg3.msg" ||
    fail "wrong password: no 403 with ms-diagnostics 1000 in $(head -c 800 "$T/reg3.msg")"
ok "REGISTER with a wrong password: 403, ms-diagnostics 1000, not challenged again"

# 3. The lab's own account on SIGTERM.
kill -TERM "$LABPID"
for _ in $(seq 100); do kill -0 "$LABPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$LABPID" 2>/dev/null && fail "synth lab still running 10 s after SIGTERM"
rc=0; wait "$LABPID" || rc=$?
[ $rc -eq 0 ] || fail "synth lab exit $rc after SIGTERM: $(tail -5 "$T/lab.out")"
line=$(grep '^lab stopped' "$T/lab.out") || fail "no 'lab stopped' line: $(tail -5 "$T/lab.out")"
want="lab stopped (signal 15): 1 registrations ok, 1 rejected, $((2 * CALLS)) invites, $((2 * CALLS)) answered, $((2 * CALLS)) byes"
[ "$line" = "$want" ] || fail "lab counters: '$line', want '$want'"
ok "lab counters agree with SIPp: $line"
