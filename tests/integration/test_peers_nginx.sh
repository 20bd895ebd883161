#!/bin/bash
# UCWA through nginx as the reverse proxy (real software we did not write,
# PEERS.md): sign-in through it, then the survival search finds its
# proxy_read_timeout (the held P-GET's 504) and its keepalive_timeout (the
# idle connection closed) within a second each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
command -v nginx >/dev/null || { echo "skip: nginx not installed (scripts/setup.sh --tests)"; exit 0; }

lab_start lab
UCWA_PORT=$(awk '/ucwa_port:/{print $2}' "$T/lab.yaml")
[ -n "$UCWA_PORT" ] || fail "no ucwa_port in the lab's target"

# start_nginx NAME READ_S KEEPALIVE_S: nginx terminating TLS (its own
# certificate) in front of the lab's UCWA service; sets NGINX_PORT.
start_nginx() {
    local d="$T/nginx-$1"; mkdir -p "$d/logs"
    make_cert "$d" web.nginx.synth.test
    NGINX_PORT=$(free_port)
    cat >"$d/nginx.conf" <<CONF
worker_processes 1;
error_log $d/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $d/tmp; proxy_temp_path $d/tmp;
    keepalive_timeout ${3}s;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $d/cert.pem;
        ssl_certificate_key $d/key.pem;
        location / {
            proxy_pass https://127.0.0.1:$UCWA_PORT;
            proxy_set_header Host \$http_host;
            proxy_http_version 1.1;
            proxy_read_timeout ${2}s;
        }
    }
}
CONF
    mkdir -p "$d/tmp"
    nginx -t -c "$d/nginx.conf" -p "$d/" -e "$d/logs/error.log" >"$d/check.out" 2>&1 ||
        fail "nginx -t: $(cat "$d/check.out")"
    nginx -c "$d/nginx.conf" -p "$d/" -e "$d/logs/error.log" \
        -g "daemon off; pid $d/nginx.pid;" >"$d/nginx.out" 2>&1 &
    PIDS="$PIDS $!"
    wait_for_port tcp "$NGINX_PORT" 10
}

# target NAME: the lab's users, UCWA through nginx.
target() {
    sed '/^ucwa:/,/^    ca_file:/d' "$T/lab.yaml" >"$T/$1.yaml"
    cat >>"$T/$1.yaml" <<TGT
ucwa:
  pget_min: 1s
  discover_url: "https://127.0.0.1:$NGINX_PORT/"
  tls: {ca_file: "$T/nginx-$1/cert.pem"}
TGT
}

# 1. nginx with read and keep-alive timeouts of 4 s: sign-in works through it,
#    and the survival search finds 4 s for both probes.
start_nginx short 4 4
target short
rc=0; "$SYNTH" run "$SRC/scenarios/ucwa-signin.yaml" --target "$T/short.yaml" --out "$T/in" --quiet \
    >"$T/in.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "sign-in through nginx: exit $rc: $(tail -20 "$T/in.out")"
assert_json "$T/in/summary.json" '.steps["ucwa.signout"].ok == 20' "20 sign-ins through nginx, every step ok"
cat >"$T/survive.yaml" <<SCN
name: survival-through-nginx
steps:
  - ucwa.survival: {search: {min: 1s, max: 10s, resolution: 1s}, probe: both}
load: {users: 1, rate: 1, iterations: 1}
SCN
rc=0; "$SYNTH" run "$T/survive.yaml" --target "$T/short.yaml" --out "$T/sv" --quiet >"$T/sv.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "survival through nginx: exit $rc, want 1: $(tail -20 "$T/sv.out")"
S="$T/sv/summary.json"
for probe in pget idle; do
    assert_json "$S" "[.survival[] | select(.probe == \"$probe\")][0] | (.estimated_timeout_s - 4 | fabs) <= 1 and .uncertainty_s <= 1" "$probe probe: nginx's 4 s found within 1 s"
done
assert_json "$S" '[.survival[] | select(.probe == "pget") | .intervals[] | select(.survived | not) | .died_how] | all(. == "proxy-504")' "nginx answered the held P-GETs 504"
assert_json "$S" '[.findings[] | select(.id == "proxy-idle-timeout-short")] | length == 2' "proxy-idle-timeout-short for both"

# 2. Read and keep-alive timeouts apart (read 3 s, keep-alive 6 s): each
#    probe finds its own.
start_nginx apart 3 6
target apart
rc=0; "$SYNTH" run "$T/survive.yaml" --target "$T/apart.yaml" --out "$T/ap" --quiet >"$T/ap.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "survival, timeouts apart: exit $rc: $(tail -20 "$T/ap.out")"
S="$T/ap/summary.json"
assert_json "$S" '[.survival[] | select(.probe == "pget")][0] | (.estimated_timeout_s - 3 | fabs) <= 1' "pget probe: proxy_read_timeout 3 s"
assert_json "$S" '[.survival[] | select(.probe == "idle")][0] | (.estimated_timeout_s - 6 | fabs) <= 1' "idle probe: keepalive_timeout 6 s"
