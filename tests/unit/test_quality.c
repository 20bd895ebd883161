/* Unit tests of media/quality.c: G.107 Annex B's MOS at known R, the G.711
 * points (no loss -> 4.41, 5% random loss with and without PLC), the delay
 * impairment beyond 100 ms, and clamping. Expected values were computed
 * apart from this code, from the G.107 formulas, in Python. */
#include "media/quality.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* cmocka's assert_float_equal works in float (and casts without
 * parentheses); these checks need double. */
#define assert_near(a, b, eps) assert_near_at((a), (b), (eps), #a)
static void assert_near_at(double a, double b, double eps, const char *what)
{
    if (!(fabs(a - b) <= eps))
        fail_msg("%s = %.9g, want %.9g +- %g", what, a, b, eps);
}

static struct quality_result estimate(double loss, double jitter, double delay, bool plc)
{
    struct quality_input in = {.loss_percent = loss, .jitter_ms = jitter, .delay_ms = delay,
                               .plc = plc};
    struct quality_result r;
    quality_estimate(&in, &r);
    return r;
}

static void mos_from_r(void **state)
{
    assert_near(quality_mos_from_r(93.2), 4.4093, 1e-3);
    assert_near(quality_mos_from_r(100.0), 4.5, 1e-12);
    assert_near(quality_mos_from_r(120.0), 4.5, 1e-12);
    assert_near(quality_mos_from_r(0.0), 1.0, 1e-12);
    assert_near(quality_mos_from_r(-5.0), 1.0, 1e-12);
    assert_near(quality_mos_from_r(3.0), 1.0, 1e-12); /* cubic dips below 1 */
    /* R = 50: 1 + 1.75 + 50 * -10 * 50 * 7e-6 = 2.575 */
    assert_near(quality_mos_from_r(50.0), 2.575, 1e-9);
}

static void g711_perfect_network(void **state)
{
    struct quality_result r = estimate(0, 0, 0, false);
    assert_near(r.r, 93.2, 1e-9);
    assert_near(r.mos, 4.41, 0.01);
    assert_near(r.id, 0.0, 1e-12);
    assert_near(r.ie_eff, 0.0, 1e-12);
    /* Under 100 ms of delay G.107's Idd is 0. */
    r = estimate(0, 10, 70, true);
    assert_near(r.delay_ms, 90.0, 1e-9);
    assert_near(r.r, 93.2, 1e-9);
}

static void random_loss(void **state)
{
    /* 5%, PLC: Ie,eff = 95 * 5 / (5 + 25.1) = 15.78, R = 77.42, MOS 3.92 */
    struct quality_result plc = estimate(5, 0, 0, true);
    assert_near(plc.ie_eff, 15.7807, 1e-3);
    assert_near(plc.r, 77.4193, 1e-3);
    assert_near(plc.mos, 3.9228, 1e-3);
    /* 5%, no PLC: 95 * 5 / 9.3 = 51.08, R = 42.12, MOS 2.17 */
    struct quality_result none = estimate(5, 0, 0, false);
    assert_near(none.r, 42.1247, 1e-3);
    assert_near(none.mos, 2.1693, 1e-3);
    assert_true(none.mos < plc.mos);
    assert_true(plc.mos < 4.41);
    /* 1% with PLC: R = 89.56, MOS 4.33 */
    assert_near(estimate(1, 0, 0, true).mos, 4.3281, 1e-3);
    /* Bursty loss hurts more than random at the same rate (G.107 7.5). */
    struct quality_input in = {.loss_percent = 5, .plc = true, .burst_ratio = 2.0};
    struct quality_result bursty;
    quality_estimate(&in, &bursty);
    assert_true(bursty.mos < plc.mos);
}

static void delay_impairment(void **state)
{
    assert_near(estimate(0, 0, 150, false).id, 0.1635, 1e-3);
    assert_near(estimate(0, 0, 200, false).id, 3.0444, 1e-3);
    assert_near(estimate(0, 0, 400, false).id, 24.0701, 1e-3);
    assert_near(estimate(0, 0, 400, false).mos, 3.5559, 1e-3);
    /* 150 ms + 2 x 25 ms of jitter buffer, 1% loss with PLC: R = 86.52 */
    struct quality_result r = estimate(1, 25, 150, true);
    assert_near(r.delay_ms, 200.0, 1e-9);
    assert_near(r.r, 86.5157, 1e-3);
    assert_near(r.mos, 4.2446, 1e-3);
}

static void clamps_inputs(void **state)
{
    struct quality_result r = estimate(-3, -1, -50, false);
    assert_near(r.r, 93.2, 1e-9);
    r = estimate(250, 0, 0, false);
    assert_near(r.ie_eff, 95.0 * 100 / (100 + 4.3), 1e-9);
    /* Even total loss leaves R = 93.2 - 91.08 = 2.12, where MOS is 1. */
    assert_near(r.r, 93.2 - 95.0 * 100 / 104.3, 1e-9);
    assert_near(r.mos, 1.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mos_from_r),
        cmocka_unit_test(g711_perfect_network),
        cmocka_unit_test(random_loss),
        cmocka_unit_test(delay_impairment),
        cmocka_unit_test(clamps_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
