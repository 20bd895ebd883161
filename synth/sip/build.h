/* Building SIP requests and responses into a bounded buffer (RFC 3261 8.1.1,
 * 8.2.6). Callers give the header values; the builder writes the mandatory
 * headers in a fixed order and Content-Length last before the body. */
#ifndef SYNTH_SIP_BUILD_H
#define SYNTH_SIP_BUILD_H

#include "synth/base/sbuf.h"
#include "synth/sip/msg.h"

#include <stdint.h>

/* Longest message we build: an INVITE with SDP and a route set. */
#define SIP_BUILD_MAX 8192

struct sip_request_spec {
    const char *method;
    const char *ruri;
    const char *via;          /* full value: "SIP/2.0/TLS host:port;branch=...;rport" */
    const char *from;         /* name-addr or URI, without tag */
    const char *from_tag;
    const char *to;           /* name-addr or URI, without tag */
    const char *to_tag;       /* NULL outside a dialog */
    const char *call_id;
    uint32_t cseq;
    const char *contact;      /* value, NULL = none */
    const char *routes;       /* Route values, comma-separated, NULL = none */
    int expires;              /* -1 = no Expires header */
    const char *extra;        /* extra header lines, each ending in CRLF, NULL = none */
    const char *content_type;
    const char *body;
    size_t body_len;
};

int sip_build_request(struct sbuf *sb, const struct sip_request_spec *r);

/* A response to req: copies every Via, From, To (adding to_tag when To has
 * none), Call-ID and CSeq (RFC 3261 8.2.6.2). extra: header lines ending in
 * CRLF, or NULL. */
int sip_build_response(struct sbuf *sb, const struct sip_msg *req, uint16_t status,
                       const char *reason, const char *to_tag, const char *extra,
                       const char *content_type, const char *body, size_t body_len);

/* Reason phrase for a status code ("OK", "Ringing", "Unauthorized"...). */
const char *sip_reason_phrase(uint16_t status);

/* Random token for tags, branches after the magic cookie, Call-IDs:
 * (size - 1) / 2 bytes (32 at most) as lowercase hex, NUL-terminated. Unique,
 * not secret (a per-thread PRNG seeded from RAND_bytes): never use it for
 * nonces, cnonces or keys. Thread-safe. */
void sip_random_token(char *out, size_t size);
/* 64 bits from the same per-thread generator: for values that must differ
 * between calls but are no secret (SDP session ids). */
uint64_t sip_random_u64(void);

#endif
