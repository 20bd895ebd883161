/* Media Relay Authentication Service bodies ([MS-AVEDGEA] 2.2.3): the
 * request a server or client sends in a SIP SERVICE to get TURN credentials
 * for the A/V Edge, and the answer with the credentials and the relays.
 * Content-Type application/msrtc-media-relay-auth+xml. Only the elements
 * synth and its lab need; unknown ones are skipped. */
#ifndef SYNTH_SIP_MRAS_H
#define SYNTH_SIP_MRAS_H

#include "synth/base/sbuf.h"

#include <stddef.h>
#include <stdint.h>

#define MRAS_CONTENT_TYPE "application/msrtc-media-relay-auth+xml"
/* A body larger than this is no MRAS body (a real answer with four relays is ~1 KB). */
#define MRAS_BODY_MAX 8192
#define MRAS_TEXT_MAX 256
/* Relays one answer may list: SfB lists one per Edge pool location and transport. */
#define MRAS_RELAYS_MAX 8

enum mras_location { MRAS_LOCATION_INTERNET, MRAS_LOCATION_INTRANET };

struct mras_request {
    char request_id[65];     /* max64CharStringType */
    char from[MRAS_TEXT_MAX]; /* the requester's SIP URI */
    char to[MRAS_TEXT_MAX];   /* the MRAS URI */
    char credentials_request_id[65];
    char identity[MRAS_TEXT_MAX]; /* optional */
    enum mras_location location;
    uint32_t duration_min;   /* minutes asked for; SfB clients ask 480 */
};

struct mras_relay {
    enum mras_location location;
    char host[MRAS_TEXT_MAX]; /* hostName or directIPAddress */
    uint16_t udp_port, tcp_port; /* 0 = not offered */
};

struct mras_response {
    char request_id[65];
    char credentials_request_id[65];
    char reason[MRAS_TEXT_MAX]; /* the response's reasonPhrase, "OK" */
    char username[MRAS_TEXT_MAX];
    char password[MRAS_TEXT_MAX]; /* a secret: never logged */
    char realm[MRAS_TEXT_MAX];
    uint32_t duration_min;
    struct mras_relay relays[MRAS_RELAYS_MAX];
    size_t relay_count;
};

const char *mras_location_name(enum mras_location l); /* "internet", "intranet" */

/* Writes the request / response body (XML, text escaped). SYNTH_ETOOBIG
 * when it does not fit sb. */
int mras_request_build(struct sbuf *sb, const struct mras_request *r);
int mras_response_build(struct sbuf *sb, const struct mras_response *r);

/* Parses a body of len bytes (not NUL-terminated). SYNTH_EPARSE when it is
 * not the element expected or a required part is missing or too long, with
 * what in why (never the password); unknown elements are skipped. */
int mras_request_parse(const char *buf, size_t len, struct mras_request *out, char *why,
                       size_t why_size);
int mras_response_parse(const char *buf, size_t len, struct mras_response *out, char *why,
                        size_t why_size);

#endif
