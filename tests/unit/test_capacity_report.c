/* Unit tests: summary.json "capacity" (steps with target and achieved
 * rates, the step that held and the one that broke, the generator's
 * evidence, an early stop) and the capacity findings. */
#include "reports/capacity_report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static struct scenario sc;
static struct capacity c;
static struct load_profile p;

/* Three steps of 10, 20, 30/s, 2 s each: the first two held, the third broke. */
static void searched(void)
{
    memset(&sc, 0, sizeof(sc));
    sc.load.profile = PROFILE_STEP_UNTIL;
    sc.load.until = (struct scenario_step_until){.start_rate = 10, .step_rate = 10,
                                                 .max_rate = 30, .step_ms = 2000,
                                                 .max_steps = 64};
    load_profile_from_scenario(&p, &sc.load);
    assert_int_equal(capacity_init(&c, &sc, &p), 0);
    for (uint32_t i = 0; i < 3; i++) {
        struct capacity_phase *ph = &c.phase[i];
        ph->ran_us = 2000000;
        for (uint32_t k = 0; k < 20 * (i + 1); k++)
            run_stats_add_start(&ph->stats, p.seg[i].start_us, 1000);
        ph->state = i < 2 ? CAPACITY_HELD : CAPACITY_BROKE;
        snprintf(ph->reason, sizeof(ph->reason), "%s",
                 i < 2 ? "every threshold held" : "call_success_pct = 80.0% < crit 95%");
    }
    c.last_held = 1;
    c.first_broken = 2;
}

static void step_until_json(void **state)
{
    searched();
    struct generator_report g = {.lag_p99_ms = 3.5, .lag_limit_ms = 250, .cpus = 2};
    json_t *j = capacity_json(&c, &g, false);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "profile")), "step-until");
    assert_int_equal(json_integer_value(json_object_get(j, "last_held_step")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "first_broken_step")), 3);
    assert_true(json_real_value(json_object_get(j, "last_held_rate")) == 20);
    assert_true(json_real_value(json_object_get(j, "first_broken_rate")) == 30);
    assert_true(json_is_false(json_object_get(j, "generator_bound")));
    assert_true(json_is_false(json_object_get(j, "aborted")));
    assert_true(json_is_null(json_object_get(j, "stop_reason")));
    json_t *steps = json_object_get(j, "steps");
    assert_int_equal(json_array_size(steps), 3);
    json_t *s3 = json_array_get(steps, 2);
    assert_int_equal(json_integer_value(json_object_get(s3, "index")), 3);
    assert_true(json_real_value(json_object_get(s3, "target_rate")) == 30);
    assert_true(json_real_value(json_object_get(s3, "achieved_rate")) == 30);
    assert_true(json_real_value(json_object_get(s3, "start_s")) == 4);
    assert_string_equal(json_string_value(json_object_get(s3, "state")), "broke");
    assert_true(json_is_false(json_object_get(s3, "held")));
    assert_true(json_is_null(json_object_get(s3, "setup_p95_ms"))); /* no calls */
    assert_true(json_real_value(json_object_get(json_object_get(j, "generator"), "lag_p99_ms")) ==
                3.5);
    json_decref(j);
    capacity_free(&c);
}

static const struct finding *find(const struct verdict *v, const char *id)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->findings[i].id, id) == 0)
            return &v->findings[i];
    return NULL;
}

/* The search's outcome is the verdict: the run-wide threshold it broke on
 * purpose is kept, at info. */
static void step_until_findings(void **state)
{
    searched();
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(verdict_add_finding(&v, VERDICT_CRITICAL, "threshold.call_success_pct",
                                         "below", "", ""), 0);
    assert_int_equal(verdict_add_finding(&v, VERDICT_WARNING, "call.server-error", "503", "", ""),
                     0);
    assert_int_equal(capacity_findings_evaluate(&v, &c), 0);
    assert_int_equal(v.level, VERDICT_OK);
    const struct finding *lim = find(&v, "capacity.limit");
    assert_non_null(lim);
    assert_string_equal(lim->evidence, "step 2 at 20/s held; step 3 at 30/s broke: "
                                       "call_success_pct = 80.0% < crit 95%");
    assert_int_equal(find(&v, "threshold.call_success_pct")->level, VERDICT_OK);
    verdict_free(&v);

    /* The first step broke: the target does not carry the lowest rate. */
    c.last_held = -1;
    c.first_broken = 0;
    c.phase[0].state = CAPACITY_BROKE;
    verdict_init(&v);
    assert_int_equal(capacity_findings_evaluate(&v, &c), 0);
    assert_int_equal(v.level, VERDICT_CRITICAL);
    assert_non_null(find(&v, "capacity.first-step-broke"));
    verdict_free(&v);
    capacity_free(&c);
}

static void aborted_run(void **state)
{
    memset(&sc, 0, sizeof(sc));
    sc.load.rate = 30;
    load_profile_from_scenario(&p, &sc.load);
    assert_int_equal(capacity_init(&c, &sc, &p), 0);
    c.stopped = c.aborted = true;
    c.stopped_at_us = 1500000;
    snprintf(c.stop_reason, sizeof(c.stop_reason), "abort_on.failure_rate: 9 of 20 calls failed");
    json_t *j = capacity_json(&c, NULL, false);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "profile")), "constant");
    assert_null(json_object_get(j, "steps"));
    assert_true(json_is_true(json_object_get(j, "aborted")));
    assert_string_equal(json_string_value(json_object_get(j, "stop_reason")),
                        "abort_on.failure_rate: 9 of 20 calls failed");
    assert_true(json_real_value(json_object_get(j, "stopped_at_s")) == 1.5);
    json_decref(j);
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(capacity_findings_evaluate(&v, &c), 0);
    const struct finding *f = find(&v, "run.aborted");
    assert_non_null(f);
    assert_int_equal(f->level, VERDICT_CRITICAL);
    assert_non_null(strstr(f->evidence, "9 of 20 calls failed, 1.5 s into the run"));
    verdict_free(&v);
    capacity_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(step_until_json),
        cmocka_unit_test(step_until_findings),
        cmocka_unit_test(aborted_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
