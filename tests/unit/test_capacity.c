/* Unit tests: a capacity test's judgement of a phase by the thresholds, and
 * the states of the phases when a run ends or stops early. */
#include "synth/engine/capacity.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void calls(struct run_stats *s, unsigned ok, unsigned failed)
{
    for (unsigned i = 0; i < ok + failed; i++) {
        struct step_result r;
        step_result_init(&r, STEP_CALL, 0, i);
        r.start_us = r.intended_us = 0;
        r.end_us = 5000;
        r.ok = i < ok;
        r.answered = r.ok;
        r.setup_us = r.ok ? 3000 : -1;
        r.cls = r.ok ? FAIL_NONE : FAIL_SERVER_ERROR;
        assert_int_equal(run_stats_add_result(s, &r), 0);
    }
}

static void step_until_scenario(struct scenario *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->load.profile = PROFILE_STEP_UNTIL;
    sc->load.until = (struct scenario_step_until){.start_rate = 10, .step_rate = 10,
                                                  .max_rate = 40, .step_ms = 2000,
                                                  .max_steps = 64, .settle_ms = 500};
    sc->threshold_count = 1;
    snprintf(sc->thresholds[0].metric, sizeof(sc->thresholds[0].metric), "call_success_pct");
    sc->thresholds[0].warn = 99;
    sc->thresholds[0].crit = 95;
}

static void judge_by_thresholds(void **state)
{
    static struct scenario sc;
    struct run_stats s;
    char reason[CAPACITY_REASON_MAX];
    step_until_scenario(&sc);

    run_stats_init(&s);
    assert_int_equal(capacity_judge(&sc, &s, reason, sizeof(reason)), CAPACITY_NO_DATA);
    calls(&s, 100, 0);
    assert_int_equal(capacity_judge(&sc, &s, reason, sizeof(reason)), CAPACITY_HELD);
    calls(&s, 0, 3); /* 97 %: warn, not crit */
    assert_int_equal(capacity_judge(&sc, &s, reason, sizeof(reason)), CAPACITY_HELD);
    sc.load.until.break_on_warn = true;
    assert_int_equal(capacity_judge(&sc, &s, reason, sizeof(reason)), CAPACITY_BROKE);
    assert_string_equal(reason, "call_success_pct = 97.1% < warn 99%");
    sc.load.until.break_on_warn = false;
    calls(&s, 0, 10);
    assert_int_equal(capacity_judge(&sc, &s, reason, sizeof(reason)), CAPACITY_BROKE);
    assert_string_equal(reason, "call_success_pct = 88.5% < crit 95%");
    run_stats_free(&s);
}

/* Without workers nothing is measured: what ran is no-data, what the stop
 * cut is cut, what never began is not-run. */
static void states_at_the_end(void **state)
{
    static struct scenario sc;
    static struct capacity c;
    struct load_profile p;
    step_until_scenario(&sc);
    load_profile_from_scenario(&p, &sc.load);
    assert_int_equal(p.count, 4);
    assert_int_equal(capacity_init(&c, &sc, &p), 0);
    assert_int_equal(c.count, 4);
    /* Step 1 (0-2 s) is judged 2.5 s in: no data, the run goes on. */
    assert_false(capacity_tick(&c, NULL, 0, 2400000));
    assert_int_equal(c.phase[0].state, CAPACITY_PENDING);
    assert_false(capacity_tick(&c, NULL, 0, 2500000));
    assert_int_equal(c.phase[0].state, CAPACITY_NO_DATA);
    c.stopped = true; /* as if aborted at 5 s */
    c.stopped_at_us = 5000000;
    capacity_finish(&c, NULL, 0, 5200000);
    assert_string_equal(capacity_state_name(c.phase[1].state), "no-data");
    assert_int_equal(c.phase[2].state, CAPACITY_CUT);
    assert_int_equal(c.phase[2].ran_us, 1000000);
    assert_int_equal(c.phase[3].state, CAPACITY_NOT_RUN);
    assert_int_equal(c.phase[3].ran_us, 0);
    assert_int_equal(c.last_held, -1);
    assert_int_equal(c.first_broken, -1);
    capacity_free(&c);
}

/* A constant profile has no phases; abort_on still watches it. */
static void constant_has_no_phases(void **state)
{
    static struct scenario sc;
    static struct capacity c;
    struct load_profile p;
    memset(&sc, 0, sizeof(sc));
    sc.load.rate = 5;
    load_profile_from_scenario(&p, &sc.load);
    assert_int_equal(capacity_init(&c, &sc, &p), 0);
    assert_int_equal(c.count, 0);
    assert_false(capacity_tick(&c, NULL, 0, 1000000));
    capacity_finish(&c, NULL, 0, 2000000);
    assert_false(c.stopped);
    capacity_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(judge_by_thresholds),
        cmocka_unit_test(states_at_the_end),
        cmocka_unit_test(constant_has_no_phases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
