#!/bin/bash
# synth's NTLM client (synth/ntlm) against a GSSAPI acceptor built on
# Debian's gss-ntlmssp mechanism, an NTLM server we did not write, with a
# local user file (NTLM_USER_FILE) and no domain: synth's NEGOTIATE and
# AUTHENTICATE (with the MIC the acceptor's MsvAvTimestamp asks for) must be
# accepted as CONTOSO\alice, the acceptor's gss_verify_mic must take synth's
# signature and synth must verify the acceptor's gss_get_mic; a wrong
# password must be refused. The driver is tests/integration/ntlm_probe.c;
# the acceptor is python3-gssapi over the system's GSSAPI.
. "$(dirname "$0")/lib.sh"

PROBE="${SYNTH_BUILD_DIR:?}/tests/ntlm_probe"
[ -x "$PROBE" ] || fail "no $PROBE (build the ntlm_probe target)"
PY=/usr/bin/python3
[ -e /usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so ] || [ -n "$(find /usr/lib -name gssntlmssp.so 2>/dev/null | head -1)" ] ||
    fail "gss-ntlmssp is not installed (scripts/setup.sh --tests)"
"$PY" -c 'import gssapi' 2>/dev/null || fail "python3-gssapi is not installed (scripts/setup.sh --tests)"

PW='Secret-123'
printf 'CONTOSO:alice:%s\n' "$PW" > "$T/users"
chmod 600 "$T/users"

cat > "$T/acceptor.py" <<'PY'
import os, subprocess, sys
import gssapi
probe, login, password = sys.argv[1:4]
ntlm = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")  # [MS-NLMP] NTLMSSP
ctx = gssapi.SecurityContext(creds=gssapi.Credentials(usage="accept", mechs=[ntlm]), usage="accept")
negotiate = subprocess.run([probe, "negotiate"], capture_output=True, text=True, check=True).stdout.split()[1]
challenge = ctx.step(bytes.fromhex(negotiate))
env = dict(os.environ, NTLM_PROBE_LOGIN=login, NTLM_PROBE_PASSWORD=password,
           NTLM_PROBE_CLIENT_CHALLENGE=os.urandom(8).hex(), NTLM_PROBE_SESSION_KEY=os.urandom(16).hex(),
           NTLM_PROBE_TIMESTAMP="133000000000000000", NTLM_PROBE_NEGOTIATE=negotiate)
def run(*args):
    p = subprocess.run([probe, *args], input=challenge.hex() + "\n", env=env, capture_output=True, text=True)
    if p.returncode == 2:
        sys.exit("probe failed: " + p.stderr.strip())
    return p
buffer = b"<NTLM><c0ffee01><1><SIP Communications Service><fe01.contoso.com><call-1><2><REGISTER>"
out = dict(l.split(" ", 1) for l in run("authenticate", buffer.decode()).stdout.splitlines())
try:
    ctx.step(bytes.fromhex(out["authenticate"]))
except gssapi.exceptions.GSSError as e:
    print("acceptor refused the AUTHENTICATE: " + e.gen_message().splitlines()[0])
    sys.exit(3)
print("accepted as %s (complete=%s)" % (str(ctx.initiator_name).rstrip("\0 "), ctx.complete))
try:
    ctx.verify_signature(buffer, bytes.fromhex(out["signature"]))
    print("acceptor verified synth's signature")
except gssapi.exceptions.GSSError as e:
    print("acceptor refused synth's signature"); sys.exit(1)
reply = buffer + b"<200>"
mic = ctx.get_signature(reply)
p = run("verify", reply.decode(), mic.hex())
print("acceptor's signature " + ("verified by synth" if p.returncode == 0 else "refused by synth"))
sys.exit(p.returncode)
PY

accept() { # LOGIN PASSWORD EXPECTED-EXIT NAME
    set +e
    NTLM_USER_FILE="$T/users" "$PY" "$T/acceptor.py" "$PROBE" "$1" "$2" > "$T/out.$4" 2>&1
    rc=$?
    set -e
    sed "s/^/  $4: /" "$T/out.$4"
    [ "$rc" = "$3" ] || fail "$4: exit $rc, expected $3"
}

accept 'CONTOSO\alice' "$PW" 0 good
grep -q 'accepted as CONTOSO\\alice (complete=True)' "$T/out.good" || fail "not accepted as CONTOSO\\alice"
grep -q "acceptor verified synth's signature" "$T/out.good" || fail "synth's MIC refused"
grep -q "acceptor's signature verified by synth" "$T/out.good" || fail "acceptor's MIC not verified"
ok "gss-ntlmssp accepts synth's NEGOTIATE/AUTHENTICATE (with MIC) as CONTOSO\\alice; MICs check both ways"

accept 'CONTOSO\alice' 'not-the-password' 3 wrong
grep -q "acceptor refused the AUTHENTICATE" "$T/out.wrong" || fail "a wrong password was accepted"
if grep -q "not-the-password\|$PW" "$T"/out.*; then fail "a password reached the output"; fi
ok "a wrong password is refused by the acceptor; no password in any output"
