/* Unit tests: RFC 4733 telephone-events: payload bytes, the sender's packet
 * sequence (marker, durations, three end packets, pauses) and the receiver
 * counting each digit once. */
#include "media/dtmf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void payload_bytes(void **state)
{
    struct dtmf_event e = {.event = 11, .end = true, .volume = 10, .duration = 1280};
    uint8_t b[DTMF_PAYLOAD_LEN];
    dtmf_build(&e, b);
    assert_int_equal(b[0], 11);
    assert_int_equal(b[1], 0x8a);
    assert_int_equal(b[2], 0x05);
    assert_int_equal(b[3], 0x00);
    struct dtmf_event back;
    assert_int_equal(dtmf_parse(b, sizeof(b), &back), 0);
    assert_int_equal(back.event, 11);
    assert_true(back.end);
    assert_int_equal(back.volume, 10);
    assert_int_equal(back.duration, 1280);
    assert_int_equal(dtmf_parse(b, 3, &back), -1);
    assert_int_equal(dtmf_event_of('#'), 11);
    assert_int_equal(dtmf_event_of('d'), 15);
    assert_int_equal(dtmf_event_of('x'), -1);
    assert_int_equal(dtmf_key_of(10), '*');
    assert_int_equal(dtmf_key_of(20), '?');
}

static void sender_sequence(void **state)
{
    struct dtmf_sender s;
    struct dtmf_packet p;
    assert_int_equal(dtmf_sender_start(&s, "1#", 100, 60), 0);
    /* "1": 100 ms = 800 samples: packets at 160, 320, 480, 640, then 800 (end) x3. */
    uint16_t want[] = {160, 320, 480, 640, 800, 800, 800};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_true(dtmf_sender_tick(&s, &p));
        assert_int_equal(p.ev.event, 1);
        assert_int_equal(p.ev.duration, want[i]);
        assert_int_equal(p.marker, i == 0);
        assert_int_equal(p.ev.end, i >= 4);
        assert_int_equal(p.ts_offset, 0);
    }
    /* 60 ms pause: three ticks without packets (audio goes out then). */
    for (int i = 0; i < 3; i++)
        assert_false(dtmf_sender_tick(&s, &p));
    assert_true(dtmf_sender_tick(&s, &p));
    assert_int_equal(p.ev.event, 11);
    assert_true(p.marker);
    assert_int_equal(p.ts_offset, 10 * 160);
    while (dtmf_sender_tick(&s, &p))
        ;
    assert_true(dtmf_sender_done(&s));
    assert_int_equal(dtmf_sender_start(&s, "12x", 100, 60), -1);
    assert_int_equal(dtmf_sender_start(&s, "", 100, 60), -1);
}

static void receiver_counts_each_digit_once(void **state)
{
    struct dtmf_sender s;
    struct dtmf_receiver r;
    struct dtmf_packet p;
    dtmf_receiver_init(&r);
    assert_int_equal(dtmf_sender_start(&s, "1234#", 80, 40), 0);
    int got = 0;
    while (!dtmf_sender_done(&s)) {
        if (!dtmf_sender_tick(&s, &p))
            continue;
        /* Each packet arrives twice, as a retransmitting sender would send it. */
        for (int k = 0; k < 2; k++)
            if (dtmf_receiver_feed(&r, 1000 + p.ts_offset, &p.ev))
                got++;
    }
    assert_int_equal(got, 5);
    assert_string_equal(r.keys, "1234#");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(payload_bytes),
        cmocka_unit_test(sender_sequence),
        cmocka_unit_test(receiver_counts_each_digit_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
