/* The lab's Exchange UM: a voicemail UAS (RFC 3261 13.3 answering, 13.3.1.4
 * 2xx retransmission, 15 BYE, 9.2 CANCEL) on a mutual-TLS listener that only
 * the Front End may use, as UM servers accept only pool servers. */
#include "um.h"

#include "synth/base/sbuf.h"
#include "synth/lab/um_media.h"
#include "synth/sip/build.h"
#include "synth/sip/msg.h"
#include "synth/base/net_addr.h"
#include "synth/sip/mras.h"
#include "synth/sip/transport.h"

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Calls the UM holds at once; past it new INVITEs get 486, as a UM server
 * whose ports are all in use does. */
#define UM_CALLS_MAX 10000
#define UM_CALL_BUCKETS 1024
/* Server connections (the FE's link, later the Edge's). */
#define UM_LINKS_MAX 64
#define UM_LISTEN_BACKLOG 128
/* RFC 3261 17.1.1.1 timer values. */
#define UM_T1_MS 500
#define UM_T2_MS 4000
/* Timer H (64*T1): how long we wait for an ACK, and linger after a final
 * non-2xx or a BYE we sent (Timer F) before forgetting the call. */
#define UM_TIMER_H_MS (64 * UM_T1_MS)
/* A call nobody answers or cancels (never_answer) is dropped with 480 after
 * this; the FE's Timer C (3 minutes) has given up on it by then. */
#define UM_RING_MAX_MS (10 * 60 * 1000)
#define UM_CALL_ID_MAX 256
#define UM_TAG_MAX 64
#define UM_BRANCH_MAX 128
#define UM_HOST_MAX 80
/* Our SDP answer: one audio section with a crypto line fits easily. */
#define UM_ANSWER_MAX 2048
/* The relay allocation delays the 180: a short RTO and few tries keep a
 * dead relay from holding the call (4 tries from 100 ms: 2.3 s). */
#define UM_TURN_RTO_MS 100
#define UM_TURN_TRIES 4
/* A call that came before the MRAS answer waits this long for it. */
#define UM_MRAS_WAIT_MS 2000

enum um_call_state {
    UM_CALL_PREPARING, /* 100 sent; gathering the relay candidate of the answer */
    UM_CALL_RINGING,   /* 180 sent; 200 after answer_delay_ms, never with never_answer */
    UM_CALL_ANSWERED,  /* 200 sent and retransmitted until the ACK (RFC 3261 13.3.1.4) */
    UM_CALL_CONFIRMED, /* ACK received: the greeting would play */
    UM_CALL_REJECTED,  /* a final non-2xx (487, 480) sent; waiting for its ACK */
    UM_CALL_BYE_SENT,  /* we hung up; waiting for the 200 to our BYE */
};

struct um_link {
    struct um *um;
    struct sip_conn *conn;
    bool verified;
    struct um_link *prev, *next;
};

struct um_call {
    struct um *um;
    enum um_call_state state;
    struct um_link *link;           /* where the INVITE came from; NULL once closed */
    char *invite;                   /* copy of the INVITE: re-parsed to build responses and the BYE */
    size_t invite_len;
    char *last_resp;                /* for retransmitted INVITEs and 2xx retransmission */
    size_t last_resp_len;
    char call_id[UM_CALL_ID_MAX];
    char remote_tag[UM_TAG_MAX];    /* the caller's From tag */
    char local_tag[UM_TAG_MAX];     /* our To tag */
    char branch[UM_BRANCH_MAX];     /* the INVITE's top Via branch (CANCEL matching, RFC 3261 9.2) */
    uint32_t local_cseq;
    const char *bye_reason;         /* a Reason header line for our BYE, NULL = none */
    bool awaiting_mras;             /* PREPARING until the UM's relay credentials arrive */
    struct um_call_media *media;    /* the greeting's stream (um_media.c) */
    const char *reject_why;         /* a static reason for the 488's Warning */
    char *answer;                   /* our SDP answer, the same in every 200 */
    size_t answer_len;
    bool active;                    /* counted in active_dialogs */
    uint64_t answered_ms;
    uint32_t retrans_ms;
    struct event *timer;            /* answer, hang-up or forget, by state */
    struct event *retrans;          /* 2xx retransmission */
    struct um_call *next_hash;
    struct um_call *prev, *next;
};

struct um {
    struct event_base *base;
    const struct lab_config *cfg;
    struct lab_stats *stats;
    SSL_CTX *server_ctx;
    char fqdn[LAB_NAME_MAX];
    char peer_name[LAB_NAME_MAX];
    char host[UM_HOST_MAX];
    struct evconnlistener *listener;
    uint16_t port;
    struct um_link *links;
    size_t link_count;
    struct um_call *by_call_id[UM_CALL_BUCKETS];
    struct um_call *calls;
    size_t call_count;
    struct um_media *media;
    /* A/V Edge credentials from the Front End's MRAS, asked once the first
     * link is verified; what a later ICE relay candidate uses. */
    bool mras_asked;
    int mras_status;               /* 0 none yet, else the SIP status of the answer */
    struct mras_response mras;     /* valid when mras_status == 200; wiped on free */
};

static const char UM_ALLOW[] = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n";

static void timer_arm(struct event *ev, uint32_t ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static size_t call_bucket(struct strv call_id)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < call_id.l; i++) {
        h ^= (unsigned char)call_id.p[i];
        h *= 0x100000001b3ull;
    }
    return h % UM_CALL_BUCKETS;
}

static void link_send(struct um_link *l, const char *buf, size_t len)
{
    if (l && l->conn)
        sip_conn_send(l->conn, buf, len, NULL);
}

/* ---- the call table ------------------------------------------------------ */

/* Dialog matching (RFC 3261 12.2.2): Call-ID and the caller's tag; our tag
 * too when local_tag is set. */
static struct um_call *call_find(struct um *um, struct strv call_id, struct strv remote_tag,
                                 struct strv local_tag)
{
    for (struct um_call *c = um->by_call_id[call_bucket(call_id)]; c; c = c->next_hash) {
        if (!strv_eq(call_id, c->call_id) || !strv_eq(remote_tag, c->remote_tag))
            continue;
        if (strv_isset(local_tag) && !strv_eq(local_tag, c->local_tag))
            continue;
        return c;
    }
    return NULL;
}

static void call_leave_active(struct um_call *c)
{
    if (c->active) {
        c->active = false;
        atomic_fetch_sub(&c->um->stats->active_dialogs, 1);
    }
}

static void call_free(struct um_call *c)
{
    struct um *um = c->um;
    for (struct um_call **pp = &um->by_call_id[call_bucket(strv_from_cstr(c->call_id))]; *pp;
         pp = &(*pp)->next_hash) {
        if (*pp == c) {
            *pp = c->next_hash;
            break;
        }
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        um->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    um->call_count--;
    call_leave_active(c);
    if (c->timer)
        event_free(c->timer);
    if (c->retrans)
        event_free(c->retrans);
    um_call_media_free(c->media, c->call_id);
    free(c->answer);
    free(c->invite);
    free(c->last_resp);
    free(c);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg);
static void call_continue(struct um_call *c);
static void retrans_cb(evutil_socket_t fd, short what, void *arg);

static struct um_call *call_new(struct um *um, struct um_link *l, const struct sip_msg *m)
{
    if (m->call_id.l >= UM_CALL_ID_MAX || m->from.tag.l >= UM_TAG_MAX ||
        m->via.branch.l >= UM_BRANCH_MAX)
        return NULL;
    struct um_call *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->um = um;
    c->link = l;
    c->state = UM_CALL_RINGING;
    c->invite = malloc(m->raw.l);
    c->timer = evtimer_new(um->base, timer_cb, c);
    c->retrans = evtimer_new(um->base, retrans_cb, c);
    if (!c->invite || !c->timer || !c->retrans) {
        if (c->timer)
            event_free(c->timer);
        if (c->retrans)
            event_free(c->retrans);
        free(c->invite);
        free(c);
        return NULL;
    }
    memcpy(c->invite, m->raw.p, m->raw.l);
    c->invite_len = m->raw.l;
    strv_copy(m->call_id, c->call_id, sizeof(c->call_id));
    strv_copy(m->from.tag, c->remote_tag, sizeof(c->remote_tag));
    strv_copy(m->via.branch, c->branch, sizeof(c->branch));
    sip_random_token(c->local_tag, 17);

    size_t b = call_bucket(m->call_id);
    c->next_hash = um->by_call_id[b];
    um->by_call_id[b] = c;
    c->next = um->calls;
    if (um->calls)
        um->calls->prev = c;
    um->calls = c;
    um->call_count++;
    return c;
}

/* ---- responses ----------------------------------------------------------- */

/* Builds a response to the stored INVITE and sends it; keeps it as the one
 * a retransmitted INVITE gets when store is set. */
static int call_respond(struct um_call *c, uint16_t status, bool store)
{
    struct um *um = c->um;
    struct sip_msg inv;
    size_t used;
    char buf[SIP_BUILD_MAX], extra[512];
    struct sbuf sb, x;

    if (sip_msg_parse(&inv, c->invite, c->invite_len, false, &used) != 0)
        return SYNTH_EINTERNAL;
    sbuf_init(&x, extra, sizeof(extra));
    if (status > 100 && status < 300) {
        /* RFC 3261 12.1.1: the Contact is the remote target of the dialog. */
        sbuf_printf(&x, "Contact: <sip:%s:%u;transport=tls>\r\n", um->fqdn, um->port);
    }
    if (status == 200)
        sbuf_puts(&x, UM_ALLOW);
    if (status == 488) /* RFC 3261 21.4.26, Warning 305 "Incompatible media format" */
        sbuf_printf(&x, "Warning: 305 %s \"%s\"\r\n", um->fqdn, c->reject_why);
    if (sbuf_result(&x) != 0)
        return SYNTH_ETOOBIG;
    sbuf_init(&sb, buf, sizeof(buf));
    bool sdp = status == 200 && c->answer;
    int rc = sip_build_response(&sb, &inv, status, NULL, status == 100 ? NULL : c->local_tag,
                                extra, sdp ? "application/sdp" : NULL, sdp ? c->answer : NULL,
                                sdp ? c->answer_len : 0);
    if (rc != 0)
        return rc;
    if (store) {
        char *copy = malloc(sb.len);
        if (!copy)
            return SYNTH_ENOMEM;
        memcpy(copy, sb.buf, sb.len);
        free(c->last_resp);
        c->last_resp = copy;
        c->last_resp_len = sb.len;
    }
    link_send(c->link, sb.buf, sb.len);
    return 0;
}

/* A response to a request that is not the stored INVITE. */
static void um_respond(struct um_link *l, const struct sip_msg *req, uint16_t status,
                       const char *to_tag, const char *extra)
{
    char buf[SIP_BUILD_MAX];
    char tag[17];
    struct sbuf sb;
    if (!to_tag && status != 100) {
        sip_random_token(tag, sizeof(tag));
        to_tag = tag;
    }
    sbuf_init(&sb, buf, sizeof(buf));
    if (sip_build_response(&sb, req, status, NULL, to_tag, extra, NULL, NULL, 0) == 0)
        link_send(l, sb.buf, sb.len);
}

/* ---- the call's life ------------------------------------------------------ */

static void call_reject(struct um_call *c, uint16_t status)
{
    evtimer_del(c->retrans);
    if (call_respond(c, status, true) != 0) {
        call_free(c);
        return;
    }
    c->state = UM_CALL_REJECTED;
    timer_arm(c->timer, UM_TIMER_H_MS);
}

static void call_answer(struct um_call *c)
{
    struct um *um = c->um;
    if (call_respond(c, 200, true) != 0) {
        call_reject(c, 500);
        return;
    }
    c->state = UM_CALL_ANSWERED;
    c->active = true;
    if (c->media)
        um_call_media_start(c->media);
    atomic_fetch_add(&um->stats->answered, 1);
    atomic_fetch_add(&um->stats->active_dialogs, 1);
    c->answered_ms = lab_now_ms();
    c->retrans_ms = UM_T1_MS;
    timer_arm(c->retrans, c->retrans_ms);
    /* The fault hangs up early; otherwise the mailbox's maximum message length. */
    uint32_t hangup = um->cfg->faults.bye_after_ms ? um->cfg->faults.bye_after_ms
                                                   : um->cfg->um_max_message_ms;
    if (hangup)
        timer_arm(c->timer, hangup);
    else
        evtimer_del(c->timer);
}

/* Our BYE (RFC 3261 12.2.1.1, 15.1.1): Request-URI the caller's Contact, Route
 * the Record-Route set in order (we are the UAS, 12.1.1), From/To swapped. */
static int call_build_bye(struct um_call *c, struct sbuf *sb)
{
    struct um *um = c->um;
    struct sip_msg inv;
    size_t used;
    char target[512], routes[2048], from[512], to[512], via[256], branch[33];
    struct sbuf rs;
    struct sip_addr a;

    if (sip_msg_parse(&inv, c->invite, c->invite_len, false, &used) != 0)
        return SYNTH_EINTERNAL;
    const struct sip_hdr *ct = sip_msg_hdr(&inv, SIP_HDR_CONTACT, NULL);
    struct strv t = inv.from.uri;
    if (ct && sip_addr_parse(&a, ct->value) == 0)
        t = a.uri;
    if (strv_copy(t, target, sizeof(target)) != 0)
        return SYNTH_ETOOBIG;
    sbuf_init(&rs, routes, sizeof(routes));
    for (const struct sip_hdr *h = sip_msg_hdr(&inv, SIP_HDR_RECORD_ROUTE, NULL); h;
         h = sip_msg_hdr(&inv, SIP_HDR_RECORD_ROUTE, h)) {
        if (rs.len)
            sbuf_puts(&rs, ", ");
        sbuf_put_strv(&rs, h->value);
    }
    const struct sip_hdr *toh = sip_msg_hdr(&inv, SIP_HDR_TO, NULL);
    if (sbuf_result(&rs) != 0 || !toh || strv_copy(toh->value, from, sizeof(from)) != 0)
        return SYNTH_ETOOBIG;
    if ((size_t)snprintf(to, sizeof(to), "<%.*s>", (int)inv.from.uri.l, inv.from.uri.p) >=
        sizeof(to))
        return SYNTH_ETOOBIG;
    sip_random_token(branch, sizeof(branch));
    snprintf(via, sizeof(via), "SIP/2.0/TLS %s:%u;branch=z9hG4bK%s", um->host, um->port, branch);

    char contact[UM_HOST_MAX + LAB_NAME_MAX];
    snprintf(contact, sizeof(contact), "<sip:%s:%u;transport=tls>", um->fqdn, um->port);
    struct sip_request_spec r = {
        .method = "BYE",
        .ruri = target,
        .via = via,
        .from = from,
        .from_tag = c->local_tag,
        .to = to,
        .to_tag = c->remote_tag,
        .call_id = c->call_id,
        .cseq = ++c->local_cseq,
        .contact = contact,
        .routes = rs.len ? routes : NULL,
        .expires = -1,
        .extra = c->bye_reason,
    };
    return sip_build_request(sb, &r);
}

static void call_hangup(struct um_call *c)
{
    char buf[SIP_BUILD_MAX];
    struct sbuf sb;
    evtimer_del(c->retrans);
    call_leave_active(c);
    sbuf_init(&sb, buf, sizeof(buf));
    if (call_build_bye(c, &sb) != 0 || !c->link) {
        call_free(c);
        return;
    }
    link_send(c->link, sb.buf, sb.len);
    c->state = UM_CALL_BYE_SENT;
    timer_arm(c->timer, UM_TIMER_H_MS); /* Timer F: give up on the 200 */
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct um_call *c = arg;
    switch (c->state) {
    case UM_CALL_PREPARING:
        if (c->awaiting_mras)
            call_continue(c); /* no answer from MRAS: on without a relay */
        return;
    case UM_CALL_RINGING:
        if (c->um->cfg->faults.never_answer)
            call_reject(c, 480);
        else
            call_answer(c);
        return;
    case UM_CALL_ANSWERED:
    case UM_CALL_CONFIRMED:
        call_hangup(c);
        return;
    case UM_CALL_REJECTED:
    case UM_CALL_BYE_SENT:
        call_free(c);
        return;
    }
}

/* RFC 3261 13.3.1.4: the 2xx goes again at T1, doubling to T2, until the ACK;
 * after 64*T1 without one the session ends with a BYE. */
static void retrans_cb(evutil_socket_t fd, short what, void *arg)
{
    struct um_call *c = arg;
    if (c->state != UM_CALL_ANSWERED)
        return;
    if (lab_now_ms() - c->answered_ms >= UM_TIMER_H_MS) {
        call_hangup(c);
        return;
    }
    link_send(c->link, c->last_resp, c->last_resp_len);
    c->retrans_ms = c->retrans_ms * 2 < UM_T2_MS ? c->retrans_ms * 2 : UM_T2_MS;
    timer_arm(c->retrans, c->retrans_ms);
}

/* The BYE of a call that never had media: RFC 3326 Reason, as UM does after
 * its media connectivity check timed out. */
static const char UM_NO_MEDIA_REASON[] =
    "Reason: SIP;cause=480;text=\"Media connectivity failure: no ICE candidate pair worked\"\r\n";

static void call_ring(struct um_call *c);
static void call_hangup(struct um_call *c);

/* Writes the answer to the INVITE's offer, once. */
static int call_take_answer(struct um_call *c)
{
    char answer[UM_ANSWER_MAX];
    size_t len = 0;
    int rc = um_call_media_answer(c->media, answer, sizeof(answer), &len, &c->reject_why);
    if (rc != 0)
        return rc;
    c->answer = malloc(len);
    if (!c->answer)
        return SYNTH_ENOMEM;
    memcpy(c->answer, answer, len);
    c->answer_len = len;
    return 0;
}

static void on_media_ready(struct um_call_media *cm, void *arg)
{
    struct um_call *c = arg;
    (void)cm;
    if (c->state != UM_CALL_PREPARING)
        return;
    if (call_take_answer(c) != 0) {
        call_reject(c, 488);
        return;
    }
    call_ring(c);
}

static void on_media_failed(struct um_call_media *cm, void *arg)
{
    struct um_call *c = arg;
    (void)cm;
    if (c->state != UM_CALL_ANSWERED && c->state != UM_CALL_CONFIRMED)
        return;
    c->bye_reason = UM_NO_MEDIA_REASON;
    call_hangup(c);
}

/* The A/V Edge the UM's MRAS credentials are for ([MS-AVEDGEA] 2.2.3.1.3.2:
 * the intranet-side relay, over UDP): false when MRAS gave none. */
static bool relay_opts(const struct um *um, struct turn_client_opts *o)
{
    if (um->mras_status != 200)
        return false;
    for (size_t i = 0; i < um->mras.relay_count; i++) {
        const struct mras_relay *r = &um->mras.relays[i];
        memset(o, 0, sizeof(*o));
        if (!r->udp_port || net_addr_from_ip(strv_from_cstr(r->host), r->udp_port, &o->server,
                                             &o->server_len) != 0)
            continue;
        o->transport = TURN_TRANSPORT_UDP;
        /* The lab's Edge speaks one dialect to everyone (turn_dialect). */
        o->dialect = um->cfg->turn_msturn ? TURN_DIALECT_MSTURN : TURN_DIALECT_STANDARD;
        o->username = um->mras.username;
        o->password = um->mras.password;
        o->software = "synth-lab-um";
        o->rto_ms = UM_TURN_RTO_MS;
        o->rc = UM_TURN_TRIES;
        return true;
    }
    return false;
}

/* The stream behind the call and, when the relay is ready, its answer. */
static int call_prepare_media(struct um_call *c, const struct sip_msg *m)
{
    struct turn_client_opts relay;
    struct um_call_media_handlers h = {on_media_ready, on_media_failed, c};
    bool have_relay = relay_opts(c->um, &relay);
    int rc = um_call_media_prepare(c->um->media, m->body, have_relay ? &relay : NULL, &h,
                                   &c->media, &c->reject_why);
    if (rc == SYNTH_EINCOMPLETE) {
        c->state = UM_CALL_PREPARING;
        return rc;
    }
    return rc ? rc : call_take_answer(c);
}

/* ---- requests ------------------------------------------------------------- */

static void um_invite(struct um *um, struct um_link *l, const struct sip_msg *m)
{
    if (!strv_isset(m->from.tag)) {
        um_respond(l, m, 400, NULL, NULL); /* RFC 3261 8.1.1.3: From tag is mandatory */
        return;
    }
    if (strv_isset(m->to.tag)) {
        /* A re-INVITE (session refresh): the same answer, no new state. */
        struct um_call *c = call_find(um, m->call_id, m->from.tag, m->to.tag);
        if (!c) {
            um_respond(l, m, 481, NULL, NULL);
            return;
        }
        char buf[SIP_BUILD_MAX];
        struct sbuf sb;
        sbuf_init(&sb, buf, sizeof(buf));
        if (sip_build_response(&sb, m, 200, NULL, c->local_tag, UM_ALLOW,
                               c->answer ? "application/sdp" : NULL, c->answer,
                               c->answer ? c->answer_len : 0) == 0)
            link_send(l, sb.buf, sb.len);
        return;
    }
    struct um_call *c = call_find(um, m->call_id, m->from.tag, STRV_NULL);
    if (c) {
        if (strv_eq(m->via.branch, c->branch)) {
            /* RFC 3261 17.2.1: a retransmission gets the last response again. */
            c->link = l;
            if (c->last_resp)
                link_send(l, c->last_resp, c->last_resp_len);
            return;
        }
        if (c->state != UM_CALL_REJECTED) {
            um_respond(l, m, 482, NULL, NULL); /* RFC 3261 8.2.2.2: merged request */
            return;
        }
        call_free(c);
    }
    if (um->call_count >= UM_CALLS_MAX) {
        um_respond(l, m, 486, NULL, NULL);
        return;
    }
    c = call_new(um, l, m);
    if (!c) {
        um_respond(l, m, 500, NULL, NULL);
        return;
    }
    atomic_fetch_add(&um->stats->invites, 1);
    if (call_respond(c, 100, false) != 0) {
        call_free(c);
        return;
    }
    if (um->mras_asked && um->mras_status == 0) {
        /* The relay credentials are on their way (asked when the link came
         * up): a UM in service has them before its first call. */
        c->state = UM_CALL_PREPARING;
        c->awaiting_mras = true;
        timer_arm(c->timer, UM_MRAS_WAIT_MS);
        return;
    }
    call_continue(c);
}

/* From the stored INVITE: the media, then ringing (at once, or once the
 * relay candidate is gathered). */
static void call_continue(struct um_call *c)
{
    struct sip_msg inv;
    size_t used;
    c->awaiting_mras = false;
    evtimer_del(c->timer);
    if (sip_msg_parse(&inv, c->invite, c->invite_len, false, &used) != 0) {
        call_reject(c, 500);
        return;
    }
    int rc = call_prepare_media(c, &inv);
    if (rc == SYNTH_EINCOMPLETE)
        return; /* on_media_ready rings */
    if (rc != 0) {
        call_reject(c, 488);
        return;
    }
    call_ring(c);
}

static void call_ring(struct um_call *c)
{
    c->state = UM_CALL_RINGING;
    if (call_respond(c, 180, true) != 0) {
        call_free(c);
        return;
    }
    const struct lab_faults *f = &c->um->cfg->faults;
    if (f->never_answer)
        timer_arm(c->timer, UM_RING_MAX_MS);
    else if (f->answer_delay_ms)
        timer_arm(c->timer, f->answer_delay_ms);
    else
        call_answer(c);
}

static void um_ack(struct um *um, const struct sip_msg *m)
{
    struct um_call *c = call_find(um, m->call_id, m->from.tag, m->to.tag);
    if (!c)
        return; /* an ACK is never answered */
    if (c->state == UM_CALL_ANSWERED) {
        c->state = UM_CALL_CONFIRMED;
        evtimer_del(c->retrans);
    } else if (c->state == UM_CALL_REJECTED) {
        call_free(c); /* Timer I is 0 on reliable transports (RFC 3261 17.2.2) */
    }
}

static void um_bye(struct um *um, struct um_link *l, const struct sip_msg *m)
{
    struct um_call *c = NULL;
    if (strv_isset(m->to.tag))
        c = call_find(um, m->call_id, m->from.tag, m->to.tag);
    if (!c) {
        um_respond(l, m, 481, NULL, NULL);
        return;
    }
    um_respond(l, m, 200, NULL, NULL);
    atomic_fetch_add(&um->stats->byes, 1);
    if (c->state == UM_CALL_RINGING || c->state == UM_CALL_PREPARING)
        call_respond(c, 487, false); /* RFC 3261 15.1.2: the INVITE ends too */
    call_free(c);
}

/* RFC 3261 9.2: the CANCEL matches the INVITE's transaction by its branch. */
static void um_cancel(struct um *um, struct um_link *l, const struct sip_msg *m)
{
    struct um_call *c = call_find(um, m->call_id, m->from.tag, STRV_NULL);
    if (!c || !strv_eq(m->via.branch, c->branch)) {
        um_respond(l, m, 481, NULL, NULL);
        return;
    }
    um_respond(l, m, 200, c->local_tag, NULL);
    if (c->state == UM_CALL_RINGING || c->state == UM_CALL_PREPARING)
        call_reject(c, 487);
}

static void um_request(struct um *um, struct um_link *l, const struct sip_msg *m)
{
    bool ack = strv_eq(m->method, "ACK");
    if (!strv_isset(m->call_id) || !strv_isset(m->cseq_method)) {
        if (!ack)
            um_respond(l, m, 400, NULL, NULL);
        return;
    }
    if (strv_eq(m->method, "INVITE"))
        um_invite(um, l, m);
    else if (ack)
        um_ack(um, m);
    else if (strv_eq(m->method, "BYE"))
        um_bye(um, l, m);
    else if (strv_eq(m->method, "CANCEL"))
        um_cancel(um, l, m);
    else if (strv_eq(m->method, "OPTIONS"))
        um_respond(l, m, 200, NULL,
                   "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\nAccept: application/sdp\r\n");
    else
        um_respond(l, m, 501, NULL, UM_ALLOW);
}

/* Responses to our BYE: From carries our tag, To the caller's. */
/* The MRAS request ([MS-AVEDGEA] 3.1.5.1) to the Front End on link l. */
static void mras_ask(struct um *um, struct um_link *l)
{
    char body[MRAS_BODY_MAX], buf[SIP_BUILD_MAX + MRAS_BODY_MAX], ruri[LAB_NAME_MAX + 32];
    char from[LAB_NAME_MAX + 8], to[LAB_NAME_MAX + 8], via[UM_HOST_MAX + 64];
    char tag[17], call_id[33], branch[33];
    struct sbuf bs, sb;
    struct mras_request q = {.location = MRAS_LOCATION_INTRANET, .duration_min = 480};

    sip_random_token(call_id, sizeof(call_id));
    sip_random_token(tag, sizeof(tag));
    sip_random_token(branch, sizeof(branch));
    snprintf(q.request_id, sizeof(q.request_id), "%.16s", call_id);
    snprintf(q.credentials_request_id, sizeof(q.credentials_request_id), "%.16s", call_id);
    snprintf(q.from, sizeof(q.from), "sip:%s", um->fqdn);
    snprintf(ruri, sizeof(ruri), "sip:%s;opaque=srvr:MRAS", um->peer_name);
    snprintf(q.to, sizeof(q.to), "%s", ruri);
    snprintf(from, sizeof(from), "<sip:%s>", um->fqdn);
    snprintf(to, sizeof(to), "<sip:%s>", um->peer_name);
    snprintf(via, sizeof(via), "SIP/2.0/TLS %s:%u;branch=z9hG4bK%s", um->host, um->port, branch);
    sbuf_init(&bs, body, sizeof(body));
    sbuf_init(&sb, buf, sizeof(buf));
    struct sip_request_spec r = {
        .method = "SERVICE",
        .ruri = ruri,
        .via = via,
        .from = from,
        .from_tag = tag,
        .to = to,
        .call_id = call_id,
        .cseq = 1,
        .expires = -1,
        .content_type = MRAS_CONTENT_TYPE,
    };
    if (mras_request_build(&bs, &q) != 0)
        return;
    r.body = bs.buf;
    r.body_len = bs.len;
    if (sip_build_request(&sb, &r) == 0) {
        um->mras_asked = true;
        link_send(l, sb.buf, sb.len);
    }
}

static void mras_answer(struct um *um, const struct sip_msg *m)
{
    char why[128];
    um->mras_status = m->status;
    if (m->status == 200 &&
        mras_response_parse(m->body.p, m->body.l, &um->mras, why, sizeof(why)) != 0)
        um->mras_status = 500; /* an answer the UM cannot use is no credential */
    for (struct um_call *c = um->calls, *next; c; c = next) {
        next = c->next; /* call_continue may free c */
        if (c->awaiting_mras)
            call_continue(c);
    }
}

static void um_response(struct um *um, const struct sip_msg *m)
{
    if (m->status >= 200 && strv_eq(m->cseq_method, "SERVICE")) {
        mras_answer(um, m);
        return;
    }
    if (m->status < 200 || !strv_eq(m->cseq_method, "BYE"))
        return;
    struct um_call *c = call_find(um, m->call_id, m->to.tag, m->from.tag);
    if (!c || c->state != UM_CALL_BYE_SENT)
        return;
    if (m->status < 300)
        atomic_fetch_add(&um->stats->byes, 1);
    call_free(c);
}

/* ---- connections ---------------------------------------------------------- */

static void link_free(struct um_link *l)
{
    struct um *um = l->um;
    for (struct um_call *c = um->calls; c; c = c->next)
        if (c->link == l)
            c->link = NULL;
    if (l->prev)
        l->prev->next = l->next;
    else
        um->links = l->next;
    if (l->next)
        l->next->prev = l->prev;
    um->link_count--;
    sip_conn_free(l->conn);
    free(l);
}

/* Server-to-server mutual TLS: the peer must present a certificate from the
 * lab CA naming the Front End, as a UM server trusts only its pool. */
static bool link_verify(const struct um *um, struct um_link *l)
{
    SSL *ssl = sip_conn_ssl(l->conn);
    X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    if (!peer || SSL_get_verify_result(ssl) != X509_V_OK)
        return false;
    return X509_check_host(peer, um->peer_name, 0, 0, NULL) == 1;
}

static void link_recv(struct sip_conn *conn, const struct sip_msg *m,
                      const struct sip_addr_storage *src, void *arg)
{
    struct um_link *l = arg;
    if (!l->verified) {
        if (!link_verify(l->um, l)) {
            link_free(l);
            return;
        }
        l->verified = true;
        if (!l->um->mras_asked)
            mras_ask(l->um, l);
    }
    if (m->is_request)
        um_request(l->um, l, m);
    else
        um_response(l->um, m);
}

static void link_closed(struct sip_conn *conn, int err, void *arg)
{
    link_free(arg);
}

static void accept_cb(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    static const struct sip_conn_handlers h = {NULL, link_recv, link_closed};
    struct um *um = arg;
    if (um->link_count >= UM_LINKS_MAX) {
        close(fd);
        return;
    }
    struct um_link *l = calloc(1, sizeof(*l));
    if (!l) {
        close(fd);
        return;
    }
    l->um = um;
    if (sip_conn_accept(&l->conn, um->base, fd, SIP_TRANSPORT_TLS, um->server_ctx, &h, l) != 0) {
        free(l);
        return;
    }
    l->next = um->links;
    if (um->links)
        um->links->prev = l;
    um->links = l;
    um->link_count++;
}

/* ---- start and stop ------------------------------------------------------- */

int um_start(struct um **out, struct event_base *base, const struct um_opts *o,
             struct synth_error *err)
{
    int rc;
    struct sip_addr_storage local;
    struct um *um = calloc(1, sizeof(*um));
    if (!um)
        return synth_error_set(err, SYNTH_ENOMEM, "um: out of memory");
    um->base = base;
    um->cfg = o->cfg;
    um->stats = o->stats;
    um->server_ctx = o->server_ctx;
    snprintf(um->fqdn, sizeof(um->fqdn), "%s", o->fqdn);
    snprintf(um->peer_name, sizeof(um->peer_name), "%s", o->peer_name);
    lab_uri_host(o->cfg, um->host, sizeof(um->host));
    /* Media goes where the URI host points, without IPv6 brackets. */
    char ip[UM_HOST_MAX];
    snprintf(ip, sizeof(ip), "%s", um->host[0] == '[' ? um->host + 1 : um->host);
    char *rb = strchr(ip, ']');
    if (rb)
        *rb = '\0';
    rc = um_media_new(&um->media, base, o->cfg, o->stats, ip, err);
    if (rc != 0)
        goto fail;

    rc = sip_addr_resolve(&local, o->cfg->listen_host, o->cfg->um_port, err);
    if (rc != 0)
        goto fail;
    um->listener = evconnlistener_new_bind(base, accept_cb, um,
                                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                               LEV_OPT_CLOSE_ON_EXEC,
                                           UM_LISTEN_BACKLOG, (const struct sockaddr *)&local.ss,
                                           (int)local.len);
    if (!um->listener) {
        char a[80];
        sip_addr_format(&local, a, sizeof(a));
        rc = synth_error_set(err, SYNTH_EIO, "um: cannot listen on %s/tls: %s", a,
                             strerror(errno));
        goto fail;
    }
    struct sip_addr_storage bound;
    bound.len = sizeof(bound.ss);
    if (getsockname(evconnlistener_get_fd(um->listener), (struct sockaddr *)&bound.ss,
                    &bound.len) != 0) {
        rc = synth_error_set(err, SYNTH_EIO, "um: getsockname: %s", strerror(errno));
        goto fail;
    }
    um->port = bound.ss.ss_family == AF_INET6
                   ? ntohs(((struct sockaddr_in6 *)&bound.ss)->sin6_port)
                   : ntohs(((struct sockaddr_in *)&bound.ss)->sin_port);
    *out = um;
    return 0;
fail:
    um_free(um);
    return rc;
}

uint16_t um_port(const struct um *um)
{
    return um->port;
}

bool um_owns_media_address(const struct um *um, const struct sockaddr_storage *a)
{
    return um_media_owns(um->media, a);
}

size_t um_call_count(const struct um *um)
{
    return um->call_count;
}

void um_free(struct um *um)
{
    if (!um)
        return;
    if (um->listener)
        evconnlistener_free(um->listener);
    while (um->calls)
        call_free(um->calls);
    while (um->links)
        link_free(um->links);
    um_media_free(um->media);
    OPENSSL_cleanse(&um->mras, sizeof(um->mras));
    free(um);
}
