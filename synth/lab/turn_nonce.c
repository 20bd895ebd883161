/* Stateless TURN nonces (turn_nonce.h): hex(issue time) || hex(MAC). */
#include "synth/lab/turn_nonce.h"

#include "synth/base/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <string.h>

#define NONCE_TS_HEX 16
#define NONCE_MAC_BYTES 16

int turn_nonce_key_init(struct turn_nonce_key *k)
{
    return RAND_bytes(k->secret, sizeof(k->secret)) == 1 ? 0 : SYNTH_EINTERNAL;
}

static int mac_hex(const struct turn_nonce_key *k, const char *ts_hex, char *out)
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), k->secret, sizeof(k->secret), (const uint8_t *)ts_hex, NONCE_TS_HEX,
              mac, &n) ||
        n < NONCE_MAC_BYTES)
        return SYNTH_EINTERNAL;
    for (size_t i = 0; i < NONCE_MAC_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    return 0;
}

int turn_nonce_make(const struct turn_nonce_key *k, uint64_t now_ms,
                    char out[TURN_NONCE_LEN + 1])
{
    snprintf(out, NONCE_TS_HEX + 1, "%016llx", (unsigned long long)now_ms);
    return mac_hex(k, out, out + NONCE_TS_HEX);
}

enum turn_nonce_state turn_nonce_check(const struct turn_nonce_key *k, struct strv nonce,
                                       uint64_t now_ms, uint32_t lifetime_ms)
{
    char ts[NONCE_TS_HEX + 1], mac[2 * NONCE_MAC_BYTES + 1];
    if (nonce.l != TURN_NONCE_LEN)
        return TURN_NONCE_FOREIGN;
    memcpy(ts, nonce.p, NONCE_TS_HEX);
    ts[NONCE_TS_HEX] = '\0';
    if (mac_hex(k, ts, mac) != 0 ||
        CRYPTO_memcmp(mac, nonce.p + NONCE_TS_HEX, 2 * NONCE_MAC_BYTES) != 0)
        return TURN_NONCE_FOREIGN;
    unsigned long long issued = 0;
    if (sscanf(ts, "%16llx", &issued) != 1 || issued > now_ms)
        return TURN_NONCE_FOREIGN;
    return now_ms - issued > lifetime_ms ? TURN_NONCE_STALE : TURN_NONCE_FRESH;
}
