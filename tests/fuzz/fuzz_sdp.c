/* Fuzz target for the SDP parser, builder and offer/answer (synth/sdp/):
 * each input is parsed; a refusal must say where and why; an accepted one
 * must hold only views inside the input and counts within the bounds. It
 * is then answered as an offer (the lab UM's path), and the answer we
 * build from it must parse again and say what was agreed; and it is
 * checked as an answer to our standard offer (the caller's path). */
#include "synth/sdp/sdp.h"
#include "synth/sdp/sdp_build.h"
#include "synth/sdp/sdp_negotiate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An answer is at most SDP_MEDIA_MAX m= lines of one SDP_LINE_MAX format
 * each plus our own audio section: 16 KB always holds it. */
#define FUZZ_OUT_MAX 16384

static struct sdp_session in, back;
static struct sdp_desc answer;
static char out[FUZZ_OUT_MAX];

static const uint8_t *lo, *hi;

static void check_view(struct strv v)
{
    if (!v.p) {
        if (v.l)
            abort();
        return;
    }
    if ((const uint8_t *)v.p < lo || (const uint8_t *)v.p + v.l > hi)
        abort();
}

static void check_conn(const struct sdp_conn *c)
{
    check_view(c->addr);
    if (c->addr.p && (c->addr.l == 0 || memchr(c->addr.p, ' ', c->addr.l)))
        abort();
}

/* A key of a known suite was read by sdes_key: it formats, and the text
 * parses back to the same key, lifetime (in its form) and MKI. */
static void check_key(const struct sdes_key *k)
{
    char param[SDES_KEY_PARAM_MAX];
    struct sdes_key again;
    if (k->has_mki && (k->mki_len == 0 || k->mki_len > SDES_MKI_LEN_MAX))
        abort();
    if (sdes_key_format(k, param, sizeof(param)) != 0 ||
        sdes_key_parse(&again, param, strlen(param), NULL) != 0)
        abort();
    if (memcmp(again.key_salt, k->key_salt, sizeof(k->key_salt)) != 0 ||
        again.has_lifetime != k->has_lifetime || again.lifetime_pow2 != k->lifetime_pow2 ||
        again.lifetime != k->lifetime || again.has_mki != k->has_mki ||
        again.mki_value != k->mki_value || again.mki_len != k->mki_len)
        abort();
}

static void check_crypto(const struct sdp_crypto *c)
{
    check_view(c->suite_name);
    check_view(c->session_params);
    check_view(c->scale_role);
    if (c->key_count == 0 || c->key_count > SDP_CRYPTO_KEYS_MAX)
        abort();
    if (c->suite_known && !strv_eq(c->suite_name, srtpsess_suite_name(c->suite)))
        abort();
    for (size_t k = 0; k < c->key_count; k++) {
        check_view(c->keys[k].param);
        if (c->suite_known)
            check_key(&c->keys[k].key);
    }
}

static void check_candidate(const struct sdp_candidate *c)
{
    check_view(c->foundation);
    check_view(c->transport);
    check_view(c->addr);
    check_view(c->type_name);
    check_view(c->raddr);
    check_view(c->ext);
    check_view(c->legacy_pwd);
    check_view(c->legacy_qvalue);
    if (c->component == 0 || c->component > 256)
        abort();
}

static void check_media(const struct sdp_session *s, const struct sdp_media *m)
{
    check_view(m->type_name);
    check_view(m->proto_name);
    check_conn(&m->conn);
    check_conn(&m->rtcp_conn);
    check_view(m->label);
    check_view(m->a.ice_ufrag);
    check_view(m->a.ice_pwd);
    if (m->fmt_count == 0 || m->fmt_count > SDP_FORMATS_MAX ||
        m->crypto_count > SDP_CRYPTO_MAX || m->cand_count > SDP_CANDIDATES_MAX ||
        m->a.attr_first + m->a.attr_count > s->attr_count || m->port_count == 0)
        abort();
    /* RFC 8866 5.7, which the parser enforces. */
    if (!sdp_media_conn(s, m)->addr.p)
        abort();
    for (size_t i = 0; i < m->fmt_count; i++) {
        const struct sdp_format *f = &m->fmts[i];
        check_view(f->fmt);
        check_view(f->name);
        check_view(f->fmtp);
        if (f->pt > 127 || (f->name.p && f->clock == 0))
            abort();
        if (f->pt >= 0 && sdp_media_format(m, f->pt) == NULL)
            abort();
    }
    for (size_t i = 0; i < m->crypto_count; i++)
        check_crypto(&m->crypto[i]);
    for (size_t i = 0; i < m->cand_count; i++)
        check_candidate(&m->cands[i]);
    if (m->has_ssrc_range && m->ssrc_first > m->ssrc_last)
        abort();
}

static void check_session(const struct sdp_session *s)
{
    check_view(s->origin.username);
    check_view(s->origin.sess_id);
    check_view(s->origin.sess_version);
    check_conn(&s->origin.conn);
    check_view(s->name);
    check_conn(&s->conn);
    if (s->media_count > SDP_MEDIA_MAX || s->attr_count > SDP_ATTRS_MAX ||
        s->a.attr_count > s->attr_count)
        abort();
    for (size_t i = 0; i < s->attr_count; i++) {
        check_view(s->attrs[i].name);
        check_view(s->attrs[i].value);
    }
    for (size_t i = 0; i < s->media_count; i++)
        check_media(s, &s->media[i]);
}

/* The lab UM's configuration. */
static struct sdp_local um(void)
{
    struct sdp_local l = {
        .username = SDP_LIT("UM"),
        .sess_id = 1,
        .sess_version = 1,
        .addr = SDP_LIT("198.51.100.5"),
        .port = 49200,
        .rtcp_port = 49201,
        .rtcp_mux = true,
        .codecs = {SDP_CODEC_PCMU, SDP_CODEC_PCMA, SDP_CODEC_G722, SDP_CODEC_TELEPHONE_EVENT},
        .codec_count = 4,
        .ptime = 20,
        .srtp = true,
        .key = {.key_salt = {0x70, 0x77, 0x7e}, .has_mki = true, .mki_value = 1, .mki_len = 1},
        .ice_ufrag = SDP_LIT("UmUf"),
        .ice_pwd = SDP_LIT("UMpasswordUMpassword12"),
        .cand_count = 1,
        .dir = SDP_DIR_SENDRECV,
    };
    l.cands[0] = (struct sdp_candidate){.foundation = SDP_LIT("1"), .component = 1,
                                        .transport = SDP_LIT("UDP"), .priority = 2130706431,
                                        .addr = SDP_LIT("198.51.100.5"), .port = 49200,
                                        .type = SDP_CAND_HOST};
    return l;
}

/* synth's own offer. */
static struct sdp_desc our_offer(void)
{
    struct sdp_desc d = {
        .addr = SDP_LIT("192.0.2.10"),
        .port = 50040,
        .proto = SDP_PROTO_RTP_SAVP,
        .codecs = {SDP_CODEC_PCMU, SDP_CODEC_PCMA, SDP_CODEC_TELEPHONE_EVENT},
        .codec_count = 3,
        .crypto_count = 2,
        .encryption = SDP_ENC_REQUIRED,
        .rtcp_mux = true,
    };
    d.crypto[0] = (struct sdp_crypto){.tag = 1, .suite_known = true,
                                      .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_80, .key_count = 1};
    d.crypto[1] = (struct sdp_crypto){.tag = 2, .suite_known = true,
                                      .suite = SRTPSESS_AES_CM_128_HMAC_SHA1_32, .key_count = 1};
    for (size_t i = 0; i < SDES_KEY_SALT_LEN; i++) {
        d.crypto[0].keys[0].key.key_salt[i] = (uint8_t)(1 + 7 * i);
        d.crypto[1].keys[0].key.key_salt[i] = (uint8_t)(38 + 7 * i);
    }
    return d;
}

static void check_neg(const struct sdp_neg *n, const struct sdp_session *peer)
{
    if (n->reason != SDP_NEG_OK)
        return;
    if (!n->peer || n->media_index >= peer->media_count || n->peer != &peer->media[n->media_index])
        abort();
    check_view(n->addr);
    check_view(n->rtcp_addr);
    if (!n->addr.p || n->rtp_port == 0 || !n->codec.p)
        abort();
    if (n->srtp && (n->peer_key.has_mki ? n->peer_key.mki_len == 0 ||
                                              n->peer_key.mki_len > SDES_MKI_LEN_MAX
                                        : n->peer_key.mki_len != 0))
        abort();
}

/* The answer to the input as an offer must build and parse back. */
static void answer_it(void)
{
    struct sdp_local l = um();
    struct sdp_neg n;
    struct sdp_error err;
    struct sbuf sb;
    if (sdp_negotiate_offer(&in, &l, &answer, &n) != SDP_NEG_OK)
        return;
    check_neg(&n, &in);
    sbuf_init(&sb, out, sizeof(out));
    if (sdp_build(&sb, &answer) != 0)
        abort();
    if (sdp_parse(&back, out, sb.len, &err) != 0)
        abort();
    if (back.media_count != in.media_count || back.media[n.media_index].port != l.port ||
        (back.media[n.media_index].crypto_count == 1) != n.srtp)
        abort();
    for (size_t i = 0; i < back.media_count; i++)
        if (i != n.media_index && back.media[i].port != 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sdp_error err;
    lo = data;
    hi = data + size;
    int rc = sdp_parse(&in, (const char *)data, size, &err);
    if (rc != 0) {
        if (!err.reason || err.offset > size ||
            (rc != SYNTH_EPARSE && rc != SYNTH_ETOOBIG && rc != SYNTH_EUNSUPPORTED))
            abort();
        return 0;
    }
    check_session(&in);

    answer_it();

    struct sdp_desc offer = our_offer();
    struct sdp_neg n;
    sdp_negotiate_answer(&offer, &in, &n);
    check_neg(&n, &in);
    if (n.reason == SDP_NEG_OK && n.srtp && n.local_crypto >= offer.crypto_count)
        abort();
    return 0;
}
