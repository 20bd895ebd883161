#!/bin/bash
# synth exporter over HTTPS (tls_server_config): curl with --cacert and a
# real Prometheus (scheme: https, tls_config.ca_file) scrape /probe; a
# plain-HTTP request to the TLS port, a TLS 1.1 client and a client trusting
# another CA get nothing; with client_ca_file a client without a certificate is refused,
# one with a certificate from that CA gets the probe (curl and Prometheus).
# Certificates are made here with `openssl req -x509`.
. "$(dirname "$0")/lib.sh"
for tool in prometheus openssl curl jq; do
    command -v "$tool" >/dev/null || fail "$tool not installed (scripts/setup.sh --tests)"
done

# A CA, the exporter's certificate from it (127.0.0.1 and localhost), a
# client certificate from it, and an unrelated CA.
mkcert() { # NAME SUBJECT [openssl req -x509 options...]
    local name=$1 subj=$2
    shift 2
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$T/$name.key" -out "$T/$name.pem" -subj "$subj" "$@" 2>>"$T/openssl.log" ||
        fail "openssl req for $name: $(tail -3 "$T/openssl.log")"
}
mkcert ca "/CN=synth test CA" -addext basicConstraints=critical,CA:TRUE
mkcert other-ca "/CN=another CA" -addext basicConstraints=critical,CA:TRUE
mkcert server "/CN=localhost" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost -addext extendedKeyUsage=serverAuth
mkcert client "/CN=prometheus" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -addext extendedKeyUsage=clientAuth
mkcert stranger "/CN=stranger" -CA "$T/other-ca.pem" -CAkey "$T/other-ca.key" \
    -addext extendedKeyUsage=clientAuth

cat >"$T/ping.yaml" <<SCN
name: ping
steps:
  - register: {expires: 300s, timeout: 5s}
  - options
  - unregister
load: {users: 1, rate: 10, iterations: 1}
SCN
# $1: file, $2: extra tls_server_config keys
exporter_config() {
    cat >"$1" <<CFG
modules:
  ping: {scenario: ping.yaml}
targets:
  lab: {lab: true}
limits: {concurrency: 1, min_interval: 0s, timeout: 30s}
tls_server_config: {cert_file: server.pem, key_file: server.key$2}
CFG
}
start_exporter() { # NAME CONFIG -> sets PORT_<NAME>
    local port
    port=$(free_port)
    "$SYNTH" exporter --config "$2" --listen "127.0.0.1:$port" >"$T/$1.out" 2>&1 &
    PIDS="$PIDS $!"
    wait_for_line "$T/$1.out" "listening on https://" 10
    eval "PORT_$1=$port"
}
exporter_config "$T/tls.yaml" ""
exporter_config "$T/mtls.yaml" ", client_ca_file: ca.pem, min_version: TLS13"
start_exporter tls "$T/tls.yaml"
start_exporter mtls "$T/mtls.yaml"
PROBE="probe?module=ping&target=lab"

# 1. TLS, server certificate checked against our CA.
curl -sS --cacert "$T/ca.pem" -H "X-Prometheus-Scrape-Timeout-Seconds: 20" \
    "https://127.0.0.1:$PORT_tls/$PROBE" >"$T/p1.prom" 2>"$T/curl1.err" ||
    fail "curl over TLS: $(cat "$T/curl1.err")"
grep -q '^synth_probe_success 1$' "$T/p1.prom" || fail "probe over TLS: $(head -20 "$T/p1.prom")"
ok "curl --cacert over TLS: synth_probe_success 1"
# TLS 1.2 at least: a TLS 1.1 client (its own security level lowered, so
# that only the server can refuse) gets a protocol_version alert.
echo | timeout 5 openssl s_client -connect "127.0.0.1:$PORT_tls" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' \
    >"$T/tls11.out" 2>&1 || true
grep -q "alert protocol version" "$T/tls11.out" || fail "TLS 1.1: $(grep -E 'Protocol|alert|error' "$T/tls11.out")"
ok "TLS 1.1 refused with a protocol_version alert (1.2 minimum)"
# min_version: TLS13 on the mTLS listener: a TLS 1.2 client is refused.
rc=0
curl -s -m 5 --cacert "$T/ca.pem" --cert "$T/client.pem" --key "$T/client.key" --tls-max 1.2 \
    -o /dev/null "https://127.0.0.1:$PORT_mtls/-/healthy" 2>/dev/null || rc=$?
[ "$rc" = 35 ] || fail "min_version TLS13: a TLS 1.2 client got curl exit $rc, want 35 (handshake refused)"
ok "min_version: TLS13 refuses a TLS 1.2 client"

# 2. Plain HTTP to the TLS port: no HTTP answer at all.
code=$(curl -s -m 5 -o "$T/plain.out" -w '%{http_code}' "http://127.0.0.1:$PORT_tls/$PROBE" || true)
[ "$code" = 000 ] || fail "plain HTTP to the TLS port got HTTP $code"
if grep -q synth_probe "$T/plain.out" 2>/dev/null; then fail "plain HTTP got metrics"; fi
ok "plain HTTP to the TLS port: no answer"

# 3. A client trusting another CA fails verification.
if curl -s -m 5 --cacert "$T/other-ca.pem" -o /dev/null "https://127.0.0.1:$PORT_tls/-/healthy" \
    2>"$T/wrongca.err"; then
    fail "a client trusting another CA connected"
fi
rc=0
curl -s -m 5 --cacert "$T/other-ca.pem" -o /dev/null "https://127.0.0.1:$PORT_tls/-/healthy" || rc=$?
[ "$rc" = 60 ] || fail "wrong CA: curl exit $rc, want 60 (peer certificate not verified)"
ok "a client trusting another CA: certificate verification fails (curl 60)"

# 4. client_ca_file: no certificate or one from another CA refused; ours accepted.
if curl -s -m 5 --cacert "$T/ca.pem" -o /dev/null "https://127.0.0.1:$PORT_mtls/-/healthy"; then
    fail "mTLS listener let in a client without a certificate"
fi
if curl -s -m 5 --cacert "$T/ca.pem" --cert "$T/stranger.pem" --key "$T/stranger.key" \
    -o /dev/null "https://127.0.0.1:$PORT_mtls/-/healthy"; then
    fail "mTLS listener let in a client certificate of another CA"
fi
curl -sS -m 5 --cacert "$T/ca.pem" --cert "$T/client.pem" --key "$T/client.key" \
    "https://127.0.0.1:$PORT_mtls/-/healthy" | grep -q OK ||
    fail "mTLS listener refused our client certificate"
ok "client_ca_file: no client certificate or a stranger's refused, ours accepted"

# 5. Errors name file:line:key.
printf 'modules: {ping: {scenario: ping.yaml}}\ntargets: {lab: {lab: true}}\ntls_server_config:\n  cert_file: server.pem\n  key_file: missing.key\n' >"$T/bad.yaml"
if "$SYNTH" exporter --config "$T/bad.yaml" --listen "127.0.0.1:$(free_port)" >"$T/bad.out" 2>&1; then
    fail "a missing key file was accepted"
fi
grep -q "bad.yaml:5: tls_server_config.key_file: .*missing.key: cannot be read" "$T/bad.out" ||
    fail "error does not name file:line:key: $(cat "$T/bad.out")"
printf 'modules: {ping: {scenario: ping.yaml}}\ntargets: {lab: {lab: true}}\ntls_server_config: {cert_file: server.pem, key_file: server.key, client_auth_type: RequireAndVerifyClientCert}\n' >"$T/bad2.yaml"
"$SYNTH" exporter --config "$T/bad2.yaml" >"$T/bad2.out" 2>&1 && fail "a client_auth_type without CA was accepted"
grep -q "bad2.yaml:3: tls_server_config.client_auth_type: RequireAndVerifyClientCert needs client_ca_file" "$T/bad2.out" ||
    fail "client_auth_type error: $(cat "$T/bad2.out")"
ok "config errors name file:line:key"

# 6. A real Prometheus: scheme https with tls_config.ca_file, and with a
# client certificate against the mTLS listener.
PPORT=$(free_port)
probe_job() { # NAME PORT TLS-CONFIG: a blackbox-style /probe job over https
    cat <<JOB
  - job_name: $1
    scheme: https
    tls_config: $3
    metrics_path: /probe
    params: {module: [ping]}
    static_configs: [{targets: [lab]}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: "127.0.0.1:$2"}
JOB
}
{
    echo "global: {scrape_interval: 5s, scrape_timeout: 4s}"
    echo "scrape_configs:"
    probe_job synth-tls "$PORT_tls" "{ca_file: $T/ca.pem}"
    probe_job synth-mtls "$PORT_mtls" "{ca_file: $T/ca.pem, cert_file: $T/client.pem, key_file: $T/client.key}"
    cat <<JOB
  - job_name: synth-wrong-ca
    scheme: https
    tls_config: {ca_file: $T/other-ca.pem}
    static_configs: [{targets: ["127.0.0.1:$PORT_tls"]}]
JOB
} >"$T/prometheus.yml"
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
PIDS="$PIDS $!"
wait_for_port tcp "$PPORT" 20
query() {
    curl -s "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
        jq -r '.data.result[0].value[1] // empty' 2>/dev/null || true
}
tls="" mtls="" wrong=""
for _ in $(seq 80); do
    tls=$(query 'synth_probe_success{job="synth-tls"}')
    mtls=$(query 'synth_probe_success{job="synth-mtls"}')
    wrong=$(query 'up{job="synth-wrong-ca"}')
    [ -n "$tls" ] && [ -n "$mtls" ] && [ -n "$wrong" ] && break
    sleep 0.5
done
[ "$tls" = 1 ] || fail "Prometheus over https read synth_probe_success '$tls': $(tail -5 "$T/prometheus.log")"
[ "$mtls" = 1 ] || fail "Prometheus with a client certificate read '$mtls'"
[ "$wrong" = 0 ] || fail "Prometheus trusting another CA: up '$wrong', want 0"
curl -s "http://127.0.0.1:$PPORT/api/v1/targets" |
    jq -r '.data.activeTargets[] | select(.labels.job=="synth-wrong-ca") | .lastError' >"$T/wrong.err"
grep -qi "certificate" "$T/wrong.err" || fail "wrong-CA scrape error: $(cat "$T/wrong.err")"
ok "Prometheus scraped /probe over https (ca_file) and with a client certificate; another CA: up 0 ($(head -c 100 "$T/wrong.err"))"
