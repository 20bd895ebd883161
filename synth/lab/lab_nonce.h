/* The lab's stateless nonces, for the Front End's Digest challenges (RFC
 * 7616 3.3) and the relay's TURN NONCE (RFC 8489 9.2, RFC 8656 7.2): the
 * issue time, optional random bits, and a MAC of both under a secret of this
 * run, so any number of clients can hold one and a stale nonce is told from
 * a forged one without a table. */
#ifndef SYNTH_LAB_LAB_NONCE_H
#define SYNTH_LAB_LAB_NONCE_H

#include "synth/base/strv.h"

#include <stddef.h>
#include <stdint.h>

#define LAB_NONCE_SECRET_LEN 32
/* Random bytes a nonce may carry: Digest nonces take 8 (two issued in one
 * millisecond still differ); TURN's need none (the client echoes it). */
#define LAB_NONCE_RAND_MAX 16
/* 16 hex digits of issue time (ms), 2 per random byte, 32 of HMAC-SHA256
 * truncated to 128 bits: 48 characters without random bytes (well under RFC
 * 8489 14.10's 763 bytes), 64 with 8. */
#define LAB_NONCE_LEN(rand_bytes) (16 + 2 * (rand_bytes) + 32)
#define LAB_NONCE_MAX LAB_NONCE_LEN(LAB_NONCE_RAND_MAX)

struct lab_nonce_key {
    uint8_t secret[LAB_NONCE_SECRET_LEN];
};

enum lab_nonce_state {
    LAB_NONCE_FOREIGN, /* not ours (or tampered with): challenge anew */
    LAB_NONCE_FRESH,
    LAB_NONCE_STALE,   /* ours but older than the lifetime (Digest stale=true, TURN 438) */
};

/* A new random secret; 0 or SYNTH_EINTERNAL (no random bytes). */
int lab_nonce_key_init(struct lab_nonce_key *k);
/* Forgets the secret (cleansed). */
void lab_nonce_key_clear(struct lab_nonce_key *k);
/* out gets LAB_NONCE_LEN(rand_bytes) characters and a NUL (size must hold
 * them); 0, SYNTH_EINVAL (size, rand_bytes) or SYNTH_EINTERNAL. */
int lab_nonce_make(const struct lab_nonce_key *k, uint64_t now_ms, size_t rand_bytes, char *out,
                   size_t size);
/* A nonce of another length, from the future (a clock that went back cannot
 * happen on CLOCK_MONOTONIC) or with a wrong MAC is foreign. */
enum lab_nonce_state lab_nonce_check(const struct lab_nonce_key *k, struct strv nonce,
                                     size_t rand_bytes, uint64_t now_ms, uint32_t lifetime_ms);

#endif
