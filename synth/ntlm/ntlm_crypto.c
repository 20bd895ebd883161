/* NTLMv2 cryptography ([MS-NLMP] 3.3.2, 3.4.3-3.4.5) through OpenSSL 3 EVP in
 * a library context of this module, where the legacy provider gives MD4 and
 * RC4. The context is made once per process (pthread_once) and read-only
 * after: OpenSSL's fetched algorithms are safe to share between threads. */
#include "ntlm_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* The four constants of 3.4.5.2 / 3.4.5.3, hashed with their NUL. */
static const char sign_c2s[] = "session key to client-to-server signing key magic constant";
static const char sign_s2c[] = "session key to server-to-client signing key magic constant";
static const char seal_c2s[] = "session key to client-to-server sealing key magic constant";
static const char seal_s2c[] = "session key to server-to-client sealing key magic constant";

static struct {
    pthread_once_t once;
    int err;
    char msg[SYNTH_ERROR_MSG_MAX];
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *deflt, *legacy;
    EVP_MD *md4, *md5;
    EVP_MAC *hmac;
    EVP_CIPHER *rc4;
} g = {.once = PTHREAD_ONCE_INIT};

struct ntlm_rc4 {
    EVP_CIPHER_CTX *ctx;
};

static void crypto_setup(void)
{
    g.err = SYNTH_EUNSUPPORTED;
    g.libctx = OSSL_LIB_CTX_new();
    if (!g.libctx) {
        g.err = SYNTH_ENOMEM;
        snprintf(g.msg, sizeof(g.msg), "NTLM: cannot create an OpenSSL library context");
        return;
    }
    g.deflt = OSSL_PROVIDER_load(g.libctx, "default");
    g.legacy = OSSL_PROVIDER_load(g.libctx, "legacy");
    if (!g.deflt || !g.legacy) {
        snprintf(g.msg, sizeof(g.msg),
                 "NTLM needs OpenSSL's %s provider (MD4 and RC4), which did not load: "
                 "check that ossl-modules/legacy.so is installed and OPENSSL_MODULES",
                 g.legacy ? "default" : "legacy");
        return;
    }
    g.md4 = EVP_MD_fetch(g.libctx, "MD4", NULL);
    g.md5 = EVP_MD_fetch(g.libctx, "MD5", NULL);
    g.hmac = EVP_MAC_fetch(g.libctx, "HMAC", NULL);
    g.rc4 = EVP_CIPHER_fetch(g.libctx, "RC4", NULL);
    if (!g.md4 || !g.md5 || !g.hmac || !g.rc4) {
        snprintf(g.msg, sizeof(g.msg), "NTLM: OpenSSL has no %s in its legacy/default providers",
                 !g.md4 ? "MD4" : !g.md5 ? "MD5" : !g.hmac ? "HMAC" : "RC4");
        return;
    }
    g.err = 0;
}

int ntlm_crypto_init(struct synth_error *e)
{
    pthread_once(&g.once, crypto_setup);
    if (g.err)
        return synth_error_set(e, g.err, "%s", g.msg);
    return 0;
}

static int ready(void)
{
    return ntlm_crypto_init(NULL);
}

struct part {
    const uint8_t *p;
    size_t l;
};

static int hmac_md5_parts(const uint8_t *key, size_t key_len, const struct part *parts, size_t n,
                          uint8_t out[NTLM_KEY_LEN])
{
    int err = ready();
    if (err)
        return err;
    err = SYNTH_EINTERNAL;
    size_t out_len = 0;
    char digest[] = "MD5";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(g.hmac);
    if (!ctx)
        return SYNTH_ENOMEM;
    if (!EVP_MAC_init(ctx, key, key_len, params))
        goto out;
    for (size_t i = 0; i < n; i++)
        if (parts[i].l && !EVP_MAC_update(ctx, parts[i].p, parts[i].l))
            goto out;
    if (!EVP_MAC_final(ctx, out, &out_len, NTLM_KEY_LEN) || out_len != NTLM_KEY_LEN)
        goto out;
    err = 0;
out:
    EVP_MAC_CTX_free(ctx);
    return err;
}

int ntlm_hmac_md5(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
                  uint8_t out[NTLM_KEY_LEN])
{
    if (!key || (!msg && len) || !out)
        return SYNTH_EINVAL;
    const struct part p[] = {{msg, len}};
    return hmac_md5_parts(key, key_len, p, 1, out);
}

static int digest_parts(const EVP_MD *md, const struct part *parts, size_t n,
                        uint8_t out[NTLM_KEY_LEN])
{
    unsigned int len = 0;
    int err = SYNTH_EINTERNAL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return SYNTH_ENOMEM;
    if (!EVP_DigestInit_ex(ctx, md, NULL))
        goto out;
    for (size_t i = 0; i < n; i++)
        if (parts[i].l && !EVP_DigestUpdate(ctx, parts[i].p, parts[i].l))
            goto out;
    if (!EVP_DigestFinal_ex(ctx, out, &len) || len != NTLM_KEY_LEN)
        goto out;
    err = 0;
out:
    EVP_MD_CTX_free(ctx);
    return err;
}

/* RFC 3629 decoding; overlong forms, surrogates and > U+10FFFF refused. */
int ntlm_utf16le(const char *s, bool upper, uint8_t *out, size_t cap, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;

    if (!s || !out || !out_len)
        return SYNTH_EINVAL;
    while (*p) {
        uint32_t cp;
        int more;
        if (*p < 0x80) {
            cp = *p;
            more = 0;
        } else if ((*p & 0xe0) == 0xc0) {
            cp = *p & 0x1f;
            more = 1;
        } else if ((*p & 0xf0) == 0xe0) {
            cp = *p & 0x0f;
            more = 2;
        } else if ((*p & 0xf8) == 0xf0) {
            cp = *p & 0x07;
            more = 3;
        } else {
            return SYNTH_EINVAL;
        }
        p++;
        for (int i = 0; i < more; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return SYNTH_EINVAL;
            cp = (cp << 6) | (*p & 0x3f);
        }
        static const uint32_t min_cp[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[more] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return SYNTH_EINVAL;
        if (upper && cp >= 'a' && cp <= 'z')
            cp -= 'a' - 'A';
        uint16_t units[2];
        size_t nu = 1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            units[0] = (uint16_t)(0xd800 | (cp >> 10));
            units[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
            nu = 2;
        } else {
            units[0] = (uint16_t)cp;
        }
        for (size_t i = 0; i < nu; i++) {
            if (n + 2 > cap)
                return SYNTH_ETOOBIG;
            out[n++] = (uint8_t)(units[i] & 0xff);
            out[n++] = (uint8_t)(units[i] >> 8);
        }
    }
    *out_len = n;
    return 0;
}

int ntlm_ntowfv2(const char *password, const char *user, const char *domain,
                 uint8_t key[NTLM_KEY_LEN])
{
    uint8_t pw16[2 * NTLM_STR_MAX], ud16[4 * NTLM_STR_MAX], md4[NTLM_KEY_LEN];
    size_t pw_len = 0, u_len = 0, d_len = 0;
    int err = ready();

    if (err)
        return err;
    if (!password || !user || !domain || !key)
        return SYNTH_EINVAL;
    err = ntlm_utf16le(password, false, pw16, sizeof(pw16), &pw_len);
    if (!err)
        err = ntlm_utf16le(user, true, ud16, sizeof(ud16) / 2, &u_len);
    if (!err)
        err = ntlm_utf16le(domain, false, ud16 + u_len, sizeof(ud16) / 2, &d_len);
    if (err == SYNTH_ETOOBIG)
        err = SYNTH_EINVAL;
    if (err)
        goto out;
    const struct part pw[] = {{pw16, pw_len}};
    err = digest_parts(g.md4, pw, 1, md4);
    if (err)
        goto out;
    const struct part ud[] = {{ud16, u_len + d_len}};
    err = hmac_md5_parts(md4, sizeof(md4), ud, 1, key);
out:
    /* MD4(password) is the NT hash: it logs on as the user by itself. */
    OPENSSL_cleanse(pw16, sizeof(pw16));
    OPENSSL_cleanse(md4, sizeof(md4));
    return err;
}

int ntlm_lmv2_response(const uint8_t key[NTLM_KEY_LEN],
                       const uint8_t server_challenge[NTLM_CHALLENGE_LEN],
                       const uint8_t client_challenge[NTLM_CHALLENGE_LEN],
                       uint8_t out[NTLM_LM_RESPONSE_LEN])
{
    if (!key || !server_challenge || !client_challenge || !out)
        return SYNTH_EINVAL;
    const struct part p[] = {{server_challenge, NTLM_CHALLENGE_LEN},
                             {client_challenge, NTLM_CHALLENGE_LEN}};
    int err = hmac_md5_parts(key, NTLM_KEY_LEN, p, 2, out);
    if (err)
        return err;
    memcpy(out + NTLM_KEY_LEN, client_challenge, NTLM_CHALLENGE_LEN);
    return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int ntlm_ntv2_response(const uint8_t key[NTLM_KEY_LEN],
                       const uint8_t server_challenge[NTLM_CHALLENGE_LEN],
                       const uint8_t client_challenge[NTLM_CHALLENGE_LEN], uint64_t timestamp,
                       const uint8_t *target_info, size_t ti_len, uint8_t *out, size_t cap,
                       size_t *out_len, uint8_t session_base_key[NTLM_KEY_LEN])
{
    if (!key || !server_challenge || !client_challenge || (!target_info && ti_len) || !out ||
        !out_len || !session_base_key)
        return SYNTH_EINVAL;
    if (ti_len > cap || cap - ti_len < NTLM_NTV2_RESPONSE_LEN(0))
        return SYNTH_ETOOBIG;

    /* 2.2.2.7 NTLMv2_CLIENT_CHALLENGE: RespType, HiRespType, 6 reserved
     * bytes, TimeStamp, ChallengeFromClient, 4 reserved, AvPairs; 3.3.2 adds
     * 4 zero bytes after the AV pairs. */
    uint8_t *temp = out + NTLM_KEY_LEN;
    memset(temp, 0, 28);
    temp[0] = 1;
    temp[1] = 1;
    for (int i = 0; i < 8; i++)
        temp[8 + i] = (uint8_t)(timestamp >> (8 * i));
    memcpy(temp + 16, client_challenge, NTLM_CHALLENGE_LEN);
    if (ti_len)
        memmove(temp + 28, target_info, ti_len);
    memset(temp + 28 + ti_len, 0, 4);
    size_t temp_len = 28 + ti_len + 4;

    const struct part p[] = {{server_challenge, NTLM_CHALLENGE_LEN}, {temp, temp_len}};
    int err = hmac_md5_parts(key, NTLM_KEY_LEN, p, 2, out);
    if (err)
        return err;
    const struct part q[] = {{out, NTLM_KEY_LEN}};
    err = hmac_md5_parts(key, NTLM_KEY_LEN, q, 1, session_base_key);
    if (err)
        return err;
    *out_len = NTLM_KEY_LEN + temp_len;
    return 0;
}

int ntlm_rc4_new(struct ntlm_rc4 **h, const uint8_t *key, size_t key_len)
{
    int err = ready();
    if (err)
        return err;
    if (!h || !key || key_len == 0 || key_len > NTLM_KEY_LEN)
        return SYNTH_EINVAL;
    *h = NULL;
    struct ntlm_rc4 *r = calloc(1, sizeof(*r));
    if (!r)
        return SYNTH_ENOMEM;
    err = SYNTH_ENOMEM;
    r->ctx = EVP_CIPHER_CTX_new();
    if (!r->ctx)
        goto out;
    err = SYNTH_EINTERNAL;
    /* 40 and 56 bit sealing keys (3.4.5.3) need the key length set first. */
    if (!EVP_EncryptInit_ex2(r->ctx, g.rc4, NULL, NULL, NULL) ||
        !EVP_CIPHER_CTX_set_key_length(r->ctx, (int)key_len) ||
        !EVP_EncryptInit_ex2(r->ctx, NULL, key, NULL, NULL))
        goto out;
    *h = r;
    r = NULL;
    err = 0;
out:
    ntlm_rc4_free(r);
    return err;
}

int ntlm_rc4_update(struct ntlm_rc4 *h, const uint8_t *in, size_t len, uint8_t *out)
{
    int outl = 0;
    if (!h || (!in && len) || (!out && len) || len > INT_MAX)
        return SYNTH_EINVAL;
    if (len == 0)
        return 0;
    if (!EVP_EncryptUpdate(h->ctx, out, &outl, in, (int)len) || (size_t)outl != len)
        return SYNTH_EINTERNAL;
    return 0;
}

void ntlm_rc4_free(struct ntlm_rc4 *h)
{
    if (!h)
        return;
    EVP_CIPHER_CTX_free(h->ctx); /* cleanses the key schedule */
    free(h);
}

int ntlm_rc4k(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out)
{
    struct ntlm_rc4 *h = NULL;
    int err = ntlm_rc4_new(&h, key, key_len);
    if (!err)
        err = ntlm_rc4_update(h, in, len, out);
    ntlm_rc4_free(h);
    return err;
}

static int magic_key(const uint8_t *key, size_t key_len, const char *magic,
                     uint8_t out[NTLM_KEY_LEN])
{
    int err = ready();
    if (err)
        return err;
    const struct part p[] = {{key, key_len}, {(const uint8_t *)magic, strlen(magic) + 1}};
    return digest_parts(g.md5, p, 2, out);
}

int ntlm_signkey(uint32_t flags, const uint8_t session_key[NTLM_KEY_LEN], bool client,
                 uint8_t out[NTLM_KEY_LEN])
{
    if (!session_key || !out)
        return SYNTH_EINVAL;
    if (!(flags & NTLM_FLAG_EXTENDED_SESSIONSECURITY)) {
        memset(out, 0, NTLM_KEY_LEN);
        return 0;
    }
    return magic_key(session_key, NTLM_KEY_LEN, client ? sign_c2s : sign_s2c, out);
}

int ntlm_sealkey(uint32_t flags, const uint8_t session_key[NTLM_KEY_LEN], bool client,
                 uint8_t out[NTLM_KEY_LEN], size_t *out_len)
{
    if (!session_key || !out || !out_len)
        return SYNTH_EINVAL;
    if (flags & NTLM_FLAG_EXTENDED_SESSIONSECURITY) {
        size_t n = (flags & NTLM_FLAG_128) ? 16 : (flags & NTLM_FLAG_56) ? 7 : 5;
        *out_len = NTLM_KEY_LEN;
        return magic_key(session_key, n, client ? seal_c2s : seal_s2c, out);
    }
    /* 3.4.5.3 without extended session security: the same key both ways,
     * weakened to 56 or 40 bits with the spec's fixed bytes under LM_KEY. */
    if ((flags & NTLM_FLAG_LM_KEY) && (flags & NTLM_FLAG_56)) {
        memcpy(out, session_key, 7);
        out[7] = 0xa0;
        *out_len = 8;
    } else if (flags & NTLM_FLAG_LM_KEY) {
        memcpy(out, session_key, 5);
        out[5] = 0xe5;
        out[6] = 0x38;
        out[7] = 0xb0;
        *out_len = 8;
    } else {
        memcpy(out, session_key, NTLM_KEY_LEN);
        *out_len = NTLM_KEY_LEN;
    }
    return 0;
}

uint32_t ntlm_crc32(const uint8_t *buf, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* The handle a message is signed or sealed with: the caller's, or for
 * connectionless NTLM a fresh one (3.4.4.2: with extended session security
 * its key is MD5(SealingKey || SeqNum); 3.4.4.1: the sealing key itself). */
static int message_handle(const struct ntlm_keys *k, struct ntlm_rc4 *h, uint32_t seqnum,
                          struct ntlm_rc4 **use, struct ntlm_rc4 **own)
{
    *own = NULL;
    if (!(k->flags & NTLM_FLAG_DATAGRAM)) {
        if (!h)
            return SYNTH_EINVAL;
        *use = h;
        return 0;
    }
    int err;
    if (k->flags & NTLM_FLAG_EXTENDED_SESSIONSECURITY) {
        uint8_t seq[4], key[NTLM_KEY_LEN];
        put_le32(seq, seqnum);
        const struct part p[] = {{k->seal, k->seal_len}, {seq, 4}};
        err = ready();
        if (!err)
            err = digest_parts(g.md5, p, 2, key);
        if (!err)
            err = ntlm_rc4_new(own, key, NTLM_KEY_LEN);
        OPENSSL_cleanse(key, sizeof(key));
    } else {
        err = ntlm_rc4_new(own, k->seal, k->seal_len);
    }
    *use = *own;
    return err;
}

static int mac_with(const struct ntlm_keys *k, struct ntlm_rc4 *h, uint32_t seqnum,
                    uint32_t random_pad, const uint8_t *msg, size_t len,
                    uint8_t sig[NTLM_SIGNATURE_LEN])
{
    int err;
    put_le32(sig, 1);
    if (k->flags & NTLM_FLAG_EXTENDED_SESSIONSECURITY) {
        uint8_t seq[4], hmac[NTLM_KEY_LEN];
        put_le32(seq, seqnum);
        const struct part p[] = {{seq, 4}, {msg, len}};
        err = hmac_md5_parts(k->sign, NTLM_KEY_LEN, p, 2, hmac);
        if (err)
            return err;
        if (k->flags & NTLM_FLAG_KEY_EXCH)
            err = ntlm_rc4_update(h, hmac, 8, sig + 4);
        else
            memcpy(sig + 4, hmac, 8);
        put_le32(sig + 12, seqnum);
        return err;
    }
    /* 3.4.4.1: RandomPad, Checksum and SeqNum go through RC4 in that order.
     * Connectionless, the pad is then replaced (OCS sends 0 there, SIPE's
     * recorded rspauth values); connection-oriented it stays RC4 output, as
     * in the [MS-NLMP] 4.2.2.4 example. */
    uint8_t plain[12];
    put_le32(plain, 0);
    put_le32(plain + 4, ntlm_crc32(msg, len));
    put_le32(plain + 8, 0);
    err = ntlm_rc4_update(h, plain, sizeof(plain), sig + 4);
    if (err)
        return err;
    if (k->flags & NTLM_FLAG_DATAGRAM)
        put_le32(sig + 4, random_pad);
    for (int i = 0; i < 4; i++)
        sig[12 + i] ^= (uint8_t)(seqnum >> (8 * i));
    return 0;
}

int ntlm_mac(const struct ntlm_keys *k, struct ntlm_rc4 *h, uint32_t seqnum, uint32_t random_pad,
             const uint8_t *msg, size_t len, uint8_t sig[NTLM_SIGNATURE_LEN])
{
    struct ntlm_rc4 *use = NULL, *own = NULL;
    if (!k || (!msg && len) || !sig || k->seal_len == 0 || k->seal_len > NTLM_KEY_LEN)
        return SYNTH_EINVAL;
    int err = message_handle(k, h, seqnum, &use, &own);
    if (!err)
        err = mac_with(k, use, seqnum, random_pad, msg, len, sig);
    ntlm_rc4_free(own);
    return err;
}

bool ntlm_mac_verify(const struct ntlm_keys *k, struct ntlm_rc4 *h, uint32_t seqnum,
                     const uint8_t *msg, size_t len, const uint8_t sig[NTLM_SIGNATURE_LEN])
{
    uint8_t want[NTLM_SIGNATURE_LEN];
    if (!sig)
        return false;
    uint32_t pad = (uint32_t)sig[4] | (uint32_t)sig[5] << 8 | (uint32_t)sig[6] << 16 |
                   (uint32_t)sig[7] << 24;
    if (ntlm_mac(k, h, seqnum, pad, msg, len, want) != 0)
        return false;
    return CRYPTO_memcmp(want, sig, sizeof(want)) == 0;
}

int ntlm_seal(const struct ntlm_keys *k, struct ntlm_rc4 *h, uint32_t seqnum, const uint8_t *msg,
              size_t len, uint8_t *out, uint8_t sig[NTLM_SIGNATURE_LEN])
{
    struct ntlm_rc4 *use = NULL, *own = NULL;
    /* The checksum is over the plaintext, so sealing in place is refused. */
    if (!k || (!msg && len) || !out || !sig || out == msg || k->seal_len == 0 ||
        k->seal_len > NTLM_KEY_LEN)
        return SYNTH_EINVAL;
    int err = message_handle(k, h, seqnum, &use, &own);
    if (!err)
        err = ntlm_rc4_update(use, msg, len, out);
    if (!err)
        err = mac_with(k, use, seqnum, 0, msg, len, sig);
    ntlm_rc4_free(own);
    return err;
}
