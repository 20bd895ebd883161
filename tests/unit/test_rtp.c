/* Unit tests of media/rtp.c: RFC 3550 5.1 headers written out by hand byte
 * by byte (fixed header, CSRCs, 5.3.1 extension, padding), build/parse round
 * trips and malformed packets. Parser inputs sit right before an unreadable
 * page, so any over-read faults at once. */
#include "media/rtp.h"

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

/* Copies n bytes so that the last one is the last readable byte. */
static const uint8_t *guarded(const uint8_t *p, size_t n)
{
    return (const uint8_t *)place(p, n);
}

/* V=2, PT 0 (PCMU), seq 0x1234, ts 0xdeadbeef, SSRC 0x01020304, 160 bytes
 * of mu-law silence: the 172-byte packet of 20 ms PCMU. */
static size_t pcmu_packet(uint8_t *p)
{
    static const uint8_t hdr[12] = {0x80, 0x00, 0x12, 0x34, 0xde, 0xad,
                                    0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
    memcpy(p, hdr, sizeof(hdr));
    memset(p + 12, 0xff, 160);
    return 172;
}

static void parses_pcmu_packet(void **state)
{
    uint8_t raw[172];
    size_t n = pcmu_packet(raw);
    struct rtp_packet pkt;
    const uint8_t *buf = guarded(raw, n);
    assert_int_equal(rtp_parse(&pkt, buf, n, NULL), 0);
    assert_false(pkt.hdr.padding);
    assert_false(pkt.hdr.extension);
    assert_false(pkt.hdr.marker);
    assert_int_equal(pkt.hdr.csrc_count, 0);
    assert_int_equal(pkt.hdr.pt, 0);
    assert_int_equal(pkt.hdr.seq, 0x1234);
    assert_int_equal(pkt.hdr.ts, 0xdeadbeefu);
    assert_int_equal(pkt.hdr.ssrc, 0x01020304u);
    assert_int_equal(pkt.header_len, 12);
    assert_ptr_equal(pkt.payload, buf + 12);
    assert_int_equal(pkt.payload_len, 160);
    assert_int_equal(pkt.payload[159], 0xff);
}

/* Marker, PT 8, two CSRCs, a one-word extension (profile 0xBEDE, RFC 8285's
 * one-byte form), 3 payload bytes and 4 bytes of padding. */
static const uint8_t full_packet[] = {
    0xb2, 0x88, 0xff, 0xff, 0x00, 0x00, 0x00, 0xa0, 0xca, 0xfe, 0xba, 0xbe, /* fixed */
    0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x22,                         /* CSRCs */
    0xbe, 0xde, 0x00, 0x01, 0x10, 0x55, 0x00, 0x00,                         /* ext */
    0x61, 0x62, 0x63,                                                       /* payload */
    0x00, 0x00, 0x00, 0x04,                                                 /* padding */
};

static void parses_csrc_extension_padding(void **state)
{
    struct rtp_packet pkt;
    const uint8_t *buf = guarded(full_packet, sizeof(full_packet));
    assert_int_equal(rtp_parse(&pkt, buf, sizeof(full_packet), NULL), 0);
    assert_true(pkt.hdr.padding);
    assert_true(pkt.hdr.extension);
    assert_true(pkt.hdr.marker);
    assert_int_equal(pkt.hdr.pt, 8);
    assert_int_equal(pkt.hdr.seq, 0xffff);
    assert_int_equal(pkt.hdr.ts, 160);
    assert_int_equal(pkt.hdr.ssrc, 0xcafebabeu);
    assert_int_equal(pkt.hdr.csrc_count, 2);
    assert_int_equal(pkt.hdr.csrc[0], 0x11);
    assert_int_equal(pkt.hdr.csrc[1], 0x22);
    assert_int_equal(pkt.hdr.ext_profile, 0xbede);
    assert_int_equal(pkt.hdr.ext_len, 4);
    assert_ptr_equal(pkt.hdr.ext, buf + 24);
    assert_int_equal(pkt.hdr.ext[1], 0x55);
    assert_int_equal(pkt.header_len, 28);
    assert_int_equal(pkt.hdr.pad_len, 4);
    assert_int_equal(pkt.payload_len, 3);
    assert_memory_equal(pkt.payload, "abc", 3);
}

static void builds_exact_bytes(void **state)
{
    static const uint8_t ext[4] = {0x10, 0x55, 0x00, 0x00};
    struct rtp_header h = {
        .padding = true, .extension = true, .marker = true, .pt = 8, .seq = 0xffff,
        .ts = 160, .ssrc = 0xcafebabe, .csrc_count = 2, .csrc = {0x11, 0x22},
        .ext_profile = 0xbede, .ext = ext, .ext_len = 4, .pad_len = 4,
    };
    uint8_t out[64];
    size_t used = 0;
    assert_int_equal(rtp_build(&h, (const uint8_t *)"abc", 3, out, sizeof(out), &used), 0);
    assert_int_equal(used, sizeof(full_packet));
    assert_memory_equal(out, full_packet, used);

    /* One byte short of the packet: refused, nothing claimed. */
    assert_int_equal(rtp_build(&h, (const uint8_t *)"abc", 3, out, used - 1, &used),
                     SYNTH_ETOOBIG);
}

static void build_parse_roundtrip(void **state)
{
    uint8_t payload[160], out[RTP_PACKET_MAX];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)i;
    struct rtp_header h = {.pt = 0, .seq = 65535, .ts = 4294967136u, .ssrc = 42};
    size_t used = 0;
    assert_int_equal(rtp_build(&h, payload, sizeof(payload), out, sizeof(out), &used), 0);
    assert_int_equal(used, 172);
    struct rtp_packet pkt;
    assert_int_equal(rtp_parse(&pkt, guarded(out, used), used, NULL), 0);
    assert_int_equal(pkt.hdr.seq, 65535);
    assert_int_equal(pkt.hdr.ts, 4294967136u);
    assert_int_equal(pkt.hdr.ssrc, 42);
    assert_int_equal(pkt.payload_len, 160);
    assert_memory_equal(pkt.payload, payload, 160);
}

static void rejects_bad_headers(void **state)
{
    uint8_t p[sizeof(full_packet)];
    struct rtp_packet pkt;
    struct synth_error err;

    /* Version 1. */
    memcpy(p, full_packet, sizeof(p));
    p[0] = (uint8_t)((p[0] & 0x3f) | 0x40);
    assert_int_equal(rtp_parse(&pkt, guarded(p, sizeof(p)), sizeof(p), &err), SYNTH_EPARSE);
    assert_string_equal(err.msg, "rtp: version 1");

    /* Padding count 0, and one larger than payload + padding. */
    memcpy(p, full_packet, sizeof(p));
    p[sizeof(p) - 1] = 0;
    assert_int_equal(rtp_parse(&pkt, guarded(p, sizeof(p)), sizeof(p), NULL), SYNTH_EPARSE);
    p[sizeof(p) - 1] = 8;
    assert_int_equal(rtp_parse(&pkt, guarded(p, sizeof(p)), sizeof(p), NULL), SYNTH_EPARSE);
    /* Exactly payload + padding (7) is legal: empty payload. */
    p[sizeof(p) - 1] = 7;
    assert_int_equal(rtp_parse(&pkt, guarded(p, sizeof(p)), sizeof(p), NULL), 0);
    assert_int_equal(pkt.payload_len, 0);

    /* Extension length claiming 2 words where 1 word and 7 bytes follow. */
    memcpy(p, full_packet, sizeof(p));
    p[23] = 3;
    assert_int_equal(rtp_parse(&pkt, guarded(p, sizeof(p)), sizeof(p), &err), SYNTH_EPARSE);
    assert_string_equal(err.msg, "rtp: extension length 12 exceeds packet");

    /* 15 CSRCs in a 32-byte packet. */
    memcpy(p, full_packet, sizeof(p));
    p[0] = 0x8f;
    assert_int_equal(rtp_parse(&pkt, guarded(p, sizeof(p)), sizeof(p), NULL), SYNTH_EPARSE);

    /* Over the datagram bound. */
    static uint8_t big[RTP_PACKET_MAX + 1];
    big[0] = 0x80;
    assert_int_equal(rtp_parse(&pkt, big, sizeof(big), NULL), SYNTH_ETOOBIG);
}

/* Every strict prefix of the full packet is refused without reading past it
 * (the guard page turns an over-read into a crash). */
static void truncations_never_over_read(void **state)
{
    struct rtp_packet pkt;
    for (size_t n = 0; n < 28; n++)
        assert_int_equal(rtp_parse(&pkt, guarded(full_packet, n), n, NULL), SYNTH_EPARSE);
    /* From 28 bytes on the header is whole; whether the padding count then
     * fits decides. The last byte of a prefix is read as the count. */
    for (size_t n = 28; n < sizeof(full_packet); n++) {
        const uint8_t *b = guarded(full_packet, n);
        int rc = rtp_parse(&pkt, b, n, NULL);
        if (rc == 0)
            assert_true(pkt.payload_len + pkt.header_len + pkt.hdr.pad_len == n);
        else
            assert_int_equal(rc, SYNTH_EPARSE);
    }
}

static void build_rejects_bad_fields(void **state)
{
    uint8_t out[64];
    size_t used;
    struct rtp_header h = {.pt = 128};
    assert_int_equal(rtp_build(&h, NULL, 0, out, sizeof(out), &used), SYNTH_EINVAL);
    h = (struct rtp_header){.extension = true, .ext_len = 3, .ext = (const uint8_t *)"abc"};
    assert_int_equal(rtp_build(&h, NULL, 0, out, sizeof(out), &used), SYNTH_EINVAL);
    h = (struct rtp_header){.padding = true, .pad_len = 0};
    assert_int_equal(rtp_build(&h, NULL, 0, out, sizeof(out), &used), SYNTH_EINVAL);
    h = (struct rtp_header){.csrc_count = 16};
    assert_int_equal(rtp_build(&h, NULL, 0, out, sizeof(out), &used), SYNTH_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_pcmu_packet),
        cmocka_unit_test(parses_csrc_extension_padding),
        cmocka_unit_test(builds_exact_bytes),
        cmocka_unit_test(build_parse_roundtrip),
        cmocka_unit_test(rejects_bad_headers),
        cmocka_unit_test(truncations_never_over_read),
        cmocka_unit_test(build_rejects_bad_fields),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
