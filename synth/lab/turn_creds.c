/* The lab relay's credential table (turn_creds.h). */
#include "synth/lab/turn_creds.h"

#include "synth/base/err.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <string.h>

static struct turn_cred *slot_of(struct turn_creds *t, const char *user)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->c[i].user, user) == 0)
            return &t->c[i];
    return NULL;
}

/* Swap-remove, wiping the slot that falls out of use. */
static void drop(struct turn_creds *t, size_t i)
{
    t->c[i] = t->c[--t->count];
    OPENSSL_cleanse(&t->c[t->count], sizeof(t->c[t->count]));
}

int turn_creds_add(struct turn_creds *t, const char *realm, const char *user,
                   const char *password, uint64_t expire_ms)
{
    if (!user || !*user || !password || strlen(user) >= TURN_CRED_USER_MAX)
        return SYNTH_EINVAL;
    struct turn_cred *c = slot_of(t, user);
    if (!c) {
        if (t->count == TURN_CREDS_MAX)
            return SYNTH_ETOOBIG;
        c = &t->c[t->count++];
        snprintf(c->user, sizeof(c->user), "%s", user);
    }
    c->expire_ms = expire_ms;
    int rc = stun_key_long_term(strv_from_cstr(user), strv_from_cstr(realm),
                                strv_from_cstr(password), c->key);
    if (rc)
        drop(t, (size_t)(c - t->c)); /* no half-made credential */
    return rc;
}

int turn_creds_remove(struct turn_creds *t, const char *user)
{
    struct turn_cred *c = slot_of(t, user);
    if (!c)
        return SYNTH_ENOTFOUND;
    drop(t, (size_t)(c - t->c));
    return 0;
}

const struct turn_cred *turn_creds_find(const struct turn_creds *t, struct strv user,
                                        uint64_t now_ms)
{
    for (size_t i = 0; i < t->count; i++)
        if (strv_eq(user, t->c[i].user))
            return t->c[i].expire_ms == 0 || t->c[i].expire_ms > now_ms ? &t->c[i] : NULL;
    return NULL;
}

void turn_creds_expire(struct turn_creds *t, uint64_t now_ms)
{
    for (size_t i = 0; i < t->count;) {
        if (t->c[i].expire_ms && t->c[i].expire_ms <= now_ms)
            drop(t, i);
        else
            i++;
    }
}
