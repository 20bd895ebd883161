/* The lab's UCWA service (ucwa_service.h): resources in the shapes of
 * Microsoft's UCWA 2.0 reference ("Application dashboard", "Events in
 * UCWA"), the OAuth password grant of RFC 6749 4.3, and the fault knobs
 * ucwa_app_expiry_s (an idle application is deleted, as
 * MobileUserActivityIdleTimeoutInSeconds does) and ucwa_token_expiry_s. */
#include "synth/lab/ucwa_service.h"

#include "synth/lab/lab.h"
#include "synth/lab/lab_https.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* IIS closes a client connection idle this long (connectionTimeout). */
#define UCWA_SERVICE_IDLE_S 120
/* Tokens and applications alive at once: a few per lab user under the
 * largest load test, a bound on what a misbehaving client can make us hold. */
#define UCWA_SERVICE_TOKENS_MAX 200000
#define UCWA_SERVICE_APPS_MAX 200000
#define UCWA_TOKEN_LEN 48
#define HOST_MAX 300
#define APPS_PATH "/ucwa/oauth/v1/applications"
#define USER_PATH "/Autodiscover/AutodiscoverService.svc/root/oauth/user"
#define ROOT_PATH "/Autodiscover/AutodiscoverService.svc/root"
#define TOKEN_PATH "/WebTicket/oauthtoken"
/* With the ucwa_redirect knob, users are homed on a second pool served
 * under this prefix; the first one then plays a Director and redirects. */
#define POOL2_PREFIX "/pool2"
#define GRANT_TYPES "urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"

struct token {
    char value[UCWA_TOKEN_LEN + 1];
    uint32_t user; /* 1-based */
    unsigned pool; /* that issued it (0, or 1 = POOL2_PREFIX): valid there only */
    uint64_t expires_ms;
    struct token *next;
};

/* Events waiting for the next P-GET. */
enum { PENDING_ME_UPDATED = 1, PENDING_PRESENCE_ADDED = 2 };

struct app {
    struct ucwa_service *svc;
    uint64_t id;
    uint32_t user;
    bool available;
    unsigned pending;
    uint32_t ack;                /* the number of the next batch */
    struct evhttp_request *held; /* the P-GET held, or NULL */
    struct event *hold_timer;
    struct event *expiry;
    char user_agent[64], culture[16];
    struct app *prev, *next;
};

struct ucwa_service {
    struct event_base *base;
    const struct lab_config *cfg;
    struct evhttp *http;
    uint16_t port;
    struct evhttp *plain;     /* the site's HTTP port, or NULL */
    uint16_t plain_port;
    const char *access_location; /* "Internal" or "External": which site this is */
    struct token *tokens;
    size_t token_count;
    struct app *apps;
    size_t app_count;
    uint64_t next_id;
};

/* ---- users and tokens ------------------------------------------------------------ */

/* "user0001", "user0001@<domain>" or "sip:user0001@<domain>" → 1. */
static uint32_t user_index(const struct ucwa_service *s, const char *name)
{
    if (strncasecmp(name, "sip:", 4) == 0)
        name += 4;
    const char *at = strchr(name, '@');
    if (at && strcasecmp(at + 1, s->cfg->domain) != 0)
        return 0;
    size_t len = at ? (size_t)(at - name) : strlen(name);
    if (len < 5 || len > 11 || strncmp(name, "user", 4) != 0)
        return 0;
    uint32_t n = 0;
    for (size_t i = 4; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        n = n * 10 + (uint32_t)(name[i] - '0');
    }
    return n >= 1 && n <= s->cfg->user_count ? n : 0;
}

static uint32_t token_lifetime_s(const struct ucwa_service *s)
{
    return s->cfg->faults.ucwa_token_expiry_s ? s->cfg->faults.ucwa_token_expiry_s
                                              : UCWA_SERVICE_TOKEN_S;
}

/* Drops expired tokens (on issue, so the list stays bounded by the live ones). */
static void tokens_prune(struct ucwa_service *s, uint64_t now)
{
    for (struct token **pp = &s->tokens; *pp;) {
        struct token *t = *pp;
        if (t->expires_ms <= now) {
            *pp = t->next;
            OPENSSL_cleanse(t, sizeof(*t));
            free(t);
            s->token_count--;
        } else {
            pp = &t->next;
        }
    }
}

static struct token *token_issue(struct ucwa_service *s, uint32_t user, unsigned pool)
{
    uint64_t now = lab_now_ms();
    unsigned char raw[(UCWA_TOKEN_LEN - 4) / 2];
    tokens_prune(s, now);
    if (s->token_count >= UCWA_SERVICE_TOKENS_MAX || RAND_bytes(raw, sizeof(raw)) != 1)
        return NULL;
    struct token *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    memcpy(t->value, "cwt=", 4);
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(t->value + 4 + 2 * i, 3, "%02x", raw[i]);
    t->user = user;
    t->pool = pool;
    t->expires_ms = now + (uint64_t)token_lifetime_s(s) * 1000;
    t->next = s->tokens;
    s->tokens = t;
    s->token_count++;
    return t;
}

/* The user of a live Bearer token of pool in req, or 0. */
static uint32_t auth_user(struct ucwa_service *s, struct evhttp_request *req, unsigned pool)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    if (strlen(h) != UCWA_TOKEN_LEN)
        return 0;
    uint64_t now = lab_now_ms();
    for (struct token *t = s->tokens; t; t = t->next)
        if (CRYPTO_memcmp(t->value, h, UCWA_TOKEN_LEN) == 0)
            return t->expires_ms > now && t->pool == pool ? t->user : 0;
    return 0;
}

/* ---- replies ----------------------------------------------------------------------- */

/* "https://<Host>": absolute links point where the client came in (through
 * the proxy, the proxy), as a Front End behind a reverse proxy publishes
 * its external name. A Host with anything but name characters is ignored. */
static void base_url(const struct ucwa_service *s, struct evhttp_request *req, char *out,
                     size_t size)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    bool ok = h && *h && strlen(h) < HOST_MAX;
    for (const char *p = h; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr(".-:[]", *p);
    /* The scheme the request came in by: the site's HTTPS or HTTP port. */
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    const char *scheme = bev && !bufferevent_openssl_get_ssl(bev) ? "http" : "https";
    if (ok)
        snprintf(out, size, "%s://%s", scheme, h);
    else
        snprintf(out, size, "%s://127.0.0.1:%u", scheme, s->port);
}

static json_t *link(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *link(const char *fmt, ...)
{
    char href[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(href, sizeof(href), fmt, ap);
    va_end(ap);
    return json_pack("{s:s}", "href", href);
}

static void reply_error(struct evhttp_request *req, int status, const char *code,
                        const char *subcode)
{
    lab_https_reply_json(req, status, json_pack("{s:s, s:s}", "code", code, "subcode", subcode));
}

static const char *pool_prefix(unsigned pool)
{
    return pool ? POOL2_PREFIX : "";
}

static void reply_challenge(struct ucwa_service *s, struct evhttp_request *req, unsigned pool)
{
    char base[HOST_MAX + 16], v[HOST_MAX + 256];
    base_url(s, req, base, sizeof(base));
    /* The form with a Bearer challenge first, as SfB 2015 sends it. */
    snprintf(v, sizeof(v),
             "Bearer trusted_issuers=\"\", client_id=\"00000004-0000-0ff1-ce00-000000000000\", "
             "MsRtcOAuth href=\"%s%s" TOKEN_PATH "\",grant_type=\"" GRANT_TYPES "\"",
             base, pool_prefix(pool));
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", v);
    evhttp_send_reply(req, 401, "Unauthorized", NULL);
}

/* ---- applications ---------------------------------------------------------------- */

static json_t *app_json(const struct app *a)
{
    const char *p = APPS_PATH;
    uint64_t id = a->id;
    char uri[LAB_NAME_MAX + 32];
    snprintf(uri, sizeof(uri), "sip:user%04" PRIu32 "@%s", a->user, a->svc->cfg->domain);
    json_t *me_links = json_pack("{s:o}", "self", link("%s/%" PRIu64 "/me", p, id));
    if (a->available) {
        json_object_set_new(me_links, "reportMyActivity",
                            link("%s/%" PRIu64 "/reportMyActivity", p, id));
        json_object_set_new(me_links, "presence", link("%s/%" PRIu64 "/me/presence", p, id));
    } else {
        json_object_set_new(me_links, "makeMeAvailable",
                            link("%s/%" PRIu64 "/me/makeMeAvailable", p, id));
    }
    return json_pack(
        "{s:s, s:s, s:s, s:{s:o, s:o, s:o, s:o}, s:{s:{s:s, s:s, s:o}, s:{s:s, s:{s:o}},"
        " s:{s:s, s:[], s:{s:o}}}}",
        "rel", "application", "userAgent", a->user_agent, "culture", a->culture, "_links",
        "self", link("%s/%" PRIu64, p, id), "policies", link("%s/%" PRIu64 "/policies", p, id),
        "batch", link("%s/%" PRIu64 "/batch", p, id), "events",
        link("%s/%" PRIu64 "/events?ack=%" PRIu32, p, id, a->ack), "_embedded", "me", "rel",
        "me", "uri", uri, "_links", me_links, "people", "rel", "people", "_links", "self",
        link("%s/%" PRIu64 "/people", p, id), "communication", "rel", "communication",
        "supportedModalities", "_links", "self", link("%s/%" PRIu64 "/communication", p, id));
}

/* A P-GET response: what is pending (cleared), and the next link. The
 * "me updated" event embeds the me resource, with its new links. */
static json_t *events_json(struct app *a)
{
    const char *p = APPS_PATH;
    uint64_t id = a->id;
    json_t *events = json_array();
    if (a->pending & PENDING_ME_UPDATED) {
        json_t *app = app_json(a);
        json_t *me = json_incref(json_object_get(json_object_get(app, "_embedded"), "me"));
        json_decref(app);
        json_t *l = link("%s/%" PRIu64 "/me", p, id);
        json_object_set_new(l, "rel", json_string("me"));
        json_array_append_new(events, json_pack("{s:o, s:{s:o}, s:s}", "link", l, "_embedded",
                                                "me", me, "type", "updated"));
    }
    if (a->pending & PENDING_PRESENCE_ADDED) {
        json_t *l = link("%s/%" PRIu64 "/me/presence", p, id);
        json_object_set_new(l, "rel", json_string("presence"));
        json_array_append_new(events, json_pack("{s:o, s:s}", "link", l, "type", "added"));
    }
    a->pending = 0;
    json_t *body = json_pack("{s:{s:o, s:o}}", "_links", "self",
                             link("%s/%" PRIu64 "/events?ack=%" PRIu32, p, id, a->ack), "next",
                             link("%s/%" PRIu64 "/events?ack=%" PRIu32, p, id, a->ack + 1));
    a->ack++;
    if (json_array_size(events)) {
        char href[128];
        snprintf(href, sizeof(href), "%s/%" PRIu64 "/me", p, id);
        json_object_set_new(body, "sender", json_pack("[{s:s, s:s, s:o}]", "rel", "me", "href",
                                                      href, "events", events));
    } else {
        json_decref(events);
    }
    return body;
}

static void hold_release(struct app *a, int status)
{
    struct evhttp_request *req = a->held;
    if (!req)
        return;
    a->held = NULL;
    event_del(a->hold_timer);
    if (status == 200)
        lab_https_reply_json(req, 200, events_json(a));
    else if (status == 503)
        reply_error(req, status, "ServiceUnavailable", "ServerShuttingDown");
    else
        reply_error(req, status, "NotFound", "ApplicationNotFound");
}

static void app_free(struct app *a, int held_status)
{
    struct ucwa_service *s = a->svc;
    hold_release(a, held_status);
    if (a->prev)
        a->prev->next = a->next;
    else
        s->apps = a->next;
    if (a->next)
        a->next->prev = a->prev;
    s->app_count--;
    event_free(a->hold_timer);
    event_free(a->expiry);
    free(a);
}

static void hold_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    hold_release(arg, 200); /* the server's timeout: an empty batch */
}

static void expiry_cb(evutil_socket_t fd, short what, void *arg)
{
    app_free(arg, 404);
}

/* Activity on the application: its idle clock starts again. */
static void app_touch(struct app *a)
{
    uint32_t exp = a->svc->cfg->faults.ucwa_app_expiry_s;
    if (exp) {
        struct timeval tv = {exp, 0};
        evtimer_add(a->expiry, &tv);
    }
}

static struct app *app_find(struct ucwa_service *s, uint64_t id)
{
    for (struct app *a = s->apps; a; a = a->next)
        if (a->id == id)
            return a;
    return NULL;
}

static void copy_field(json_t *body, const char *key, char *out, size_t size, const char *dflt)
{
    json_t *v = json_object_get(body, key);
    snprintf(out, size, "%s", json_is_string(v) ? json_string_value(v) : dflt);
}

static void app_create(struct ucwa_service *s, struct evhttp_request *req, uint32_t user)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    json_t *body = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, NULL);
    if (!json_is_object(body) || !json_is_string(json_object_get(body, "EndpointId"))) {
        json_decref(body);
        reply_error(req, 400, "BadRequest", "EndpointIdMissing");
        return;
    }
    struct app *a = s->app_count < UCWA_SERVICE_APPS_MAX ? calloc(1, sizeof(*a)) : NULL;
    if (a) {
        a->hold_timer = evtimer_new(s->base, hold_timer_cb, a);
        a->expiry = evtimer_new(s->base, expiry_cb, a);
    }
    if (!a || !a->hold_timer || !a->expiry) {
        if (a && a->hold_timer)
            event_free(a->hold_timer);
        if (a && a->expiry)
            event_free(a->expiry);
        free(a);
        json_decref(body);
        reply_error(req, 503, "ServiceUnavailable", "TooManyApplications");
        return;
    }
    a->svc = s;
    a->id = s->next_id++;
    a->user = user;
    a->ack = 1;
    copy_field(body, "UserAgent", a->user_agent, sizeof(a->user_agent), "unknown");
    copy_field(body, "Culture", a->culture, sizeof(a->culture), "en-US");
    json_decref(body);
    a->next = s->apps;
    if (s->apps)
        s->apps->prev = a;
    s->apps = a;
    s->app_count++;
    app_touch(a);
    lab_https_reply_json(req, 201, app_json(a));
}

/* A query parameter as a number, or dflt. */
static uint32_t query_u32(const char *query, const char *key, uint32_t dflt)
{
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    uint32_t v = dflt;
    if (query && evhttp_parse_query_str(query, &q) == 0) {
        const char *s = evhttp_find_header(&q, key);
        char *end;
        unsigned long n = s ? strtoul(s, &end, 10) : 0;
        if (s && *s && !*end && n <= UINT32_MAX)
            v = (uint32_t)n;
    }
    evhttp_clear_headers(&q);
    return v;
}

static void events_get(struct app *a, struct evhttp_request *req, const char *query)
{
    uint32_t t = query_u32(query, "timeout", UCWA_SERVICE_PGET_DEFAULT_S);
    if (t == 0)
        t = 1;
    if (t > UCWA_SERVICE_PGET_MAX_S)
        t = UCWA_SERVICE_PGET_MAX_S;
    /* A new P-GET ends the one held before (the client moved on). */
    hold_release(a, 200);
    if (a->pending) {
        lab_https_reply_json(req, 200, events_json(a));
        return;
    }
    a->held = req;
    struct timeval tv = {t, 0};
    evtimer_add(a->hold_timer, &tv);
}

/* /ucwa/oauth/v1/applications/<id>[/rest] */
static void app_request(struct ucwa_service *s, struct evhttp_request *req, const char *rest,
                        uint32_t user, const char *query)
{
    char *end;
    uint64_t id = strtoull(rest, &end, 10);
    struct app *a = end != rest ? app_find(s, id) : NULL;
    if (!a || a->user != user) {
        reply_error(req, 404, "NotFound", "ApplicationNotFound");
        return;
    }
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (strcmp(end, "/events") == 0 && m == EVHTTP_REQ_GET) {
        events_get(a, req, query); /* a P-GET is not user activity */
    app_touch(a);
        return;
    }
    if (*end == '\0' && m == EVHTTP_REQ_GET) {
        lab_https_reply_json(req, 200, app_json(a));
        return;
    }
    if (*end == '\0' && m == EVHTTP_REQ_DELETE) {
        app_free(a, 404);
        evhttp_send_reply(req, 204, "No Content", NULL);
        return;
    }
    if (strcmp(end, "/me/makeMeAvailable") == 0 && m == EVHTTP_REQ_POST) {
        if (!a->available) {
            a->available = true;
            a->pending |= PENDING_ME_UPDATED | PENDING_PRESENCE_ADDED;
            if (a->held)
                hold_release(a, 200);
        }
        evhttp_send_reply(req, 204, "No Content", NULL);
        return;
    }
    if (strcmp(end, "/reportMyActivity") == 0 && m == EVHTTP_REQ_POST) {
        if (!a->available) {
            reply_error(req, 409, "Conflict", "MakeMeAvailableRequired");
            return;
        }
        evhttp_send_reply(req, 204, "No Content", NULL);
        return;
    }
    reply_error(req, 404, "NotFound", "None");
}

/* ---- the rest ---------------------------------------------------------------------- */

/* POST oauthtoken: grant_type=password&username=..&password=.. (RFC 6749 4.3.2). */
static void token_request(struct ucwa_service *s, struct evhttp_request *req, unsigned pool)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char *form = malloc(len + 1);
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    if (!form) {
        evhttp_send_reply(req, 500, NULL, NULL);
        return;
    }
    evbuffer_remove(in, form, len);
    form[len] = '\0';
    int prc = evhttp_parse_query_str(form, &q);
    OPENSSL_cleanse(form, len);
    free(form);
    const char *gt = evhttp_find_header(&q, "grant_type");
    const char *user = evhttp_find_header(&q, "username");
    const char *pw = evhttp_find_header(&q, "password");
    uint32_t idx = prc == 0 && user ? user_index(s, user) : 0;
    size_t pl = strlen(s->cfg->password);
    bool ok = prc == 0 && gt && strcmp(gt, "password") == 0 && idx && pw && strlen(pw) == pl &&
              CRYPTO_memcmp(pw, s->cfg->password, pl) == 0;
    for (struct evkeyval *kv = q.tqh_first; kv; kv = kv->next.tqe_next)
        OPENSSL_cleanse(kv->value, strlen(kv->value));
    evhttp_clear_headers(&q);
    if (!ok) {
        lab_https_reply_json(req, 400, json_pack("{s:s}", "error", "invalid_grant"));
        return;
    }
    struct token *t = token_issue(s, idx, pool);
    if (!t) {
        reply_error(req, 503, "ServiceUnavailable", "TooManyTokens");
        return;
    }
    lab_https_reply_json(req, 200, json_pack("{s:s, s:i, s:s, s:s}", "access_token", t->value,
                                             "expires_in", (json_int_t)token_lifetime_s(s),
                                             "ms_rtc_identityscope", "local", "token_type",
                                             "Bearer"));
}

/* The Autodiscover document proper ([MS-OCDISCWS] 2.2), asked for by its
 * media type: AccessLocation says which site the request came through
 * (Lync Server 2013, "Understanding Autodiscover"), which is how a port's
 * site is told from outside (synth/web/web_identity.h). */
#define AUTODISCOVER_JSON "application/vnd.microsoft.rtc.autodiscover+json"
#define AUTODISCOVER_XML "application/vnd.microsoft.rtc.autodiscover+xml"

static bool autodiscover_document(struct ucwa_service *s, struct evhttp_request *req,
                                  const char *base)
{
    const char *accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
    bool json = accept && strstr(accept, AUTODISCOVER_JSON);
    if (!json && !(accept && strstr(accept, AUTODISCOVER_XML)))
        return false;
    char text[4 * HOST_MAX + 512];
    if (json) {
        snprintf(text, sizeof(text),
                 "{\"AccessLocation\":\"%s\",\"Root\":{\"Links\":["
                 "{\"token\":\"Domain\",\"href\":\"%s" ROOT_PATH "/domain\"},"
                 "{\"token\":\"User\",\"href\":\"%s" ROOT_PATH "/user\"}]}}",
                 s->access_location, base, base);
        lab_https_reply(req, 200, AUTODISCOVER_JSON "; v=1; charset=utf-8", text);
    } else {
        snprintf(text, sizeof(text),
                 "<?xml version=\"1.0\" encoding=\"utf-8\"?><AutodiscoverResponse "
                 "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
                 "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                 "AccessLocation=\"%s\"><Root><Link token=\"Domain\" href=\"%s" ROOT_PATH
                 "/domain\"/><Link token=\"User\" href=\"%s" ROOT_PATH
                 "/user\"/></Root></AutodiscoverResponse>",
                 s->access_location, base, base);
        lab_https_reply(req, 200, AUTODISCOVER_XML "; v=1; charset=utf-8", text);
    }
    return true;
}

static void root_request(struct ucwa_service *s, struct evhttp_request *req)
{
    char base[HOST_MAX + 16];
    base_url(s, req, base, sizeof(base));
    if (autodiscover_document(s, req, base))
        return;
    lab_https_reply_json(req, 200,
                         json_pack("{s:{s:o, s:o, s:o}}", "_links", "self",
                                   link("%s" ROOT_PATH, base), "user", link("%s" USER_PATH, base),
                                   "xframe", link("%s/Autodiscover/XFrame/XFrame.html", base)));
}

static void request_cb(struct evhttp_request *req, void *arg)
{
    struct ucwa_service *s = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    lab_https_nodelay(evhttp_request_get_connection(req));
    if (!path) {
        reply_error(req, 400, "BadRequest", "None");
        return;
    }
    /* Autodiscover paths are case-insensitive on IIS. */
    if (m == EVHTTP_REQ_GET && (strcmp(path, "/") == 0 || strcasecmp(path, ROOT_PATH) == 0)) {
        root_request(s, req);
        return;
    }
    /* The pool a request is for; applications live on the users' home pool. */
    unsigned pool = 0;
    size_t pl = strlen(POOL2_PREFIX);
    if (strncasecmp(path, POOL2_PREFIX "/", pl + 1) == 0) {
        pool = 1;
        path += pl;
    }
    unsigned home = s->cfg->faults.ucwa_redirect ? 1 : 0;
    if (pool > home) { /* no second pool without the knob */
        reply_error(req, 404, "NotFound", "None");
        return;
    }
    if (m == EVHTTP_REQ_POST && strcasecmp(path, TOKEN_PATH) == 0) {
        token_request(s, req, pool);
        return;
    }
    if (m == EVHTTP_REQ_GET && strcasecmp(path, USER_PATH) == 0) {
        if (!auth_user(s, req, pool)) {
            reply_challenge(s, req, pool);
            return;
        }
        char base[HOST_MAX + 16];
        base_url(s, req, base, sizeof(base));
        /* Not the home pool (a Director): send the client there, where it
         * must get a token of its own. */
        if (pool != home)
            lab_https_reply_json(req, 200,
                                 json_pack("{s:{s:o, s:o}}", "_links", "self", link(USER_PATH),
                                           "redirect",
                                           link("%s" POOL2_PREFIX USER_PATH, base)));
        else
            lab_https_reply_json(req, 200,
                                 json_pack("{s:{s:o, s:o}}", "_links", "self", link(USER_PATH),
                                           "applications", link("%s" APPS_PATH, base)));
        return;
    }
    uint32_t user = pool == 0 ? auth_user(s, req, home) : 0;
    size_t n = strlen(APPS_PATH);
    if (strncmp(path, APPS_PATH, n) == 0) {
        if (!user) {
            reply_challenge(s, req, home);
            return;
        }
        if (path[n] == '\0' && m == EVHTTP_REQ_POST) {
            app_create(s, req, user);
            return;
        }
        if (path[n] == '/') {
            app_request(s, req, path + n + 1, user, query);
            return;
        }
    }
    reply_error(req, 404, "NotFound", "None");
}

int ucwa_service_start(struct ucwa_service **out, struct event_base *base,
                       const struct ucwa_service_opts *o, struct synth_error *err)
{
    struct ucwa_service *s = calloc(1, sizeof(*s));
    if (!s)
        return synth_error_set(err, SYNTH_ENOMEM, "ucwa service: out of memory");
    s->base = base;
    s->cfg = o->cfg;
    /* Application ids that do not start at 1, so a client cannot lean on them. */
    unsigned char r[4];
    s->next_id = 100000 + (RAND_bytes(r, sizeof(r)) == 1 ? (uint64_t)r[0] << 16 | r[1] << 8 | r[2] : 0);
    int rc = lab_https_listen(&s->http, base, o->server_ctx, o->cfg->listen_host, o->port,
                              UCWA_SERVICE_IDLE_S, &s->port, "ucwa service", err);
    if (rc != 0) {
        free(s);
        return rc;
    }
    evhttp_set_gencb(s->http, request_cb, s);
    s->access_location = o->internal ? "Internal" : "External";
    if (o->http) {
        rc = lab_https_listen(&s->plain, base, NULL, o->cfg->listen_host, 0, UCWA_SERVICE_IDLE_S,
                              &s->plain_port, "web site (http)", err);
        if (rc != 0) {
            ucwa_service_free(s);
            return rc;
        }
        evhttp_set_gencb(s->plain, request_cb, s);
    }
    *out = s;
    return 0;
}

uint16_t ucwa_service_http_port(const struct ucwa_service *s)
{
    return s->plain_port;
}

uint16_t ucwa_service_port(const struct ucwa_service *s)
{
    return s->port;
}

void ucwa_service_free(struct ucwa_service *s)
{
    if (!s)
        return;
    /* Held P-GETs are answered (503) before their connections go. */
    while (s->apps)
        app_free(s->apps, 503);
    evhttp_free(s->http);
    if (s->plain)
        evhttp_free(s->plain);
    while (s->tokens) {
        struct token *t = s->tokens;
        s->tokens = t->next;
        OPENSSL_cleanse(t, sizeof(*t));
        free(t);
    }
    free(s);
}
