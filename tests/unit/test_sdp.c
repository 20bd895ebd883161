/* Unit tests: the SDP parser (synth/sdp/sdp.c, crypto_attr.c, ice_attr.c),
 * the builder (sdp_build.c) and offer/answer (sdp_negotiate.c). The offers
 * are written here from the specs in the shapes real peers send (baresip,
 * Lync / SfB with [MS-SDPEXT] attributes). Every input is parsed from a
 * read-only copy that ends exactly where an unreadable page begins, so any
 * read past the end or any write to the buffer crashes the test. */
#include "synth/sdp/sdp.h"
#include "synth/sdp/sdp_build.h"
#include "synth/sdp/sdp_negotiate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

/* Room for the over-limit inputs (a little more than SDP_MAX). */
#define ARENA_DATA (2 * SDP_MAX)
#include "guard_arena.h"

/* ~48 KB each: kept out of the test functions' frames. */
static struct sdp_session sdp, sdp2;
static struct sdp_error err;

static int parse_n(struct sdp_session *s, const char *text, size_t n)
{
    const char *in = place(text, n);
    memset(&err, 0, sizeof(err));
    return sdp_parse(s, in, n, &err);
}

static int parse(const char *text)
{
    return parse_n(&sdp, text, strlen(text));
}

#define assert_sv(v, want) assert_sv_((v), (want), __FILE__, __LINE__)
static void assert_sv_(struct strv v, const char *want, const char *file, int line)
{
    size_t n = strlen(want);
    if (!v.p || v.l != n || memcmp(v.p, want, n) != 0) {
        print_error("view \"%.*s\" (len %zu%s) != \"%s\"\n", (int)v.l, v.p ? v.p : "", v.l,
                    v.p ? "" : ", NULL", want);
        _fail(file, line);
    }
}

/* Parses, expects rc and the error at `line` whose reason contains `why`. */
#define assert_parse_fails(text, rc, line, why) \
    assert_parse_fails_((text), (rc), (line), (why), __FILE__, __LINE__)
static void assert_parse_fails_(const char *text, int rc, unsigned line, const char *why,
                                const char *file, int at)
{
    int got = parse(text);
    if (got != rc || err.line != line || !err.reason || !strstr(err.reason, why)) {
        print_error("rc %d (want %d), line %u (want %u), reason \"%s\" (want \"%s\")\n", got, rc,
                    err.line, line, err.reason ? err.reason : "(null)", why);
        _fail(file, at);
    }
}

/* ---- keys ------------------------------------------------------------------ */

/* Base64 of 30 bytes (key || salt, RFC 4568 6.2): 40 characters. */
#define KEY1 "AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM" /* bytes 1, 8, 15, ... (7n+1) */
#define KEY2 "Ji00O0JJUFdeZWxzeoGIj5adpKuyucDHztXc4+rx" /* 7n+38 */
#define KEY3 "S1JZYGdudXyDipGYn6attLvCydDX3uXs8/oBCA8W"
#define KEY4 "cHd+hYyTmqGor7a9xMvS2eDn7vX8AwoRGB8mLTQ7"
#define KEY_SHORT "AAECAwQFBgcICQoLDA0ODxAREhM=" /* 20 bytes */

static void assert_key_bytes(const uint8_t key[SDES_KEY_SALT_LEN], unsigned first)
{
    for (size_t i = 0; i < SDES_KEY_SALT_LEN; i++)
        assert_int_equal(key[i], (uint8_t)(first + 7 * i));
}

/* A key as the builder and the answerer take it, from its base64. */
static struct sdes_key key_of(const char *b64)
{
    char param[SDES_KEY_PARAM_MAX];
    struct sdes_key k;
    snprintf(param, sizeof(param), "inline:%s", b64);
    assert_int_equal(sdes_key_parse(&k, param, strlen(param), NULL), 0);
    return k;
}

/* ---- real-world-shaped descriptions ----------------------------------------- */

/* A baresip-style SRTP offer: SAVP, two suites, telephone-event 0-15. */
#define BARESIP_OFFER \
    "v=0\r\n" \
    "o=- 1917402213 1489713744 IN IP4 192.0.2.20\r\n" \
    "s=-\r\n" \
    "c=IN IP4 192.0.2.20\r\n" \
    "t=0 0\r\n" \
    "m=audio 10000 RTP/SAVP 0 8 101\r\n" \
    "b=AS:64\r\n" \
    "a=rtpmap:0 PCMU/8000\r\n" \
    "a=rtpmap:8 PCMA/8000\r\n" \
    "a=rtpmap:101 telephone-event/8000\r\n" \
    "a=fmtp:101 0-15\r\n" \
    "a=sendrecv\r\n" \
    "a=label:1\r\n" \
    "a=rtcp-mux\r\n" \
    "a=ptime:20\r\n" \
    "a=ssrc:1469203717 cname:baresip@192.0.2.20\r\n" \
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n" \
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY2 "\r\n"

/* SfB-style audio offer, LF-only line endings (seen from real peers), with
 * [MS-SDPEXT] x-ssrc-range, cryptoscale and encryption, [MS-ICE2]
 * candidates (trailing blanks included), a 2^31 lifetime and MKI 1:1 on one
 * crypto line and none on the other. */
#define SFB_OFFER \
    "v=0\n" \
    "o=- 0 0 IN IP4 10.0.0.15\n" \
    "s=session\n" \
    "c=IN IP4 10.0.0.15\n" \
    "b=CT:99980\n" \
    "t=0 0\n" \
    "m=audio 50012 RTP/SAVP 117 104 114 9 112 111 0 8 116 115 4 97 13 118 101\n" \
    "a=x-ssrc-range:2080890624-2080890624\n" \
    "a=rtcp-fb:* x-message app send:dsh recv:dsh\n" \
    "a=rtcp-rsize\n" \
    "a=label:main-audio\n" \
    "a=x-source:main-audio\n" \
    "a=ice-ufrag:Zq3b\n" \
    "a=ice-pwd:FxuMmpWSvSd0X6qT+Og/Tl+3\n" \
    "a=rtcp-mux\n" \
    "a=candidate:1 1 UDP 2130706431 10.0.0.15 50012 typ host \n" \
    "a=candidate:1 2 UDP 2130705918 10.0.0.15 50012 typ host \n" \
    "a=candidate:2 1 TCP-PASS 174455807 192.0.2.200 54321 typ relay raddr 203.0.113.7 rport 50014 \n" \
    "a=candidate:3 1 UDP 184547327 192.0.2.200 55000 typ relay raddr 203.0.113.7 rport 50016 \n" \
    "a=candidate:4 1 UDP 1694234111 203.0.113.7 50016 typ srflx raddr 10.0.0.15 rport 50016 \n" \
    "a=candidate:5 1 TCP-ACT 1684795903 203.0.113.7 50020 typ srflx raddr 10.0.0.15 rport 50020 \n" \
    "a=cryptoscale:1 client AES_CM_128_HMAC_SHA1_80 inline:" KEY3 "|2^31|1:1\n" \
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^31|1:1\n" \
    "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 "|2^31\n" \
    "a=encryption:required\n" \
    "a=maxptime:200\n" \
    "a=rtpmap:117 G722/8000/2\n" \
    "a=rtpmap:104 SILK/16000\n" \
    "a=fmtp:104 useinbandfec=1; usedtx=0\n" \
    "a=rtpmap:114 x-msrta/16000\n" \
    "a=fmtp:114 bitrate=29000\n" \
    "a=rtpmap:9 G722/8000\n" \
    "a=rtpmap:112 G7221/16000\n" \
    "a=fmtp:112 bitrate=24000\n" \
    "a=rtpmap:111 SIREN/16000\n" \
    "a=fmtp:111 bitrate=16000\n" \
    "a=rtpmap:0 PCMU/8000\n" \
    "a=rtpmap:8 PCMA/8000\n" \
    "a=rtpmap:116 AAL2-G726-32/8000\n" \
    "a=rtpmap:115 x-msrta/8000\n" \
    "a=fmtp:115 bitrate=11800\n" \
    "a=rtpmap:4 G723/8000\n" \
    "a=rtpmap:97 RED/8000\n" \
    "a=rtpmap:13 CN/8000\n" \
    "a=rtpmap:118 CN/16000\n" \
    "a=rtpmap:101 telephone-event/8000\n" \
    "a=fmtp:101 0-16\n" \
    "a=ptime:20\n"

/* Lync's "ms-proxy-2007fallback" part: RTP/AVP with optional SRTP and
 * ICE-06 candidates (username component password transport qvalue addr port). */
#define LYNC_FALLBACK_OFFER \
    "v=0\r\n" \
    "o=- 0 0 IN IP4 192.168.0.179\r\n" \
    "s=session\r\n" \
    "c=IN IP4 192.168.0.179\r\n" \
    "b=CT:99980\r\n" \
    "t=0 0\r\n" \
    "m=audio 19384 RTP/AVP 114 9 0 8 101\r\n" \
    "a=candidate:oKpwKDjMnfFmkSeXlIgoUEYW0BiriMilFQluFogmIQ8 1 XJoleCXuzzNJHAdN0G5MHg UDP 0.830 192.168.0.179 19384\r\n" \
    "a=candidate:oKpwKDjMnfFmkSeXlIgoUEYW0BiriMilFQluFogmIQ8 2 XJoleCXuzzNJHAdN0G5MHg UDP 0.830 192.168.0.179 19385\r\n" \
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^31|1:1\r\n" \
    "a=encryption:optional\r\n" \
    "a=rtpmap:114 x-msrta/16000\r\n" \
    "a=rtpmap:9 G722/8000\r\n" \
    "a=rtpmap:0 PCMU/8000\r\n" \
    "a=rtpmap:8 PCMA/8000\r\n" \
    "a=rtpmap:101 telephone-event/8000\r\n" \
    "a=fmtp:101 0-16\r\n"

/* ---- parser: accepted descriptions ---------------------------------------- */

static void parse_baresip_offer(void **state)
{
    assert_int_equal(parse(BARESIP_OFFER), 0);
    assert_sv(sdp.origin.username, "-");
    assert_sv(sdp.origin.sess_id, "1917402213");
    assert_sv(sdp.origin.sess_version, "1489713744");
    assert_int_equal(sdp.origin.conn.type, SDP_ADDR_IP4);
    assert_sv(sdp.origin.conn.addr, "192.0.2.20");
    assert_sv(sdp.name, "-");
    assert_sv(sdp.conn.addr, "192.0.2.20");
    assert_int_equal(sdp.t_start, 0);
    assert_int_equal(sdp.media_count, 1);

    const struct sdp_media *m = &sdp.media[0];
    assert_int_equal(m->type, SDP_MEDIA_AUDIO);
    assert_int_equal(m->port, 10000);
    assert_int_equal(m->port_count, 1);
    assert_int_equal(m->proto, SDP_PROTO_RTP_SAVP);
    assert_int_equal(m->fmt_count, 3);
    assert_int_equal(m->fmts[2].pt, 101);
    assert_sv(m->fmts[2].name, "telephone-event");
    assert_int_equal(m->fmts[2].clock, 8000);
    assert_sv(m->fmts[2].fmtp, "0-15");
    assert_null(m->fmts[0].fmtp.p);
    assert_int_equal(m->ptime, 20);
    assert_true(m->rtcp_mux);
    assert_false(m->has_rtcp);
    assert_int_equal(sdp_media_dir(&sdp, m), SDP_DIR_SENDRECV);
    assert_sv(m->label, "1");
    assert_int_equal(m->crypto_count, 2);
    assert_int_equal(m->crypto[0].tag, 1);
    assert_true(m->crypto[0].suite_known);
    assert_int_equal(m->crypto[0].suite, SRTPSESS_AES_CM_128_HMAC_SHA1_80);
    assert_true(m->crypto[1].suite_known);
    assert_int_equal(m->crypto[1].suite, SRTPSESS_AES_CM_128_HMAC_SHA1_32);
    assert_sv(m->crypto[1].keys[0].param, "inline:" KEY2);
    assert_key_bytes(m->crypto[1].keys[0].key.key_salt, 38);
    assert_false(m->crypto[1].keys[0].key.has_lifetime);
    assert_false(m->crypto[1].keys[0].key.has_mki);
    assert_null(m->crypto[1].session_params.p);
    assert_sv(sdp_media_conn(&sdp, m)->addr, "192.0.2.20");

    /* Unknown attributes are kept, in order, with their section. */
    const struct sdp_attr *a = sdp_attr_find(&sdp, m, "ssrc", NULL);
    assert_non_null(a);
    assert_sv(a->value, "1469203717 cname:baresip@192.0.2.20");
    assert_null(sdp_attr_find(&sdp, NULL, "ssrc", NULL));
    assert_int_equal(sdp.attr_count, 11);
    assert_int_equal(m->a.attr_count, 11);
    a = sdp_attr_find(&sdp, m, "rtcp-mux", NULL);
    assert_non_null(a);
    assert_null(a->value.p);
}

static void parse_sfb_offer(void **state)
{
    assert_int_equal(parse(SFB_OFFER), 0);
    assert_sv(sdp.name, "session");
    const struct sdp_media *m = &sdp.media[0];
    assert_int_equal(m->fmt_count, 15);
    assert_int_equal(m->fmts[0].pt, 117);
    assert_sv(m->fmts[0].name, "G722");
    assert_int_equal(m->fmts[0].channels, 2);
    assert_sv(m->fmts[1].fmtp, "useinbandfec=1; usedtx=0");
    assert_true(m->has_ssrc_range);
    assert_int_equal(m->ssrc_first, 2080890624u);
    assert_int_equal(m->ssrc_last, 2080890624u);
    assert_sv(m->label, "main-audio");
    assert_sv(sdp_media_ice_ufrag(&sdp, m), "Zq3b");
    assert_sv(sdp_media_ice_pwd(&sdp, m), "FxuMmpWSvSd0X6qT+Og/Tl+3");
    assert_true(m->rtcp_mux);
    assert_int_equal(sdp_media_encryption(&sdp, m), SDP_ENC_REQUIRED);

    assert_int_equal(m->cand_count, 6);
    assert_int_equal(m->cands[0].type, SDP_CAND_HOST);
    assert_int_equal(m->cands[1].component, 2);
    assert_int_equal(m->cands[1].priority, 2130705918u);
    assert_null(m->cands[0].raddr.p);
    assert_null(m->cands[0].ext.p); /* the trailing blank is not an extension */
    const struct sdp_candidate *relay = &m->cands[2];
    assert_sv(relay->foundation, "2");
    assert_sv(relay->transport, "TCP-PASS");
    assert_int_equal(relay->priority, 174455807u);
    assert_sv(relay->addr, "192.0.2.200");
    assert_int_equal(relay->port, 54321);
    assert_int_equal(relay->type, SDP_CAND_RELAY);
    assert_sv(relay->raddr, "203.0.113.7");
    assert_true(relay->has_rport);
    assert_int_equal(relay->rport, 50014);
    assert_int_equal(m->cands[4].type, SDP_CAND_SRFLX);
    assert_false(m->cands[4].legacy);

    /* cryptoscale shares the list (and the tag space) with crypto. */
    assert_int_equal(m->crypto_count, 3);
    assert_sv(m->crypto[0].scale_role, "client");
    assert_int_equal(m->crypto[0].tag, 1);
    const struct sdp_crypto *c = &m->crypto[1];
    assert_null(c->scale_role.p);
    assert_int_equal(c->tag, 2);
    assert_sv(c->suite_name, "AES_CM_128_HMAC_SHA1_80");
    assert_int_equal(c->key_count, 1);
    assert_sv(c->keys[0].param, "inline:" KEY1 "|2^31|1:1");
    const struct sdes_key *k = &c->keys[0].key;
    assert_key_bytes(k->key_salt, 1);
    assert_true(k->has_lifetime);
    assert_true(k->lifetime_pow2);
    assert_true(k->lifetime == UINT64_C(1) << 31);
    assert_true(k->has_mki);
    assert_int_equal(k->mki_value, 1);
    assert_int_equal(k->mki_len, 1);
    assert_true(m->crypto[2].keys[0].key.has_lifetime);
    assert_false(m->crypto[2].keys[0].key.has_mki);

    /* Values of attributes we do not know are kept whole. */
    const struct sdp_attr *a = sdp_attr_find(&sdp, m, "rtcp-fb", NULL);
    assert_non_null(a);
    assert_sv(a->value, "* x-message app send:dsh recv:dsh");
    assert_non_null(sdp_attr_find(&sdp, m, "x-source", NULL));
}

static void parse_lync_fallback_candidates(void **state)
{
    assert_int_equal(parse(LYNC_FALLBACK_OFFER), 0);
    const struct sdp_media *m = &sdp.media[0];
    assert_int_equal(m->proto, SDP_PROTO_RTP_AVP);
    assert_int_equal(sdp_media_encryption(&sdp, m), SDP_ENC_OPTIONAL);
    assert_int_equal(m->cand_count, 2);
    const struct sdp_candidate *c = &m->cands[1];
    assert_true(c->legacy);
    assert_sv(c->foundation, "oKpwKDjMnfFmkSeXlIgoUEYW0BiriMilFQluFogmIQ8");
    assert_int_equal(c->component, 2);
    assert_sv(c->legacy_pwd, "XJoleCXuzzNJHAdN0G5MHg");
    assert_sv(c->transport, "UDP");
    assert_sv(c->legacy_qvalue, "0.830");
    assert_sv(c->addr, "192.168.0.179");
    assert_int_equal(c->port, 19385);
    assert_int_equal(c->type, SDP_CAND_OTHER);
}

static void parse_media_level_and_ipv6(void **state)
{
    assert_int_equal(parse("v=0\r\n"
                           "o=alice 2890844526 2890844527 IN IP6 2001:db8::1\r\n"
                           "s= \r\n"
                           "i=voicemail\r\n"
                           "t=3034423619 3042462419\r\n"
                           "r=7d 1h 0 25h\r\n"
                           "t=0 0\r\n"
                           "a=recvonly\r\n"
                           "a=ice-ufrag:sessUfrag\r\n"
                           "a=ice-pwd:sessionlevelpassword1234\r\n"
                           "m=video 0 RTP/AVP 96\r\n"
                           "c=IN IP4 192.0.2.1\r\n"
                           "m=audio 49170/2 RTP/AVP 0\r\n"
                           "i=the voice\r\n"
                           "c=IN IP6 2001:db8::2\r\n"
                           "b=AS:80\r\n"
                           "a=rtcp:53020 IN IP6 2001:db8::3\r\n"
                           "a=ptime:20.5\r\n"
                           "a=inactive\r\n"
                           "a=candidate:a+/9 1 UDP 1 2001:db8::2 49170 typ host generation 0 network-id 1\r\n"
                           "\r\n"),
                     0);
    assert_int_equal(sdp.origin.conn.type, SDP_ADDR_IP6);
    assert_sv(sdp.name, " ");
    assert_int_equal(sdp.t_start, 3034423619u);
    assert_null(sdp.conn.addr.p);
    assert_int_equal(sdp.media_count, 2);
    const struct sdp_media *v = &sdp.media[0], *m = &sdp.media[1];
    assert_int_equal(v->type, SDP_MEDIA_VIDEO);
    assert_int_equal(v->port, 0);
    assert_int_equal(sdp_media_dir(&sdp, v), SDP_DIR_RECVONLY); /* session level */
    assert_int_equal(m->port_count, 2);
    assert_int_equal(m->conn.type, SDP_ADDR_IP6);
    assert_sv(sdp_media_conn(&sdp, m)->addr, "2001:db8::2");
    assert_true(m->has_rtcp);
    assert_int_equal(m->rtcp_port, 53020);
    assert_sv(m->rtcp_conn.addr, "2001:db8::3");
    assert_int_equal(m->ptime, 20);
    assert_int_equal(sdp_media_dir(&sdp, m), SDP_DIR_INACTIVE);
    assert_sv(sdp_media_ice_ufrag(&sdp, m), "sessUfrag");
    assert_sv(m->cands[0].ext, "generation 0 network-id 1");
    assert_null(m->fmts[0].name.p); /* static PT 0 without rtpmap */
    assert_non_null(sdp_media_format(m, 0));
    assert_null(sdp_media_format(m, 8));
}

static void parse_crypto_forms(void **state)
{
    struct sdp_crypto c;
    const char *why = NULL;
    /* RFC 4568 9.2's own shape: two keys, decimal lifetime, 4-byte MKI,
     * session parameters. */
    struct strv v = SDP_LIT("9 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "|1048576|4294967295:4;"
                            "inline:" KEY2 "|2^20|2:4 KDR=1 UNENCRYPTED_SRTCP");
    assert_int_equal(sdp_crypto_parse(&c, v, false, &why), 0);
    assert_int_equal(c.tag, 9);
    assert_int_equal(c.key_count, 2);
    assert_true(c.suite_known);
    assert_false(c.keys[0].key.lifetime_pow2);
    assert_true(c.keys[0].key.lifetime == 1048576);
    assert_int_equal(c.keys[0].key.mki_value, 4294967295u);
    assert_int_equal(c.keys[0].key.mki_len, 4);
    assert_key_bytes(c.keys[0].key.key_salt, 1);
    assert_true(c.keys[1].key.lifetime_pow2);
    assert_true(c.keys[1].key.lifetime == UINT64_C(1) << 20);
    assert_int_equal(c.keys[1].key.mki_value, 2);
    assert_key_bytes(c.keys[1].key.key_salt, 38);
    assert_sv(c.keys[1].param, "inline:" KEY2 "|2^20|2:4");
    assert_sv(c.session_params, "KDR=1 UNENCRYPTED_SRTCP");

    /* MKI without lifetime; the method in any case (ABNF strings are). */
    v = SDP_LIT("1 AES_CM_128_HMAC_SHA1_80 INLINE:" KEY1 "|7:1");
    assert_int_equal(sdp_crypto_parse(&c, v, false, &why), 0);
    assert_false(c.keys[0].key.has_lifetime);
    assert_int_equal(c.keys[0].key.mki_value, 7);

    /* A suite we do not know: kept with its key-params as written, not
     * decoded (an AES_256 key||salt is 46 bytes, RFC 6188 7.1). */
    v = SDP_LIT("1 AES_256_CM_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ==|2^31");
    assert_int_equal(sdp_crypto_parse(&c, v, false, &why), 0);
    assert_false(c.suite_known);
    assert_sv(c.suite_name, "AES_256_CM_HMAC_SHA1_80");
    assert_int_equal(c.key_count, 1);
    assert_sv(c.keys[0].param, "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ==|2^31");
    assert_false(c.keys[0].key.has_lifetime);

    /* Another key method: not ours, and sdp_parse skips the line; so does
     * an MKI longer than SDES_MKI_LEN_MAX, and no key is left behind. */
    v = SDP_LIT("1 AES_CM_128_HMAC_SHA1_80 uri:https://keys.example.com/k1");
    assert_int_equal(sdp_crypto_parse(&c, v, false, &why), SYNTH_EUNSUPPORTED);
    v = SDP_LIT("1 AES_256_CM_HMAC_SHA1_80 uri:https://keys.example.com/k1");
    assert_int_equal(sdp_crypto_parse(&c, v, false, &why), SYNTH_EUNSUPPORTED);
    v = SDP_LIT("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 ";inline:" KEY2 "|1:5");
    assert_int_equal(sdp_crypto_parse(&c, v, false, &why), SYNTH_EUNSUPPORTED);
    assert_non_null(strstr(why, "MKI"));
    static const uint8_t zero[SDES_KEY_SALT_LEN];
    assert_memory_equal(c.keys[0].key.key_salt, zero, sizeof(zero));
}

/* ---- parser: refused descriptions ------------------------------------------- */

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
#define M_AUDIO "m=audio 5000 RTP/SAVP 0\r\n"

static void parse_rejects_structure(void **state)
{
    assert_parse_fails("o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n", SYNTH_EPARSE, 1,
                       "first line is not v=");
    assert_parse_fails("v=1\r\n", SYNTH_EPARSE, 1, "version");
    assert_parse_fails("", SYNTH_EPARSE, 0, "empty");
    assert_parse_fails("v=0\r\ns=-\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n", SYNTH_EPARSE, 3,
                       "out of order");
    assert_parse_fails("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n" M_AUDIO,
                       SYNTH_EPARSE, 5, "before any t=");
    assert_parse_fails(HEAD "c=IN IP4 192.0.2.1\r\n", SYNTH_EPARSE, 6, "out of order");
    assert_parse_fails(HEAD "x=unknown\r\n", SYNTH_EPARSE, 6, "unknown type letter");
    assert_parse_fails(HEAD M_AUDIO "t=0 0\r\n", SYNTH_EPARSE, 7, "session-level field");
    assert_parse_fails(HEAD M_AUDIO "c=IN IP4 192.0.2.2\r\nc=IN IP4 192.0.2.3\r\n", SYNTH_EPARSE,
                       8, "repeated");
    assert_parse_fails(HEAD "a=sendrecv\r\n\r\na=recvonly\r\n", SYNTH_EPARSE, 7, "empty line");
    assert_parse_fails(HEAD "a =sendrecv\r\n", SYNTH_EPARSE, 6, "<letter>=<value>");
    assert_parse_fails(HEAD "r=1d 1h 0\r\n" "a=x\r\n" "r=1d 1h 0\r\n", SYNTH_EPARSE, 8,
                       "not after t=");
    /* RFC 8866 5.7: no c= at session level and none in the media section. */
    assert_parse_fails("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n" M_AUDIO,
                       SYNTH_EPARSE, 5, "without a connection address");
    /* A bare CR and a NUL inside a line. */
    assert_parse_fails(HEAD "a=label:x\ry\r\n", SYNTH_EPARSE, 6, "bare CR");
    assert_int_equal(parse_n(&sdp, HEAD "a=label:x\0y\r\n", sizeof(HEAD) - 1 + 13), SYNTH_EPARSE);
    assert_int_equal(err.line, 6);
    /* Binary garbage. */
    assert_parse_fails("\x01\x02\xff\xfe", SYNTH_EPARSE, 1, "<letter>=<value>");
}

static void parse_rejects_fields(void **state)
{
    assert_parse_fails(HEAD "m=audio 70000 RTP/AVP 0\r\n", SYNTH_EPARSE, 6, "port is not");
    struct synth_error e;
    assert_int_equal(sdp_error_format(&err, SYNTH_EPARSE, &e), SYNTH_EPARSE);
    assert_string_equal(e.msg, "SDP line 6: m=: port is not 0-65535");
    assert_parse_fails(HEAD "m=audio 5x00 RTP/AVP 0\r\n", SYNTH_EPARSE, 6, "port is not");
    assert_parse_fails(HEAD "m=audio -1 RTP/AVP 0\r\n", SYNTH_EPARSE, 6, "port is not");
    assert_parse_fails(HEAD "m=audio 5000/0 RTP/AVP 0\r\n", SYNTH_EPARSE, 6, "number of ports");
    assert_parse_fails(HEAD "m=audio 5000 RTP/AVP\r\n", SYNTH_EPARSE, 6, "no formats");
    assert_parse_fails(HEAD "m=audio 5000 RTP/AVP 128\r\n", SYNTH_EPARSE, 6, "payload type");
    assert_parse_fails(HEAD "m=audio 5000\r\n", SYNTH_EPARSE, 6, "proto");
    assert_parse_fails("v=0\r\no=- x 1 IN IP4 192.0.2.1\r\n", SYNTH_EPARSE, 2, "sess-id");
    assert_parse_fails("v=0\r\no=- 1 1 IN IP4 192.0.2.1 extra\r\n", SYNTH_EPARSE, 2, "after");
    assert_parse_fails("v=0\r\no=- 1 1 ATM NSAP 47.0005\r\n", SYNTH_EPARSE, 2, "nettype");
    assert_parse_fails(HEAD M_AUDIO "c=IN IP4 300.1.2.3\r\n", SYNTH_EPARSE, 7, "bad address");
    assert_parse_fails(HEAD M_AUDIO "c=IN IP6 2001:db8::g\r\n", SYNTH_EPARSE, 7, "bad address");
    assert_parse_fails(HEAD M_AUDIO "c=IN IP5 192.0.2.1\r\n", SYNTH_EPARSE, 7, "addrtype");
    assert_parse_fails(HEAD M_AUDIO "c=IN IP4 224.2.1.1/127\r\n", SYNTH_EUNSUPPORTED, 7,
                       "multicast");
    assert_parse_fails("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0\r\n", SYNTH_EPARSE, 4,
                       "two decimal times");
    assert_parse_fails(HEAD M_AUDIO "b=AS\r\n", SYNTH_EPARSE, 7, "bwtype");
}

static void parse_rejects_attributes(void **state)
{
    assert_parse_fails(HEAD M_AUDIO "a=rtpmap:0 PCMU\r\n", SYNTH_EPARSE, 7, "clock rate");
    assert_parse_fails(HEAD M_AUDIO "a=rtpmap:0 PCMU/0\r\n", SYNTH_EPARSE, 7, "clock rate");
    assert_parse_fails(HEAD M_AUDIO "a=rtpmap:0 PCMU/8000\r\na=rtpmap:0 PCMA/8000\r\n",
                       SYNTH_EPARSE, 8, "second map");
    assert_parse_fails(HEAD M_AUDIO "a=fmtp:0\r\n", SYNTH_EPARSE, 7, "fmtp");
    assert_parse_fails(HEAD M_AUDIO "a=ptime:0\r\n", SYNTH_EPARSE, 7, "ptime");
    assert_parse_fails(HEAD M_AUDIO "a=ptime:abc\r\n", SYNTH_EPARSE, 7, "ptime");
    assert_parse_fails(HEAD M_AUDIO "a=sendonly\r\na=recvonly\r\n", SYNTH_EPARSE, 8,
                       "second direction");
    assert_parse_fails(HEAD M_AUDIO "a=sendrecv:yes\r\n", SYNTH_EPARSE, 7, "property");
    assert_parse_fails(HEAD M_AUDIO "a=rtcp\r\n", SYNTH_EPARSE, 7, "needs a value");
    assert_parse_fails(HEAD M_AUDIO "a=rtcp:\r\n", SYNTH_EPARSE, 7, "empty attribute value");
    assert_parse_fails(HEAD M_AUDIO "a=rtcp:5001 IN IP4\r\n", SYNTH_EPARSE, 7, "connection");
    assert_parse_fails(HEAD M_AUDIO "a=encryption:maybe\r\n", SYNTH_EPARSE, 7, "encryption");
    assert_parse_fails(HEAD M_AUDIO "a=ice-ufrag:abc\r\n", SYNTH_EPARSE, 7, "ice-ufrag");
    assert_parse_fails(HEAD M_AUDIO "a=ice-pwd:short\r\n", SYNTH_EPARSE, 7, "ice-pwd");
    assert_parse_fails(HEAD M_AUDIO "a=x-ssrc-range:10-5\r\n", SYNTH_EPARSE, 7, "x-ssrc-range");
    assert_parse_fails(HEAD M_AUDIO "a=label:two words\r\n", SYNTH_EPARSE, 7, "label");
    assert_parse_fails(HEAD M_AUDIO "a=candidate:1 1 UDP 1 192.0.2.1 5000 host\r\n",
                       SYNTH_EPARSE, 7, "typ");
    assert_parse_fails(HEAD M_AUDIO "a=candidate:1 0 UDP 1 192.0.2.1 5000 typ host\r\n",
                       SYNTH_EPARSE, 7, "component");
    assert_parse_fails(HEAD M_AUDIO
                       "a=candidate:1 1 UDP 1 192.0.2.1 5000 typ relay raddr 10.0.0.1 rport x\r\n",
                       SYNTH_EPARSE, 7, "rport");
    assert_parse_fails(HEAD M_AUDIO "a=candidate:1 1 UDP 1 192.0.2.1 5000 typ host generation\r\n",
                       SYNTH_EPARSE, 7, "extension");
}

static void parse_rejects_bad_crypto(void **state)
{
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc!def\r\n",
                       SYNTH_EPARSE, 7, "base64");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n",
                       SYNTH_EPARSE, 7, "tag");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY1
                       "\r\n",
                       SYNTH_EPARSE, 7, "tag");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n", SYNTH_EPARSE, 7,
                       "key-params");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^49\r\n",
                       SYNTH_EPARSE, 7, "lifetime");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1:0\r\n",
                       SYNTH_EPARSE, 7, "MKI is not value:length");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1
                       "|2^31|256:1\r\n",
                       SYNTH_EPARSE, 7, "does not fit");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1
                       "|2^31|1:1|x\r\n",
                       SYNTH_EPARSE, 7, "a lifetime then an MKI");
    /* The key of a suite we know is exactly its 30 bytes (RFC 4568 6.2.1). */
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SHORT "\r\n",
                       SYNTH_EPARSE, 7, "40 base64");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
                       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx==\r\n",
                       SYNTH_EPARSE, 7, "bad base64");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " KEY1 "\r\n",
                       SYNTH_EPARSE, 7, "method:info");
    assert_parse_fails(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n"
                       "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY2 "\r\n",
                       SYNTH_EPARSE, 8, "tag used twice");
    assert_parse_fails(HEAD M_AUDIO "a=cryptoscale:1 AES_CM_128_HMAC_SHA1_80\r\n", SYNTH_EPARSE,
                       7, "role");
    /* A key method we do not know is skipped, not refused (RFC 4568 5.1.1). */
    assert_int_equal(parse(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:x\r\n"), 0);
    assert_int_equal(sdp.media[0].crypto_count, 0);
    assert_non_null(sdp_attr_find(&sdp, &sdp.media[0], "crypto", NULL));
    /* So is a 5-byte MKI, which RFC 4568 allows and we do not keep. */
    assert_int_equal(parse(HEAD M_AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1
                           "|1:5\r\n"), 0);
    assert_int_equal(sdp.media[0].crypto_count, 0);
}

static char big[2 * SDP_MAX];

static void parse_rejects_over_limits(void **state)
{
    /* A line of SDP_LINE_MAX is fine, one byte more is not. */
    struct sbuf sb;
    sbuf_init(&sb, big, sizeof(big));
    sbuf_puts(&sb, HEAD "a=x:");
    for (size_t i = 0; i < SDP_LINE_MAX - 4; i++)
        sbuf_puts(&sb, "y");
    sbuf_puts(&sb, "\r\n");
    assert_int_equal(parse(big), 0);
    sb.len -= 2;
    sbuf_puts(&sb, "y\r\n");
    assert_parse_fails(big, SYNTH_ETOOBIG, 6, "SDP_LINE_MAX");
    /* The same as the last line without its line ending. */
    big[sb.len - 2] = '\0';
    assert_parse_fails(big, SYNTH_ETOOBIG, 6, "SDP_LINE_MAX");

    /* SDP_ATTRS_MAX attribute lines pass, one more is refused at its line. */
    sbuf_init(&sb, big, sizeof(big));
    sbuf_puts(&sb, HEAD);
    for (int i = 0; i < SDP_ATTRS_MAX; i++)
        sbuf_printf(&sb, "a=x-%d\r\n", i);
    assert_int_equal(sbuf_result(&sb), 0);
    assert_int_equal(parse(big), 0);
    assert_int_equal(sdp.attr_count, SDP_ATTRS_MAX);
    sbuf_puts(&sb, "a=one-too-many\r\n");
    assert_parse_fails(big, SYNTH_ETOOBIG, 5 + SDP_ATTRS_MAX + 1, "SDP_ATTRS_MAX");

    /* Media sections, formats, crypto lines, candidates. */
    sbuf_init(&sb, big, sizeof(big));
    sbuf_puts(&sb, HEAD);
    for (int i = 0; i <= SDP_MEDIA_MAX; i++)
        sbuf_puts(&sb, M_AUDIO);
    assert_parse_fails(big, SYNTH_ETOOBIG, 6 + SDP_MEDIA_MAX, "SDP_MEDIA_MAX");

    sbuf_init(&sb, big, sizeof(big));
    sbuf_puts(&sb, HEAD "m=audio 5000 RTP/AVP");
    for (int i = 0; i <= SDP_FORMATS_MAX; i++)
        sbuf_printf(&sb, " %d", i);
    sbuf_puts(&sb, "\r\n");
    assert_parse_fails(big, SYNTH_ETOOBIG, 6, "SDP_FORMATS_MAX");

    sbuf_init(&sb, big, sizeof(big));
    sbuf_puts(&sb, HEAD M_AUDIO);
    for (int i = 1; i <= SDP_CRYPTO_MAX + 1; i++)
        sbuf_printf(&sb, "a=crypto:%d AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n", i);
    assert_parse_fails(big, SYNTH_ETOOBIG, 7 + SDP_CRYPTO_MAX, "SDP_CRYPTO_MAX");

    sbuf_init(&sb, big, sizeof(big));
    sbuf_puts(&sb, HEAD M_AUDIO);
    for (int i = 1; i <= SDP_CANDIDATES_MAX + 1; i++)
        sbuf_printf(&sb, "a=candidate:%d 1 UDP %d 192.0.2.1 %d typ host\r\n", i, i, 5000 + i);
    assert_parse_fails(big, SYNTH_ETOOBIG, 7 + SDP_CANDIDATES_MAX, "SDP_CANDIDATES_MAX");

    /* The whole description. */
    memset(big, 'a', SDP_MAX + 1);
    assert_int_equal(parse_n(&sdp, big, SDP_MAX + 1), SYNTH_ETOOBIG);
}

/* ---- builder ------------------------------------------------------------------ */

static char out[8192];

/* The offer synth sends: SAVP, PCMU/PCMA/telephone-event, two suites with
 * the MS form on the first, SRTP required. */
static struct sdp_desc our_offer(void)
{
    struct sdp_desc d = {
        .username = SDP_LIT("synth"),
        .sess_id = 42,
        .sess_version = 1,
        .session_name = SDP_LIT("synth"),
        .addr = SDP_LIT("192.0.2.10"),
        .port = 50040,
        .rtcp_port = 50041,
        .proto = SDP_PROTO_RTP_SAVP,
        .codecs = {SDP_CODEC_PCMU, SDP_CODEC_PCMA, SDP_CODEC_TELEPHONE_EVENT},
        .codec_count = 3,
        .ptime = 20,
        .crypto_count = 2,
        .encryption = SDP_ENC_REQUIRED,
        .dir = SDP_DIR_SENDRECV,
    };
    d.crypto[0] = (struct sdp_crypto){.tag = 1, .suite_known = true,
                                      .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_80, .key_count = 1};
    struct sdes_key *k = &d.crypto[0].keys[0].key;
    *k = key_of(KEY1);
    k->has_lifetime = true;
    k->lifetime_pow2 = true;
    k->lifetime = UINT64_C(1) << 31;
    k->has_mki = true;
    k->mki_value = 1;
    k->mki_len = 1;
    d.crypto[1] = (struct sdp_crypto){.tag = 2, .suite_known = true,
                                      .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_32, .key_count = 1};
    d.crypto[1].keys[0].key = key_of(KEY2);
    return d;
}

static int build(const struct sdp_desc *d)
{
    struct sbuf sb;
    sbuf_init(&sb, out, sizeof(out));
    return sdp_build(&sb, d);
}

static void build_exact_bytes(void **state)
{
    struct sdp_desc d = our_offer();
    assert_int_equal(build(&d), 0);
    assert_string_equal(out,
                        "v=0\r\n"
                        "o=synth 42 1 IN IP4 192.0.2.10\r\n"
                        "s=synth\r\n"
                        "c=IN IP4 192.0.2.10\r\n"
                        "t=0 0\r\n"
                        "m=audio 50040 RTP/SAVP 0 8 101\r\n"
                        "a=rtcp:50041\r\n"
                        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^31|1:1\r\n"
                        "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY2 "\r\n"
                        "a=encryption:required\r\n"
                        "a=rtpmap:0 PCMU/8000\r\n"
                        "a=rtpmap:8 PCMA/8000\r\n"
                        "a=rtpmap:101 telephone-event/8000\r\n"
                        "a=fmtp:101 0-16\r\n"
                        "a=ptime:20\r\n"
                        "a=sendrecv\r\n");
}

static void build_round_trip(void **state)
{
    struct sdp_desc d = our_offer();
    d.addr = SDP_LIT("2001:db8::10");
    d.rtcp_mux = true;
    d.label = SDP_LIT("main-audio");
    d.dir = SDP_DIR_SENDONLY;
    d.codecs[3] = SDP_CODEC_G722;
    d.codec_count = 4;
    d.ice_ufrag = SDP_LIT("Zq3b");
    d.ice_pwd = SDP_LIT("FxuMmpWSvSd0X6qT+Og/Tl+3");
    d.cands[0] = (struct sdp_candidate){.foundation = SDP_LIT("1"), .component = 1,
                                        .transport = SDP_LIT("UDP"), .priority = 2130706431,
                                        .addr = SDP_LIT("2001:db8::10"), .port = 50040,
                                        .type = SDP_CAND_HOST};
    d.cands[1] = (struct sdp_candidate){.foundation = SDP_LIT("3"), .component = 1,
                                        .transport = SDP_LIT("UDP"), .priority = 184547327,
                                        .addr = SDP_LIT("192.0.2.200"), .port = 55000,
                                        .type = SDP_CAND_RELAY, .raddr = SDP_LIT("203.0.113.7"),
                                        .rport = 50016, .has_rport = true};
    d.cand_count = 2;
    d.crypto[1].keys[0].key.has_lifetime = true;
    d.crypto[1].keys[0].key.lifetime = 1048576;
    d.crypto[1].session_params = SDP_LIT("KDR=1");
    assert_int_equal(build(&d), 0);
    assert_int_equal(parse(out), 0);

    assert_int_equal(sdp.origin.conn.type, SDP_ADDR_IP6);
    assert_sv(sdp.conn.addr, "2001:db8::10");
    const struct sdp_media *m = &sdp.media[0];
    assert_int_equal(m->port, 50040);
    assert_int_equal(m->proto, SDP_PROTO_RTP_SAVP);
    assert_int_equal(m->fmt_count, 4);
    assert_int_equal(m->fmts[3].pt, 9);
    assert_sv(m->fmts[3].name, "G722");
    assert_int_equal(m->fmts[3].clock, 8000);
    assert_sv(m->fmts[2].fmtp, "0-16");
    assert_true(m->has_rtcp);
    assert_int_equal(m->rtcp_port, 50041);
    assert_true(m->rtcp_mux);
    assert_sv(m->label, "main-audio");
    assert_int_equal(sdp_media_dir(&sdp, m), SDP_DIR_SENDONLY);
    assert_int_equal(m->ptime, 20);
    assert_int_equal(sdp_media_encryption(&sdp, m), SDP_ENC_REQUIRED);
    assert_sv(sdp_media_ice_ufrag(&sdp, m), "Zq3b");
    assert_int_equal(m->cand_count, 2);
    assert_int_equal(m->cands[1].type, SDP_CAND_RELAY);
    assert_sv(m->cands[1].raddr, "203.0.113.7");
    assert_int_equal(m->cands[1].rport, 50016);
    assert_int_equal(m->cands[0].priority, 2130706431u);
    assert_int_equal(m->crypto_count, 2);
    for (size_t i = 0; i < 2; i++) {
        const struct sdp_crypto *c = &m->crypto[i];
        assert_int_equal(c->tag, d.crypto[i].tag);
        assert_true(c->suite_known);
        assert_int_equal(c->suite, d.crypto[i].suite);
        const struct sdes_key *k = &c->keys[0].key, *w = &d.crypto[i].keys[0].key;
        assert_memory_equal(k->key_salt, w->key_salt, SDES_KEY_SALT_LEN);
        assert_int_equal(k->has_lifetime, w->has_lifetime);
        assert_int_equal(k->lifetime_pow2, w->lifetime_pow2);
        assert_true(k->lifetime == w->lifetime);
        assert_int_equal(k->has_mki, w->has_mki);
        assert_int_equal(k->mki_value, w->mki_value);
        assert_int_equal(k->mki_len, w->mki_len);
    }
    assert_sv(m->crypto[1].session_params, "KDR=1");
}

static void build_refuses(void **state)
{
    struct sdp_desc d = our_offer();
    d.addr = SDP_LIT("192.0.2.10\r\na=evil");
    assert_int_equal(build(&d), SYNTH_EINVAL);
    d = our_offer();
    d.crypto_count = 0;
    assert_int_equal(build(&d), SYNTH_EINVAL); /* SAVP without a key */
    d = our_offer();
    d.proto = SDP_PROTO_UDP_TLS_RTP_SAVP;
    assert_int_equal(build(&d), SYNTH_EINVAL);
    d = our_offer();
    d.codec_count = 0;
    assert_int_equal(build(&d), SYNTH_EINVAL);
    /* Keys are judged by sdes_key_format: an MKI that does not fit its
     * length, a "2^N" lifetime that is not a power of two. */
    d = our_offer();
    d.crypto[0].keys[0].key.mki_value = 256;
    assert_int_equal(build(&d), SYNTH_EINVAL);
    d = our_offer();
    d.crypto[0].keys[0].key.lifetime = 1000;
    assert_int_equal(build(&d), SYNTH_EINVAL);
    /* A suite we cannot key is not written. */
    d = our_offer();
    d.crypto[1].suite_known = false;
    assert_int_equal(build(&d), SYNTH_EINVAL);

    /* Too small a buffer: ETOOBIG, and still NUL-terminated. */
    d = our_offer();
    char small[64];
    struct sbuf sb;
    sbuf_init(&sb, small, sizeof(small));
    assert_int_equal(sdp_build(&sb, &d), SYNTH_ETOOBIG);
    assert_true(strlen(small) < sizeof(small));
}

/* ---- offerer: classify the answer ------------------------------------------- */

#define ANS_HEAD "v=0\r\no=UM 7 7 IN IP4 198.51.100.5\r\ns=-\r\nc=IN IP4 198.51.100.5\r\nt=0 0\r\n"

static struct sdp_neg neg;

static enum sdp_neg_reason answer_is(const struct sdp_desc *offer, const char *answer)
{
    assert_int_equal(parse(answer), 0);
    return sdp_negotiate_answer(offer, &sdp, &neg);
}

static void negotiate_answer_ok(void **state)
{
    struct sdp_desc o = our_offer();
    /* Media c= wins over the session's; a=rtcp with its own address; the
     * answer takes the _32 line (tag 2); PCMA comes first in its order. */
    assert_int_equal(answer_is(&o, ANS_HEAD
                               "m=audio 40000 RTP/SAVP 8 0 101\r\n"
                               "c=IN IP4 198.51.100.77\r\n"
                               "a=rtcp:40005 IN IP4 198.51.100.78\r\n"
                               "a=rtpmap:101 telephone-event/8000\r\n"
                               "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY3 "\r\n"
                               "a=ptime:30\r\n"
                               "a=recvonly\r\n"),
                     SDP_NEG_OK);
    assert_int_equal(neg.reason, SDP_NEG_OK);
    assert_ptr_equal(neg.peer, &sdp.media[0]);
    assert_sv(neg.addr, "198.51.100.77");
    assert_int_equal(neg.rtp_port, 40000);
    assert_sv(neg.rtcp_addr, "198.51.100.78");
    assert_int_equal(neg.rtcp_port, 40005);
    assert_false(neg.rtcp_mux);
    assert_sv(neg.codec, "PCMA");
    assert_int_equal(neg.peer_pt, 8);
    assert_int_equal(neg.local_pt, 8);
    assert_int_equal(neg.peer_te_pt, 101);
    assert_int_equal(neg.ptime, 30);
    assert_int_equal(neg.peer_dir, SDP_DIR_RECVONLY);
    assert_true(neg.srtp);
    assert_int_equal(neg.crypto_tag, 2);
    assert_int_equal(neg.suite, SRTPSESS_AES_CM_128_HMAC_SHA1_32);
    assert_int_equal(neg.local_crypto, 1);
    assert_false(neg.peer_key.has_mki);
    assert_memory_equal(neg.peer_key.key_salt, key_of(KEY3).key_salt, SDES_KEY_SALT_LEN);

    /* Session c=, RTCP on port + 1, the MKI form, a dynamic telephone-event
     * number different from ours (we send with theirs). */
    assert_int_equal(answer_is(&o, ANS_HEAD
                               "m=audio 40000 RTP/SAVP 0 96\r\n"
                               "a=rtpmap:96 telephone-event/8000\r\n"
                               "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 "|2^31|1:1\r\n"),
                     SDP_NEG_OK);
    assert_sv(neg.addr, "198.51.100.5");
    assert_int_equal(neg.rtcp_port, 40001);
    assert_sv(neg.codec, "PCMU");
    assert_int_equal(neg.peer_te_pt, 96);
    assert_int_equal(neg.local_te_pt, 101);
    assert_int_equal(neg.local_crypto, 0);
    assert_true(neg.peer_key.has_mki);
    assert_int_equal(neg.peer_key.mki_value, 1);
    assert_int_equal(neg.peer_key.mki_len, 1);
    assert_true(neg.peer_key.lifetime == UINT64_C(1) << 31);
    assert_key_bytes(neg.peer_key.key_salt, 38);
    assert_int_equal(neg.peer_dir, SDP_DIR_SENDRECV);

    /* rtcp-mux on both sides: RTCP on the RTP port. */
    o.rtcp_mux = true;
    assert_int_equal(answer_is(&o, ANS_HEAD
                               "m=audio 40000 RTP/SAVP 0\r\n"
                               "a=rtcp-mux\r\n"
                               "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 "\r\n"),
                     SDP_NEG_OK);
    assert_true(neg.rtcp_mux);
    assert_int_equal(neg.rtcp_port, 40000);
    assert_int_equal(neg.peer_te_pt, -1);
}

static void negotiate_answer_classifies(void **state)
{
    struct sdp_desc o = our_offer();
    const char *good_crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 "\r\n";
    char text[1024];

    assert_int_equal(answer_is(&o, ANS_HEAD "m=video 40000 RTP/SAVP 96\r\n"), SDP_NEG_NO_AUDIO);
    assert_null(neg.peer);
    assert_string_equal(sdp_neg_reason_str(neg.reason), "no-audio");
    snprintf(text, sizeof(text), ANS_HEAD "m=audio 0 RTP/SAVP 0\r\n%s", good_crypto);
    assert_int_equal(answer_is(&o, text), SDP_NEG_REJECTED);
    snprintf(text, sizeof(text), ANS_HEAD "m=audio 40000 RTP/AVP 0\r\n%s", good_crypto);
    assert_int_equal(answer_is(&o, text), SDP_NEG_WRONG_PROTO);
    snprintf(text, sizeof(text), ANS_HEAD "m=audio 40000 RTP/SAVP 18 101\r\n"
             "a=rtpmap:101 telephone-event/8000\r\n%s", good_crypto);
    assert_int_equal(answer_is(&o, text), SDP_NEG_NO_CODEC);
    /* The same name at another clock is another codec. */
    snprintf(text, sizeof(text), ANS_HEAD "m=audio 40000 RTP/SAVP 97\r\n"
             "a=rtpmap:97 PCMU/16000\r\n%s", good_crypto);
    assert_int_equal(answer_is(&o, text), SDP_NEG_NO_CODEC);
    assert_int_equal(answer_is(&o, ANS_HEAD "m=audio 40000 RTP/SAVP 0\r\n"),
                     SDP_NEG_SRTP_REQUIRED);
    assert_int_equal(answer_is(&o, ANS_HEAD "m=audio 40000 RTP/SAVP 0\r\n"
                               "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" KEY2 "\r\n"),
                     SDP_NEG_SRTP_REQUIRED);
    assert_int_equal(answer_is(&o, ANS_HEAD "m=audio 40000 RTP/SAVP 0\r\n"
                               "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 "\r\n"),
                     SDP_NEG_CRYPTO_TAG);
    assert_int_equal(answer_is(&o, ANS_HEAD "m=audio 40000 RTP/SAVP 0\r\n"
                               "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY2 "\r\n"),
                     SDP_NEG_CRYPTO_SUITE);
    assert_false(neg.srtp);

    /* [MS-SDPEXT] optional encryption on RTP/AVP: no crypto in the answer is
     * plain RTP, a crypto line is SRTP. */
    o.proto = SDP_PROTO_RTP_AVP;
    o.encryption = SDP_ENC_OPTIONAL;
    assert_int_equal(answer_is(&o, ANS_HEAD "m=audio 40000 RTP/AVP 0\r\n"), SDP_NEG_OK);
    assert_false(neg.srtp);
    snprintf(text, sizeof(text), ANS_HEAD "m=audio 40000 RTP/AVP 0\r\n%s", good_crypto);
    assert_int_equal(answer_is(&o, text), SDP_NEG_OK);
    assert_true(neg.srtp);
    /* Required on RTP/AVP: the crypto line is a must. */
    o.encryption = SDP_ENC_REQUIRED;
    assert_int_equal(answer_is(&o, ANS_HEAD "m=audio 40000 RTP/AVP 0\r\n"),
                     SDP_NEG_SRTP_REQUIRED);
}

/* ---- answerer: the lab UM ----------------------------------------------------- */

static struct sdp_local um_local(void)
{
    struct sdp_local l = {
        .username = SDP_LIT("UM"),
        .sess_id = 7,
        .sess_version = 7,
        .session_name = SDP_LIT("Exchange Unified Messaging"),
        .addr = SDP_LIT("198.51.100.5"),
        .port = 49200,
        .rtcp_mux = true,
        .codecs = {SDP_CODEC_PCMU, SDP_CODEC_PCMA, SDP_CODEC_G722, SDP_CODEC_TELEPHONE_EVENT},
        .codec_count = 4,
        .ptime = 20,
        .srtp = true,
        .ice_ufrag = SDP_LIT("UmUf"),
        .ice_pwd = SDP_LIT("UMpasswordUMpassword12"),
        .cand_count = 1,
        .dir = SDP_DIR_SENDRECV,
    };
    l.cands[0] = (struct sdp_candidate){.foundation = SDP_LIT("1"), .component = 1,
                                        .transport = SDP_LIT("UDP"), .priority = 2130706431,
                                        .addr = SDP_LIT("198.51.100.5"), .port = 49200,
                                        .type = SDP_CAND_HOST};
    l.key = key_of(KEY4);
    l.key.has_mki = true;
    l.key.mki_value = 1;
    l.key.mki_len = 1;
    return l;
}

static struct sdp_desc ans;

static void negotiate_offer_sfb(void **state)
{
    struct sdp_local l = um_local();
    assert_int_equal(parse(SFB_OFFER), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_OK);
    /* G722/8000/2 (pt 117) has two channels; plain G722 (pt 9) is the
     * first offered codec we have. */
    assert_sv(neg.codec, "G722");
    assert_int_equal(neg.peer_pt, 9);
    assert_int_equal(neg.peer_te_pt, 101);
    assert_sv(neg.addr, "10.0.0.15");
    assert_int_equal(neg.rtp_port, 50012);
    assert_true(neg.rtcp_mux);
    assert_int_equal(neg.rtcp_port, 50012);
    /* The cryptoscale line (tag 1) is skipped; tag 2 has the MKI. */
    assert_true(neg.srtp);
    assert_int_equal(neg.crypto_tag, 2);
    assert_key_bytes(neg.peer_key.key_salt, 1);
    assert_true(neg.peer_key.has_mki);

    assert_int_equal(build(&ans), 0);
    assert_non_null(strstr(out, "m=audio 49200 RTP/SAVP 9 101\r\n"));
    assert_non_null(strstr(out, "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY4 "|2^31|1:1\r\n"));
    assert_non_null(strstr(out, "a=rtcp-mux\r\n"));
    assert_non_null(strstr(out, "a=ice-ufrag:UmUf\r\n"));
    assert_non_null(strstr(out, "a=candidate:1 1 UDP 2130706431 198.51.100.5 49200 typ host\r\n"));
    assert_non_null(strstr(out, "a=rtpmap:9 G722/8000\r\n"));
    assert_non_null(strstr(out, "a=fmtp:101 0-16\r\n"));
    assert_null(strstr(out, "a=crypto:3"));
    assert_null(strstr(out, "a=encryption"));
    assert_int_equal(parse_n(&sdp2, out, strlen(out)), 0);
    assert_int_equal(sdp2.media[0].crypto_count, 1);

    /* No MKI offered on the only line: none answered. */
    assert_int_equal(parse(BARESIP_OFFER), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_OK);
    assert_int_equal(build(&ans), 0);
    assert_non_null(strstr(out, "m=audio 49200 RTP/SAVP 0 101\r\n"));
    assert_non_null(strstr(out, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY4 "\r\n"));
    assert_null(strstr(out, "a=ice-ufrag")); /* baresip offered no ICE */

    /* The MKI is answered at the offer's length: our value where it fits,
     * else 1; the lifetime in the offer's decimal form. */
    l.key.mki_value = 300;
    assert_int_equal(parse(HEAD M_AUDIO
                           "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "|1048576|9:2\r\n"),
                     0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_OK);
    assert_int_equal(build(&ans), 0);
    assert_non_null(strstr(out, "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" KEY4
                                "|1048576|300:2\r\n"));
    assert_int_equal(parse(HEAD M_AUDIO
                           "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "|9:1\r\n"),
                     0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_OK);
    assert_int_equal(build(&ans), 0);
    assert_non_null(strstr(out, "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" KEY4 "|1:1\r\n"));
}

static void negotiate_offer_media_lines(void **state)
{
    struct sdp_local l = um_local();
    /* Video first, then an SRTP-only line with a suite we lack, then plain
     * RTP: the answer keeps three m= lines and takes the third. */
    assert_int_equal(parse(HEAD
                           "m=video 5002 RTP/AVP 96\r\n"
                           "a=rtpmap:96 H264/90000\r\n"
                           "m=audio 5004 RTP/SAVP 0\r\n"
                           "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" KEY1 "\r\n"
                           "m=audio 5006 RTP/AVP 8 0\r\n"
                           "a=sendonly\r\n"),
                     0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_OK);
    assert_int_equal(neg.media_index, 2);
    assert_sv(neg.codec, "PCMA");
    assert_false(neg.srtp);
    assert_int_equal(build(&ans), 0);
    assert_int_equal(parse_n(&sdp2, out, strlen(out)), 0);
    assert_int_equal(sdp2.media_count, 3);
    assert_int_equal(sdp2.media[0].type, SDP_MEDIA_VIDEO);
    assert_int_equal(sdp2.media[0].port, 0);
    assert_int_equal(sdp2.media[1].port, 0);
    assert_int_equal(sdp2.media[1].proto, SDP_PROTO_RTP_SAVP);
    assert_int_equal(sdp2.media[2].port, 49200);
    assert_int_equal(sdp2.media[2].proto, SDP_PROTO_RTP_AVP);
    /* RFC 3264 6.1: a sendonly offer is answered recvonly. */
    assert_int_equal(sdp_media_dir(&sdp2, &sdp2.media[2]), SDP_DIR_RECVONLY);
}

static void negotiate_offer_classifies(void **state)
{
    struct sdp_local l = um_local();
    assert_int_equal(parse(HEAD "m=video 5002 RTP/AVP 96\r\n"), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_NO_AUDIO);
    assert_int_equal(parse(HEAD "m=audio 0 RTP/AVP 0\r\n"), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_REJECTED);
    assert_int_equal(parse(HEAD "m=audio 5000 UDP/TLS/RTP/SAVP 0\r\n"), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_WRONG_PROTO);
    assert_int_equal(parse(HEAD "m=audio 5000 RTP/AVP 18\r\n"), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_NO_CODEC);
    assert_int_equal(parse(HEAD M_AUDIO), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_SRTP_REQUIRED);
    /* All audio lines unusable: the first one's reason and details. */
    assert_int_equal(parse(HEAD "m=audio 5000 RTP/AVP 18\r\nm=audio 0 RTP/AVP 0\r\n"), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_NO_CODEC);
    assert_int_equal(neg.media_index, 0);

    /* Optional SRTP: taken when we want it, plain RTP when we do not. */
    assert_int_equal(parse(LYNC_FALLBACK_OFFER), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_OK);
    assert_true(neg.srtp);
    assert_int_equal(ans.proto, SDP_PROTO_RTP_AVP);
    assert_int_equal(ans.crypto_count, 1);
    l.srtp = false;
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_OK);
    assert_false(neg.srtp);
    assert_int_equal(ans.crypto_count, 0);
    /* Required, and only a cryptoscale line and a suite we lack. */
    assert_int_equal(parse(HEAD M_AUDIO
                           "a=cryptoscale:1 client AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n"
                           "a=crypto:2 AES_256_CM_HMAC_SHA1_80 inline:" KEY2 "\r\n"),
                     0);
    assert_int_equal(sdp_negotiate_offer(&sdp, &l, &ans, &neg), SDP_NEG_SRTP_REQUIRED);
    assert_false(neg.srtp);
}

/* Our offer → the lab UM's answer → back to us: both sides agree, and each
 * holds the other's key. */
static void negotiate_end_to_end(void **state)
{
    struct sdp_desc offer = our_offer();
    struct sdp_local l = um_local();
    struct sdp_neg um_neg;
    static char offer_text[4096];

    assert_int_equal(build(&offer), 0);
    snprintf(offer_text, sizeof(offer_text), "%s", out);
    assert_int_equal(parse_n(&sdp2, offer_text, strlen(offer_text)), 0);
    assert_int_equal(sdp_negotiate_offer(&sdp2, &l, &ans, &um_neg), SDP_NEG_OK);
    assert_int_equal(um_neg.crypto_tag, 1);
    assert_true(um_neg.peer_key.has_mki);
    assert_key_bytes(um_neg.peer_key.key_salt, 1); /* our KEY1 */
    assert_int_equal(um_neg.rtcp_port, 50041);

    assert_int_equal(build(&ans), 0);
    assert_int_equal(parse(out), 0);
    assert_int_equal(sdp_negotiate_answer(&offer, &sdp, &neg), SDP_NEG_OK);
    assert_sv(neg.codec, "PCMU");
    assert_int_equal(neg.peer_te_pt, 101);
    assert_sv(neg.addr, "198.51.100.5");
    assert_int_equal(neg.rtp_port, 49200);
    assert_int_equal(neg.crypto_tag, 1);
    assert_int_equal(neg.local_crypto, 0);
    assert_true(neg.peer_key.has_mki); /* answered in the offered form */
    assert_true(neg.peer_key.lifetime_pow2);
    assert_memory_equal(neg.peer_key.key_salt, l.key.key_salt, SDES_KEY_SALT_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_baresip_offer),
        cmocka_unit_test(parse_sfb_offer),
        cmocka_unit_test(parse_lync_fallback_candidates),
        cmocka_unit_test(parse_media_level_and_ipv6),
        cmocka_unit_test(parse_crypto_forms),
        cmocka_unit_test(parse_rejects_structure),
        cmocka_unit_test(parse_rejects_fields),
        cmocka_unit_test(parse_rejects_attributes),
        cmocka_unit_test(parse_rejects_bad_crypto),
        cmocka_unit_test(parse_rejects_over_limits),
        cmocka_unit_test(build_exact_bytes),
        cmocka_unit_test(build_round_trip),
        cmocka_unit_test(build_refuses),
        cmocka_unit_test(negotiate_answer_ok),
        cmocka_unit_test(negotiate_answer_classifies),
        cmocka_unit_test(negotiate_offer_sfb),
        cmocka_unit_test(negotiate_offer_media_lines),
        cmocka_unit_test(negotiate_offer_classifies),
        cmocka_unit_test(negotiate_end_to_end),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
