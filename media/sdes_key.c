/* SDES key parameters, RFC 4568 6.1 and 9.2 (grammar), 6.2.1 (AES_CM_128
 * key sizes), with the lifetime and 1-byte MKI that Microsoft endpoints send
 * ("inline:KEY|2^31|1:1"). Base64 is synth/base/base64 (RFC 4648 4, strict). */
#include "sdes_key.h"

#include "synth/base/base64.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define INLINE_PREFIX "inline:"
#define INLINE_PREFIX_LEN 7
/* 2^48 has 15 decimal digits; anything longer is out of range anyway. */
#define DECIMAL_DIGITS_MAX 15
#define STR_(x) #x
#define STR(x) STR_(x)

_Static_assert(BASE64_ENCODED_LEN(SDES_KEY_SALT_LEN) == SDES_KEY_B64_LEN,
               "key||salt is a whole number of base64 quanta, no padding");

/* A refusal: the static reason for *why (callers that must not log peer
 * bytes: the SDP parser's reasons are static), while the code comes from
 * synth_error_set writing the detail, with the offending field, into err.
 * Either pointer may be NULL. */
static int fail(const char **why, const char *reason, int code)
{
    if (why)
        *why = reason;
    return code;
}

/* 1*DIGIT filling [p, p+n), bounded so it cannot overflow. */
static int parse_decimal(const char *p, size_t n, uint64_t *out)
{
    if (n == 0 || n > DECIMAL_DIGITS_MAX)
        return SYNTH_EPARSE;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return SYNTH_EPARSE;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return 0;
}

/* RFC 4568 9.2: lifetime = ["2^"] 1*(DIGIT). */
static int parse_lifetime(struct sdes_key *k, const char *p, size_t n, struct synth_error *err,
                          const char **why)
{
    uint64_t v;
    bool pow2 = n >= 2 && p[0] == '2' && p[1] == '^';
    if (pow2 ? parse_decimal(p + 2, n - 2, &v) : parse_decimal(p, n, &v))
        return fail(why, "sdes key: lifetime is not [2^]digits",
                    synth_error_set(err, SYNTH_EPARSE, "sdes key: bad lifetime \"%.*s\"",
                                    (int)n, p));
    if (pow2 ? v > SDES_LIFETIME_LOG2_MAX : (v == 0 || v > (1ull << SDES_LIFETIME_LOG2_MAX)))
        return fail(why, "sdes key: lifetime is not 1 to 2^48 packets",
                    synth_error_set(err, SYNTH_EPARSE,
                                    "sdes key: lifetime \"%.*s\" out of range", (int)n, p));
    k->has_lifetime = true;
    k->lifetime_pow2 = pow2;
    k->lifetime = pow2 ? 1ull << v : v;
    return 0;
}

/* RFC 4568 9.2: mki = mki-value ":" mki-length, mki-length = 1*3DIGIT
 * (1..128 bytes). */
static int parse_mki(struct sdes_key *k, const char *p, size_t n, struct synth_error *err,
                     const char **why)
{
    const char *colon = memchr(p, ':', n);
    size_t vlen = (size_t)(colon - p), llen = n - vlen - 1;
    uint64_t value, len;
    if (parse_decimal(p, vlen, &value) || llen > 3 || parse_decimal(colon + 1, llen, &len) ||
        len == 0 || len > 128)
        return fail(why, "sdes key: MKI is not value:length (1-128 bytes)",
                    synth_error_set(err, SYNTH_EPARSE, "sdes key: bad MKI \"%.*s\"", (int)n, p));
    if (len > SDES_MKI_LEN_MAX)
        return fail(why, "sdes key: MKI longer than " STR(SDES_MKI_LEN_MAX) " bytes",
                    synth_error_set(err, SYNTH_EUNSUPPORTED, "sdes key: MKI of %u bytes (max %d)",
                                    (unsigned)len, SDES_MKI_LEN_MAX));
    if (len < 8 && value >> (8 * len))
        return fail(why, "sdes key: MKI value does not fit its length",
                    synth_error_set(err, SYNTH_EPARSE,
                                    "sdes key: MKI %llu does not fit %u byte(s)",
                                    (unsigned long long)value, (unsigned)len));
    k->has_mki = true;
    k->mki_value = (uint32_t)value;
    k->mki_len = (uint8_t)len;
    return 0;
}

/* The "|"-separated fields after the key: at most a lifetime then an MKI,
 * in that order. An MKI is the one with a ':'. */
static int parse_fields(struct sdes_key *k, const char *p, size_t n, struct synth_error *err,
                        const char **why)
{
    while (n > 0) {
        if (p[0] != '|')
            return fail(why, "sdes key: junk after the key",
                        synth_error_set(err, SYNTH_EPARSE, "sdes key: junk after the key"));
        p++, n--;
        const char *bar = memchr(p, '|', n);
        size_t flen = bar ? (size_t)(bar - p) : n;
        bool is_mki = memchr(p, ':', flen) != NULL;
        if (k->has_mki || (!is_mki && k->has_lifetime))
            return fail(why, "sdes key: more than a lifetime then an MKI",
                        synth_error_set(err, SYNTH_EPARSE,
                                        "sdes key: field \"%.*s\" out of order", (int)flen, p));
        int rc = is_mki ? parse_mki(k, p, flen, err, why) : parse_lifetime(k, p, flen, err, why);
        if (rc)
            return rc;
        p += flen, n -= flen;
    }
    return 0;
}

static int parse_key(struct sdes_key *k, const char *buf, size_t len, struct synth_error *err,
                     const char **why)
{
    int rc;
    size_t got = 0;
    memset(k, 0, sizeof(*k));
    if (len < INLINE_PREFIX_LEN || strncasecmp(buf, INLINE_PREFIX, INLINE_PREFIX_LEN) != 0)
        return fail(why, "sdes key: not an inline: key",
                    synth_error_set(err, SYNTH_EPARSE, "sdes key: not an inline: key"));
    const char *p = buf + INLINE_PREFIX_LEN;
    size_t n = len - INLINE_PREFIX_LEN;
    if (n < SDES_KEY_B64_LEN || (n > SDES_KEY_B64_LEN && p[SDES_KEY_B64_LEN] != '|'))
        return fail(why, "sdes key: key||salt is not " STR(SDES_KEY_B64_LEN) " base64 characters",
                    synth_error_set(err, SYNTH_EPARSE,
                                    "sdes key: key||salt is not %d base64 chars",
                                    SDES_KEY_B64_LEN));
    /* 40 characters without '=' are 30 bytes; padding makes fewer. */
    if (base64_decode(p, SDES_KEY_B64_LEN, k->key_salt, sizeof(k->key_salt), &got) != 0 ||
        got != SDES_KEY_SALT_LEN) {
        rc = fail(why, "sdes key: bad base64 in key||salt",
                  synth_error_set(err, SYNTH_EPARSE, "sdes key: bad base64 in key||salt"));
        goto out;
    }
    rc = parse_fields(k, p + SDES_KEY_B64_LEN, n - SDES_KEY_B64_LEN, err, why);
out:
    if (rc)
        OPENSSL_cleanse(k->key_salt, sizeof(k->key_salt));
    return rc;
}

int sdes_key_parse(struct sdes_key *k, const char *buf, size_t len, struct synth_error *err)
{
    return parse_key(k, buf, len, err, NULL);
}

int sdes_key_parse_why(struct sdes_key *k, const char *buf, size_t len, const char **why)
{
    return parse_key(k, buf, len, NULL, why);
}

static unsigned log2_exact(uint64_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

static int check_fields(const struct sdes_key *k)
{
    if (k->has_lifetime) {
        if (k->lifetime == 0 || k->lifetime > (1ull << SDES_LIFETIME_LOG2_MAX))
            return SYNTH_EINVAL;
        if (k->lifetime_pow2 && (k->lifetime & (k->lifetime - 1)))
            return SYNTH_EINVAL;
    }
    if (k->has_mki) {
        if (k->mki_len == 0 || k->mki_len > SDES_MKI_LEN_MAX)
            return SYNTH_EINVAL;
        if (k->mki_len < 4 && k->mki_value >> (8 * k->mki_len))
            return SYNTH_EINVAL;
    }
    return 0;
}

int sdes_key_format(const struct sdes_key *k, char *buf, size_t size)
{
    int rc = check_fields(k);
    if (rc)
        return rc;
    char b64[SDES_KEY_B64_LEN + 1], life[24] = "", mki[24] = "";
    if (base64_encode(k->key_salt, sizeof(k->key_salt), b64, sizeof(b64)) != 0)
        return SYNTH_EINTERNAL; /* cannot happen: 30 bytes are 40 characters */
    if (k->has_lifetime && k->lifetime_pow2)
        snprintf(life, sizeof(life), "|2^%u", log2_exact(k->lifetime));
    else if (k->has_lifetime)
        snprintf(life, sizeof(life), "|%llu", (unsigned long long)k->lifetime);
    if (k->has_mki)
        snprintf(mki, sizeof(mki), "|%u:%u", k->mki_value, k->mki_len);
    int n = snprintf(buf, size, INLINE_PREFIX "%s%s%s", b64, life, mki);
    OPENSSL_cleanse(b64, sizeof(b64));
    if (n < 0 || (size_t)n >= size) {
        if (size)
            OPENSSL_cleanse(buf, size);
        return SYNTH_ETOOBIG;
    }
    return 0;
}

int sdes_key_generate(struct sdes_key *k, struct synth_error *err)
{
    memset(k, 0, sizeof(*k));
    if (RAND_bytes(k->key_salt, SDES_KEY_SALT_LEN) != 1)
        return synth_error_set(err, SYNTH_EINTERNAL, "sdes key: RAND_bytes failed");
    return 0;
}

void sdes_key_mki_bytes(const struct sdes_key *k, uint8_t out[SDES_MKI_LEN_MAX])
{
    memset(out, 0, SDES_MKI_LEN_MAX);
    for (unsigned i = 0; i < k->mki_len && i < SDES_MKI_LEN_MAX; i++)
        out[i] = (uint8_t)(k->mki_value >> (8 * (k->mki_len - 1 - i)));
}
