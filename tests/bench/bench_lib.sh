# Shared helpers for the benchmarks (tests/bench/): the integration helpers
# (temp dir, a trap that stops every PID started, waits with deadlines, SIPp
# and Kamailio) plus CPU and memory accounting per process.
#
# Environment: SYNTH (default: $SYNTH_SOURCE_DIR/build/synth), SYNTH_SOURCE_DIR
# (default: this repository), BENCH_OUT (a directory to keep the raw results;
# default: the temp dir, removed at exit unless KEEP_TMP=1).
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SYNTH_SOURCE_DIR:=$(cd "$BENCH_DIR/../.." && pwd)}"
: "${SYNTH:=$SYNTH_SOURCE_DIR/build/synth}"
export SYNTH SYNTH_SOURCE_DIR
if [ ! -x "$SYNTH" ]; then
    echo "bench: no synth binary at $SYNTH (build first, or set SYNTH)" >&2
    exit 2
fi
. "$SYNTH_SOURCE_DIR/tests/integration/lib.sh"
. "$SYNTH_SOURCE_DIR/tests/integration/peers.sh"

MEASURE="$BENCH_DIR/measure.py"
CLK_TCK=$(getconf CLK_TCK)
OUT=${BENCH_OUT:-$T}
mkdir -p "$OUT"

# stat_cpu FILE: "TICKS NAME" of one /proc/PID/stat or /proc/PID/task/TID/stat
# (proc(5)): the user+system clock ticks used so far (fields 14 and 15) and
# the command name (field 2, its parentheses dropped). The name may hold
# spaces and parentheses itself: it ends at the line's last ')', and the
# numbered fields are counted after that. Fails, printing nothing, when the
# file is gone.
stat_cpu() {
    local s name
    s=$(cat "$1" 2>/dev/null) || return 1
    name=${s%)*}
    name=${name#*(}
    # shellcheck disable=SC2086 # the fields after the name: numbers and a state letter
    set -- ${s##*)}
    echo "$((${12} + ${13})) $name"
}

# cpu_s PID: user+system CPU seconds a live process has used so far (all its
# threads); 0 when it is gone.
cpu_s() {
    local c
    c=$(stat_cpu "/proc/$1/stat") || { echo 0; return; }
    awk -v t="${c%% *}" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f\n", t / hz }'
}

# thread_cpu PID: "name seconds" per thread of a live process (its CPU so
# far), threads of one name summed.
thread_cpu() {
    local t
    for t in /proc/"$1"/task/*; do
        stat_cpu "$t/stat" || continue
    done | awk -v hz="$CLK_TCK" '{ n = substr($0, index($0, " ") + 1); c[n] += $1 / hz }
        END { for (n in c) printf "%s %.2f\n", n, c[n] }'
}

# thread_pct BEFORE AFTER WINDOW_S: each thread name's CPU between two
# thread_cpu snapshots, in % of one core ("lab-um 61 %, lab-fe 4 %").
thread_pct() {
    # A name is all but a line's last field: it may hold spaces (stat_cpu).
    awk -v w="$3" '{ n = $0; sub(/ [^ ]*$/, "", n) }
        NR == FNR { a[n] = $NF; next }
        { d = $NF - a[n]; if (w > 0) out = out sep n " " sprintf("%.0f", d * 100 / w) " %"; sep = ", " }
        END { print out }' "$1" "$2"
}

# rss_kb PID FIELD: VmRSS or VmHWM of a live process, KB.
rss_kb() {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# stop_pid PID: SIGTERM, wait up to 5 s, SIGKILL; and forget it (so the trap
# never signals a PID the system has given to someone else since).
stop_pid() {
    kill "$1" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
    local keep=""
    for p in $PIDS; do [ "$p" = "$1" ] || keep="$keep $p"; done
    PIDS=$keep
}

# measured OUTJSON TIMEOUT_S CMD...: runs CMD in the foreground under
# measure.py (CPU, wall, peak RSS of that process only). Never fails the
# script: the exit status is in OUTJSON's "rc".
measured() {
    local out=$1 to=$2
    shift 2
    python3 "$MEASURE" --out "$out" --timeout "$to" -- "$@" || true
    [ -s "$out" ] || fail "measure.py wrote nothing for $1"
}

# measured_bg OUTJSON TIMEOUT_S CMD...: the same in the background; sets
# MEASURED_PID (measure.py, stopped by the trap, which stops CMD) and
# CHILD_PID (CMD itself, for sampling /proc).
measured_bg() {
    local out=$1 to=$2
    shift 2
    rm -f "$out.pid"
    python3 "$MEASURE" --out "$out" --pidfile "$out.pid" --timeout "$to" -- "$@" &
    MEASURED_PID=$!
    PIDS="$PIDS $MEASURED_PID"
    for _ in $(seq 100); do [ -s "$out.pid" ] && break; sleep 0.05; done
    [ -s "$out.pid" ] || fail "measure.py did not start $1"
    CHILD_PID=$(cat "$out.pid")
}

# wait_measured PID: waits for a measured_bg run to end, and forgets its PID.
wait_measured() {
    wait "$1" 2>/dev/null || true
    local keep=""
    for p in $PIDS; do [ "$p" = "$1" ] || keep="$keep $p"; done
    PIDS=$keep
}

# raise_nofile NEED: raises the soft open-file limit to the hard one; fails
# when even that is below NEED.
raise_nofile() {
    local hard
    hard=$(ulimit -Hn)
    if [ "$hard" = unlimited ]; then ulimit -n 1048576 2>/dev/null || true
    else ulimit -n "$hard" 2>/dev/null || true; fi
    [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$1" ] ||
        fail "open files limit $(ulimit -n) (hard $hard) is below the $1 needed; scale the benchmark down"
}

# start_lab DIR USERS [LINE]: `synth lab` as its own process on ephemeral
# loopback ports with USERS users (LINE: one more lab.yaml line, such as
# "auth: ntlm"); waits for 'lab ready' and its target file
# (DIR/target.yaml). Sets LAB_PID, LAB_TLS_PORT.
start_lab() {
    local d=$1
    mkdir -p "$d"
    cat >"$d/lab.yaml" <<LAB
listen_host: 127.0.0.1
users: $2
${3:-}
LAB
    "$SYNTH" lab --config "$d/lab.yaml" --state-dir "$d/state" --write-target "$d/target.yaml" \
        >"$d/lab.out" 2>&1 </dev/null &
    LAB_PID=$!
    PIDS="$PIDS $LAB_PID"
    wait_for_line "$d/lab.out" "lab ready" 20
    for _ in $(seq 100); do [ -s "$d/target.yaml" ] && break; sleep 0.1; done
    [ -s "$d/target.yaml" ] || fail "the lab wrote no target file"
    LAB_TLS_PORT=$(awk '$1 == "tls_port:" { print $2 }' "$d/target.yaml")
    [ -n "$LAB_TLS_PORT" ] || fail "no tls_port in $d/target.yaml"
    wait_for_port tcp "$LAB_TLS_PORT" 10
}

# reg_rate EVENTS: "OK SPAN RATE", the successful registers of an
# events.jsonl and their rate over the span in which they completed (first
# to last), so startup and the drain at the end are not in the rate.
reg_rate() {
    python3 - "$1" <<'PY'
import json, sys
from datetime import datetime
ends = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("step") == "register" and e.get("outcome") == "ok":
        ends.append(datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp())
ends.sort()
span = ends[-1] - ends[0] if len(ends) > 1 else 0
print(len(ends), f"{span:.2f}", f"{(len(ends) - 1) / span:.1f}" if span > 0 else "0")
PY
}

# machine_line: what the figures were measured on.
machine_line() {
    echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg), synth $(git -C "$SYNTH_SOURCE_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')"
}

# per_k CPU_S CALLS: CPU seconds per 1000 calls (or "-").
per_k() {
    awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.3f", c * 1000 / n; else printf "-" }'
}
