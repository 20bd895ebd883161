/* The UCWA 2.0 resources synth reads, parsed from response bodies with
 * jansson: the autodiscover root, the user resource, the OAuth token, the
 * application resource and event channel (P-GET) responses. Strict about
 * what a client needs, silent about the rest; every href is resolved
 * against the URL the body came from (UCWA "Web links": relative or absolute). */
#ifndef SYNTH_UCWA_JSON_H
#define SYNTH_UCWA_JSON_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest URL kept. UCWA hrefs are /ucwa/oauth/v1/applications/<id>/... with
 * a few query parameters (ack=, timeout=), well under 300 characters;
 * 1 KB leaves room for a long pool name and bounds what a server can make
 * us copy. */
#define UCWA_URL_MAX 1024
/* Largest body parsed. An application resource with its embedded me,
 * people and communication is 3-6 KB; an event batch grows with what the
 * server aggregated. 256 KB is far above both and still cheap to hold. */
#define UCWA_BODY_MAX (256 * 1024)
/* An access token: SfB's cwt= tokens are 1-2 KB of base64. */
#define UCWA_TOKEN_MAX 4096
/* Events kept from one P-GET response (all are counted). */
#define UCWA_EVENTS_MAX 32
#define UCWA_NAME_MAX 64

/* Resolves href against base (an absolute http(s) URL): absolute hrefs are
 * kept, "//host/..." takes base's scheme, "/path" base's scheme and
 * authority, anything else base's directory. "." and ".." segments are left
 * as they are (UCWA servers do not send them). 0, SYNTH_EPARSE for a base
 * that is not http(s) or an href with a control character or space,
 * SYNTH_ETOOBIG when out is too small. */
int ucwa_url_resolve(const char *base, const char *href, char *out, size_t size);

/* GET https://lyncdiscover.<domain>/: _links.user (required) and
 * _links.xframe (optional, "" when absent). */
struct ucwa_root {
    char user[UCWA_URL_MAX];
    char xframe[UCWA_URL_MAX];
};

/* The user resource once authorized: _links.applications, or, for a user
 * homed on another pool, _links.redirect (exactly one is set, the other ""). */
struct ucwa_user {
    char applications[UCWA_URL_MAX];
    char redirect[UCWA_URL_MAX];
};

/* The oauthtoken response (RFC 6749 5.1): access_token, expires_in (s),
 * token_type, which must be Bearer. */
struct ucwa_token {
    char access_token[UCWA_TOKEN_MAX];
    uint32_t expires_in;
};

/* The application resource (201 to the POST on applications, or a GET of
 * its self link). make_me_available is "" once the user is available (the
 * server removes the link); report_my_activity appears then, under me or
 * communication. */
struct ucwa_application {
    char self[UCWA_URL_MAX];
    char events[UCWA_URL_MAX];
    char me[UCWA_URL_MAX];
    char make_me_available[UCWA_URL_MAX];
    char report_my_activity[UCWA_URL_MAX];
    char communication[UCWA_URL_MAX];
};

/* One event of a P-GET response: who sent it, what it is about, what
 * happened ("added", "updated", "deleted", "started", "completed"). */
struct ucwa_event {
    char sender[UCWA_NAME_MAX]; /* the sender's rel: me, people, communication, ... */
    char rel[UCWA_NAME_MAX];    /* the event's link rel: presence, me, ... */
    char type[16];
};

/* A P-GET response: the next link to follow at once (or resync, when the
 * server lost track and the client must GET the application again), and
 * the events. An empty batch (the server's timeout) has next and no events. */
struct ucwa_events {
    char next[UCWA_URL_MAX];
    char resync[UCWA_URL_MAX];
    struct ucwa_event ev[UCWA_EVENTS_MAX];
    size_t kept;  /* in ev[] */
    size_t count; /* in the response */
    /* A reportMyActivity link found in an embedded me (the "me updated"
     * event after makeMeAvailable carries it), "" otherwise. */
    char report_my_activity[UCWA_URL_MAX];
};

/* Each parser reads buf[0..len) (no NUL needed), resolves hrefs against
 * url, and on failure names what was wrong in err, e.g. "application:
 * _embedded.me._links.makeMeAvailable missing" or "token: not JSON: line 1
 * column 2: ...". SYNTH_EPARSE for bad or missing content, SYNTH_ETOOBIG past
 * UCWA_BODY_MAX or a field's bound. The token parser never puts the token in
 * err. */
int ucwa_json_root(struct ucwa_root *out, const char *url, const char *buf, size_t len,
                   struct synth_error *err);
int ucwa_json_user(struct ucwa_user *out, const char *url, const char *buf, size_t len,
                   struct synth_error *err);
int ucwa_json_token(struct ucwa_token *out, const char *buf, size_t len, struct synth_error *err);
int ucwa_json_application(struct ucwa_application *out, const char *url, const char *buf,
                          size_t len, struct synth_error *err);
int ucwa_json_events(struct ucwa_events *out, const char *url, const char *buf, size_t len,
                     struct synth_error *err);

#endif
