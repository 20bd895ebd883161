/* Unit tests: the load profile's arithmetic: rates, the integral, intended
 * arrival times under constant, ramping and stepped rates, and the share
 * each worker takes. */
#include "synth/engine/load_profile.h"

#include "synth/base/err.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int64_t at(const struct load_profile *p, uint64_t j)
{
    int64_t t = -1;
    assert_int_equal(load_profile_time_of(p, j, &t), 0);
    return t;
}

static void constant_rate(void **state)
{
    struct load_profile p;
    load_profile_constant(&p, 4.0, 10 * 1000000);
    assert_int_equal(p.count, 1);
    assert_int_equal(at(&p, 0), 0);
    assert_int_equal(at(&p, 1), 250000);
    assert_int_equal(at(&p, 39), 9750000);
    int64_t t;
    /* Arrival 40 would be at 10 s, the end: there is none. */
    assert_int_equal(load_profile_time_of(&p, 40, &t), SYNTH_ENOTFOUND);
    assert_true(load_profile_rate_at(&p, 5000000) == 4.0);
    assert_true(load_profile_rate_at(&p, 10000000) == 0.0);
    assert_true(fabs(load_profile_arrivals_by(&p, 2500000) - 10.0) < 1e-9);
    assert_int_equal(load_profile_end_us(&p), 10000000);
}

static void constant_open_ended(void **state)
{
    struct load_profile p;
    load_profile_constant(&p, 1000.0, 0);
    assert_true(p.open_end);
    assert_int_equal(load_profile_end_us(&p), 0);
    /* A million arrivals in: exact to the µs. */
    assert_int_equal(at(&p, 1000000), 1000000000);
}

/* Worker id of n takes arrivals id, id + n, ...: together they make the
 * whole schedule, and each runs at rate / n. The same times as the old
 * first_arrival + k / (rate / n) per worker. */
static void workers_share_the_rate(void **state)
{
    struct load_profile p;
    load_profile_constant(&p, 10.0, 0);
    const uint64_t n = 3;
    for (uint64_t id = 0; id < n; id++) {
        double share = 10.0 / (double)n; /* what worker_init was given */
        double first = 1e6 / (share * (double)n) * (double)id;
        for (uint64_t k = 0; k < 20; k++) {
            int64_t old = (int64_t)first + (int64_t)((double)k * 1e6 / share);
            int64_t t = at(&p, k * n + id);
            assert_true(llabs(t - old) <= 1);
        }
    }
}

/* k6's ramping-arrival-rate: 0 -> 10/s over 10 s is 50 arrivals; arrival j
 * is due at sqrt(2 j / slope). */
static void ramp_from_zero(void **state)
{
    struct load_profile p;
    memset(&p, 0, sizeof(p));
    p.kind = PROFILE_RAMP;
    assert_int_equal(load_profile_add(&p, 0, 10, 10000000), 0);
    assert_true(fabs(load_profile_arrivals_by(&p, 10000000) - 50.0) < 1e-9);
    assert_true(fabs(load_profile_rate_at(&p, 5000000) - 5.0) < 1e-9);
    assert_int_equal(at(&p, 0), 0);
    for (uint64_t j = 1; j < 50; j++) {
        double want = sqrt(2.0 * (double)j / 1.0) * 1e6; /* slope 1/s² */
        assert_true(fabs((double)at(&p, j) - want) <= 1.0);
    }
    int64_t t;
    assert_int_equal(load_profile_time_of(&p, 50, &t), SYNTH_ENOTFOUND);
}

/* Stages chain: each starts at the previous one's target. A falling stage
 * keeps its precision too. */
static void ramp_stages(void **state)
{
    struct scenario_load l;
    memset(&l, 0, sizeof(l));
    l.profile = PROFILE_RAMP;
    l.start_rate = 10;
    l.stage_count = 3;
    l.stages[0] = (struct scenario_stage){.rate = 10, .duration_ms = 30000};
    l.stages[1] = (struct scenario_stage){.rate = 50, .duration_ms = 60000};
    l.stages[2] = (struct scenario_stage){.rate = 0, .duration_ms = 10000};
    struct load_profile p;
    load_profile_from_scenario(&p, &l);
    assert_int_equal(p.count, 3);
    assert_true(p.seg[1].rate_from == 10 && p.seg[1].rate_to == 50);
    assert_true(p.seg[2].rate_from == 50 && p.seg[2].rate_to == 0);
    /* 300 + (10 + 50) / 2 * 60 + 50 / 2 * 10 = 300 + 1800 + 250 */
    assert_true(fabs(load_profile_arrivals_by(&p, 100000000) - 2350.0) < 1e-6);
    assert_true(fabs(load_profile_rate_at(&p, 60000000) - 30.0) < 1e-9);
    assert_int_equal(load_profile_phase_at(&p, 29999999), 0);
    assert_int_equal(load_profile_phase_at(&p, 30000000), 1);
    assert_int_equal(load_profile_phase_at(&p, 100000000), -1);
    assert_int_equal(load_profile_end_us(&p), 100000000);
    /* Intended times go up, and each lands where the integral says. */
    int64_t prev = -1;
    for (uint64_t j = 0; j < 2350; j++) {
        int64_t t = at(&p, j);
        assert_true(t > prev);
        assert_true(fabs(load_profile_arrivals_by(&p, t) - (double)j) < 1e-3);
        prev = t;
    }
    int64_t t;
    assert_int_equal(load_profile_time_of(&p, 2350, &t), SYNTH_ENOTFOUND);
}

static void step_until_steps(void **state)
{
    struct scenario_load l;
    memset(&l, 0, sizeof(l));
    l.profile = PROFILE_STEP_UNTIL;
    l.until = (struct scenario_step_until){.start_rate = 15, .step_rate = 15, .max_rate = 60,
                                           .step_ms = 4000, .warmup_ms = 1000, .max_steps = 64};
    struct load_profile p;
    load_profile_from_scenario(&p, &l);
    assert_int_equal(p.count, 4); /* 15, 30, 45, 60 */
    assert_int_equal(p.warmup_ms, 1000);
    for (uint32_t i = 0; i < 4; i++) {
        assert_true(p.seg[i].rate_from == 15.0 * (i + 1));
        assert_true(p.seg[i].rate_to == 15.0 * (i + 1));
    }
    /* 60 arrivals in step 1, the 61st opens step 2 at 4 s, then 30/s. */
    assert_int_equal(at(&p, 59), 3933333);
    assert_int_equal(at(&p, 60), 4000000);
    assert_int_equal(at(&p, 61), 4033333);
    assert_int_equal(load_profile_phase_at(&p, 8000000), 2);
    assert_true(load_profile_rate_at(&p, 13000000) == 60.0);
    assert_int_equal(load_profile_end_us(&p), 16000000);

    l.until.max_steps = 2;
    load_profile_from_scenario(&p, &l);
    assert_int_equal(p.count, 2);
}

/* A stage of rate 0 holds no arrival; the next one's come after it. */
static void silent_stage(void **state)
{
    struct load_profile p;
    memset(&p, 0, sizeof(p));
    load_profile_add(&p, 0, 0, 5000000);
    load_profile_add(&p, 0, 2, 0);
    load_profile_add(&p, 2, 2, 5000000);
    assert_int_equal(at(&p, 0), 5000000);
    assert_int_equal(at(&p, 1), 5500000);
    assert_int_equal(load_profile_phase_at(&p, 5000000), 2);
}

static void full_profile(void **state)
{
    struct load_profile p;
    memset(&p, 0, sizeof(p));
    for (int i = 0; i < LOAD_PROFILE_PHASES_MAX; i++)
        assert_int_equal(load_profile_add(&p, 1, 1, 1000), 0);
    assert_int_equal(load_profile_add(&p, 1, 1, 1000), SYNTH_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constant_rate),     cmocka_unit_test(constant_open_ended),
        cmocka_unit_test(workers_share_the_rate), cmocka_unit_test(ramp_from_zero),
        cmocka_unit_test(ramp_stages),       cmocka_unit_test(step_until_steps),
        cmocka_unit_test(silent_stage),      cmocka_unit_test(full_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
