/* The lab relay's long-term credentials (RFC 8489 9.2.3): users and their
 * keys MD5(user ":" realm ":" password), each valid until a time or until
 * removed, as MRAS hands them out ([MS-AVEDGEA] 3.1.5.1: a username, a
 * password and a duration). A fixed table, no I/O. */
#ifndef SYNTH_LAB_TURN_CREDS_H
#define SYNTH_LAB_TURN_CREDS_H

#include "synth/base/strv.h"
#include "synth/turn/stun_msg.h"

#include <stddef.h>
#include <stdint.h>

/* Credentials at once: one per synthetic user in a call through the Edge,
 * and the lab plays a few hundred. Lookups are a scan (one per Allocate). */
#define TURN_CREDS_MAX 1024
#define TURN_CRED_USER_MAX 128

struct turn_cred {
    char user[TURN_CRED_USER_MAX];
    uint8_t key[STUN_LONG_TERM_KEY_LEN];
    uint64_t expire_ms; /* 0: until removed */
};

struct turn_creds {
    struct turn_cred c[TURN_CREDS_MAX];
    size_t count;
};

/* Adds user, or replaces its key and expiry. 0; SYNTH_EINVAL (empty or
 * too long a user, no password); SYNTH_ETOOBIG (table full); an error of
 * the key's MD5. */
int turn_creds_add(struct turn_creds *t, const char *realm, const char *user,
                   const char *password, uint64_t expire_ms);
/* 0, or SYNTH_ENOTFOUND. The key is wiped. */
int turn_creds_remove(struct turn_creds *t, const char *user);
/* The credential of user if it has not expired, else NULL. */
const struct turn_cred *turn_creds_find(const struct turn_creds *t, struct strv user,
                                        uint64_t now_ms);
/* Drops (and wipes) what expired. */
void turn_creds_expire(struct turn_creds *t, uint64_t now_ms);

#endif
