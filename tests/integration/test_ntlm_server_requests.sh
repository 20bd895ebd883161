#!/bin/bash
# The lab's Front End signs the requests it relays to an NTLM user over the
# user's SA ([MS-SIPAE] 3.3), here the UM's BYE when it hangs up
# (faults.bye_after_ms), and synth verifies them: signed well, the BYE is
# taken (the call is `dropped` by the far end, bye_by_peer); with
# faults.ntlm_bad_request_signature (one hex digit of its rspauth changed)
# synth refuses it (403) and the call step is auth-ntlm-refused, the class
# of every NTLM signature that fails, naming the BYE.
. "$(dirname "$0")/lib.sh"

cat >"$T/scn.yaml" <<'SCN'
name: ntlm-server-bye
steps:
  - register: {expires: 600s, timeout: 5s}
  - call: {hold: 4s, timeout: 5s, greeting: optional, first_media_timeout: 3s, hangup_on_greeting: false}
  - hangup
  - unregister
load: {users: 1, rate: 1, iterations: 1}
SCN

run_case() { # NAME BAD_SIGNATURE
    printf 'auth: ntlm\nusers: 2\nfaults:\n  bye_after_ms: 1s\n  ntlm_bad_request_signature: %s\n' "$2" \
        >"$T/$1.yaml"
    rc=0; "$SYNTH" run "$T/scn.yaml" --lab --lab-config "$T/$1.yaml" --out "$T/$1" --workers 1 \
        --quiet >"$T/$1.out" 2>&1 || rc=$?
    # The dropped call makes the run critical (2); anything else is wrong.
    [ $rc -eq 2 ] || fail "$1: exit $rc: $(tail -20 "$T/$1.out")"
}

run_case good false
jq -e -s '.[] | select(.step == "call") | .class == "dropped" and .bye_by_peer == true' \
    "$T/good/events.jsonl" >/dev/null ||
    fail "signed BYE: $(jq -c 'select(.step == "call")' "$T/good/events.jsonl")"
assert_json "$T/good/summary.json" '.steps.register.ok == 1 and .steps.unregister.ok == 1 and (.failures["auth-ntlm-refused"] // 0) == 0' \
    "the UM's BYE relayed by the Front End, signed with the user's SA, verified by synth"

run_case bad true
jq -e -s '.[] | select(.step == "call") | .class == "auth-ntlm-refused" and (.detail | test("^BYE from the server: rspauth from fe.lab.synth.test does not verify"))' \
    "$T/bad/events.jsonl" >/dev/null ||
    fail "broken BYE signature: $(jq -c 'select(.step == "call")' "$T/bad/events.jsonl")"
jq -e -s '.[] | select(.step == "call") | .bye_by_peer == false' "$T/bad/events.jsonl" >/dev/null ||
    fail "a BYE with a broken signature was acted on"
ok "a relayed BYE with a broken rspauth is refused: auth-ntlm-refused naming it"
