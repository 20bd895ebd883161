/* A user's MRAS credentials (mras_creds.h): the SERVICE request of
 * [MS-AVEDGEA] 3.1.5.1 on the user's connection, its answer (2.2.3.1.3.2),
 * the credentials kept and renewed. */
#include "synth/steps/mras_creds.h"

#include "synth/base/clock.h"
#include "synth/engine/worker.h"
#include "synth/steps/auth.h"
#include "synth/steps/step.h"

#include <event2/event.h>
#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SfB clients ask for 480 minutes ([MS-AVEDGEA] 3.1.5.1); servers grant
 * at most that. */
#define MRAS_ASK_MIN 480
/* Credentials once for the challenge, once more for a stale nonce. */
#define MRAS_AUTH_MAX 2
/* The Digest or NTLM line answering a challenge. */
#define MRAS_AUTH_LINE_MAX 1024

enum mras_state {
    MRAS_IDLE,
    MRAS_ASKING, /* a SERVICE in flight */
};

struct mras_creds {
    struct vuser *u;
    enum mras_state state;
    struct sip_ua *ua;          /* the connection the SERVICE went on */
    struct sip_ctrans *ctrans;
    struct event *deadline;     /* media.turn.mras_timeout */
    struct event *renew;        /* renews the grant before it ends */
    bool have;
    struct mras_grant grant;
    mras_creds_h *h;
    void *arg;
    uint32_t attempts;          /* answered challenges of this request */
    char call_id[33], from_tag[20];
    uint32_t cseq;
};

static int send_service(struct mras_creds *mc, const char *auth_line);

int64_t mras_creds_renew_at(int64_t granted_us, uint32_t duration_min)
{
    int64_t life_s = (int64_t)duration_min * 60;
    int64_t margin_s = life_s / 5;
    if (margin_s < MRAS_RENEW_MARGIN_MIN_S)
        margin_s = MRAS_RENEW_MARGIN_MIN_S;
    if (margin_s > MRAS_RENEW_MARGIN_MAX_S)
        margin_s = MRAS_RENEW_MARGIN_MAX_S;
    /* A life shorter than twice the margin: renewed half-way. */
    if (margin_s > life_s / 2)
        margin_s = life_s / 2;
    return granted_us + (life_s - margin_s) * 1000000;
}

int mras_creds_pick_relay(const struct mras_response *r, enum mras_location loc, bool tcp)
{
    int any = -1;
    for (size_t i = 0; i < r->relay_count; i++) {
        uint16_t port = tcp ? r->relays[i].tcp_port : r->relays[i].udp_port;
        if (!port)
            continue;
        if (r->relays[i].location == loc)
            return (int)i;
        if (any < 0)
            any = (int)i;
    }
    return any;
}

static enum mras_location location_of(const struct vuser *u)
{
    switch (u->w->plan->target->media.turn.location) {
    case TARGET_TURN_LOCATION_INTERNET:
        return MRAS_LOCATION_INTERNET;
    case TARGET_TURN_LOCATION_INTRANET:
        return MRAS_LOCATION_INTRANET;
    case TARGET_TURN_LOCATION_AUTO:
        break;
    }
    /* A client outside learns it is remote from provisioning: through the Edge. */
    return u->via == ACCESS_EDGE ? MRAS_LOCATION_INTERNET : MRAS_LOCATION_INTRANET;
}

static void stop_request(struct mras_creds *mc)
{
    if (mc->ctrans && mc->ua && mc->ua == mc->u->ua)
        sip_ua_abandon(mc->ua, mc->ctrans);
    mc->ctrans = NULL;
    mc->ua = NULL;
    mc->state = MRAS_IDLE;
    event_del(mc->deadline);
}

/* Ends the request; the waiter (if any) learns it last, as it may free the
 * call that waits (never the user). */
static void finish(struct mras_creds *mc, int err, const struct sip_msg *msg, const char *detail)
{
    mras_creds_h *h = mc->h;
    void *arg = mc->arg;
    stop_request(mc);
    mc->h = NULL;
    mc->arg = NULL;
    if (h)
        h(err, msg, detail, arg);
}

static void arm_renewal(struct mras_creds *mc)
{
    int64_t wait_us = mc->grant.renew_us - clock_mono_us();
    if (wait_us <= 0)
        return; /* already due: the next call asks */
    struct timeval tv = {(time_t)(wait_us / 1000000), (suseconds_t)(wait_us % 1000000)};
    evtimer_add(mc->renew, &tv);
}

/* Takes a 2xx's body: 0 with the grant made, else SYNTH_EPARSE and why. */
static int take_answer(struct mras_creds *mc, const struct sip_msg *msg, char *why, size_t size)
{
    const struct target_turn *t = &mc->u->w->plan->target->media.turn;
    struct mras_response *r = calloc(1, sizeof(*r));
    char perr[128];
    int rc = SYNTH_EPARSE;
    if (!r) {
        snprintf(why, size, "out of memory");
        return SYNTH_ENOMEM;
    }
    if (msg->body.l == 0) {
        snprintf(why, size, "the MRAS answer %u has no body: no credentials", msg->status);
        goto out;
    }
    if (mras_response_parse(msg->body.p, msg->body.l, r, perr, sizeof(perr)) != 0) {
        snprintf(why, size, "the MRAS answer holds no usable credentials (%s)", perr);
        goto out;
    }
    if (r->duration_min == 0) {
        snprintf(why, size, "the MRAS answer grants its credentials for 0 minutes");
        goto out;
    }
    int pick = mras_creds_pick_relay(r, location_of(mc->u), t->tcp);
    if (pick < 0 && !t->host[0]) {
        snprintf(why, size, "the MRAS answer lists no %s relay (%zu relays) and the target "
                 "names no media.turn.host", t->tcp ? "TCP" : "UDP", r->relay_count);
        goto out;
    }
    struct mras_grant *g = &mc->grant;
    OPENSSL_cleanse(g, sizeof(*g));
    snprintf(g->username, sizeof(g->username), "%s", r->username);
    snprintf(g->password, sizeof(g->password), "%s", r->password);
    if (pick >= 0) {
        snprintf(g->relay_host, sizeof(g->relay_host), "%s", r->relays[pick].host);
        g->relay_port = t->tcp ? r->relays[pick].tcp_port : r->relays[pick].udp_port;
    }
    g->duration_min = r->duration_min;
    g->renew_us = mras_creds_renew_at(clock_mono_us(), r->duration_min);
    mc->have = true;
    rc = 0;
out:
    OPENSSL_cleanse(r, sizeof(*r));
    free(r);
    return rc;
}

static void on_response(int err, const struct sip_msg *msg, void *arg)
{
    struct mras_creds *mc = arg;
    char detail[RESULT_TEXT_MAX];
    if (!err && msg->status < 200)
        return;
    mc->ctrans = NULL;
    if (err) {
        snprintf(detail, sizeof(detail), "the MRAS SERVICE got no usable answer: %s",
                 err == SYNTH_ETIMEDOUT ? "Timer F fired" : step_sip_err_detail(mc->u, err));
        finish(mc, err, NULL, detail);
        return;
    }
    if ((msg->status == 401 || msg->status == 407) && mc->attempts < MRAS_AUTH_MAX) {
        char line[MRAS_AUTH_LINE_MAX], ruri[TARGET_URI_MAX];
        bool stale = false;
        if (target_mras_uri(mc->u->w->plan->target, ruri, sizeof(ruri)) == 0 &&
            auth_answer(mc->u, &mc->u->ntlm, msg, "SERVICE", ruri, line, sizeof(line),
                        &stale) == 0) {
            mc->attempts++;
            int rc = send_service(mc, line);
            OPENSSL_cleanse(line, sizeof(line));
            if (rc == 0)
                return;
        }
    }
    if (msg->status >= 300) {
        snprintf(detail, sizeof(detail), "the Front End refused the MRAS request: %u %.*s",
                 msg->status, (int)msg->reason.l, msg->reason.p);
        finish(mc, SYNTH_EAUTH, msg, detail);
        return;
    }
    int rc = take_answer(mc, msg, detail, sizeof(detail));
    if (rc != 0) {
        finish(mc, rc, msg, detail);
        return;
    }
    arm_renewal(mc);
    finish(mc, 0, msg, NULL);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct mras_creds *mc = arg;
    char detail[128];
    (void)fd;
    (void)what;
    snprintf(detail, sizeof(detail), "no answer to the MRAS SERVICE within %u ms "
             "(media.turn.mras_timeout)", mc->u->w->plan->target->media.turn.mras_timeout_ms);
    finish(mc, SYNTH_ETIMEDOUT, NULL, detail);
}

/* The background renewal: only on a live connection; otherwise the next
 * call asks (the old grant runs out meanwhile). */
static void on_renew(evutil_socket_t fd, short what, void *arg)
{
    struct mras_creds *mc = arg;
    (void)fd;
    (void)what;
    if (mc->state != MRAS_IDLE || !mc->u->ua || !sip_ua_is_connected(mc->u->ua))
        return;
    mc->attempts = 0;
    if (send_service(mc, NULL) != 0)
        stop_request(mc);
}

/* The SERVICE of [MS-AVEDGEA] 3.1.5.1: To and Request-URI the MRAS URI,
 * From the user, a credentialsRequest for its location. */
static int send_service(struct mras_creds *mc, const char *auth_line)
{
    struct vuser *u = mc->u;
    const struct target *t = u->w->plan->target;
    char ruri[TARGET_URI_MAX], from[TARGET_URI_MAX + 2], to[TARGET_URI_MAX + 2];
    char body[MRAS_BODY_MAX];
    struct mras_request q = {.location = location_of(u), .duration_min = MRAS_ASK_MIN};
    struct sbuf sb;
    if (!u->ua || !sip_ua_is_connected(u->ua))
        return SYNTH_ECLOSED;
    if (target_mras_uri(t, ruri, sizeof(ruri)) != 0)
        return SYNTH_ETOOBIG;
    if (!auth_line) {
        sip_random_token(mc->call_id, sizeof(mc->call_id));
        sip_random_token(mc->from_tag, sizeof(mc->from_tag));
        mc->cseq = 0;
    }
    snprintf(q.request_id, sizeof(q.request_id), "%.16s", mc->call_id);
    snprintf(q.credentials_request_id, sizeof(q.credentials_request_id), "%.16s%u",
             mc->call_id, mc->cseq + 1);
    snprintf(q.from, sizeof(q.from), "%s", u->id->uri);
    snprintf(q.to, sizeof(q.to), "%s", ruri);
    /* identity stays empty, as clients send it (PROTOCOLS.md, "MRAS"): the
     * authenticated connection says who asks. */
    snprintf(from, sizeof(from), "<%s>", u->id->uri);
    snprintf(to, sizeof(to), "<%s>", ruri);
    sbuf_init(&sb, body, sizeof(body));
    if (mras_request_build(&sb, &q) != 0)
        return SYNTH_ETOOBIG;
    struct sip_request_spec spec = {
        .method = "SERVICE",
        .ruri = ruri,
        .from = from,
        .from_tag = mc->from_tag,
        .to = to,
        .call_id = mc->call_id,
        .cseq = ++mc->cseq,
        .contact = sip_ua_contact(u->ua),
        .expires = -1,
        .extra = auth_line,
        .content_type = MRAS_CONTENT_TYPE,
        .body = sb.buf,
        .body_len = sb.len,
    };
    int rc = sip_ua_request(u->ua, &spec, on_response, mc, &mc->ctrans);
    if (rc != 0)
        return rc;
    mc->ua = u->ua;
    if (mc->state != MRAS_ASKING) {
        uint32_t ms = t->media.turn.mras_timeout_ms ? t->media.turn.mras_timeout_ms
                                                    : TARGET_MRAS_TIMEOUT_MS;
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        evtimer_add(mc->deadline, &tv);
    }
    mc->state = MRAS_ASKING;
    return 0;
}

static struct mras_creds *creds_of(struct vuser *u)
{
    if (u->mras)
        return u->mras;
    struct mras_creds *mc = calloc(1, sizeof(*mc));
    if (!mc)
        return NULL;
    mc->u = u;
    mc->deadline = evtimer_new(u->w->base, on_deadline, mc);
    mc->renew = evtimer_new(u->w->base, on_renew, mc);
    if (!mc->deadline || !mc->renew) {
        if (mc->deadline)
            event_free(mc->deadline);
        if (mc->renew)
            event_free(mc->renew);
        free(mc);
        return NULL;
    }
    u->mras = mc;
    return mc;
}

const struct mras_grant *mras_creds_grant(const struct vuser *u)
{
    const struct mras_creds *mc = u->mras;
    if (!mc || !mc->have || clock_mono_us() >= mc->grant.renew_us)
        return NULL;
    return &mc->grant;
}

int mras_creds_get(struct vuser *u, mras_creds_h *h, void *arg)
{
    struct mras_creds *mc = creds_of(u);
    if (!mc)
        return SYNTH_ENOMEM;
    if (mc->state == MRAS_IDLE && mras_creds_grant(u))
        return 0;
    mc->h = h;
    mc->arg = arg;
    if (mc->state == MRAS_ASKING)
        return SYNTH_EINCOMPLETE; /* a renewal under way answers this call too */
    mc->attempts = 0;
    int rc = send_service(mc, NULL);
    if (rc != 0) {
        mc->h = NULL;
        mc->arg = NULL;
        return rc;
    }
    return SYNTH_EINCOMPLETE;
}

void mras_creds_cancel(struct vuser *u, void *arg)
{
    struct mras_creds *mc = u->mras;
    if (mc && mc->arg == arg) {
        mc->h = NULL;
        mc->arg = NULL;
    }
}

void mras_creds_conn_lost(struct vuser *u)
{
    struct mras_creds *mc = u->mras;
    if (!mc)
        return;
    /* The waiting call fails with the connection (vuser.c); told again
     * here, from inside the UA's handler, it would end twice. */
    mc->h = NULL;
    mc->arg = NULL;
    if (mc->state != MRAS_ASKING)
        return;
    mc->ctrans = NULL; /* the UA frees it */
    mc->ua = NULL;
    mc->state = MRAS_IDLE;
    event_del(mc->deadline);
}

void mras_creds_free(struct vuser *u)
{
    struct mras_creds *mc = u->mras;
    if (!mc)
        return;
    stop_request(mc);
    event_free(mc->deadline);
    event_free(mc->renew);
    OPENSSL_cleanse(&mc->grant, sizeof(mc->grant));
    free(mc);
    u->mras = NULL;
}
