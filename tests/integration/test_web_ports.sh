#!/bin/bash
# Web service port probes (issue #5): synth check asks each web service URL
# of the target which Front End web site answers there. The lab healthy (no
# finding), the lab with its sites' listeners swapped (web-port-mismatch,
# bindings swapped), a closed port and a silent one (not answering, within
# the deadline), and nginx (real software, PEERS.md) serving two sites that
# answer as a Front End's internal and external ones, then swapped in its
# configuration.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

# 1. The healthy lab: each of the four URLs answers as its own site.
rc=0; "$SYNTH" check --lab --out "$T/ok" >"$T/ok.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "check --lab: exit $rc: $(tail -30 "$T/ok.out")"
S="$T/ok/summary.json"
assert_json "$S" '[.findings[].id | select(startswith("web-port"))] == [] and .verdict == "ok"' "lab: no web-port finding, verdict ok"
assert_json "$S" '(.web_ports | length) == 4 and ([.web_ports[] | .outcome == "ok" and .seen == .site] | all)' "lab: 4 URLs, each answers as its site"
assert_json "$S" '[.web_ports[] | select(.url | startswith("https")) | . as $r | $r.by | contains("AccessLocation") and contains("certificate names ")] | length == 2 and all' "lab: https ports told by AccessLocation and certificate"
assert_json "$S" '[.web_ports[] | select(.site == "internal" and (.url | startswith("https")))][0].by == "AccessLocation Internal, certificate names fe.lab.synth.test"' "lab: internal https: AccessLocation Internal, the pool FQDN's certificate"
grep -Eq "^  internal +ok +https://127.0.0.1:[0-9]+/" "$T/ok.out" || fail "no web port row: $(tail -12 "$T/ok.out")"
ok "lab: a terminal row per URL"

# 2. The field's misbinding: the two sites swap their listeners.
rc=0; "$SYNTH" check --lab --fault web_ports_swapped=1 --out "$T/sw" >"$T/sw.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "web_ports_swapped: exit $rc, want 2: $(tail -30 "$T/sw.out")"
S="$T/sw/summary.json"
assert_json "$S" '[.findings[].id] == ["web-port-mismatch", "web-port-mismatch"] and ([.findings[].severity] | unique) == ["critical"]' "swapped: two critical web-port-mismatch (https pair, http pair)"
IN=$(jq -r '[.web_ports[] | select(.site == "internal" and (.url | startswith("https")))][0].url' "$S")
EX=$(jq -r '[.web_ports[] | select(.site == "external" and (.url | startswith("https")))][0].url' "$S")
assert_json "$S" ".findings[0].evidence | contains(\"$IN (listed for the internal site) answers as the external site [AccessLocation External\") and contains(\"$EX (listed for the external site) answers as the internal site [AccessLocation Internal\") and endswith(\"bindings swapped\")" "swapped: the evidence names both URLs, the sites seen and why"
assert_json "$S" '.findings[0].evidence | contains("[AccessLocation External, certificate names webext.lab.synth.test]")' "swapped: the certificate seen on the internal URL is the external site's"
assert_json "$S" '[.web_ports[] | .outcome == "wrong-site" and .seen != .site] | all' "swapped: every URL answers as the other site"
grep -q "CRITICAL - web sites bound to swapped ports" "$T/sw.out" || fail "no verdict line: $(head -5 "$T/sw.out")"
ok "swapped: the verdict says so"

# 2b. synth run probes the same ports before its users start: the sign-ins
#     still work (the proxy reaches whichever site has the external ports),
#     the verdict carries the finding.
rc=0; "$SYNTH" run "$SRC/scenarios/ucwa-signin.yaml" --lab --fault web_ports_swapped=1 --out "$T/run" --quiet \
    >"$T/run.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "run with web_ports_swapped: exit $rc, want 2: $(tail -20 "$T/run.out")"
assert_json "$T/run/summary.json" '([.findings[].id] | unique) == ["web-port-mismatch"] and (.web_ports | length) == 4 and .steps["ucwa.signout"].failed == 0' "run: web-port-mismatch in the run's verdict, sign-ins unaffected"

# 3. Not answering: a closed port (refused) and a silent one (accepts, says
#    nothing) against a lab started apart, with a 1 s deadline.
lab_start lab
rc=0; "$SYNTH" check --target "$T/lab.yaml" --out "$T/written" >"$T/written.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "the written lab target: exit $rc: $(tail -30 "$T/written.out")"
assert_json "$T/written/summary.json" '(.web_ports | length) == 4 and ([.web_ports[] | .outcome == "ok"] | all)' "the written lab target lists both sites, read back"
CLOSED=$(free_port)
SILENT=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)   # read nothing, answer nothing
' "$SILENT" &
PIDS="$PIDS $!"
wait_for_port tcp "$SILENT" 10
IN_URL=$(jq -r '[.web_ports[] | select(.site == "internal")][0].url' "$T/written/summary.json")
CA="$T/lab/ca.pem"
sed '/^web:/,/^[a-z]/{/^web:/d;/^[a-z]/!d}' "$T/lab.yaml" >"$T/down.yaml"
cat >>"$T/down.yaml" <<TGT
web:
  timeout: 1s
  internal:
    fqdn: fe.lab.synth.test
    urls: ["$IN_URL", "http://127.0.0.1:$CLOSED/"]
    tls: {ca_file: "$CA"}
  external:
    fqdn: webext.lab.synth.test
    urls: ["https://127.0.0.1:$SILENT/"]
    tls: {ca_file: "$CA"}
TGT
start=$(date +%s%N)
rc=0; "$SYNTH" check --target "$T/down.yaml" --out "$T/down" >"$T/down.out" 2>&1 || rc=$?
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 2 ] || fail "closed and silent ports: exit $rc, want 2: $(tail -30 "$T/down.out")"
S="$T/down/summary.json"
assert_json "$S" '[.web_ports[] | .outcome] == ["ok", "no-answer", "no-answer"]' "down: the live URL ok, the closed and the silent ones not answering"
assert_json "$S" "[.findings[] | select(.id == \"web-port-mismatch\") | .evidence] | any(contains(\"http://127.0.0.1:$CLOSED/ (listed for the internal site) does not answer: connection refused\"))" "down: the closed port reported refused"
assert_json "$S" "[.findings[] | select(.id == \"web-port-mismatch\") | .evidence] | any(contains(\"https://127.0.0.1:$SILENT/ (listed for the external site) does not answer: no answer within 1000 ms\"))" "down: the silent port reported as not answering within the deadline"
assert_json "$S" '[.web_ports[] | select(.outcome == "no-answer") | .ms] | max < 1600' "down: each probe gave up at its 1 s deadline"
[ "$took_ms" -lt 5000 ] || fail "the check took $took_ms ms with a 1 s deadline"
ok "down: the whole check took $took_ms ms"

# 4. nginx as the Front End's two web sites: each server block answers the
#    Autodiscover root with its AccessLocation and presents its own
#    certificate; then the listen ports are swapped in its configuration.
command -v nginx >/dev/null || { echo "skip: nginx not installed (scripts/setup.sh --tests)"; exit 0; }
N="$T/nginx"; mkdir -p "$N/int" "$N/ext" "$N/logs" "$N/tmp"
make_cert "$N/int" pool.nginx.synth.test
make_cert "$N/ext" webext.nginx.synth.test
cat "$N/int/cert.pem" "$N/ext/cert.pem" >"$N/ca.pem"
P_IN=$(free_port); P_IN_HTTP=$(free_port); P_EX=$(free_port); P_EX_HTTP=$(free_port)

# site LOCATION FQDN HTTPS HTTP DIR: one server block.
site() {
    cat <<SITE
    server {
        listen 127.0.0.1:$3 ssl;
        listen 127.0.0.1:$4;
        ssl_certificate $5/cert.pem;
        ssl_certificate_key $5/key.pem;
        location = /Autodiscover/AutodiscoverService.svc/root {
            default_type "application/vnd.microsoft.rtc.autodiscover+json; v=1";
            return 200 '{"AccessLocation":"$1","Root":{"Links":[{"token":"User","href":"https://$2/Autodiscover/AutodiscoverService.svc/root/user"}]}}';
        }
        location / { return 404; }
    }
SITE
}

# start_nginx NAME SWAPPED(0|1)
start_nginx() {
    local conf="$N/$1.conf" a=$P_IN b=$P_IN_HTTP c=$P_EX d=$P_EX_HTTP
    [ "$2" = 1 ] && { a=$P_EX; b=$P_EX_HTTP; c=$P_IN; d=$P_IN_HTTP; }
    { cat <<CONF
worker_processes 1;
error_log $N/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $N/tmp; proxy_temp_path $N/tmp;
CONF
      site Internal pool.nginx.synth.test "$a" "$b" "$N/int"
      site External webext.nginx.synth.test "$c" "$d" "$N/ext"
      echo "}"; } >"$conf"
    nginx -t -c "$conf" -p "$N/" -e "$N/logs/error.log" >"$N/$1.check" 2>&1 || fail "nginx -t: $(cat "$N/$1.check")"
    nginx -c "$conf" -p "$N/" -e "$N/logs/error.log" -g "daemon off; pid $N/$1.pid;" >"$N/$1.out" 2>&1 &
    NGINX_PID=$!; PIDS="$PIDS $NGINX_PID"
    for p in $P_IN $P_IN_HTTP $P_EX $P_EX_HTTP; do wait_for_port tcp "$p" 10; done
}

cat >"$T/nginx.yaml" <<TGT
name: nginx-web
sip_domain: nginx.synth.test
registrar: {host: 127.0.0.1, transport: udp}
users: {pattern: "sip:u{n}@nginx.synth.test", count: 1, password: unused}
web:
  timeout: 2s
  internal:
    fqdn: pool.nginx.synth.test
    urls: ["https://127.0.0.1:$P_IN/", "http://127.0.0.1:$P_IN_HTTP/"]
    tls: {ca_file: "$N/ca.pem"}
  external:
    fqdn: webext.nginx.synth.test
    urls: ["https://127.0.0.1:$P_EX/", "http://127.0.0.1:$P_EX_HTTP/"]
    tls: {ca_file: "$N/ca.pem"}
TGT

start_nginx healthy 0
rc=0; "$SYNTH" check --target "$T/nginx.yaml" --out "$T/ng1" >"$T/ng1.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "nginx healthy: exit $rc: $(tail -30 "$T/ng1.out")"
S="$T/ng1/summary.json"
assert_json "$S" '.findings == [] and ([.web_ports[] | .outcome == "ok"] | all) and (.web_ports | length) == 4' "nginx: four URLs, each its own site, no finding"
assert_json "$S" '.web_ports[0].by == "AccessLocation Internal, certificate names pool.nginx.synth.test, links on pool.nginx.synth.test"' "nginx: all three identifiers agree on the internal https port"

kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true
start_nginx swapped 1
rc=0; "$SYNTH" check --target "$T/nginx.yaml" --out "$T/ng2" >"$T/ng2.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "nginx swapped: exit $rc, want 2: $(tail -30 "$T/ng2.out")"
S="$T/ng2/summary.json"
assert_json "$S" '[.findings[].id] == ["web-port-mismatch", "web-port-mismatch"] and ([.findings[].evidence | endswith("bindings swapped")] | all)' "nginx swapped: the https pair and the http pair, each bindings swapped"
assert_json "$S" ".findings[0].evidence | contains(\"https://127.0.0.1:$P_IN/ (listed for the internal site) answers as the external site [AccessLocation External, certificate names webext.nginx.synth.test, links on webext.nginx.synth.test]\")" "nginx swapped: the internal URL shows the external site's document and certificate"
