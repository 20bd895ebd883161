#!/bin/bash
# synth run against the embedded lab, end to end over TLS: the default
# scenario passes, and each fault knob is caught and classified.
. "$(dirname "$0")/lib.sh"
SC="$SRC/tests/integration/scenarios/short-call.yaml"

# 1. Healthy lab: every call answered, verdict ok, exit 0.
rc=0; "$SYNTH" run "$SC" --lab --out "$T/ok" --workers 2 --quiet >"$T/ok.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "healthy lab: exit $rc: $(tail -20 "$T/ok.out")"
S="$T/ok/summary.json"
assert_json "$S" '.verdict == "ok" and .target == "lab"' "verdict ok against target lab"
assert_json "$S" '.calls.attempted == 12 and .calls.answered == 12 and .calls.failed == 0' "12 calls, all answered"
assert_json "$S" '.calls.setup_ms.p95 > 0 and .calls.setup_ms.p95 < 1500' "setup p95 measured"
assert_json "$S" '.calls.pdd_ms.p50 > 0 and .calls.pdd_ms.p50 <= .calls.setup_ms.p50' "pdd measured, before setup"
assert_json "$S" '.steps.register.ok >= 12 and .steps.hangup.ok == 12 and .steps.unregister.ok >= 12' "register, hangup, unregister ok"
assert_json "$S" '(.timeline | length) >= 1 and (.timeline[0] | has("t") and has("started"))' "timeline present"
n=$(grep -c '"step":"call"' "$T/ok/events.jsonl") || true
[ "$n" -eq 12 ] || fail "events.jsonl has $n call lines, want 12"
ok "events.jsonl has 12 call events"
grep -q "target: lab" "$T/ok.out" || fail "terminal output does not name the target: $(head -5 "$T/ok.out")"
ok "terminal names the target"

# 2. The UM never answers: calls fail as no-answer (CANCEL sent), critical.
rc=0; "$SYNTH" run "$SC" --lab --fault never_answer=true --out "$T/na" --workers 1 --quiet >"$T/na.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "never_answer: exit $rc, want 2: $(tail -20 "$T/na.out")"
assert_json "$T/na/summary.json" '.verdict == "critical" and .calls.answered == 0' "never_answer: critical, nothing answered"
assert_json "$T/na/summary.json" '.steps.call.failures["no-answer"] == 12' "never_answer: 12 no-answer failures"
ls "$T/na/traces/"*.txt >/dev/null 2>&1 || fail "no traces of the failed calls"
grep -q "^CANCEL " "$T/na/traces/"*.txt || fail "trace lacks the CANCEL"
if grep -qi "^Authorization: Digest" "$T/na/traces/"*.txt; then fail "trace leaks credentials"; fi
ok "traces written, CANCEL in them"

# 3. Registrations refused with 403: auth-refused, not retried, critical.
rc=0; "$SYNTH" run "$SC" --lab --fault register_reject=403 --out "$T/rj" --workers 1 --quiet >"$T/rj.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "register_reject: exit $rc, want 2"
assert_json "$T/rj/summary.json" '.steps.register.failures["auth-refused"] >= 12' "403: auth-refused"
assert_json "$T/rj/summary.json" '[.findings[].id] | any(startswith("register."))' "403: a register finding"
# The ms-diagnostics catalogue: the code and its meaning in every event, in the finding.
n=$(jq -s '[.[] | select(.step == "register" and .ms_diagnostics_code == 4000 and (.ms_diagnostics_meaning | startswith("user services")))] | length' "$T/rj/events.jsonl")
[ "$n" -ge 12 ] || fail "403: events lack the ms-diagnostics code and meaning: $(grep -m1 '"step":"register"' "$T/rj/events.jsonl")"
assert_json "$T/rj/summary.json" '[.findings[] | select(.id | startswith("register.")) | .evidence | test("ms-diagnostics: 4000;.*\\[user services")] | any' "403: the finding's evidence explains the ms-diagnostics code"

# 4. The UM hangs up 1 s after answering, before the greeting is whole: the
#    call is dropped, the BYE was the far end's.
rc=0; "$SYNTH" run "$SC" --lab --fault bye_after_ms=1000 --out "$T/bye" --workers 1 --quiet >"$T/bye.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "bye_after: exit $rc, want 2"
assert_json "$T/bye/summary.json" '.steps.call.failures.dropped == 12' "bye_after: 12 dropped calls"
grep '"step":"call"' "$T/bye/events.jsonl" | head -1 | jq -e '.bye_by_peer == true and .class == "dropped"' >/dev/null || fail "event lacks bye_by_peer"
ok "bye_after: events say the far end hung up"

# 5. Bad input: exit 3 with file and line.
printf 'name: x\nsteps:\n  - dance\nload: {users: 1, rate: 1, iterations: 1}\n' >"$T/bad.yaml"
rc=0; "$SYNTH" run "$T/bad.yaml" --lab --out "$T/bad" --quiet >"$T/bad.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "bad scenario: exit $rc, want 3"
grep -q "bad.yaml:3" "$T/bad.out" || fail "error does not name file:line: $(cat "$T/bad.out")"
ok "bad scenario: exit 3 naming bad.yaml:3"

# 6. SIGINT during calls: no new journeys, active calls hung up with BYE,
#    users unregistered, results written, the interruption said. The lab runs
#    as its own process here so its counters show what reached it.
lab_start labsig
cat >"$T/long.yaml" <<SCN
name: long
steps:
  - register: {expires: 300s, timeout: 5s}
  - call: {hold: 60s, timeout: 3s, hangup_on_greeting: false}
  - hangup
  - unregister
load: {users: 4, rate: 8, duration: 120s}
SCN
"$SYNTH" run "$T/long.yaml" --target "$T/labsig.yaml" --out "$T/sig" --workers 1 >"$T/sig.out" 2>&1 &
RUNPID=$!; PIDS="$PIDS $RUNPID"
# Four calls answered: their setup is logged as the call steps start holding.
for _ in $(seq 100); do
    [ "$(grep -c '"step":"register"' "$T/sig/events.jsonl" 2>/dev/null || true)" -ge 4 ] && break
    sleep 0.1
done
sleep 0.5
kill -INT "$RUNPID"
rc=0; for _ in $(seq 100); do kill -0 "$RUNPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$RUNPID" 2>/dev/null && fail "synth run still running 10 s after SIGINT"
wait "$RUNPID" || rc=$?
[ $rc -eq 0 ] || fail "interrupted run: exit $rc: $(tail -20 "$T/sig.out")"
assert_json "$T/sig/summary.json" '[.findings[].id] | index("run.interrupted") != null' "SIGINT: run.interrupted finding"
assert_json "$T/sig/summary.json" '.calls.answered == 4 and .steps.unregister.ok == 4' "SIGINT: 4 calls answered, 4 users unregistered"
kill -TERM "$LABPID"
for _ in $(seq 100); do grep -q "lab stopped" "$T/labsig.out" && break; sleep 0.1; done
grep -q "8 registrations ok, 0 rejected, 4 invites, 4 answered, 4 byes" "$T/labsig.out" ||
    fail "the lab did not see 4 BYEs and 4 unregisters: $(tail -1 "$T/labsig.out")"
ok "SIGINT: the lab saw 4 calls hung up and 4 unregisters"

# 7. Re-REGISTER before expiry: the lab grants 10 s whatever is asked, so a
#    user idle for 11 s refreshes at 5 s and 10 s (half the grant) and stays
#    registered.
printf 'register_max_expires: 10s\n' >"$T/labexp.yaml"
cat >"$T/rereg.yaml" <<SCN
name: reregister
steps:
  - register: {expires: 600s}
  - wait: {duration: 11s}
  - unregister
load: {users: 1, rate: 1, iterations: 1}
SCN
rc=0; "$SYNTH" run "$T/rereg.yaml" --lab --lab-config "$T/labexp.yaml" --out "$T/rr" --workers 1 --quiet >"$T/rr.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "re-register: exit $rc: $(tail -20 "$T/rr.out")"
assert_json "$T/rr/summary.json" '.steps.register.attempts == 3 and .steps.register.ok == 3 and .steps.unregister.ok == 1' "re-register: two refreshes at half the granted 10 s"
