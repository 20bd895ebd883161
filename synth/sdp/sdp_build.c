/* SDP builder: one audio m= line and its attributes in the order of RFC 8866
 * 9, the lines a peer checks first (ICE, keys) before the codecs. */
#include "synth/sdp/sdp_build.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <string.h>

/* Bytes we refuse in any written string: they would end or split a line. */
static bool is_text(struct strv v)
{
    for (size_t i = 0; i < v.l; i++)
        if (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == '\0')
            return false;
    return true;
}

/* A single field: text without blanks, non-empty. */
static bool is_word(struct strv v)
{
    if (!v.p || !v.l || !is_text(v))
        return false;
    for (size_t i = 0; i < v.l; i++)
        if (v.p[i] == ' ' || v.p[i] == '\t')
            return false;
    return true;
}

static bool opt_word(struct strv v)
{
    return !v.p || is_word(v);
}

static struct strv or_dash(struct strv v)
{
    return v.l ? v : SDP_LIT("-");
}

static const char *addrtype(struct strv addr)
{
    return memchr(addr.p, ':', addr.l) ? "IP6" : "IP4";
}

static bool codec_ok(const struct sdp_codec *c)
{
    return c->pt <= 127 && is_word(c->name) && c->clock && (!c->fmtp.p || (c->fmtp.l && is_text(c->fmtp)));
}

/* sdes_key_format is the judge of a key (lifetime and MKI in range); the
 * trial copy is wiped like every formatted key. */
static bool key_ok(const struct sdes_key *k)
{
    char param[SDES_KEY_PARAM_MAX];
    int rc = sdes_key_format(k, param, sizeof(param));
    OPENSSL_cleanse(param, sizeof(param));
    return rc == 0;
}

static bool crypto_ok(const struct sdp_crypto *c)
{
    if (!c->suite_known || c->key_count == 0 || c->key_count > SDP_CRYPTO_KEYS_MAX ||
        !opt_word(c->scale_role) || (c->session_params.p && !is_text(c->session_params)))
        return false;
    for (size_t i = 0; i < c->key_count; i++)
        if (!key_ok(&c->keys[i].key))
            return false;
    return true;
}

static bool cand_ok(const struct sdp_candidate *c)
{
    return is_word(c->foundation) && is_word(c->transport) && is_word(c->addr) &&
           opt_word(c->raddr) && (!c->ext.p || is_text(c->ext)) &&
           (c->legacy ? is_word(c->legacy_pwd) && is_word(c->legacy_qvalue)
                      : c->type != SDP_CAND_OTHER || is_word(c->type_name));
}

static bool desc_ok(const struct sdp_desc *d)
{
    if (!is_word(d->addr) || !opt_word(d->username) || !is_text(d->session_name) ||
        !opt_word(d->ice_ufrag) || !opt_word(d->ice_pwd) || !opt_word(d->label))
        return false;
    if (d->proto != SDP_PROTO_RTP_AVP && d->proto != SDP_PROTO_RTP_SAVP)
        return false;
    if (d->codec_count == 0 || d->codec_count > SDP_DESC_CODECS_MAX ||
        d->crypto_count > SDP_DESC_CRYPTO_MAX || d->cand_count > SDP_DESC_CANDIDATES_MAX)
        return false;
    /* RFC 4568 5.1.1: SDES-keyed RTP/SAVP needs at least one key. */
    if (d->proto == SDP_PROTO_RTP_SAVP && d->crypto_count == 0)
        return false;
    if (d->media_count > SDP_MEDIA_MAX || (d->media_count && d->audio_index >= d->media_count))
        return false;
    for (size_t i = 0; i < d->codec_count; i++)
        if (!codec_ok(&d->codecs[i]))
            return false;
    for (size_t i = 0; i < d->crypto_count; i++)
        if (!crypto_ok(&d->crypto[i]))
            return false;
    for (size_t i = 0; i < d->cand_count; i++)
        if (!cand_ok(&d->cands[i]))
            return false;
    for (size_t i = 0; i < d->media_count; i++)
        if (i != d->audio_index && (!is_word(d->rejected[i].type) ||
                                    !is_word(d->rejected[i].proto) || !is_word(d->rejected[i].fmt)))
            return false;
    return true;
}

/* ---- lines ------------------------------------------------------------------ */

static void put_session(struct sbuf *sb, const struct sdp_desc *d)
{
    const char *at = addrtype(d->addr);
    struct strv user = or_dash(d->username), name = or_dash(d->session_name);
    sbuf_puts(sb, "v=0\r\n");
    sbuf_printf(sb, "o=%.*s %" PRIu64 " %" PRIu64 " IN %s %.*s\r\n", (int)user.l, user.p,
                d->sess_id, d->sess_version, at, (int)d->addr.l, d->addr.p);
    sbuf_printf(sb, "s=%.*s\r\n", (int)name.l, name.p);
    sbuf_printf(sb, "c=IN %s %.*s\r\n", at, (int)d->addr.l, d->addr.p);
    sbuf_puts(sb, "t=0 0\r\n");
}

static void put_rejected(struct sbuf *sb, const struct sdp_desc_rejected *r)
{
    sbuf_printf(sb, "m=%.*s 0 %.*s %.*s\r\n", (int)r->type.l, r->type.p, (int)r->proto.l,
                r->proto.p, (int)r->fmt.l, r->fmt.p);
}

static void put_m(struct sbuf *sb, const struct sdp_desc *d)
{
    sbuf_printf(sb, "m=audio %u %s", (unsigned)d->port, sdp_proto_str(d->proto));
    for (size_t i = 0; i < d->codec_count; i++)
        sbuf_printf(sb, " %u", (unsigned)d->codecs[i].pt);
    sbuf_puts(sb, "\r\n");
}

static void put_candidate(struct sbuf *sb, const struct sdp_candidate *c)
{
    sbuf_printf(sb, "a=candidate:%.*s %u ", (int)c->foundation.l, c->foundation.p,
                (unsigned)c->component);
    if (c->legacy) {
        /* draft-ietf-mmusic-ice-06: username component password transport qvalue addr port */
        sbuf_printf(sb, "%.*s %.*s %.*s %.*s %u\r\n", (int)c->legacy_pwd.l, c->legacy_pwd.p,
                    (int)c->transport.l, c->transport.p, (int)c->legacy_qvalue.l,
                    c->legacy_qvalue.p, (int)c->addr.l, c->addr.p, (unsigned)c->port);
        return;
    }
    struct strv typ = c->type != SDP_CAND_OTHER ? strv_from_cstr(sdp_cand_type_str(c->type))
                                                : c->type_name;
    sbuf_printf(sb, "%.*s %" PRIu32 " %.*s %u typ %.*s", (int)c->transport.l, c->transport.p,
                c->priority, (int)c->addr.l, c->addr.p, (unsigned)c->port, (int)typ.l, typ.p);
    if (c->raddr.p)
        sbuf_printf(sb, " raddr %.*s", (int)c->raddr.l, c->raddr.p);
    if (c->has_rport)
        sbuf_printf(sb, " rport %u", (unsigned)c->rport);
    if (c->ext.p)
        sbuf_printf(sb, " %.*s", (int)c->ext.l, c->ext.p);
    sbuf_puts(sb, "\r\n");
}

static void put_ice(struct sbuf *sb, const struct sdp_desc *d)
{
    if (d->ice_ufrag.p)
        sbuf_printf(sb, "a=ice-ufrag:%.*s\r\n", (int)d->ice_ufrag.l, d->ice_ufrag.p);
    if (d->ice_pwd.p)
        sbuf_printf(sb, "a=ice-pwd:%.*s\r\n", (int)d->ice_pwd.l, d->ice_pwd.p);
    if (d->ice2 && d->ice_ufrag.p)
        sbuf_printf(sb, "a=ice-options:ice2\r\n");
    for (size_t i = 0; i < d->cand_count; i++)
        put_candidate(sb, &d->cands[i]);
}

/* inline:<key||salt>[|lifetime][|mki:length] (RFC 4568 9.2), checked by
 * desc_ok so it formats. */
static void put_key(struct sbuf *sb, const struct sdes_key *k)
{
    char param[SDES_KEY_PARAM_MAX];
    if (sdes_key_format(k, param, sizeof(param)) == 0)
        sbuf_puts(sb, param);
    OPENSSL_cleanse(param, sizeof(param));
}

static void put_crypto(struct sbuf *sb, const struct sdp_crypto *c)
{
    if (c->scale_role.p)
        sbuf_printf(sb, "a=cryptoscale:%" PRIu32 " %.*s ", c->tag, (int)c->scale_role.l,
                    c->scale_role.p);
    else
        sbuf_printf(sb, "a=crypto:%" PRIu32 " ", c->tag);
    sbuf_printf(sb, "%s ", srtpsess_suite_name(c->suite));
    for (size_t i = 0; i < c->key_count; i++) {
        if (i)
            sbuf_puts(sb, ";");
        put_key(sb, &c->keys[i].key);
    }
    if (c->session_params.p)
        sbuf_printf(sb, " %.*s", (int)c->session_params.l, c->session_params.p);
    sbuf_puts(sb, "\r\n");
}

static void put_codecs(struct sbuf *sb, const struct sdp_desc *d)
{
    for (size_t i = 0; i < d->codec_count; i++) {
        const struct sdp_codec *c = &d->codecs[i];
        sbuf_printf(sb, "a=rtpmap:%u %.*s/%" PRIu32, (unsigned)c->pt, (int)c->name.l, c->name.p,
                    c->clock);
        if (c->channels)
            sbuf_printf(sb, "/%" PRIu32, c->channels);
        sbuf_puts(sb, "\r\n");
        if (c->fmtp.p)
            sbuf_printf(sb, "a=fmtp:%u %.*s\r\n", (unsigned)c->pt, (int)c->fmtp.l, c->fmtp.p);
    }
}

static void put_audio(struct sbuf *sb, const struct sdp_desc *d)
{
    put_m(sb, d);
    put_ice(sb, d);
    if (d->label.p)
        sbuf_printf(sb, "a=label:%.*s\r\n", (int)d->label.l, d->label.p);
    if (d->rtcp_port)
        sbuf_printf(sb, "a=rtcp:%u\r\n", (unsigned)d->rtcp_port);
    if (d->rtcp_mux)
        sbuf_puts(sb, "a=rtcp-mux\r\n");
    for (size_t i = 0; i < d->crypto_count; i++)
        put_crypto(sb, &d->crypto[i]);
    if (d->encryption != SDP_ENC_NONE)
        sbuf_printf(sb, "a=encryption:%s\r\n", sdp_encryption_str(d->encryption));
    put_codecs(sb, d);
    if (d->ptime)
        sbuf_printf(sb, "a=ptime:%" PRIu32 "\r\n", d->ptime);
    sbuf_printf(sb, "a=%s\r\n", sdp_dir_str(d->dir));
}

struct sdp_codec sdp_codec_static(uint8_t pt)
{
    if (pt == 8)
        return SDP_CODEC_PCMA;
    if (pt == 9)
        return SDP_CODEC_G722;
    return SDP_CODEC_PCMU;
}

int sdp_build(struct sbuf *sb, const struct sdp_desc *d)
{
    if (!sb || !d || !desc_ok(d))
        return SYNTH_EINVAL;
    put_session(sb, d);
    size_t n = d->media_count ? d->media_count : 1;
    for (size_t i = 0; i < n; i++) {
        if (d->media_count && i != d->audio_index)
            put_rejected(sb, &d->rejected[i]);
        else
            put_audio(sb, d);
    }
    return sbuf_result(sb);
}
