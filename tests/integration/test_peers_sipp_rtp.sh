#!/bin/bash
# synth's media against SIPp, which we did not write: a UAS answering with
# plain RTP, PCMA only, 30 ms packets, and playing Debian's g711a.pcap
# (sip-tester) after the ACK. That capture is a voice: 0.6 s of silence, then
# about 6.5 s of speech (energy at syllable rate, pitch 100-180 Hz), so the
# greeting is required. SIPp sends no RTCP and never reads what synth sends.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

PCAP=/usr/share/sip-tester/g711a.pcap
[ -r "$PCAP" ] || { echo "skip: $PCAP missing (package sip-tester)"; exit 0; }
# play_pcap_audio sends on a raw socket: root or CAP_NET_RAW on sipp.
if [ "$(id -u)" -ne 0 ] && ! getcap "$(command -v sipp)" 2>/dev/null | grep -q cap_net_raw; then
    echo "skip: SIPp's play_pcap_audio needs root or CAP_NET_RAW (setcap cap_net_raw+ep $(command -v sipp))"
    exit 0
fi

# start_sipp_pcap_uas PORT MEDIAPORT LOGPREFIX
start_sipp_pcap_uas() {
    sipp -sf "$SRC/tests/integration/sipp/uas-pcap-pcma.xml" -key pcap "$PCAP" \
        -i 127.0.0.1 -p "$1" -mi 127.0.0.1 -mp "$2" -t u1 -bg -trace_err -error_file "$3.err" \
        >"$3.out" 2>&1 </dev/null || true   # -bg: the parent exits 99
    pid=$(grep -o 'PID=\[[0-9]*\]' "$3.out" | tr -dc 0-9)
    [ -n "$pid" ] || fail "no sipp PID in $(cat "$3.out")"
    PIDS="$PIDS $pid"
    wait_for_port udp "$1" 10
}

UAS=$(free_port); MEDIA=$(free_port)
start_sipp_pcap_uas "$UAS" "$MEDIA" "$T/uas"

target() { # NAME DSCP-LINE
    cat >"$T/$1.yaml" <<TGT
name: $1
sip_domain: 127.0.0.1
registrar: {host: 127.0.0.1, port: $UAS, transport: udp}
voicemail_uri: "sip:vm@127.0.0.1:$UAS"
users: {pattern: "sip:caller{n}@127.0.0.1", password: unused, count: 2}
media:
  srtp: off
  client_ports: {audio: 20000-29999}
  server_ports: {audio: 1024-65535}
$2
TGT
}
scenario() { # NAME ITERATIONS
    cat >"$T/$1.yaml" <<SCN
name: $1
steps:
  - call: {hold: 8s, timeout: 5s, greeting: required}   # ends once the greeting is heard
  - hangup
load: {users: 2, rate: 0.5, iterations: $2}
sip: {t1: 100ms}
SCN
}
run() { # NAME SCENARIO TARGET EXPECTED_EXIT
    rc=0; "$SYNTH" run "$T/$2.yaml" --target "$T/$3.yaml" --out "$T/$1" --workers 1 --quiet >"$T/$1.out" 2>&1 || rc=$?
    [ $rc -eq "$4" ] || fail "$1: exit $rc, want $4: $(tail -25 "$T/$1.out"; tail -5 "$T/uas.err" 2>/dev/null)"
}

# 1. SIPp marks nothing (DSCP 0), so the policy here expects 0: a clean run.
target sipp-rtp "  dscp: {audio: 0}"
scenario pcap-calls 3
CAP=""
if command -v tshark >/dev/null 2>&1; then
    tshark -i lo -f "udp port $MEDIA" -w "$T/media.pcap" -q >"$T/tshark.log" 2>&1 &
    CAP=$!; PIDS="$PIDS $CAP"
    wait_for_line "$T/tshark.log" "Capturing on" 10
fi
run pcap pcap-calls sipp-rtp 0
S="$T/pcap/summary.json"
assert_json "$S" '.verdict == "ok" and .calls.attempted == 3 and .calls.answered == 3 and .steps.hangup.ok == 3' "SIPp answered 3 calls, all hung up"
assert_json "$S" '.calls.media_ok == 3 and .calls.connected_no_media == 0' "RTP from SIPp's pcap in all 3 calls"
assert_json "$S" '.calls.greeting_heard == 3' "the speech in g711a.pcap heard as the greeting in all 3 calls"
# The capture's first 0.6 s are silence (RMS 8 of 32767): speech starts after them.
assert_json "$S" '.calls.greeting_onset_ms.count == 3 and .calls.greeting_onset_ms.p50 >= 550 and .calls.greeting_onset_ms.max < 1500' "greeting onset after the pcap's 0.6 s of silence"
assert_json "$S" '.calls.first_media_ms.count == 3 and .calls.first_media_ms.p95 < 1000' "first media measured, within a second of the 200"
assert_json "$S" '.calls.loss_pct.max < 5 and .calls.mos.p50 > 3.5' "30 ms PCMA packets: loss < 5 %, MOS > 3.5"
assert_json "$S" '.calls.media_policy.srtp_unauthenticated_packets == 0' "no SRTP failures counted on plain RTP"
assert_json "$S" '.calls.media_policy.port_checked == 3 and .calls.media_policy.port_out_of_range == 0 and .calls.media_policy.dscp_mismatch == 0' "SIPp's media port and DSCP 0 as the policy says"
assert_json "$S" '[.findings[].id] | length == 0' "no findings"
# Each call's own media object in events.jsonl.
jq -s '[.[] | select(.step == "call")]' "$T/pcap/events.jsonl" >"$T/pcap/calls.json"
assert_json "$T/pcap/calls.json" 'length == 3 and all(.[]; .media.srtp == false and .media.flowed and .media.greeting_heard and .media.unauthenticated == 0)' "events: 3 calls, plain RTP, media flowed, greeting heard, nothing unauthenticated"
assert_json "$T/pcap/calls.json" "all(.[]; .media.peer_port == $MEDIA and .media.peer_port_in_range and .media.dscp == 0 and .media.loss_pct < 5 and .media.received > 50)" "events: media from SIPp's port $MEDIA, DSCP 0, loss < 5 %"

if [ -n "$CAP" ]; then
    sleep 0.3; kill -INT "$CAP"; wait "$CAP" 2>/dev/null || true
    # What synth sent to SIPp's media port: PCMA (PT 8), 20 ms, plain RTP (172 bytes).
    sent=$(tshark -r "$T/media.pcap" -d "udp.port==$MEDIA,rtp" -Y "udp.dstport == $MEDIA && rtp" \
        -T fields -e rtp.p_type -e udp.length 2>/dev/null | sort | uniq -c)
    echo "$sent" | awk '$2 == 8 && $3 == 180 { n = $1 } END { exit !(n > 100) }' || fail "synth did not send PCMA RTP to SIPp: $sent"
    [ "$(echo "$sent" | awk 'NF == 3 && !($2 == 8 && $3 == 180)' | wc -l)" -eq 0 ] || fail "synth sent other payloads than the answered PCMA: $sent"
    # What SIPp played: the pcap's 236 packets of 30 ms PCMA per call, until the BYE.
    got=$(tshark -r "$T/media.pcap" -Y "udp.srcport == $MEDIA" -T fields -e udp.length 2>/dev/null | sort | uniq -c)
    echo "$got" | awk '$2 == 260 { n = $1 } END { exit !(n > 100) }' || fail "SIPp played no pcap RTP: $got"
    ok "on the wire: synth sent the answered PCMA (PT 8) as plain RTP, SIPp played its 30 ms PCMA"
else
    echo "skip: tshark not installed, the wire not checked"
fi

# 2. With the default policy (DSCP 46) SIPp's unmarked media is a warning
# that names both marks, and nothing else is wrong.
target sipp-rtp-dscp ""
scenario pcap-dscp 2
run dscp pcap-dscp sipp-rtp-dscp 1
S="$T/dscp/summary.json"
assert_json "$S" '.verdict == "warning" and .calls.media_ok == 2 and .calls.greeting_heard == 2 and .calls.media_policy.dscp_mismatch == 2' "default policy: SIPp's DSCP 0 mismatched in both calls"
assert_json "$S" '[.findings[].id] == ["dscp-mismatch"] and (.findings[0].evidence | contains("DSCP 0") and contains("46"))' "the only finding is dscp-mismatch, DSCP 0 against 46"
