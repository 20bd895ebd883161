#!/bin/bash
# The UCWA steps of a scenario against the lab's web side, through its
# reverse proxy: each step's latency and failure class in summary.json, the
# proxy's 504 and the server's application expiry classified, a target
# without ucwa: refused.
. "$(dirname "$0")/lib.sh"

# 1. The shipped sign-in scenario: every step of 20 journeys ok.
rc=0; "$SYNTH" run "$SRC/scenarios/ucwa-signin.yaml" --lab --out "$T/ok" --workers 2 --quiet \
    >"$T/ok.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "ucwa-signin: exit $rc: $(tail -20 "$T/ok.out")"
S="$T/ok/summary.json"
for st in ucwa.discover ucwa.token ucwa.application ucwa.available ucwa.events ucwa.signout; do
    assert_json "$S" ".steps[\"$st\"].attempts == 20 and .steps[\"$st\"].ok == 20 and .steps[\"$st\"].latency_ms.p50 > 0" "$st: 20 ok, latency measured"
done
assert_json "$S" '.thresholds | length == 3 and all(.[]; .level == "ok")' "thresholds on ucwa.token and ucwa.application judged"
n=$(jq -r 'select(.step == "ucwa.application") | .http_status' "$T/ok/events.jsonl" | sort -u)
[ "$n" = "201" ] || fail "ucwa.application events: http_status '$n', want 201"
ok "events: ucwa.application answered 201"
if grep -q "synth-lab" "$T/ok/events.jsonl" "$T/ok.out"; then fail "the lab password leaked"; fi
ok "no password in the results"

# 2. A reverse proxy cutting requests held 2 s: the 5 s P-GET gets the
#    proxy's 504 after 2 s, classified http-status, with the remedy.
cat >"$T/pget.yaml" <<SCN
name: pget-through-short-proxy
steps: [ucwa.discover, ucwa.token, ucwa.application, {ucwa.events: {pget_timeout: 5s}}]
load: {users: 2, rate: 5, iterations: 2}
SCN
rc=0; "$SYNTH" run "$T/pget.yaml" --lab --fault proxy_idle_timeout_s=2 --out "$T/504" --quiet \
    >"$T/504.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "proxy 504: exit $rc, want 2: $(tail -20 "$T/504.out")"
assert_json "$T/504/summary.json" '.steps["ucwa.events"].failures["http-status"] == 2 and .steps["ucwa.application"].ok == 2' "the P-GET failed http-status, the sign-in before it worked"
assert_json "$T/504/summary.json" '[.findings[] | select(.id == "ucwa.events.http-status") | .remedy] | .[0] | contains("1800 s")' "the finding recommends the proxy timeout"
jq -e 'select(.step == "ucwa.events") | .http_status == 504 and .duration_ms >= 1900 and .duration_ms < 4000' "$T/504/events.jsonl" >/dev/null ||
    fail "ucwa.events: want 504 after about 2 s: $(grep ucwa.events "$T/504/events.jsonl" | head -1)"
ok "events: 504 after about 2 s"

# 3. The server expires an idle application after 1 s: a sign-out 2 s later
#    finds it gone.
cat >"$T/expiry.yaml" <<SCN
name: application-expiry
steps: [ucwa.discover, ucwa.token, ucwa.application, {wait: {duration: 2s}}, ucwa.signout]
load: {users: 1, rate: 1, iterations: 1}
SCN
rc=0; "$SYNTH" run "$T/expiry.yaml" --lab --fault ucwa_app_expiry_s=1 --out "$T/exp" --quiet \
    >"$T/exp.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "application expiry: exit $rc, want 2: $(tail -20 "$T/exp.out")"
assert_json "$T/exp/summary.json" '.steps["ucwa.signout"].failures["application-gone"] == 1' "sign-out after expiry: application-gone"

# 4. A target without ucwa: is bad input, named.
lab_start lab
sed '/^ucwa:/,/^    ca_file:/d' "$T/lab.yaml" >"$T/noucwa.yaml"
grep -q "^ucwa:" "$T/noucwa.yaml" && fail "could not strip ucwa: from the target"
rc=0; "$SYNTH" run "$T/expiry.yaml" --target "$T/noucwa.yaml" --out "$T/nu" --quiet >"$T/nu.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "no ucwa: in the target: exit $rc, want 3"
grep -q "has no ucwa: section" "$T/nu.out" || fail "unclear error: $(cat "$T/nu.out")"
ok "UCWA steps against a target without ucwa: exit 3, named"
# The written target's ucwa: section works as is.
rc=0; "$SYNTH" run "$SRC/scenarios/ucwa-signin.yaml" --target "$T/lab.yaml" --out "$T/wt" --quiet \
    >"$T/wt.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "the written target's ucwa: exit $rc: $(tail -10 "$T/wt.out")"
ok "the target synth lab --write-target writes signs in over UCWA"
# Without the lab's pget_min, the target is a real server's: held 180-1800 s,
# so a survival search from 1 s is refused before any user starts, named.
sed '/^  pget_min:/d' "$T/lab.yaml" >"$T/realpget.yaml"
rc=0; "$SYNTH" run "$SRC/scenarios/ucwa-survival.yaml" --target "$T/realpget.yaml" --out "$T/rp" --quiet \
    >"$T/rp.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "P-GET below the server's 180 s: exit $rc, want 3: $(tail -5 "$T/rp.out")"
grep -q "ucwa-survival.yaml:[0-9]*: ucwa.survival: a P-GET shorter than 180 s" "$T/rp.out" ||
    fail "unclear error: $(cat "$T/rp.out")"
ok "a P-GET shorter than the server's 180 s: exit 3, naming the scenario line"

# 5. Survival: the lab's proxy cuts at 6 s. The search finds it within 1 s
#    for both probes: the held P-GET gets the proxy's 504, the idle
#    connection is closed; the finding recommends >= 1200 s.
rc=0; "$SYNTH" run "$SRC/scenarios/ucwa-survival.yaml" --lab --fault proxy_idle_timeout_s=6 \
    --out "$T/sv" --quiet >"$T/sv.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "survival at 6 s: exit $rc, want 1 (warning): $(tail -20 "$T/sv.out")"
S="$T/sv/summary.json"
for probe in pget idle; do
    assert_json "$S" "[.survival[] | select(.probe == \"$probe\")][0] | .session == \"ucwa\" and (.estimated_timeout_s - 6 | fabs) <= 1 and .uncertainty_s <= 1" "$probe probe: timeout estimated within 1 s of the proxy's 6 s"
done
assert_json "$S" '[.survival[] | select(.probe == "pget") | .intervals[] | select(.survived | not) | .died_how] | all(. == "proxy-504")' "held P-GETs died by the proxy's 504"
assert_json "$S" '[.survival[] | select(.probe == "idle") | .intervals[] | select(.survived | not) | .died_how] | all(. == "closed")' "idle connections died closed"
assert_json "$S" '[.findings[] | select(.id == "proxy-idle-timeout-short") | .evidence] | length == 2 and all(contains(">= 1200 s"))' "proxy-idle-timeout-short for both, with the recommendation"
# A healthy proxy (1800 s): everything probed survives, no finding.
cat >"$T/healthy.yaml" <<SCN
name: survival-healthy
steps:
  - ucwa.survival: {intervals: [1s, 3s], probe: both}
load: {users: 1, rate: 1, iterations: 1}
SCN
rc=0; "$SYNTH" run "$T/healthy.yaml" --lab --out "$T/hv" --quiet >"$T/hv.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "healthy survival: exit $rc: $(tail -20 "$T/hv.out")"
assert_json "$T/hv/summary.json" '([.survival[].intervals[].survived] | length == 4 and all(.)) and ([.findings[]] | length == 0) and (.survival[0].estimated_timeout_s == null)' "healthy proxy: 3 s survived both ways, no estimate, no finding"
# The server's application expiry (5 s), the proxy healthy: both probes find
# it within 1 s, and every death is the application gone (404), not a cut.
rc=0; "$SYNTH" run "$SRC/scenarios/ucwa-survival.yaml" --lab --fault ucwa_app_expiry_s=5 \
    --out "$T/ae" --quiet >"$T/ae.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "application expiry survival: exit $rc, want 1: $(tail -20 "$T/ae.out")"
assert_json "$T/ae/summary.json" '[.survival[] | (.estimated_timeout_s - 5 | fabs) <= 1] | length == 2 and all(.)' "application expiry: both probes estimate the server's 5 s within 1 s"
assert_json "$T/ae/summary.json" '[.survival[].intervals[] | select(.survived | not) | .died_how] | length > 0 and all(. == "application-gone")' "application expiry: the sessions died application-gone"
