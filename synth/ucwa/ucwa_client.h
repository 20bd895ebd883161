/* A UCWA 2.0 client on an event loop: curl's multi-socket API driven by
 * libevent (one struct ucwa_http per loop, shared by the sessions of that
 * loop), and per synthetic user a struct ucwa_session that signs in
 * (autodiscover, MsRtcOAuth password grant, home-pool redirect), creates
 * its application, makes itself available, holds the event channel, keeps
 * alive and signs out (PROTOCOLS.md, UCWA). Nothing blocks; every request
 * has a deadline; TLS verification is on unless turned off. */
#ifndef SYNTH_UCWA_CLIENT_H
#define SYNTH_UCWA_CLIENT_H

#include "synth/base/err.h"
#include "synth/ucwa/ucwa_http.h"
#include "synth/ucwa/ucwa_json.h"

#include <stdbool.h>
#include <stdint.h>

struct ucwa_session;

/* What every operation reports. */
struct ucwa_result {
    enum ucwa_fail fail;
    long status;        /* HTTP status of the last response; 0 when none came */
    int64_t latency_us; /* from the call to the callback, all its requests */
    unsigned requests;  /* HTTP requests the operation made */
    /* New connections its requests opened (curl's CURLINFO_NUM_CONNECTS).
     * Above 0 after an idle interval on a kept connection: something (an
     * idle proxy) closed it and curl connected again. */
    unsigned connects;
    char detail[256];   /* what went wrong, never a secret */
};

/* Operation callbacks: err is 0 or a synth_err code (SYNTH_ECANCELED when
 * the session was freed or the operation stopped); r is always set. The
 * session may be freed from inside the callback; nothing of it may be used
 * after that. */
typedef void(ucwa_done_h)(int err, const struct ucwa_result *r, void *arg);

struct ucwa_session_opts {
    const char *discover_url; /* https://lyncdiscover.<domain>/ (or the lab's proxy) */
    const char *username;     /* user0001@lab.synth.test */
    const char *password;     /* copied; kept in memory only, wiped on free */
    const char *ca_file;      /* PEM bundle; NULL = the system store */
    bool verify;              /* certificate and name checks; default true */
    const char *user_agent;   /* default "synth/<version>" */
    const char *culture;      /* default "en-US" */
    uint32_t timeout_ms;      /* deadline of each command request; default 15000 */
    /* A fresh TCP+TLS connection for every request, closed after it, for
     * probes that must not ride on a connection another request kept warm
     * (the survival measurement). Default false: connections are reused. */
    bool fresh_connection;
};

void ucwa_session_opts_defaults(struct ucwa_session_opts *o);

/* A session for one user on h's loop. The strings of o are copied. */
int ucwa_session_new(struct ucwa_session **out, struct ucwa_http *h,
                     const struct ucwa_session_opts *o, struct synth_error *err);
/* Stops what is in flight (no callback is called), wipes the password and
 * the token, frees. NULL is ignored. */
void ucwa_session_free(struct ucwa_session *s);

/* Maximum user redirects followed to reach the home pool: a user is homed
 * on one pool, a Director adds one hop; more is a loop. */
#define UCWA_REDIRECTS_MAX 4
/* Margin added to a P-GET's timeout for its deadline: the server answers
 * at its timeout, the response needs a moment to arrive. */
#define UCWA_EVENTS_MARGIN_MS 10000
/* Longest P-GET timeout the server accepts (web.config PendingGetWaitTimeMax). */
#define UCWA_EVENTS_TIMEOUT_MAX_S 1800

/* Operations. One command operation at a time per session (SYNTH_EINVAL
 * otherwise); the event channel runs beside them. Each returns 0 once
 * started (the callback follows, never from inside the call) or an error
 * without calling it. */

/* ucwa.discover: GET the autodiscover URL, keep _links.user. */
int ucwa_discover(struct ucwa_session *s, ucwa_done_h *cb, void *arg);
/* ucwa.token: GET the user resource (401 + MsRtcOAuth challenge), POST the
 * password grant to the challenge's href, GET the user with the Bearer
 * token; on a redirect link, repeat from the challenge at the home pool
 * (at most UCWA_REDIRECTS_MAX). Ends with the applications link. */
int ucwa_sign_in(struct ucwa_session *s, ucwa_done_h *cb, void *arg);
/* ucwa.application: POST applications {UserAgent, EndpointId (a random
 * UUID), Culture} → 201 and the application resource. */
int ucwa_create_application(struct ucwa_session *s, ucwa_done_h *cb, void *arg);
/* ucwa.available: POST makeMeAvailable {SupportedModalities:[Messaging]} → 204. */
int ucwa_make_me_available(struct ucwa_session *s, ucwa_done_h *cb, void *arg);
/* reportMyActivity (the keep-alive) → 204. Its link comes from the event
 * channel or the application resource; SYNTH_ENOTFOUND before either gave it. */
int ucwa_report_activity(struct ucwa_session *s, ucwa_done_h *cb, void *arg);
/* ucwa.signout: DELETE the application → 204 (and forgets it). */
int ucwa_sign_out(struct ucwa_session *s, ucwa_done_h *cb, void *arg);

/* The event channel. batch is called for each P-GET response; ev is NULL
 * when err != 0 or r->fail != NONE, and then the channel has stopped. Return
 * true to follow _links.next at once, false to stop (the session may then
 * be freed inside the callback; after a true it must not be). */
typedef bool(ucwa_events_h)(int err, const struct ucwa_result *r, const struct ucwa_events *ev,
                            void *arg);
/* ucwa.events: P-GETs on the events link with timeout=timeout_s (1 ..
 * UCWA_EVENTS_TIMEOUT_MAX_S), each with a deadline of timeout_s +
 * UCWA_EVENTS_MARGIN_MS. Its own connection when fresh_connection is set. */
int ucwa_events_start(struct ucwa_session *s, uint32_t timeout_s, ucwa_events_h *batch,
                      void *arg);
/* Stops the channel without a callback. */
void ucwa_events_stop(struct ucwa_session *s);

/* What the session learnt (empty until then). */
const struct ucwa_application *ucwa_session_application(const struct ucwa_session *s);
const char *ucwa_session_applications_url(const struct ucwa_session *s);
/* Seconds the token was granted for, 0 before ucwa_sign_in. */
uint32_t ucwa_session_token_expires_in(const struct ucwa_session *s);

#endif
