#!/bin/bash
# synth exporter as Prometheus sees it: /probe runs a named module against a
# named target (the lab) and answers Prometheus text (promtool checks it);
# a scrape within min_interval gets the last result; unknown names and a
# missing password are refused; a real Prometheus on loopback scrapes it with
# blackbox-style relabelling and the test reads synth_probe_success back
# through Prometheus' HTTP API.
. "$(dirname "$0")/lib.sh"
for tool in prometheus promtool curl; do
    command -v "$tool" >/dev/null || fail "$tool not installed (scripts/setup.sh --tests)"
done

cat >"$T/quick.yaml" <<SCN
name: quick
steps:
  - register: {expires: 300s, timeout: 5s}
  - options
  - unregister
load: {users: 2, rate: 10, iterations: 2}
SCN
export SYNTH_EXPORTER_PW=s3cret-scrape
cat >"$T/exporter.yaml" <<CFG
modules:
  quick: {scenario: quick.yaml}
targets:
  lab: {lab: true}
limits: {concurrency: 1, min_interval: 3s, timeout: 30s}
basic_auth: {user: prom, password: env:SYNTH_EXPORTER_PW}
CFG
PORT=$(free_port)
"$SYNTH" exporter --config "$T/exporter.yaml" --listen "127.0.0.1:$PORT" >"$T/exporter.out" 2>&1 &
PIDS="$PIDS $!"
wait_for_line "$T/exporter.out" "listening on" 10
URL="http://127.0.0.1:$PORT"
AUTH="prom:$SYNTH_EXPORTER_PW"

# 1. A probe: Prometheus text, success 1, valid for promtool.
curl -s -u "$AUTH" -H "X-Prometheus-Scrape-Timeout-Seconds: 20" "$URL/probe?module=quick&target=lab" >"$T/p1.prom"
grep -q '^synth_probe_success 1$' "$T/p1.prom" || fail "probe: $(head -20 "$T/p1.prom")"
promtool check metrics <"$T/p1.prom" >"$T/promtool.out" 2>&1 || fail "promtool: $(cat "$T/promtool.out")"
ok "probe: synth_probe_success 1, promtool accepts it"
# 2. Within min_interval: the last result, marked, no new run.
hdr=$(curl -s -u "$AUTH" -D - -o "$T/p2.prom" "$URL/probe?module=quick&target=lab" | tr -d '\r')
echo "$hdr" | grep -qi '^X-Synth-Cached: 1' || fail "second scrape not served from the last result: $hdr"
cmp -s "$T/p1.prom" "$T/p2.prom" || fail "the cached answer differs"
ok "a scrape within min_interval gets the last result"
# 3. Refusals: no password, a wrong one, unknown names.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/probe?module=quick&target=lab")" = 401 ] || fail "no auth: want 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' -u prom:wrong "$URL/metrics")" = 401 ] || fail "wrong password: want 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" "$URL/probe?module=quick&target=10.0.0.1")" = 400 ] || fail "a host as target: want 400"
ok "refused: no or wrong password (401), a target that is not a configured name (400)"
curl -s "$URL/-/healthy" | grep -q OK || fail "/-/healthy"
curl -s -u "$AUTH" "$URL/metrics" >"$T/self.prom"
promtool check metrics <"$T/self.prom" >/dev/null 2>&1 || fail "exporter /metrics: promtool refuses it"
grep -q 'synth_exporter_probes_total{result="completed"} 1' "$T/self.prom" &&
    grep -q 'synth_exporter_scrapes_cached_total 1' "$T/self.prom" || fail "exporter counters: $(cat "$T/self.prom")"
ok "/metrics: one probe completed, one scrape cached"
if grep -q "$SYNTH_EXPORTER_PW" "$T/exporter.out" "$T/p1.prom" "$T/self.prom"; then fail "the password leaked"; fi

# 4. A real Prometheus scraping /probe, blackbox-style.
PPORT=$(free_port)
cat >"$T/prometheus.yml" <<PROM
global: {scrape_interval: 5s, scrape_timeout: 4s}
scrape_configs:
  - job_name: synth
    metrics_path: /probe
    params: {module: [quick]}
    basic_auth: {username: prom, password: $SYNTH_EXPORTER_PW}
    static_configs: [{targets: [lab]}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: "127.0.0.1:$PORT"}
PROM
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
PIDS="$PIDS $!"
wait_for_port tcp "$PPORT" 20
v=""
for _ in $(seq 60); do
    v=$(curl -s "http://127.0.0.1:$PPORT/api/v1/query?query=synth_probe_success%7Binstance%3D%22lab%22%7D" |
        jq -r '.data.result[0].value[1] // empty' 2>/dev/null || true)
    [ -n "$v" ] && break
    sleep 0.5
done
[ "$v" = 1 ] || fail "Prometheus read synth_probe_success '$v', want 1: $(tail -5 "$T/prometheus.log")"
ok "Prometheus scraped /probe and reads synth_probe_success{instance=\"lab\"} = 1"
