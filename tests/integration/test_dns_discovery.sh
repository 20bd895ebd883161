#!/bin/bash
# Discovery by DNS, as clients do: a target that gives only its SIP domain
# finds the registrar by _sipinternaltls._tcp and the Edge by _sip._tls,
# against a real DNS server (dnsmasq) on loopback serving a test zone that
# points at the lab. Missing and wrong records are findings.
. "$(dirname "$0")/lib.sh"
command -v dnsmasq >/dev/null || fail "dnsmasq not installed (scripts/setup.sh --tests)"
D=lab.synth.test

lab_start lab
fe_port=$(sed -n 's/.* tls:\([0-9]*\), um.*/\1/p' "$T/lab.out")
edge_port=$(sed -n 's/.*edge tls:\([0-9]*\),.*/\1/p' "$T/lab.out")
[ -n "$fe_port" ] && [ -n "$edge_port" ] || fail "cannot read the lab's ports: $(cat "$T/lab.out")"

# start_dns NAME [SRV-RECORDS...]: dnsmasq answering only from its options.
start_dns() {
    local name=$1; shift
    DNS_PORT=$(free_port)
    dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
        --listen-address=127.0.0.1 --port="$DNS_PORT" --user=root \
        --pid-file="$T/$name.pid" --log-facility="$T/$name.log" --log-queries \
        --host-record=fe.$D,127.0.0.1 --host-record=sip.$D,127.0.0.1 \
        --host-record=lyncdiscover.$D,127.0.0.1 --host-record=lyncdiscoverinternal.$D,127.0.0.1 \
        "$@" >"$T/$name.out" 2>&1 &
    PIDS="$PIDS $!"
    wait_for_port udp "$DNS_PORT" 10
}

# target_by_dns FILE [EXTRA-YAML]: the lab's users, no registrar, discover on.
target_by_dns() {
    cat >"$1" <<TGT
name: lab-by-dns
sip_domain: $D
discover:
  dns_servers: "127.0.0.1:$DNS_PORT"
  timeout: ${DNS_TIMEOUT:-3s}
  tls: {ca_file: "$T/lab/ca.pem"}
users: {pattern: "sip:user{n:04}@$D", password: synth-lab, count: 12}
media: {client_ports: {audio: 20000-32767}}
${2:-}
TGT
}

# 1. Every record published: internal users find the pool, Edge users the Edge.
start_dns full --srv-host=_sipinternaltls._tcp.$D,fe.$D,$fe_port,0,0 \
    --srv-host=_sip._tls.$D,sip.$D,$edge_port,0,0
target_by_dns "$T/t1.yaml"
rc=0; "$SYNTH" run "$SRC/scenarios/voicemail-edge.yaml" --target "$T/t1.yaml" --out "$T/r1" \
    --workers 1 >"$T/r1.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "discovered target: exit $rc: $(tail -30 "$T/r1.out")"
S="$T/r1/summary.json"
assert_json "$S" '[.discovery.records[] | select(.found)] | length == 4' "all four records found"
assert_json "$S" ".discovery.records[0].query == \"_sipinternaltls._tcp.$D\" and .discovery.records[0].port == $fe_port and .discovery.records[0].address == \"127.0.0.1\"" "pool found by _sipinternaltls._tcp"
assert_json "$S" ".discovery.records[1].host == \"sip.$D\" and .discovery.records[1].port == $edge_port" "Edge found by _sip._tls"
assert_json "$S" '.paths.internal.calls.greeting_heard == 10 and .paths.edge.calls.greeting_heard == 10' "calls on both discovered paths heard the greeting"
assert_json "$S" '.findings == []' "no findings"
grep -q "query\[SRV\] _sipinternaltls._tcp.$D" "$T/full.log" || fail "dnsmasq saw no SRV query: $(head "$T/full.log")"
ok "the queries reached the DNS server"
grep -q "dns discovery of $D" "$T/r1.out" || fail "terminal lacks the discovery: $(cat "$T/r1.out")"
ok "terminal shows the discovery"

# 2. No _sip._tls record: Edge users cannot find the Edge, critical; the
#    missing autodiscover names are warned about too.
start_dns noedge --srv-host=_sipinternaltls._tcp.$D,fe.$D,$fe_port,0,0
target_by_dns "$T/t2.yaml"
sed 's/via: \[internal, edge\]/via: edge/' "$SRC/scenarios/voicemail-edge.yaml" >"$T/edge.yaml"
rc=0; "$SYNTH" run "$T/edge.yaml" --target "$T/t2.yaml" --out "$T/r2" --quiet >"$T/r2.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "no _sip._tls: exit $rc, want 2: $(tail -20 "$T/r2.out")"
assert_json "$T/r2/summary.json" "[.findings[] | select(.id == \"dns-srv-missing\" and .severity == \"critical\" and (.evidence | contains(\"_sip._tls.$D\")))] | length == 1" "dns-srv-missing, critical, names _sip._tls"
assert_json "$T/r2/summary.json" '.calls.attempted == 0' "nothing attempted without a server"

# 3. A DNS server that does not answer: the deadline holds, critical.
DNS_PORT=$(free_port); DNS_TIMEOUT=1s target_by_dns "$T/t3.yaml"
start=$(date +%s%N)
rc=0; "$SYNTH" run "$SRC/tests/integration/scenarios/short-call.yaml" --target "$T/t3.yaml" \
    --out "$T/r3" --quiet >"$T/r3.out" 2>&1 || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 2 ] || fail "dead DNS server: exit $rc, want 2: $(tail -20 "$T/r3.out")"
[ $ms -lt 10000 ] || fail "dead DNS server: took $ms ms"
assert_json "$T/r3/summary.json" '[.findings[] | select(.id == "dns-srv-missing" and .severity == "critical")] | length >= 1' "dead DNS server: dns-srv-missing critical"
ok "dead DNS server: answered in $ms ms"

# 4. The file names the registrar on another port than the SRV record:
#    the run works (it uses the file's), the mismatch is a warning.
target_by_dns "$T/t4.yaml" "registrar: {host: fe.$D, address: 127.0.0.1, port: $fe_port, tls: {ca_file: \"$T/lab/ca.pem\"}}"
DNS_PORT_SAVED=$DNS_PORT
start_dns wrong --srv-host=_sipinternaltls._tcp.$D,fe.$D,5061,0,0 \
    --srv-host=_sip._tls.$D,sip.$D,$edge_port,0,0
sed -i "s/127.0.0.1:$DNS_PORT_SAVED/127.0.0.1:$DNS_PORT/" "$T/t4.yaml"
rc=0; "$SYNTH" run "$SRC/tests/integration/scenarios/short-call.yaml" --target "$T/t4.yaml" \
    --out "$T/r4" --quiet >"$T/r4.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "SRV mismatch: exit $rc, want 1: $(tail -20 "$T/r4.out")"
assert_json "$T/r4/summary.json" "([.findings[] | select(.id == \"dns-srv-mismatch\" and (.evidence | contains(\":5061\")))] | length == 1) and .calls.answered == 12" "dns-srv-mismatch warning, calls still answered"

# 5. synth check on the target found by DNS: the records, then the
#    certificates of the pool and the Edge the SRV records name (each must
#    carry the SRV target's name).
rc=0; "$SYNTH" check --target "$T/t1.yaml" --out "$T/c1" >"$T/c1.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "check of the discovered target: exit $rc: $(tail -20 "$T/c1.out")"
assert_json "$T/c1/summary.json" '([.discovery.records[] | select(.found)] | length == 4) and ([.certificates[].endpoint] | index("registrar") != null and index("edge") != null)' "check: 4 records, registrar and edge certificates judged"
grep -q "dns discovery of $D" "$T/c1.out" || fail "check output lacks the discovery"
# Without _sip._tls the check warns (no users depend on it here).
rc=0; "$SYNTH" check --target "$T/t2.yaml" --out "$T/c2" >"$T/c2.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "check without _sip._tls: exit $rc, want 1: $(tail -20 "$T/c2.out")"
assert_json "$T/c2/summary.json" '[.findings[] | select(.id == "dns-srv-missing" and .severity == "warning")] | length == 1' "check: a missing _sip._tls is a warning"
