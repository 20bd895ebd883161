/* Unit tests of media/srtp_session.c over the real libsrtp2: a sender and a
 * receiver session sharing an SDES key round-trip a 172-byte PCMU packet
 * (182 bytes with the 80-bit tag, 183 with MKI 1:1, 176 with the 32-bit tag)
 * and RTCP; tampering counts an authentication failure, a resent packet a
 * replay, a foreign MKI a bad MKI; init is safe from several threads. */
#include "media/srtp_session.h"

#include "media/rtp.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define PKT_CAP 256

struct pair {
    struct srtpsess *tx;
    struct srtpsess *rx;
};

static void make_key(struct sdes_key *k, const char *param)
{
    assert_int_equal(sdes_key_parse(k, param, strlen(param), NULL), 0);
}

static void open_pair(struct pair *p, enum srtpsess_suite suite, const char *param)
{
    struct sdes_key k;
    struct synth_error err;
    make_key(&k, param);
    assert_int_equal(srtpsess_create(&p->tx, suite, SRTPSESS_SEND, &k, &err), 0);
    assert_int_equal(srtpsess_create(&p->rx, suite, SRTPSESS_RECV, &k, &err), 0);
}

static void close_pair(struct pair *p)
{
    srtpsess_free(p->tx);
    srtpsess_free(p->rx);
}

/* 20 ms of PCMU: 12-byte header + 160 payload bytes. */
static size_t pcmu(uint8_t *buf, uint16_t seq)
{
    uint8_t payload[160];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(0x80 ^ i);
    struct rtp_header h = {.pt = 0, .seq = seq, .ts = seq * 160u, .ssrc = 0x5eed};
    size_t used = 0;
    assert_int_equal(rtp_build(&h, payload, sizeof(payload), buf, PKT_CAP, &used), 0);
    assert_int_equal(used, 172);
    return used;
}

#define KEY_NO_MKI "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
#define KEY_MKI "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^31|1:1"

/* Protect then unprotect one packet; returns the protected length. */
static size_t roundtrip(struct pair *p, uint16_t seq)
{
    _Alignas(4) uint8_t buf[PKT_CAP], plain[PKT_CAP];
    size_t len = pcmu(buf, seq);
    memcpy(plain, buf, len);
    assert_int_equal(srtpsess_protect_rtp(p->tx, buf, &len, sizeof(buf), NULL), 0);
    size_t wire = len;
    /* Header in clear, payload encrypted (RFC 3711 3.1). */
    assert_memory_equal(buf, plain, 12);
    assert_memory_not_equal(buf + 12, plain + 12, 160);
    enum srtpsess_result res = SRTPSESS_FAIL;
    assert_int_equal(srtpsess_unprotect_rtp(p->rx, buf, &len, &res, NULL), 0);
    assert_int_equal(res, SRTPSESS_OK);
    assert_int_equal(len, 172);
    assert_memory_equal(buf, plain, 172);
    return wire;
}

static void pcmu_roundtrip_80(void **state)
{
    struct pair p;
    open_pair(&p, SRTPSESS_AES_CM_128_HMAC_SHA1_80, KEY_NO_MKI);
    assert_int_equal(srtpsess_rtp_overhead(p.tx), 10);
    assert_int_equal(roundtrip(&p, 1), 182);
    assert_int_equal(roundtrip(&p, 2), 182);
    assert_int_equal(srtpsess_counters(p.tx)->rtp_ok, 2);
    assert_int_equal(srtpsess_counters(p.rx)->rtp_ok, 2);
    assert_int_equal(srtpsess_counters(p.rx)->auth_fail, 0);
    close_pair(&p);
}

static void pcmu_roundtrip_mki(void **state)
{
    struct pair p;
    open_pair(&p, SRTPSESS_AES_CM_128_HMAC_SHA1_80, KEY_MKI);
    assert_int_equal(srtpsess_rtp_overhead(p.tx), 11);

    _Alignas(4) uint8_t buf[PKT_CAP];
    size_t len = pcmu(buf, 10);
    assert_int_equal(srtpsess_protect_rtp(p.tx, buf, &len, sizeof(buf), NULL), 0);
    assert_int_equal(len, 183);
    /* RFC 3711 3.1: the MKI sits after the encrypted portion, before the tag. */
    assert_int_equal(buf[172], 0x01);
    assert_int_equal(srtpsess_unprotect_rtp(p.rx, buf, &len, NULL, NULL), 0);
    assert_int_equal(len, 172);
    assert_int_equal(roundtrip(&p, 11), 183);
    close_pair(&p);
}

static void pcmu_roundtrip_32(void **state)
{
    struct pair p;
    open_pair(&p, SRTPSESS_AES_CM_128_HMAC_SHA1_32, KEY_NO_MKI);
    assert_int_equal(roundtrip(&p, 1), 176);
    /* SRTCP keeps the 80-bit tag with the _32 suite (RFC 4568 6.2.2). */
    assert_int_equal(srtpsess_rtcp_overhead(p.tx), 14);
    close_pair(&p);
}

static void tamper_counts_auth_failure(void **state)
{
    struct pair p;
    open_pair(&p, SRTPSESS_AES_CM_128_HMAC_SHA1_80, KEY_MKI);
    _Alignas(4) uint8_t buf[PKT_CAP];
    size_t len = pcmu(buf, 100);
    assert_int_equal(srtpsess_protect_rtp(p.tx, buf, &len, sizeof(buf), NULL), 0);
    buf[50] ^= 0x01;
    enum srtpsess_result res = SRTPSESS_OK;
    struct synth_error err;
    assert_int_equal(srtpsess_unprotect_rtp(p.rx, buf, &len, &res, &err), SYNTH_EAUTH);
    assert_int_equal(res, SRTPSESS_AUTH_FAIL);
    assert_int_equal(len, 183);
    assert_string_equal(err.msg, "srtp: RTP unprotect: authentication failed (7)");
    assert_int_equal(srtpsess_counters(p.rx)->auth_fail, 1);
    assert_int_equal(srtpsess_counters(p.rx)->replay_fail, 0);
    assert_int_equal(srtpsess_counters(p.rx)->rtp_ok, 0);

    /* A receiver with another key: every packet fails authentication. */
    struct sdes_key other;
    struct srtpsess *rx2;
    make_key(&other, "inline:////////////////////////////////////////|2^31|1:1");
    assert_int_equal(srtpsess_create(&rx2, SRTPSESS_AES_CM_128_HMAC_SHA1_80, SRTPSESS_RECV,
                                     &other, NULL), 0);
    len = pcmu(buf, 101);
    assert_int_equal(srtpsess_protect_rtp(p.tx, buf, &len, sizeof(buf), NULL), 0);
    assert_int_equal(srtpsess_unprotect_rtp(rx2, buf, &len, &res, NULL), SYNTH_EAUTH);
    assert_int_equal(res, SRTPSESS_AUTH_FAIL);
    assert_int_equal(srtpsess_counters(rx2)->auth_fail, 1);
    srtpsess_free(rx2);
    close_pair(&p);
}

static void replay_counted_apart(void **state)
{
    struct pair p;
    open_pair(&p, SRTPSESS_AES_CM_128_HMAC_SHA1_80, KEY_NO_MKI);
    _Alignas(4) uint8_t buf[PKT_CAP], copy[PKT_CAP];
    size_t len = pcmu(buf, 7), copy_len;
    assert_int_equal(srtpsess_protect_rtp(p.tx, buf, &len, sizeof(buf), NULL), 0);
    memcpy(copy, buf, len);
    copy_len = len;
    assert_int_equal(srtpsess_unprotect_rtp(p.rx, buf, &len, NULL, NULL), 0);
    enum srtpsess_result res = SRTPSESS_OK;
    assert_int_equal(srtpsess_unprotect_rtp(p.rx, copy, &copy_len, &res, NULL), SYNTH_EAUTH);
    assert_int_equal(res, SRTPSESS_REPLAY);
    assert_int_equal(srtpsess_counters(p.rx)->replay_fail, 1);
    assert_int_equal(srtpsess_counters(p.rx)->auth_fail, 0);

    /* Far behind the window (RFC 3711 3.3.2): replay_old, counted the same. */
    for (uint16_t q = 8; q < 8 + 2 * SRTPSESS_REPLAY_WINDOW; q++)
        roundtrip(&p, q);
    _Alignas(4) uint8_t old[PKT_CAP];
    size_t old_len = pcmu(old, 7);
    /* Protected anew by a second sender with the same key: valid tag, old index. */
    struct sdes_key k;
    struct srtpsess *tx2;
    make_key(&k, KEY_NO_MKI);
    assert_int_equal(srtpsess_create(&tx2, SRTPSESS_AES_CM_128_HMAC_SHA1_80, SRTPSESS_SEND, &k,
                                     NULL), 0);
    assert_int_equal(srtpsess_protect_rtp(tx2, old, &old_len, sizeof(old), NULL), 0);
    assert_int_equal(srtpsess_unprotect_rtp(p.rx, old, &old_len, &res, NULL), SYNTH_EAUTH);
    assert_int_equal(res, SRTPSESS_REPLAY);
    assert_int_equal(srtpsess_counters(p.rx)->replay_fail, 2);
    srtpsess_free(tx2);
    close_pair(&p);
}

static void foreign_mki_counted(void **state)
{
    struct sdes_key k1, k2;
    make_key(&k1, KEY_MKI);
    make_key(&k2, "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^31|2:1");
    struct srtpsess *tx, *rx;
    assert_int_equal(srtpsess_create(&tx, SRTPSESS_AES_CM_128_HMAC_SHA1_80, SRTPSESS_SEND, &k1,
                                     NULL), 0);
    assert_int_equal(srtpsess_create(&rx, SRTPSESS_AES_CM_128_HMAC_SHA1_80, SRTPSESS_RECV, &k2,
                                     NULL), 0);
    _Alignas(4) uint8_t buf[PKT_CAP];
    size_t len = pcmu(buf, 1);
    assert_int_equal(srtpsess_protect_rtp(tx, buf, &len, sizeof(buf), NULL), 0);
    enum srtpsess_result res = SRTPSESS_OK;
    assert_int_equal(srtpsess_unprotect_rtp(rx, buf, &len, &res, NULL), SYNTH_EAUTH);
    assert_int_equal(res, SRTPSESS_BAD_MKI);
    assert_int_equal(srtpsess_counters(rx)->bad_mki, 1);
    srtpsess_free(tx);
    srtpsess_free(rx);
}

static void rtcp_roundtrip(void **state)
{
    struct pair p;
    open_pair(&p, SRTPSESS_AES_CM_128_HMAC_SHA1_80, KEY_MKI);
    /* An RR with no blocks plus SDES CNAME, 8 + 16 bytes. */
    static const uint8_t rtcp[] = {0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x5e, 0xed,
                                   0x81, 0xca, 0x00, 0x03, 0x00, 0x00, 0x5e, 0xed,
                                   0x01, 0x05, 's',  'y',  'n',  't',  'h',  0x00};
    _Alignas(4) uint8_t buf[PKT_CAP];
    memcpy(buf, rtcp, sizeof(rtcp));
    size_t len = sizeof(rtcp);
    assert_int_equal(srtpsess_protect_rtcp(p.tx, buf, &len, sizeof(buf), NULL), 0);
    /* E flag + 31-bit index, MKI, 80-bit tag (RFC 3711 3.4). */
    assert_int_equal(len, sizeof(rtcp) + 4 + 1 + 10);
    assert_int_equal(buf[sizeof(rtcp)] & 0x80, 0x80);
    assert_int_equal(buf[sizeof(rtcp) + 4], 0x01);
    assert_int_equal(srtpsess_unprotect_rtcp(p.rx, buf, &len, NULL, NULL), 0);
    assert_int_equal(len, sizeof(rtcp));
    assert_memory_equal(buf, rtcp, sizeof(rtcp));
    assert_int_equal(srtpsess_counters(p.rx)->rtcp_ok, 1);

    /* Tampered SRTCP is an authentication failure too. */
    assert_int_equal(srtpsess_protect_rtcp(p.tx, buf, &len, sizeof(buf), NULL), 0);
    buf[10] ^= 0x80;
    enum srtpsess_result res;
    assert_int_equal(srtpsess_unprotect_rtcp(p.rx, buf, &len, &res, NULL), SYNTH_EAUTH);
    assert_int_equal(res, SRTPSESS_AUTH_FAIL);
    assert_int_equal(srtpsess_counters(p.rx)->auth_fail, 1);
    close_pair(&p);
}

static void misuse_is_refused(void **state)
{
    struct pair p;
    open_pair(&p, SRTPSESS_AES_CM_128_HMAC_SHA1_80, KEY_NO_MKI);
    _Alignas(4) uint8_t buf[PKT_CAP];
    size_t len = pcmu(buf, 1);
    /* No room for the tag. */
    assert_int_equal(srtpsess_protect_rtp(p.tx, buf, &len, 181, NULL), SYNTH_ETOOBIG);
    assert_int_equal(len, 172);
    /* Wrong direction. */
    assert_int_equal(srtpsess_protect_rtp(p.rx, buf, &len, sizeof(buf), NULL), SYNTH_EINVAL);
    assert_int_equal(srtpsess_unprotect_rtp(p.tx, buf, &len, NULL, NULL), SYNTH_EINVAL);
    /* Shorter than an RTP header. */
    len = 11;
    enum srtpsess_result res;
    assert_int_equal(srtpsess_unprotect_rtp(p.rx, buf, &len, &res, NULL), SYNTH_EINVAL);
    assert_int_equal(res, SRTPSESS_MALFORMED);
    assert_int_equal(srtpsess_counters(p.rx)->malformed, 1);
    close_pair(&p);

    enum srtpsess_suite suite;
    assert_int_equal(srtpsess_suite_parse("AES_CM_128_HMAC_SHA1_32", 23, &suite), 0);
    assert_int_equal(suite, SRTPSESS_AES_CM_128_HMAC_SHA1_32);
    assert_string_equal(srtpsess_suite_name(suite), "AES_CM_128_HMAC_SHA1_32");
    assert_int_equal(srtpsess_suite_parse("AEAD_AES_128_GCM", 16, &suite), SYNTH_EUNSUPPORTED);
    assert_int_equal(srtpsess_suite_parse("AES_CM_128_HMAC_SHA1_8", 22, &suite),
                     SYNTH_EUNSUPPORTED);
}

static void *init_thread(void *arg)
{
    *(int *)arg = srtpsess_global_init(NULL);
    return NULL;
}

static void init_from_threads(void **state)
{
    pthread_t t[4];
    int rc[4] = {-1, -1, -1, -1};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, init_thread, &rc[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(rc[i], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_from_threads),
        cmocka_unit_test(pcmu_roundtrip_80),
        cmocka_unit_test(pcmu_roundtrip_mki),
        cmocka_unit_test(pcmu_roundtrip_32),
        cmocka_unit_test(tamper_counts_auth_failure),
        cmocka_unit_test(replay_counted_apart),
        cmocka_unit_test(foreign_mki_counted),
        cmocka_unit_test(rtcp_roundtrip),
        cmocka_unit_test(misuse_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
