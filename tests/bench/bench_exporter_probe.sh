#!/bin/bash
# What one /probe costs (issue #6): synth exporter against the lab (its own
# process), N scrapes of a cheap module (one SIP OPTIONS over TLS) one after
# another and then P at a time (P targets, one slot each, concurrency P),
# with each request's wall time (p50/p95) and the exporter's CPU per probe
# from /proc/PID/stat: its own (utime+stime) and its probe children's
# (cutime+cstime, reaped `synth run` processes). Beside it, the same
# transaction as a one-shot `synth run` process: CPU and wall per run. The
# difference is what the long-running exporter adds (or saves) per probe.
#
#   tests/bench/bench_exporter_probe.sh [N] [P]      (default 100 probes, 2 in parallel)
# env: BENCH_OUT (keep the raw figures), KEEP_TMP=1, SYNTH
. "$(dirname "$0")/bench_lib.sh"
N=${1:-${BENCH_PROBES:-100}}
P=${2:-${BENCH_PARALLEL:-2}}
[ "$N" -ge 1 ] && [ "$N" -le 10000 ] 2>/dev/null || fail "probes $N: 1..10000"
[ "$P" -ge 1 ] && [ "$P" -le 16 ] 2>/dev/null || fail "parallel $P: 1..16"
command -v curl >/dev/null || fail "curl missing"
echo "$(machine_line)"

start_lab "$T/lab" 16
cat >"$T/ping.yaml" <<SCN
name: ping
steps:
  - options
load: {users: 1, rate: 10, iterations: 1}
SCN
{
    echo "modules: {ping: {scenario: ping.yaml}}"
    echo "targets:"
    for i in $(seq "$P"); do echo "  lab$i: {target: lab/target.yaml}"; done
    # min_interval 0: every scrape runs a probe (none answered from the last result).
    echo "limits: {concurrency: $P, min_interval: 0s, timeout: 30s}"
} >"$T/exporter.yaml"
PORT=$(free_port)
"$SYNTH" exporter --config "$T/exporter.yaml" --listen "127.0.0.1:$PORT" >"$T/exporter.out" 2>&1 &
EX_PID=$!
PIDS="$PIDS $EX_PID"
wait_for_line "$T/exporter.out" "listening on" 10
URL="http://127.0.0.1:$PORT/probe?module=ping"

# ticks PID: "utime+stime cutime+cstime" in clock ticks (/proc/PID/stat
# fields 14-17, counted after the command name's closing parenthesis).
ticks() {
    local s
    s=$(cat "/proc/$1/stat") || fail "process $1 is gone"
    s=${s##*) }
    echo "$s" | awk '{ print $12 + $13, $14 + $15 }'
}

# scrape FILE TARGET COUNT: COUNT sequential probes of TARGET, each
# request's wall seconds appended to FILE; fails on a probe that did not pass.
scrape() {
    for _ in $(seq "$3"); do
        curl -s -o "$T/body.$2" -w '%{time_total}\n' "$URL&target=$2" >>"$1" ||
            fail "curl $2 failed"
        grep -q '^synth_probe_success 1$' "$T/body.$2" || fail "probe $2: $(head -5 "$T/body.$2")"
    done
}

# stats FILE: "p50_ms p95_ms mean_ms" of the seconds in FILE.
stats() {
    sort -n "$1" | awk '{ v[NR] = $1 * 1000; s += v[NR] }
        END { i50 = int(NR * 0.50 + 0.5); i95 = int(NR * 0.95 + 0.5)
              if (i50 < 1) i50 = 1; if (i95 < 1) i95 = 1
              printf "%.1f %.1f %.1f\n", v[i50], v[i95], s / NR }'
}

# Warm-up (page cache, the lab's first TLS handshake), not counted.
scrape "$T/warm" lab1 3

# run_phase NAME PARALLEL: N probes in all, PARALLEL scrapers at once;
# prints a row of figures.
run_phase() {
    local name=$1 par=$2 each=$(( N / $2 )) t0 t1 c0 c1 start end
    : >"$T/$name.wall"
    read -r t0 c0 < <(ticks "$EX_PID")
    start=$(date +%s.%N)
    local pids=""
    for i in $(seq "$par"); do
        scrape "$T/$name.wall.$i" "lab$i" "$each" &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p" || fail "$name: a scraper failed"; done
    end=$(date +%s.%N)
    read -r t1 c1 < <(ticks "$EX_PID")
    cat "$T/$name.wall".* >"$T/$name.wall"
    local n
    n=$(wc -l <"$T/$name.wall")
    read -r p50 p95 mean < <(stats "$T/$name.wall")
    awk -v name="$name" -v n="$n" -v par="$par" -v p50="$p50" -v p95="$p95" -v mean="$mean" \
        -v own=$(( t1 - t0 )) -v kids=$(( c1 - c0 )) -v hz="$CLK_TCK" -v s="$start" -v e="$end" \
        'BEGIN { printf "%-22s %5d %4d %9.1f %9.1f %9.1f %13.2f %13.2f %9.1f\n", name, n, par,
                 p50, p95, mean, own * 1000 / hz / n, kids * 1000 / hz / n, n / (e - s) }'
}

printf "%-22s %5s %4s %9s %9s %9s %13s %13s %9s\n" "" probes par "p50 ms" "p95 ms" "mean ms" \
    "exporter ms" "children ms" "probes/s"
printf "%-22s %5s %4s %9s %9s %9s %13s %13s %9s\n" "" "" "" "wall" "wall" "wall" "CPU/probe" \
    "CPU/probe" ""
run_phase "exporter sequential" 1 | tee "$OUT/rows"
[ "$P" -gt 1 ] && run_phase "exporter parallel" "$P" | tee -a "$OUT/rows"

# The same transaction as one-shot processes: wall time around each, and
# its CPU from wait4's rusage (exact, where polling would round the wall).
python3 - "$N" "$T/oneshot.wall" "$T/oneshot.cpu" "$T/oneshot" "$SYNTH" run "$T/ping.yaml" \
    --target "$T/lab/target.yaml" --out "$T/oneshot" --report prom --quiet <<'PY' ||
import os, shutil, subprocess, sys, time
n, wall_f, cpu_f, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
cmd = sys.argv[5:]
with open(wall_f, "w") as wf, open(cpu_f, "w") as cf:
    for _ in range(n):
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        wf.write(f"{time.monotonic() - t0:.6f}\n")
        cf.write(f"{ru.ru_utime + ru.ru_stime:.6f}\n")
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"one-shot synth run: exit {os.waitstatus_to_exitcode(status)}")
        if "synth_probe_success 1\n" not in open(f"{out}/metrics.prom").read():
            sys.exit("one-shot synth run: the probe failed")
        shutil.rmtree(out)
PY
    fail "one-shot runs failed"
cpu_total=$(awk '{ s += $1 } END { print s }' "$T/oneshot.cpu")
read -r p50 p95 mean < <(stats "$T/oneshot.wall")
awk -v n="$N" -v p50="$p50" -v p95="$p95" -v mean="$mean" -v cpu="$cpu_total" \
    'BEGIN { printf "%-22s %5d %4d %9.1f %9.1f %9.1f %13s %13.2f %9s\n", "synth run (one-shot)",
             n, 1, p50, p95, mean, "-", cpu * 1000 / n, "-" }' | tee -a "$OUT/rows"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
