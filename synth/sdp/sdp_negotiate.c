/* Offer/answer for one audio stream (RFC 3264 5, 6, 7), SDES key selection
 * (RFC 4568 7.1.1-7.1.3) and [MS-SDPEXT] 3.1.5.8 optional encryption: an
 * RTP/AVP offer with crypto lines and a=encryption:optional gets SRTP if
 * the answer carries a crypto line, plain RTP if not. */
#include "synth/sdp/sdp_negotiate.h"

#include <string.h>

/* A codec as both sides name it: RFC 4855 3 makes encoding names
 * case-insensitive; clock and channels are part of the identity (SfB's
 * G722/8000/2 is not G722/8000). No channel count means one (RFC 8866 6.6). */
struct codec_id {
    struct strv name;
    uint32_t clock;
    uint32_t channels;
};

static uint32_t channels_of(uint32_t c)
{
    return c ? c : 1;
}

/* Static payload types (RFC 3551 6) a peer may list without an rtpmap. */
static const struct {
    int pt;
    const char *name;
} static_pts[] = {
    {0, "PCMU"}, {3, "GSM"}, {4, "G723"}, {8, "PCMA"}, {9, "G722"}, {13, "CN"}, {18, "G729"},
};

const char *sdp_neg_reason_str(enum sdp_neg_reason r)
{
    switch (r) {
    case SDP_NEG_OK: return "ok";
    case SDP_NEG_NO_AUDIO: return "no-audio";
    case SDP_NEG_REJECTED: return "audio-rejected";
    case SDP_NEG_WRONG_PROTO: return "wrong-proto";
    case SDP_NEG_NO_CODEC: return "no-common-codec";
    case SDP_NEG_SRTP_REQUIRED: return "srtp-required";
    case SDP_NEG_CRYPTO_TAG: return "crypto-tag-not-offered";
    case SDP_NEG_CRYPTO_SUITE: return "crypto-suite-mismatch";
    }
    return "unknown";
}

static bool format_id(const struct sdp_format *f, struct codec_id *id)
{
    if (f->name.p) {
        *id = (struct codec_id){f->name, f->clock, channels_of(f->channels)};
        return true;
    }
    for (size_t i = 0; i < sizeof(static_pts) / sizeof(static_pts[0]); i++) {
        if (static_pts[i].pt == f->pt) {
            *id = (struct codec_id){strv_from_cstr(static_pts[i].name), 8000, 1};
            return true;
        }
    }
    return false;
}

static bool id_eq(struct codec_id a, const struct sdp_codec *c)
{
    return a.clock == c->clock && a.channels == channels_of(c->channels) &&
           strv_caseeq_strv(a.name, c->name);
}

static bool is_te(struct strv name)
{
    return strv_caseeq(name, "telephone-event");
}

/* Comfort noise (RFC 3389) and DTMF events are not the voice codec. */
static bool is_voice(struct strv name)
{
    return !is_te(name) && !strv_caseeq(name, "CN");
}

static const struct sdp_codec *codec_find(const struct sdp_codec *codecs, size_t n,
                                          struct codec_id id)
{
    for (size_t i = 0; i < n; i++)
        if (id_eq(id, &codecs[i]))
            return &codecs[i];
    return NULL;
}

static void neg_init(struct sdp_neg *neg)
{
    *neg = (struct sdp_neg){.reason = SDP_NEG_NO_AUDIO, .peer_te_pt = -1, .local_te_pt = -1};
}

static enum sdp_neg_reason neg_done(struct sdp_neg *neg, enum sdp_neg_reason r)
{
    neg->reason = r;
    return r;
}

/* Where the peer wants media (RFC 8866 5.7, RFC 3605, RFC 5761 5.1.1). */
static void fill_transport(struct sdp_neg *neg, const struct sdp_session *s,
                           const struct sdp_media *m, bool we_mux)
{
    const struct sdp_conn *c = sdp_media_conn(s, m);
    neg->addrtype = c->type;
    neg->addr = c->addr;
    neg->rtp_port = m->port;
    neg->rtcp_addr = c->addr;
    neg->rtcp_mux = we_mux && m->rtcp_mux;
    if (neg->rtcp_mux) {
        neg->rtcp_port = m->port;
    } else if (m->has_rtcp) {
        neg->rtcp_port = m->rtcp_port;
        if (m->rtcp_conn.addr.p)
            neg->rtcp_addr = m->rtcp_conn.addr;
    } else {
        neg->rtcp_port = m->port == 65535 ? 0 : (uint16_t)(m->port + 1);
    }
}

/* The peer's key: the first key-param of a line of a known suite, which
 * sdp_parse has decoded (RFC 4568 6.1: with several keys the MKI tells
 * them apart in the packets; we receive with the first). */
static void take_peer_key(struct sdp_neg *neg, const struct sdp_crypto *c)
{
    neg->peer_key = c->keys[0].key;
    neg->srtp = true;
    neg->crypto_tag = c->tag;
    neg->suite = c->suite;
}

static bool is_plain_crypto(const struct sdp_crypto *c)
{
    return c->scale_role.p == NULL;
}

/* ---- offerer: check the answer ---------------------------------------------- */

/* First format of the answer that we offered, in the answer's order. */
static bool answer_codec(const struct sdp_desc *offer, const struct sdp_media *m,
                         struct sdp_neg *neg)
{
    bool found = false;
    for (size_t i = 0; i < m->fmt_count; i++) {
        const struct sdp_format *f = &m->fmts[i];
        struct codec_id id;
        const struct sdp_codec *ours;
        if (!format_id(f, &id) || !(ours = codec_find(offer->codecs, offer->codec_count, id)))
            continue;
        if (is_te(id.name)) {
            if (neg->peer_te_pt < 0) {
                neg->peer_te_pt = f->pt;
                neg->local_te_pt = ours->pt;
            }
        } else if (!found && is_voice(id.name)) {
            found = true;
            neg->codec = id.name;
            neg->clock = id.clock;
            neg->peer_pt = (uint8_t)f->pt;
            neg->local_pt = ours->pt;
        }
    }
    return found;
}

static enum sdp_neg_reason answer_crypto(const struct sdp_desc *offer, const struct sdp_media *m,
                                         struct sdp_neg *neg)
{
    /* RFC 4568 5.1.2: the answer carries one crypto line, and only a line
     * we offered can be accepted. */
    bool must = offer->proto == SDP_PROTO_RTP_SAVP || offer->encryption == SDP_ENC_REQUIRED;
    const struct sdp_crypto *c = NULL;
    for (size_t i = 0; i < m->crypto_count && !c; i++)
        if (is_plain_crypto(&m->crypto[i]))
            c = &m->crypto[i];
    if (!c)
        return must ? SDP_NEG_SRTP_REQUIRED : SDP_NEG_OK;
    if (!c->suite_known)
        return must ? SDP_NEG_SRTP_REQUIRED : SDP_NEG_CRYPTO_SUITE;
    for (size_t i = 0; i < offer->crypto_count; i++) {
        const struct sdp_crypto *o = &offer->crypto[i];
        if (!is_plain_crypto(o) || o->tag != c->tag)
            continue;
        if (!o->suite_known || o->suite != c->suite)
            return SDP_NEG_CRYPTO_SUITE;
        take_peer_key(neg, c);
        neg->local_crypto = i;
        return SDP_NEG_OK;
    }
    return SDP_NEG_CRYPTO_TAG;
}

enum sdp_neg_reason sdp_negotiate_answer(const struct sdp_desc *offer,
                                         const struct sdp_session *answer, struct sdp_neg *neg)
{
    neg_init(neg);
    /* RFC 3264 6: the answer's m= lines pair with the offer's by position. */
    size_t idx = offer->media_count ? offer->audio_index : 0;
    if (idx >= answer->media_count || answer->media[idx].type != SDP_MEDIA_AUDIO)
        return neg_done(neg, SDP_NEG_NO_AUDIO);
    const struct sdp_media *m = &answer->media[idx];
    neg->peer = m;
    neg->media_index = idx;
    neg->peer_dir = sdp_media_dir(answer, m);
    neg->ptime = m->ptime;
    if (m->port == 0)
        return neg_done(neg, SDP_NEG_REJECTED);
    /* RFC 3264 6.1: the answer keeps the offer's transport. */
    if (m->proto != offer->proto)
        return neg_done(neg, SDP_NEG_WRONG_PROTO);
    if (!answer_codec(offer, m, neg))
        return neg_done(neg, SDP_NEG_NO_CODEC);
    fill_transport(neg, answer, m, offer->rtcp_mux);
    return neg_done(neg, answer_crypto(offer, m, neg));
}

/* ---- answerer: build the answer ---------------------------------------------- */

/* RFC 3264 6.1: a sendonly offer is answered recvonly (or inactive), and so
 * on; as bits, we send only what they receive and the other way round. */
static enum sdp_dir answer_dir(enum sdp_dir offered, enum sdp_dir local)
{
    enum { SEND = 1, RECV = 2 };
    static const unsigned bits[] = {
        [SDP_DIR_SENDRECV] = SEND | RECV, [SDP_DIR_SENDONLY] = SEND,
        [SDP_DIR_RECVONLY] = RECV, [SDP_DIR_INACTIVE] = 0,
    };
    unsigned o = bits[offered], l = bits[local], a = 0;
    if ((l & SEND) && (o & RECV))
        a |= SEND;
    if ((l & RECV) && (o & SEND))
        a |= RECV;
    return a == (SEND | RECV) ? SDP_DIR_SENDRECV
         : a == SEND ? SDP_DIR_SENDONLY
         : a == RECV ? SDP_DIR_RECVONLY : SDP_DIR_INACTIVE;
}

/* The first offered voice codec we have, in the offer's order (the
 * offerer's preference, RFC 3264 5.1), and telephone-event if both have it. */
static bool offer_codecs(const struct sdp_media *m, const struct sdp_local *local,
                         struct sdp_desc *ans, struct sdp_neg *neg)
{
    struct sdp_codec voice = {0}, te = {0};
    bool have_voice = false, have_te = false;
    for (size_t i = 0; i < m->fmt_count; i++) {
        const struct sdp_format *f = &m->fmts[i];
        struct codec_id id;
        const struct sdp_codec *ours;
        if (!format_id(f, &id) || !(ours = codec_find(local->codecs, local->codec_count, id)))
            continue;
        /* The offer's number, RFC 3264 6.1. */
        struct sdp_codec c = *ours;
        c.pt = (uint8_t)f->pt;
        if (is_te(id.name) && !have_te) {
            have_te = true;
            te = c;
        } else if (is_voice(id.name) && !have_voice) {
            have_voice = true;
            voice = c;
            neg->codec = id.name;
            neg->clock = id.clock;
            neg->peer_pt = neg->local_pt = c.pt;
        }
    }
    if (!have_voice)
        return false;
    ans->codecs[ans->codec_count++] = voice;
    if (have_te) {
        ans->codecs[ans->codec_count++] = te;
        neg->peer_te_pt = neg->local_te_pt = te.pt;
    }
    return true;
}

static bool mki_fits(uint32_t value, uint8_t len)
{
    return len >= sizeof(value) || value >> (8 * len) == 0;
}

/* Our line in the answer's form: the offer's tag, suite and lifetime form,
 * our key, and an MKI of the offer's length if the offer had one (peers
 * that offered an MKI may refuse a key without one, PROTOCOLS.md). */
static void answer_line(const struct sdp_crypto *o, const struct sdp_local *local,
                        struct sdp_crypto *a)
{
    const struct sdes_key *ok = &o->keys[0].key;
    *a = (struct sdp_crypto){.tag = o->tag, .suite_known = true, .suite = o->suite,
                             .key_count = 1};
    struct sdes_key *k = &a->keys[0].key;
    memcpy(k->key_salt, local->key.key_salt, sizeof(k->key_salt));
    k->has_lifetime = ok->has_lifetime;
    k->lifetime_pow2 = ok->lifetime_pow2;
    k->lifetime = ok->lifetime;
    if (ok->has_mki) {
        bool ours = local->key.has_mki && mki_fits(local->key.mki_value, ok->mki_len);
        k->has_mki = true;
        k->mki_value = ours ? local->key.mki_value : 1;
        k->mki_len = ok->mki_len;
    }
}

static enum sdp_neg_reason offer_crypto(const struct sdp_session *s, const struct sdp_media *m,
                                        const struct sdp_local *local, struct sdp_desc *ans,
                                        struct sdp_neg *neg)
{
    enum sdp_encryption enc = sdp_media_encryption(s, m);
    bool must = m->proto == SDP_PROTO_RTP_SAVP || enc == SDP_ENC_REQUIRED;
    bool want = must || (local->srtp && enc != SDP_ENC_REJECTED);
    if (!want)
        return SDP_NEG_OK;
    for (size_t i = 0; i < m->crypto_count; i++) {
        const struct sdp_crypto *c = &m->crypto[i];
        if (!is_plain_crypto(c) || !c->suite_known)
            continue;
        take_peer_key(neg, c);
        answer_line(c, local, &ans->crypto[0]);
        ans->crypto_count = 1;
        return SDP_NEG_OK;
    }
    return must ? SDP_NEG_SRTP_REQUIRED : SDP_NEG_OK;
}

static void answer_frame(const struct sdp_session *s, size_t idx, const struct sdp_local *local,
                         struct sdp_desc *ans)
{
    const struct sdp_media *m = &s->media[idx];
    ans->username = local->username;
    ans->sess_id = local->sess_id;
    ans->sess_version = local->sess_version;
    ans->session_name = local->session_name;
    ans->addr = local->addr;
    ans->port = local->port;
    ans->rtcp_port = local->rtcp_port;
    ans->rtcp_mux = local->rtcp_mux && m->rtcp_mux;
    ans->proto = m->proto;
    ans->ptime = local->ptime;
    ans->label = local->label;
    ans->dir = answer_dir(sdp_media_dir(s, m), local->dir);
    if (sdp_media_ice_ufrag(s, m).p && local->ice_ufrag.p) {
        ans->ice_ufrag = local->ice_ufrag;
        ans->ice_pwd = local->ice_pwd;
        ans->ice2 = local->ice2;
        ans->cand_count = local->cand_count <= SDP_DESC_CANDIDATES_MAX ? local->cand_count
                                                                       : SDP_DESC_CANDIDATES_MAX;
        memcpy(ans->cands, local->cands, ans->cand_count * sizeof(ans->cands[0]));
    }
    ans->media_count = s->media_count;
    ans->audio_index = idx;
    for (size_t i = 0; i < s->media_count; i++) {
        const struct sdp_media *o = &s->media[i];
        ans->rejected[i] = (struct sdp_desc_rejected){o->type_name, o->proto_name, o->fmts[0].fmt};
    }
}

static enum sdp_neg_reason try_audio(const struct sdp_session *s, size_t idx,
                                     const struct sdp_local *local, struct sdp_desc *ans,
                                     struct sdp_neg *neg)
{
    const struct sdp_media *m = &s->media[idx];
    neg_init(neg);
    *ans = (struct sdp_desc){0};
    neg->peer = m;
    neg->media_index = idx;
    neg->peer_dir = sdp_media_dir(s, m);
    neg->ptime = m->ptime;
    if (m->port == 0)
        return SDP_NEG_REJECTED;
    if (m->proto != SDP_PROTO_RTP_AVP && m->proto != SDP_PROTO_RTP_SAVP)
        return SDP_NEG_WRONG_PROTO;
    answer_frame(s, idx, local, ans);
    if (!offer_codecs(m, local, ans, neg))
        return SDP_NEG_NO_CODEC;
    fill_transport(neg, s, m, local->rtcp_mux);
    return offer_crypto(s, m, local, ans, neg);
}

enum sdp_neg_reason sdp_negotiate_offer(const struct sdp_session *offer,
                                        const struct sdp_local *local, struct sdp_desc *answer,
                                        struct sdp_neg *neg)
{
    size_t first = offer->media_count;
    neg_init(neg);
    *answer = (struct sdp_desc){0};
    for (size_t i = 0; i < offer->media_count; i++) {
        if (offer->media[i].type != SDP_MEDIA_AUDIO)
            continue;
        enum sdp_neg_reason r = try_audio(offer, i, local, answer, neg);
        if (r == SDP_NEG_OK)
            return neg_done(neg, r);
        if (first == offer->media_count)
            first = i;
    }
    if (first == offer->media_count)
        return neg_done(neg, SDP_NEG_NO_AUDIO);
    /* Report the first audio line, with what was learnt about it. */
    return neg_done(neg, try_audio(offer, first, local, answer, neg));
}
