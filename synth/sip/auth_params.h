/* The grammar SIP authentication headers share (RFC 3261 25.1 challenge and
 * credentials: `scheme 1*SP auth-param *(COMMA auth-param)`), tokenized once
 * for Digest (digest.c) and the Microsoft schemes of [MS-SIPAE] (sipae.c).
 * Values come back as views into the header value; quoted ones without their
 * quotes, quoted-pairs still escaped. */
#ifndef SYNTH_SIP_AUTH_PARAMS_H
#define SYNTH_SIP_AUTH_PARAMS_H

#include "synth/base/strv.h"

#include <stdbool.h>
#include <stddef.h>

struct auth_cursor {
    const char *p, *end;
};

struct auth_param {
    struct strv name, value;
};

/* A parameter the caller wants; a second occurrence is an error because
 * two realms (or nonces, or targetnames) leave the meaning ambiguous. */
struct auth_param_slot {
    const char *name;
    struct strv *value;
};

/* RFC 3261 25.1 token character, and a control character. */
bool auth_is_token_char(char c);
bool auth_is_ctl(char c);

/* Reads the scheme at the start of value into *scheme and leaves c after
 * it. SYNTH_EPARSE for an empty value or a scheme not followed by LWS or the
 * end; comparing the scheme is the caller's job. */
int auth_scheme_parse(struct strv value, struct strv *scheme, struct auth_cursor *c);

/* Fills the slots from the list at c (every slot STRV_NULL first);
 * parameters without a slot are skipped. SYNTH_EPARSE when malformed or a
 * slot's parameter repeats, SYNTH_ETOOBIG past params_max parameters or a
 * value longer than value_max. */
int auth_params_collect(struct auth_cursor *c, const struct auth_param_slot *slots, size_t n,
                        size_t params_max, size_t value_max);

#endif
