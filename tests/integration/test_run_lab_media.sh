#!/bin/bash
# Media against the embedded lab: SRTP both ways with the greeting heard,
# each UM media fault knob classified, the received audio of failed calls
# kept as WAV, and on the wire (tshark) SRTP, not RTP, marked DSCP 46.
. "$(dirname "$0")/lib.sh"
SC="$SRC/tests/integration/scenarios/short-call.yaml"

run() { # NAME EXPECTED_EXIT ARGS...: a run of the short call against the lab
    name=$1; want=$2; shift 2
    rc=0; "$SYNTH" run "$SC" --lab --out "$T/$name" --workers 2 --quiet "$@" >"$T/$name.out" 2>&1 || rc=$?
    [ $rc -eq "$want" ] || fail "$name: exit $rc, want $want: $(tail -20 "$T/$name.out")"
}

# 1. Healthy: every call heard the greeting over SRTP, policy checks pass.
run ok 0
S="$T/ok/summary.json"
assert_json "$S" '.calls.media_ok == 12 and .calls.greeting_heard == 12 and .calls.connected_no_media == 0' "12 calls with media, greeting heard in all"
assert_json "$S" '.calls.first_media_ms.p95 < 1000 and .calls.greeting_onset_ms.p50 > 100' "first media within a second, greeting onset measured"
assert_json "$S" '.calls.loss_pct.max < 1 and .calls.mos.p50 > 4.0 and .calls.jitter_ms.p95 < 30' "loss, jitter and MOS measured"
assert_json "$S" '.calls.media_policy.port_out_of_range == 0 and .calls.media_policy.dscp_mismatch == 0 and .calls.media_policy.dscp_checked == 12' "port range and DSCP as the policy says"
assert_json "$S" '[.findings[].id] | (index("connected-no-media") == null and index("dscp-mismatch") == null)' "no media findings"
grep '"step":"call"' "$T/ok/events.jsonl" | head -1 | jq -e '.media.srtp and .media.flowed and .media.greeting_heard and .media.dscp == 46 and .media.peer_port_in_range and .media.mos > 4' >/dev/null ||
    fail "call event lacks its media: $(grep '"step":"call"' "$T/ok/events.jsonl" | head -1)"
ok "each call event carries its media (SRTP, flowed, greeting, DSCP 46, MOS)"
[ ! -d "$T/ok/audio" ] || [ -z "$(ls "$T/ok/audio")" ] || fail "audio kept for calls that did not fail"
ok "no audio kept for good calls"

# 2. The UM answers but sends nothing: connected-no-media, critical.
run nomedia 2 --fault um_no_media=true
S="$T/nomedia/summary.json"
assert_json "$S" '.calls.connected_no_media == 12 and .steps.call.failures["connected-no-media"] == 12' "um_no_media: 12 connected-no-media"
assert_json "$S" '[.findings[] | select(.id == "connected-no-media" and .severity == "critical")] | length == 1' "connected-no-media finding, critical"

# 3. The UM sends SRTP with another key: nothing authenticates.
run wrongkey 2 --fault um_wrong_key=true
S="$T/wrongkey/summary.json"
assert_json "$S" '.steps.call.failures["connected-no-media"] == 12 and .calls.media_policy.srtp_unauthenticated_packets > 100' "um_wrong_key: connected-no-media, SRTP authentication failures counted"
grep -q "failed SRTP authentication" "$T/wrongkey.out" || fail "the evidence does not say SRTP authentication failed"
ok "um_wrong_key: evidence names the SRTP failures"

# 4. The UM answers from a port outside the server audio range: a warning.
run outside 1 --fault um_port_outside_range=true
S="$T/outside/summary.json"
assert_json "$S" '.verdict == "warning" and .calls.media_policy.port_out_of_range == 12' "um_port_outside_range: warning, 12 calls out of range"
assert_json "$S" '[.findings[] | select(.id == "media-port-out-of-range") | .evidence] | .[0] | contains("49152-57500")' "finding quotes the server range"

# 5. The UM marks its media with DSCP 0: a warning naming both marks.
run dscp 1 --fault um_dscp=0
S="$T/dscp/summary.json"
assert_json "$S" '.calls.media_policy.dscp_mismatch == 12' "um_dscp=0: 12 calls mismatched"
assert_json "$S" '[.findings[] | select(.id == "dscp-mismatch") | .evidence] | .[0] | (contains("DSCP 0") and contains("46"))' "finding says DSCP 0 against 46"

# 6. Media stops before the greeting is whole: no-greeting, audio kept.
run stop 2 --fault um_stop_media_after_ms=400
S="$T/stop/summary.json"
assert_json "$S" '.steps.call.failures["no-greeting"] == 12 and .calls.media_ok == 12' "um_stop_media_after_ms: media flowed, no greeting"
n=$(ls "$T/stop/audio/"*.wav 2>/dev/null | wc -l)
[ "$n" -eq 12 ] || fail "want 12 WAV files of the failed calls, got $n"
grep '"step":"call"' "$T/stop/events.jsonl" | head -1 | jq -e '.class == "no-greeting"' >/dev/null || fail "event lacks class no-greeting"
ok "12 WAV files of the failed calls in audio/"

# 7. On the wire: SRTP (not RTP) payloads, DSCP 46 both ways.
if command -v tshark >/dev/null 2>&1; then
    tshark -i lo -f "udp portrange 20000-32767" -w "$T/media.pcap" -q >"$T/tshark.out" 2>&1 &
    TPID=$!; PIDS="$PIDS $TPID"
    for _ in $(seq 50); do grep -q "Capturing on" "$T/tshark.out" && break; sleep 0.1; done
    run wire 0
    sleep 0.5; kill -INT "$TPID"; wait "$TPID" 2>/dev/null || true
    # Only this run's calls: tests running beside it send media in the same
    # ranges (relayed packets unmarked), so the UM ports its calls used
    # select the packets.
    um_ports=$(jq -r 'select(.step == "call") | .media.peer_port' "$T/wire/events.jsonl" | sort -u | paste -sd',')
    [ -n "$um_ports" ] || fail "wire: no UM media ports in the events"
    WIRE="udp.length > 100 && udp.port in {$um_ports}"
    dscps=$(tshark -r "$T/media.pcap" -Y "$WIRE" -T fields -e ip.dsfield.dscp 2>/dev/null | sort | uniq -c)
    echo "$dscps" | grep -qE '^ *[0-9]+ 46$' || fail "media on the wire not marked 46: $dscps"
    [ "$(echo "$dscps" | grep -vcE ' 46$|^$')" -eq 0 ] || fail "other DSCP marks on the wire: $dscps"
    # 172-byte RTP with PCMU would be 180 bytes of UDP payload + 10 bytes of SRTP tag.
    sizes=$(tshark -r "$T/media.pcap" -Y "$WIRE" -T fields -e udp.length 2>/dev/null | sort | uniq -c | sort -rn | head -1)
    echo "$sizes" | grep -qE ' 190$' || fail "most media packets are not 182-byte SRTP (UDP length 190): $sizes"
    ok "on the wire: SRTP packets (182 bytes: 12 header + 160 PCMU + 10 tag), all DSCP 46"
else
    echo "skip: tshark not installed"
fi

# 8. DTMF: a PIN and # sent as RFC 4733 events in the call; the lab's UM
#    (its own process, so its counters speak) received every key.
"$SYNTH" lab --state-dir "$T/labdtmf" --write-target "$T/labdtmf.yaml" >"$T/labdtmf.out" 2>&1 &
LABPID=$!; PIDS="$PIDS $LABPID"
wait_for_line "$T/labdtmf.out" "lab ready" 10
cat >"$T/pin.yaml" <<SCN
name: pin
steps:
  - register
  - call: {hold: 15s}
  - dtmf: {keys: "1234#", tone: 100ms, pause: 80ms}
  - hangup
  - unregister
load: {users: 2, rate: 2, iterations: 2}
SCN
rc=0; "$SYNTH" run "$T/pin.yaml" --target "$T/labdtmf.yaml" --out "$T/pin" --workers 1 --quiet >"$T/pin.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "dtmf: exit $rc: $(tail -20 "$T/pin.out")"
assert_json "$T/pin/summary.json" '.steps.dtmf.ok == 2 and .steps.dtmf.latency_ms.p50 > 700' "dtmf: 2 steps sent their 5 keys (about 0.8 s each)"
kill -TERM "$LABPID"
for _ in $(seq 100); do grep -q "lab media" "$T/labdtmf.out" && break; sleep 0.1; done
grep -q "^lab media: 10 dtmf keys received" "$T/labdtmf.out" || fail "the UM did not get 10 keys: $(tail -2 "$T/labdtmf.out")"
ok "dtmf: the UM received all 10 keys"

# 9. The field failure: 200 OK and ACK, no media, a delay, then the far end's
#    BYE: connected-no-media (not "dropped"), with who hung up.
run fieldcase 2 --fault um_no_media=true --fault bye_after_ms=1500
grep '"step":"call"' "$T/fieldcase/events.jsonl" | head -1 | jq -e '.class == "connected-no-media" and .bye_by_peer == true' >/dev/null ||
    fail "no media then the far end's BYE: $(grep '"step":"call"' "$T/fieldcase/events.jsonl" | head -1)"
ok "no media, then the far end's BYE: connected-no-media, bye_by_peer"

# 10. One-way audio: the UM cannot decrypt what synth sends; synth hears the
#     greeting, and the UM's own RTCP says it heard nothing.
run deaf 1 --fault um_deaf=true
S="$T/deaf/summary.json"
assert_json "$S" '.calls.greeting_heard == 12 and .calls.media_policy.one_way_to_us == 12' "um_deaf: greeting heard, the far end's RTCP says it heard nothing"
assert_json "$S" '[.findings[].id] | index("one-way-audio") != null' "um_deaf: one-way-audio finding"

# 11. The UM records what callers say: one WAV per call, with audio in it
#     (synth's voice, not silence).
mkdir -p "$T/umrec"
printf 'um_record_dir: %s\n' "$T/umrec" >"$T/labrec.yaml"
run rec 0 --lab-config "$T/labrec.yaml"
n=$(ls "$T/umrec/"*.wav 2>/dev/null | wc -l)
[ "$n" -eq 12 ] || fail "the UM kept $n recordings, want 12"
rms=$(python3 -c 'import sys,wave,audioop; w=wave.open(sys.argv[1]); print(audioop.rms(w.readframes(w.getnframes()), 2))' "$(ls "$T/umrec/"*.wav | head -1)")
[ "$rms" -gt 300 ] || fail "the UM's recording is nearly silent (RMS $rms)"
ok "the UM recorded 12 calls with synth's voice in them (RMS $rms)"
