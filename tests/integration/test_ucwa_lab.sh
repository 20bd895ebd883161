#!/bin/bash
# The lab's UCWA web side through its reverse proxy, driven by the client
# library (tests/integration/ucwa_probe.c): a full sign-in and sign-out, a
# refused password, the proxy's 504 for a P-GET held past its timeout, its
# cut of idle connections, and the application and token expiry knobs.
. "$(dirname "$0")/lib.sh"
: "${SYNTH_BUILD_DIR:?}"
PROBE="$SYNTH_BUILD_DIR/tests/ucwa_probe"
[ -x "$PROBE" ] || fail "no $PROBE (build the ucwa_probe target)"
USER1="user0001@lab.synth.test"
export UCWA_PASSWORD=synth-lab

# start_lab NAME [--fault K=V]...: a lab in its own process; sets URL, CA, LABPID.
start_lab() {
    local name=$1; shift
    "$SYNTH" lab --state-dir "$T/$name" --write-target "$T/$name.yaml" "$@" >"$T/$name.out" 2>&1 &
    LABPID=$!; PIDS="$PIDS $LABPID"
    wait_for_line "$T/$name.out" "target written" 10
    URL=$(awk '/ucwa_discover_url:/{gsub(/"/, "", $2); print $2}' "$T/$name.yaml")
    PROXY_PORT=$(awk '/proxy_port:/{print $2}' "$T/$name.yaml")
    CA="$T/$name/ca.pem"
    [ -n "$URL" ] && [ -n "$PROXY_PORT" ] || fail "$name: no ucwa_discover_url/proxy_port in the target"
    wait_for_port tcp "$PROXY_PORT" 5
}
stop_lab() { kill "$LABPID"; wait "$LABPID" 2>/dev/null || true; }

# field OUT OP KEY: the value of KEY on the line of operation OP.
field() { sed -n "s/^op=$2 .*$3=\([^ ]*\).*/\1/p" "$1" | head -1; }
expect_op() { # OUT OP RESULT CLASS STATUS
    local line; line=$(grep "^op=$2 " "$1") || fail "no line for $2: $(cat "$1")"
    [ "$(field "$1" "$2" result)" = "$3" ] && [ "$(field "$1" "$2" class)" = "$4" ] &&
        [ "$(field "$1" "$2" status)" = "$5" ] || fail "$2: want $3/$4/$5, got: $line"
    ok "$2: $3 class=$4 status=$5 ($(field "$1" "$2" latency_ms) ms)"
}

# 1. Sign in, available, the availability event, keep-alive, sign out.
start_lab healthy
rc=0; "$PROBE" "$URL" "$CA" "$USER1" discover signin application available events:5 report \
    signout >"$T/signin.out" 2>&1 || rc=$?
cat "$T/signin.out"
[ $rc -eq 0 ] || fail "sign-in sequence: exit $rc"
expect_op "$T/signin.out" discover ok none 200
expect_op "$T/signin.out" signin ok none 200
[ "$(field "$T/signin.out" signin requests)" = 3 ] || fail "sign-in is GET user (401), POST token, GET user"
expect_op "$T/signin.out" application ok none 201
expect_op "$T/signin.out" available ok none 204
expect_op "$T/signin.out" events:5 ok none 200
grep -q "^events count=2 .*me/presence:added" "$T/signin.out" || fail "no presence event: $(cat "$T/signin.out")"
ok "the P-GET returned the availability events at once"
awk -v ms="$(field "$T/signin.out" events:5 latency_ms)" 'BEGIN{exit !(ms < 1000)}' ||
    fail "P-GET waited for its timeout"
expect_op "$T/signin.out" report ok none 204
expect_op "$T/signin.out" signout ok none 204

# 2. A wrong password: the token is refused.
rc=0; UCWA_PASSWORD=wrong "$PROBE" "$URL" "$CA" "$USER1" discover signin >"$T/badpw.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "wrong password: exit $rc, want 2"
expect_op "$T/badpw.out" signin fail auth-refused 400
grep -q "wrong" "$T/badpw.out" "$T/healthy.out" && fail "the password appears in output"
ok "the password appears in no output"

# 3. A TLS client that does not trust the lab CA fails as tls.
rc=0; "$PROBE" "$URL" /etc/ssl/certs/ca-certificates.crt "$USER1" discover >"$T/tls.out" 2>&1 || rc=$?
expect_op "$T/tls.out" discover fail tls 0
stop_lab

# 4. A proxy with a 2 s idle timeout: a P-GET asking 5 s gets the proxy's 504
#    after ~2 s, and an idle client connection is closed after ~2 s.
start_lab proxy2 --fault proxy_idle_timeout_s=2
rc=0; "$PROBE" "$URL" "$CA" "$USER1" discover signin application available events:1 report \
    idle:3 report events:5 >"$T/p504.out" 2>&1 || rc=$?
cat "$T/p504.out"
expect_op "$T/p504.out" events:5 fail http-status 504
ms=$(field "$T/p504.out" events:5 latency_ms)
awk -v ms="$ms" 'BEGIN{exit !(ms >= 1900 && ms < 3500)}' || fail "504 after $ms ms, want ~2000"
ok "the proxy answered the held P-GET with 504 after $ms ms"
# The keep-alive after 3 s idle still works, on a new connection: the
# proxy had closed the idle one (the first report reused a kept one).
c=$(sed -n 's/^op=report result=ok .*connects=\([0-9]*\).*/\1/p' "$T/p504.out" | tr '\n' ' ')
[ "$c" = "0 1 " ] || fail "reportMyActivity connects before/after idle: '$c', want '0 1 '"
ok "after 3 s idle the client had to connect again (connects 0, then 1)"
idle=$(python3 - "$PROXY_PORT" "$CA" <<'PY'
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
s.settimeout(10)
t = time.monotonic()
try:
    s.recv(1)
except (ssl.SSLError, OSError):
    pass
print("%.0f" % ((time.monotonic() - t) * 1000))
PY
)
[ "${idle:-0}" -ge 1900 ] && [ "$idle" -lt 3500 ] || fail "idle connection closed after ${idle:-?} ms, want ~2000"
ok "the proxy closed an idle client connection after $idle ms"
stop_lab

# 5. Application expiry: idle 3 s with a 2 s expiry, the keep-alive finds it gone
#    (its link comes with the "me updated" event, hence the P-GET first).
start_lab expiry --fault ucwa_app_expiry_s=2
rc=0; "$PROBE" "$URL" "$CA" "$USER1" discover signin application available events:1 report idle:3 report \
    >"$T/expiry.out" 2>&1 || rc=$?
cat "$T/expiry.out"
[ $rc -eq 2 ] || fail "expired application: exit $rc, want 2"
[ "$(grep -c '^op=report result=ok' "$T/expiry.out")" = 1 ] || fail "first keep-alive should pass"
grep -q "^op=report result=fail class=application-gone status=404" "$T/expiry.out" ||
    fail "keep-alive after expiry: $(tail -1 "$T/expiry.out")"
ok "reportMyActivity after the application expired: application-gone (404)"
stop_lab

# 6. Users homed on a second pool: the user resource redirects, the client
#    starts again from the home pool's challenge (its own token), then works.
start_lab redirect --fault ucwa_redirect=true
rc=0; "$PROBE" "$URL" "$CA" "$USER1" discover signin application signout >"$T/redir.out" 2>&1 || rc=$?
cat "$T/redir.out"
[ $rc -eq 0 ] || fail "sign-in through a redirect: exit $rc"
expect_op "$T/redir.out" signin ok none 200
[ "$(field "$T/redir.out" signin requests)" = 6 ] || fail "a redirect is two rounds of user, token, user"
ok "sign-in followed the redirect to the home pool (6 requests)"
expect_op "$T/redir.out" application ok none 201
stop_lab

# 7. Token expiry: a 2 s token, then the application POST is refused.
start_lab token --fault ucwa_token_expiry_s=2
rc=0; "$PROBE" "$URL" "$CA" "$USER1" discover signin idle:3 application >"$T/token.out" 2>&1 || rc=$?
expect_op "$T/token.out" application fail auth-refused 401
stop_lab
