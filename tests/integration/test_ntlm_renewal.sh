#!/bin/bash
# The NTLM security association over several of its lifetimes ([MS-SIPAE]
# 3.2.1): the lab's Front End in `auth: ntlm` lets an SA live 4 s
# (faults.ntlm_sa_lifetime_s) while users call voicemail for ~15 s on one
# registration. The first SA lapses at the server (a signed INVITE is
# challenged afresh: synth negotiates a new SA with that INVITE, counted as
# a lapse, the call goes on); synth keeps what the SA lasted and from then on
# renews ahead of expiry with a REGISTER on the same connection (counted as
# renewals). No step fails, every answer's rspauth still verifies (a 2xx
# without a good one would fail the step as auth-ntlm-refused).
. "$(dirname "$0")/lib.sh"

printf 'auth: ntlm\nusers: 4\nfaults:\n  ntlm_sa_lifetime_s: 4\n' >"$T/lab.yaml"
{
    echo "name: ntlm-renewal"
    echo "steps:"
    echo "  - register: {expires: 600s, timeout: 5s}"
    for i in 1 2 3 4 5 6 7; do
        echo "  - call: {hold: 2s, timeout: 5s, greeting: off, first_media_timeout: 3s}"
        echo "  - hangup"
        echo "  - wait: {duration: 700ms}"
    done
    echo "  - unregister"
    echo "load: {users: 2, rate: 5, iterations: 2}"
} >"$T/scn.yaml"

rc=0
"$SYNTH" run "$T/scn.yaml" --lab --lab-config "$T/lab.yaml" --out "$T/out" --workers 1 \
    --quiet >"$T/run.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "run against the NTLM lab with 4 s SAs: exit $rc: $(tail -20 "$T/run.out")"
ev="$T/out/events.jsonl"
[ -s "$ev" ] || fail "no events.jsonl"

assert_json "$T/out/summary.json" '.steps.call.ok == 14 and .steps.call.failed == 0' \
    "14 calls over ~15 s of 4 s SAs, all answered"
assert_json "$T/out/summary.json" '.steps.hangup.ok == 14 and .steps.unregister.ok == 2 and ([.steps[].failed] | add) == 0' \
    "no step failed (BYEs and the unregister signed over renewed SAs)"

renewals=$(jq -s '[.[] | .ntlm.renewals // 0] | add' "$ev")
lapses=$(jq -s '[.[] | .ntlm.lapses // 0] | add' "$ev")
# Each user: one lapse (the 8 h SA synth assumed at first), then a renewal
# about every 3 s (a quarter of the 4 s learned before expiry).
[ "$lapses" -ge 2 ] && [ "$lapses" -le 4 ] || fail "lapses: $lapses (expected one per user, at most two)"
[ "$renewals" -ge 6 ] || fail "renewals: $renewals (expected at least 3 per user over ~15 s)"
jq -e -s '[.[] | select(.step == "register" and .ntlm.renewals > 0)] | length >= 6' "$ev" >/dev/null ||
    fail "renewals not on the re-REGISTERs: $(jq -c 'select(.ntlm) | [.step, .offset_ms, .ntlm]' "$ev")"
ok "the SA lapsed $lapses times (recovered, counted) and was renewed $renewals times before expiry"
