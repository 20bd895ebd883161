#!/bin/bash
# synth report and synth run --report/--nagios against the embedded lab: JUnit
# valid against tests/junit.xsd (xmllint), metrics accepted by promtool, the
# Nagios line matched against the plugin guidelines' grammar for each exit
# code (ok: a healthy lab; critical: a fault knob; warning: a threshold
# between its levels; unknown: bad input), and a killed run still reported.
. "$(dirname "$0")/lib.sh"
SC="$SRC/tests/integration/scenarios/short-call.yaml"
XSD="$SRC/tests/junit.xsd"
command -v xmllint >/dev/null || fail "xmllint missing (libxml2-utils; scripts/setup.sh --tests)"
command -v promtool >/dev/null || fail "promtool missing (prometheus; scripts/setup.sh --tests)"

# check_nagios FILE WANT_CODE: the first line is the status line of the
# Monitoring Plugins guidelines, its status word the one of the exit code.
check_nagios() {
    python3 - "$1" "$2" <<'PY' || fail "Nagios output of $1 does not follow the guidelines: $(head -3 "$1")"
import re, sys
words = ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
lines = open(sys.argv[1]).read().split("\n")
status = lines[0]
perf = r"'[^'=]+'=(U|-?[0-9]+(\.[0-9]+)?)(us|ms|s|%|B|KB|MB|TB|c)?(;[-0-9.:~@]*){0,4}"
m = re.fullmatch(r"SYNTH (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]+?)( \| (%s)( %s)*)?" % (perf, perf), status)
if not m:
    sys.exit("status line: " + status)
if m.group(1) != words[int(sys.argv[2])]:
    sys.exit("status %s for exit %s" % (m.group(1), sys.argv[2]))
PY
    ok "nagios: $(head -1 "$1" | cut -c1-100)"
}

# check_files DIR JUNIT PROM CSV
check_files() {
    xmllint --noout --schema "$XSD" "$2" 2>"$T/xmllint.err" || fail "$2 invalid: $(cat "$T/xmllint.err")"
    ok "$2 valid against tests/junit.xsd"
    promtool check metrics <"$3" >"$T/promtool.out" 2>&1 || fail "promtool on $3: $(cat "$T/promtool.out")"
    ok "promtool check metrics accepts $3"
    head -1 "$4" | grep -q '^elapsed_s,time,journeys_started,' || fail "$4 header: $(head -1 "$4")"
    rows=$(($(wc -l <"$4") - 1))
    want=$(jq '.timeline | length' "$1/summary.json")
    [ "$rows" -eq "$want" ] || fail "$4 has $rows rows, the timeline $want"
    ok "$4: a row per timeline second ($rows)"
}

# 1. Healthy lab: run --report writes the files, --nagios prints OK first on stdout.
rc=0; "$SYNTH" run "$SC" --lab --out "$T/ok" --workers 2 --quiet --report junit,prom,csv --nagios \
    >"$T/ok.out" 2>"$T/ok.err" || rc=$?
[ $rc -eq 0 ] || fail "healthy lab: exit $rc: $(tail -20 "$T/ok.err")"
check_nagios "$T/ok.out" 0
grep -q "^target: lab" "$T/ok.err" || fail "the table did not go to stderr with --nagios"
grep -q "^target:" "$T/ok.out" && fail "the table is on stdout with --nagios"
check_files "$T/ok" "$T/ok/report.xml" "$T/ok/metrics.prom" "$T/ok/stats.csv"
grep -qx 'synth_probe_success 1' "$T/ok/metrics.prom" || fail "probe_success not 1"
grep -q '^synth_step_duration_seconds_bucket{step="register",le="+Inf"} 12$' "$T/ok/metrics.prom" \
    || fail "no register histogram: $(grep register "$T/ok/metrics.prom" | head -3)"
ok "metrics: probe success, register histogram of 12"

# 2. synth report re-renders the same directory.
rc=0; "$SYNTH" report "$T/ok" --junit "$T/ok.xml" --prom "$T/ok.prom" --csv "$T/ok.csv" --nagios \
    >"$T/rep.out" 2>"$T/rep.err" || rc=$?
[ $rc -eq 0 ] || fail "report: exit $rc: $(cat "$T/rep.err")"
check_nagios "$T/rep.out" 0
check_files "$T/ok" "$T/ok.xml" "$T/ok.prom" "$T/ok.csv"
cmp -s "$T/ok.prom" "$T/ok/metrics.prom" || fail "report and run wrote different metrics"
ok "report gives the metrics the run gave"
rc=0; "$SYNTH" report "$T/ok" >"$T/term.out" 2>&1 || rc=$?
[ $rc -eq 0 ] && grep -q "^target: lab (embedded lab)" "$T/term.out" || fail "terminal report: exit $rc: $(head -3 "$T/term.out")"
ok "report with no option prints the terminal table"

# 3. Critical: the registrar refuses every REGISTER.
rc=0; "$SYNTH" run "$SC" --lab --fault register_reject=403 --out "$T/crit" --workers 1 --quiet >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "register_reject: run exit $rc"
rc=0; "$SYNTH" report "$T/crit" --junit "$T/crit.xml" --prom "$T/crit.prom" --csv "$T/crit.csv" --nagios \
    >"$T/crit.out" 2>"$T/crit.err" || rc=$?
[ $rc -eq 2 ] || fail "report of a critical run: exit $rc"
check_nagios "$T/crit.out" 2
check_files "$T/crit" "$T/crit.xml" "$T/crit.prom" "$T/crit.csv"
grep -q '<testcase name="register.auth-refused" classname="synth.finding"' "$T/crit.xml" || fail "no finding testcase"
grep -q '<failure message="register: credentials refused on 12 of 12 attempts" type="critical">' "$T/crit.xml" \
    || fail "the finding's failure lacks its summary: $(grep -A2 auth-refused "$T/crit.xml" | head -5)"
grep -q 'evidence: 12 auth-refused failures' "$T/crit.xml" || fail "the failure lacks the evidence"
ok "junit: the finding fails with its summary and evidence"
grep -qx 'synth_finding{id="register.auth-refused",severity="critical"} 1' "$T/crit.prom" || fail "no synth_finding"
grep -qx 'synth_probe_success 0' "$T/crit.prom" || fail "probe_success not 0"
ok "metrics: the finding and probe_success 0"

# 4. Warning: the UM answers after 400 ms, setup p95 lands between warn and crit.
cat >"$T/warn.yaml" <<SCN
name: warn
steps:
  - register: {expires: 300s, timeout: 5s}
  - call: {hold: 6s, timeout: 3s}
  - hangup
  - unregister
load: {users: 4, rate: 10, iterations: 4}
thresholds:
  setup_ms.p95: {warn: 200, crit: 2500}
sip: {t1: 100ms}
SCN
rc=0; "$SYNTH" run "$T/warn.yaml" --lab --fault answer_delay_ms=400 --out "$T/warn" --workers 1 --quiet \
    --nagios >"$T/warn.run" 2>"$T/warn.err" || rc=$?
[ $rc -eq 1 ] || fail "threshold between warn and crit: run exit $rc: $(cat "$T/warn.run") $(tail -5 "$T/warn.err")"
check_nagios "$T/warn.run" 1
grep -q "'setup_p95'=[0-9.]*ms;200;2500;0" "$T/warn.run" || fail "setup perfdata: $(head -1 "$T/warn.run")"
rc=0; "$SYNTH" report "$T/warn" --nagios --junit "$T/warn.xml" >"$T/warn.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "report of a warning run: exit $rc"
check_nagios "$T/warn.out" 1
xmllint --noout --schema "$XSD" "$T/warn.xml" 2>/dev/null || fail "warning junit invalid"
grep -A1 '<testcase name="setup_ms.p95" classname="synth.threshold"' "$T/warn.xml" | grep -q '<failure .*type="warning"' \
    || fail "the threshold testcase does not fail as warning"
ok "junit: the threshold fails as a warning"

# 5. Unknown: no such directory, a directory that is no results, a bad summary.
rc=0; "$SYNTH" report "$T/nothing" --nagios >"$T/unk.out" 2>"$T/unk.err" || rc=$?
[ $rc -eq 3 ] || fail "missing dir: exit $rc"
check_nagios "$T/unk.out" 3
grep -q "$T/nothing" "$T/unk.err" || fail "the error does not name the directory: $(cat "$T/unk.err")"
mkdir "$T/empty"
rc=0; "$SYNTH" report "$T/empty" >/dev/null 2>"$T/empty.err" || rc=$?
[ $rc -eq 3 ] && grep -q "summary.json" "$T/empty.err" || fail "empty dir: exit $rc: $(cat "$T/empty.err")"
mkdir "$T/badsum"; echo '{"schema": 1, "verdict": ' >"$T/badsum/summary.json"
rc=0; "$SYNTH" report "$T/badsum" --nagios >"$T/badsum.out" 2>"$T/badsum.err" || rc=$?
[ $rc -eq 3 ] || fail "bad summary: exit $rc"
check_nagios "$T/badsum.out" 3
grep -q "summary.json:[0-9]*:[0-9]*:" "$T/badsum.err" || fail "no line:column: $(cat "$T/badsum.err")"
ok "unknown: missing, empty and broken directories exit 3 with their reason"

# 6. A killed run: its last event line cut mid-write still reports, with a
#    warning naming file and line; a bad line before the last is an error.
cp -r "$T/ok" "$T/killed"
n=$(wc -l <"$T/killed/events.jsonl")
truncate -s -25 "$T/killed/events.jsonl"
rc=0; "$SYNTH" report "$T/killed" --prom "$T/killed.prom" >"$T/killed.out" 2>"$T/killed.err" || rc=$?
[ $rc -eq 0 ] || fail "killed run: exit $rc: $(cat "$T/killed.err")"
grep -q "warning: $T/killed/events.jsonl:$n: last line cut short" "$T/killed.err" \
    || fail "no warning naming events.jsonl:$n: $(cat "$T/killed.err")"
ok "killed run: reported, warning names events.jsonl:$n"
cp -r "$T/ok" "$T/corrupt"
sed -i '3s/.*/{"ts": broken/' "$T/corrupt/events.jsonl"
rc=0; "$SYNTH" report "$T/corrupt" >/dev/null 2>"$T/corrupt.err" || rc=$?
[ $rc -eq 3 ] && grep -q "events.jsonl:3:" "$T/corrupt.err" || fail "corrupt line 3: exit $rc: $(cat "$T/corrupt.err")"
ok "a bad line inside events.jsonl: exit 3 naming events.jsonl:3"

# 7. Killed before it wrote summary.json: rebuilt from events.jsonl, the
#    thresholds not judged (unknown), the counts those of the events.
cp -r "$T/ok" "$T/nosum"
rm "$T/nosum/summary.json" "$T/nosum/report.xml" "$T/nosum/metrics.prom"
truncate -s -25 "$T/nosum/events.jsonl"
rc=0; "$SYNTH" report "$T/nosum" --nagios --junit "$T/nosum.xml" --prom "$T/nosum.prom" \
    >"$T/nosum.out" 2>"$T/nosum.err" || rc=$?
[ $rc -eq 3 ] || fail "no summary.json: exit $rc, want 3: $(cat "$T/nosum.err")"
check_nagios "$T/nosum.out" 3
grep -q "summary.json missing (the run was killed?): rebuilt from events.jsonl" "$T/nosum.err" \
    || fail "no rebuild warning: $(cat "$T/nosum.err")"
xmllint --noout --schema "$XSD" "$T/nosum.xml" 2>/dev/null || fail "rebuilt junit invalid"
promtool check metrics <"$T/nosum.prom" >/dev/null 2>&1 || fail "rebuilt metrics refused by promtool"
grep -q '<testcase name="run.killed" classname="synth.finding"' "$T/nosum.xml" || fail "no run.killed testcase"
calls=$(head -n -1 "$T/nosum/events.jsonl" | grep -c '"step":"call".*"outcome":"ok"') || true
grep -qx "synth_calls_total{outcome=\"ok\"} $calls" "$T/nosum.prom" \
    || fail "rebuilt calls ok: $(grep 'calls_total' "$T/nosum.prom"), events say $calls"
grep -q 'synth_run_info{target="lab.synth.test",target_kind="lab"' "$T/nosum.prom" || fail "rebuilt target: $(grep run_info "$T/nosum.prom")"
ok "killed before summary.json: rebuilt ($calls calls ok), unknown, target lab.synth.test"
