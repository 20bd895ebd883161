/* Unit tests of the STUN codec (synth/turn/stun_msg.c): the RFC 5769 test
 * vectors decoded, verified (MESSAGE-INTEGRITY, FINGERPRINT) and re-encoded
 * byte for byte; round trips of every attribute; the long-term key of
 * RFC 5389 15.4; malformed input refused with a position; ChannelData and
 * demultiplexing. Inputs sit right before an unreadable page. */
#include "synth/base/net_addr.h"
#include "synth/turn/stun_msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define ARENA_DATA (2 * STUN_MSG_MAX)
#include "guard_arena.h"

/* ---- RFC 5769 2.1-2.4 ---- */

static const uint8_t TID[STUN_TID_LEN] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                          0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
static const char SHORT_TERM_PASSWORD[] = "VOkJxbRl1RmTxUk/WvJxBt";

static const uint8_t RFC5769_REQUEST[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74,
    0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e,
    0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20,
    0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
    0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5,
    0x7a, 0x3b, 0xcf,
};

static const uint8_t RFC5769_RESPONSE_V4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76,
    0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1,
    0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
    0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00,
    0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

static const uint8_t RFC5769_RESPONSE_V6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76,
    0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01,
    0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9,
    0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb,
    0x0b, 0x4c,
};

static const uint8_t LTC_TID[STUN_TID_LEN] = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
                                              0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};
/* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8; the password is
 * "TheMatrIX" after SASLprep (RFC 5769 2.4). */
static const char LTC_USER[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
static const char LTC_NONCE[] = "f//499k954d6OL34oL9FSTvy64sA";
static const char LTC_REALM[] = "example.org";
static const char LTC_PASSWORD[] = "TheMatrIX";

static const uint8_t RFC5769_REQUEST_LTC[] = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72,
    0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88,
    0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00,
    0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
    0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73,
    0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72,
    0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02,
    0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

static struct stun_msg msg;
static struct synth_error err;

/* Parses a datagram placed before the guard page; asserts success. */
static const uint8_t *parse_ok(const void *bytes, size_t n)
{
    const uint8_t *p = (const uint8_t *)place(bytes, n);
    size_t used = 0;
    err.msg[0] = '\0';
    int rc = stun_msg_parse(&msg, p, n, true, NULL, &used, &err);
    if (rc)
        fail_msg("parse: %s: %s", synth_strerror(rc), err.msg);
    assert_int_equal(used, n);
    return p;
}

static int parse_rc(const void *bytes, size_t n, bool datagram)
{
    const uint8_t *p = (const uint8_t *)place(bytes, n);
    size_t used = 0;
    err.msg[0] = '\0';
    return stun_msg_parse(&msg, p, n, datagram, NULL, &used, &err);
}

static void assert_strv(struct strv v, const char *s)
{
    assert_int_equal(v.l, strlen(s));
    assert_memory_equal(v.p, s, v.l);
}

static void test_rfc5769_request(void **state)
{
    (void)state;
    parse_ok(RFC5769_REQUEST, sizeof(RFC5769_REQUEST));
    assert_int_equal(msg.method, STUN_METHOD_BINDING);
    assert_int_equal(msg.cls, STUN_CLASS_REQUEST);
    assert_memory_equal(msg.tid, TID, STUN_TID_LEN);
    const uint8_t *key = (const uint8_t *)SHORT_TERM_PASSWORD;
    size_t key_len = strlen(SHORT_TERM_PASSWORD);
    assert_int_equal(stun_msg_check_integrity(&msg, key, key_len), 0);
    assert_int_equal(stun_msg_check_integrity(&msg, key, key_len - 1), SYNTH_EAUTH);
    assert_int_equal(stun_msg_check_fingerprint(&msg), 0);
    assert_int_equal(stun_msg_check_integrity_sha256(&msg, key, key_len), SYNTH_ENOTFOUND);

    uint32_t prio = 0;
    uint64_t tie = 0;
    assert_int_equal(stun_attr_u32(stun_msg_attr(&msg, STUN_ATTR_PRIORITY), &prio), 0);
    assert_int_equal(prio, 0x6e0001ffu);
    assert_int_equal(stun_attr_u64(stun_msg_attr(&msg, STUN_ATTR_ICE_CONTROLLED), &tie), 0);
    assert_true(tie == 0x932ff9b151263b36ull);
    assert_strv(stun_attr_strv(stun_msg_attr(&msg, STUN_ATTR_USERNAME)), "evtj:h6vY");
    assert_strv(stun_attr_strv(stun_msg_attr(&msg, STUN_ATTR_SOFTWARE)), "STUN test client");
    assert_null(stun_msg_attr(&msg, STUN_ATTR_ICE_CONTROLLING));

    /* Our encoder writes the same bytes (the vectors pad with spaces). */
    uint8_t out[256];
    struct stun_enc e;
    size_t n = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, TID);
    e.pad = 0x20;
    stun_enc_str(&e, STUN_ATTR_SOFTWARE, "STUN test client");
    stun_enc_u32(&e, STUN_ATTR_PRIORITY, 0x6e0001ff);
    stun_enc_u64(&e, STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull);
    stun_enc_str(&e, STUN_ATTR_USERNAME, "evtj:h6vY");
    stun_enc_integrity(&e, key, key_len);
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(n, sizeof(RFC5769_REQUEST));
    assert_memory_equal(out, RFC5769_REQUEST, n);
}

static void check_response(const uint8_t *vec, size_t vec_len, const char *ip)
{
    parse_ok(vec, vec_len);
    assert_int_equal(msg.method, STUN_METHOD_BINDING);
    assert_int_equal(msg.cls, STUN_CLASS_SUCCESS);
    const uint8_t *key = (const uint8_t *)SHORT_TERM_PASSWORD;
    size_t key_len = strlen(SHORT_TERM_PASSWORD);
    assert_int_equal(stun_msg_check_integrity(&msg, key, key_len), 0);
    assert_int_equal(stun_msg_check_fingerprint(&msg), 0);
    assert_strv(stun_attr_strv(stun_msg_attr(&msg, STUN_ATTR_SOFTWARE)), "test vector");

    struct sockaddr_storage got, want;
    socklen_t got_len = 0, want_len = 0;
    assert_int_equal(net_addr_from_ip(strv_from_cstr(ip), 32853, &want, &want_len), 0);
    assert_int_equal(stun_attr_xor_addr(&msg, stun_msg_attr(&msg, STUN_ATTR_XOR_MAPPED_ADDRESS),
                                        &got, &got_len), 0);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(&got, &want, got_len);

    uint8_t out[256];
    struct stun_enc e;
    size_t n = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, TID);
    e.pad = 0x20;
    stun_enc_str(&e, STUN_ATTR_SOFTWARE, "test vector");
    stun_enc_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&want, true);
    stun_enc_integrity(&e, key, key_len);
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(n, vec_len);
    assert_memory_equal(out, vec, n);
}

static void test_rfc5769_response_v4(void **state)
{
    (void)state;
    check_response(RFC5769_RESPONSE_V4, sizeof(RFC5769_RESPONSE_V4), "192.0.2.1");
}

static void test_rfc5769_response_v6(void **state)
{
    (void)state;
    check_response(RFC5769_RESPONSE_V6, sizeof(RFC5769_RESPONSE_V6),
                   "2001:db8:1234:5678:11:2233:4455:6677");
}

static void test_rfc5769_long_term(void **state)
{
    (void)state;
    uint8_t key[STUN_LONG_TERM_KEY_LEN];
    assert_int_equal(stun_key_long_term(strv_from_cstr(LTC_USER), strv_from_cstr(LTC_REALM),
                                        strv_from_cstr(LTC_PASSWORD), key), 0);
    static const uint8_t want_key[16] = {0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
                                         0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9};
    assert_memory_equal(key, want_key, sizeof(key));

    parse_ok(RFC5769_REQUEST_LTC, sizeof(RFC5769_REQUEST_LTC));
    assert_int_equal(stun_msg_check_integrity(&msg, key, sizeof(key)), 0);
    assert_int_equal(stun_msg_check_fingerprint(&msg), SYNTH_ENOTFOUND);
    assert_strv(stun_attr_strv(stun_msg_attr(&msg, STUN_ATTR_USERNAME)), LTC_USER);
    assert_strv(stun_attr_strv(stun_msg_attr(&msg, STUN_ATTR_NONCE)), LTC_NONCE);
    assert_strv(stun_attr_strv(stun_msg_attr(&msg, STUN_ATTR_REALM)), LTC_REALM);

    uint8_t out[256];
    struct stun_enc e;
    size_t n = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, LTC_TID);
    stun_enc_str(&e, STUN_ATTR_USERNAME, LTC_USER);
    stun_enc_str(&e, STUN_ATTR_NONCE, LTC_NONCE);
    stun_enc_str(&e, STUN_ATTR_REALM, LTC_REALM);
    stun_enc_integrity(&e, key, sizeof(key));
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(n, sizeof(RFC5769_REQUEST_LTC));
    assert_memory_equal(out, RFC5769_REQUEST_LTC, n);
}

static void test_long_term_key_ascii(void **state)
{
    (void)state;
    uint8_t key[STUN_LONG_TERM_KEY_LEN];
    /* md5("alice:synth.test:s3cret") */
    static const uint8_t want[16] = {0x2b, 0x05, 0x48, 0x9c, 0x15, 0x44, 0xc3, 0x30,
                                     0x3f, 0xc8, 0xa4, 0xdc, 0x44, 0xa2, 0x81, 0x43};
    assert_int_equal(stun_key_long_term(strv_from_cstr("alice"), strv_from_cstr("synth.test"),
                                        strv_from_cstr("s3cret"), key), 0);
    assert_memory_equal(key, want, sizeof(want));
}

/* Any changed byte in a protected part breaks integrity or the fingerprint. */
static void test_tampered_vectors(void **state)
{
    (void)state;
    const uint8_t *key = (const uint8_t *)SHORT_TERM_PASSWORD;
    size_t key_len = strlen(SHORT_TERM_PASSWORD);
    uint8_t copy[sizeof(RFC5769_REQUEST)];
    /* The software text (offset 24) and the PRIORITY value (offset 44). */
    const size_t at[] = {24, 44, 60};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        memcpy(copy, RFC5769_REQUEST, sizeof(copy));
        copy[at[i]] ^= 0x01;
        parse_ok(copy, sizeof(copy));
        assert_int_equal(stun_msg_check_integrity(&msg, key, key_len), SYNTH_EAUTH);
        assert_int_equal(stun_msg_check_fingerprint(&msg), SYNTH_EPARSE);
    }
}

static void test_crc32(void **state)
{
    (void)state;
    assert_int_equal(stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
    assert_int_equal(stun_crc32(NULL, 0), 0);
}

/* RFC 8489 5, RFC 8656 17: the message types on the wire. */
static void test_message_types(void **state)
{
    (void)state;
    static const struct {
        uint16_t method;
        enum stun_class cls;
        uint16_t wire;
    } cases[] = {
        {STUN_METHOD_BINDING, STUN_CLASS_REQUEST, 0x0001},
        {STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, 0x0101},
        {STUN_METHOD_BINDING, STUN_CLASS_ERROR, 0x0111},
        {TURN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, 0x0003},
        {TURN_METHOD_ALLOCATE, STUN_CLASS_ERROR, 0x0113},
        {TURN_METHOD_REFRESH, STUN_CLASS_SUCCESS, 0x0104},
        {TURN_METHOD_SEND, STUN_CLASS_INDICATION, 0x0016},
        {TURN_METHOD_DATA, STUN_CLASS_INDICATION, 0x0017},
        {TURN_METHOD_CREATE_PERMISSION, STUN_CLASS_REQUEST, 0x0008},
        {TURN_METHOD_CHANNEL_BIND, STUN_CLASS_SUCCESS, 0x0109},
        {0xFFF, STUN_CLASS_ERROR, 0x3FFF},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t out[64];
        struct stun_enc e;
        size_t n = 0;
        stun_enc_init(&e, out, sizeof(out), NULL, cases[i].method, cases[i].cls, TID);
        assert_int_equal(stun_enc_finish(&e, &n), 0);
        assert_int_equal(n, STUN_HEADER_LEN);
        assert_int_equal(out[0] << 8 | out[1], cases[i].wire);
        parse_ok(out, n);
        assert_int_equal(msg.method, cases[i].method);
        assert_int_equal(msg.cls, cases[i].cls);
    }
}

/* Every attribute the codec knows, written and read back. */
static void test_round_trip_all(void **state)
{
    (void)state;
    struct sockaddr_storage peer4, peer6, relay;
    socklen_t l4, l6, lr;
    assert_int_equal(net_addr_from_ip(strv_from_cstr("127.0.0.1"), 40000, &peer4, &l4), 0);
    assert_int_equal(net_addr_from_ip(strv_from_cstr("::1"), 40001, &peer6, &l6), 0);
    assert_int_equal(net_addr_from_ip(strv_from_cstr("10.1.2.3"), 65535, &relay, &lr), 0);
    static const uint8_t payload[5] = {1, 2, 3, 4, 5};
    static const uint16_t unknown[3] = {0x0031, 0x0032, 0x7777};
    uint8_t key[STUN_LONG_TERM_KEY_LEN];
    assert_int_equal(stun_key_long_term(strv_from_cstr("u"), strv_from_cstr("r"),
                                        strv_from_cstr("p"), key), 0);

    uint8_t out[1024];
    struct stun_enc e;
    size_t n = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, TURN_METHOD_ALLOCATE, STUN_CLASS_ERROR, TID);
    stun_enc_error_code(&e, 486, "Allocation Quota Reached");
    stun_enc_addr(&e, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer4, true);
    stun_enc_addr(&e, STUN_ATTR_XOR_RELAYED_ADDRESS, (struct sockaddr *)&peer6, true);
    stun_enc_addr(&e, STUN_ATTR_MAPPED_ADDRESS, (struct sockaddr *)&relay, false);
    stun_enc_attr(&e, STUN_ATTR_DATA, payload, sizeof(payload));
    stun_enc_unknown_attrs(&e, unknown, 3);
    stun_enc_u32(&e, STUN_ATTR_LIFETIME, 600);
    stun_enc_transport(&e, TURN_PROTO_UDP);
    stun_enc_family(&e, AF_INET6);
    stun_enc_channel(&e, 0x4001);
    stun_enc_str(&e, STUN_ATTR_REALM, "synth.test");
    stun_enc_str(&e, STUN_ATTR_NONCE, "abc");
    stun_enc_attr(&e, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    stun_enc_u64(&e, STUN_ATTR_ICE_CONTROLLING, 42);
    stun_enc_integrity(&e, key, sizeof(key));
    stun_enc_integrity_sha256(&e, key, sizeof(key));
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(n % 4, 0);

    parse_ok(out, n);
    assert_int_equal(msg.cls, STUN_CLASS_ERROR);
    assert_int_equal(msg.method, TURN_METHOD_ALLOCATE);
    struct strv reason;
    assert_int_equal(stun_msg_error(&msg, &reason), 486);
    assert_strv(reason, "Allocation Quota Reached");

    struct sockaddr_storage got;
    socklen_t gl;
    assert_int_equal(stun_attr_xor_addr(&msg, stun_msg_attr(&msg, STUN_ATTR_XOR_PEER_ADDRESS),
                                        &got, &gl), 0);
    assert_true(net_addr_equal(&got, &peer4));
    assert_int_equal(stun_attr_xor_addr(&msg, stun_msg_attr(&msg, STUN_ATTR_XOR_RELAYED_ADDRESS),
                                        &got, &gl), 0);
    assert_true(net_addr_equal(&got, &peer6));
    assert_int_equal(stun_attr_addr(stun_msg_attr(&msg, STUN_ATTR_MAPPED_ADDRESS), &got, &gl), 0);
    assert_true(net_addr_equal(&got, &relay));
    /* The XOR is really there: the raw port is not the port. */
    const struct stun_attr *xp = stun_msg_attr(&msg, STUN_ATTR_XOR_PEER_ADDRESS);
    assert_int_not_equal(xp->val[2] << 8 | xp->val[3], 40000);

    struct strv data = stun_attr_strv(stun_msg_attr(&msg, STUN_ATTR_DATA));
    assert_int_equal(data.l, sizeof(payload));
    assert_memory_equal(data.p, payload, sizeof(payload));
    const struct stun_attr *ua = stun_msg_attr(&msg, STUN_ATTR_UNKNOWN_ATTRIBUTES);
    assert_non_null(ua);
    assert_int_equal(ua->len, 6);
    assert_int_equal(ua->val[4] << 8 | ua->val[5], 0x7777);
    uint32_t v32 = 0;
    assert_int_equal(stun_attr_u32(stun_msg_attr(&msg, STUN_ATTR_LIFETIME), &v32), 0);
    assert_int_equal(v32, 600);
    const struct stun_attr *rt = stun_msg_attr(&msg, STUN_ATTR_REQUESTED_TRANSPORT);
    assert_non_null(rt);
    assert_int_equal(rt->val[0], 17);
    const struct stun_attr *fam = stun_msg_attr(&msg, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
    assert_non_null(fam);
    assert_int_equal(fam->len, 4);
    assert_int_equal(fam->val[0], 0x02);
    uint16_t ch = 0;
    assert_int_equal(stun_attr_channel(stun_msg_attr(&msg, STUN_ATTR_CHANNEL_NUMBER), &ch), 0);
    assert_int_equal(ch, 0x4001);
    assert_strv(stun_attr_strv(stun_msg_attr(&msg, STUN_ATTR_REALM)), "synth.test");
    assert_strv(stun_attr_strv(stun_msg_attr(&msg, STUN_ATTR_NONCE)), "abc");
    assert_non_null(stun_msg_attr(&msg, STUN_ATTR_USE_CANDIDATE));
    uint64_t v64 = 0;
    assert_int_equal(stun_attr_u64(stun_msg_attr(&msg, STUN_ATTR_ICE_CONTROLLING), &v64), 0);
    assert_true(v64 == 42);
    assert_int_equal(stun_msg_check_integrity(&msg, key, sizeof(key)), 0);
    assert_int_equal(stun_msg_check_integrity_sha256(&msg, key, sizeof(key)), 0);
    key[0] ^= 1;
    assert_int_equal(stun_msg_check_integrity_sha256(&msg, key, sizeof(key)), SYNTH_EAUTH);
    assert_int_equal(stun_msg_check_fingerprint(&msg), 0);
    assert_int_equal(msg.unknown_count, 0);
}

/* Attributes after MESSAGE-INTEGRITY are not protected and not returned;
 * unknown comprehension-required ones are listed for a 420. */
static void test_after_integrity_and_unknown(void **state)
{
    (void)state;
    uint8_t out[256];
    struct stun_enc e;
    size_t n = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, TID);
    stun_enc_attr(&e, 0x0031, "x", 1);  /* unknown, comprehension-required */
    stun_enc_attr(&e, 0xC001, "y", 1);  /* unknown, optional */
    stun_enc_integrity(&e, (const uint8_t *)"k", 1);
    stun_enc_str(&e, STUN_ATTR_USERNAME, "late");
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    parse_ok(out, n);
    assert_null(stun_msg_attr(&msg, STUN_ATTR_USERNAME));
    assert_int_equal(msg.unknown_count, 1);
    assert_int_equal(msg.unknown[0], 0x0031);
    assert_int_equal(stun_msg_check_integrity(&msg, (const uint8_t *)"k", 1), 0);
}

static void expect_broken(const void *bytes, size_t n, const char *why)
{
    int rc = parse_rc(bytes, n, true);
    if (rc != SYNTH_EPARSE)
        fail_msg("%s: got %s (%s)", why, synth_strerror(rc), err.msg);
    assert_memory_equal(err.msg, "offset ", 7);
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t b[sizeof(RFC5769_REQUEST) + 8];
    const size_t n = sizeof(RFC5769_REQUEST);

    /* Every truncation: broken or not STUN as a datagram, "wait" on a stream. */
    for (size_t cut = 0; cut < n; cut++) {
        int rc = parse_rc(RFC5769_REQUEST, cut, true);
        assert_true(rc == SYNTH_EPARSE || rc == SYNTH_EUNSUPPORTED);
        assert_int_equal(parse_rc(RFC5769_REQUEST, cut, false), SYNTH_EINCOMPLETE);
    }
    /* Length not a multiple of 4. */
    memcpy(b, RFC5769_REQUEST, n);
    b[3] = 0x57;
    expect_broken(b, n, "length 0x57");
    /* Length says more than the datagram holds. */
    memcpy(b, RFC5769_REQUEST, n);
    b[3] = 0x5c;
    expect_broken(b, n, "length past the end");
    /* Trailing bytes after the message in a datagram. */
    memcpy(b, RFC5769_REQUEST, n);
    memset(b + n, 0, 4);
    expect_broken(b, n + 4, "trailing bytes");
    /* An attribute value longer than the message (SOFTWARE at 20). */
    memcpy(b, RFC5769_REQUEST, n);
    b[23] = 0xF0;
    expect_broken(b, n, "attribute past the end");
    /* A fixed-size attribute with the wrong size (PRIORITY at 40). */
    memcpy(b, RFC5769_REQUEST, n);
    b[43] = 0x05;
    expect_broken(b, n, "PRIORITY of 5 bytes");
    /* FINGERPRINT not last: swap the order by moving it before MI would need
     * re-encoding; an attribute after it is the same rule. */
    uint8_t out[128];
    struct stun_enc e;
    size_t len = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, TID);
    stun_enc_fingerprint(&e);
    stun_enc_str(&e, STUN_ATTR_SOFTWARE, "x");
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    expect_broken(out, len, "attribute after FINGERPRINT");
    /* Bad padding: a 5-byte value at the end whose padding is missing. */
    stun_enc_init(&e, out, sizeof(out), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, TID);
    stun_enc_str(&e, STUN_ATTR_SOFTWARE, "abcde");
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    out[3] = 0x08; /* 4 + 5 bytes would need 12 */
    expect_broken(out, len - 4, "padding past the end");
    /* A truncated attribute header. */
    stun_enc_init(&e, out, sizeof(out), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, TID);
    stun_enc_str(&e, STUN_ATTR_SOFTWARE, "abcd");
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    out[3] = 0x0C;
    memset(out + len, 0, 4);
    out[len] = 0x80;
    out[len + 3] = 4; /* a 4-byte value that is not there */
    expect_broken(out, len + 4, "value past the end (attribute header only)");
    /* An address with IPv6 family and IPv4 length. */
    memcpy(b, RFC5769_RESPONSE_V4, sizeof(RFC5769_RESPONSE_V4));
    b[41] = 0x02;
    expect_broken(b, sizeof(RFC5769_RESPONSE_V4), "family 2 in 8 bytes");
    /* An address of 2 bytes (ALTERNATE-SERVER, read by offset): broken, not
     * read past its end (the fuzzer's find). */
    stun_enc_init(&e, out, sizeof(out), NULL, TURN_METHOD_ALLOCATE, STUN_CLASS_ERROR, TID);
    stun_enc_attr(&e, STUN_ATTR_ALTERNATE_SERVER, "hi", 2);
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    expect_broken(out, len, "ALTERNATE-SERVER of 2 bytes");
    /* An error code outside 300-699. */
    stun_enc_init(&e, out, sizeof(out), NULL, TURN_METHOD_ALLOCATE, STUN_CLASS_ERROR, TID);
    stun_enc_error_code(&e, 486, "x");
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    out[26] = 7;
    expect_broken(out, len, "error class 7");
}

static void test_too_many_attributes(void **state)
{
    (void)state;
    uint8_t out[1024];
    struct stun_enc e;
    size_t n = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, STUN_METHOD_BINDING, STUN_CLASS_INDICATION, TID);
    for (int i = 0; i <= STUN_ATTRS_MAX; i++)
        stun_enc_attr(&e, 0xC000, NULL, 0);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(parse_rc(out, n, true), SYNTH_ETOOBIG);
}

static void test_not_stun(void **state)
{
    (void)state;
    static const uint8_t rtp[] = {0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1,
                                  0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t chandata[] = {0x40, 0x00, 0x00, 0x04, 1, 2, 3, 4};
    uint8_t b[sizeof(RFC5769_REQUEST)];
    assert_int_equal(parse_rc(rtp, sizeof(rtp), true), SYNTH_EUNSUPPORTED);
    assert_int_equal(parse_rc(chandata, sizeof(chandata), true), SYNTH_EUNSUPPORTED);
    assert_int_equal(parse_rc(rtp, 0, true), SYNTH_EUNSUPPORTED);
    memcpy(b, RFC5769_REQUEST, sizeof(b));
    b[5] ^= 0xFF; /* no magic cookie: an RFC 3489 or other message */
    assert_int_equal(parse_rc(b, sizeof(b), true), SYNTH_EUNSUPPORTED);
    assert_int_equal(parse_rc(b, sizeof(b), false), SYNTH_EUNSUPPORTED);

    assert_int_equal(stun_demux(RFC5769_REQUEST, sizeof(RFC5769_REQUEST)), STUN_DEMUX_STUN);
    assert_int_equal(stun_demux(rtp, sizeof(rtp)), STUN_DEMUX_RTP);
    assert_int_equal(stun_demux(chandata, sizeof(chandata)), STUN_DEMUX_CHANNEL);
    static const uint8_t dtls = 22, zrtp = 16, other = 200, four = 4;
    assert_int_equal(stun_demux(&dtls, 1), STUN_DEMUX_DTLS);
    assert_int_equal(stun_demux(&zrtp, 1), STUN_DEMUX_ZRTP);
    assert_int_equal(stun_demux(&other, 1), STUN_DEMUX_OTHER);
    assert_int_equal(stun_demux(&four, 1), STUN_DEMUX_OTHER);
    assert_int_equal(stun_demux(NULL, 0), STUN_DEMUX_OTHER);
}

static void test_stream_framing(void **state)
{
    (void)state;
    size_t frame = 0;
    const uint8_t *p = (const uint8_t *)place(RFC5769_REQUEST, 3);
    assert_int_equal(stun_stream_frame_len(p, 3, &frame), SYNTH_EINCOMPLETE);
    p = (const uint8_t *)place(RFC5769_REQUEST, 4);
    assert_int_equal(stun_stream_frame_len(p, 4, &frame), 0);
    assert_int_equal(frame, sizeof(RFC5769_REQUEST));
    static const uint8_t cd[] = {0x40, 0x01, 0x00, 0x05};
    p = (const uint8_t *)place(cd, sizeof(cd));
    assert_int_equal(stun_stream_frame_len(p, sizeof(cd), &frame), 0);
    assert_int_equal(frame, 12); /* 4 + 5, padded */
    static const uint8_t rtp[] = {0x80, 0x00, 0x00, 0x05};
    p = (const uint8_t *)place(rtp, sizeof(rtp));
    assert_int_equal(stun_stream_frame_len(p, sizeof(rtp), &frame), SYNTH_EPARSE);
    static const uint8_t huge[] = {0x00, 0x01, 0xFF, 0xFC};
    p = (const uint8_t *)place(huge, sizeof(huge));
    assert_int_equal(stun_stream_frame_len(p, sizeof(huge), &frame), SYNTH_ETOOBIG);

    /* Two messages back to back on a stream: the first is consumed alone. */
    uint8_t two[2 * sizeof(RFC5769_REQUEST)];
    memcpy(two, RFC5769_REQUEST, sizeof(RFC5769_REQUEST));
    memcpy(two + sizeof(RFC5769_REQUEST), RFC5769_REQUEST, sizeof(RFC5769_REQUEST));
    p = (const uint8_t *)place(two, sizeof(two));
    size_t used = 0;
    assert_int_equal(stun_msg_parse(&msg, p, sizeof(two), false, NULL, &used, &err), 0);
    assert_int_equal(used, sizeof(RFC5769_REQUEST));
    assert_int_equal(stun_msg_parse(&msg, p, sizeof(two), true, NULL, &used, &err), SYNTH_EPARSE);
}

static void test_chandata(void **state)
{
    (void)state;
    static const uint8_t data[5] = {9, 8, 7, 6, 5};
    uint8_t out[64];
    size_t n = 0, used = 0, dlen = 0;
    uint16_t ch = 0;
    const uint8_t *d = NULL;

    assert_int_equal(stun_chandata_encode(out, sizeof(out), 0x4000, data, 5, false, &n), 0);
    assert_int_equal(n, 9);
    const uint8_t *p = (const uint8_t *)place(out, n);
    assert_int_equal(stun_chandata_parse(p, n, false, &ch, &d, &dlen, &used), 0);
    assert_int_equal(ch, 0x4000);
    assert_int_equal(dlen, 5);
    assert_memory_equal(d, data, 5);
    assert_int_equal(used, 9);
    assert_int_equal(stun_chandata_parse(p, n - 1, false, &ch, &d, &dlen, &used), SYNTH_EPARSE);

    assert_int_equal(stun_chandata_encode(out, sizeof(out), 0x4FFF, data, 5, true, &n), 0);
    assert_int_equal(n, 12);
    p = (const uint8_t *)place(out, n);
    assert_int_equal(stun_chandata_parse(p, n, true, &ch, &d, &dlen, &used), 0);
    assert_int_equal(used, 12);
    assert_int_equal(dlen, 5);
    for (size_t cut = 0; cut < n; cut++) {
        p = (const uint8_t *)place(out, cut);
        assert_int_equal(stun_chandata_parse(p, cut, true, &ch, &d, &dlen, &used),
                         SYNTH_EINCOMPLETE);
    }
    static const uint8_t bad_ch[] = {0x50, 0x00, 0x00, 0x00};
    p = (const uint8_t *)place(bad_ch, sizeof(bad_ch));
    assert_int_equal(stun_chandata_parse(p, 4, false, &ch, &d, &dlen, &used), SYNTH_EUNSUPPORTED);
    /* A server takes RFC 5766's wider range, and a stream frames it. */
    assert_int_equal(stun_chandata_parse_upto(p, 4, false, TURN_CHANNEL_MAX_RFC5766, &ch, &d,
                                              &dlen, &used),
                     0);
    assert_int_equal(ch, 0x5000);
    size_t frame = 0;
    assert_int_equal(stun_stream_frame_len(p, 4, &frame), 0);
    assert_int_equal(frame, 4);
    assert_int_equal(stun_chandata_encode(out, 8, 0x4000, data, 5, false, &n), SYNTH_ETOOBIG);
}

static void test_encoder_overflow(void **state)
{
    (void)state;
    uint8_t out[40];
    struct stun_enc e;
    size_t n = 0;
    stun_enc_init(&e, out, sizeof(out), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, TID);
    stun_enc_str(&e, STUN_ATTR_SOFTWARE, "0123456789");
    stun_enc_fingerprint(&e);
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &n), SYNTH_ETOOBIG);
    stun_enc_init(&e, out, 10, NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, TID);
    assert_int_equal(stun_enc_finish(&e, &n), SYNTH_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5769_request),
        cmocka_unit_test(test_rfc5769_response_v4),
        cmocka_unit_test(test_rfc5769_response_v6),
        cmocka_unit_test(test_rfc5769_long_term),
        cmocka_unit_test(test_long_term_key_ascii),
        cmocka_unit_test(test_tampered_vectors),
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_message_types),
        cmocka_unit_test(test_round_trip_all),
        cmocka_unit_test(test_after_integrity_and_unknown),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_too_many_attributes),
        cmocka_unit_test(test_not_stun),
        cmocka_unit_test(test_stream_framing),
        cmocka_unit_test(test_chandata),
        cmocka_unit_test(test_encoder_overflow),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
