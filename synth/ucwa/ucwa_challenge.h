/* The WWW-Authenticate challenge of a UCWA user resource (401): the
 * MsRtcOAuth scheme with the token service's href and the grant types it
 * takes, alone or after a Bearer challenge (RFC 7235 4.1: several
 * challenges in one value), href quoted or not, as real servers send it
 * (PROTOCOLS.md, UCWA step 2). */
#ifndef SYNTH_UCWA_CHALLENGE_H
#define SYNTH_UCWA_CHALLENGE_H

#include "synth/base/strv.h"

#include <stdbool.h>

/* Parameters looked at in one value: the three forms carry four or five;
 * the bound caps the work a hostile server can ask for. */
#define UCWA_CHALLENGE_PARAMS_MAX 32

/* Views into the parsed value (valid as long as it is); quoted values are
 * given without their quotes (UCWA values carry no quoted-pairs; a
 * backslash is refused). Absent: STRV_NULL. */
struct ucwa_challenge {
    struct strv href;            /* MsRtcOAuth href: the oauthtoken service */
    struct strv grant_type;      /* its list, e.g. "urn:microsoft.rtc:windows,...,password" */
    bool password_grant;         /* "password" is in grant_type */
    struct strv trusted_issuers; /* of a Bearer challenge in the same value */
    struct strv client_id;
};

/* Parses value (len bytes, no NUL needed). 0 with ch filled;
 * SYNTH_ENOTFOUND when there is no MsRtcOAuth challenge; SYNTH_EPARSE when
 * malformed or when MsRtcOAuth has no href; SYNTH_ETOOBIG past
 * UCWA_CHALLENGE_PARAMS_MAX. */
int ucwa_challenge_parse(struct ucwa_challenge *ch, const char *value, size_t len);

#endif
