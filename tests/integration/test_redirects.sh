#!/bin/bash
# synth's call step and 3xx (RFC 3261 8.1.3.4): a 302 from a redirect server
# (SIPp) sends the call to the Contact it names, a second SIPp that answers;
# a redirect loop ends after sip.max_redirects with class redirect-limit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
SIPP_DIR="$SRC/tests/integration/sipp"
# The redirector's pause before each 302 (uas-redirect.xml).
REDIRECT_PAUSE_MS=300

# count NAME REGEX: lines of SIPp NAME's message trace that match.
count() { grep -cE "$2" "$T/$1.msg" 2>/dev/null || true; }

# write_target FILE NAME PORT: a target whose registrar (where synth sends
# every request) is the SIPp on PORT; no registration.
write_target() {
    cat >"$1" <<TGT
name: $2
sip_domain: 127.0.0.1
registrar: {host: 127.0.0.1, port: $3, transport: udp}
voicemail_uri: "sip:service@127.0.0.1:$3"
users: {pattern: "sip:caller{n}@127.0.0.1", password: unused, count: 4}
TGT
}

# 1. A redirect loop: the 302's Contact is the redirector itself. With
#    max_redirects 2 each call sends three INVITEs, gets three 302s (each
#    ACKed), and fails as redirect-limit: critical, exit 2.
LOOP=$(free_port)
# -deadcall_wait 0: the redirected INVITE keeps its Call-ID (8.1.3.4), which
# SIPp would otherwise ignore as a message for a call it just finished.
start_sipp loop "$LOOP" -sf "$SIPP_DIR/uas-redirect.xml" -key contact "sip:vm@127.0.0.1:$LOOP" -deadcall_wait 0
write_target "$T/loop-target.yaml" redirect-loop "$LOOP"
cat >"$T/loop.yaml" <<SCN
name: redirect-loop
steps:
  - call: {hold: 100ms, timeout: 5s, media: false}
load: {users: 4, rate: 10, iterations: 4}
sip: {t1: 100ms, max_redirects: 2}
SCN
rc=0; "$SYNTH" run "$T/loop.yaml" --target "$T/loop-target.yaml" --out "$T/loop" --workers 1 --quiet >"$T/loop.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "redirect loop: exit $rc, want 2: $(tail -20 "$T/loop.out")"
S="$T/loop/summary.json"
assert_json "$S" '.verdict == "critical" and .calls.attempted == 4 and .calls.answered == 0' "redirect loop: critical, nothing answered"
assert_json "$S" '.steps.call.failures["redirect-limit"] == 4 and .steps.call.failed == 4' "redirect loop: 4 calls end as redirect-limit"
# Three legs of REDIRECT_PAUSE_MS each: the limit is hit after the third 302, not before.
assert_json "$S" ".steps.call.latency_ms.p50 >= $((3 * REDIRECT_PAUSE_MS)) and .steps.call.latency_ms.max < 3000" "redirect loop: each call took its three legs"
n=$(grep '"step":"call"' "$T/loop/events.jsonl" | jq -s '[.[] | select(.class == "redirect-limit" and .sip_status == 302)] | length')
[ "$n" -eq 4 ] || fail "events.jsonl: $n call events with class redirect-limit and status 302, want 4"
ok "events name class redirect-limit and the last 302"
acks=$(count loop '^ACK ')
invites=$(awk '/^Call-ID:/{c=$2} /^CSeq: [0-9]+ INVITE/{print c, $2}' "$T/loop.msg" | sort -u | wc -l)
calls=$(awk '/^Call-ID:/{print $2}' "$T/loop.msg" | sort -u | wc -l)
# At least one ACK per 302; a 302 resent for a retransmitted INVITE is ACKed again.
[ "$acks" -ge 12 ] || fail "the redirector got $acks ACKs, want 12 or more (3 per call: max_redirects 2 + the first)"
[ "$invites" -eq 12 ] || fail "the redirector got $invites INVITE transactions (Call-ID, CSeq), want 12"
[ "$calls" -eq 4 ] || fail "the redirector saw $calls Call-IDs, want 4 (a redirected INVITE keeps its Call-ID)"
ok "redirector: 3 INVITEs (same Call-ID, new CSeq) and 3 ACKs per call, then synth stopped"

# 2. A redirect that leads somewhere: the 302 names a second SIPp (the
#    built-in UAS), which answers. The call goes there on its own
#    connection, is answered and hung up there, and its setup time runs from
#    the first INVITE (both legs).
UAS=$(free_port); REDIR=$(free_port)
start_sipp uas "$UAS" -sn uas
start_sipp redir "$REDIR" -sf "$SIPP_DIR/uas-redirect.xml" -key contact "sip:vm@127.0.0.1:$UAS"
write_target "$T/redir-target.yaml" redirector "$REDIR"
cat >"$T/follow.yaml" <<SCN
name: redirected
steps:
  - call: {hold: 100ms, timeout: 5s, media: false}
  - hangup
load: {users: 4, rate: 10, iterations: 4}
sip: {t1: 100ms}
SCN
rc=0; "$SYNTH" run "$T/follow.yaml" --target "$T/redir-target.yaml" --out "$T/follow" --workers 1 --quiet >"$T/follow.out" 2>&1 || rc=$?
S="$T/follow/summary.json"
[ -s "$S" ] || fail "redirect: no summary (exit $rc): $(tail -20 "$T/follow.out")"
at_uas=$(count uas '^INVITE sip:vm@127.0.0.1:'"$UAS")
[ "$at_uas" -ge 4 ] || fail "the 302's Contact (127.0.0.1:$UAS) got $at_uas INVITEs, want 4; the redirector got $(count redir '^INVITE sip:vm@') INVITEs for it instead (exit $rc, $(jq -c '.steps.call.failures' "$S"))"
[ $rc -eq 0 ] || fail "redirect: exit $rc, want 0: $(tail -20 "$T/follow.out")"
assert_json "$S" '.verdict == "ok" and .calls.attempted == 4 and .calls.answered == 4' "redirect followed: 4 calls answered by the second UAS"
assert_json "$S" '.steps.hangup.ok == 4' "redirect followed: BYE reached the second UAS"
assert_json "$S" ".calls.setup_ms.p50 >= $REDIRECT_PAUSE_MS" "setup time covers the redirect leg and the answered one"
[ "$(count redir '^ACK ')" -ge 4 ] || fail "the redirector got $(count redir '^ACK ') ACKs for its 302s, want 4"
[ "$(count uas '^BYE ')" -ge 4 ] || fail "the second UAS got $(count uas '^BYE ') BYEs, want 4"
ok "302 ACKed at the redirector; INVITE, ACK and BYE at the second UAS"

# 3. A redirect to a host name: refused with a reason (no blocking DNS on
#    the worker), not a hang.
NAMED=$(free_port)
start_sipp named "$NAMED" -sf "$SIPP_DIR/uas-redirect.xml" -key contact "sip:vm@um01.example.invalid:5060"
write_target "$T/named-target.yaml" named "$NAMED"
rc=0; "$SYNTH" run "$T/follow.yaml" --target "$T/named-target.yaml" --out "$T/named" --workers 1 --quiet >"$T/named.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "redirect to a name: exit $rc, want 2"
grep '"step":"call"' "$T/named/events.jsonl" | head -1 | jq -e '.class == "protocol" and (.detail | contains("host name"))' >/dev/null ||
    fail "redirect to a name: $(grep '"step":"call"' "$T/named/events.jsonl" | head -1)"
ok "redirect to a host name: failed with the reason"
