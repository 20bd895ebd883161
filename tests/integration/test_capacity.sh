#!/bin/bash
# Capacity tests against the embedded lab: step-until finds the step that
# breaks when the lab sheds calls above 40/s, a ramp's stages reach their
# target rates, abort_on stops a failing run early and keeps its results,
# and a generator starved of CPU says so and exits 3 (unknown), not 2.
. "$(dirname "$0")/lib.sh"

# 1. step-until, the shipped scenario: steps of 15, 30, 45, 60/s (4 s each,
#    1 s warm-up); 45/s is the first above the lab's limit.
rc=0; "$SYNTH" run "$SRC/scenarios/capacity-step-until.yaml" --lab --fault max_call_rate=40 \
    --out "$T/su" --workers 2 >"$T/su.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "step-until: exit $rc, want 0: $(tail -30 "$T/su.out")"
S="$T/su/summary.json"
assert_json "$S" '.capacity.profile == "step-until"' "step-until: capacity profile"
assert_json "$S" '.capacity.first_broken_step == 3 and .capacity.first_broken_rate == 45' "step-until: step 3 (45/s) broke"
assert_json "$S" '.capacity.last_held_step == 2 and .capacity.last_held_rate == 30' "step-until: step 2 (30/s) held"
assert_json "$S" '.capacity.steps[0].held and .capacity.steps[1].held and .capacity.steps[2].state == "broke"' "step-until: step states"
assert_json "$S" '.capacity.steps[2].reason | startswith("call_success_pct = ")' "step-until: the reason names the threshold"
assert_json "$S" '.capacity.steps[2].failures > 0 and .capacity.steps[1].failures == 0' "step-until: 503s only in the breaking step"
assert_json "$S" '[.capacity.steps[0:3][] | (.achieved_rate - .target_rate) | fabs < 1] | all' "step-until: each step ran at its rate"
assert_json "$S" '.capacity.stopped_early and (.capacity.aborted | not) and (.capacity.steps | length) == 4 and .capacity.steps[3].state != "held"' "step-until: stopped after the break, step 4 not judged"
assert_json "$S" '.capacity.generator_bound == false and .verdict == "ok"' "step-until: the generator kept up, verdict ok"
assert_json "$S" '[.findings[].id] | index("capacity.limit") != null' "step-until: capacity.limit finding"
grep -q "Retry-After" "$T/su/traces/"*.txt || fail "the lab's 503 carries no Retry-After"
ok "step-until: the 503 carries Retry-After"
grep -q "capacity: held 30/s (step 2), broke at 45/s (step 3)" "$T/su.out" || fail "terminal lacks the capacity line: $(grep -A8 '^step  start' "$T/su.out")"
grep -qE "^ +3 +8\.0 +4\.0 +45\.0 .* broke: call_success_pct" "$T/su.out" || fail "terminal lacks the steps table row: $(grep -A6 '^step  start' "$T/su.out")"
ok "step-until: terminal steps table and capacity line"
"$SYNTH" report "$T/su" --html "$T/su.html" >/dev/null 2>&1 || true
grep -q '<section id="capacity"><h2>Capacity (step-until)</h2>' "$T/su.html" || fail "HTML report lacks the capacity section"
grep -q '<tr class="l-critical"><td class="n" data-v="3">3</td>.*broke: call_success_pct' "$T/su.html" || fail "HTML capacity table lacks the broken step"
ok "step-until: synth report --html has the capacity table"

# 2. ramp: 10/s, then 10 -> 40/s over 3 s, then 40/s; achieved per stage
#    within 10 % of the stage's mean target.
cat >"$T/ramp.yaml" <<'SCN'
name: ramp
steps:
  - call: {hold: 200ms, timeout: 3s, media: false}
  - hangup
load:
  users: 40
  profile: ramp
  start_rate: 10
  stages:
    - {rate: 10, duration: 3s}
    - {rate: 40, duration: 3s}
    - {rate: 40, duration: 2s}
thresholds:
  call_success_pct: {warn: 99, crit: 95}
sip: {t1: 100ms}
SCN
rc=0; "$SYNTH" run "$T/ramp.yaml" --lab --out "$T/ramp" --workers 2 --quiet >"$T/ramp.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "ramp: exit $rc: $(tail -20 "$T/ramp.out")"
S="$T/ramp/summary.json"
assert_json "$S" '.capacity.profile == "ramp" and (.capacity.stages | length) == 3' "ramp: three stages"
assert_json "$S" '[.capacity.stages[].mean_target_rate] == [10, 25, 40]' "ramp: mean targets 10, 25, 40/s"
assert_json "$S" '[.capacity.stages[] | ((.achieved_rate - .mean_target_rate) / .mean_target_rate) | fabs < 0.1] | all' "ramp: achieved within 10 % of target"
assert_json "$S" '.journeys.started == 185 and .calls.failed == 0' "ramp: 30 + 75 + 80 journeys, none failed"
assert_json "$S" '[.capacity.stages[].held] | all' "ramp: every stage held"

# 2b. constant, closed model: 6 journeys always in flight, each about
#     0.5 s, for 3 s: about 36 journeys, none skipped.
cat >"$T/closed.yaml" <<'SCN'
name: closed
steps:
  - call: {hold: 500ms, timeout: 3s, media: false}
  - hangup
load: {users: 10, concurrent: 6, duration: 3s}
sip: {t1: 100ms}
SCN
rc=0; "$SYNTH" run "$T/closed.yaml" --lab --out "$T/cl" --workers 2 --quiet >"$T/cl.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "closed model: exit $rc: $(tail -20 "$T/cl.out")"
assert_json "$T/cl/summary.json" '.journeys.started >= 24 and .journeys.started <= 42 and .journeys.skipped == 0 and .calls.failed == 0' "closed model: 6 in flight for 3 s"

# 3. abort_on: the lab takes 5 calls/s, the scenario asks 30/s for 30 s;
#    more than 20 % fail, the run stops within seconds, results kept.
cat >"$T/abort.yaml" <<'SCN'
name: abort
steps:
  - call: {hold: 200ms, timeout: 3s, media: false}
  - hangup
load:
  users: 40
  rate: 30
  duration: 30s
  abort_on: {failure_rate: 20%, min_calls: 20}
thresholds:
  call_success_pct: {warn: 99, crit: 95}
sip: {t1: 100ms}
SCN
rc=0; "$SYNTH" run "$T/abort.yaml" --lab --fault max_call_rate=5 --out "$T/ab" --workers 2 >"$T/ab.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "abort_on: exit $rc, want 2: $(tail -20 "$T/ab.out")"
S="$T/ab/summary.json"
assert_json "$S" '.capacity.aborted and (.capacity.stop_reason | startswith("abort_on.failure_rate: "))' "abort_on: the summary says it aborted and why"
assert_json "$S" '.duration_s < 10 and .capacity.stopped_at_s < 8' "abort_on: stopped early"
assert_json "$S" '.calls.attempted >= 20 and .calls.failed >= 5 and .journeys.completed == .journeys.started' "abort_on: the calls made are counted, journeys in flight ended"
assert_json "$S" '[.findings[] | select(.id == "run.aborted") | .severity] == ["critical"]' "abort_on: run.aborted finding"
n=$(grep -c '"step":"call"' "$T/ab/events.jsonl") || true
[ "$n" -eq "$(jq .calls.attempted "$S")" ] || fail "events.jsonl has $n call lines, summary $(jq .calls.attempted "$S")"
ok "abort_on: events.jsonl holds every call measured"
grep -q "^aborted: abort_on.failure_rate" "$T/ab.out" || fail "terminal does not say it aborted"
ok "abort_on: terminal says so"

# 4. A starved generator: synth pinned to CPU 0 beside three busy loops, at
#    nice 19 so they take nearly all of it (at an equal share a fast CPU
#    left synth enough for 9,000 OPTIONS/s), asked for 10000 OPTIONS/s; the
#    lab runs apart, unpinned. The verdict is unknown (3), the target not
#    blamed.
command -v taskset >/dev/null || fail "taskset (util-linux) is needed"
lab_start lab
cat >"$T/starve.yaml" <<'SCN'
name: starved
steps:
  - options: {timeout: 3s}
load:
  users: 50
  rate: 10000
  duration: 4s
thresholds:
  steps.options.latency_ms.p95: {warn: 20, crit: 50}
  steps.options.success_pct: {warn: 99, crit: 95}
sip: {t1: 100ms}
SCN
for _ in 1 2 3; do
    taskset -c 0 bash -c 'while :; do :; done' &
    PIDS="$PIDS $!"; BUSY="${BUSY:-} $!"
done
rc=0; nice -n 19 taskset -c 0 "$SYNTH" run "$T/starve.yaml" --target "$T/lab.yaml" --out "$T/st" --workers 2 \
    >"$T/st.out" 2>&1 || rc=$?
for p in $BUSY; do kill "$p" 2>/dev/null || true; done
S="$T/st/summary.json"
[ $rc -eq 3 ] || fail "starved generator: exit $rc, want 3: $(tail -30 "$T/st.out"); $(jq -c .capacity.generator "$S")"
assert_json "$S" '.verdict == "unknown" and .capacity.generator_bound' "starved: generator_bound, verdict unknown"
assert_json "$S" '.capacity.generator.cpus == 1 and .capacity.generator.saturated_seconds >= 2' "starved: one CPU, saturated seconds counted"
assert_json "$S" '[.findings[] | select(.severity == "critical")] | length == 0' "starved: no critical finding against the target"
assert_json "$S" '[.findings[].id] | index("generator.saturated") != null' "starved: generator.saturated finding"
grep -q "^generator-bound: the generator, not the target, was the bottleneck" "$T/st.out" || fail "terminal lacks the generator-bound line"
ok "starved: terminal says the generator was the bottleneck"
