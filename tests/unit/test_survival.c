/* Unit tests: the survival search on simulated outcomes (a path that cuts
 * at a given second finds it within the resolution, in few rounds), a
 * ladder's estimate, a flaky death below a survivor, and the log. */
#include "synth/engine/survival.h"

#include "synth/base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

/* Runs the search against a path that cuts anything held >= cut_s. */
static void search_finds(uint32_t cut_s, uint32_t min_s, uint32_t max_s, uint32_t res_s,
                         size_t max_rounds)
{
    struct survival_search s;
    struct survival_outcome o[128];
    size_t n = 0, rounds = 0;
    survival_search_init(&s, min_s, max_s, res_s);
    uint32_t pts[8];
    size_t k;
    while ((k = survival_search_next(&s, pts, 8)) > 0) {
        rounds++;
        assert_true(rounds <= max_rounds);
        for (size_t i = 0; i < k; i++) {
            assert_true(pts[i] >= min_s && pts[i] <= max_s);
            bool survived = pts[i] < cut_s;
            o[n++] = (struct survival_outcome){.probe = SURVIVAL_PGET, .idle_s = pts[i],
                                               .survived = survived};
            survival_search_update(&s, pts[i], survived);
        }
    }
    struct survival_estimate e;
    survival_estimate(o, n, SURVIVAL_PGET, &e);
    if (cut_s > max_s) {
        assert_false(e.have); /* never cut within the range: no estimate, no finding */
        return;
    }
    assert_true(e.have);
    if (e.timeout_s - e.uncertainty_s > cut_s || e.timeout_s + e.uncertainty_s < cut_s - 1)
        fail_msg("cut at %u s: estimate %.1f +/- %.1f", cut_s, e.timeout_s, e.uncertainty_s);
    assert_true(e.uncertainty_s <= (double)res_s);
}

static void search_on_simulated_paths(void **state)
{
    search_finds(6, 1, 12, 1, 4);
    search_finds(960, 60, 1800, 30, 6);   /* the field's 960 s */
    search_finds(1200, 300, 1800, 30, 6);
    search_finds(2, 1, 12, 1, 4);
    search_finds(4000, 60, 1800, 30, 6);  /* a healthy path */
}

static void ladder_estimate(void **state)
{
    const struct survival_outcome o[] = {
        {SURVIVAL_PGET, 300, true, "", 300, "", 0}, {SURVIVAL_PGET, 600, true, "", 600, "", 0},
        {SURVIVAL_PGET, 900, true, "", 900, "", 0}, {SURVIVAL_PGET, 1200, false, "proxy-504", 960, "", 0},
        {SURVIVAL_PGET, 1800, false, "proxy-504", 960, "", 0}, {SURVIVAL_IDLE, 300, true, "", 300, "", 0},
    };
    struct survival_estimate e;
    survival_estimate(o, 6, SURVIVAL_PGET, &e);
    assert_true(e.have);
    assert_int_equal(e.survived_max_s, 900);
    assert_int_equal(e.died_min_s, 1200);
    assert_true(e.timeout_s == 1050.0 && e.uncertainty_s == 150.0);
    survival_estimate(o, 6, SURVIVAL_IDLE, &e);
    assert_false(e.have);
    assert_int_equal(e.survived_max_s, 300);
    /* A death below a survivor (a flaky path): the death bounds it. */
    const struct survival_outcome f[] = {
        {SURVIVAL_PGET, 300, false, "reset", 12, "", 0}, {SURVIVAL_PGET, 600, true, "", 600, "", 0}};
    survival_estimate(f, 2, SURVIVAL_PGET, &e);
    assert_true(e.have);
    assert_int_equal(e.died_min_s, 300);
    assert_int_equal(e.survived_max_s, 0);
}

static void log_bounded_and_merged(void **state)
{
    struct survival_log a, b;
    survival_log_init(&a);
    survival_log_init(&b);
    struct survival_outcome o = {SURVIVAL_IDLE, 5, true, "", 5, "", 0};
    for (int i = 0; i < SURVIVAL_OUTCOMES_MAX + 3; i++)
        assert_int_equal(survival_log_add(&a, &o), 0);
    assert_int_equal(a.n, SURVIVAL_OUTCOMES_MAX);
    assert_int_equal(a.dropped, 3);
    assert_int_equal(survival_log_add(&b, &o), 0);
    assert_int_equal(survival_log_merge(&b, &a), 0);
    assert_int_equal(b.n, SURVIVAL_OUTCOMES_MAX);
    assert_int_equal(b.dropped, 4);
    survival_log_free(&a);
    survival_log_free(&b);
    assert_string_equal(survival_probe_name(SURVIVAL_IDLE), "idle");
}

/* How a SIP TLS probe died: each way its own class. */
static void sip_died_how(void **state)
{
    assert_string_equal(survival_sip_died_how(0, 200), "");
    assert_string_equal(survival_sip_died_how(0, 202), "");
    assert_string_equal(survival_sip_died_how(SYNTH_ECLOSED, 0), "closed");
    assert_string_equal(survival_sip_died_how(SYNTH_ERESET, 0), "reset");
    assert_string_equal(survival_sip_died_how(SYNTH_ETLS, 0), "tls-alert");
    assert_string_equal(survival_sip_died_how(SYNTH_ETIMEDOUT, 0), "no-answer");
    assert_string_equal(survival_sip_died_how(SYNTH_EIO, 0), "transport-error");
    assert_string_equal(survival_sip_died_how(0, 302), "sip-3xx");
    assert_string_equal(survival_sip_died_how(0, 481), "sip-4xx");
    assert_string_equal(survival_sip_died_how(0, 503), "sip-5xx");
    assert_string_equal(survival_sip_died_how(0, 603), "sip-6xx");
    assert_string_equal(survival_sip_died_how(0, 100), "no-answer");
    /* The transport's error wins over any status. */
    assert_string_equal(survival_sip_died_how(SYNTH_ERESET, 200), "reset");
    assert_string_equal(survival_probe_session(SURVIVAL_SIP_SILENT), "sip-tls");
    assert_string_equal(survival_probe_session(SURVIVAL_SIP_KEEPALIVE), "sip-tls");
    assert_string_equal(survival_probe_session(SURVIVAL_IDLE), "ucwa");
    assert_string_equal(survival_probe_name(SURVIVAL_SIP_KEEPALIVE), "keepalive");
    assert_string_equal(survival_probe_name(SURVIVAL_SIP_SILENT), "silent");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_on_simulated_paths),
        cmocka_unit_test(ladder_estimate),
        cmocka_unit_test(log_bounded_and_merged),
        cmocka_unit_test(sip_died_how),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
