/* A SIP user agent's client side: connection, client transactions with
 * RFC 3261 17.1 timers, and dispatch of what arrives. */
#include "ua.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3261 8.1.1.7: branches start with the magic cookie. */
#define BRANCH_COOKIE "z9hG4bK"
#define BRANCH_MAX 48

enum ctrans_state {
    CTRANS_CALLING,    /* INVITE: Calling, non-INVITE: Trying */
    CTRANS_PROCEEDING, /* a provisional response arrived */
    CTRANS_COMPLETED,  /* INVITE over UDP after a non-2xx: absorbing retransmissions */
};

struct sip_ctrans {
    struct sip_ctrans *next, *prev;
    struct sip_ua *ua;
    enum ctrans_state state;
    bool invite;
    char method[16];
    char branch[BRANCH_MAX];
    char *req;            /* the request as sent, for retransmission, ACK and CANCEL */
    size_t req_len;
    size_t req_cap;
    char *ack;            /* ACK for a non-2xx final, kept to answer retransmissions */
    size_t ack_len;
    uint32_t interval_ms; /* current retransmission interval (Timer A/E) */
    struct event *retrans;
    struct event *timeout; /* Timer B/F, then Timer D */
    sip_resp_h *h;
    void *arg;
};

struct sip_ua {
    struct event_base *base;
    struct sip_conn *conn;
    bool connected;
    bool reliable;
    struct sip_timers timers;
    struct sip_ctrans *trans;
    /* The last finished transaction, kept with its two timers and request
     * buffer for the next one: a call makes two (INVITE, BYE), and their
     * calloc, mallocs and evtimer_new / event_free were ~4 % of synth's CPU
     * at 2000 calls/s. */
    struct sip_ctrans *spare;
    char contact[256];
    char contact_user[128];
    char local_host[64];
    uint16_t local_port;
    char via_prefix[128];   /* "SIP/2.0/UDP host:port;branch=", made once on connect */
    size_t via_prefix_len;
    void (*connected_h)(int err, void *arg);
    sip_ua_closed_h *closed_h;
    void *arg;
    sip_req_h *req_h;
    void *req_arg;
    sip_trace_h *trace_h;
    void *trace_arg;
    struct sip_ua_auth auth;
};

/* Header lines sign writes for one request: an NTLM Authorization with
 * its token or signature fits in SIPAE_TOKEN_MAX plus the names. */
#define UA_AUTH_LINE_MAX 8192

/* Lets auth.sign add its lines to the request in buf (len bytes of cap),
 * after the request line: what it signs is the request as built. */
static int ua_sign(struct sip_ua *ua, char *buf, size_t *len, size_t cap)
{
    if (!ua->auth.sign || (ua->auth.signing && !ua->auth.signing(ua->auth.arg)))
        return 0;
    static _Thread_local char line[UA_AUTH_LINE_MAX];
    struct sip_msg req;
    struct sbuf sb;
    size_t used = 0;
    int rc = sip_msg_parse(&req, buf, *len, false, &used);
    if (rc != 0)
        return rc;
    sbuf_init(&sb, line, sizeof(line));
    rc = ua->auth.sign(&req, &sb, ua->auth.arg);
    if (rc == 0)
        rc = sbuf_result(&sb);
    if (rc != 0 || sb.len == 0)
        return rc;
    const char *nl = memchr(buf, '\n', *len);
    if (!nl || *len + sb.len > cap)
        return nl ? SYNTH_ETOOBIG : SYNTH_EINTERNAL;
    size_t head = (size_t)(nl + 1 - buf);
    memmove(buf + head + sb.len, buf + head, *len - head);
    memcpy(buf + head, line, sb.len);
    *len += sb.len;
    return 0;
}

void sip_ua_set_auth(struct sip_ua *ua, const struct sip_ua_auth *auth)
{
    if (auth)
        ua->auth = *auth;
    else
        memset(&ua->auth, 0, sizeof(ua->auth));
}

static void trace(struct sip_ua *ua, bool sent, const char *buf, size_t len)
{
    if (ua->trace_h)
        ua->trace_h(sent, buf, len, ua->trace_arg);
}

static int ua_send(struct sip_ua *ua, const char *buf, size_t len)
{
    trace(ua, true, buf, len);
    return sip_conn_send(ua->conn, buf, len, NULL);
}

static void ctrans_free(struct sip_ctrans *t)
{
    if (t->retrans)
        event_free(t->retrans);
    if (t->timeout)
        event_free(t->timeout);
    free(t->req);
    free(t->ack);
    free(t);
}

static void ctrans_destroy(struct sip_ctrans *t)
{
    struct sip_ua *ua = t->ua;
    if (t->prev)
        t->prev->next = t->next;
    else
        ua->trans = t->next;
    if (t->next)
        t->next->prev = t->prev;
    if (ua->spare) {
        ctrans_free(t);
        return;
    }
    event_del(t->retrans);
    event_del(t->timeout);
    free(t->ack);
    t->ack = NULL;
    ua->spare = t;
}

static void retrans_cb(evutil_socket_t fd, short what, void *arg);
static void timeout_cb(evutil_socket_t fd, short what, void *arg);

/* A transaction with its timers and a request buffer of at least len bytes:
 * the spare, or a new one. The timers' argument is the transaction itself. */
static struct sip_ctrans *ctrans_alloc(struct sip_ua *ua, size_t len)
{
    struct sip_ctrans *t = ua->spare;
    if (t) {
        ua->spare = NULL;
        struct event *retrans = t->retrans, *timeout = t->timeout;
        char *req = t->req;
        size_t cap = t->req_cap;
        if (cap < len) {
            char *bigger = realloc(req, len);
            if (!bigger) {
                ctrans_free(t);
                return NULL;
            }
            req = bigger;
            cap = len;
        }
        memset(t, 0, sizeof(*t));
        t->retrans = retrans;
        t->timeout = timeout;
        t->req = req;
        t->req_cap = cap;
        return t;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->req = malloc(len ? len : 1);
    t->req_cap = len;
    t->retrans = evtimer_new(ua->base, retrans_cb, t);
    t->timeout = evtimer_new(ua->base, timeout_cb, t);
    if (!t->req || !t->retrans || !t->timeout) {
        ctrans_free(t);
        return NULL;
    }
    return t;
}

/* Calls the handler, then destroys the transaction: the handler may free
 * the whole UA, so nothing touches t or ua after it. */
static void ctrans_finish(struct sip_ctrans *t, int err, const struct sip_msg *msg)
{
    sip_resp_h *h = t->h;
    void *arg = t->arg;
    ctrans_destroy(t);
    if (h)
        h(err, msg, arg);
}

static void set_timer(struct event *ev, uint32_t ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static void retrans_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sip_ctrans *t = arg;
    struct sip_ua *ua = t->ua;
    if (t->state == CTRANS_COMPLETED)
        return;
    if (t->invite && t->state == CTRANS_PROCEEDING)
        return; /* Timer A is stopped on the provisional; defensive */
    ua_send(ua, t->req, t->req_len);
    /* 17.1.1.2: INVITE doubles without cap; 17.1.2.2: non-INVITE caps at T2,
     * and retransmits every T2 once proceeding. */
    if (t->invite) {
        t->interval_ms *= 2;
    } else {
        t->interval_ms = t->state == CTRANS_PROCEEDING ? ua->timers.t2_ms
                         : t->interval_ms * 2 < ua->timers.t2_ms ? t->interval_ms * 2
                                                                 : ua->timers.t2_ms;
    }
    set_timer(t->retrans, t->interval_ms);
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sip_ctrans *t = arg;
    if (t->state == CTRANS_COMPLETED) {
        ctrans_destroy(t); /* Timer D: done absorbing retransmissions */
        return;
    }
    ctrans_finish(t, SYNTH_ETIMEDOUT, NULL);
}

static struct sip_ctrans *ctrans_match(struct sip_ua *ua, const struct sip_msg *msg)
{
    for (struct sip_ctrans *t = ua->trans; t; t = t->next) {
        if (!strv_eq(msg->via.branch, t->branch))
            continue;
        if (strv_eq(msg->cseq_method, t->method))
            return t;
    }
    return NULL;
}

/* ACK for a non-2xx final response: same branch, Request-URI, From,
 * Call-ID, CSeq number and Route as the INVITE; To from the response
 * (RFC 3261 17.1.1.3). */
static int build_non2xx_ack(struct sip_ctrans *t, const struct sip_msg *resp)
{
    struct sip_msg inv;
    size_t used;
    if (sip_msg_parse(&inv, t->req, t->req_len, true, &used) != 0)
        return SYNTH_EINTERNAL;
    char buf[SIP_BUILD_MAX];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    sbuf_puts(&sb, "ACK ");
    sbuf_put_strv(&sb, inv.ruri);
    sbuf_puts(&sb, " SIP/2.0\r\nVia: ");
    sbuf_put_strv(&sb, sip_msg_hdr(&inv, SIP_HDR_VIA, NULL)->value);
    sbuf_puts(&sb, "\r\nMax-Forwards: 70\r\n");
    for (const struct sip_hdr *h = sip_msg_hdr(&inv, SIP_HDR_ROUTE, NULL); h;
         h = sip_msg_hdr(&inv, SIP_HDR_ROUTE, h)) {
        sbuf_puts(&sb, "Route: ");
        sbuf_put_strv(&sb, h->value);
        sbuf_puts(&sb, "\r\n");
    }
    sbuf_puts(&sb, "From: ");
    sbuf_put_strv(&sb, sip_msg_hdr(&inv, SIP_HDR_FROM, NULL)->value);
    sbuf_puts(&sb, "\r\nTo: ");
    sbuf_put_strv(&sb, sip_msg_hdr(resp, SIP_HDR_TO, NULL)->value);
    sbuf_puts(&sb, "\r\nCall-ID: ");
    sbuf_put_strv(&sb, inv.call_id);
    sbuf_printf(&sb, "\r\nCSeq: %u ACK\r\nContent-Length: 0\r\n\r\n", inv.cseq);
    if (sbuf_result(&sb) != 0)
        return SYNTH_ETOOBIG;
    size_t len = sb.len;
    int rc = ua_sign(t->ua, buf, &len, sizeof(buf));
    if (rc != 0)
        return rc;
    t->ack = malloc(len);
    if (!t->ack)
        return SYNTH_ENOMEM;
    memcpy(t->ack, buf, len);
    t->ack_len = len;
    return 0;
}

static void handle_response(struct sip_ua *ua, const struct sip_msg *msg)
{
    struct sip_ctrans *t = ctrans_match(ua, msg);
    if (!t) {
        /* A retransmitted 2xx to an INVITE belongs to the dialog (13.2.2.4). */
        if (ua->req_h)
            ua->req_h(ua, msg, ua->req_arg);
        return;
    }
    if (t->state == CTRANS_COMPLETED) {
        if (t->ack)
            ua_send(ua, t->ack, t->ack_len);
        return;
    }
    if (ua->auth.verify) {
        int vrc = ua->auth.verify(msg, ua->auth.arg);
        if (vrc != 0) {
            ctrans_finish(t, vrc, NULL);
            return;
        }
    }
    if (msg->status < 200) {
        if (t->invite && t->state == CTRANS_CALLING) {
            /* RFC 3261 17.1.1.2: Proceeding stops Timer A at once (not after
             * one more copy) and Timer B, which runs in Calling only: a
             * ringing INVITE waits for its final or for the TU's CANCEL. */
            evtimer_del(t->retrans);
            evtimer_del(t->timeout);
        }
        t->state = CTRANS_PROCEEDING;
        if (t->h)
            t->h(0, msg, t->arg);
        return;
    }
    if (t->invite && msg->status >= 300) {
        if (build_non2xx_ack(t, msg) == 0)
            ua_send(ua, t->ack, t->ack_len);
        if (!ua->reliable) {
            /* Timer D: stay to ACK retransmitted finals; tell the user now. */
            t->state = CTRANS_COMPLETED;
            evtimer_del(t->retrans);
            set_timer(t->timeout, 64 * ua->timers.t1_ms);
            sip_resp_h *h = t->h;
            t->h = NULL;
            if (h)
                h(0, msg, t->arg);
            return;
        }
    }
    ctrans_finish(t, 0, msg);
}

static void conn_recv(struct sip_conn *c, const struct sip_msg *msg,
                      const struct sip_addr_storage *src, void *arg)
{
    struct sip_ua *ua = arg;
    trace(ua, false, msg->raw.p, msg->raw.l);
    if (!msg->is_request) {
        handle_response(ua, msg);
        return;
    }
    /* A request over the user's SA whose signature fails ([MS-SIPAE]
     * 3.2.5.2) is not acted on; the verifier has noted why. */
    if (ua->auth.verify && ua->auth.verify(msg, ua->auth.arg) != 0) {
        if (!strv_eq(msg->method, "ACK"))
            sip_ua_reply(ua, msg, 403, NULL);
        return;
    }
    if (!ua->req_h || !ua->req_h(ua, msg, ua->req_arg)) {
        /* Nobody wants it: answer so the far end stops retransmitting. */
        if (!strv_eq(msg->method, "ACK"))
            sip_ua_reply(ua, msg, strv_eq(msg->method, "OPTIONS") ? 200 : 481, NULL);
    }
}

static void conn_closed(struct sip_conn *c, int err, void *arg)
{
    struct sip_ua *ua = arg;
    ua->connected = false;
    sip_ua_closed_h *closed_h = ua->closed_h;
    void *uarg = ua->arg;
    /* Pending transactions die with the connection; the owner learns of the
     * loss once, here, and fails whatever step was waiting. */
    while (ua->trans)
        ctrans_destroy(ua->trans);
    if (closed_h)
        closed_h(err, uarg);
}

static void make_via_prefix(struct sip_ua *ua)
{
    const char *tp = sip_transport_name(sip_conn_transport(ua->conn));
    bool v6 = strchr(ua->local_host, ':') != NULL;
    char upper[8];
    size_t i;
    for (i = 0; tp[i] && i < sizeof(upper) - 1; i++)
        upper[i] = (char)(tp[i] - 'a' + 'A');
    upper[i] = '\0';
    int n = snprintf(ua->via_prefix, sizeof(ua->via_prefix), "SIP/2.0/%s %s%s%s:%u;branch=",
                     upper, v6 ? "[" : "", ua->local_host, v6 ? "]" : "", ua->local_port);
    ua->via_prefix_len = n > 0 && (size_t)n < sizeof(ua->via_prefix) ? (size_t)n : 0;
}

/* The Via of each request: the prefix made when the connection opened,
 * the branch, rport (RFC 3581: answers find us behind NAT and on UDP). */
static void format_via(struct sip_ua *ua, const char *branch, char *out, size_t size)
{
    if (!ua->via_prefix_len)
        make_via_prefix(ua); /* not connected yet: what we know so far */
    size_t b = strlen(branch);
    static const char rport[] = ";rport";
    if (ua->via_prefix_len + b + sizeof(rport) > size) {
        out[0] = '\0';
        return;
    }
    memcpy(out, ua->via_prefix, ua->via_prefix_len);
    memcpy(out + ua->via_prefix_len, branch, b);
    memcpy(out + ua->via_prefix_len + b, rport, sizeof(rport));
}

static void conn_connected(struct sip_conn *c, int err, void *arg)
{
    struct sip_ua *ua = arg;
    if (err == 0) {
        ua->connected = true;
        sip_conn_local(c, ua->local_host, sizeof(ua->local_host), &ua->local_port);
        bool v6 = strchr(ua->local_host, ':') != NULL;
        snprintf(ua->contact, sizeof(ua->contact), "<sip:%s@%s%s%s:%u;transport=%s>",
                 ua->contact_user, v6 ? "[" : "", ua->local_host, v6 ? "]" : "",
                 ua->local_port, sip_transport_name(sip_conn_transport(c)));
        make_via_prefix(ua);
    }
    if (ua->connected_h)
        ua->connected_h(err, ua->arg);
}

int sip_ua_new(struct sip_ua **out, struct event_base *base, const struct sip_ua_opts *o,
               void (*connected_h)(int err, void *arg), sip_ua_closed_h *closed_h, void *arg,
               struct synth_error *err)
{
    struct sip_ua *ua = calloc(1, sizeof(*ua));
    if (!ua)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    ua->base = base;
    ua->timers = o->timers;
    if (!ua->timers.t1_ms)
        ua->timers.t1_ms = 500;
    if (!ua->timers.t2_ms)
        ua->timers.t2_ms = 4000;
    ua->reliable = o->conn.transport != SIP_TRANSPORT_UDP;
    ua->connected_h = connected_h;
    ua->closed_h = closed_h;
    ua->arg = arg;
    snprintf(ua->contact_user, sizeof(ua->contact_user), "%s",
             o->contact_user ? o->contact_user : "synth");
    static const struct sip_conn_handlers handlers = {
        .connected = conn_connected,
        .recv = conn_recv,
        .closed = conn_closed,
    };
    int rc = sip_conn_connect(&ua->conn, base, &o->conn, &handlers, ua, err);
    if (rc != 0) {
        free(ua);
        return rc;
    }
    *out = ua;
    return 0;
}

void sip_ua_free(struct sip_ua *ua)
{
    if (!ua)
        return;
    while (ua->trans)
        ctrans_destroy(ua->trans);
    if (ua->spare)
        ctrans_free(ua->spare);
    sip_conn_free(ua->conn);
    free(ua);
}

bool sip_ua_is_connected(const struct sip_ua *ua)
{
    return ua->connected;
}

struct sip_conn *sip_ua_conn(struct sip_ua *ua)
{
    return ua->conn;
}

const char *sip_ua_contact(const struct sip_ua *ua)
{
    return ua->contact;
}

const char *sip_ua_local(const struct sip_ua *ua, uint16_t *port)
{
    if (port)
        *port = ua->local_port;
    return ua->local_host;
}

void sip_ua_set_request_handler(struct sip_ua *ua, sip_req_h *h, void *arg)
{
    ua->req_h = h;
    ua->req_arg = arg;
}

void sip_ua_set_trace(struct sip_ua *ua, sip_trace_h *h, void *arg)
{
    ua->trace_h = h;
    ua->trace_arg = arg;
}

static int build_into(struct sip_ua *ua, struct sip_request_spec *spec, char *branch,
                      char *buf, size_t size, size_t *len)
{
    char via[256];
    format_via(ua, branch, via, sizeof(via));
    spec->via = via;
    struct sbuf sb;
    sbuf_init(&sb, buf, size);
    int rc = sip_build_request(&sb, spec);
    spec->via = NULL;
    *len = sb.len;
    return rc;
}

static void new_branch(char *branch)
{
    memcpy(branch, BRANCH_COOKIE, sizeof(BRANCH_COOKIE) - 1);
    sip_random_token(branch + sizeof(BRANCH_COOKIE) - 1, 25);
}

static int start_ctrans(struct sip_ua *ua, const char *method, const char *branch,
                        const char *buf, size_t len, sip_resp_h *h, void *arg,
                        struct sip_ctrans **out)
{
    if (!ua->connected)
        return SYNTH_ECLOSED;
    struct sip_ctrans *t = ctrans_alloc(ua, len);
    if (!t)
        return SYNTH_ENOMEM;
    t->ua = ua;
    t->invite = strcmp(method, "INVITE") == 0;
    snprintf(t->method, sizeof(t->method), "%s", method);
    snprintf(t->branch, sizeof(t->branch), "%s", branch);
    t->h = h;
    t->arg = arg;
    memcpy(t->req, buf, len);
    t->req_len = len;
    t->next = ua->trans;
    if (ua->trans)
        ua->trans->prev = t;
    ua->trans = t;

    int rc = ua_send(ua, buf, len);
    if (rc != 0) {
        ctrans_destroy(t);
        return rc;
    }
    if (!ua->reliable) {
        t->interval_ms = ua->timers.t1_ms;
        set_timer(t->retrans, t->interval_ms);
    }
    set_timer(t->timeout, 64 * ua->timers.t1_ms); /* Timer B / F */
    if (out)
        *out = t;
    return 0;
}

int sip_ua_request(struct sip_ua *ua, struct sip_request_spec *spec, sip_resp_h *h, void *arg,
                   struct sip_ctrans **out)
{
    char branch[BRANCH_MAX];
    char buf[SIP_BUILD_MAX];
    size_t len;
    new_branch(branch);
    int rc = build_into(ua, spec, branch, buf, sizeof(buf), &len);
    if (rc == 0)
        rc = ua_sign(ua, buf, &len, sizeof(buf));
    if (rc != 0)
        return rc;
    return start_ctrans(ua, spec->method, branch, buf, len, h, arg, out);
}

int sip_ua_send_stateless(struct sip_ua *ua, struct sip_request_spec *spec)
{
    char branch[BRANCH_MAX];
    char buf[SIP_BUILD_MAX];
    size_t len;
    if (!ua->connected)
        return SYNTH_ECLOSED;
    new_branch(branch);
    int rc = build_into(ua, spec, branch, buf, sizeof(buf), &len);
    if (rc == 0)
        rc = ua_sign(ua, buf, &len, sizeof(buf));
    if (rc != 0)
        return rc;
    return ua_send(ua, buf, len);
}

/* RFC 3261 9.1: CANCEL copies Request-URI, Call-ID, To, From, CSeq number,
 * the top Via (same branch) and Route of the INVITE. */
int sip_ua_cancel(struct sip_ua *ua, struct sip_ctrans *invite, sip_resp_h *h, void *arg)
{
    struct sip_msg inv;
    size_t used;
    if (sip_msg_parse(&inv, invite->req, invite->req_len, true, &used) != 0)
        return SYNTH_EINTERNAL;
    char buf[SIP_BUILD_MAX];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    sbuf_puts(&sb, "CANCEL ");
    sbuf_put_strv(&sb, inv.ruri);
    sbuf_puts(&sb, " SIP/2.0\r\nVia: ");
    sbuf_put_strv(&sb, sip_msg_hdr(&inv, SIP_HDR_VIA, NULL)->value);
    sbuf_puts(&sb, "\r\nMax-Forwards: 70\r\n");
    for (const struct sip_hdr *r = sip_msg_hdr(&inv, SIP_HDR_ROUTE, NULL); r;
         r = sip_msg_hdr(&inv, SIP_HDR_ROUTE, r)) {
        sbuf_puts(&sb, "Route: ");
        sbuf_put_strv(&sb, r->value);
        sbuf_puts(&sb, "\r\n");
    }
    sbuf_puts(&sb, "From: ");
    sbuf_put_strv(&sb, sip_msg_hdr(&inv, SIP_HDR_FROM, NULL)->value);
    sbuf_puts(&sb, "\r\nTo: ");
    sbuf_put_strv(&sb, sip_msg_hdr(&inv, SIP_HDR_TO, NULL)->value);
    sbuf_puts(&sb, "\r\nCall-ID: ");
    sbuf_put_strv(&sb, inv.call_id);
    sbuf_printf(&sb, "\r\nCSeq: %u CANCEL\r\nContent-Length: 0\r\n\r\n", inv.cseq);
    if (sbuf_result(&sb) != 0)
        return SYNTH_ETOOBIG;
    size_t len = sb.len;
    int rc = ua_sign(ua, buf, &len, sizeof(buf));
    if (rc != 0)
        return rc;
    return start_ctrans(ua, "CANCEL", invite->branch, buf, len, h, arg, NULL);
}

void sip_ua_abandon(struct sip_ua *ua, struct sip_ctrans *t)
{
    for (struct sip_ctrans *x = ua->trans; x; x = x->next) {
        if (x == t) {
            ctrans_destroy(t);
            return;
        }
    }
}

int sip_ua_reply(struct sip_ua *ua, const struct sip_msg *req, uint16_t status,
                 const char *extra)
{
    char buf[SIP_BUILD_MAX];
    char tag[17];
    struct sbuf sb;
    sip_random_token(tag, sizeof(tag));
    sbuf_init(&sb, buf, sizeof(buf));
    int rc = sip_build_response(&sb, req, status, NULL, tag, extra, NULL, NULL, 0);
    if (rc != 0)
        return rc;
    return ua_send(ua, buf, sb.len);
}
