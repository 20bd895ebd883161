"""A TCP relay between a SIP client and a server that writes every SIP
message it passes as a JSON line: the connection's number (one upstream
connection per client connection, so a per-connection NTLM SA stays one),
the direction, the start line and the headers (values as on the wire).
For tests that assert what went over a connection the client opened
itself (test_ntlm_redirect.sh): traces keep only failed calls, with the
Authorization values redacted.

Usage: sip_recorder.py LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT LOG_FILE"""
import json, selectors, socket, sys

listen_port, up_host, up_port, log_path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
log = open(log_path, "a", buffering=1)
sel = selectors.DefaultSelector()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen_port))
srv.listen(16)
sel.register(srv, selectors.EVENT_READ)
conns = 0
peer = {}   # socket -> (other socket, connection number, direction, buffer)

def emit(n, direction, buf):
    while True:
        buf = buf.lstrip(b"\r\n")  # keep-alives (RFC 5626 4.4.1)
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return buf
        head = buf[:end].decode("utf-8", "replace").split("\r\n")
        hdrs = [l.split(":", 1) for l in head[1:] if ":" in l]
        hdrs = [[k.strip(), v.strip()] for k, v in hdrs]
        clen = next((int(v) for k, v in hdrs if k.lower() in ("content-length", "l")), 0)
        if len(buf) < end + 4 + clen:
            return buf
        log.write(json.dumps({"conn": n, "dir": direction, "start": head[0], "headers": hdrs}) + "\n")
        buf = buf[end + 4 + clen:]

print("recorder ready", flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is srv:
            c, _ = srv.accept()
            u = socket.create_connection((up_host, up_port))
            conns += 1
            peer[c] = [u, conns, "to-server", b""]
            peer[u] = [c, conns, "to-client", b""]
            sel.register(c, selectors.EVENT_READ)
            sel.register(u, selectors.EVENT_READ)
            continue
        data = s.recv(65536)
        other, n, direction, buf = peer[s]
        if not data:
            for x in (s, other):
                sel.unregister(x)
                x.close()
                peer.pop(x, None)
            continue
        other.sendall(data)
        peer[s][3] = emit(n, direction, buf + data)
