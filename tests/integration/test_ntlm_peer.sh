#!/bin/bash
# synth's NTLMv2 (synth/ntlm) against python3-ntlm-auth, an implementation
# we did not write: from the same inputs (user, password, server and client
# challenges, time, random session key) ntlm_auth's AuthenticateMessage must
# be synth's AUTHENTICATE byte for byte (NTOWFv2, LMv2, NTLMv2 response,
# session base key, encrypted session key, MIC when the challenge carries
# MsvAvTimestamp), and the signatures must check both ways: connectionless
# as SIP uses it (sequence number 100, RC4 restarted per message) and
# connection-oriented with sealing. A wrong password must be told apart.
# The driver is tests/integration/ntlm_probe.c.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ntlm_lib.sh"

PROBE="${SYNTH_BUILD_DIR:?}/tests/ntlm_probe"
[ -x "$PROBE" ] || fail "no $PROBE (build the ntlm_probe target)"
ntlm_python_setup

cat > "$T/check.py" <<'PY'
import hashlib, hmac, os, struct, subprocess, sys
from ntlm_auth import compute_keys, compute_response, messages, session_security
from ntlm_auth.constants import AvId, NegotiateFlags as F, SignSealConstants as C
from ntlm_auth.rc4 import ARC4

probe, mode, login, password, probe_password = sys.argv[1:6]
datagram = mode.startswith("sip")
with_ts = mode in ("sip-mic", "connection")

def utf16(s): return s.encode("utf-16-le")

# A CHALLENGE message as a Lync Front End sends it, written here.
flags = (F.NTLMSSP_NEGOTIATE_UNICODE | F.NTLMSSP_NEGOTIATE_OEM | F.NTLMSSP_REQUEST_TARGET |
         F.NTLMSSP_NEGOTIATE_SIGN | F.NTLMSSP_NEGOTIATE_NTLM | F.NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
         F.NTLMSSP_TARGET_TYPE_DOMAIN | F.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
         F.NTLMSSP_NEGOTIATE_TARGET_INFO | F.NTLMSSP_NEGOTIATE_VERSION | F.NTLMSSP_NEGOTIATE_128 |
         F.NTLMSSP_NEGOTIATE_KEY_EXCH | F.NTLMSSP_NEGOTIATE_56)
flags |= F.NTLMSSP_NEGOTIATE_DATAGRAM if datagram else F.NTLMSSP_NEGOTIATE_SEAL
ti = messages.TargetInfo()
ti[AvId.MSV_AV_NB_DOMAIN_NAME] = utf16("CONTOSO")
ti[AvId.MSV_AV_NB_COMPUTER_NAME] = utf16("FE01")
ti[AvId.MSV_AV_DNS_DOMAIN_NAME] = utf16("contoso.com")
ti[AvId.MSV_AV_DNS_COMPUTER_NAME] = utf16("fe01.contoso.com")
ti[AvId.MSV_AV_DNS_TREE_NAME] = utf16("contoso.com")
timestamp = struct.pack("<Q", 133000000000000000 + int.from_bytes(os.urandom(3), "little"))
if with_ts:
    ti[AvId.MSV_AV_TIMESTAMP] = timestamp
ti_data = ti.pack()
target = utf16("CONTOSO")
server_challenge = os.urandom(8)
head = 56
challenge = (b"NTLMSSP\0" + struct.pack("<I", 2) + struct.pack("<HHI", len(target), len(target), head)
             + struct.pack("<I", flags) + server_challenge + b"\0" * 8
             + struct.pack("<HHI", len(ti_data), len(ti_data), head + len(target))
             + bytes([10, 0, 0x63, 0x45, 0, 0, 0, 15]) + target + ti_data)

client_challenge, session_key = os.urandom(8), os.urandom(16)
version = messages.get_version(flags)
env = dict(os.environ, NTLM_PROBE_LOGIN=login, NTLM_PROBE_PASSWORD=probe_password,
           NTLM_PROBE_CLIENT_CHALLENGE=client_challenge.hex(), NTLM_PROBE_SESSION_KEY=session_key.hex(),
           NTLM_PROBE_TIMESTAMP=str(struct.unpack("<Q", timestamp)[0]), NTLM_PROBE_VERSION=version.hex())
env.pop("OPENSSL_CONF", None)  # synth loads its legacy provider itself
buffer = "<NTLM><a1b2c3d4><1><SIP Communications Service><fe01.contoso.com><c1><7><REGISTER>"
def run(*args):
    p = subprocess.run([probe, *args], input=challenge.hex() + "\n", env=env, capture_output=True, text=True)
    if p.returncode == 2:
        sys.exit("probe failed: " + p.stderr.strip())
    return p
out = dict(l.split(" ", 1) for l in run("authenticate", buffer).stdout.splitlines())
ours = bytes.fromhex(out["authenticate"])

# ntlm_auth's client from the same inputs (its random draws replaced).
compute_response.os.urandom = lambda n: client_challenge
compute_response.get_windows_timestamp = lambda: timestamp
messages.get_random_export_session_key = lambda: session_key
user, _, domain = login.partition("\\")[::-1] if "\\" in login else (login, "", "")
theirs = messages.AuthenticateMessage(user, password, domain, "SYNTH",
                                      messages.ChallengeMessage(challenge), 3)
class NoNegotiate:  # connectionless NTLM has no NEGOTIATE message
    def get_data(self): return b""
theirs.add_mic(NoNegotiate(), messages.ChallengeMessage(challenge))
theirs_data = theirs.get_data()
if ours != theirs_data:
    # Name the field that differs, never the values (they hold proofs).
    lm_off, nt_off = struct.unpack("<I", ours[16:20])[0], struct.unpack("<I", ours[24:28])[0]
    what = "length" if len(ours) != len(theirs_data) else \
           "NTLMv2 response" if ours[nt_off:nt_off + 16] != theirs_data[nt_off:nt_off + 16] else \
           "LM response" if ours[lm_off:lm_off + 24] != theirs_data[lm_off:lm_off + 24] else "other field"
    print("authenticate differs: " + what)
    sys.exit(1)
print("authenticate identical (%d bytes, mic=%s)" % (len(ours), "yes" if theirs.mic else "no"))

exported = theirs.exported_session_key
neg = struct.unpack("<I", theirs.negotiate_flags)[0]
if datagram:
    def sign(key_sign, key_seal, msg):
        handle = ARC4(hashlib.md5(key_seal + struct.pack("<I", 100)).digest())
        return session_security.calc_signature(msg, neg, key_sign, 100, handle).get_data()
    cs = sign(compute_keys.get_sign_key(exported, C.CLIENT_SIGNING),
              compute_keys.get_seal_key(neg, exported, C.CLIENT_SEALING), buffer.encode())
    if cs.hex() != out["signature"]:
        print("client signature differs"); sys.exit(1)
    print("client signature identical")
    reply = buffer + "<200>"
    ss = sign(compute_keys.get_sign_key(exported, C.SERVER_SIGNING),
              compute_keys.get_seal_key(neg, exported, C.SERVER_SEALING), reply.encode())
else:
    server = session_security.SessionSecurity(neg, exported, source="server")
    server._verify_signature(buffer.encode(), bytes.fromhex(out["signature"]))
    print("client signature verified")
    sealed, sig = out["sealed"].split()
    plain = session_security.SessionSecurity(neg, exported, source="server").unwrap(
        bytes.fromhex(sealed), bytes.fromhex(sig))
    if plain != buffer.encode():
        print("unsealed text differs"); sys.exit(1)
    print("sealed message unwrapped")
    reply = buffer + "<200>"
    ss = session_security.SessionSecurity(neg, exported, source="server")._get_signature(reply.encode())
p = run("verify", reply, ss.hex())
print("server signature " + ("verified by synth" if p.returncode == 0 else "refused by synth"))
sys.exit(p.returncode)
PY

check() { # MODE LOGIN EXPECTED-EXIT, password from PW / PROBE_PW
    set +e
    OPENSSL_CONF="$T/openssl.cnf" "$PY" "$T/check.py" "$PROBE" "$1" "$2" "$PW" "${PROBE_PW:-$PW}" > "$T/out.$1" 2>&1
    rc=$?
    set -e
    sed "s/^/  $1: /" "$T/out.$1"
    [ "$rc" = "$3" ] || fail "$1 with $2: exit $rc, expected $3"
}

PW='Pässwörd-42!'
check sip 'CONTOSO\alice' 0
grep -q "authenticate identical .*mic=no" "$T/out.sip" || fail "sip: AUTHENTICATE not identical"
grep -q "client signature identical" "$T/out.sip" || fail "sip: client signature"
grep -q "server signature verified by synth" "$T/out.sip" || fail "sip: server signature"
ok "connectionless NTLM as OCS 2007 R2 offers it: identical AUTHENTICATE, signatures both ways"

check sip-mic 'alice@contoso.com' 0
grep -q "authenticate identical .*mic=yes" "$T/out.sip-mic" || fail "sip-mic: no MIC or not identical"
grep -q "server signature verified by synth" "$T/out.sip-mic" || fail "sip-mic: server signature"
ok "with MsvAvTimestamp (Lync 2013 and later), a UPN user: Z(24) LM, MsvAvFlags, MIC identical"

check connection 'CONTOSO\alice' 0
grep -q "client signature verified" "$T/out.connection" || fail "connection: signature"
grep -q "sealed message unwrapped" "$T/out.connection" || fail "connection: sealing"
grep -q "server signature verified by synth" "$T/out.connection" || fail "connection: server signature"
ok "connection-oriented NTLM: signing and sealing checked by ntlm_auth's SessionSecurity"

PROBE_PW='wrong-password' check sip 'CONTOSO\alice' 1
grep -q "authenticate differs: NTLMv2 response" "$T/out.sip" || fail "a wrong password was not told apart"
if grep -qi "wrong-password\|Pässwörd" "$T"/out.*; then fail "a password reached the output"; fi
ok "a wrong password gives another NTLMv2 response; no password in any output"
