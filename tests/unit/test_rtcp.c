/* Unit tests of media/rtcp.c: a compound SR + SDES CNAME + BYE written out
 * byte by byte from RFC 3550 6.4.1, 6.5.1 and 6.6, parsed and rebuilt
 * exactly; RR and negative cumulative loss; the A.2 validity rules; the
 * RFC 5761 demultiplexing test. Inputs sit right before an unreadable page. */
#include "media/rtcp.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

/* Inputs end right before an unreadable page (guard_arena.h). */
#define ARENA_DATA 4096
#include "guard_arena.h"

static struct rtcp_compound c; /* 16 packets: too big for a cmocka stack */

static const uint8_t *guarded(const uint8_t *p, size_t n)
{
    return (const uint8_t *)place(p, n);
}

static const uint8_t compound[] = {
    /* SR: V=2 RC=1 PT=200 length 12 words-1 */
    0x81, 0xc8, 0x00, 0x0c, 0x11, 0x22, 0x33, 0x44,
    0xe1, 0xb2, 0xc3, 0xd4, 0x80, 0x00, 0x00, 0x00, /* NTP */
    0x00, 0x00, 0x1f, 0x40,                         /* RTP ts 8000 */
    0x00, 0x00, 0x00, 0x32, 0x00, 0x00, 0x1f, 0x40, /* 50 packets, 8000 octets */
    /* report block */
    0x55, 0x66, 0x77, 0x88, 0x40, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x0a,
    0x00, 0x00, 0x00, 0x10, 0xc3, 0xd4, 0x80, 0x00, 0x00, 0x01, 0x80, 0x00,
    /* SDES: SC=1 PT=202 length 6; CNAME "synth@example.com" (17), null */
    0x81, 0xca, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44, 0x01, 0x11,
    's', 'y', 'n', 't', 'h', '@', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0x00,
    /* BYE: SC=1 PT=203 length 3; reason "hangup" padded to the word */
    0x81, 0xcb, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44, 0x06, 'h', 'a', 'n', 'g', 'u', 'p', 0x00,
};

static void parses_sr_sdes_bye(void **state)
{
    const uint8_t *buf = guarded(compound, sizeof(compound));
    assert_int_equal(rtcp_parse(&c, buf, sizeof(compound), NULL), 0);
    assert_int_equal(c.count, 3);

    const struct rtcp_packet *sr = &c.pkts[0];
    assert_int_equal(sr->type, RTCP_SR);
    assert_int_equal(sr->count, 1);
    assert_int_equal(sr->raw_len, 52);
    assert_int_equal(sr->ssrc, 0x11223344u);
    assert_true(sr->sr.ntp == 0xe1b2c3d480000000ull);
    assert_int_equal(sr->sr.rtp_ts, 8000);
    assert_int_equal(sr->sr.packet_count, 50);
    assert_int_equal(sr->sr.octet_count, 8000);
    const struct rtcp_report_block *rb = &sr->reports[0];
    assert_int_equal(rb->ssrc, 0x55667788u);
    assert_int_equal(rb->fraction_lost, 64);
    assert_int_equal(rb->cumulative_lost, 3);
    assert_int_equal(rb->ext_highest_seq, 0x1000a);
    assert_int_equal(rb->jitter, 16);
    assert_int_equal(rb->lsr, 0xc3d48000u);
    assert_int_equal(rb->dlsr, 0x18000);

    const struct rtcp_packet *sdes = rtcp_find(&c, RTCP_SDES);
    assert_ptr_equal(sdes, &c.pkts[1]);
    assert_int_equal(sdes->chunks[0].ssrc, 0x11223344u);
    assert_int_equal(sdes->chunks[0].cname_len, 17);
    assert_memory_equal(sdes->chunks[0].cname, "synth@example.com", 17);

    const struct rtcp_packet *bye = rtcp_find(&c, RTCP_BYE);
    assert_non_null(bye);
    assert_int_equal(bye->count, 1);
    assert_int_equal(bye->bye_ssrc[0], 0x11223344u);
    assert_int_equal(bye->reason_len, 6);
    assert_memory_equal(bye->reason, "hangup", 6);
    assert_null(rtcp_find(&c, RTCP_APP));
}

static void builds_exact_compound(void **state)
{
    struct rtcp_sender_info si = {.ntp = 0xe1b2c3d480000000ull, .rtp_ts = 8000,
                                  .packet_count = 50, .octet_count = 8000};
    struct rtcp_report_block rb = {.ssrc = 0x55667788, .fraction_lost = 64, .cumulative_lost = 3,
                                   .ext_highest_seq = 0x1000a, .jitter = 16,
                                   .lsr = 0xc3d48000, .dlsr = 0x18000};
    uint32_t ssrc = 0x11223344;
    uint8_t out[RTCP_PACKET_MAX];
    size_t off = 0;
    assert_int_equal(rtcp_build_sr(out, sizeof(out), &off, ssrc, &si, &rb, 1), 0);
    assert_int_equal(off, 52);
    assert_int_equal(rtcp_build_sdes_cname(out, sizeof(out), &off, ssrc, "synth@example.com", 17),
                     0);
    assert_int_equal(rtcp_build_bye(out, sizeof(out), &off, &ssrc, 1, "hangup", 6), 0);
    assert_int_equal(off, sizeof(compound));
    assert_memory_equal(out, compound, off);

    /* Too small for the next packet: refused and the offset is kept. */
    size_t small = off + 7;
    assert_int_equal(rtcp_build_rr(out, small, &off, ssrc, NULL, 0), SYNTH_ETOOBIG);
    assert_int_equal(off, sizeof(compound));
    assert_int_equal(rtcp_build_rr(out, sizeof(out), &off, ssrc, &rb, 32), SYNTH_EINVAL);
    assert_int_equal(rtcp_build_sr(out, sizeof(out), &off, ssrc, NULL, NULL, 0), SYNTH_EINVAL);
}

/* RR with two blocks, one with negative cumulative loss (duplicates, 6.4.1),
 * and a CNAME of 16 bytes whose null octet needs a whole padding word. */
static void rr_roundtrip_and_negative_loss(void **state)
{
    struct rtcp_report_block rb[2] = {
        {.ssrc = 1, .fraction_lost = 0, .cumulative_lost = -1, .ext_highest_seq = 70000},
        {.ssrc = 2, .fraction_lost = 255, .cumulative_lost = 0x7fffff + 5, .jitter = 1234},
    };
    uint8_t out[256];
    size_t off = 0;
    assert_int_equal(rtcp_build_rr(out, sizeof(out), &off, 0xabcdef01, rb, 2), 0);
    assert_int_equal(off, 8 + 48);
    assert_int_equal(out[0], 0x82);
    assert_int_equal(out[1], 201);
    assert_memory_equal(out + 8 + 5, "\xff\xff\xff", 3); /* -1 in 24 bits */
    assert_int_equal(rtcp_build_sdes_cname(out, sizeof(out), &off, 0xabcdef01,
                                           "0123456789abcdef", 16), 0);
    assert_int_equal(off, 56 + 4 + 24); /* 4 + 2 + 16 + 1 -> 24 */

    assert_int_equal(rtcp_parse(&c, guarded(out, off), off, NULL), 0);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.pkts[0].type, RTCP_RR);
    assert_int_equal(c.pkts[0].ssrc, 0xabcdef01u);
    assert_int_equal(c.pkts[0].reports[0].cumulative_lost, -1);
    assert_int_equal(c.pkts[0].reports[0].ext_highest_seq, 70000);
    /* Built values beyond 24 bits are clamped, not wrapped. */
    assert_int_equal(c.pkts[0].reports[1].cumulative_lost, 0x7fffff);
    assert_int_equal(c.pkts[0].reports[1].fraction_lost, 255);
    assert_int_equal(c.pkts[0].reports[1].jitter, 1234);
    assert_int_equal(c.pkts[1].chunks[0].cname_len, 16);
    assert_memory_equal(c.pkts[1].chunks[0].cname, "0123456789abcdef", 16);
}

static void validity_rules(void **state)
{
    uint8_t p[sizeof(compound) + 8];
    struct synth_error err;

    /* Version 1 in the second packet. */
    memcpy(p, compound, sizeof(compound));
    p[52] = 0x41;
    assert_int_equal(rtcp_parse(&c, guarded(p, sizeof(compound)), sizeof(compound), &err),
                     SYNTH_EPARSE);
    assert_string_equal(err.msg, "rtcp: version 1");

    /* A length one word past the end. */
    memcpy(p, compound, sizeof(compound));
    p[sizeof(compound) - 13] = 0x04; /* BYE length 3 -> 4 */
    assert_int_equal(rtcp_parse(&c, guarded(p, sizeof(compound)), sizeof(compound), NULL),
                     SYNTH_EPARSE);

    /* Padding bit on the first packet: only the last may pad (A.2). */
    memcpy(p, compound, sizeof(compound));
    p[0] |= 0x20;
    assert_int_equal(rtcp_parse(&c, guarded(p, sizeof(compound)), sizeof(compound), &err),
                     SYNTH_EPARSE);
    assert_string_equal(err.msg, "rtcp: padding before the last packet");

    /* Padding on the last packet: an RR with 4 padding octets. */
    static const uint8_t padded_rr[] = {0xa0, 0xc9, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07,
                                        0x00, 0x00, 0x00, 0x04};
    assert_int_equal(rtcp_parse(&c, guarded(padded_rr, sizeof(padded_rr)), sizeof(padded_rr),
                                NULL), 0);
    assert_int_equal(c.pkts[0].ssrc, 7);
    static const uint8_t overpadded_rr[] = {0xa0, 0xc9, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07,
                                            0x00, 0x00, 0x00, 0x09};
    assert_int_equal(rtcp_parse(&c, guarded(overpadded_rr, 12), 12, NULL), SYNTH_EPARSE);

    /* RC=1 in an RR with no room for the block. */
    static const uint8_t short_rr[] = {0x81, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07};
    assert_int_equal(rtcp_parse(&c, guarded(short_rr, 8), 8, &err), SYNTH_EPARSE);
    assert_string_equal(err.msg, "rtcp: 1 report blocks exceed packet");

    /* SDES whose item runs to the end without a null item. */
    static const uint8_t sdes_noend[] = {0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b'};
    assert_int_equal(rtcp_parse(&c, guarded(sdes_noend, 12), 12, &err), SYNTH_EPARSE);
    assert_string_equal(err.msg, "rtcp: SDES chunk without end item");

    /* Trailing bytes shorter than a header. */
    memcpy(p, compound, sizeof(compound));
    memset(p + sizeof(compound), 0x80, 3);
    assert_int_equal(rtcp_parse(&c, guarded(p, sizeof(compound) + 3), sizeof(compound) + 3, NULL),
                     SYNTH_EPARSE);
    assert_int_equal(rtcp_parse(&c, guarded(p, 0), 0, NULL), SYNTH_EPARSE);
}

static void unknown_types_kept_raw_and_bounded(void **state)
{
    /* APP (204) with name "SYNT" and a feedback packet (206): raw views. */
    static const uint8_t app[] = {0x80, 0xcc, 0x00, 0x02, 0, 0, 0, 9, 'S', 'Y', 'N', 'T',
                                  0x81, 0xce, 0x00, 0x02, 0, 0, 0, 9, 0, 0, 0, 5};
    const uint8_t *b = guarded(app, sizeof(app));
    assert_int_equal(rtcp_parse(&c, b, sizeof(app), NULL), 0);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.pkts[0].type, RTCP_APP);
    assert_ptr_equal(c.pkts[0].raw, b);
    assert_int_equal(c.pkts[0].raw_len, 12);
    assert_int_equal(c.pkts[1].type, 206);
    assert_int_equal(c.pkts[1].count, 1);

    /* 17 empty RRs: one more than RTCP_COMPOUND_MAX. */
    uint8_t many[17 * 8];
    size_t off = 0;
    for (int i = 0; i < 17; i++)
        assert_int_equal(rtcp_build_rr(many, sizeof(many), &off, (uint32_t)i, NULL, 0), 0);
    assert_int_equal(rtcp_parse(&c, guarded(many, off), off, NULL), SYNTH_ETOOBIG);
    assert_int_equal(rtcp_parse(&c, guarded(many, off - 8), off - 8, NULL), 0);
    assert_int_equal(c.count, 16);
}

static void truncations_never_over_read(void **state)
{
    for (size_t n = 0; n < sizeof(compound); n++) {
        int rc = rtcp_parse(&c, guarded(compound, n), n, NULL);
        /* Only the packet boundaries are complete compounds. */
        if (n == 52 || n == 80)
            assert_int_equal(rc, 0);
        else
            assert_int_equal(rc, SYNTH_EPARSE);
    }
}

static void demultiplexes_rtcp_from_rtp(void **state)
{
    static const uint8_t rtp_pcmu[2] = {0x80, 0x00}, rtp_marker_pt0[2] = {0x80, 0x80};
    assert_true(rtcp_is_rtcp(compound, sizeof(compound)));
    assert_false(rtcp_is_rtcp(rtp_pcmu, 2));
    assert_false(rtcp_is_rtcp(rtp_marker_pt0, 2));
    assert_false(rtcp_is_rtcp(compound, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_sr_sdes_bye),
        cmocka_unit_test(builds_exact_compound),
        cmocka_unit_test(rr_roundtrip_and_negative_loss),
        cmocka_unit_test(validity_rules),
        cmocka_unit_test(unknown_types_kept_raw_and_bounded),
        cmocka_unit_test(truncations_never_over_read),
        cmocka_unit_test(demultiplexes_rtcp_from_rtp),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
