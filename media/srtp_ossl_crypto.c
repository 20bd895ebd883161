/* libsrtp2 2.x cipher and auth types over OpenSSL 3: AES-ICM 128/256 as EVP
 * AES-CTR (RFC 3711 4.1.1, RFC 6188) and HMAC-SHA1 (RFC 3711 4.2.1, RFC 2104)
 * on OpenSSL's SHA-1. Each instance is keyed once at init; per packet only
 * the IV (cipher) or the HMAC state (auth) is reset, so the cost does not
 * depend on how many sessions are live. No state is shared between
 * instances. */
#include "srtp_ossl_crypto.h"

/* Before any OpenSSL header: the low-level SHA-1 calls below (see HMAC). */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>
#include <string.h>

#define ICM_IV_LEN 16
/* RFC 3711 4.1.1: the low 16 bits of the counter number the blocks of one
 * packet's keystream. OpenSSL's counter carries into the bits above them
 * (the salt and index); libsrtp's own cipher refuses instead, and so do we. */
#define ICM_BLOCK 16u
#define ICM_BLOCKS_MAX 65536u
#define SHA1_LEN 20

/* ---- AES-ICM ---------------------------------------------------------- */

struct icm {
    srtp_cipher_t base; /* first: libsrtp hands us &base back */
    EVP_CIPHER_CTX *ctx;
    const EVP_CIPHER *evp;
    /* RFC 3711 4.1.1: the 112-bit session salt, shifted left by 16 bits
     * (two zero octets at the end) so it lines up with the counter. */
    uint8_t salt[ICM_IV_LEN];
    unsigned keystream_left; /* octets the current IV may still give */
};

static const srtp_cipher_type_t icm_128_type;
static const srtp_cipher_type_t icm_256_type;

static srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len,
                                   const srtp_cipher_type_t *type, int want_key_len,
                                   const EVP_CIPHER *evp)
{
    if (key_len != want_key_len)
        return srtp_err_status_bad_param;
    /* OPENSSL_zalloc, as for everything else an instance holds: one
     * allocator (and one place for a test to make it fail). */
    struct icm *c = OPENSSL_zalloc(sizeof(*c));
    if (!c)
        return srtp_err_status_alloc_fail;
    c->ctx = EVP_CIPHER_CTX_new();
    if (!c->ctx) {
        OPENSSL_free(c);
        return srtp_err_status_alloc_fail;
    }
    c->evp = evp;
    c->base.type = type;
    c->base.state = c;
    c->base.key_len = key_len;
    c->base.algorithm = type->id;
    *cp = &c->base;
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_128_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
    return icm_alloc(cp, key_len, &icm_128_type, SRTP_AES_ICM_128_KEY_LEN_WSALT,
                     EVP_aes_128_ctr());
}

static srtp_err_status_t icm_256_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
    return icm_alloc(cp, key_len, &icm_256_type, SRTP_AES_ICM_256_KEY_LEN_WSALT,
                     EVP_aes_256_ctr());
}

static srtp_err_status_t icm_dealloc(srtp_cipher_pointer_t cp)
{
    struct icm *c = cp->state;
    /* Freeing the context wipes OpenSSL's key schedule. */
    EVP_CIPHER_CTX_free(c->ctx);
    OPENSSL_clear_free(c, sizeof(*c));
    return srtp_err_status_ok;
}

/* key is the AES key followed by the 14-octet salt (libsrtp's "key with
 * salt", 30 or 46 octets as alloc was told). */
static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
    struct icm *c = state;
    size_t aes_len = (size_t)c->base.key_len - SRTP_SALT_LEN;
    memset(c->salt, 0, sizeof(c->salt));
    memcpy(c->salt, key + aes_len, SRTP_SALT_LEN);
    c->keystream_left = 0;
    if (!EVP_EncryptInit_ex2(c->ctx, c->evp, key, NULL, NULL))
        return srtp_err_status_init_fail;
    return srtp_err_status_ok;
}

/* libsrtp passes the IV without the salt: for SRTP 0^32 || SSRC || index
 * * 2^16 (RFC 3711 4.1.1), for its key derivation the label in octet 7
 * (RFC 3711 4.3.1); the cipher XORs in the salt. Counter mode is its own
 * inverse, so the direction does not matter. */
static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
    struct icm *c = state;
    uint8_t counter[ICM_IV_LEN];
    for (size_t i = 0; i < sizeof(counter); i++)
        counter[i] = iv[i] ^ c->salt[i];
    unsigned first_block = (unsigned)counter[14] << 8 | counter[15];
    int ok = EVP_EncryptInit_ex2(c->ctx, NULL, NULL, counter, NULL);
    OPENSSL_cleanse(counter, sizeof(counter));
    if (!ok)
        return srtp_err_status_cipher_fail;
    c->keystream_left = (ICM_BLOCKS_MAX - first_block) * ICM_BLOCK;
    return srtp_err_status_ok;
}

/* In place; consecutive calls continue the same keystream. */
static srtp_err_status_t icm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
    struct icm *c = state;
    if (*len > c->keystream_left)
        return srtp_err_status_terminus;
    int out = 0;
    if (!EVP_EncryptUpdate(c->ctx, buf, &out, buf, (int)*len) || out != (int)*len)
        return srtp_err_status_cipher_fail;
    c->keystream_left -= *len;
    return srtp_err_status_ok;
}

/* RFC 3711 B.2: the AES-CM keystream for key 2B7E...3C, salt F0F1...FD,
 * SSRC, ROC and SEQ zero: the first 48 octets (counters ...0000 to ...0002). */
static const uint8_t b2_key_salt[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t b2_keystream[48] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
    0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0,
};
/* RFC 3711 B.3: the master key and salt, and the session authentication key
 * their key derivation gives (label 0x01 in octet 7 of the IV): a non-zero
 * IV and a keystream not a multiple of the block. */
static const uint8_t b3_key_salt[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
    0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t b3_auth_key[20] = {
    0xce, 0xbe, 0x32, 0x1f, 0x6f, 0xf7, 0x71, 0x6b, 0x6f, 0xd4,
    0xab, 0x49, 0xaf, 0x25, 0x6a, 0x15, 0x6d, 0x38, 0xba, 0xa4,
};
/* RFC 6188 7.1: the AES-256 counterpart of B.2 (same salt, zero index). */
static const uint8_t rfc6188_key_salt[SRTP_AES_ICM_256_KEY_LEN_WSALT] = {
    0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
    0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t rfc6188_keystream[32] = {
    0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
    0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac,
};
static const uint8_t zeros[48];
/* libsrtp's test case wants a non-const IV; nothing writes to these. */
static uint8_t iv_zero[ICM_IV_LEN];
static uint8_t iv_label_auth[ICM_IV_LEN] = {[7] = 0x01};

static const srtp_cipher_test_case_t icm_128_test_b3 = {
    .key_length_octets = sizeof(b3_key_salt),
    .key = b3_key_salt,
    .idx = iv_label_auth,
    .plaintext_length_octets = sizeof(b3_auth_key),
    .plaintext = zeros,
    .ciphertext_length_octets = sizeof(b3_auth_key),
    .ciphertext = b3_auth_key,
};
static const srtp_cipher_test_case_t icm_128_test_b2 = {
    .key_length_octets = sizeof(b2_key_salt),
    .key = b2_key_salt,
    .idx = iv_zero,
    .plaintext_length_octets = sizeof(b2_keystream),
    .plaintext = zeros,
    .ciphertext_length_octets = sizeof(b2_keystream),
    .ciphertext = b2_keystream,
    .next_test_case = &icm_128_test_b3,
};
static const srtp_cipher_test_case_t icm_256_test = {
    .key_length_octets = sizeof(rfc6188_key_salt),
    .key = rfc6188_key_salt,
    .idx = iv_zero,
    .plaintext_length_octets = sizeof(rfc6188_keystream),
    .plaintext = zeros,
    .ciphertext_length_octets = sizeof(rfc6188_keystream),
    .ciphertext = rfc6188_keystream,
};

/* set_aad and get_tag are for AEAD ciphers; libsrtp checks for NULL. */
static const srtp_cipher_type_t icm_128_type = {
    .alloc = icm_128_alloc,
    .dealloc = icm_dealloc,
    .init = icm_init,
    .encrypt = icm_encrypt,
    .decrypt = icm_encrypt,
    .set_iv = icm_set_iv,
    .description = "AES-128 counter mode (OpenSSL EVP)",
    .test_data = &icm_128_test_b2,
    .id = SRTP_AES_ICM_128,
};
static const srtp_cipher_type_t icm_256_type = {
    .alloc = icm_256_alloc,
    .dealloc = icm_dealloc,
    .init = icm_init,
    .encrypt = icm_encrypt,
    .decrypt = icm_encrypt,
    .set_iv = icm_set_iv,
    .description = "AES-256 counter mode (OpenSSL EVP)",
    .test_data = &icm_256_test,
    .id = SRTP_AES_ICM_256,
};

/* ---- HMAC-SHA1 -------------------------------------------------------- */

/* RFC 2104 with the keyed inner and outer SHA-1 states kept: a packet's MAC
 * starts from a struct copy of the inner state. OpenSSL 3's EVP_MAC re-init
 * duplicates a provider context per packet (an allocation, a copy, a free:
 * EVP_MD_CTX_copy_ex and EVP_MAC_init were 5 % of the lab's CPU at 400
 * calls), so this one file uses the low-level SHA-1 calls, deprecated in
 * 3.0 but kept, whose context is a plain struct. */
#define SHA1_BLOCK 64

struct hmac {
    srtp_auth_t base; /* first, as for struct icm */
    SHA_CTX inner;    /* after key ^ ipad */
    SHA_CTX outer;    /* after key ^ opad */
    SHA_CTX work;     /* the packet being authenticated */
};

static const srtp_auth_type_t hmac_type;

static srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
    if (key_len < 0 || out_len < 0 || out_len > SHA1_LEN)
        return srtp_err_status_bad_param;
    struct hmac *a = OPENSSL_zalloc(sizeof(*a));
    if (!a)
        return srtp_err_status_alloc_fail;
    a->base.type = &hmac_type;
    a->base.state = a;
    a->base.out_len = out_len;
    a->base.key_len = key_len;
    a->base.prefix_len = 0;
    *ap = &a->base;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t ap)
{
    struct hmac *a = ap->state;
    /* The states are the key in all but name. */
    OPENSSL_clear_free(a, sizeof(*a));
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
    struct hmac *a = state;
    uint8_t k[SHA1_BLOCK] = {0}, pad[SHA1_BLOCK];
    srtp_err_status_t st = srtp_err_status_init_fail;
    if (key_len < 0)
        return srtp_err_status_bad_param;
    if ((size_t)key_len > sizeof(k)) { /* RFC 2104 2: a long key is hashed first */
        if (!SHA1(key, (size_t)key_len, k))
            goto out;
    } else if (key_len > 0) {
        memcpy(k, key, (size_t)key_len);
    }
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] = k[i] ^ 0x36;
    if (!SHA1_Init(&a->inner) || !SHA1_Update(&a->inner, pad, sizeof(pad)))
        goto out;
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] = k[i] ^ 0x5c;
    if (!SHA1_Init(&a->outer) || !SHA1_Update(&a->outer, pad, sizeof(pad)))
        goto out;
    st = srtp_err_status_ok;
out:
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
    return st;
}

static srtp_err_status_t hmac_start(void *state)
{
    struct hmac *a = state;
    a->work = a->inner;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int len)
{
    struct hmac *a = state;
    if (len < 0 || !SHA1_Update(&a->work, buf, (size_t)len))
        return srtp_err_status_auth_fail;
    return srtp_err_status_ok;
}

/* Adds buf, then writes the first tag_len octets of the MAC (RFC 3711
 * 4.2.1 truncates to the leftmost bits). */
static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
                                      uint8_t *tag)
{
    struct hmac *a = state;
    uint8_t inner_hash[SHA1_LEN], full[SHA1_LEN];
    SHA_CTX outer;
    srtp_err_status_t st = srtp_err_status_auth_fail;
    if (tag_len < 0 || tag_len > SHA1_LEN)
        return srtp_err_status_bad_param;
    if (hmac_update(state, buf, len) != srtp_err_status_ok || !SHA1_Final(inner_hash, &a->work))
        goto out;
    outer = a->outer;
    if (!SHA1_Update(&outer, inner_hash, sizeof(inner_hash)) || !SHA1_Final(full, &outer))
        goto out;
    memcpy(tag, full, (size_t)tag_len);
    st = srtp_err_status_ok;
out:
    OPENSSL_cleanse(inner_hash, sizeof(inner_hash));
    OPENSSL_cleanse(full, sizeof(full));
    OPENSSL_cleanse(&outer, sizeof(outer));
    return st;
}

/* RFC 2202 section 3, test cases 1, 2 and 3 (full 160-bit MACs), and test
 * case 5 truncated to SRTP's two tag lengths (80 and 32 bits). */
static const uint8_t rfc2202_key1[20] = {
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t rfc2202_mac1[20] = {
    0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
    0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t rfc2202_mac2[20] = {
    0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
    0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const uint8_t rfc2202_key3[20] = {
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const uint8_t rfc2202_data3[50] = {
    0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
    0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
    0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
    0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
};
static const uint8_t rfc2202_mac3[20] = {
    0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11, 0xcd, 0x91, 0xa3,
    0x9a, 0xf4, 0x8a, 0xa1, 0x7b, 0x4f, 0x63, 0xf1, 0x75, 0xd3,
};
static const uint8_t rfc2202_key5[20] = {
    0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
    0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
};
static const uint8_t rfc2202_mac5[20] = {
    0x4c, 0x1a, 0x03, 0x42, 0x4b, 0x55, 0xe0, 0x7f, 0xe7, 0xf2,
    0x7b, 0xe1, 0xd5, 0x8b, 0xb9, 0x32, 0x4a, 0x9a, 0x5a, 0x04,
};
/* data_length_octets, data: a string literal without its NUL. */
#define TEXT(s) (int)(sizeof(s) - 1), (const uint8_t *)(s)

static const srtp_auth_test_case_t hmac_test_5_32 = {
    20, rfc2202_key5, TEXT("Test With Truncation"), 4, rfc2202_mac5, NULL,
};
static const srtp_auth_test_case_t hmac_test_5_80 = {
    20, rfc2202_key5, TEXT("Test With Truncation"), 10, rfc2202_mac5, &hmac_test_5_32,
};
static const srtp_auth_test_case_t hmac_test_3 = {
    20, rfc2202_key3, sizeof(rfc2202_data3), rfc2202_data3, 20, rfc2202_mac3, &hmac_test_5_80,
};
static const srtp_auth_test_case_t hmac_test_2 = {
    4, (const uint8_t *)"Jefe", TEXT("what do ya want for nothing?"), 20, rfc2202_mac2,
    &hmac_test_3,
};
static const srtp_auth_test_case_t hmac_test_1 = {
    20, rfc2202_key1, TEXT("Hi There"), 20, rfc2202_mac1, &hmac_test_2,
};

static const srtp_auth_type_t hmac_type = {
    .alloc = hmac_alloc,
    .dealloc = hmac_dealloc,
    .init = hmac_init,
    .compute = hmac_compute,
    .update = hmac_update,
    .start = hmac_start,
    .description = "HMAC-SHA1 (OpenSSL SHA-1, keyed states kept)",
    .test_data = &hmac_test_1,
    .id = SRTP_HMAC_SHA1,
};

/* ---- installation ----------------------------------------------------- */

int srtpossl_install(struct synth_error *err)
{
    const srtp_cipher_type_t *ciphers[] = {&icm_128_type, &icm_256_type};
    for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
        srtp_err_status_t st = srtp_replace_cipher_type(ciphers[i], ciphers[i]->id);
        if (st != srtp_err_status_ok)
            return synth_error_set(err, SYNTH_EINTERNAL,
                                   "srtp: replacing cipher %s failed (libsrtp status %d)",
                                   ciphers[i]->description, (int)st);
    }
    srtp_err_status_t st = srtp_replace_auth_type(&hmac_type, hmac_type.id);
    if (st != srtp_err_status_ok)
        return synth_error_set(err, SYNTH_EINTERNAL,
                               "srtp: replacing auth %s failed (libsrtp status %d)",
                               hmac_type.description, (int)st);
    return 0;
}
