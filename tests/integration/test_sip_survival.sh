#!/bin/bash
# sip.survival against the lab's SIP-path middlebox (sip_idle_timeout_s):
# silent SIP TLS connections are cut at its timeout and the search finds
# it within 1 s; keep-alives hold every interval open; each kind of cut
# (FIN, RST, silent drop) is its own died_how; the Edge's path is named as
# the hop; a healthy lab keeps everything alive and has no finding.
. "$(dirname "$0")/lib.sh"

# 1. The middlebox cuts at 6 s (FIN, the default).
rc=0; "$SYNTH" run "$SRC/scenarios/sip-survival.yaml" --lab --fault sip_idle_timeout_s=6 \
    --out "$T/sv" --quiet >"$T/sv.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "sip survival at 6 s: exit $rc, want 1 (warning): $(tail -20 "$T/sv.out")"
S="$T/sv/summary.json"
assert_json "$S" '[.survival[] | select(.session == "sip-tls")] | length == 2' "two sip-tls series: keepalive and silent"
assert_json "$S" '[.survival[] | select(.session == "sip-tls")] | all(has("session") and has("intervals") and has("estimated_timeout_s") and has("uncertainty_s") and (.intervals | length > 0 and all(has("idle_s") and has("survived") and has("died_how"))))' "the contract's keys"
assert_json "$S" '[.survival[] | select(.probe == "silent")][0] | (.estimated_timeout_s - 6 | fabs) <= 1 and .uncertainty_s <= 1' "silent: the middlebox's 6 s found within 1 s"
# An OPTIONS sent just as the middlebox closes (the 6 s interval itself)
# can meet the closed socket and be answered with a reset: longer ones
# see the FIN first.
assert_json "$S" '[.survival[] | select(.probe == "silent") | .intervals[] | select(.survived | not)] | length > 0 and all(.died_how == "closed" or (.idle_s == 6 and .died_how == "reset"))' "silent: cut connections died closed (FIN)"
assert_json "$S" '[.survival[] | select(.probe == "silent") | .intervals[] | select(.idle_s < 6)] | length > 0 and all(.survived)' "silent: shorter intervals survived"
assert_json "$S" '[.survival[] | select(.probe == "keepalive")][0] | (.intervals | length > 0 and all(.survived) and (map(.idle_s) | max) == 12) and .estimated_timeout_s == null and .pongs > 0' "keepalive: every interval up to 12 s survived, no estimate, the lab's pongs counted"
assert_json "$S" '[.findings[] | select(.id == "proxy-idle-timeout-short")] | length == 1 and (.[0].evidence | contains("sip-tls silent probe") and contains("SIP TLS path (hop: registrar ") and contains("died at") and contains(">= 1200 s, 1800 s preferred"))' "proxy-idle-timeout-short for the SIP path, naming the hop"
grep -q "sip.survival" "$T/sv.out" || fail "no sip.survival row in the terminal table"
"$SYNTH" report "$T/sv" >"$T/sv.txt" 2>&1 || true
grep -Eq '^sip-tls +silent +registrar 127\.0\.0\.1:[0-9]+ +[0-9.]+ \+/- [0-9.]+ .*:closed' "$T/sv.txt" \
    || fail "terminal: no survival row for the silent probe: $(cat "$T/sv.txt")"
ok "terminal: a survival row per probe with the estimate and each interval"
rc=0; "$SYNTH" report "$T/sv" --html "$T/sv/report.html" >"$T/html.out" 2>&1 || rc=$?
[ $rc -eq 1 ] && [ -s "$T/sv/report.html" ] || fail "synth report --html: exit $rc (want 1, the verdict): $(tail -5 "$T/html.out")"
grep -q 'sip-tls silent (registrar 127.0.0.1:' "$T/sv/report.html" || fail "html: no sip-tls silent series"
grep -q 'SIP clients whose keep-alives are further apart lose their registration' "$T/sv/report.html" \
    || fail "html: no SIP assessment"
ok "html: the sip-tls series named by probe and hop, and the SIP assessment"

# 2. A reset (SO_LINGER 0) on the Edge's path; a silent drop on the Front End's.
cat >"$T/cut.yaml" <<SCN
name: sip-survival-cuts
steps:
  - sip.survival: {intervals: [1s, 5s], probe: silent, answer_timeout: 2s}
load: {users: 1, rate: 1, iterations: 1, via: VIA}
SCN
sed 's/VIA/edge/' "$T/cut.yaml" >"$T/cut-edge.yaml"
sed 's/VIA/internal/' "$T/cut.yaml" >"$T/cut-fe.yaml"
"$SYNTH" run "$T/cut-edge.yaml" --lab --fault sip_idle_timeout_s=3 --fault sip_idle_cut=rst \
    --out "$T/rst" --quiet >"$T/rst.out" 2>&1 &
P1=$!; rc1=0
rc2=0; "$SYNTH" run "$T/cut-fe.yaml" --lab --fault sip_idle_timeout_s=3 --fault sip_idle_cut=drop \
    --out "$T/drop" --quiet >"$T/drop.out" 2>&1 || rc2=$?
wait $P1 || rc1=$?
[ $rc1 -eq 1 ] || fail "rst via edge: exit $rc1, want 1: $(tail -20 "$T/rst.out")"
[ $rc2 -eq 1 ] || fail "drop: exit $rc2, want 1: $(tail -20 "$T/drop.out")"
assert_json "$T/rst/summary.json" '.survival[0] | .session == "sip-tls" and (.hop | startswith("edge ")) and ([.intervals[] | [.idle_s, .survived, .died_how]] == [[1, true, null], [5, false, "reset"]])' "rst on the Edge's path: died reset, the hop is the Edge"
assert_json "$T/rst/summary.json" '.findings[0].evidence | contains("(hop: edge ")' "rst: the finding names the Edge hop"
assert_json "$T/drop/summary.json" '.survival[0] | (.hop | startswith("registrar ")) and ([.intervals[] | [.idle_s, .survived, .died_how]] == [[1, true, null], [5, false, "no-answer"]])' "silent drop: the OPTIONS got no answer"

# 3. The healthy lab: no middlebox, everything survives, no finding.
cat >"$T/healthy.yaml" <<SCN
name: sip-survival-healthy
steps:
  - sip.survival: {intervals: [2s, 4s], probe: both}
sip: {keepalive: 1s}
load: {users: 1, rate: 1, iterations: 1}
SCN
rc=0; "$SYNTH" run "$T/healthy.yaml" --lab --out "$T/hv" --quiet >"$T/hv.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "healthy sip survival: exit $rc: $(tail -20 "$T/hv.out")"
assert_json "$T/hv/summary.json" '([.survival[] | select(.session == "sip-tls") | .intervals[].survived] | length == 4 and all(.)) and ([.survival[].estimated_timeout_s] | all(. == null)) and (.findings | length == 0)' "healthy lab: 4 s survived both ways, no estimate, no finding"

# 4. A probe that cannot register is started once more on a new connection
#    (a transient refusal among parallel connections is no idle timeout);
#    refused again, the step fails with the registrar's answer. 2 intervals x
#    2 probes, each tried twice: 8 REGISTERs refused.
lab_start rej --fault register_reject=503
rc=0; "$SYNTH" run "$T/healthy.yaml" --target "$T/rej.yaml" --out "$T/rj" --quiet >"$T/rj.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "register_reject: exit $rc, want 2: $(tail -20 "$T/rj.out")"
assert_json "$T/rj/summary.json" '.steps["sip.survival"].failures["server-error"] == 1' "register_reject: the step fails server-error"
grep '"step":"sip.survival"' "$T/rj/events.jsonl" | jq -e '.detail | test("registering a probe on registrar .*REGISTER answered 503")' >/dev/null ||
    fail "register_reject: the event does not name the refused REGISTER: $(grep sip.survival "$T/rj/events.jsonl")"
kill -INT "$LABPID"
wait_for_line "$T/rej.out" "lab stopped" 10
grep -q "0 registrations ok, 8 rejected" "$T/rej.out" || fail "register_reject: want each of 4 probes tried twice: $(grep 'lab stopped' "$T/rej.out")"
ok "register_reject: each probe tried twice on a new connection, then the step failed naming the 503"
