/* The key parameter of an SDES a=crypto line (RFC 4568 6.1, 9.2):
 * "inline:<base64 key||salt>[|lifetime][|MKI:length]", parse, format and
 * random generation, for the AES_CM_128 suites (30-byte key||salt). */
#ifndef MEDIA_SDES_KEY_H
#define MEDIA_SDES_KEY_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 4568 6.2.1: AES_CM_128 takes a 128-bit key and a 112-bit salt. */
#define SDES_KEY_LEN 16
#define SDES_SALT_LEN 14
#define SDES_KEY_SALT_LEN (SDES_KEY_LEN + SDES_SALT_LEN)
/* 30 bytes are exactly 40 base64 characters, no '=' padding. */
#define SDES_KEY_B64_LEN 40
/* RFC 4568 allows MKIs up to 128 bytes, but the value is written in
 * decimal; we keep it in 32 bits. SfB and every peer seen use 1 byte. */
#define SDES_MKI_LEN_MAX 4
/* RFC 3711 9.2: at most 2^48 SRTP packets per master key. */
#define SDES_LIFETIME_LOG2_MAX 48
/* Longest formatted key parameter: "inline:" + 40 + "|" + 15 digits +
 * "|" + 10 digits + ":" + 1, rounded up. */
#define SDES_KEY_PARAM_MAX 96

struct sdes_key {
    uint8_t key_salt[SDES_KEY_SALT_LEN];
    bool has_lifetime;
    bool lifetime_pow2;   /* written as 2^n (keeps the peer's form) */
    uint64_t lifetime;    /* packets */
    bool has_mki;
    uint32_t mki_value;
    uint8_t mki_len;      /* bytes, 1..SDES_MKI_LEN_MAX */
};

/* Parses one key parameter of exactly len bytes (no surrounding blanks;
 * "inline" is matched without case, as ABNF strings are). Strict: 40
 * base64 characters of the standard alphabet, lifetime at most 2^48 and
 * not 0, MKI value fitting its length. Returns 0, SYNTH_EPARSE or
 * SYNTH_EUNSUPPORTED (MKI longer than SDES_MKI_LEN_MAX), detail in err. */
int sdes_key_parse(struct sdes_key *k, const char *buf, size_t len, struct synth_error *err);
/* The same, with a static reason in *why (may be NULL) instead of a
 * message that quotes the peer's bytes: for parsers whose errors promise
 * static text (synth/sdp's struct sdp_error). */
int sdes_key_parse_why(struct sdes_key *k, const char *buf, size_t len, const char **why);

/* Writes the NUL-terminated key parameter into buf. Returns 0, SYNTH_EINVAL
 * (a field out of range) or SYNTH_ETOOBIG (buf too small). */
int sdes_key_format(const struct sdes_key *k, char *buf, size_t size);

/* Fresh key||salt from OpenSSL's RAND_bytes; no lifetime, no MKI (set them
 * after if the answer must mirror an offer that had them). Returns 0 or
 * SYNTH_EINTERNAL when the RNG fails. */
int sdes_key_generate(struct sdes_key *k, struct synth_error *err);

/* The MKI as it appears on the wire: mki_len bytes, big-endian. */
void sdes_key_mki_bytes(const struct sdes_key *k, uint8_t out[SDES_MKI_LEN_MAX]);

#endif
