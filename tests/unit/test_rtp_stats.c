/* Unit tests of media/rtp_stats.c against RFC 3550 A.1 (probation, wrap,
 * restart), A.3 (expected, lost, fraction) and A.8 (jitter), with values
 * worked out by hand in the comments. */
#include "media/rtp_stats.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* cmocka's assert_float_equal works in float (and casts without
 * parentheses); these checks need double. */
#define assert_near(a, b, eps) assert_near_at((a), (b), (eps), #a)
static void assert_near_at(double a, double b, double eps, const char *what)
{
    if (!(fabs(a - b) <= eps))
        fail_msg("%s = %.9g, want %.9g +- %g", what, a, b, eps);
}

#define PTIME_US 20000
#define PTIME_TS 160

/* Sends seq first..first+n-1 at exact 20 ms spacing from t0. */
static void feed(struct rtp_stats *s, uint32_t ssrc, uint16_t first, unsigned n, int64_t t0)
{
    for (unsigned i = 0; i < n; i++)
        rtp_stats_update(s, ssrc, (uint16_t)(first + i), 1000u + i * PTIME_TS,
                         t0 + (int64_t)i * PTIME_US, 160);
}

static void probation_then_counting(void **state)
{
    struct rtp_stats s;
    rtp_stats_init(&s, 8000);
    assert_int_equal(rtp_stats_update(&s, 7, 100, 0, 0, 160), RTP_STATS_PROBATION);
    assert_int_equal(rtp_stats_expected(&s), 0);
    assert_int_equal(rtp_stats_update(&s, 7, 101, 160, 20000, 160), RTP_STATS_ACCEPTED);
    /* A.1: the source becomes valid with its second packet; base_seq is 101. */
    assert_int_equal(s.base_seq, 101);
    assert_int_equal(s.received, 1);
    assert_int_equal(rtp_stats_expected(&s), 1);

    /* Out of sequence during probation restarts it. */
    rtp_stats_init(&s, 8000);
    assert_int_equal(rtp_stats_update(&s, 7, 100, 0, 0, 160), RTP_STATS_PROBATION);
    assert_int_equal(rtp_stats_update(&s, 7, 105, 0, 0, 160), RTP_STATS_PROBATION);
    assert_int_equal(rtp_stats_update(&s, 7, 106, 0, 0, 160), RTP_STATS_ACCEPTED);
    assert_int_equal(s.base_seq, 106);
    assert_int_equal(s.packets, 3);
    assert_int_equal(s.payload_bytes, 480);
}

static void wrap_extends_sequence(void **state)
{
    struct rtp_stats s;
    rtp_stats_init(&s, 8000);
    feed(&s, 1, 65530, 20, 0); /* 65530..65535, 0..13 */
    assert_int_equal(s.cycles, 65536);
    assert_int_equal(s.max_seq, 13);
    assert_int_equal(rtp_stats_ext_max(&s), 65536 + 13);
    /* valid from 65531: 65531..65549 is 19 packets */
    assert_int_equal(rtp_stats_expected(&s), 19);
    assert_int_equal(rtp_stats_lost(&s), 0);
    assert_true(rtp_stats_loss_percent(&s) == 0.0);
}

static void loss_and_fraction(void **state)
{
    struct rtp_stats s;
    rtp_stats_init(&s, 8000);
    /* 0..99 with 10, 20, 30, 40, 50 missing. */
    for (uint16_t q = 0; q < 100; q++)
        if (q % 10 != 0 || q == 0 || q > 50)
            rtp_stats_update(&s, 9, q, q * 160u, q * 20000, 160);
    /* Valid from 1: expected 1..99 = 99, received 94. */
    assert_int_equal(rtp_stats_expected(&s), 99);
    assert_int_equal(s.received, 94);
    assert_int_equal(rtp_stats_lost(&s), 5);
    assert_near(rtp_stats_loss_percent(&s), 500.0 / 99, 1e-9);
    /* 5 * 256 / 99 = 12.93 -> 12 */
    assert_int_equal(rtp_stats_fraction_lost(&s), 12);
    /* The interval restarted: nothing lost since. */
    rtp_stats_update(&s, 9, 100, 16000, 2000000, 160);
    assert_int_equal(rtp_stats_fraction_lost(&s), 0);
    /* Then 10 expected, 5 received: 128. */
    for (uint16_t q = 101; q <= 110; q += 2)
        rtp_stats_update(&s, 9, (uint16_t)(q + 1), 0, 0, 160);
    assert_int_equal(rtp_stats_ext_max(&s), 110);
    assert_int_equal(rtp_stats_fraction_lost(&s), 128);
}

static void duplicates_make_loss_negative(void **state)
{
    struct rtp_stats s;
    rtp_stats_init(&s, 8000);
    feed(&s, 3, 0, 10, 0);
    assert_int_equal(rtp_stats_update(&s, 3, 5, 0, 0, 160), RTP_STATS_DUPLICATE);
    assert_int_equal(rtp_stats_update(&s, 3, 9, 0, 0, 160), RTP_STATS_DUPLICATE);
    assert_int_equal(rtp_stats_lost(&s), -2);
    assert_true(rtp_stats_loss_percent(&s) == 0.0);
    assert_int_equal(rtp_stats_fraction_lost(&s), 0);
}

static void jump_then_restart(void **state)
{
    struct rtp_stats s;
    rtp_stats_init(&s, 8000);
    feed(&s, 4, 1000, 10, 0);
    /* A jump of 20000 is over MAX_DROPOUT: held back until confirmed. */
    assert_int_equal(rtp_stats_update(&s, 4, 21000, 0, 0, 160), RTP_STATS_BAD_SEQ);
    assert_int_equal(rtp_stats_update(&s, 4, 21001, 0, 0, 160), RTP_STATS_RESTARTED);
    assert_int_equal(s.restarts, 1);
    assert_int_equal(s.base_seq, 21001);
    assert_int_equal(rtp_stats_expected(&s), 1);
    /* A forward gap under MAX_DROPOUT is loss, not a restart. */
    assert_int_equal(rtp_stats_update(&s, 4, 23000, 0, 0, 160), RTP_STATS_ACCEPTED);
    /* expected 21001..23000 = 2000, received 2 */
    assert_int_equal(rtp_stats_lost(&s), 1998);
}

static void new_ssrc_is_new_source(void **state)
{
    struct rtp_stats s;
    rtp_stats_init(&s, 8000);
    feed(&s, 1, 0, 5, 0);
    assert_int_equal(rtp_stats_update(&s, 2, 500, 0, 200000, 160), RTP_STATS_PROBATION);
    assert_int_equal(s.ssrc_changes, 1);
    assert_int_equal(s.ssrc, 2);
    assert_int_equal(rtp_stats_expected(&s), 0);
}

static void jitter_a8(void **state)
{
    struct rtp_stats s;
    rtp_stats_init(&s, 8000);
    feed(&s, 5, 0, 100, 1000000);
    /* Perfect 20 ms pacing: zero jitter. */
    assert_near(rtp_stats_jitter_ts(&s), 0.0, 1e-9);

    /* Every other packet 5 ms late: |D| = 40 timestamp units each time,
     * so J -> 40 (1 - (15/16)^n); after 199 steps that is 40 within 1e-4. */
    rtp_stats_init(&s, 8000);
    for (unsigned i = 0; i < 201; i++)
        rtp_stats_update(&s, 5, (uint16_t)i, i * 160u,
                         (int64_t)i * PTIME_US + (i % 2 ? 5000 : 0), 160);
    assert_near(rtp_stats_jitter_ts(&s), 40.0, 1e-3);
    assert_near(rtp_stats_jitter_ms(&s), 5.0, 1e-3);

    /* One 16 ms late packet after steady flow: D = 128 then 128 back, so
     * J = 128/16 = 8, then 8 + (128 - 8)/16 = 15.5. */
    rtp_stats_init(&s, 8000);
    feed(&s, 5, 0, 10, 0);
    rtp_stats_update(&s, 5, 10, 1000 + 10 * 160, 10 * 20000 + 16000, 160);
    assert_near(rtp_stats_jitter_ts(&s), 8.0, 1e-9);
    rtp_stats_update(&s, 5, 11, 1000 + 11 * 160, 11 * 20000, 160);
    assert_near(rtp_stats_jitter_ts(&s), 15.5, 1e-9);

    /* A timestamp wrapping past 2^32 does not disturb it. */
    rtp_stats_init(&s, 8000);
    for (unsigned i = 0; i < 50; i++)
        rtp_stats_update(&s, 5, (uint16_t)i, 4294967000u + i * 160u, (int64_t)i * PTIME_US,
                         160);
    assert_near(rtp_stats_jitter_ts(&s), 0.0, 1e-9);
}

static void time_to_first_packet(void **state)
{
    struct rtp_stats s;
    rtp_stats_init(&s, 8000);
    assert_int_equal(rtp_stats_first_packet_us(&s), -1);
    rtp_stats_mark_start(&s, 1000000);
    assert_int_equal(rtp_stats_first_packet_us(&s), -1);
    feed(&s, 1, 0, 3, 1250000);
    assert_int_equal(rtp_stats_first_packet_us(&s), 250000);
    assert_int_equal(s.last_us, 1290000);
}

static void report_block_from_stats(void **state)
{
    struct rtp_stats s;
    rtp_stats_init(&s, 8000);
    /* 65534 (probation), 65535, 0, 1, 3: valid from 65535, 2 lost. */
    rtp_stats_update(&s, 0xabc, 65534, 0, 0, 160);
    rtp_stats_update(&s, 0xabc, 65535, 160, 20000, 160);
    rtp_stats_update(&s, 0xabc, 0, 320, 40000, 160);
    rtp_stats_update(&s, 0xabc, 1, 480, 60000, 160);
    rtp_stats_update(&s, 0xabc, 3, 800, 100000, 160);
    struct rtcp_report_block rb;
    rtp_stats_report_block(&s, 0x12345678, 0x10000, &rb);
    assert_int_equal(rb.ssrc, 0xabc);
    assert_int_equal(rb.ext_highest_seq, 65536 + 3);
    assert_int_equal(rb.cumulative_lost, 1);
    assert_int_equal(rb.fraction_lost, 256 / 5); /* 1 of 5 expected: 51 */
    assert_int_equal(rb.jitter, 0);
    assert_int_equal(rb.lsr, 0x12345678);
    assert_int_equal(rb.dlsr, 0x10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(probation_then_counting),
        cmocka_unit_test(wrap_extends_sequence),
        cmocka_unit_test(loss_and_fraction),
        cmocka_unit_test(duplicates_make_loss_negative),
        cmocka_unit_test(jump_then_restart),
        cmocka_unit_test(new_ssrc_is_new_source),
        cmocka_unit_test(jitter_a8),
        cmocka_unit_test(time_to_first_packet),
        cmocka_unit_test(report_block_from_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
