#!/bin/bash
# synth's media against baresip, a real SRTP endpoint we did not write,
# answering headless as a voicemail stand-in: it plays a spoken greeting made
# here with espeak-ng and records what it decodes from synth.
#   1. mandatory SRTP (RTP/SAVP, SDES): media both ways, greeting heard, SRTP
#      on the wire, and baresip heard synth's prompt;
#   2. baresip without SRTP vs synth's `srtp: required`: baresip refuses the
#      RTP/SAVP offer with 488, which synth reports as `rejected` (exit 2);
#   3. the same baresip vs `srtp: optional` (RTP/AVP with keys): plain RTP;
#   4. baresip offering G.722 only, synth preferring G.722: wideband SRTP,
#      greeting heard through synth's G.722 decoder;
#   1b. synth with `media_path: relay` through coturn and baresip without ICE
#      (RFC 8445 backwards compatibility): media crosses the relay both ways.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

for tool in baresip espeak-ng; do
    command -v "$tool" >/dev/null 2>&1 || { echo "skip: $tool not installed (scripts/setup.sh --tests)"; exit 0; }
done
PY="python3 -W ignore::DeprecationWarning"   # audioop is deprecated in 3.11, still there

# The greeting: espeak-ng speech, 8 kHz mono 16-bit (all aufile plays at 8 kHz).
espeak-ng -w "$T/raw.wav" "Hello. You have reached the voicemail of the synth test team. \
Nobody is here to take your call. Please leave a message after the tone." \
    || fail "espeak-ng could not write a WAV"
$PY - "$T/raw.wav" "$T/prompt.wav" "$T/prompt16.wav" <<'PY' || fail "could not convert the greeting to 8 and 16 kHz"
import audioop, sys, wave
r = wave.open(sys.argv[1])
ch, width, rate = r.getnchannels(), r.getsampwidth(), r.getframerate()
pcm = r.readframes(r.getnframes())
if ch == 2:
    pcm = audioop.tomono(pcm, width, 0.5, 0.5)
if width != 2:
    pcm = audioop.lin2lin(pcm, width, 2)
# aufile plays a file only at the codec's own rate: 8 kHz for G.711, 16 kHz for G.722.
for out, to in ((sys.argv[2], 8000), (sys.argv[3], 16000)):
    conv, _ = audioop.ratecv(pcm, 2, 1, rate, to, None)
    w = wave.open(out, "wb")
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(to); w.writeframes(conv); w.close()
PY

# A SIP port P with P+1 free too: baresip listens on UDP and TCP P and, with
# TLS built in, on TCP P+1 (even without certificates).
sip_port() {
    for _ in $(seq 20); do
        p=$(free_port)
        python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.close()" \
            $((p + 1)) 2>/dev/null && { echo "$p"; return; }
    done
    fail "no free pair of ports"
}

# start_baresip NAME MEDIAENC [CODEC]: baresip answering sip:vm@127.0.0.1:PORT at once,
# CODEC only (default PCMU; G722 loads baresip's g722 module), with MEDIAENC ("srtp-mand" or "" for none). It sends DIR/prompt.wav
# and the sndfile filter writes what it decodes to DIR/snd/dump-*-dec.wav (in
# baresip 1.0 aufile is only a source: `audio_player aufile,...` plays nothing).
# Left alone, baresip puts its first interface's address (not 127.0.0.1) in
# c= and a=rtcp: net_interface keeps all its media on loopback. Its RTP ports
# are its own choice within a 20-port range, known here only to narrow the
# capture. Sets PORT and RTP (the first of the range).
start_baresip() {
    d="$T/bs-$1"; mkdir -p "$d/snd"
    prompt=prompt.wav; [ "${3:-PCMU}" = G722 ] && prompt=prompt16.wav
    PORT=$(sip_port); ctrl=$(free_port); RTP=$(free_port)
    [ "$RTP" -le 19970 ] || RTP=$((RTP - 30))
    RTP=$((RTP / 2 * 2))   # baresip takes an even RTP port (RTCP on the next)
    cat >"$d/config" <<CFG
sip_listen 127.0.0.1:$PORT
net_interface 127.0.0.1
rtp_ports $RTP-$((RTP + 19))
rtp_tos 184
audio_source aufile,$T/$prompt
module_path /usr/lib/baresip/modules
module g711.so
module g722.so
module aufile.so
module srtp.so
module sndfile.so
snd_path $d/snd
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:$ctrl
CFG
    enc=""; [ -n "$2" ] && enc=";mediaenc=$2"
    echo "<sip:vm@127.0.0.1:$PORT;transport=udp>;regint=0$enc;answermode=auto;audio_codecs=${3:-PCMU}" >"$d/accounts"
    : >"$d/contacts"
    baresip -f "$d" >"$d/baresip.log" 2>&1 </dev/null &
    PIDS="$PIDS $!"
    wait_for_line "$d/baresip.log" "baresip is ready" 10
    wait_for_port udp "$PORT" 10
    wait_for_port tcp "$ctrl" 10
    kill -0 "$!" 2>/dev/null || fail "baresip exited: $(tail -5 "$d/baresip.log")"
}

# target NAME PORT SRTP [CODECS]: synth straight at baresip over UDP, no registration.
target() {
    cat >"$T/$1.yaml" <<TGT
name: $1
sip_domain: 127.0.0.1
registrar: {host: 127.0.0.1, port: $2, transport: udp}
voicemail_uri: "sip:vm@127.0.0.1:$2"
users: {pattern: "sip:caller{n}@127.0.0.1", password: unused, count: 2}
media: {srtp: $3, client_ports: {audio: 20000-29999}, server_ports: {audio: 1024-65535}, codecs: ${4:-[PCMU, PCMA]}}
TGT
}
cat >"$T/calls.yaml" <<SCN
name: baresip-calls
steps:
  - call: {hold: 10s, timeout: 5s}   # ends once the greeting is heard
  - hangup
load: {users: 2, rate: 0.5, iterations: 3}
sip: {t1: 100ms}
SCN

run() { # NAME TARGET: sets RC; a run that wrote no summary is a failure at once
    RC=0; "$SYNTH" run "$T/calls.yaml" --target "$T/$2.yaml" --out "$T/$1" --workers 1 --quiet >"$T/$1.out" 2>&1 || RC=$?
    [ -s "$T/$1/summary.json" ] || fail "$1: exit $RC and no summary.json: $(tail -25 "$T/$1.out")"
}

# Checks that go on to the end before failing the test, so that one wrong
# judgement (see one_way below) does not hide the rest of the assertions.
LATE=""
late_fail() { echo "FAIL: $*" >&2; LATE="$LATE
  $*"; }
expect_exit() { # NAME WANT
    [ "$RC" -eq "$2" ] && { ok "$1: exit $2"; return; }
    late_fail "$1: exit $RC, want $2: $(grep -m1 '^verdict' "$T/$1.out")"
}
# baresip sends no receiver report in a 2 s call (its RTCP interval is 5 s),
# only a lone RTCP APP "PING" at answer time (a NAT pinhole, no report
# blocks) and BYE+SDES at hangup. That is no evidence that it did not hear
# synth, and its recordings show it did: a correct tester reports no
# one-way audio here.
one_way() { # SUMMARY
    v=$(jq -c '[.calls.media_policy.peer_reports, .calls.media_policy.one_way_to_us, [.findings[] | select(.id == "one-way-audio") | .evidence]]' "$1")
    jq -e '(.calls.media_policy.one_way_to_us // 0) == 0 and ([.findings[] | select(.id == "one-way-audio")] | length == 0)' "$1" >/dev/null \
        && { ok "no one-way-audio judged from baresip's report-less RTCP"; return; }
    late_fail "one-way-audio judged from RTCP without a report block (peer_reports, one_way_to_us, evidence: $v)"
}

# Capture the SIP and media on loopback while synth runs (optional: tshark).
capture_start() { # PCAP SIPPORT
    CAP=""
    command -v tshark >/dev/null 2>&1 || return 0
    tshark -i lo -f "udp and (port $2 or portrange $RTP-$((RTP + 21)))" -w "$1" -q >"$1.log" 2>&1 &
    CAP=$!; PIDS="$PIDS $CAP"
    wait_for_line "$1.log" "Capturing on" 10
}
capture_stop() {
    [ -n "$CAP" ] || return 0
    sleep 0.3; kill -INT "$CAP"; wait "$CAP" 2>/dev/null || true
}
# media_lengths PCAP: "count udp-length" lines of the packets to and from the
# RTP ports baresip answered with (read from its 200 OK SDPs in the capture).
media_lengths() {
    ports=$(tshark -r "$1" -Y 'sip.Status-Code == 200 && sdp' -T fields -e sdp.media.port 2>/dev/null | sort -u)
    [ -n "$ports" ] || fail "no 200 OK with SDP in $1"
    f=$(for p in $ports; do printf 'udp.port == %s || ' "$p"; done); f="(${f% || }) && !sip"
    tshark -r "$1" -Y "$f" -T fields -e udp.length 2>/dev/null | sort | uniq -c | sort -rn
}

# 1. Mandatory SRTP.
start_baresip srtp srtp-mand
target baresip-srtp "$PORT" required
capture_start "$T/srtp.pcap" "$PORT"
run srtp baresip-srtp
capture_stop
S="$T/srtp/summary.json"
expect_exit srtp 0
one_way "$S"
assert_json "$S" '.calls.attempted == 3 and .calls.answered == 3 and .steps.hangup.ok == 3' "baresip answered 3 calls over UDP, all hung up"
assert_json "$S" '.calls.media_ok == 3 and .calls.greeting_heard == 3 and .calls.connected_no_media == 0' "SRTP media in all 3 calls, baresip's spoken greeting heard in all"
assert_json "$S" '.calls.media_policy.srtp_unauthenticated_packets == 0' "every SRTP packet from baresip authenticated"
assert_json "$S" '.calls.first_media_ms.count == 3 and .calls.first_media_ms.p95 < 1000 and .calls.greeting_onset_ms.count == 3' "first media and greeting onset measured"
assert_json "$S" '.calls.loss_pct.max < 1 and .calls.mos.p50 > 3.5 and .calls.jitter_ms.p95 < 30' "loss < 1 %, MOS > 3.5"
assert_json "$S" '.calls.media_policy.port_checked == 3 and .calls.media_policy.port_out_of_range == 0' "baresip's RTP port checked against server_ports"
assert_json "$S" '.calls.media_policy.dscp_checked == 3 and .calls.media_policy.dscp_mismatch == 0' "baresip's DSCP 46 (rtp_tos 184) received as the policy says"
# Each call's own media object in events.jsonl.
calls() { jq -s '[.[] | select(.step == "call")]' "$T/$1/events.jsonl" >"$T/$1/calls.json"; echo "$T/$1/calls.json"; }
C=$(calls srtp)
assert_json "$C" 'length == 3 and all(.[]; .media.srtp == true and .media.flowed and .media.greeting_heard and .media.unauthenticated == 0 and .media.loss_pct < 1)' "events: 3 calls with SRTP, media and greeting, nothing unauthenticated"
assert_json "$C" "all(.[]; .media.peer_port >= $RTP and .media.peer_port <= $((RTP + 19)) and .media.peer_port_in_range and .media.dscp == 46)" "events: media from baresip's rtp_ports $RTP-$((RTP + 19)), DSCP 46"
B="$T/bs-srtp/baresip.log"
n=$(grep -c "SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)" "$B" || true)
[ "$n" -eq 3 ] || fail "baresip enabled SRTP in $n calls, want 3: $(grep -i srtp "$B" | tail -5)"
ok "baresip enabled SRTP (AES_CM_128_HMAC_SHA1_80) in all 3 calls"
n=$(grep -c "Call established" "$B" || true)
[ "$n" -eq 3 ] || fail "baresip established $n calls, want 3"
ok "baresip saw 3 calls established"

# What baresip decoded from synth: 3 recordings, each over a second of sound.
$PY - "$T/bs-srtp/snd" <<'PY' || fail "baresip did not hear synth's prompt"
import audioop, glob, sys, wave
files = sorted(glob.glob(sys.argv[1] + "/dump-*-dec.wav"))
if len(files) != 3:
    sys.exit(f"want 3 recordings of what baresip decoded, got {len(files)}: {files}")
for f in files:
    w = wave.open(f)
    pcm = w.readframes(w.getnframes())
    secs, rms = w.getnframes() / w.getframerate(), audioop.rms(pcm, 2)
    if secs < 1.0 or rms < 100:
        sys.exit(f"{f}: {secs:.2f} s, RMS {rms}: want over 1 s of sound (RMS >= 100)")
    print(f"  {f.rsplit('/', 1)[1]}: {secs:.2f} s, RMS {rms}")
PY
ok "baresip received synth's audio: 3 recordings, each over a second, not silence"

if [ -n "$CAP" ]; then
    ans=$(tshark -r "$T/srtp.pcap" -Y 'sip.Status-Code == 200 && sdp' -T fields -e sdp.media.proto -e sdp.crypto.crypto_suite 2>/dev/null | sort | uniq -c)
    echo "$ans" | grep -qE '^ *3 RTP/SAVP	AES_CM_128_HMAC_SHA1_80$' || fail "baresip's answers are not RTP/SAVP with one AES_CM_128_HMAC_SHA1_80 key: $ans"
    ok "on the wire: 3 answers RTP/SAVP with a=crypto AES_CM_128_HMAC_SHA1_80"
    lens=$(media_lengths "$T/srtp.pcap")
    # PCMU 20 ms in SRTP: 12 header + 160 payload + 10 tag = 182 bytes, UDP length 190.
    echo "$lens" | awk '$2 == 190 { n = $1 } END { exit !(n > 300) }' || fail "too few 182-byte SRTP packets: $lens"
    [ "$(echo "$lens" | awk '$2 != 190 && $2 > 100' | wc -l)" -eq 0 ] || fail "media packets of other sizes (plain RTP is 180): $lens"
    ok "on the wire: SRTP both ways (UDP length 190: 12 + 160 PCMU + 10 tag), no plain RTP"
else
    echo "skip: tshark not installed, SRTP on the wire not checked"
fi

# 1b. The same baresip, synth offering only a relay on coturn: baresip does
# no ICE, so it sends to the relay address in c=, and synth through it.
TPORT=$(free_port)
TRMIN=$(relay_range)
mkdir -p "$T/coturn"
start_coturn "$T/coturn" "$TPORT" "$TRMIN" $((TRMIN + 49)) relayuser relay-secret-7 synth.test
sed "s|^media: {srtp: required, |media: {turn: {host: 127.0.0.1, port: $TPORT, username: relayuser, password: relay-secret-7}, srtp: required, |" \
    "$T/baresip-srtp.yaml" >"$T/baresip-relay.yaml"
grep -q "turn:" "$T/baresip-relay.yaml" || fail "could not add media.turn to the baresip target"
sed 's/hold: 10s, timeout: 5s}/hold: 10s, timeout: 5s, media_path: relay}/' "$T/calls.yaml" >"$T/calls-relay.yaml"
RC=0; "$SYNTH" run "$T/calls-relay.yaml" --target "$T/baresip-relay.yaml" --out "$T/relay" --workers 1 \
    --quiet >"$T/relay.out" 2>&1 || RC=$?
expect_exit relay 0
C=$(calls relay)
assert_json "$C" "length == 3 and all(.[]; .media.media_path == \"relay\" and .media.ice == null and .media.greeting_heard and .media.unauthenticated == 0)" "baresip without ICE, media_path relay: 3 calls through coturn, greeting heard"

# 2. baresip without SRTP; synth requires it. synth offers RTP/SAVP, which a
# peer without SRTP cannot take: baresip answers 488 Not Acceptable Here
# (RFC 3261 21.4.26) instead of 200 with an unusable answer, so this is
# `rejected` with the 488 as evidence, not `sdp-unusable` (that is for a 200
# whose answer cannot be used). No media, no call to hang up.
start_baresip plain ""
PLAIN=$PORT
target baresip-plain-required "$PLAIN" required
run required baresip-plain-required
S="$T/required/summary.json"
expect_exit required 2
assert_json "$S" '.verdict == "critical" and .calls.attempted == 3 and .calls.answered == 0 and .steps.call.failures.rejected == 3' "RTP/SAVP offer to a peer without SRTP: 3 calls rejected"
assert_json "$S" '[.findings[] | select(.id == "call.rejected") | .evidence] | .[0] | contains("488")' "the finding quotes baresip's 488"
assert_json "$S" '(.calls.media_ok // 0) == 0 and (.steps.call.failures["sdp-unusable"] // 0) == 0' "no media and no sdp-unusable without a 200"
C=$(calls required)
assert_json "$C" 'length == 3 and all(.[]; .class == "rejected" and .sip_status == 488 and .media == null)' "events: 3 calls rejected with 488, no media object"
grep -q "Call established" "$T/bs-plain/baresip.log" && fail "baresip established a call it should have refused"
ok "baresip established no call"

# 3. The same baresip, synth with `srtp: optional`: RTP/AVP with keys offered,
# baresip ignores the keys and answers RTP/AVP: plain RTP, greeting heard.
target baresip-plain-optional "$PLAIN" optional
capture_start "$T/plain.pcap" "$PLAIN"
run optional baresip-plain-optional
capture_stop
S="$T/optional/summary.json"
expect_exit optional 0
one_way "$S"
assert_json "$S" '.calls.answered == 3 and .calls.media_ok == 3 and .calls.greeting_heard == 3' "srtp optional vs plain baresip: media and greeting in all 3 calls"
assert_json "$S" '.calls.loss_pct.max < 1 and .calls.mos.p50 > 3.5' "plain RTP: loss < 1 %, MOS > 3.5"
C=$(calls optional)
assert_json "$C" 'length == 3 and all(.[]; .media.srtp == false and .media.flowed and .media.greeting_heard)' "events: 3 calls on plain RTP (srtp false), greeting heard"
if [ -n "$CAP" ]; then
    ans=$(tshark -r "$T/plain.pcap" -Y 'sip.Status-Code == 200 && sdp' -T fields -e sdp.media.proto -e sdp.crypto.crypto_suite 2>/dev/null | sort | uniq -c)
    echo "$ans" | grep -qE '^ *3 RTP/AVP	?$' || fail "baresip's answers are not RTP/AVP without keys: $ans"
    lens=$(media_lengths "$T/plain.pcap")
    echo "$lens" | awk '$2 == 180 { n = $1 } END { exit !(n > 300) }' || fail "too few 172-byte RTP packets: $lens"
    [ "$(echo "$lens" | awk '$2 != 180 && $2 > 100' | wc -l)" -eq 0 ] || fail "media packets of other sizes: $lens"
    ok "on the wire: answers RTP/AVP without a=crypto, plain RTP both ways (UDP length 180)"
fi

# 4. G.722 (RFC 3551 4.5.2: payload type 9, an 8000 Hz RTP clock at 16 kHz
# sampling): baresip answers with G.722 only, synth offers it first.
start_baresip g722 srtp-mand G722
target baresip-g722 "$PORT" required "[G722, PCMU]"
capture_start "$T/g722.pcap" "$PORT"
run g722 baresip-g722
capture_stop
S="$T/g722/summary.json"
expect_exit g722 0
assert_json "$S" '.calls.answered == 3 and .calls.media_ok == 3 and .calls.greeting_heard == 3' "G.722 with baresip: media and greeting in all 3 calls"
C=$(calls g722)
assert_json "$C" 'all(.[]; .media.codec == "G722" and .media.srtp and .media.loss_pct < 1)' "events: 3 calls on G722 over SRTP"
n=$(grep -ci "g722" "$T/bs-g722/baresip.log" || true)
[ "$n" -gt 0 ] || late_fail "baresip's log does not mention G722: $(grep -i audio "$T/bs-g722/baresip.log" | tail -3)"
if [ -n "$CAP" ]; then
    pts=$(tshark -r "$T/g722.pcap" -Y 'sip.Status-Code == 200 && sdp' -T fields -e sdp.media.format 2>/dev/null | sort -u)
    echo "$pts" | grep -q "G.722" || late_fail "baresip's answers do not name G722: $pts"
    lens=$(media_lengths "$T/g722.pcap")
    # G.722 64 kbit/s, 20 ms: 160 bytes, so SRTP is the same 190 UDP bytes as PCMU.
    echo "$lens" | awk '$2 == 190 { n = $1 } END { exit !(n > 300) }' || late_fail "too few 182-byte SRTP G.722 packets: $lens"
    ok "on the wire: answers name G722, SRTP packets of 160-byte G.722 frames"
fi

[ -z "$LATE" ] || fail "these checks failed:$LATE"
