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
