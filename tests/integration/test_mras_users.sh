#!/bin/bash
# Users' own MRAS credentials (issue #7): media.turn.credentials: mras, each
# synthetic user sends a SIP SERVICE to the lab Front End's MRAS on its
# registered connection and allocates its relay with the answer.
#   a lab in its own process with turn_credentials: mras writes a target
#       without a TURN password; Edge users with media_path: relay make two
#       calls each, hear the greeting through the relay the answer named,
#       and the Front End granted one credential per user (kept, not asked
#       again for the second call);
#   the same lab with mras_refuse_users: every call mras-refused, the 403's
#       status and ms-diagnostics (9001, the MRAS range) in its event, a
#       finding, exit 2 (critical); with mras_silent_users, mras-refused at
#       media.turn.mras_timeout; with mras_empty_users (a 200 without
#       credentials) mras-refused naming what is missing;
#   edge.turn: ms-turn with MRAS credentials (the in-process lab): the
#       shipped Edge scenario hears every greeting relay to relay;
#   a grant followed by a refused Allocate: the failed call's trace holds
#       the SERVICE answer with its password redacted;
#   auth: ntlm: the SERVICE signed like the user's other requests;
#   credentials granted for 1 minute are renewed in the background 30 s in,
#       with no call asking.
. "$(dirname "$0")/lib.sh"

cat >"$T/two-calls.yaml" <<'SCN'
name: mras-relay
steps:
  - register: {expires: 300s, timeout: 5s}
  - call: {hold: 5s, timeout: 5s, greeting: required, first_media_timeout: 4s, media_path: relay}
  - hangup
  - call: {hold: 5s, timeout: 5s, greeting: required, first_media_timeout: 4s, media_path: relay}
  - hangup
  - unregister
load: {users: 3, rate: 10, iterations: 3, via: edge}
sip: {t1: 100ms}
SCN

# start_lab NAME [--fault K=V]: a lab of its own, its target in $T/NAME.yaml.
start_lab() {
    local name=$1; shift
    "$SYNTH" lab --state-dir "$T/$name-state" --config "$T/mras-lab.yaml" \
        --write-target "$T/$name.yaml" "$@" >"$T/$name.out" 2>&1 &
    LABPID=$!; PIDS="$PIDS $LABPID"
    wait_for_line "$T/$name.out" "lab ready" 10
}
stop_lab() { # NAME: stops it and waits for its counters
    kill -TERM "$LABPID"
    wait_for_line "$T/$1.out" "^lab mras:" 10
}
# synth_run NAME WANT-EXIT SCENARIO ARGS...: results in $T/NAME, its exit checked.
synth_run() {
    local name=$1 want=$2 scn=$3; shift 3
    rc=0; "$SYNTH" run "$scn" --out "$T/$name" --quiet "$@" >"$T/$name.out" 2>&1 || rc=$?
    [ $rc -eq "$want" ] || fail "$name: exit $rc, want $want: $(tail -20 "$T/$name.out")"
}
run() { synth_run "$1" "$3" "$T/two-calls.yaml" --target "$T/$2.yaml" --workers 1; } # NAME TARGET WANT-EXIT
# run_lab NAME WANT-EXIT LAB-YAML: two-calls.yaml against the in-process lab so configured.
run_lab() {
    printf '%s\n' "$3" >"$T/$1-lab.yaml"
    synth_run "$1" "$2" "$T/two-calls.yaml" --lab --lab-config "$T/$1-lab.yaml" --workers 1
}

printf 'turn_credentials: mras\n' >"$T/mras-lab.yaml"

# 1. Credentials from the lab Front End, the relay it names.
start_lab lab
grep -q '^  turn: {credentials: mras, mras_uri: "sip:fe.lab.synth.test@lab.synth.test;gruu;opaque=srvr:MRAS"}$' "$T/lab.yaml" ||
    fail "the written lab target should ask MRAS: $(grep -n turn "$T/lab.yaml")"
grep -q "synth-turn-lab" "$T/lab.yaml" && fail "the MRAS lab target still carries the static TURN password"
ok "--write-target with turn_credentials: mras: media.turn.credentials: mras, no TURN password"
run granted lab 0
S="$T/granted/summary.json"
assert_json "$S" '.calls.attempted == 6 and .calls.answered == 6 and .calls.greeting_heard == 6' "MRAS credentials: 6 Edge calls answered, greeting heard"
assert_json "$S" '.calls.media_path.relay == 6' "every call through the relay"
n=$(jq -s '[.[] | select(.step == "call" and .ok != false and .class == null and .media.ice.local_type == "relay")] | length' "$T/granted/events.jsonl")
[ "$n" = 6 ] || fail "each call should use its relay candidate: $(jq -c 'select(.step == "call") | .media' "$T/granted/events.jsonl" | head -2)"
ok "each call's nominated pair is its relay candidate"
stop_lab lab
grep -q "^lab mras: [0-9]* credentials granted, 0 refused; users: 3 granted, 0 refused" "$T/lab.out" ||
    fail "the Front End should grant one credential per user (3), kept for the second call: $(grep '^lab mras' "$T/lab.out")"
ok "the lab Front End granted 3 user credentials for 6 calls (kept per user)"
allocs=$(sed -n 's/^lab turn: \([0-9]*\) allocations.*/\1/p' "$T/lab.out")
[ "${allocs:-0}" -ge 6 ] || fail "the relay should have made an allocation per call: $(grep '^lab turn' "$T/lab.out")"
ok "the lab relay made $allocs allocations with the MRAS credentials"

# 2. The Front End refuses users: mras-refused, the diagnostics in the event.
start_lab refuse --fault mras_refuse_users=1
run refused refuse 2
E="$T/refused/events.jsonl"
n=$(jq -s '[.[] | select(.step == "call" and .class == "mras-refused" and .sip_status == 403 and .ms_diagnostics_code == 9001 and (.detail | contains("refused the MRAS request")))] | length' "$E")
calls=$(jq -s '[.[] | select(.step == "call")] | length' "$E")
[ "$n" -ge 3 ] && [ "$n" = "$calls" ] ||
    fail "every call should be mras-refused with 403 and ms-diagnostics 9001 ($n of $calls): $(jq -c 'select(.step == "call")' "$E" | head -2)"
ok "mras_refuse_users: all $calls calls mras-refused, SIP 403, ms-diagnostics 9001 in the event"
assert_json "$T/refused/summary.json" '.verdict == "critical"' "mras-refused everywhere: critical"
assert_json "$T/refused/summary.json" '[.findings[] | select(.id == "call.mras-refused" and .severity == "critical" and (.evidence | contains("9001")))] | length == 1' "a critical finding call.mras-refused with the diagnostics as evidence"
stop_lab refuse
grep -q "^lab mras: .*users: 0 granted, [1-9][0-9]* refused" "$T/refuse.out" ||
    fail "the lab should count refused user requests: $(grep '^lab mras' "$T/refuse.out")"
ok "the lab counted the refused user requests"

# 2b. No answer at all: mras-refused once media.turn.mras_timeout passes;
#     an answer without credentials: mras-refused at once.
start_lab silent --fault mras_silent_users=1
sed 's/^  turn: {credentials: mras, /  turn: {credentials: mras, mras_timeout: 1s, /' "$T/silent.yaml" >"$T/silent1s.yaml"
grep -q "mras_timeout: 1s" "$T/silent1s.yaml" || fail "cannot set mras_timeout in $(grep turn "$T/silent.yaml")"
run silent silent1s 2
n=$(jq -s '[.[] | select(.step == "call" and .class == "mras-refused" and (.detail | contains("within 1000 ms")) and .duration_ms >= 950 and .duration_ms < 2500)] | length' "$T/silent/events.jsonl")
[ "$n" -ge 3 ] || fail "a silent MRAS should fail calls mras-refused after 1 s: $(jq -c 'select(.step == "call")' "$T/silent/events.jsonl" | head -2)"
ok "a silent MRAS: calls mras-refused after media.turn.mras_timeout (1 s)"
stop_lab silent
start_lab empty --fault mras_empty_users=1
run empty empty 2
n=$(jq -s '[.[] | select(.step == "call" and .class == "mras-refused" and .sip_status == 200 and (.detail | contains("no usable credentials (no <credentials> element)")))] | length' "$T/empty/events.jsonl")
[ "$n" -ge 3 ] || fail "a 200 without credentials should be mras-refused: $(jq -c 'select(.step == "call")' "$T/empty/events.jsonl" | head -2)"
ok "a 200 without credentials: mras-refused, the detail names what is missing"
stop_lab empty

# 3. MS-TURN with MRAS credentials, in-process lab, the shipped Edge scenario.
printf 'turn_credentials: mras\nturn_dialect: ms-turn\n' >"$T/ms-lab.yaml"
synth_run ms 0 "$SRC/scenarios/voicemail-edge.yaml" --lab --lab-config "$T/ms-lab.yaml" --workers 2
assert_json "$T/ms/summary.json" '.paths.edge.calls.attempted == 10 and .paths.edge.calls.greeting_heard == 10' "edge.turn: ms-turn + MRAS: 10 Edge calls, greeting heard"
n=$(jq -s '[.[] | select(.step == "call" and .via == "edge" and .media.ice.local_type == "relay" and .media.ice.remote_type == "relay")] | length' "$T/ms/events.jsonl")
[ "$n" = 10 ] || fail "Edge calls should go relay to relay: $(jq -c 'select(.step == "call" and .via == "edge") | .media' "$T/ms/events.jsonl" | head -2)"
ok "MS-TURN + MRAS: every Edge call relay to relay"

# 4. A grant, then a refused Allocate: the answer's password stays out of the trace.
run_lab r486 2 'turn_credentials: mras
faults: {turn_refuse_allocate: 486}'
assert_json "$T/r486/summary.json" '.steps.call.failures["relay-unavailable"] >= 3' "after a grant, a refused Allocate is relay-unavailable, not mras-refused"
grep -l "^SIP/2.0 200" "$T"/r486/traces/*.txt | xargs grep -l "<credentials>" >"$T/with-answer" || true
[ -s "$T/with-answer" ] || fail "no failed call's trace holds the MRAS answer: $(ls "$T/r486/traces")"
grep -h -o "<password>[^<]*</password>" $(cat "$T/with-answer") | sort -u >"$T/pw"
[ "$(cat "$T/pw")" = "<password>[redacted]</password>" ] ||
    fail "the MRAS answer's password should be redacted in traces: $(head -3 "$T/pw")"
ok "failed calls' traces hold the MRAS answer with <password>[redacted]</password>"
grep -rq "synth-turn-lab\|<password>[A-Za-z0-9]" "$T"/granted "$T"/refused "$T"/ms "$T"/r486 &&
    fail "a relay password appears in the results"
ok "no relay password in results"

# 5. auth: ntlm: the SERVICE is signed with the user's SA like its other
#    requests, the answer's signature checked.
run_lab ntlm 0 'turn_credentials: mras
auth: ntlm'
assert_json "$T/ntlm/summary.json" '.calls.greeting_heard == 6 and .calls.media_path.relay == 6' "auth: ntlm: signed SERVICE, 6 relayed calls, greeting heard"

# 6. Renewal: a 1-minute grant is asked again 30 s in (the margin's floor),
#    while the user only waits: the lab counts a second grant before it stops.
cat >"$T/renew.yaml" <<'SCN'
name: mras-renew
steps:
  - register: {expires: 300s, timeout: 5s}
  - call: {hold: 5s, timeout: 5s, greeting: required, first_media_timeout: 4s, media_path: relay}
  - hangup
  - wait: {duration: 30s}
  - unregister
load: {users: 1, rate: 1, iterations: 1, via: edge}
sip: {t1: 100ms, keepalive: 10s}
SCN
printf 'turn_credentials: mras\nmras_max_duration: 1m\n' >"$T/mras-lab.yaml"
start_lab renewlab
synth_run renew 0 "$T/renew.yaml" --target "$T/renewlab.yaml" --workers 1
stop_lab renewlab
grep -q "^lab mras: .*users: 2 granted, 0 refused" "$T/renewlab.out" ||
    fail "a 1-minute credential should be renewed once within 35 s: $(grep '^lab mras' "$T/renewlab.out")"
ok "a 1-minute MRAS credential renewed in the background 30 s in"
