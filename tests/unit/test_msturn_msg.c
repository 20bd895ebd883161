/* Unit tests of the MS-TURN dialect (synth/turn/msturn_msg.c). No
 * byte-level example of [MS-TURN] (section 4 describes flows) was at hand,
 * so the messages here are written from its field tables (2.2.1 header, 2.2.2 attributes: MAGIC-COOKIE 0x000F first
 * with 0x72C64BC6, NONCE 0x0014 / REALM 0x0015, MAPPED-ADDRESS for the
 * relay, XOR-MAPPED-ADDRESS 0x8020 XORed with the 128-bit transaction id,
 * DESTINATION-ADDRESS 0x0011, REMOTE-ADDRESS 0x0012), then read, encoded
 * byte for byte and round-tripped. Inputs sit right before an unreadable
 * page. */
#include "synth/turn/msturn_msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define ARENA_DATA (2 * STUN_MSG_MAX)
#include "guard_arena.h"

static const uint8_t TID[MSTURN_TID_LEN] = {0x44, 0x55, 0x66, 0x77, 0x01, 0x02, 0x03, 0x04,
                                            0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};

/* An unauthenticated Allocate request: header (type 0x0003, length 16, the
 * 16-byte id), MAGIC-COOKIE, MS-Version 1. */
static const uint8_t ALLOCATE[] = {
    0x00, 0x03, 0x00, 0x10, 0x44, 0x55, 0x66, 0x77, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6,
    0x80, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
};

/* The 401 of the digest challenge ([MS-TURN] 3.1.12): ERROR-CODE 401,
 * REALM "example.com" (0x0015), NONCE "abcd" (0x0014). */
static const uint8_t CHALLENGE[] = {
    0x01, 0x13, 0x00, 0x28, 0x44, 0x55, 0x66, 0x77, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6, 0x00, 0x09,
    0x00, 0x04, 0x00, 0x00, 0x04, 0x01, 0x00, 0x15, 0x00, 0x0b, 'e',  'x',  'a',  'm',  'p',
    'l',  'e',  '.',  'c',  'o',  'm',  0x00, 0x00, 0x14, 0x00, 0x04, 'a',  'b',  'c',  'd',
};

/* An Allocate success: MAPPED-ADDRESS 192.0.2.15:50000 (the relay),
 * XOR-MAPPED-ADDRESS of 192.0.2.1:7000 (port ^ 0x4455, address ^ 0x44556677
 * per [MS-TURN] 2.2.2.16), LIFETIME 480. */
static const uint8_t ALLOCATED[] = {
    0x01, 0x03, 0x00, 0x28, 0x44, 0x55, 0x66, 0x77, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6,
    0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0xc3, 0x50, 0xc0, 0x00, 0x02, 0x0f, 0x80, 0x20,
    0x00, 0x08, 0x00, 0x01, 0x5f, 0x0d, 0x84, 0x55, 0x64, 0x76, 0x00, 0x0d, 0x00, 0x04,
    0x00, 0x00, 0x01, 0xe0,
};

/* A Data Indication (0x0115): REMOTE-ADDRESS 192.0.2.150:40000, DATA "hi". */
static const uint8_t DATA_IND[] = {
    0x01, 0x15, 0x00, 0x1c, 0x44, 0x55, 0x66, 0x77, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6,
    0x00, 0x12, 0x00, 0x08, 0x00, 0x01, 0x9c, 0x40, 0xc0, 0x00, 0x02, 0x96, 0x00, 0x13,
    0x00, 0x02, 'h',  'i',  0x00, 0x00,
};

static int parse(struct stun_msg *m, const uint8_t *buf, size_t len, const struct stun_dialect *d)
{
    size_t used = 0;
    const uint8_t *p = (const uint8_t *)place(buf, len);
    return stun_msg_parse(m, p, len, true, d, &used, NULL);
}

static void sin_expect(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)ss;
    char got[INET_ADDRSTRLEN];
    assert_int_equal(s4->sin_family, AF_INET);
    assert_non_null(inet_ntop(AF_INET, &s4->sin_addr, got, sizeof(got)));
    assert_string_equal(got, ip);
    assert_int_equal(ntohs(s4->sin_port), port);
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};
    assert_int_equal(inet_pton(AF_INET, ip, &s.sin_addr), 1);
    return s;
}

static void test_allocate_encoded(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct stun_enc e;
    size_t n = 0;
    msturn_enc_init(&e, buf, sizeof(buf), MSTURN_ALLOCATE, TID);
    stun_enc_u32(&e, STUN_ATTR_MS_VERSION, MSTURN_VERSION);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(n, sizeof(ALLOCATE));
    assert_memory_equal(buf, ALLOCATE, n);

    struct stun_msg m;
    assert_int_equal(parse(&m, ALLOCATE, sizeof(ALLOCATE), &stun_dialect_msturn), 0);
    assert_int_equal(m.type, MSTURN_ALLOCATE);
    assert_memory_equal(m.tid, TID, MSTURN_TID_LEN);
    uint32_t v = 0;
    assert_int_equal(stun_attr_u32(stun_msg_attr(&m, STUN_ATTR_MS_VERSION), &v), 0);
    assert_int_equal(v, MSTURN_VERSION);
}

static void test_challenge_realm_nonce_swapped(void **state)
{
    (void)state;
    struct stun_msg m;
    assert_int_equal(parse(&m, CHALLENGE, sizeof(CHALLENGE), &stun_dialect_msturn), 0);
    assert_int_equal(m.type, MSTURN_ALLOCATE_ERR);
    struct strv reason;
    assert_int_equal(stun_msg_error(&m, &reason), 401);
    struct strv realm = stun_attr_strv(stun_msg_attr(&m, STUN_ATTR_REALM));
    struct strv nonce = stun_attr_strv(stun_msg_attr(&m, STUN_ATTR_NONCE));
    assert_int_equal(realm.l, 11);
    assert_memory_equal(realm.p, "example.com", 11);
    assert_int_equal(nonce.l, 4);
    assert_memory_equal(nonce.p, "abcd", 4);
}

static void test_allocated_addresses(void **state)
{
    (void)state;
    struct stun_msg m;
    struct sockaddr_storage ss;
    socklen_t sl;
    uint32_t life = 0;
    assert_int_equal(parse(&m, ALLOCATED, sizeof(ALLOCATED), &stun_dialect_msturn), 0);
    assert_int_equal(m.type, MSTURN_ALLOCATE_OK);
    assert_int_equal(stun_attr_addr(stun_msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS), &ss, &sl), 0);
    sin_expect(&ss, "192.0.2.15", 50000);
    assert_int_equal(
        stun_attr_xor_addr(&m, stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), &ss, &sl), 0);
    sin_expect(&ss, "192.0.2.1", 7000);
    assert_int_equal(stun_attr_u32(stun_msg_attr(&m, STUN_ATTR_LIFETIME), &life), 0);
    assert_int_equal(life, 480);

    /* The same message from the encoder. */
    uint8_t buf[128];
    struct stun_enc e;
    size_t n = 0;
    struct sockaddr_in relay = sin_of("192.0.2.15", 50000), mapped = sin_of("192.0.2.1", 7000);
    msturn_enc_init(&e, buf, sizeof(buf), MSTURN_ALLOCATE_OK, TID);
    stun_enc_addr(&e, STUN_ATTR_MAPPED_ADDRESS, (const struct sockaddr *)&relay, false);
    stun_enc_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)&mapped, true);
    stun_enc_u32(&e, STUN_ATTR_LIFETIME, 480);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(n, sizeof(ALLOCATED));
    assert_memory_equal(buf, ALLOCATED, n);
}

static void test_data_indication(void **state)
{
    (void)state;
    struct stun_msg m;
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(parse(&m, DATA_IND, sizeof(DATA_IND), &stun_dialect_msturn), 0);
    assert_int_equal(m.type, MSTURN_DATA_IND);
    assert_int_equal(stun_attr_addr(stun_msg_attr(&m, STUN_ATTR_OLD_REMOTE_ADDRESS), &ss, &sl),
                     0);
    sin_expect(&ss, "192.0.2.150", 40000);
    struct strv d = stun_attr_strv(stun_msg_attr(&m, STUN_ATTR_DATA));
    assert_int_equal(d.l, 2);
    assert_memory_equal(d.p, "hi", 2);
    /* RFC 5389 would read 0x0012 as XOR-PEER-ADDRESS: not here. */
    assert_null(stun_msg_attr(&m, STUN_ATTR_XOR_PEER_ADDRESS));
}

/* A 401 naming another Edge of the pool: ALTERNATE-SERVER is 0x000E on the
 * MS-TURN wire (RFC 5389's number, 0x8023, read as the codec's), a plain
 * address. Written by hand: 401 to an Allocate, MAGIC-COOKIE, then
 * 000e 0008 0001 0d96 c0000202 = 192.0.2.2:3478. */
static void test_alternate_server(void **state)
{
    (void)state;
    static const uint8_t msg[] = {
        0x01, 0x13, 0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6,
        0x00, 0x0e, 0x00, 0x08, 0x00, 0x01, 0x0d, 0x96, 0xc0, 0x00, 0x02, 0x02,
    };
    struct stun_msg m;
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(parse(&m, msg, sizeof(msg), &stun_dialect_msturn), 0);
    assert_int_equal(stun_attr_addr(stun_msg_attr(&m, STUN_ATTR_ALTERNATE_SERVER), &ss, &sl), 0);
    sin_expect(&ss, "192.0.2.2", 3478);
    /* Encoded back, the codec's number goes out as 0x000E. */
    uint8_t buf[64];
    struct stun_enc e;
    size_t n;
    msturn_enc_init(&e, buf, sizeof(buf), MSTURN_ALLOCATE_ERR, msg + 4);
    stun_enc_addr(&e, STUN_ATTR_ALTERNATE_SERVER, (const struct sockaddr *)&ss, false);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(n, sizeof(msg));
    assert_memory_equal(buf, msg, n);
}

/* The same challenge as libnice writes it (no padding after an attribute
 * whose length is not a multiple of four): REALM "SIP Communications
 * Service", 26 bytes, then NONCE right after it; the body is 58 bytes. The
 * padded reading fails and the unpadded one is taken; RFC 5389's codec
 * refuses it. */
static void test_unpadded_attributes(void **state)
{
    (void)state;
    static const uint8_t msg[] = {
        0x01, 0x13, 0x00, 0x3a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6,             /* MAGIC-COOKIE */
        0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x04, 0x01,             /* ERROR-CODE 401 */
        0x00, 0x15, 0x00, 0x1a, 'S', 'I', 'P', ' ', 'C', 'o', 'm', 'm', 'u', 'n', 'i', 'c',
        'a', 't', 'i', 'o', 'n', 's', ' ', 'S', 'e', 'r', 'v', 'i', 'c', 'e', /* REALM */
        0x00, 0x14, 0x00, 0x08, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', /* NONCE */
    };
    struct stun_msg m;
    assert_int_equal(parse(&m, msg, sizeof(msg), &stun_dialect_msturn), 0);
    assert_int_equal(m.attr_count, 4);
    struct strv realm = stun_attr_strv(stun_msg_attr(&m, STUN_ATTR_REALM));
    struct strv nonce = stun_attr_strv(stun_msg_attr(&m, STUN_ATTR_NONCE));
    assert_int_equal(realm.l, 26);
    assert_memory_equal(realm.p, "SIP Communications Service", 26);
    assert_int_equal(nonce.l, 8);
    assert_memory_equal(nonce.p, "abcdefgh", 8);
    struct strv reason;
    assert_int_equal(stun_msg_error(&m, &reason), 401);
    assert_int_not_equal(parse(&m, msg, sizeof(msg), NULL), 0);
}

/* A signed Send: the MESSAGE-INTEGRITY is HMAC-SHA1 over the message up to
 * it, the length field covering it, zero-padded to 64 bytes, keyed with
 * MD5(username:realm:password). Computed here from those words alone. */
static void test_send_integrity(void **state)
{
    (void)state;
    uint8_t key[STUN_LONG_TERM_KEY_LEN];
    assert_int_equal(stun_key_long_term(strv_from_cstr("alice"), strv_from_cstr("example.com"),
                                        strv_from_cstr("secret"), key),
                     0);
    uint8_t buf[256];
    struct stun_enc e;
    size_t n = 0;
    struct sockaddr_in dst = sin_of("192.0.2.150", 40000);
    msturn_enc_init(&e, buf, sizeof(buf), MSTURN_SEND, TID);
    stun_enc_addr(&e, STUN_ATTR_OLD_DESTINATION_ADDRESS, (const struct sockaddr *)&dst, false);
    stun_enc_attr(&e, STUN_ATTR_DATA, "media", 5);
    stun_enc_str(&e, STUN_ATTR_USERNAME, "alice");
    stun_enc_str(&e, STUN_ATTR_REALM, "example.com");
    stun_enc_str(&e, STUN_ATTR_NONCE, "abcd");
    size_t mi_off = e.len;
    stun_enc_integrity(&e, key, sizeof(key));
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(n, mi_off + 24);
    /* Wire numbers: DESTINATION-ADDRESS 0x0011 right after the cookie,
     * REALM 0x0015, NONCE 0x0014, MI 0x0008 last. */
    assert_int_equal(buf[28] << 8 | buf[29], 0x0011);
    assert_int_equal(buf[mi_off] << 8 | buf[mi_off + 1], 0x0008);

    uint8_t padded[320] = {0};
    memcpy(padded, buf, mi_off);
    size_t plen = (mi_off + 63) / 64 * 64;
    uint8_t mac[20];
    unsigned int ml = 0;
    assert_non_null(HMAC(EVP_sha1(), key, sizeof(key), padded, plen, mac, &ml));
    assert_memory_equal(buf + mi_off + 4, mac, 20);

    struct stun_msg m;
    assert_int_equal(parse(&m, buf, n, &stun_dialect_msturn), 0);
    assert_int_equal(stun_msg_check_integrity(&m, key, sizeof(key)), 0);
    key[0] ^= 1;
    assert_int_equal(stun_msg_check_integrity(&m, key, sizeof(key)), SYNTH_EAUTH);
}

/* Each dialect refuses the other's messages as not its own, so a client
 * pointed at the wrong relay hears nothing it could misread. */
/* [MS-TURN] 2.1 over TCP: the 4-byte header (type 0x02 a TURN message,
 * 0x03 data for the active destination; a zero byte; the length). */
static void test_tcp_framing(void **state)
{
    (void)state;
    uint8_t hdr[MSTURN_TCP_HEADER_LEN];
    enum msturn_tcp_type type;
    size_t frame = 0;
    assert_int_equal(msturn_tcp_header(hdr, MSTURN_TCP_CONTROL, 0x0124), 0);
    static const uint8_t want[] = {0x02, 0x00, 0x01, 0x24};
    assert_memory_equal(hdr, want, sizeof(want));
    assert_int_equal(msturn_tcp_frame(hdr, sizeof(hdr), &type, &frame), 0);
    assert_int_equal(type, MSTURN_TCP_CONTROL);
    assert_int_equal(frame, 4 + 0x124);
    static const uint8_t data[] = {0x03, 0x00, 0x00, 0xac, 0x80};
    assert_int_equal(msturn_tcp_frame(data, sizeof(data), &type, &frame), 0);
    assert_int_equal(type, MSTURN_TCP_DATA);
    assert_int_equal(frame, 4 + 0xac);
    /* Not there yet; another type; the reserved byte set; too long. */
    assert_int_equal(msturn_tcp_frame(data, 3, &type, &frame), SYNTH_EINCOMPLETE);
    static const uint8_t rfc4571[] = {0x00, 0x64, 0x00, 0x01};
    assert_int_equal(msturn_tcp_frame(rfc4571, sizeof(rfc4571), &type, &frame), SYNTH_EPARSE);
    static const uint8_t reserved[] = {0x02, 0x01, 0x00, 0x10};
    assert_int_equal(msturn_tcp_frame(reserved, sizeof(reserved), &type, &frame), SYNTH_EPARSE);
    static const uint8_t big[] = {0x03, 0x00, 0xff, 0xff};
    assert_int_equal(msturn_tcp_frame(big, sizeof(big), &type, &frame), SYNTH_ETOOBIG);
    assert_int_equal(msturn_tcp_header(hdr, MSTURN_TCP_DATA, STUN_MSG_MAX + 1), SYNTH_ETOOBIG);
}

static void test_dialects_apart(void **state)
{
    (void)state;
    struct stun_msg m;
    assert_int_equal(parse(&m, ALLOCATED, sizeof(ALLOCATED), NULL), SYNTH_EUNSUPPORTED);
    uint8_t rfc[64];
    struct stun_enc e;
    size_t n = 0;
    uint8_t tid[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    stun_enc_init(&e, rfc, sizeof(rfc), NULL, TURN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, tid);
    stun_enc_transport(&e, TURN_PROTO_UDP);
    assert_int_equal(stun_enc_finish(&e, &n), 0);
    assert_int_equal(parse(&m, rfc, n, &stun_dialect_msturn), SYNTH_EUNSUPPORTED);
    /* A cookie attribute with the wrong value. */
    uint8_t bad[sizeof(ALLOCATE)];
    memcpy(bad, ALLOCATE, sizeof(bad));
    bad[27] ^= 1;
    assert_int_equal(parse(&m, bad, sizeof(bad), &stun_dialect_msturn), SYNTH_EUNSUPPORTED);
    /* Truncated: the length says more than the datagram holds. */
    assert_int_equal(parse(&m, ALLOCATE, sizeof(ALLOCATE) - 4, &stun_dialect_msturn),
                     SYNTH_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocate_encoded),
        cmocka_unit_test(test_tcp_framing),
        cmocka_unit_test(test_challenge_realm_nonce_swapped),
        cmocka_unit_test(test_allocated_addresses),
        cmocka_unit_test(test_data_indication),
        cmocka_unit_test(test_send_integrity),
        cmocka_unit_test(test_alternate_server),
        cmocka_unit_test(test_unpadded_attributes),
        cmocka_unit_test(test_dialects_apart),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
