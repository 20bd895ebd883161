/* NTLM message encoding and decoding ([MS-NLMP] 2.2.1, 2.2.2) and the NTLMv2
 * client computation of 3.1.5.1.2. Little-endian fields are read byte by
 * byte so no alignment or host order is assumed. */
#include "ntlm_msg.h"

#include <openssl/crypto.h>

#include <string.h>

static const uint8_t ntlm_signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

/* Fixed parts: CHALLENGE up to and including its TargetInfoFields, and
 * AUTHENTICATE with its version field (always written, zero when the flag is
 * not negotiated, so the MIC has a fixed place, 2.2.1.3). */
#define CHALLENGE_FIXED 48
#define NEGOTIATE_LEN 40
#define AUTH_FIXED 72

static uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A Len/MaxLen/Offset triple (2.2.1.2) as a view, when inside buf. */
static int field_view(const uint8_t *buf, size_t len, size_t at, struct ntlm_view *v)
{
    size_t flen = get_le16(buf + at);
    size_t off = get_le32(buf + at + 4);
    if (flen == 0) {
        v->p = NULL;
        v->len = 0;
        return 0;
    }
    if (off > len || flen > len - off)
        return SYNTH_EPARSE;
    v->p = buf + off;
    v->len = flen;
    return 0;
}

static int av_pairs_parse(struct ntlm_challenge *ch)
{
    const uint8_t *p = ch->target_info.p;
    size_t left = ch->target_info.len;
    uint32_t seen = 0;

    if (!p)
        return 0;
    for (size_t n = 0;; n++) {
        if (n == NTLM_AV_PAIRS_MAX)
            return SYNTH_ETOOBIG;
        if (left < 4)
            return SYNTH_EPARSE; /* no MsvAvEOL */
        uint16_t id = get_le16(p), alen = get_le16(p + 2);
        p += 4;
        left -= 4;
        if (alen > left)
            return SYNTH_EPARSE;
        if (id == NTLM_AV_EOL) {
            if (alen != 0)
                return SYNTH_EPARSE;
            /* Bytes after EOL would be hashed into the response without
             * meaning anything; the list ends where EOL is. */
            ch->target_info.len -= left;
            return 0;
        }
        if (id < 32) {
            if (seen & (1u << id))
                return SYNTH_EPARSE;
            seen |= 1u << id;
        }
        struct ntlm_view v = {p, alen};
        switch (id) {
        case NTLM_AV_NB_COMPUTER: ch->nb_computer = v; break;
        case NTLM_AV_NB_DOMAIN: ch->nb_domain = v; break;
        case NTLM_AV_DNS_COMPUTER: ch->dns_computer = v; break;
        case NTLM_AV_DNS_DOMAIN: ch->dns_domain = v; break;
        case NTLM_AV_DNS_TREE: ch->dns_tree = v; break;
        case NTLM_AV_TARGET_NAME: ch->av_target_name = v; break;
        case NTLM_AV_TIMESTAMP:
            if (alen != 8)
                return SYNTH_EPARSE;
            ch->has_timestamp = true;
            ch->timestamp = (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
            break;
        default: break; /* MsvAvFlags, SingleHost, ...: echoed as they are */
        }
        p += alen;
        left -= alen;
    }
}

int ntlm_challenge_parse(struct ntlm_challenge *ch, const uint8_t *buf, size_t len)
{
    if (!ch || (!buf && len))
        return SYNTH_EINVAL;
    memset(ch, 0, sizeof(*ch));
    if (len > NTLM_MSG_MAX)
        return SYNTH_ETOOBIG;
    if (len < CHALLENGE_FIXED || memcmp(buf, ntlm_signature, 8) != 0 || get_le32(buf + 8) != 2)
        return SYNTH_EPARSE;
    ch->flags = get_le32(buf + 20);
    memcpy(ch->server_challenge, buf + 24, NTLM_CHALLENGE_LEN);
    int err = field_view(buf, len, 12, &ch->target_name);
    if (!err && (ch->flags & NTLM_FLAG_TARGET_INFO))
        err = field_view(buf, len, 40, &ch->target_info);
    if (err)
        return err;
    if ((ch->flags & NTLM_FLAG_VERSION) && len >= CHALLENGE_FIXED + NTLM_VERSION_LEN)
        ch->version = (struct ntlm_view){buf + CHALLENGE_FIXED, NTLM_VERSION_LEN};
    err = av_pairs_parse(ch);
    if (err)
        memset(ch, 0, sizeof(*ch));
    return err;
}

int ntlm_negotiate_write(uint32_t flags, const uint8_t version[NTLM_VERSION_LEN], uint8_t *out,
                         size_t cap, size_t *out_len)
{
    if (!out || !out_len)
        return SYNTH_EINVAL;
    if (cap < NEGOTIATE_LEN)
        return SYNTH_ETOOBIG;
    memset(out, 0, NEGOTIATE_LEN);
    memcpy(out, ntlm_signature, 8);
    put_le32(out + 8, 1);
    put_le32(out + 12, flags);
    /* Empty domain and workstation fields point at the end, as Windows does. */
    put_le32(out + 20, NEGOTIATE_LEN);
    put_le32(out + 28, NEGOTIATE_LEN);
    if (version && (flags & NTLM_FLAG_VERSION))
        memcpy(out + 32, version, NTLM_VERSION_LEN);
    *out_len = NEGOTIATE_LEN;
    return 0;
}

/* The target info the client sends back (3.1.5.1.2): the server's, with
 * MsvAvFlags carrying the MIC bit when a MIC is sent. */
static int target_info_for_client(const struct ntlm_challenge *ch, bool mic, uint8_t *out,
                                  size_t cap, size_t *out_len)
{
    const uint8_t *p = ch->target_info.p;
    size_t left = ch->target_info.len, n = 0;
    bool flags_done = false;

    while (left >= 4) {
        uint16_t id = get_le16(p), alen = get_le16(p + 2);
        if (id == NTLM_AV_EOL)
            break;
        if (n + 4 + alen > cap)
            return SYNTH_ETOOBIG;
        memcpy(out + n, p, 4 + (size_t)alen);
        if (id == NTLM_AV_FLAGS && alen == 4 && mic) {
            put_le32(out + n + 4, get_le32(p + 4) | NTLM_AV_FLAG_MIC);
            flags_done = true;
        }
        n += 4 + (size_t)alen;
        p += 4 + (size_t)alen;
        left -= 4 + (size_t)alen;
    }
    if (mic && !flags_done) {
        if (n + 8 > cap)
            return SYNTH_ETOOBIG;
        put_le16(out + n, NTLM_AV_FLAGS);
        put_le16(out + n + 2, 4);
        put_le32(out + n + 4, NTLM_AV_FLAG_MIC);
        n += 8;
    }
    if (!ch->target_info.p && !mic) {
        *out_len = 0; /* no target info at all: nothing to end */
        return 0;
    }
    if (n + 4 > cap)
        return SYNTH_ETOOBIG;
    memset(out + n, 0, 4);
    *out_len = n + 4;
    return 0;
}

/* Appends a payload field and fills its Len/MaxLen/Offset triple at hdr. */
static int put_field(uint8_t *out, size_t cap, size_t *pos, size_t hdr, const uint8_t *data,
                     size_t len)
{
    if (len > UINT16_MAX || *pos > cap || len > cap - *pos)
        return SYNTH_ETOOBIG;
    if (len)
        memcpy(out + *pos, data, len);
    put_le16(out + hdr, (uint16_t)len);
    put_le16(out + hdr + 2, (uint16_t)len);
    put_le32(out + hdr + 4, (uint32_t)*pos);
    *pos += len;
    return 0;
}

static int derive_keys(struct ntlm_session *s)
{
    int err = 0;
    struct ntlm_keys *dirs[2] = {&s->client, &s->server};
    for (int i = 0; i < 2 && !err; i++) {
        dirs[i]->flags = s->flags;
        err = ntlm_signkey(s->flags, s->exported_session_key, i == 0, dirs[i]->sign);
        if (!err)
            err = ntlm_sealkey(s->flags, s->exported_session_key, i == 0, dirs[i]->seal,
                               &dirs[i]->seal_len);
    }
    return err;
}

int ntlm_authenticate_write(const struct ntlm_challenge *ch, const uint8_t *raw, size_t raw_len,
                            const struct ntlm_auth_input *in, uint8_t *out, size_t cap,
                            size_t *out_len, struct ntlm_session *s)
{
    uint8_t key[NTLM_KEY_LEN], base_key[NTLM_KEY_LEN], lm[NTLM_LM_RESPONSE_LEN];
    uint8_t ti[NTLM_MSG_MAX], nt[NTLM_NTV2_RESPONSE_LEN(NTLM_MSG_MAX)];
    uint8_t str[3][2 * NTLM_STR_MAX], enc_key[NTLM_KEY_LEN];
    size_t str_len[3] = {0}, ti_len = 0, nt_len = 0;
    int err = SYNTH_EINVAL;

    if (!ch || !raw || !in || !out || !out_len || !s || !in->user || !in->domain ||
        !in->workstation || !in->password)
        return SYNTH_EINVAL;
    memset(s, 0, sizeof(*s));
    if (!(in->flags & NTLM_FLAG_UNICODE))
        return SYNTH_EINVAL;
    if (cap > NTLM_MSG_MAX)
        cap = NTLM_MSG_MAX;

    const char *strs[3] = {in->domain, in->user, in->workstation};
    for (int i = 0; i < 3; i++) {
        err = ntlm_utf16le(strs[i], false, str[i], sizeof(str[i]), &str_len[i]);
        if (err)
            goto out;
    }
    bool mic = ch->has_timestamp;
    err = target_info_for_client(ch, mic, ti, sizeof(ti), &ti_len);
    if (err)
        goto out;
    err = ntlm_ntowfv2(in->password, in->user, in->domain, key);
    if (err)
        goto out;
    uint64_t when = ch->has_timestamp ? ch->timestamp : in->timestamp;
    err = ntlm_ntv2_response(key, ch->server_challenge, in->client_challenge, when, ti, ti_len,
                             nt, sizeof(nt), &nt_len, base_key);
    if (err)
        goto out;
    /* 3.1.5.1.2: with MsvAvTimestamp the LM response is Z(24). */
    if (mic)
        memset(lm, 0, sizeof(lm));
    else if ((err = ntlm_lmv2_response(key, ch->server_challenge, in->client_challenge, lm)))
        goto out;

    /* KXKEY for NTLMv2 is the session base key (3.4.5.1). */
    s->flags = in->flags;
    s->mic = mic;
    if (in->flags & NTLM_FLAG_KEY_EXCH) {
        memcpy(s->exported_session_key, in->random_session_key, NTLM_KEY_LEN);
        err = ntlm_rc4k(base_key, NTLM_KEY_LEN, s->exported_session_key, NTLM_KEY_LEN, enc_key);
        if (err)
            goto out;
    } else {
        memcpy(s->exported_session_key, base_key, NTLM_KEY_LEN);
    }

    size_t pos = AUTH_FIXED + (mic ? NTLM_MIC_LEN : 0);
    err = SYNTH_ETOOBIG;
    if (cap < pos)
        goto out;
    memset(out, 0, pos);
    memcpy(out, ntlm_signature, 8);
    put_le32(out + 8, 3);
    put_le32(out + 60, in->flags);
    if (in->version && (in->flags & NTLM_FLAG_VERSION))
        memcpy(out + 64, in->version, NTLM_VERSION_LEN);
    /* Payload order as Windows writes it (the [MS-NLMP] 4.2.4.3 bytes):
     * domain, user, workstation, LM, NT, session key. */
    err = put_field(out, cap, &pos, 28, str[0], str_len[0]);
    if (!err)
        err = put_field(out, cap, &pos, 36, str[1], str_len[1]);
    if (!err)
        err = put_field(out, cap, &pos, 44, str[2], str_len[2]);
    if (!err)
        err = put_field(out, cap, &pos, 12, lm, sizeof(lm));
    if (!err)
        err = put_field(out, cap, &pos, 20, nt, nt_len);
    if (!err)
        err = put_field(out, cap, &pos, 52, enc_key,
                        (in->flags & NTLM_FLAG_KEY_EXCH) ? NTLM_KEY_LEN : 0);
    if (err)
        goto out;
    if (mic) {
        /* MIC over NEGOTIATE || CHALLENGE || AUTHENTICATE with MIC zero;
         * connectionless NTLM has no NEGOTIATE (3.1.5.2.1). */
        uint8_t all[3 * NTLM_MSG_MAX];
        size_t n = 0;
        err = SYNTH_ETOOBIG;
        if (in->negotiate_len > NTLM_MSG_MAX || raw_len > NTLM_MSG_MAX)
            goto out;
        if (in->negotiate && in->negotiate_len) {
            memcpy(all, in->negotiate, in->negotiate_len);
            n = in->negotiate_len;
        }
        memcpy(all + n, raw, raw_len);
        n += raw_len;
        memcpy(all + n, out, pos);
        n += pos;
        err = ntlm_hmac_md5(s->exported_session_key, NTLM_KEY_LEN, all, n, out + AUTH_FIXED);
        if (err)
            goto out;
    }
    err = derive_keys(s);
    if (!err)
        *out_len = pos;
out:
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(base_key, sizeof(base_key));
    OPENSSL_cleanse(enc_key, sizeof(enc_key));
    if (err)
        ntlm_session_clear(s);
    return err;
}

void ntlm_session_clear(struct ntlm_session *s)
{
    if (s)
        OPENSSL_cleanse(s, sizeof(*s));
}

/* ---- the server side ------------------------------------------------------ */

static int av_put(uint8_t *out, size_t cap, size_t *pos, uint16_t id, const uint8_t *v, size_t len)
{
    if (len > UINT16_MAX || *pos > cap || cap - *pos < 4 + len)
        return SYNTH_ETOOBIG;
    put_le16(out + *pos, id);
    put_le16(out + *pos + 2, (uint16_t)len);
    if (len)
        memcpy(out + *pos + 4, v, len);
    *pos += 4 + len;
    return 0;
}

static int av_put_name(uint8_t *out, size_t cap, size_t *pos, uint16_t id, const char *name)
{
    uint8_t w[2 * NTLM_STR_MAX];
    size_t wl = 0;
    int err = ntlm_utf16le(name, false, w, sizeof(w), &wl);
    if (err)
        return err == SYNTH_ETOOBIG ? err : SYNTH_EINVAL;
    return av_put(out, cap, pos, id, w, wl);
}

int ntlm_challenge_write(const struct ntlm_challenge_input *in, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    uint8_t ti[NTLM_MSG_MAX], tn[2 * NTLM_STR_MAX];
    size_t ti_len = 0, tn_len = 0, pos = CHALLENGE_FIXED + NTLM_VERSION_LEN;
    int err;

    if (!in || !out || !out_len || !in->nb_domain || !in->nb_computer || !in->dns_domain ||
        !in->dns_computer)
        return SYNTH_EINVAL;
    /* 2.2.2.1: the order Windows writes them in, MsvAvEOL last. */
    err = av_put_name(ti, sizeof(ti), &ti_len, NTLM_AV_NB_DOMAIN, in->nb_domain);
    if (!err)
        err = av_put_name(ti, sizeof(ti), &ti_len, NTLM_AV_NB_COMPUTER, in->nb_computer);
    if (!err)
        err = av_put_name(ti, sizeof(ti), &ti_len, NTLM_AV_DNS_DOMAIN, in->dns_domain);
    if (!err)
        err = av_put_name(ti, sizeof(ti), &ti_len, NTLM_AV_DNS_COMPUTER, in->dns_computer);
    if (!err && in->timestamp) {
        uint8_t ts[8];
        put_le32(ts, (uint32_t)in->timestamp);
        put_le32(ts + 4, (uint32_t)(in->timestamp >> 32));
        err = av_put(ti, sizeof(ti), &ti_len, NTLM_AV_TIMESTAMP, ts, sizeof(ts));
    }
    if (!err)
        err = av_put(ti, sizeof(ti), &ti_len, NTLM_AV_EOL, NULL, 0);
    if (!err)
        err = ntlm_utf16le(in->nb_domain, false, tn, sizeof(tn), &tn_len);
    if (err)
        return err;
    if (cap > NTLM_MSG_MAX)
        cap = NTLM_MSG_MAX;
    if (cap < pos)
        return SYNTH_ETOOBIG;
    memset(out, 0, pos);
    memcpy(out, ntlm_signature, 8);
    put_le32(out + 8, 2);
    put_le32(out + 20, in->flags | NTLM_FLAG_TARGET_INFO);
    memcpy(out + 24, in->server_challenge, NTLM_CHALLENGE_LEN);
    if (in->version && (in->flags & NTLM_FLAG_VERSION))
        memcpy(out + CHALLENGE_FIXED, in->version, NTLM_VERSION_LEN);
    err = put_field(out, cap, &pos, 12, tn, tn_len);
    if (!err)
        err = put_field(out, cap, &pos, 40, ti, ti_len);
    if (!err)
        *out_len = pos;
    return err;
}

int ntlm_authenticate_parse(struct ntlm_authenticate *a, const uint8_t *buf, size_t len)
{
    if (!a || (!buf && len))
        return SYNTH_EINVAL;
    memset(a, 0, sizeof(*a));
    if (len > NTLM_MSG_MAX)
        return SYNTH_ETOOBIG;
    if (len < AUTH_FIXED || memcmp(buf, ntlm_signature, 8) != 0 || get_le32(buf + 8) != 3)
        return SYNTH_EPARSE;
    a->flags = get_le32(buf + 60);
    struct {
        size_t at;
        struct ntlm_view *v;
    } fields[] = {{12, &a->lm},   {20, &a->nt},          {28, &a->domain},
                  {36, &a->user}, {44, &a->workstation}, {52, &a->session_key}};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (field_view(buf, len, fields[i].at, fields[i].v) != 0) {
            memset(a, 0, sizeof(*a));
            return SYNTH_EPARSE;
        }
    }
    /* NTLMv2 only: NTProofStr, the blob head, at least MsvAvEOL's 4 bytes. */
    if (a->nt.len < NTLM_NTV2_RESPONSE_LEN(0)) {
        memset(a, 0, sizeof(*a));
        return SYNTH_EPARSE;
    }
    return 0;
}

int ntlm_utf8_from_utf16le(struct ntlm_view w, char *out, size_t size)
{
    size_t n = 0;
    if (!out || size == 0 || (w.len && !w.p))
        return SYNTH_EINVAL;
    if (w.len % 2)
        return SYNTH_EPARSE;
    for (size_t i = 0; i < w.len; i += 2) {
        uint32_t cp = get_le16(w.p + i);
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return SYNTH_EPARSE;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo = i + 3 < w.len ? get_le16(w.p + i + 2) : 0;
            if (lo < 0xdc00 || lo > 0xdfff)
                return SYNTH_EPARSE;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 2;
        }
        uint8_t b[4];
        size_t nb;
        if (cp < 0x80) {
            b[0] = (uint8_t)cp;
            nb = 1;
        } else if (cp < 0x800) {
            b[0] = (uint8_t)(0xc0 | cp >> 6);
            b[1] = (uint8_t)(0x80 | (cp & 0x3f));
            nb = 2;
        } else if (cp < 0x10000) {
            b[0] = (uint8_t)(0xe0 | cp >> 12);
            b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
            b[2] = (uint8_t)(0x80 | (cp & 0x3f));
            nb = 3;
        } else {
            b[0] = (uint8_t)(0xf0 | cp >> 18);
            b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
            b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
            b[3] = (uint8_t)(0x80 | (cp & 0x3f));
            nb = 4;
        }
        if (n + nb >= size)
            return SYNTH_ETOOBIG;
        memcpy(out + n, b, nb);
        n += nb;
    }
    out[n] = '\0';
    return 0;
}

/* True when the client's target info (inside its NTLMv2 blob) sets the MIC
 * bit of MsvAvFlags (2.2.2.1): then the AUTHENTICATE carries a MIC. */
static bool client_sent_mic(const uint8_t *ti, size_t len)
{
    while (len >= 4) {
        uint16_t id = get_le16(ti), alen = get_le16(ti + 2);
        if (id == NTLM_AV_EOL || alen > len - 4)
            return false;
        if (id == NTLM_AV_FLAGS && alen == 4)
            return (get_le32(ti + 4) & NTLM_AV_FLAG_MIC) != 0;
        ti += 4 + (size_t)alen;
        len -= 4 + (size_t)alen;
    }
    return false;
}

int ntlm_authenticate_check(const struct ntlm_authenticate *a, const uint8_t *raw, size_t raw_len,
                            const uint8_t *challenge, size_t challenge_len, const char *password,
                            struct ntlm_session *s)
{
    uint8_t key[NTLM_KEY_LEN], base_key[NTLM_KEY_LEN], mic[NTLM_MIC_LEN];
    uint8_t nt[NTLM_NTV2_RESPONSE_LEN(NTLM_MSG_MAX)];
    char user[4 * NTLM_STR_MAX], domain[4 * NTLM_STR_MAX];
    size_t nt_len = 0;
    int err;

    if (!a || !raw || !challenge || !password || !s || challenge_len < CHALLENGE_FIXED ||
        !a->nt.p || a->nt.len < NTLM_NTV2_RESPONSE_LEN(0) || raw_len > NTLM_MSG_MAX ||
        challenge_len > NTLM_MSG_MAX)
        return SYNTH_EINVAL;
    memset(s, 0, sizeof(*s));
    if (ntlm_utf8_from_utf16le(a->user, user, sizeof(user)) != 0 ||
        ntlm_utf8_from_utf16le(a->domain, domain, sizeof(domain)) != 0)
        return SYNTH_EPARSE;
    const uint8_t *temp = a->nt.p + NTLM_KEY_LEN;
    size_t temp_len = a->nt.len - NTLM_KEY_LEN;
    if (temp[0] != 1 || temp[1] != 1)
        return SYNTH_EPARSE; /* not an NTLMv2_CLIENT_CHALLENGE (2.2.2.7) */
    uint64_t ts = (uint64_t)get_le32(temp + 8) | (uint64_t)get_le32(temp + 12) << 32;
    const uint8_t *ti = temp + 28;
    size_t ti_len = temp_len - 28 - 4;

    err = ntlm_ntowfv2(password, user, domain, key);
    if (err)
        goto out;
    /* The same computation as the client's, from the blob it sent: equal
     * bytes mean the client knew the password. */
    err = ntlm_ntv2_response(key, challenge + 24, temp + 16, ts, ti, ti_len, nt, sizeof(nt),
                             &nt_len, base_key);
    if (err)
        goto out;
    if (nt_len != a->nt.len || CRYPTO_memcmp(nt, a->nt.p, NTLM_KEY_LEN) != 0 ||
        memcmp(nt + NTLM_KEY_LEN, temp, temp_len) != 0) {
        err = SYNTH_EAUTH;
        goto out;
    }
    s->flags = a->flags;
    if (a->flags & NTLM_FLAG_KEY_EXCH) {
        if (a->session_key.len != NTLM_KEY_LEN) {
            err = SYNTH_EPARSE;
            goto out;
        }
        err = ntlm_rc4k(base_key, NTLM_KEY_LEN, a->session_key.p, NTLM_KEY_LEN,
                        s->exported_session_key);
    } else {
        memcpy(s->exported_session_key, base_key, NTLM_KEY_LEN);
    }
    if (err)
        goto out;
    s->mic = client_sent_mic(ti, ti_len);
    if (s->mic) {
        /* MIC = HMAC_MD5(ExportedSessionKey, CHALLENGE || AUTHENTICATE
         * with the MIC zeroed); connectionless, no NEGOTIATE (3.1.5.2.1). */
        uint8_t all[2 * NTLM_MSG_MAX];
        err = SYNTH_EAUTH;
        if (raw_len < AUTH_FIXED + NTLM_MIC_LEN)
            goto out;
        memcpy(all, challenge, challenge_len);
        memcpy(all + challenge_len, raw, raw_len);
        memset(all + challenge_len + AUTH_FIXED, 0, NTLM_MIC_LEN);
        err = ntlm_hmac_md5(s->exported_session_key, NTLM_KEY_LEN, all, challenge_len + raw_len,
                            mic);
        if (!err && CRYPTO_memcmp(mic, raw + AUTH_FIXED, NTLM_MIC_LEN) != 0)
            err = SYNTH_EAUTH;
        if (err)
            goto out;
    }
    err = derive_keys(s);
out:
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(base_key, sizeof(base_key));
    if (err)
        ntlm_session_clear(s);
    return err;
}
