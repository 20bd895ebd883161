/* Unit tests of [MS-ICE2] as an ICE dialect (synth/ice/ice_msice2.c): a
 * check and a response built with the dialect's attributes match, byte for
 * byte, messages whose bytes were worked out by hand from RFC 5389 (header,
 * attribute padding, FINGERPRINT as CRC-32 XOR 0x5354554e), [MS-ICE2]'s
 * attributes (CANDIDATE-IDENTIFIER 0x8054 with the foundation zero-padded,
 * MS-IMPLEMENTATION-VERSION 0x8070 = 2) and the integrity an
 * implementation-version-2 agent computes (HMAC-SHA1 over the message
 * before MESSAGE-INTEGRITY, its length field counting FINGERPRINT too,
 * zero-padded to 64 bytes; the MACs below were computed with Python's hmac
 * module from that rule, not with our code); they parse back and verify;
 * the same check with RFC 5389's integrity (a version-3 agent's) is
 * accepted and answered in kind; the agent's own checks and responses
 * carry the attributes; and which dialect a peer's SDP speaks
 * (a=ice-options:ice2 or not). */
#include "synth/ice/ice_msice2.h"
#include "synth/sdp/sdp.h"
#include "synth/turn/stun_msg.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static const uint8_t tid[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const char pwd[] = "VOkJxbRl1RmTxUk/WvJxBt"; /* 22 ice-chars, the answerer's */

/* USERNAME "evtj:h6vY" (their ufrag, ours), PRIORITY of a peer-reflexive
 * candidate from a host one (110 << 24 | 65535 << 8 | 255), ICE-CONTROLLING
 * 0x0102030405060708, CANDIDATE-IDENTIFIER "1" (our host foundation),
 * MS-IMPLEMENTATION-VERSION 2, MESSAGE-INTEGRITY, FINGERPRINT. */
static const uint8_t check_bytes[] = {
    0x00, 0x01, 0x00, 0x54, 0x21, 0x12, 0xa4, 0x42, /* Binding request, 84 bytes */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x06, 0x00, 0x09, /* USERNAME, 9 */
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
    0x59, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x04, /* PRIORITY */
    0x6e, 0xff, 0xff, 0xff, 0x80, 0x2a, 0x00, 0x08, /* ICE-CONTROLLING */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x80, 0x54, 0x00, 0x04, 0x31, 0x00, 0x00, 0x00, /* CANDIDATE-IDENTIFIER "1\0\0\0" */
    0x80, 0x70, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02, /* MS-IMPLEMENTATION-VERSION 2 */
    0x00, 0x08, 0x00, 0x14, 0x7e, 0xce, 0xe2, 0x4f, /* MESSAGE-INTEGRITY (version 2) */
    0x27, 0x42, 0xc1, 0x3d, 0x25, 0x78, 0xb0, 0x3d,
    0x3c, 0x41, 0x11, 0x7b, 0xfe, 0x23, 0xc0, 0x83,
    0x80, 0x28, 0x00, 0x04, 0xd0, 0x37, 0x09, 0xd9, /* FINGERPRINT */
};

/* The same check as an agent of version 3 or later MACs it: RFC 5389 14.5,
 * the length up to MESSAGE-INTEGRITY, no padding. */
static const uint8_t check_bytes_rfc[] = {
    0x00, 0x01, 0x00, 0x54, 0x21, 0x12, 0xa4, 0x42,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
    0x59, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x04,
    0x6e, 0xff, 0xff, 0xff, 0x80, 0x2a, 0x00, 0x08,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x80, 0x54, 0x00, 0x04, 0x31, 0x00, 0x00, 0x00,
    0x80, 0x70, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x08, 0x00, 0x14, 0xca, 0x49, 0x2b, 0x0f, /* MESSAGE-INTEGRITY (RFC 5389) */
    0xce, 0xec, 0xb9, 0xc1, 0x82, 0xc9, 0xc5, 0x7c,
    0xce, 0xf8, 0x4d, 0xeb, 0x6d, 0x63, 0x4f, 0x55,
    0x80, 0x28, 0x00, 0x04, 0x41, 0xb6, 0x77, 0xfc,
};

/* Success: XOR-MAPPED-ADDRESS 127.0.0.1:5000, MS-IMPLEMENTATION-VERSION 2,
 * MESSAGE-INTEGRITY (the same password: the responder's own), FINGERPRINT. */
static const uint8_t response_bytes[] = {
    0x01, 0x01, 0x00, 0x34, 0x21, 0x12, 0xa4, 0x42,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0x08, /* XOR-MAPPED-ADDRESS */
    0x00, 0x01, 0x32, 0x9a, 0x5e, 0x12, 0xa4, 0x43, /* 5000 ^ 0x2112, 127.0.0.1 ^ cookie */
    0x80, 0x70, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x08, 0x00, 0x14, 0x5b, 0x8a, 0xaa, 0x0a, /* MESSAGE-INTEGRITY (version 2) */
    0x69, 0x3c, 0x19, 0x8e, 0x2c, 0x27, 0x58, 0x4a,
    0x77, 0x44, 0x73, 0x1b, 0x7c, 0x6c, 0x67, 0xb2,
    0x80, 0x28, 0x00, 0x04, 0x68, 0xba, 0x43, 0x58,
};

static void test_check_bytes(void **state)
{
    (void)state;
    const struct ice_dialect *d = &ice_dialect_msice2;
    uint8_t buf[256];
    char user[32];
    struct stun_enc e;
    size_t len;
    assert_int_equal(d->username(user, sizeof(user), "evtj", "h6vY"), 0);
    assert_string_equal(user, "evtj:h6vY");
    stun_enc_init(&e, buf, sizeof(buf), d->stun, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid);
    stun_enc_str(&e, STUN_ATTR_USERNAME, user);
    stun_enc_u32(&e, STUN_ATTR_PRIORITY, d->priority(ICE_CAND_PRFLX, 65535, 1));
    stun_enc_u64(&e, STUN_ATTR_ICE_CONTROLLING, 0x0102030405060708ull);
    d->request_attrs(&e, ice_cand_foundation(ICE_CAND_HOST));
    stun_enc_integrity(&e, (const uint8_t *)pwd, strlen(pwd));
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    assert_int_equal(len, sizeof(check_bytes));
    assert_memory_equal(buf, check_bytes, len);
}

static void test_response_bytes(void **state)
{
    (void)state;
    const struct ice_dialect *d = &ice_dialect_msice2;
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(5000),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint8_t buf[256];
    struct stun_enc e;
    size_t len;
    stun_enc_init(&e, buf, sizeof(buf), d->stun, STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, tid);
    stun_enc_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)&from, true);
    d->response_attrs(&e);
    stun_enc_integrity(&e, (const uint8_t *)pwd, strlen(pwd));
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    assert_int_equal(len, sizeof(response_bytes));
    assert_memory_equal(buf, response_bytes, len);
}

static void test_check_parses(void **state)
{
    (void)state;
    struct stun_msg m;
    size_t used;
    uint32_t v = 0;
    assert_int_equal(stun_msg_parse(&m, check_bytes, sizeof(check_bytes), true,
                                    &stun_dialect_msice2, &used, NULL), 0);
    assert_int_equal(used, sizeof(check_bytes));
    /* Not in RFC 5389's rule: the two MACs differ. */
    assert_int_equal(stun_msg_check_integrity_as(&m, NULL, (const uint8_t *)pwd, strlen(pwd)),
                     SYNTH_EAUTH);
    assert_int_equal(m.cls, STUN_CLASS_REQUEST);
    assert_int_equal(stun_msg_check_fingerprint(&m), 0);
    assert_int_equal(stun_msg_check_integrity(&m, (const uint8_t *)pwd, strlen(pwd)), 0);
    assert_int_equal(stun_msg_check_integrity(&m, (const uint8_t *)"wrongwrongwrongwrong22", 22),
                     SYNTH_EAUTH);
    const struct stun_attr *id = stun_msg_attr(&m, ICE_MSICE2_ATTR_CANDIDATE_IDENTIFIER);
    assert_non_null(id);
    assert_int_equal(id->len, 4);
    assert_memory_equal(id->val, "1\0\0\0", 4);
    assert_int_equal(stun_attr_u32(stun_msg_attr(&m, ICE_MSICE2_ATTR_IMPLEMENTATION_VERSION), &v), 0);
    assert_int_equal(v, ICE_MSICE2_IMPLEMENTATION_VERSION);
    assert_int_equal(stun_attr_u32(stun_msg_attr(&m, STUN_ATTR_PRIORITY), &v), 0);
    assert_int_equal(v, 0x6effffffu);
    /* The version-3 form of the same check verifies in RFC 5389's rule only. */
    assert_int_equal(stun_msg_parse(&m, check_bytes_rfc, sizeof(check_bytes_rfc), true, NULL,
                                    &used, NULL), 0);
    assert_int_equal(stun_msg_check_fingerprint(&m), 0);
    assert_int_equal(stun_msg_check_integrity(&m, (const uint8_t *)pwd, strlen(pwd)), 0);
    assert_int_equal(stun_msg_check_integrity_as(&m, &stun_dialect_msice2, (const uint8_t *)pwd,
                                                 strlen(pwd)), SYNTH_EAUTH);
}

/* Longer foundations pad to the next four; a 32-character one fills 32. */
static void test_identifier_padding(void **state)
{
    (void)state;
    static const struct { const char *f; size_t len; } cases[] = {
        {"1", 4}, {"abcd", 4}, {"abcde", 8}, {"0123456789abcdef0123456789abcdef", 32},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[256];
        struct stun_enc e;
        struct stun_msg m;
        size_t len, used;
        stun_enc_init(&e, buf, sizeof(buf), NULL, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid);
        ice_dialect_msice2.request_attrs(&e, cases[i].f);
        assert_int_equal(stun_enc_finish(&e, &len), 0);
        assert_int_equal(stun_msg_parse(&m, buf, len, false, NULL, &used, NULL), 0);
        const struct stun_attr *id = stun_msg_attr(&m, ICE_MSICE2_ATTR_CANDIDATE_IDENTIFIER);
        assert_non_null(id);
        assert_int_equal(id->len, cases[i].len);
        assert_memory_equal(id->val, cases[i].f, strlen(cases[i].f));
        for (size_t k = strlen(cases[i].f); k < id->len; k++)
            assert_int_equal(id->val[k], 0);
    }
}

/* ---- the agent speaks it ---- */

static uint8_t sent[512];
static size_t sent_len;

static int capture(void *arg, const struct sockaddr *to, socklen_t to_len, const uint8_t *buf,
                   size_t len)
{
    (void)arg, (void)to, (void)to_len;
    if (len <= sizeof(sent)) {
        memcpy(sent, buf, len);
        sent_len = len;
    }
    return 0;
}

static struct ice_agent *agent(struct event_base *base, enum ice_role role,
                               const struct ice_dialect *d, uint16_t port)
{
    struct ice_agent *a;
    struct ice_agent_opts o = {.base = base, .role = role, .components = 1, .dialect = d};
    assert_int_equal(ice_agent_new(&a, &o, NULL), 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(ice_agent_add_local(a, ICE_CAND_HOST, 1, (struct sockaddr *)&me, sizeof(me),
                                         65535, capture, NULL, NULL), 0);
    return a;
}

static void assert_msice2(const uint8_t *buf, size_t len, bool request)
{
    struct stun_msg m;
    size_t used;
    uint32_t v = 0;
    assert_int_equal(stun_msg_parse(&m, buf, len, true, NULL, &used, NULL), 0);
    assert_int_equal(stun_attr_u32(stun_msg_attr(&m, ICE_MSICE2_ATTR_IMPLEMENTATION_VERSION), &v), 0);
    assert_int_equal(v, 2);
    const struct stun_attr *id = stun_msg_attr(&m, ICE_MSICE2_ATTR_CANDIDATE_IDENTIFIER);
    if (request) {
        assert_non_null(id);
        assert_memory_equal(id->val, "1\0\0\0", 4);
    } else {
        assert_null(id);
    }
}

/* a (controlling, dialect da, port 9) has sent its first check to b
 * (controlled, db, port 10): the check and where b sees it come from. */
struct checked_pair {
    struct event_base *base;
    struct ice_agent *a, *b;
    struct sockaddr_storage from_a;
    uint8_t check[512];
    size_t check_len;
};

static void pair_start(struct checked_pair *p, const struct ice_dialect *da,
                       const struct ice_dialect *db)
{
    memset(p, 0, sizeof(*p));
    p->base = event_base_new();
    p->a = agent(p->base, ICE_CONTROLLING, da, 9);
    p->b = agent(p->base, ICE_CONTROLLED, db, 10);
    assert_int_equal(ice_agent_set_remote_credentials(p->a, ice_agent_ufrag(p->b),
                                                      ice_agent_pwd(p->b)), 0);
    assert_int_equal(ice_agent_set_remote_credentials(p->b, ice_agent_ufrag(p->a),
                                                      ice_agent_pwd(p->a)), 0);
    struct sockaddr_in pb = {.sin_family = AF_INET, .sin_port = htons(10),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in *fa4 = (struct sockaddr_in *)&p->from_a;
    *fa4 = pb;
    fa4->sin_port = htons(9);
    assert_int_equal(ice_agent_add_remote(p->a, ICE_CAND_HOST, 1, (struct sockaddr *)&pb,
                                          sizeof(pb), 2130706431), 0);
    sent_len = 0;
    assert_int_equal(ice_agent_start(p->a), 0);
    assert_true(sent_len > 0);
    p->check_len = sent_len;
    memcpy(p->check, sent, sent_len);
}

static void pair_free(struct checked_pair *p)
{
    ice_agent_free(p->a);
    ice_agent_free(p->b);
    event_base_free(p->base);
}

static void test_agent_checks_and_answers(void **state)
{
    (void)state;
    struct checked_pair p;
    pair_start(&p, &ice_dialect_msice2, &ice_dialect_rfc8445);
    assert_ptr_equal(ice_agent_dialect(p.a), &ice_dialect_msice2);
    assert_msice2(p.check, p.check_len, true);
    /* b learns from a's answer that it speaks [MS-ICE2]. */
    assert_int_equal(ice_agent_set_dialect(p.b, &ice_dialect_msice2), 0);
    sent_len = 0;
    assert_int_equal(ice_agent_receive(p.b, 0, &p.from_a, p.check, p.check_len), 0);
    assert_int_equal(ice_agent_stats(p.b)->checks_received, 1);
    assert_true(sent_len > 0);
    assert_msice2(sent, sent_len, false);
    /* Set once the checks run: too late to change. */
    assert_int_equal(ice_agent_set_dialect(p.a, &ice_dialect_rfc8445), SYNTH_EINVAL);
    pair_free(&p);
}

/* Which integrity rule a message verifies in, with key. */
static bool verifies_in(const uint8_t *buf, size_t len, const struct stun_dialect *d,
                        const char *key)
{
    struct stun_msg m;
    size_t used;
    assert_int_equal(stun_msg_parse(&m, buf, len, true, d, &used, NULL), 0);
    return stun_msg_check_integrity(&m, (const uint8_t *)key, strlen(key)) == 0;
}

/* The check again, with its attributes but MACed in dialect d's rule with
 * key (and, when user is given, that USERNAME instead of its own). */
static size_t recheck(const uint8_t *check, size_t check_len, const struct stun_dialect *d,
                      const char *user, const char *key, uint8_t *out, size_t size)
{
    struct stun_msg m;
    size_t used, len;
    struct stun_enc e;
    assert_int_equal(stun_msg_parse(&m, check, check_len, true, NULL, &used, NULL), 0);
    stun_enc_init(&e, out, size, d, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, m.tid);
    if (user)
        stun_enc_str(&e, STUN_ATTR_USERNAME, user);
    for (size_t i = 0; i < m.attr_count; i++) {
        uint16_t t = m.attrs[i].type;
        if (t != STUN_ATTR_MESSAGE_INTEGRITY && t != STUN_ATTR_FINGERPRINT &&
            !(user && t == STUN_ATTR_USERNAME))
            stun_enc_attr(&e, t, m.attrs[i].val, m.attrs[i].len);
    }
    stun_enc_integrity(&e, (const uint8_t *)key, strlen(key));
    stun_enc_fingerprint(&e);
    assert_int_equal(stun_enc_finish(&e, &len), 0);
    return len;
}

/* An [MS-ICE2] agent's checks and answers are MACed the version-2 way; a
 * check MACed the RFC 5389 way (a version-3 peer) is taken too and answered
 * the same way; an RFC 8445 agent that has not yet read the answer takes a
 * Microsoft agent's check and answers in its rule. */
static void test_agent_integrity_forms(void **state)
{
    (void)state;
    struct checked_pair p;
    pair_start(&p, &ice_dialect_msice2, &ice_dialect_msice2);
    const char *pwd_b = ice_agent_pwd(p.b);
    assert_true(verifies_in(p.check, p.check_len, &stun_dialect_msice2, pwd_b));
    assert_false(verifies_in(p.check, p.check_len, NULL, pwd_b));

    /* b answers a's check in the version-2 rule. */
    sent_len = 0;
    assert_int_equal(ice_agent_receive(p.b, 0, &p.from_a, p.check, p.check_len), 0);
    assert_true(sent_len > 0);
    assert_true(verifies_in(sent, sent_len, &stun_dialect_msice2, pwd_b));
    assert_int_equal(ice_agent_stats(p.b)->alt_integrity, 0);

    /* The same check MACed the RFC 5389 way: taken, answered that way. */
    uint8_t again[512];
    size_t again_len = recheck(p.check, p.check_len, NULL, NULL, pwd_b, again, sizeof(again));
    sent_len = 0;
    assert_int_equal(ice_agent_receive(p.b, 0, &p.from_a, again, again_len), 0);
    assert_int_equal(ice_agent_stats(p.b)->checks_received, 2);
    assert_int_equal(ice_agent_stats(p.b)->alt_integrity, 1);
    assert_true(sent_len > 0);
    assert_true(verifies_in(sent, sent_len, NULL, pwd_b));
    assert_false(verifies_in(sent, sent_len, &stun_dialect_msice2, pwd_b));

    /* c (RFC 8445, a's answer not read yet) takes the version-2 check,
     * addressed and keyed to it. */
    struct ice_agent *c = agent(p.base, ICE_CONTROLLED, &ice_dialect_rfc8445, 11);
    assert_int_equal(ice_agent_set_remote_credentials(c, ice_agent_ufrag(p.a),
                                                      ice_agent_pwd(p.a)), 0);
    char user[80];
    snprintf(user, sizeof(user), "%s:%s", ice_agent_ufrag(c), ice_agent_ufrag(p.a));
    again_len = recheck(p.check, p.check_len, &stun_dialect_msice2, user, ice_agent_pwd(c), again,
                        sizeof(again));
    sent_len = 0;
    assert_int_equal(ice_agent_receive(c, 0, &p.from_a, again, again_len), 0);
    assert_int_equal(ice_agent_stats(c)->checks_received, 1);
    assert_int_equal(ice_agent_stats(c)->alt_integrity, 1);
    assert_true(verifies_in(sent, sent_len, &stun_dialect_msice2, ice_agent_pwd(c)));
    ice_agent_free(c);
    pair_free(&p);
}

/* ---- which ICE a description speaks ---- */

static const struct ice_dialect *dialect_of(const char *media_lines)
{
    static struct sdp_session s;
    static char buf[1024];
    snprintf(buf, sizeof(buf),
             "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio 5000 RTP/AVP 0\r\na=ice-ufrag:evtj\r\na=ice-pwd:VOkJxbRl1RmTxUk/WvJxBt\r\n"
             "a=candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host\r\n%s",
             media_lines);
    struct sdp_error err;
    assert_int_equal(sdp_parse(&s, buf, strlen(buf), &err), 0);
    return ice_dialect_of_sdp(&s, &s.media[0]);
}

static void test_sdp_choice(void **state)
{
    (void)state;
    assert_ptr_equal(dialect_of("a=ice-options:ice2\r\n"), &ice_dialect_rfc8445);
    assert_ptr_equal(dialect_of("a=ice-options:trickle ice2\r\n"), &ice_dialect_rfc8445);
    /* SfB's answer: no ice-options ([MS-SDPEXT] 3.1.5.21.3). */
    assert_ptr_equal(dialect_of("a=x-ssrc-range:1-100\r\na=label:main-audio\r\n"), &ice_dialect_msice2);
    assert_ptr_equal(dialect_of("a=ice-options:trickle\r\n"), &ice_dialect_msice2);
    assert_ptr_equal(ice_dialect_by_name("ms-ice2"), &ice_dialect_msice2);
    assert_ptr_equal(ice_dialect_by_name("rfc8445"), &ice_dialect_rfc8445);
    assert_null(ice_dialect_by_name("ms-ice"));
}

static void test_sdp_ice_options_session_level(void **state)
{
    (void)state;
    static struct sdp_session s;
    static const char sdp[] =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "a=ice-options:ice2\r\n"
        "m=audio 5000 RTP/AVP 0\r\na=ice-ufrag:evtj\r\na=ice-pwd:VOkJxbRl1RmTxUk/WvJxBt\r\n";
    struct sdp_error err;
    assert_int_equal(sdp_parse(&s, sdp, strlen(sdp), &err), 0);
    assert_true(sdp_media_ice2(&s, &s.media[0]));
    /* A media-level list overrides the session's. */
    static const char sdp2[] =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "a=ice-options:ice2\r\n"
        "m=audio 5000 RTP/AVP 0\r\na=ice-options:trickle\r\n";
    assert_int_equal(sdp_parse(&s, sdp2, strlen(sdp2), &err), 0);
    assert_false(sdp_media_ice2(&s, &s.media[0]));
    /* Two lines in a section add up. */
    static const char sdp3[] =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 5000 RTP/AVP 0\r\na=ice-options:trickle\r\na=ice-options:ice-pac ice2\r\n";
    assert_int_equal(sdp_parse(&s, sdp3, strlen(sdp3), &err), 0);
    assert_true(sdp_media_ice2(&s, &s.media[0]));
}

static void test_sdp_ice_options_malformed(void **state)
{
    (void)state;
    static struct sdp_session s;
    static const char *const bad[] = {
        "m=audio 5000 RTP/AVP 0\r\na=ice-options:ice2 b@d\r\n",
        "m=audio 5000 RTP/AVP 0\r\na=ice-options:trickle\r\na=ice-options:ice2 [x]\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char buf[512];
        snprintf(buf, sizeof(buf),
                 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n%s",
                 bad[i]);
        struct sdp_error err = {0};
        assert_int_equal(sdp_parse(&s, buf, strlen(buf), &err), SYNTH_EPARSE);
        assert_int_equal(err.line, i == 0 ? 7 : 8);
        assert_non_null(strstr(err.reason, "ice-options"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_bytes),
        cmocka_unit_test(test_response_bytes),
        cmocka_unit_test(test_check_parses),
        cmocka_unit_test(test_identifier_padding),
        cmocka_unit_test(test_agent_checks_and_answers),
        cmocka_unit_test(test_agent_integrity_forms),
        cmocka_unit_test(test_sdp_choice),
        cmocka_unit_test(test_sdp_ice_options_session_level),
        cmocka_unit_test(test_sdp_ice_options_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
