# Starting real peers (Kamailio, SIPp) for the integration tests and the
# benchmarks. Sourced after lib.sh; everything started is stopped by its trap.

# make_cert DIR CN: a self-signed EC certificate with CN and SAN (DNS:CN,
# IP:127.0.0.1), valid CERT_DAYS days (default 2).
make_cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "${CERT_DAYS:-2}" \
        -subj "/CN=$2" -addext "subjectAltName=DNS:$2,IP:127.0.0.1" \
        -keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1 || fail "openssl req failed"
}

# start_sipp_uas PORT TRANSPORT(u1|t1) LOGPREFIX [SCENARIO.xml]: SIPp's
# built-in UAS (180, 200, BYE 200), or the given scenario.
start_sipp_uas() {
    scen="-sn uas"
    [ -n "${4:-}" ] && scen="-sf $4"
    # -bg forks, prints the PID of the background process and exits with 99
    # (SIPp's "exit from the parent"), so the status is not the test.
    sipp $scen -i 127.0.0.1 -p "$1" -t "$2" -bg -trace_err -error_file "$3.err" \
        >"$3.out" 2>&1 </dev/null || true
    pid=$(grep -o 'PID=\[[0-9]*\]' "$3.out" | tr -dc 0-9)
    [ -n "$pid" ] || fail "no sipp PID in $(cat "$3.out")"
    PIDS="$PIDS $pid"
    if [ "$2" = t1 ]; then wait_for_port tcp "$1" 10; else wait_for_port udp "$1" 10; fi
}

# start_sipp NAME PORT ARGS...: a SIPp UAS (ARGS: its scenario and keys) in
# the background on UDP, its messages traced to $T/NAME.msg; stopped by
# lib.sh's trap.
start_sipp() {
    local name=$1 port=$2 pid
    shift 2
    # -bg prints the PID of the background process; the parent exits 99.
    sipp "$@" -i 127.0.0.1 -p "$port" -t u1 -bg -trace_msg -message_file "$T/$name.msg" \
        -trace_err -error_file "$T/$name.err" >"$T/$name.out" 2>&1 </dev/null || true
    pid=$(grep -o 'PID=\[[0-9]*\]' "$T/$name.out" | tr -dc 0-9)
    [ -n "$pid" ] || fail "no sipp PID in $(cat "$T/$name.out")"
    PIDS="$PIDS $pid"
    for _ in $(seq 100); do
        ss -lunH "sport = :$port" | grep -q . && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    fail "SIPp $name does not listen on udp $port: $(cat "$T/$name.out" "$T/$name.err" 2>/dev/null | tail -5)"
}

# start_kamailio DIR UDPPORT TLSPORT UASPORT REALM PASSWORD: a Digest registrar
# on UDP and TLS that routes every INVITE to the SIPp UAS over UDP.
# KAM_EXTRA, if set, is added after the module parameters (core or module
# parameters, e.g. 'modparam("tls", "connection_timeout", 4)').
start_kamailio() {
    d=$1
    mkdir -p "$d/run"
    make_cert "$d" kamailio.synth.test
    cat >"$d/tls.cfg" <<TLS
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = $d/key.pem
certificate = $d/cert.pem

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
TLS
    cat >"$d/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:$2
listen=tls:127.0.0.1:$3
enable_tls=yes
alias="$5"
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "auth.so"
loadmodule "xlog.so"
modparam("tls", "config", "$d/tls.cfg")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
${KAM_EXTRA:-}
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (is_method("REGISTER")) {
        if (!pv_www_authenticate("$5", "$6", "0")) { www_challenge("$5", "0"); exit; }
        if (!save("location")) { sl_reply_error(); }
        exit;
    }
    if (is_method("OPTIONS") && uri==myself) { sl_send_reply("200", "OK"); exit; }
    if (has_totag()) {
        if (loose_route()) { t_relay(); exit; }
        if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
        sl_send_reply("404", "Not here");
        exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
    if (is_method("INVITE")) {
        record_route();
        \$du = "sip:127.0.0.1:$4;transport=udp";
        t_relay();
        exit;
    }
    sl_send_reply("405", "Method Not Allowed");
}
CFG
    kamailio -c -f "$d/kamailio.cfg" >"$d/check.out" 2>&1 || fail "kamailio config: $(tail -5 "$d/check.out")"
    kamailio -f "$d/kamailio.cfg" -P "$d/kamailio.pid" -w "$d/run" -Y "$d/run" -E >"$d/kamailio.log" 2>&1 \
        || fail "kamailio did not start: $(tail -5 "$d/kamailio.log")"
    for _ in $(seq 50); do [ -s "$d/kamailio.pid" ] && break; sleep 0.1; done
    [ -s "$d/kamailio.pid" ] || fail "kamailio wrote no pid file"
    PIDS="$PIDS $(cat "$d/kamailio.pid")"
    wait_for_port tcp "$3" 10
    wait_for_port udp "$2" 10
}

# relay_range: the first of 50 relay ports from a free port, kept inside
# free_port's range (so no other test's socket takes them).
relay_range() {
    local first
    first=$(free_port)
    [ "$first" -gt 19949 ] && first=19900
    echo "$first"
}

# start_coturn DIR PORT RELAY_MIN RELAY_MAX USER PASS REALM [TURNSERVER-OPTION...]:
# coturn with long-term credentials on 127.0.0.1 (UDP and TCP on PORT),
# relaying from 127.0.0.1:RELAY_MIN-RELAY_MAX and allowed to relay to loopback
# peers; more options after REALM (e.g. --listening-ip=::1 --relay-ip=::1,
# --user-quota=1). Its state (user DB, log, pid) stays in DIR.
start_coturn() {
    command -v turnserver >/dev/null || fail "turnserver not installed (./scripts/setup.sh --tests)"
    local dir=$1 port=$2 rmin=$3 rmax=$4 user=$5 pass=$6 realm=$7
    shift 7
    turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port="$port" \
        --min-port="$rmin" --max-port="$rmax" --lt-cred-mech --user="$user:$pass" --realm="$realm" \
        --no-tls --no-dtls --no-cli --allow-loopback-peers --userdb="$dir/turndb" \
        --pidfile="$dir/turnserver.pid" --log-file=stdout --simple-log "$@" >"$dir/turnserver.log" 2>&1 </dev/null &
    PIDS="$PIDS $!"
    wait_for_port udp "$port" 10
    wait_for_port tcp "$port" 10
}
