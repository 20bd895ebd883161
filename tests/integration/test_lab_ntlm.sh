#!/bin/bash
# The lab in `auth: ntlm` ([MS-SIPAE] on the Front End, as a Skype for
# Business pool): internal users and users through the Edge register with
# NTLM, call voicemail with every request signed and every answer's rspauth
# checked, and hear the greeting. A wrong password is auth-ntlm-refused; a
# target that answers Digest only is auth-unsupported-scheme naming NTLM; a
# request with a forged signature is refused by the lab.
. "$(dirname "$0")/lib.sh"

printf 'auth: ntlm\nusers: 10\n' >"$T/lab-ntlm.yaml"

# run_ntlm_lab NAME SCENARIO USERS: SCENARIO cut to USERS journeys against
# the embedded lab in NTLM mode, results in $T/NAME; must exit 0.
run_ntlm_lab() {
    sed "s/^  users: 10/  users: $3/; s/^  iterations: 20/  iterations: $3/; s/^  rate: 2/  rate: 5/" \
        "$2" >"$T/$1.yaml"
    rc=0; "$SYNTH" run "$T/$1.yaml" --lab --lab-config "$T/lab-ntlm.yaml" --out "$T/$1" \
        --workers 1 --quiet >"$T/$1.out" 2>&1 || rc=$?
    [ $rc -eq 0 ] || fail "$(basename "$2") against the NTLM lab: exit $rc: $(tail -20 "$T/$1.out")"
}

# 1. Internal users: register, call, greeting, hang up, unregister.
run_ntlm_lab int "$SRC/scenarios/voicemail.yaml" 3
assert_json "$T/int/summary.json" '.steps.register.ok == 3 and .steps.unregister.ok == 3' "NTLM lab: 3 registrations and unregistrations"
assert_json "$T/int/summary.json" '.calls.answered == 3 and .calls.greeting_heard == 3 and .steps.hangup.ok == 3' "NTLM lab: 3 calls, greeting heard, hung up (INVITE, ACK, BYE signed)"

# 2. Half the users through the Edge, which relays the exchange to the
#    Front End; the signatures travel both ways through it.
run_ntlm_lab edge "$SRC/scenarios/voicemail-edge.yaml" 4
assert_json "$T/edge/summary.json" '.paths.edge.calls.greeting_heard == 2 and .paths.internal.calls.greeting_heard == 2' "NTLM lab through the Edge: greeting heard on both paths"

# 3. The lab in its own process, its target file edited per case.
"$SYNTH" lab --config "$T/lab-ntlm.yaml" --state-dir "$T/lab" --write-target "$T/lab.yaml" \
    >"$T/lab.out" 2>&1 &
LABPID=$!; PIDS="$PIDS $LABPID"
wait_for_line "$T/lab.out" "lab ready" 10
cat >"$T/reg.yaml" <<SCN
name: register-only
steps:
  - register: {expires: 300s, timeout: 5s}
  - unregister
load: {users: 1, rate: 5, iterations: 1}
SCN

#    A wrong password: the lab challenges afresh after the AUTHENTICATE.
sed 's/^  password: .*/  password: "not-the-password"/' "$T/lab.yaml" >"$T/wrong.yaml"
rc=0; "$SYNTH" run "$T/reg.yaml" --target "$T/wrong.yaml" --out "$T/wrong" --workers 1 --quiet \
    >"$T/wrong.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "wrong password: exit $rc, want 2: $(tail -5 "$T/wrong.out")"
assert_json "$T/wrong/summary.json" '[.findings[].id] | index("register.auth-ntlm-refused") != null' "wrong password: register.auth-ntlm-refused"
jq -r 'select(.step == "register") | .detail' "$T/wrong/events.jsonl" | grep -q "NTLM credentials refused by fe.lab.synth.test" ||
    fail "the refusal names the server: $(jq -c 'select(.step == "register")' "$T/wrong/events.jsonl")"
! grep -rq "not-the-password" "$T/wrong/events.jsonl" "$T/wrong/summary.json" "$T/wrong.out" ||
    fail "the password appears in the results"
ok "the refusal names the server, not the password"

#    A target that answers Digest only: the lab offers NTLM alone.
awk '/^(registrar|edge):/{print; print "  auth: digest"; next} {print}' "$T/lab.yaml" >"$T/digest.yaml"
rc=0; "$SYNTH" run "$T/reg.yaml" --target "$T/digest.yaml" --out "$T/dig" --workers 1 --quiet \
    >"$T/dig.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "Digest-only target: exit $rc, want 2"
assert_json "$T/dig/summary.json" '[.findings[].id] | index("register.auth-unsupported-scheme") != null' "Digest-only target: register.auth-unsupported-scheme"
jq -r 'select(.step == "register") | .detail' "$T/dig/events.jsonl" | grep -q "schemes offered: NTLM)" ||
    fail "the failure names NTLM: $(jq -c 'select(.step == "register")' "$T/dig/events.jsonl")"
ok "the failure names the scheme offered: NTLM"

#    auth: ntlm on the target, the right password: registered.
awk '/^(registrar|edge):/{print; print "  auth: ntlm"; next} {print}' "$T/lab.yaml" >"$T/ntlm.yaml"
rc=0; "$SYNTH" run "$T/reg.yaml" --target "$T/ntlm.yaml" --out "$T/ok" --workers 1 --quiet \
    >"$T/ok.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "auth: ntlm target: exit $rc: $(tail -5 "$T/ok.out")"
ok "auth: ntlm target registers and unregisters"

# 4. The lab's own checks, by a client written here on python3-ntlm-auth's
#    primitives: an unsigned INVITE on an authenticated connection is
#    challenged, a forged signature is 403, the lab's rspauth verifies.
. "$(dirname "$0")/ntlm_lib.sh"
ntlm_python_setup
cat >"$T/client.py" <<'PY'
import base64, hashlib, hmac, os, socket, ssl, struct, sys
sys.path.insert(0, os.environ["SIPAE_PY_DIR"])
import sipae_py
from sipae_py import REALM, hdrs, param, mac, sig_buffer
from ntlm_auth import compute_hash, compute_keys
from ntlm_auth.constants import SignSealConstants as C
from ntlm_auth.rc4 import ARC4

host, port, ca, target, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
ctx = ssl.create_default_context(cafile=ca)
conn = ctx.wrap_socket(socket.create_connection((host, port), timeout=5), server_hostname=target)
buf = b""

def recv():
    global buf
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            sys.exit("connection closed")
        buf += data
    head, buf = buf.split(b"\r\n\r\n", 1)
    msg = sipae_py.parse(head)
    n = int(next(iter(hdrs(msg, "Content-Length")), "0"))
    buf = buf[n:]
    return msg

def request(method, cseq, auth=None, expires=None):
    me = "sip:%s@lab.synth.test" % user
    h = [("Via", "SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bKpy%d" % cseq), ("Max-Forwards", "70"),
         ("From", "<%s>;tag=py1" % me), ("To", "<%s>" % me), ("Call-ID", "py-call-1"),
         ("CSeq", "%d %s" % (cseq, method)), ("Contact", "<sip:%s@127.0.0.1:5099;transport=tls>" % user)]
    if expires is not None:
        h.append(("Expires", str(expires)))
    return {"start": "%s sip:lab.synth.test SIP/2.0" % method, "h": h}

def send(msg, auth=None):
    lines = [msg["start"]] + ["%s: %s" % kv for kv in msg["h"]]
    if auth:
        lines.append("Authorization: " + auth)
    conn.sendall(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())
    while True:
        r = recv()
        if int(r["start"].split()[1]) >= 200:
            return r

def status(r):
    return int(r["start"].split()[1])

def field(b, at):
    n, _, off = struct.unpack("<HHI", b[at:at + 8])
    return b[off:off + n]

def signed(msg, keys, opaque, cnum, forge=False):
    crand = os.urandom(4).hex()
    sig = bytes(16) if forge else mac(keys["c_sign"], keys["c_seal"], keys["neg"], sig_buffer(msg, crand, str(cnum), target))
    return ('NTLM qop="auth", opaque="%s", realm="%s", targetname="%s", crand="%s", cnum="%d", response="%s"'
            % (opaque, REALM, target, crand, cnum, sig.hex()))

def rspauth_ok(r, keys):
    ai = next(iter(hdrs(r, "Authentication-Info")), "")
    want = mac(keys["s_sign"], keys["s_seal"], keys["neg"],
               sig_buffer(r, param(ai, "srand"), param(ai, "snum"), target, status(r)))
    return param(ai, "rspauth") == want.hex()

# 1. REGISTER: the opening challenge, the empty token, the CHALLENGE.
r = send(request("REGISTER", 1, expires=300))
ch = hdrs(r, "WWW-Authenticate")[0]
assert status(r) == 401 and ch.startswith("NTLM ") and param(ch, "targetname") == target, r
print("register 401", ch)
first = 'NTLM qop="auth", realm="%s", targetname="%s", gssapi-data="", version=4' % (REALM, target)
r = send(request("REGISTER", 2, expires=300), first)
ch = hdrs(r, "WWW-Authenticate")[0]
opaque, chal = param(ch, "opaque"), base64.b64decode(param(ch, "gssapi-data"))
assert status(r) == 401 and opaque and chal[:8] == b"NTLMSSP\0", r
neg = struct.unpack("<I", chal[20:24])[0]
server_challenge, ti = chal[24:32], field(chal, 40)

# 2. The AUTHENTICATE, NTLMv2 from the primitives ([MS-NLMP] 3.3.2), no MIC.
key = compute_hash._ntowfv2(user, password, "LAB")
temp = b"\x01\x01" + b"\0" * 6 + struct.pack("<Q", 133000000000000000) + os.urandom(8) + b"\0" * 4 + ti + b"\0" * 4
proof = hmac.new(key, server_challenge + temp, hashlib.md5).digest()
nt, base = proof + temp, hmac.new(key, proof, hashlib.md5).digest()
exported = os.urandom(16)
enc = ARC4(base).update(exported)
payload = [b"\0" * 24, nt, "LAB".encode("utf-16-le"), user.encode("utf-16-le"), "PYTHON".encode("utf-16-le"), enc]
at, fields = 72, b""
for p in payload:
    fields += struct.pack("<HHI", len(p), len(p), at)
    at += len(p)
auth = b"NTLMSSP\0" + struct.pack("<I", 3) + fields + struct.pack("<I", neg) + bytes(8) + b"".join(payload)
keys = dict(neg=neg,
    c_sign=compute_keys.get_sign_key(exported, C.CLIENT_SIGNING),
    c_seal=compute_keys.get_seal_key(neg, exported, C.CLIENT_SEALING),
    s_sign=compute_keys.get_sign_key(exported, C.SERVER_SIGNING),
    s_seal=compute_keys.get_seal_key(neg, exported, C.SERVER_SEALING))
reg = request("REGISTER", 3, expires=300)
crand = os.urandom(4).hex()
sig = mac(keys["c_sign"], keys["c_seal"], neg, sig_buffer(reg, crand, "1", target))
line = ('NTLM qop="auth", opaque="%s", realm="%s", targetname="%s", gssapi-data="%s", version=4, crand="%s", cnum="1", response="%s"'
        % (opaque, REALM, target, base64.b64encode(auth).decode(), crand, sig.hex()))
r = send(reg, line)
assert status(r) == 200, r
print("register 200 rspauth", "ok" if rspauth_ok(r, keys) else "BAD")

# 3. Later requests on the SA.
r = send(request("OPTIONS", 4))
print("options unsigned", status(r))
r = send(request("OPTIONS", 5), signed(request("OPTIONS", 5), keys, opaque, 2, forge=True))
print("options forged", status(r))
msg = request("OPTIONS", 6)
r = send(msg, signed(msg, keys, opaque, 3))
print("options signed", status(r), "rspauth", "ok" if rspauth_ok(r, keys) else "BAD")
PY
fe_port=$(awk '/^registrar:/{r=1} r && /port:/{print $2; exit}' "$T/lab.yaml")
SIPAE_PY_DIR="$(dirname "$0")" OPENSSL_CONF="$T/openssl.cnf" timeout 20 "$PY" "$T/client.py" \
    127.0.0.1 "$fe_port" "$T/lab/ca.pem" fe.lab.synth.test user0002 synth-lab >"$T/py.out" 2>&1 ||
    fail "python NTLM client against the lab: $(cat "$T/py.out")"
grep -q "^register 200 rspauth ok" "$T/py.out" || fail "python client: $(cat "$T/py.out")"
grep -q "^options unsigned 401" "$T/py.out" || fail "python client: $(cat "$T/py.out")"
grep -q "^options forged 403" "$T/py.out" || fail "python client: $(cat "$T/py.out")"
grep -q "^options signed 200 rspauth ok" "$T/py.out" || fail "python client: $(cat "$T/py.out")"
ok "a python3-ntlm-auth client: the lab checks its AUTHENTICATE and signatures (401 unsigned, 403 forged) and signs with rspauth"
