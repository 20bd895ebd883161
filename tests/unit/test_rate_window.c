/* Unit tests: the lab's sliding-window admission counter (max_call_rate). */
#include "synth/lab/rate_window.h"

#include "synth/base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void limit_per_window(void **state)
{
    struct rate_window w;
    assert_int_equal(rate_window_init(&w, 3, 1000), 0);
    assert_true(rate_window_admit(&w, 0));
    assert_true(rate_window_admit(&w, 100));
    assert_true(rate_window_admit(&w, 200));
    assert_false(rate_window_admit(&w, 300));  /* 4th in (−700, 300] */
    assert_false(rate_window_admit(&w, 999));
    assert_true(rate_window_admit(&w, 1000));  /* the one at 0 has left */
    assert_false(rate_window_admit(&w, 1050));
    assert_true(rate_window_admit(&w, 1100));
    assert_true(rate_window_admit(&w, 1200));
    /* Refusals were not counted: the window holds 1000, 1100, 1200. */
    assert_false(rate_window_admit(&w, 1999));
    assert_true(rate_window_admit(&w, 5000));
    rate_window_free(&w);
}

/* A steady 40/s passes a limit of 40; 45/s has 5 of every 45 refused. */
static void steady_rates(void **state)
{
    struct rate_window w;
    assert_int_equal(rate_window_init(&w, 40, 1000), 0);
    unsigned refused = 0;
    for (uint64_t t = 0; t < 10000; t += 25)
        refused += !rate_window_admit(&w, t);
    assert_int_equal(refused, 0);
    rate_window_free(&w);

    assert_int_equal(rate_window_init(&w, 40, 1000), 0);
    refused = 0;
    unsigned n = 0;
    for (uint64_t i = 0; i < 450; i++, n++)
        refused += !rate_window_admit(&w, i * 1000 / 45);
    assert_true(refused >= 40 && refused <= 55);
    rate_window_free(&w);
}

static void off_and_bounds(void **state)
{
    struct rate_window w;
    assert_int_equal(rate_window_init(&w, 0, 1000), 0);
    for (int i = 0; i < 1000; i++)
        assert_true(rate_window_admit(&w, 5));
    rate_window_free(&w);
    assert_int_equal(rate_window_init(&w, RATE_WINDOW_LIMIT_MAX + 1, 1000), SYNTH_EINVAL);
    assert_int_equal(rate_window_init(&w, 1, 0), SYNTH_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limit_per_window),
        cmocka_unit_test(steady_rates),
        cmocka_unit_test(off_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
