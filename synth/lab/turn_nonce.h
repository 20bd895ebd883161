/* The lab relay's stateless NONCEs (RFC 8489 9.2, RFC 8656 7.2): the issue
 * time and a MAC of it under a secret of this run, so a stale nonce is told
 * from a forged one without a table (as the lab registrar does for Digest). */
#ifndef SYNTH_LAB_TURN_NONCE_H
#define SYNTH_LAB_TURN_NONCE_H

#include "synth/base/strv.h"

#include <stdint.h>

#define TURN_NONCE_SECRET_LEN 32
/* 16 hex digits of issue time (ms), 32 of HMAC-SHA256 truncated to 128 bits:
 * 48 characters, well under RFC 8489 14.10's 763 bytes. */
#define TURN_NONCE_LEN 48

struct turn_nonce_key {
    uint8_t secret[TURN_NONCE_SECRET_LEN];
};

enum turn_nonce_state {
    TURN_NONCE_FOREIGN, /* not ours (or tampered with): challenge anew, 401 */
    TURN_NONCE_FRESH,
    TURN_NONCE_STALE,   /* ours but older than the lifetime: 438 */
};

/* A new random secret; 0 or SYNTH_EINTERNAL (no random bytes). */
int turn_nonce_key_init(struct turn_nonce_key *k);
/* out gets TURN_NONCE_LEN characters and a NUL; 0 or SYNTH_EINTERNAL. */
int turn_nonce_make(const struct turn_nonce_key *k, uint64_t now_ms,
                    char out[TURN_NONCE_LEN + 1]);
/* A nonce from the future (a clock that went back cannot happen on
 * CLOCK_MONOTONIC) is foreign. */
enum turn_nonce_state turn_nonce_check(const struct turn_nonce_key *k, struct strv nonce,
                                       uint64_t now_ms, uint32_t lifetime_ms);

#endif
