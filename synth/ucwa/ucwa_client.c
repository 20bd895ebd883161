/* A user's UCWA session (ucwa_client.h): the sign-in sequence of
 * PROTOCOLS.md "UCWA" as a small state machine over ucwa_http requests,
 * one command request at a time plus the event channel beside it. */
#include "synth/ucwa/ucwa_client.h"

#include "synth/base/clock.h"
#include "synth/ucwa/ucwa_challenge.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UCWA_DEFAULT_TIMEOUT_MS 15000
#define UCWA_DEFAULT_CULTURE "en-US"
/* The UCWA media type; servers accept plain JSON too (PROTOCOLS.md). */
#define UCWA_JSON_TYPE "application/json"
#define UCWA_FORM_TYPE "application/x-www-form-urlencoded;charset=UTF-8"

enum ucwa_op {
    OP_NONE,
    OP_DISCOVER,
    OP_USER_ANON,   /* GET user, expecting the 401 challenge */
    OP_TOKEN,       /* POST the password grant */
    OP_USER_BEARER, /* GET user with the token */
    OP_CREATE_APP,
    OP_AVAILABLE,
    OP_REPORT,
    OP_SIGNOUT,
};

struct ucwa_session {
    struct ucwa_http *h;
    char *discover_url, *username, *password, *ca_file, *user_agent, *culture;
    bool verify, fresh;
    uint32_t timeout_ms;

    char user_url[UCWA_URL_MAX];
    char token_url[UCWA_URL_MAX];
    char token[UCWA_TOKEN_MAX];
    uint32_t expires_in;
    char applications_url[UCWA_URL_MAX];
    struct ucwa_application app;
    bool have_app;

    /* The command in flight. */
    enum ucwa_op op;
    struct ucwa_req *cmd;
    char *form; /* the token POST's body: holds the password, wiped after */
    size_t form_len;
    char *json; /* other POST bodies */
    ucwa_done_h *cb;
    void *arg;
    int64_t start_us;
    unsigned requests, hops, connects;

    /* The event channel. */
    struct ucwa_req *ev_req;
    ucwa_events_h *ev_cb;
    void *ev_arg;
    uint32_t ev_timeout_s;
    char ev_url[UCWA_URL_MAX];
};

void ucwa_session_opts_defaults(struct ucwa_session_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->verify = true;
    o->timeout_ms = UCWA_DEFAULT_TIMEOUT_MS;
}

static void wipe_free(char *p)
{
    if (p)
        OPENSSL_cleanse(p, strlen(p));
    free(p);
}

static char *dup_or(const char *s, const char *dflt)
{
    return strdup(s && *s ? s : dflt);
}

int ucwa_session_new(struct ucwa_session **out, struct ucwa_http *h,
                     const struct ucwa_session_opts *o, struct synth_error *err)
{
    if (!o->discover_url || !o->username || !o->password)
        return synth_error_set(err, SYNTH_EINVAL, "ucwa: discover_url, username and password needed");
    struct ucwa_session *s = calloc(1, sizeof(*s));
    if (!s)
        return synth_error_set(err, SYNTH_ENOMEM, "ucwa: out of memory");
    s->h = h;
    s->discover_url = strdup(o->discover_url);
    s->username = strdup(o->username);
    s->password = strdup(o->password);
    s->ca_file = dup_or(o->ca_file, "");
    s->user_agent = dup_or(o->user_agent, "synth/" SYNTH_VERSION);
    s->culture = dup_or(o->culture, UCWA_DEFAULT_CULTURE);
    s->verify = o->verify;
    s->fresh = o->fresh_connection;
    s->timeout_ms = o->timeout_ms ? o->timeout_ms : UCWA_DEFAULT_TIMEOUT_MS;
    if (!s->discover_url || !s->username || !s->password || !s->ca_file || !s->user_agent ||
        !s->culture) {
        ucwa_session_free(s);
        return synth_error_set(err, SYNTH_ENOMEM, "ucwa: out of memory");
    }
    *out = s;
    return 0;
}

static void cmd_clear(struct ucwa_session *s)
{
    if (s->form)
        OPENSSL_cleanse(s->form, s->form_len);
    free(s->form);
    s->form = NULL;
    free(s->json);
    s->json = NULL;
    s->op = OP_NONE;
    s->cmd = NULL;
}

void ucwa_session_free(struct ucwa_session *s)
{
    if (!s)
        return;
    ucwa_req_cancel(s->cmd);
    ucwa_req_cancel(s->ev_req);
    cmd_clear(s);
    wipe_free(s->password);
    OPENSSL_cleanse(s->token, sizeof(s->token));
    free(s->discover_url);
    free(s->username);
    free(s->ca_file);
    free(s->user_agent);
    free(s->culture);
    free(s);
}

/* ---- finishing an operation ------------------------------------------------------ */

/* The err of a failed operation, for callers that only look at err. */
static int fail_err(enum ucwa_fail f)
{
    switch (f) {
    case UCWA_FAIL_NONE:
        return 0;
    case UCWA_FAIL_TIMEOUT:
        return SYNTH_ETIMEDOUT;
    case UCWA_FAIL_AUTH_REFUSED:
        return SYNTH_EAUTH;
    case UCWA_FAIL_TLS:
        return SYNTH_ETLS;
    case UCWA_FAIL_BAD_JSON:
        return SYNTH_EPARSE;
    case UCWA_FAIL_APP_GONE:
    case UCWA_FAIL_DNS:
        return SYNTH_ENOTFOUND;
    case UCWA_FAIL_CONNECT:
        return SYNTH_ECONNREFUSED;
    case UCWA_FAIL_CLOSED:
        return SYNTH_ECLOSED;
    case UCWA_FAIL_HTTP_STATUS:
        break;
    }
    return SYNTH_EIO;
}

static void op_done(struct ucwa_session *s, int err, enum ucwa_fail fail, long status,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Ends the command with its result; the session may be gone afterwards. */
static void op_done(struct ucwa_session *s, int err, enum ucwa_fail fail, long status,
                    const char *fmt, ...)
{
    struct ucwa_result r = {
        .fail = fail, .status = status, .requests = s->requests, .connects = s->connects};
    r.latency_us = clock_mono_us() - s->start_us;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r.detail, sizeof(r.detail), fmt, ap);
        va_end(ap);
    }
    if (err == 0)
        err = fail_err(fail);
    ucwa_done_h *cb = s->cb;
    void *arg = s->arg;
    cmd_clear(s);
    cb(err, &r, arg);
}

/* A status that is not the one expected, classified by what it means here. */
static enum ucwa_fail status_class(struct ucwa_session *s, long status)
{
    bool app_scoped = s->op == OP_AVAILABLE || s->op == OP_REPORT || s->op == OP_SIGNOUT;
    if (app_scoped && (status == 404 || status == 410))
        return UCWA_FAIL_APP_GONE;
    if (status == 401 || status == 403)
        return UCWA_FAIL_AUTH_REFUSED;
    if (s->op == OP_TOKEN && status == 400) /* RFC 6749 5.2 invalid_grant */
        return UCWA_FAIL_AUTH_REFUSED;
    return UCWA_FAIL_HTTP_STATUS;
}

static const char *op_name(enum ucwa_op op)
{
    static const char *const n[] = {"", "autodiscover", "user", "token", "user", "application",
                                    "makeMeAvailable", "reportMyActivity", "sign-out"};
    return n[op];
}

/* ---- requests -------------------------------------------------------------------- */

static void cmd_response(const struct ucwa_resp *r, void *arg);

static int cmd_send(struct ucwa_session *s, enum ucwa_op op, const char *method, const char *url,
                    const char *ctype, const char *body, size_t body_len, bool bearer,
                    struct synth_error *err)
{
    struct ucwa_req_spec sp = {
        .method = method,
        .url = url,
        .content_type = ctype,
        .body = body,
        .body_len = body_len,
        .bearer = bearer ? s->token : NULL,
        .user_agent = s->user_agent,
        .ca_file = s->ca_file,
        .verify = s->verify,
        .timeout_ms = s->timeout_ms,
        .fresh_connection = s->fresh,
    };
    s->op = op;
    s->requests++;
    return ucwa_req_start(&s->cmd, s->h, &sp, cmd_response, s, err);
}

/* Starts the next request of a running operation; on failure ends it. */
static void cmd_next(struct ucwa_session *s, enum ucwa_op op, const char *method, const char *url,
                     const char *ctype, const char *body, size_t body_len, bool bearer)
{
    struct synth_error e = {{0}};
    int rc = cmd_send(s, op, method, url, ctype, body, body_len, bearer, &e);
    if (rc != 0)
        op_done(s, rc, UCWA_FAIL_NONE, 0, "%s", e.msg);
}

static int op_begin(struct ucwa_session *s, ucwa_done_h *cb, void *arg)
{
    if (s->op != OP_NONE)
        return SYNTH_EINVAL;
    s->cb = cb;
    s->arg = arg;
    s->start_us = clock_mono_us();
    s->requests = 0;
    s->hops = 0;
    s->connects = 0;
    return 0;
}

/* The first request of an operation: its failure returns without a callback. */
static int op_start(struct ucwa_session *s, enum ucwa_op op, const char *method, const char *url,
                    const char *ctype, const char *body, size_t body_len, bool bearer)
{
    int rc = cmd_send(s, op, method, url, ctype, body, body_len, bearer, NULL);
    if (rc != 0)
        cmd_clear(s);
    return rc;
}

/* ---- sign-in steps ----------------------------------------------------------------- */

static void on_challenge(struct ucwa_session *s, const struct ucwa_resp *r)
{
    struct ucwa_challenge ch;
    int rc = ucwa_challenge_parse(&ch, r->www_authenticate, strlen(r->www_authenticate));
    if (rc != 0) {
        op_done(s, 0, UCWA_FAIL_AUTH_REFUSED, r->status,
                "user: 401 without a usable MsRtcOAuth challenge (%s)",
                rc == SYNTH_ENOTFOUND ? "none offered" : "malformed");
        return;
    }
    if (!ch.password_grant) {
        op_done(s, 0, UCWA_FAIL_AUTH_REFUSED, r->status,
                "user: the server does not offer the password grant");
        return;
    }
    char href[UCWA_URL_MAX];
    if (strv_copy(ch.href, href, sizeof(href)) != 0 ||
        ucwa_url_resolve(s->user_url, href, s->token_url, sizeof(s->token_url)) != 0) {
        op_done(s, 0, UCWA_FAIL_BAD_JSON, r->status, "user: unusable MsRtcOAuth href");
        return;
    }

    /* RFC 6749 4.3.2, form-encoded (RFC 6749 appendix B). */
    char *u = curl_easy_escape(NULL, s->username, 0);
    char *p = curl_easy_escape(NULL, s->password, 0);
    if (u && p) {
        size_t n = strlen(u) + strlen(p) + 64;
        s->form = malloc(n);
        if (s->form)
            s->form_len = (size_t)snprintf(s->form, n, "grant_type=password&username=%s&password=%s",
                                           u, p);
    }
    if (p)
        OPENSSL_cleanse(p, strlen(p));
    curl_free(u);
    curl_free(p);
    if (!s->form) {
        op_done(s, SYNTH_ENOMEM, UCWA_FAIL_NONE, 0, "token: out of memory");
        return;
    }
    cmd_next(s, OP_TOKEN, "POST", s->token_url, UCWA_FORM_TYPE, s->form, s->form_len, false);
}

static void on_token(struct ucwa_session *s, const struct ucwa_resp *r)
{
    struct ucwa_token t;
    struct synth_error e = {{0}};
    if (ucwa_json_token(&t, r->body, r->body_len, &e) != 0) {
        op_done(s, 0, UCWA_FAIL_BAD_JSON, r->status, "%s", e.msg);
        return;
    }
    memcpy(s->token, t.access_token, sizeof(s->token));
    OPENSSL_cleanse(&t, sizeof(t));
    s->expires_in = t.expires_in;
    /* The form held the password: gone before the next request. */
    OPENSSL_cleanse(s->form, s->form_len);
    free(s->form);
    s->form = NULL;
    cmd_next(s, OP_USER_BEARER, "GET", s->user_url, NULL, NULL, 0, true);
}

static void on_user(struct ucwa_session *s, const struct ucwa_resp *r)
{
    struct ucwa_user u;
    struct synth_error e = {{0}};
    if (ucwa_json_user(&u, s->user_url, r->body, r->body_len, &e) != 0) {
        op_done(s, 0, UCWA_FAIL_BAD_JSON, r->status, "%s", e.msg);
        return;
    }
    if (u.applications[0]) {
        snprintf(s->applications_url, sizeof(s->applications_url), "%s", u.applications);
        op_done(s, 0, UCWA_FAIL_NONE, r->status, NULL);
        return;
    }
    /* Homed elsewhere: the home pool issues its own token, so start again
     * from its challenge. */
    if (++s->hops > UCWA_REDIRECTS_MAX) {
        op_done(s, 0, UCWA_FAIL_HTTP_STATUS, r->status,
                "user: more than %d redirects to a home pool", UCWA_REDIRECTS_MAX);
        return;
    }
    snprintf(s->user_url, sizeof(s->user_url), "%s", u.redirect);
    OPENSSL_cleanse(s->token, sizeof(s->token));
    cmd_next(s, OP_USER_ANON, "GET", s->user_url, NULL, NULL, 0, false);
}

static void on_application(struct ucwa_session *s, const struct ucwa_resp *r)
{
    struct synth_error e = {{0}};
    const char *base = s->op == OP_CREATE_APP ? s->applications_url : s->app.self;
    if (ucwa_json_application(&s->app, base, r->body, r->body_len, &e) != 0) {
        s->have_app = false;
        op_done(s, 0, UCWA_FAIL_BAD_JSON, r->status, "%s", e.msg);
        return;
    }
    s->have_app = true;
    op_done(s, 0, UCWA_FAIL_NONE, r->status, NULL);
}

/* Statuses each request expects; anything else is classified. */
static bool status_ok(enum ucwa_op op, long st)
{
    switch (op) {
    case OP_USER_ANON:
        return st == 401 || st == 200;
    case OP_CREATE_APP:
        return st == 201 || st == 200; /* 200: an existing instance (UCWA multi-tab) */
    case OP_AVAILABLE:
    case OP_REPORT:
    case OP_SIGNOUT:
        return st == 204 || st == 200;
    default:
        return st == 200;
    }
}

static void cmd_response(const struct ucwa_resp *r, void *arg)
{
    struct ucwa_session *s = arg;
    s->cmd = NULL; /* freed by ucwa_http after this call */
    s->connects += r->connects;
    if (r->fail != UCWA_FAIL_NONE) {
        op_done(s, 0, r->fail, 0, "%s: %s", op_name(s->op), r->detail);
        return;
    }
    if (!status_ok(s->op, r->status)) {
        op_done(s, 0, status_class(s, r->status), r->status, "%s: HTTP %ld",
                op_name(s->op), r->status);
        return;
    }
    switch (s->op) {
    case OP_DISCOVER: {
        struct ucwa_root root;
        struct synth_error e = {{0}};
        if (ucwa_json_root(&root, s->discover_url, r->body, r->body_len, &e) != 0) {
            op_done(s, 0, UCWA_FAIL_BAD_JSON, r->status, "%s", e.msg);
            return;
        }
        snprintf(s->user_url, sizeof(s->user_url), "%s", root.user);
        op_done(s, 0, UCWA_FAIL_NONE, r->status, NULL);
        return;
    }
    case OP_USER_ANON:
        if (r->status == 200) { /* already authorized (anonymous access): read it */
            on_user(s, r);
            return;
        }
        on_challenge(s, r);
        return;
    case OP_TOKEN:
        on_token(s, r);
        return;
    case OP_USER_BEARER:
        on_user(s, r);
        return;
    case OP_CREATE_APP:
        on_application(s, r);
        return;
    case OP_SIGNOUT:
        s->have_app = false;
        memset(&s->app, 0, sizeof(s->app));
        op_done(s, 0, UCWA_FAIL_NONE, r->status, NULL);
        return;
    case OP_AVAILABLE:
    case OP_REPORT:
    case OP_NONE:
        break;
    }
    op_done(s, 0, UCWA_FAIL_NONE, r->status, NULL);
}

/* ---- the operations -------------------------------------------------------------- */

int ucwa_discover(struct ucwa_session *s, ucwa_done_h *cb, void *arg)
{
    int rc = op_begin(s, cb, arg);
    return rc ? rc : op_start(s, OP_DISCOVER, "GET", s->discover_url, NULL, NULL, 0, false);
}

int ucwa_sign_in(struct ucwa_session *s, ucwa_done_h *cb, void *arg)
{
    if (!s->user_url[0])
        return SYNTH_ENOTFOUND; /* discover first */
    int rc = op_begin(s, cb, arg);
    return rc ? rc : op_start(s, OP_USER_ANON, "GET", s->user_url, NULL, NULL, 0, false);
}

/* An RFC 4122 version 4 UUID: each application a new endpoint. */
static int uuid_v4(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return SYNTH_EINTERNAL;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return 0;
}

int ucwa_create_application(struct ucwa_session *s, ucwa_done_h *cb, void *arg)
{
    if (!s->applications_url[0])
        return SYNTH_ENOTFOUND; /* sign in first */
    int rc = op_begin(s, cb, arg);
    if (rc)
        return rc;
    char id[37];
    if (uuid_v4(id) != 0)
        return SYNTH_EINTERNAL;
    json_t *o = json_pack("{s:s, s:s, s:s}", "UserAgent", s->user_agent, "EndpointId", id,
                          "Culture", s->culture);
    s->json = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s->json)
        return SYNTH_ENOMEM;
    return op_start(s, OP_CREATE_APP, "POST", s->applications_url, UCWA_JSON_TYPE, s->json,
                    strlen(s->json), true);
}

int ucwa_make_me_available(struct ucwa_session *s, ucwa_done_h *cb, void *arg)
{
    static const char body[] = "{\"SupportedModalities\":[\"Messaging\"]}";
    if (!s->have_app || !s->app.make_me_available[0])
        return SYNTH_ENOTFOUND;
    int rc = op_begin(s, cb, arg);
    return rc ? rc
              : op_start(s, OP_AVAILABLE, "POST", s->app.make_me_available, UCWA_JSON_TYPE, body,
                         sizeof(body) - 1, true);
}

int ucwa_report_activity(struct ucwa_session *s, ucwa_done_h *cb, void *arg)
{
    if (!s->have_app || !s->app.report_my_activity[0])
        return SYNTH_ENOTFOUND;
    int rc = op_begin(s, cb, arg);
    return rc ? rc
              : op_start(s, OP_REPORT, "POST", s->app.report_my_activity, UCWA_JSON_TYPE, NULL, 0,
                         true);
}

int ucwa_sign_out(struct ucwa_session *s, ucwa_done_h *cb, void *arg)
{
    if (!s->have_app)
        return SYNTH_ENOTFOUND;
    int rc = op_begin(s, cb, arg);
    return rc ? rc : op_start(s, OP_SIGNOUT, "DELETE", s->app.self, NULL, NULL, 0, true);
}

/* ---- the event channel ------------------------------------------------------------ */

static void ev_response(const struct ucwa_resp *r, void *arg);

/* The next P-GET: the server's link as given, plus our timeout unless the
 * link already names one ("Event channel details": never rewrite ack=). */
static int ev_send(struct ucwa_session *s, struct synth_error *err)
{
    char url[UCWA_URL_MAX + 32];
    const char *link = s->ev_url;
    if (strstr(link, "timeout=")) {
        snprintf(url, sizeof(url), "%s", link);
    } else if ((size_t)snprintf(url, sizeof(url), "%s%stimeout=%u", link,
                                strchr(link, '?') ? "&" : "?", s->ev_timeout_s) >= sizeof(url)) {
        return synth_error_set(err, SYNTH_ETOOBIG, "events: link too long");
    }
    struct ucwa_req_spec sp = {
        .method = "GET",
        .url = url,
        .bearer = s->token,
        .user_agent = s->user_agent,
        .ca_file = s->ca_file,
        .verify = s->verify,
        .timeout_ms = s->ev_timeout_s * 1000 + UCWA_EVENTS_MARGIN_MS,
        .fresh_connection = s->fresh,
    };
    return ucwa_req_start(&s->ev_req, s->h, &sp, ev_response, s, err);
}

static void ev_stop_with(struct ucwa_session *s, int err, enum ucwa_fail fail,
                         const struct ucwa_resp *r, const char *detail)
{
    struct ucwa_result res = {
        .fail = fail, .status = r ? r->status : 0, .requests = 1, .connects = r ? r->connects : 0};
    res.latency_us = r ? r->elapsed_us : 0;
    snprintf(res.detail, sizeof(res.detail), "events: %s", detail);
    if (err == 0)
        err = fail_err(fail);
    s->ev_req = NULL;
    (void)s->ev_cb(err, &res, NULL, s->ev_arg);
}

static void ev_response(const struct ucwa_resp *r, void *arg)
{
    struct ucwa_session *s = arg;
    char detail[UCWA_DETAIL_MAX + 32];
    struct synth_error e = {{0}};
    s->ev_req = NULL;
    if (r->fail != UCWA_FAIL_NONE) {
        ev_stop_with(s, 0, r->fail, r, r->detail);
        return;
    }
    if (r->status != 200) {
        enum ucwa_fail f = r->status == 404 || r->status == 410 ? UCWA_FAIL_APP_GONE
                           : r->status == 401 || r->status == 403 ? UCWA_FAIL_AUTH_REFUSED
                                                                  : UCWA_FAIL_HTTP_STATUS;
        snprintf(detail, sizeof(detail), "HTTP %ld", r->status);
        ev_stop_with(s, 0, f, r, detail);
        return;
    }
    /* A batch lives for its callback only: 7.7 KB per held session
     * otherwise (docs/PERFORMANCE.md, "UCWA sessions"); too large for the
     * loop's stack. */
    struct ucwa_events *ev = malloc(sizeof(*ev));
    if (!ev) {
        ev_stop_with(s, SYNTH_ENOMEM, UCWA_FAIL_NONE, r, "out of memory");
        return;
    }
    if (ucwa_json_events(ev, s->ev_url, r->body, r->body_len, &e) != 0) {
        free(ev);
        ev_stop_with(s, 0, UCWA_FAIL_BAD_JSON, r, e.msg);
        return;
    }
    if (ev->report_my_activity[0])
        snprintf(s->app.report_my_activity, sizeof(s->app.report_my_activity), "%s",
                 ev->report_my_activity);
    struct ucwa_result res = {
        .status = r->status, .latency_us = r->elapsed_us, .requests = 1, .connects = r->connects};
    if (!s->ev_cb(0, &res, ev, s->ev_arg)) {
        free(ev);
        return; /* stopped; s may be gone */
    }
    bool resync = !ev->next[0];
    if (!resync)
        snprintf(s->ev_url, sizeof(s->ev_url), "%s", ev->next);
    free(ev);
    if (resync) {
        ev_stop_with(s, 0, UCWA_FAIL_HTTP_STATUS, r,
                     "resync asked (GET the application again): not followed");
        return;
    }
    if (ev_send(s, &e) != 0)
        ev_stop_with(s, SYNTH_ENOMEM, UCWA_FAIL_NONE, NULL, e.msg);
}

int ucwa_events_start(struct ucwa_session *s, uint32_t timeout_s, ucwa_events_h *batch, void *arg)
{
    if (!s->have_app)
        return SYNTH_ENOTFOUND;
    if (s->ev_req || timeout_s == 0 || timeout_s > UCWA_EVENTS_TIMEOUT_MAX_S)
        return SYNTH_EINVAL;
    s->ev_cb = batch;
    s->ev_arg = arg;
    s->ev_timeout_s = timeout_s;
    snprintf(s->ev_url, sizeof(s->ev_url), "%s", s->app.events);
    return ev_send(s, NULL);
}

void ucwa_events_stop(struct ucwa_session *s)
{
    ucwa_req_cancel(s->ev_req);
    s->ev_req = NULL;
}

const struct ucwa_application *ucwa_session_application(const struct ucwa_session *s)
{
    return &s->app;
}

const char *ucwa_session_applications_url(const struct ucwa_session *s)
{
    return s->applications_url;
}

uint32_t ucwa_session_token_expires_in(const struct ucwa_session *s)
{
    return s->expires_in;
}
