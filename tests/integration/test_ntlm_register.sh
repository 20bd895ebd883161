#!/bin/bash
# synth's register step against an NTLM registrar as Skype for Business
# behaves ([MS-SIPAE] 4.1): 401 with NTLM (and Kerberos), the empty token,
# the CHALLENGE in gssapi-data with opaque, the AUTHENTICATE (signed, version
# 4), a 200 signed with rspauth, refreshes and the unregister signed with
# the SA. The registrar is written here in Python on python3-ntlm-auth's
# primitives, with its own sip-sig buffer, so synth's NTLM, buffers and
# signatures are checked by code synth does not share. Also: a wrong
# password is auth-ntlm-refused, a forged rspauth is auth-ntlm-refused, a
# registrar with only Kerberos and TLS-DSK is auth-unsupported-scheme
# naming them, and auth: digest refuses NTLM the same way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ntlm_lib.sh"

ntlm_python_setup

cat > "$T/registrar.py" <<'PY'
import base64, hashlib, hmac, os, re, socket, struct, sys, threading
sys.path.insert(0, os.environ["SIPAE_PY_DIR"])
import sipae_py
from sipae_py import hdrs, param, mac
from ntlm_auth import compute_hash, compute_keys
from ntlm_auth.constants import AvId, NegotiateFlags as F, SignSealConstants as C
from ntlm_auth.messages import TargetInfo
from ntlm_auth.rc4 import ARC4

port, mode, password, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
REALM, TARGET = "SIP Communications Service", "fe01.contoso.com"
log = open(ready + ".log", "a", buffering=1)

def sig_buffer(msg, rand, num, status=None):
    return sipae_py.sig_buffer(msg, rand, num, TARGET, status)

class Session:  # one per connection: the SA
    def __init__(self):
        self.state, self.snum, self.keys = "none", 0, None

def challenge_msg(sess):
    flags = (F.NTLMSSP_NEGOTIATE_UNICODE | F.NTLMSSP_NEGOTIATE_OEM | F.NTLMSSP_NEGOTIATE_SIGN |
             F.NTLMSSP_NEGOTIATE_DATAGRAM | F.NTLMSSP_NEGOTIATE_NTLM | F.NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
             F.NTLMSSP_TARGET_TYPE_DOMAIN | F.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
             F.NTLMSSP_NEGOTIATE_TARGET_INFO | F.NTLMSSP_NEGOTIATE_VERSION | F.NTLMSSP_NEGOTIATE_128 |
             F.NTLMSSP_NEGOTIATE_KEY_EXCH | F.NTLMSSP_NEGOTIATE_56)
    ti = TargetInfo()
    ti[AvId.MSV_AV_NB_DOMAIN_NAME] = "CONTOSO".encode("utf-16-le")
    ti[AvId.MSV_AV_NB_COMPUTER_NAME] = "FE01".encode("utf-16-le")
    ti[AvId.MSV_AV_DNS_COMPUTER_NAME] = TARGET.encode("utf-16-le")
    ti[AvId.MSV_AV_TIMESTAMP] = struct.pack("<Q", 133000000000000000)
    data = ti.pack()
    sess.server_challenge = os.urandom(8)
    sess.challenge = (b"NTLMSSP\0" + struct.pack("<IHHI", 2, 0, 0, 56) + struct.pack("<I", flags)
                      + sess.server_challenge + b"\0" * 8 + struct.pack("<HHI", len(data), len(data), 56)
                      + bytes([10, 0, 0x63, 0x45, 0, 0, 0, 15]) + data)
    return base64.b64encode(sess.challenge).decode()

def field(b, at):
    n, _, off = struct.unpack("<HHI", b[at:at + 8])
    return b[off:off + n]

def check_authenticate(sess, token):
    a = base64.b64decode(token)
    domain, user = field(a, 28).decode("utf-16-le"), field(a, 36).decode("utf-16-le")
    nt, enc = field(a, 20), field(a, 52)
    neg = struct.unpack("<I", a[60:64])[0]
    key = compute_hash._ntowfv2(user, password, domain)
    proof = hmac.new(key, sess.server_challenge + nt[16:], hashlib.md5).digest()
    if proof != nt[:16]:
        return "NTProofStr wrong for %s\\%s" % (domain, user)
    base = hmac.new(key, proof, hashlib.md5).digest()
    exported = ARC4(base).update(enc)
    zeroed = a[:72] + b"\0" * 16 + a[88:]
    if hmac.new(exported, sess.challenge + zeroed, hashlib.md5).digest() != a[72:88]:
        return "MIC wrong"
    sess.keys = dict(neg=neg,
        c_sign=compute_keys.get_sign_key(exported, C.CLIENT_SIGNING),
        c_seal=compute_keys.get_seal_key(neg, exported, C.CLIENT_SEALING),
        s_sign=compute_keys.get_sign_key(exported, C.SERVER_SIGNING),
        s_seal=compute_keys.get_seal_key(neg, exported, C.SERVER_SEALING))
    return None

def check_request_sig(sess, msg, auth):
    k = sess.keys
    want = mac(k["c_sign"], k["c_seal"], k["neg"], sig_buffer(msg, param(auth, "crand"), param(auth, "cnum")))
    return want.hex() == (param(auth, "response") or "").lower()

def respond(conn, msg, status, reason, extra=()):
    lines = ["SIP/2.0 %d %s" % (status, reason)]
    for k in ("Via", "From", "Call-ID", "CSeq"):
        lines += ["%s: %s" % (k, v) for v in hdrs(msg, k)]
    to = hdrs(msg, "To")[0]
    lines.append("To: " + (to if "tag=" in to else to + ";tag=fe01tag"))
    lines += list(extra)
    lines.append("Content-Length: 0")
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

def signed_200(conn, msg, sess):
    exp = hdrs(msg, "Expires")
    contact = hdrs(msg, "Contact")
    reply = dict(msg)
    to = hdrs(msg, "To")[0]
    reply["h"] = [(k, v) for k, v in msg["h"] if k.lower() != "to"] + [("To", to if "tag=" in to else to + ";tag=fe01tag")]
    sess.snum += 1
    srand = os.urandom(4).hex().upper()
    sig = mac(sess.keys["s_sign"], sess.keys["s_seal"], sess.keys["neg"], sig_buffer(reply, srand, str(sess.snum), 200))
    if mode == "forged":
        sig = bytes(16)
    extra = ['Authentication-Info: NTLM rspauth="%s", srand="%s", snum="%d", opaque="%s", qop="auth", targetname="%s", realm="%s"'
             % (sig.hex().upper(), srand, sess.snum, sess.opaque, TARGET, REALM)]
    if contact:
        extra.append("Contact: %s;expires=%s" % (contact[0], exp[0] if exp else "3600"))
    if exp:
        extra.append("Expires: " + exp[0])
    respond(conn, msg, 200, "OK", extra)

CHALLENGES = {
    "ntlm": ['WWW-Authenticate: NTLM realm="%s", targetname="%s", version=4' % (REALM, TARGET),
             'WWW-Authenticate: Kerberos realm="%s", targetname="sip/%s", version=4' % (REALM, TARGET)],
    "kerberos-only": ['WWW-Authenticate: Kerberos realm="%s", targetname="sip/%s", version=4' % (REALM, TARGET),
                      'WWW-Authenticate: TLS-DSK realm="%s", targetname="%s", version=4, sts-uri="https://%s/CertProv/CertProvisioningService.svc"' % (REALM, TARGET, TARGET)],
}

def handle(msg, conn, sess):
    if msg["start"].split()[0] != "REGISTER":
        return respond(conn, msg, 501, "Not Implemented")
    auth = next(iter(hdrs(msg, "Authorization")), None)
    first = CHALLENGES["kerberos-only" if mode == "kerberos-only" else "ntlm"]
    if auth is None or not auth.startswith("NTLM "):
        sess.state = "none"
        return respond(conn, msg, 401, "Unauthorized", first)
    gss = param(auth, "gssapi-data")
    if gss == "" or (gss is None and param(auth, "response") is None):
        sess.state, sess.opaque = "negotiating", os.urandom(4).hex().upper()
        return respond(conn, msg, 401, "Unauthorized",
                       ['WWW-Authenticate: NTLM opaque="%s", gssapi-data="%s", targetname="%s", realm="%s", version=4'
                        % (sess.opaque, challenge_msg(sess), TARGET, REALM)])
    if gss:
        if sess.state != "negotiating" or param(auth, "opaque") != sess.opaque:
            return respond(conn, msg, 401, "Unauthorized", first)
        why = check_authenticate(sess, gss)
        if why:
            print("refused:", why, file=log)
            sess.state = "none"
            return respond(conn, msg, 401, "Unauthorized", first)
        sess.state = "established"
    if sess.state != "established" or not check_request_sig(sess, msg, auth):
        print("bad or missing request signature", file=log)
        return respond(conn, msg, 401, "Unauthorized", first)
    print("signed REGISTER cnum=%s expires=%s ok" % (param(auth, "cnum"), (hdrs(msg, "Expires") or ["?"])[0]), file=log)
    signed_200(conn, msg, sess)

def serve(conn):
    sess, buf = Session(), b""
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                msg = sipae_py.parse(head)
                if not msg:
                    continue
                n = int(next(iter(hdrs(msg, "Content-Length")), "0"))
                buf = buf[n:]
                handle(msg, conn, sess)

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
open(ready, "w").write("ready\n")
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

PASS='Lync-Pässw0rd'
run_against() { # NAME MODE AUTH SYNTH-PASSWORD EXPECTED-EXIT
    local port; port=$(free_port)
    SIPAE_PY_DIR="$(dirname "$0")" OPENSSL_CONF="$T/openssl.cnf" "$PY" "$T/registrar.py" "$port" "$2" "$PASS" "$T/$1.ready" 2>"$T/$1.err" &
    PIDS="$PIDS $!"
    wait_for_line "$T/$1.ready" ready 10
    cat > "$T/$1-target.yaml" <<TGT
name: ntlm-$1
sip_domain: contoso.com
registrar:
  host: 127.0.0.1
  port: $port
  transport: tcp
  auth: $3
users:
  pattern: "sip:user{n:02}@contoso.com"
  auth_user: 'CONTOSO\\user{n:02}'
  password: env:NTLM_TEST_PW
  count: 3
TGT
    cat > "$T/scenario.yaml" <<SCN
name: ntlm-register
steps:
  - register: {expires: 60s, timeout: 5s}
  - wait: {duration: 300ms}
  - unregister
load: {users: 3, rate: 20, iterations: 3}
sip: {t1: 100ms}
SCN
    local rc=0
    NTLM_TEST_PW="$4" "$SYNTH" run "$T/scenario.yaml" --target "$T/$1-target.yaml" --out "$T/$1" \
        --workers 1 --quiet > "$T/$1.out" 2>&1 || rc=$?
    [ "$rc" = "$5" ] || fail "$1: exit $rc, expected $5: $(tail -20 "$T/$1.out"; cat "$T/$1.ready.log" "$T/$1.err" 2>/dev/null | tail -10)"
    if grep -q "$PASS" "$T/$1.out" "$T/$1/events.jsonl" "$T/$1/summary.json"; then fail "$1: the password leaked"; fi
}

run_against good ntlm ntlm "$PASS" 0
S="$T/good/summary.json"
assert_json "$S" '.steps.register.ok == 3 and .steps.register.failed == 0' "3 NTLM registrations, each with the 401, empty token, CHALLENGE, signed AUTHENTICATE, signed 200"
assert_json "$S" '.steps.unregister.ok == 3' "the unregisters signed with the SA were accepted"
[ "$(grep -c 'signed REGISTER cnum=1 expires=60 ok' "$T/good.ready.log")" -ge 3 ] || fail "the registrar saw no signed REGISTERs: $(cat "$T/good.ready.log")"
[ "$(grep -c 'signed REGISTER cnum=2 expires=0 ok' "$T/good.ready.log")" -ge 3 ] || fail "the unregisters were not signed with cnum 2: $(cat "$T/good.ready.log")"
ok "the registrar checked every signature (cnum 1, then 2) with its own sip-sig buffer"

run_against auto ntlm auto "$PASS" 0
assert_json "$T/auto/summary.json" '.steps.register.ok == 3' "auth: auto picks NTLM when Digest is not offered"

run_against wrong ntlm ntlm "not-the-password" 2
assert_json "$T/wrong/summary.json" '.steps.register.failures["auth-ntlm-refused"] >= 1' "a wrong password is auth-ntlm-refused"
grep -q "refused: NTProofStr wrong" "$T/wrong.ready.log" || fail "the registrar did not see a wrong proof"

run_against forged forged ntlm "$PASS" 2
assert_json "$T/forged/summary.json" '.steps.register.failures["auth-ntlm-refused"] >= 1' "a forged rspauth is auth-ntlm-refused"
grep -q "rspauth" "$T/forged/events.jsonl" || fail "the event does not say the rspauth failed"
ok "the forged rspauth is named in the event"

run_against kerberos kerberos-only auto "$PASS" 2
assert_json "$T/kerberos/summary.json" '.steps.register.failures["auth-unsupported-scheme"] >= 1' "Kerberos and TLS-DSK only: auth-unsupported-scheme"
grep -q "schemes offered: Kerberos, TLS-DSK" "$T/kerberos/events.jsonl" || fail "the offered schemes are not named"
ok "the event names the schemes offered"

run_against digest ntlm digest "$PASS" 2
assert_json "$T/digest/summary.json" '.steps.register.failures["auth-unsupported-scheme"] >= 1' "auth: digest does not answer NTLM"
