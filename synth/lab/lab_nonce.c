/* Stateless nonces (lab_nonce.h): hex(issue time) || hex(random) || hex(MAC). */
#include "synth/lab/lab_nonce.h"

#include "synth/base/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <string.h>

#define NONCE_TS_HEX 16
#define NONCE_MAC_BYTES 16

static const char hex_digits[] = "0123456789abcdef";

int lab_nonce_key_init(struct lab_nonce_key *k)
{
    return RAND_bytes(k->secret, sizeof(k->secret)) == 1 ? 0 : SYNTH_EINTERNAL;
}

void lab_nonce_key_clear(struct lab_nonce_key *k)
{
    OPENSSL_cleanse(k->secret, sizeof(k->secret));
}

static void hex_write(char *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digits[b[i] >> 4];
        out[2 * i + 1] = hex_digits[b[i] & 15];
    }
}

/* The MAC of the body (time and random digits) as hex into out. */
static int mac_hex(const struct lab_nonce_key *k, const char *body, size_t body_len, char *out)
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), k->secret, sizeof(k->secret), (const uint8_t *)body, body_len, mac,
              &n) ||
        n < NONCE_MAC_BYTES)
        return SYNTH_EINTERNAL;
    hex_write(out, mac, NONCE_MAC_BYTES);
    return 0;
}

int lab_nonce_make(const struct lab_nonce_key *k, uint64_t now_ms, size_t rand_bytes, char *out,
                   size_t size)
{
    uint8_t r[LAB_NONCE_RAND_MAX];
    if (rand_bytes > LAB_NONCE_RAND_MAX || size < LAB_NONCE_LEN(rand_bytes) + 1)
        return SYNTH_EINVAL;
    snprintf(out, NONCE_TS_HEX + 1, "%016llx", (unsigned long long)now_ms);
    if (rand_bytes && RAND_bytes(r, (int)rand_bytes) != 1)
        return SYNTH_EINTERNAL;
    hex_write(out + NONCE_TS_HEX, r, rand_bytes);
    size_t body = NONCE_TS_HEX + 2 * rand_bytes;
    int rc = mac_hex(k, out, body, out + body);
    out[LAB_NONCE_LEN(rand_bytes)] = '\0';
    return rc;
}

enum lab_nonce_state lab_nonce_check(const struct lab_nonce_key *k, struct strv nonce,
                                     size_t rand_bytes, uint64_t now_ms, uint32_t lifetime_ms)
{
    char ts[NONCE_TS_HEX + 1], mac[2 * NONCE_MAC_BYTES];
    if (rand_bytes > LAB_NONCE_RAND_MAX || nonce.l != LAB_NONCE_LEN(rand_bytes))
        return LAB_NONCE_FOREIGN;
    size_t body = NONCE_TS_HEX + 2 * rand_bytes;
    if (mac_hex(k, nonce.p, body, mac) != 0 ||
        CRYPTO_memcmp(mac, nonce.p + body, sizeof(mac)) != 0)
        return LAB_NONCE_FOREIGN;
    memcpy(ts, nonce.p, NONCE_TS_HEX);
    ts[NONCE_TS_HEX] = '\0';
    unsigned long long issued = 0;
    if (sscanf(ts, "%16llx", &issued) != 1 || issued > now_ms)
        return LAB_NONCE_FOREIGN;
    return now_ms - issued > lifetime_ms ? LAB_NONCE_STALE : LAB_NONCE_FRESH;
}
