# [MS-SIPAE] pieces the NTLM tests compute in Python, from the spec and
# python3-ntlm-auth's primitives, so synth's sip-sig buffers and signatures
# are checked by code synth does not share (test_ntlm_register.sh's
# registrar, test_lab_ntlm.sh's client).
import hashlib, re, struct
from ntlm_auth import session_security
from ntlm_auth.rc4 import ARC4

REALM = "SIP Communications Service"

def hdrs(msg, name):
    return [v for k, v in msg["h"] if k.lower() == name.lower()]

def param(v, name):
    m = re.search(r'(?:^|[ ,])' + name + r'="?([^",]*)"?', v)
    return m.group(1) if m else None

def addr(v):
    m = re.search(r"<([^>]*)>", v)
    uri = m.group(1) if m else v.split(";")[0].strip()
    tag = re.search(r";\s*tag=([^;>\s]+)", v[m.end():] if m else v)
    return uri, tag.group(1) if tag else ""

def sig_buffer(msg, rand, num, target, status=None):
    # 3.2.5.2, version 4: no P-Asserted-Identity in these exchanges.
    f_uri, f_tag = addr(hdrs(msg, "From")[0])
    t_uri, t_tag = addr(hdrs(msg, "To")[0])
    cseq_num, cseq_method = hdrs(msg, "CSeq")[0].split()
    exp = hdrs(msg, "Expires")
    parts = ["NTLM", rand, num, REALM, target, hdrs(msg, "Call-ID")[0], cseq_num, cseq_method,
             f_uri, f_tag, t_uri, t_tag, "", "", exp[0] if exp else ""]
    s = "".join("<%s>" % p for p in parts)
    return s + ("<%d>" % status if status else "")

def mac(sign_key, seal_key, neg, data):
    # Connectionless: a fresh RC4 from MD5(SealingKey || SeqNum), seqnum 100.
    handle = ARC4(hashlib.md5(seal_key + struct.pack("<I", 100)).digest())
    return session_security.calc_signature(data.encode(), neg, sign_key, 100, handle).get_data()

def parse(head):
    lines = head.decode().split("\r\n")
    while lines and not lines[0]:
        lines.pop(0)
    h = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:] if ":" in l]
    return {"start": lines[0], "h": h} if lines else None
