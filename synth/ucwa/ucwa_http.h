/* HTTP requests on an event loop: one curl multi handle per loop, its
 * sockets and timer driven by libevent (curl's multi-socket API), so a
 * worker's thousands of UCWA users never block it. Bodies and the headers
 * kept are bounded; failures come back classified. */
#ifndef SYNTH_UCWA_HTTP_H
#define SYNTH_UCWA_HTTP_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct ucwa_http;
struct ucwa_req;

/* Why an operation failed, for the step's failure class. */
enum ucwa_fail {
    UCWA_FAIL_NONE = 0,
    UCWA_FAIL_DNS,          /* the name did not resolve */
    UCWA_FAIL_CONNECT,      /* refused or unreachable */
    UCWA_FAIL_TLS,          /* handshake or certificate verification */
    UCWA_FAIL_CLOSED,       /* the connection was cut before a whole response (an idle proxy) */
    UCWA_FAIL_TIMEOUT,      /* the request's deadline passed */
    UCWA_FAIL_HTTP_STATUS,  /* an unexpected status (a proxy's 504, a 500) */
    UCWA_FAIL_BAD_JSON,     /* a body that is not the resource expected */
    UCWA_FAIL_AUTH_REFUSED, /* credentials or token refused */
    UCWA_FAIL_APP_GONE,     /* 404/410 on the application: the server expired it */
};

/* "dns", "connect", "tls", "closed", "timeout", "http-status", "bad-json",
 * "auth-refused", "application-gone"; "" for NONE. */
const char *ucwa_fail_name(enum ucwa_fail f);

/* Longest WWW-Authenticate kept (all such headers of a response, joined
 * with ", " as RFC 7230 3.2.2 allows); real ones are under 400 bytes. */
#define UCWA_AUTH_HEADER_MAX 4096
#define UCWA_DETAIL_MAX 256

/* One curl multi handle on base. Free it after the requests and sessions
 * made on it, on base's thread, never from one of their callbacks. */
int ucwa_http_new(struct ucwa_http **out, struct event_base *base, struct synth_error *err);
void ucwa_http_free(struct ucwa_http *h);

struct ucwa_req_spec {
    const char *method;       /* "GET", "POST", "DELETE" */
    const char *url;
    const char *content_type; /* with a body */
    const char *body;         /* borrowed until the callback (not copied: a form may hold a password) */
    size_t body_len;
    const char *bearer;       /* access token for Authorization, or NULL */
    const char *user_agent;
    const char *ca_file;      /* NULL = the system store */
    bool verify;
    uint32_t timeout_ms;      /* the whole exchange's deadline */
    bool fresh_connection;    /* a new connection, closed after this request */
    const char *accept;       /* Accept; NULL = application/json */
    /* The chain is verified (verify), the name left to the caller, who
     * reads resp.peer_cert: a probe telling two sites apart by their names. */
    bool no_host_check;
    bool want_peer_cert;      /* keep the leaf certificate for resp.peer_cert */
};

/* What came back. Transport failures have fail set and status 0. */
struct ucwa_resp {
    enum ucwa_fail fail;   /* NONE when a whole response arrived, whatever its status */
    long status;
    const char *body;      /* NUL-terminated, body_len bytes */
    size_t body_len;
    const char *www_authenticate; /* "" when absent */
    char detail[UCWA_DETAIL_MAX]; /* curl's words on a transport failure */
    int64_t elapsed_us;
    unsigned connects; /* new connections made for it, 0 when one was reused */
    const char *content_type;     /* "" when absent */
    struct x509_st *peer_cert;    /* with want_peer_cert over TLS: the leaf, borrowed; or NULL */
};

/* r is valid during the call only; the request is freed after it returns. */
typedef void(ucwa_req_h)(const struct ucwa_resp *r, void *arg);

/* Starts a request; the callback comes from the loop, never from inside
 * this call. *out (optional) is for ucwa_req_cancel until the callback. */
int ucwa_req_start(struct ucwa_req **out, struct ucwa_http *h, const struct ucwa_req_spec *sp,
                   ucwa_req_h *cb, void *arg, struct synth_error *err);
/* Stops a request without its callback. */
void ucwa_req_cancel(struct ucwa_req *r);

#endif
