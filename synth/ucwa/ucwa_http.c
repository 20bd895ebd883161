/* curl's multi-socket API on libevent (ucwa_http.h): curl says which
 * sockets to watch and when to wake it (CURLMOPT_SOCKETFUNCTION,
 * CURLMOPT_TIMERFUNCTION); libevent watches; readiness goes back through
 * curl_multi_socket_action; finished transfers are read off
 * curl_multi_info_read and handed to their callbacks. */
#include "synth/ucwa/ucwa_http.h"

#include "synth/base/clock.h"
#include "synth/ucwa/ucwa_json.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A connection attempt gets at most this much of a request's deadline, so
 * a dead address is told from a slow server (curl's own default is 300 s). */
#define UCWA_CONNECT_TIMEOUT_MS 10000

/* curl's receive buffer per request (its default is 16 KB). UCWA bodies
 * are a few KB and a held P-GET waits with nothing to read, so 4 KB costs
 * a few more write callbacks on a large body and saves the rest for every
 * session held (docs/PERFORMANCE.md, "UCWA sessions"). */
#define UCWA_RECV_BUFFER 4096
/* curl copies every request sent over TLS into an upload buffer, 64 KB by
 * default, kept with the request; UCWA requests are under 2 KB and 16 KB
 * is curl's smallest (CURLOPT_UPLOAD_BUFFERSIZE). */
#define UCWA_SEND_BUFFER 16384

/* A socket curl asked us to watch. */
struct ucwa_sock {
    struct event *ev;
    struct ucwa_http *h;
    struct ucwa_sock *prev, *next;
};

struct ucwa_http {
    struct event_base *base;
    CURLM *multi;
    /* TLS sessions and resolved names shared by all the loop's requests:
     * each request is its own easy handle, whose private session cache
     * would start empty, so every new connection would make a full
     * handshake (RFC 8446 2.2 resumption is what clients do). One loop,
     * one thread: no lock callbacks. */
    CURLSH *share;
    struct event *timer;
    struct ucwa_sock *socks; /* all of them, freed at the end whatever curl did */
};

struct ucwa_req {
    struct ucwa_http *h;
    CURL *easy;
    struct curl_slist *headers;
    ucwa_req_h *cb;
    void *arg;
    int64_t start_us;
    char *body;
    size_t body_len, body_cap;
    bool body_too_big;
    /* UCWA_AUTH_HEADER_MAX bytes, made at the first WWW-Authenticate: only
     * the challenged GET has one, and a held P-GET should not carry 4 KB. */
    char *auth;
    size_t auth_len;
    char errbuf[CURL_ERROR_SIZE];
    bool want_peer_cert;
    X509 *peer_cert; /* taken while the connection is up (header_cb) */
};

const char *ucwa_fail_name(enum ucwa_fail f)
{
    static const char *const names[] = {
        [UCWA_FAIL_NONE] = "",
        [UCWA_FAIL_DNS] = "dns",
        [UCWA_FAIL_CONNECT] = "connect",
        [UCWA_FAIL_TLS] = "tls",
        [UCWA_FAIL_CLOSED] = "closed",
        [UCWA_FAIL_TIMEOUT] = "timeout",
        [UCWA_FAIL_HTTP_STATUS] = "http-status",
        [UCWA_FAIL_BAD_JSON] = "bad-json",
        [UCWA_FAIL_AUTH_REFUSED] = "auth-refused",
        [UCWA_FAIL_APP_GONE] = "application-gone",
    };
    return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

static enum ucwa_fail classify(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return UCWA_FAIL_DNS;
    case CURLE_COULDNT_CONNECT:
        return UCWA_FAIL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return UCWA_FAIL_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return UCWA_FAIL_TLS;
    case CURLE_WRITE_ERROR: /* our bound on the body */
        return UCWA_FAIL_BAD_JSON;
    default:
        /* GOT_NOTHING, RECV_ERROR, SEND_ERROR, PARTIAL_FILE: the peer (or a
         * middlebox) ended the connection under the request. */
        return UCWA_FAIL_CLOSED;
    }
}

/* ---- the loop side ------------------------------------------------------------ */

static void check_done(struct ucwa_http *h);
static void req_free(struct ucwa_req *r);

static void sock_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ucwa_http *h = arg;
    int running, flags = 0;
    if (what & EV_READ)
        flags |= CURL_CSELECT_IN;
    if (what & EV_WRITE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(h->multi, fd, flags, &running);
    check_done(h);
}

static void timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ucwa_http *h = arg;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(h);
}

static void sock_free(struct ucwa_sock *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        s->h->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    event_free(s->ev);
    free(s);
}

/* CURLMOPT_SOCKETFUNCTION. */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct ucwa_http *h = userp;
    struct ucwa_sock *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            curl_multi_assign(h->multi, fd, NULL);
            sock_free(s);
        }
        return 0;
    }
    short kind = EV_PERSIST;
    if (what & CURL_POLL_IN)
        kind |= EV_READ;
    if (what & CURL_POLL_OUT)
        kind |= EV_WRITE;
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1;
        s->h = h;
        s->ev = event_new(h->base, fd, kind, sock_event_cb, h);
        if (!s->ev) {
            free(s);
            return -1;
        }
        s->next = h->socks;
        if (h->socks)
            h->socks->prev = s;
        h->socks = s;
        curl_multi_assign(h->multi, fd, s);
    } else {
        event_del(s->ev);
        event_assign(s->ev, h->base, fd, kind, sock_event_cb, h);
    }
    return event_add(s->ev, NULL) == 0 ? 0 : -1;
}

/* CURLMOPT_TIMERFUNCTION: only arms the timer (curl must not be called from here). */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct ucwa_http *h = userp;
    if (timeout_ms < 0)
        return event_del(h->timer);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    return evtimer_add(h->timer, &tv);
}

static void finish(struct ucwa_req *r, CURLcode rc)
{
    struct ucwa_resp resp = {0};
    resp.elapsed_us = clock_mono_us() - r->start_us;
    long connects = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &resp.status);
    curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &connects);
    resp.connects = connects > 0 ? (unsigned)connects : 0;
    resp.body = r->body ? r->body : "";
    resp.body_len = r->body_len;
    resp.www_authenticate = r->auth ? r->auth : "";
    char *ct = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
    resp.content_type = ct ? ct : "";
    resp.peer_cert = r->peer_cert;
    if (rc != CURLE_OK) {
        resp.fail = classify(rc);
        resp.status = 0;
        if (r->body_too_big)
            snprintf(resp.detail, sizeof(resp.detail), "body larger than %d bytes", UCWA_BODY_MAX);
        else
            snprintf(resp.detail, sizeof(resp.detail), "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
    }
    ucwa_req_h *cb = r->cb;
    void *arg = r->arg;
    curl_multi_remove_handle(r->h->multi, r->easy);
    /* The request outlives the callback by the call only: the callback may
     * start the next request, cancel others, or free its session. */
    cb(&resp, arg);
    req_free(r);
}

static void check_done(struct ucwa_http *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        if (priv)
            finish((struct ucwa_req *)(void *)priv, m->data.result);
    }
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/* curl_global_init once per process, before any handle (not thread-safe
 * before curl 7.84, hence the once). */
static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int ucwa_http_new(struct ucwa_http **out, struct event_base *base, struct synth_error *err)
{
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return synth_error_set(err, SYNTH_EINTERNAL, "ucwa: curl_global_init: %s",
                               curl_easy_strerror(global_rc));
    struct ucwa_http *h = calloc(1, sizeof(*h));
    if (!h)
        return synth_error_set(err, SYNTH_ENOMEM, "ucwa: out of memory");
    h->base = base;
    h->multi = curl_multi_init();
    h->share = curl_share_init();
    h->timer = evtimer_new(base, timer_event_cb, h);
    if (!h->multi || !h->share || !h->timer ||
        curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
        curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
        ucwa_http_free(h);
        return synth_error_set(err, SYNTH_ENOMEM, "ucwa: curl_multi_init failed");
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    *out = h;
    return 0;
}

void ucwa_http_free(struct ucwa_http *h)
{
    if (!h)
        return;
    if (h->multi)
        curl_multi_cleanup(h->multi);
    if (h->share) /* after every easy handle using it (the multi's connections too) */
        curl_share_cleanup(h->share);
    while (h->socks)
        sock_free(h->socks);
    if (h->timer)
        event_free(h->timer);
    free(h);
}

/* ---- one request ---------------------------------------------------------------- */

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
    struct ucwa_req *r = arg;
    size_t len = size * n;
    if (r->body_len + len > UCWA_BODY_MAX) {
        r->body_too_big = true;
        return 0; /* CURLE_WRITE_ERROR */
    }
    if (r->body_len + len + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 4096;
        while (cap < r->body_len + len + 1)
            cap *= 2;
        char *nb = realloc(r->body, cap);
        if (!nb)
            return 0;
        r->body = nb;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, p, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

/* The leaf the server presented, while curl's SSL is still alive: after
 * the transfer the connection may be gone. */
static void take_peer_cert(struct ucwa_req *r)
{
    struct curl_tlssessioninfo *ti = NULL;
    if (!r->want_peer_cert || r->peer_cert ||
        curl_easy_getinfo(r->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || !ti ||
        ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
        return;
    r->peer_cert = SSL_get1_peer_certificate((SSL *)ti->internals);
}

/* Keeps the WWW-Authenticate values of the final response. */
static size_t header_cb(char *p, size_t size, size_t n, void *arg)
{
    struct ucwa_req *r = arg;
    size_t len = size * n;
    static const char name[] = "WWW-Authenticate:";
    take_peer_cert(r);
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        r->auth_len = 0; /* a new response (after a 100): forget the last */
        if (r->auth)
            r->auth[0] = '\0';
        return len;
    }
    if (len <= sizeof(name) - 1 || strncasecmp(p, name, sizeof(name) - 1) != 0)
        return len;
    const char *v = p + sizeof(name) - 1;
    size_t vl = len - (sizeof(name) - 1);
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    size_t sep = r->auth_len ? 2 : 0;
    if (r->auth_len + sep + vl + 1 > UCWA_AUTH_HEADER_MAX)
        return len; /* beyond the bound: the challenge parser sees what fitted */
    if (!r->auth && !(r->auth = malloc(UCWA_AUTH_HEADER_MAX)))
        return 0; /* CURLE_WRITE_ERROR: out of memory */
    if (sep)
        memcpy(r->auth + r->auth_len, ", ", 2);
    memcpy(r->auth + r->auth_len + sep, v, vl);
    r->auth_len += sep + vl;
    r->auth[r->auth_len] = '\0';
    return len;
}

/* CURLOPT_SSL_CTX_FUNCTION: OpenSSL keeps a connection's 16 KB read and
 * write record buffers for its whole life unless told to free them when
 * empty; a held P-GET's connection is empty almost all the time. */
static CURLcode ssl_ctx_cb(CURL *easy, void *ctx, void *arg)
{
    (void)easy;
    (void)arg;
    SSL_CTX_set_mode((SSL_CTX *)ctx, SSL_MODE_RELEASE_BUFFERS);
    return CURLE_OK;
}

static void req_free(struct ucwa_req *r)
{
    if (r->easy)
        curl_easy_cleanup(r->easy);
    /* The Authorization line holds the token. */
    for (struct curl_slist *l = r->headers; l; l = l->next)
        OPENSSL_cleanse(l->data, strlen(l->data));
    curl_slist_free_all(r->headers);
    X509_free(r->peer_cert);
    free(r->auth);
    free(r->body);
    free(r);
}

void ucwa_req_cancel(struct ucwa_req *r)
{
    if (!r)
        return;
    curl_multi_remove_handle(r->h->multi, r->easy);
    req_free(r);
}

static int add_header(struct ucwa_req *r, const char *fmt, const char *v)
{
    char line[UCWA_AUTH_HEADER_MAX + 64];
    if ((size_t)snprintf(line, sizeof(line), fmt, v) >= sizeof(line))
        return SYNTH_ETOOBIG;
    struct curl_slist *l = curl_slist_append(r->headers, line);
    OPENSSL_cleanse(line, sizeof(line));
    if (!l)
        return SYNTH_ENOMEM;
    r->headers = l;
    return 0;
}

static int setup(struct ucwa_req *r, const struct ucwa_req_spec *sp)
{
    CURL *e = r->easy;
    int rc = add_header(r, "Accept: %s", sp->accept ? sp->accept : "application/json");
    if (rc == 0 && sp->body)
        rc = add_header(r, "Content-Type: %s", sp->content_type);
    if (rc == 0 && sp->body)
        rc = add_header(r, "Expect:%s", ""); /* no 100-continue round trip */
    if (rc == 0 && sp->bearer)
        rc = add_header(r, "Authorization: Bearer %s", sp->bearer);
    if (rc != 0)
        return rc;
    uint32_t connect_ms = sp->timeout_ms < UCWA_CONNECT_TIMEOUT_MS ? sp->timeout_ms
                                                                    : UCWA_CONNECT_TIMEOUT_MS;
    CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                             \
    do {                                                                                          \
        if (c == CURLE_OK)                                                                        \
            c = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, sp->url);
    SET(CURLOPT_PRIVATE, r);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "https,http");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_TIMEOUT_MS, (long)sp->timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    SET(CURLOPT_SHARE, r->h->share);
    SET(CURLOPT_BUFFERSIZE, (long)UCWA_RECV_BUFFER);
    SET(CURLOPT_UPLOAD_BUFFERSIZE, (long)UCWA_SEND_BUFFER);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, r);
    SET(CURLOPT_HEADERFUNCTION, header_cb);
    SET(CURLOPT_HEADERDATA, r);
    SET(CURLOPT_HTTPHEADER, r->headers);
    SET(CURLOPT_SSL_VERIFYPEER, sp->verify ? 1L : 0L);
    SET(CURLOPT_SSL_VERIFYHOST, sp->verify && !sp->no_host_check ? 2L : 0L);
    if (sp->ca_file && *sp->ca_file)
        SET(CURLOPT_CAINFO, sp->ca_file);
    if (sp->user_agent)
        SET(CURLOPT_USERAGENT, sp->user_agent);
    if (sp->fresh_connection) {
        SET(CURLOPT_FRESH_CONNECT, 1L);
        SET(CURLOPT_FORBID_REUSE, 1L);
    }
    if (sp->body) {
        /* Not COPYPOSTFIELDS: curl's copy of a form with a password would
         * outlive the request unwiped. */
        SET(CURLOPT_POSTFIELDSIZE, (long)sp->body_len);
        SET(CURLOPT_POSTFIELDS, sp->body);
    }
    if (strcmp(sp->method, "GET") != 0 && strcmp(sp->method, "POST") != 0)
        SET(CURLOPT_CUSTOMREQUEST, sp->method);
    else if (strcmp(sp->method, "POST") == 0 && !sp->body) {
        SET(CURLOPT_POSTFIELDSIZE, 0L);
        SET(CURLOPT_POSTFIELDS, "");
    }
#undef SET
    /* Only a memory saving: a TLS backend without the hook still works. */
    if (c == CURLE_OK)
        (void)curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
    return c == CURLE_OK ? 0 : SYNTH_EINVAL;
}

int ucwa_req_start(struct ucwa_req **out, struct ucwa_http *h, const struct ucwa_req_spec *sp,
                   ucwa_req_h *cb, void *arg, struct synth_error *err)
{
    struct ucwa_req *r = calloc(1, sizeof(*r));
    if (!r)
        return synth_error_set(err, SYNTH_ENOMEM, "ucwa: out of memory");
    r->h = h;
    r->cb = cb;
    r->arg = arg;
    r->start_us = clock_mono_us();
    r->want_peer_cert = sp->want_peer_cert;
    r->easy = curl_easy_init();
    int rc = r->easy ? setup(r, sp) : SYNTH_ENOMEM;
    if (rc != 0) {
        req_free(r);
        return synth_error_set(err, rc, "ucwa: cannot set up %s %.200s", sp->method, sp->url);
    }
    if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
        req_free(r);
        return synth_error_set(err, SYNTH_EINTERNAL, "ucwa: curl_multi_add_handle failed");
    }
    if (out)
        *out = r;
    return 0;
}
