/* The sip.survival step (issue #5): SIP TLS connections registered and
 * held idle for chosen intervals, to find the idle timeout of a firewall
 * or proxy on the SIP path. Each probe opens its own connection to the
 * user's access path (the registrar, or the Edge for via: edge), registers
 * on it (RFC 3261 10.2, Digest 22), then holds it N seconds: with
 * double-CRLF keep-alives (RFC 5626 4.4.1, at sip.keepalive) or silent.
 * An OPTIONS on the same connection (RFC 3261 11) answered 2xx within
 * answer_timeout proves it still works. A FIN, a reset or a TLS alert
 * while held, no answer, or a 3xx-6xx is a death, each its own class
 * (survival_sip_died_how). The intervals of a round run in parallel. */
#include "survival_rounds.h"

#include "synth/engine/worker.h"
#include "synth/steps/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Probes in flight for one user at most: a round of both kinds, or a ladder. */
#define SIP_PROBES_MAX (2 * SCENARIO_INTERVALS_MAX)
/* Credentials are sent at most this many times per probe (as register.c). */
#define PROBE_AUTH_MAX 2

/* P_RETRY: its setup failed once; the old connection's last callbacks are
 * ignored until retry_cb opens a new one. */
enum probe_state { P_CONNECT, P_REGISTER, P_HOLD, P_PROOF, P_RETRY, P_DONE };

struct sip_survival;

struct probe {
    struct sip_survival *sv;
    enum survival_probe kind;
    uint32_t idle_s;
    enum probe_state state;
    struct sip_ua *ua;        /* the probe's own connection */
    struct sip_ctrans *ct;    /* REGISTER or OPTIONS in flight */
    struct event *timer;      /* the hold, then the proof's deadline */
    int64_t hold_start_us;
    uint32_t auth_tries, cseq;
    bool retried;             /* its setup failed once and was started again */
    char call_id[33], tag[20];
};

struct sip_survival {
    struct survival_rounds rounds; /* first: run->ctx */
    struct step_run *run;
    char ruri[300];
    char hop[SURVIVAL_HOP_MAX];
    struct probe probes[SIP_PROBES_MAX];
    size_t probe_count;
};

static void probe_release(struct probe *p)
{
    if (p->timer)
        event_free(p->timer);
    sip_ua_free(p->ua); /* drops a transaction in flight without its handler */
    p->timer = NULL;
    p->ua = NULL;
    p->ct = NULL;
}

/* Probes of a finished round are released before the next starts, so
 * connections never pile up across rounds. */
static void release_round(void *arg)
{
    struct sip_survival *sv = arg;
    for (size_t i = 0; i < sv->probe_count; i++)
        probe_release(&sv->probes[i]);
    sv->probe_count = 0;
}

static void survival_free(void *arg)
{
    free(arg);
}

static void probe_done(struct probe *p)
{
    p->state = P_DONE;
    if (p->timer)
        event_del(p->timer);
    survival_rounds_probe_done(&p->sv->rounds);
}

/* The outcome of a held probe: err from the transport, or the proof's status. */
static void record(struct probe *p, int err, uint16_t status)
{
    const char *how = survival_sip_died_how(err, status);
    struct survival_outcome o = {.probe = p->kind, .idle_s = p->idle_s, .survived = !how[0]};
    snprintf(o.died_how, sizeof(o.died_how), "%s", how);
    snprintf(o.hop, sizeof(o.hop), "%s", p->sv->hop);
    if (p->ua && sip_ua_conn(p->ua))
        o.pongs = sip_conn_pongs(sip_ua_conn(p->ua));
    survival_rounds_record(&p->sv->rounds, &o, p->hold_start_us);
    probe_done(p);
}

static int probe_open(struct probe *p);

static void retry_cb(evutil_socket_t fd, short what, void *arg);

/* A probe that could not even register says nothing about idle timeouts:
 * it is started again once (a transient refusal among many parallel
 * connections), from the loop, on a new connection. A second failure, or
 * credentials refused, counts as the round's setup failure. */
static void setup_failed(struct probe *p, enum failure_class cls, const char *what, int err)
{
    if (!p->retried && cls != FAIL_AUTH && !p->sv->run->u->credentials_refused) {
        p->retried = true;
        p->state = P_RETRY;
        p->ct = NULL;
        event_del(p->timer);
        event_assign(p->timer, p->sv->run->u->w->base, -1, 0, retry_cb, p);
        struct timeval zero = {0, 0};
        if (evtimer_add(p->timer, &zero) == 0)
            return;
    }
    survival_rounds_setup_failed(&p->sv->rounds, cls, "registering a probe on %s: %s",
                                 p->sv->hop, what ? what : synth_strerror(err));
    probe_done(p);
}

static void send_register(struct probe *p, const char *auth_line);

static void on_register(int err, const struct sip_msg *msg, void *arg)
{
    struct probe *p = arg;
    struct vuser *u = p->sv->run->u;
    if (p->state == P_RETRY)
        return;
    if (err) {
        p->ct = NULL;
        setup_failed(p, step_class_of_err(err), NULL, err);
        return;
    }
    if (msg->status < 200)
        return;
    p->ct = NULL;
    if (msg->status < 300) {
        p->state = P_HOLD;
        p->hold_start_us = mono_us();
        struct timeval tv = {(time_t)p->idle_s, 0};
        if (evtimer_add(p->timer, &tv) != 0)
            setup_failed(p, FAIL_INTERNAL, "cannot arm the hold timer", 0);
        return;
    }
    if ((msg->status == 401 || msg->status == 407) && p->auth_tries < PROBE_AUTH_MAX) {
        char line[1024];
        bool stale = false;
        int rc = auth_answer(u, NULL, msg, "REGISTER", p->sv->ruri, line, sizeof(line), &stale);
        if (rc != 0) {
            setup_failed(p, rc == SYNTH_EUNSUPPORTED ? FAIL_AUTH : FAIL_PROTOCOL,
                         "cannot answer the registrar's challenge", rc);
            return;
        }
        p->auth_tries++;
        send_register(p, line);
        return;
    }
    if (msg->status == 401 || msg->status == 403 || msg->status == 407)
        u->credentials_refused = true; /* real accounts lock out: never retried */
    char why[64];
    snprintf(why, sizeof(why), "REGISTER answered %u", msg->status);
    setup_failed(p, step_class_of_status(msg->status), why, 0);
}

static void send_register(struct probe *p, const char *auth_line)
{
    struct step_register_ids ids = {p->call_id, p->tag, ++p->cseq};
    int rc = step_send_register(p->sv->run->u, p->ua, &ids, (int)p->sv->run->cfg->expires_s,
                                auth_line, on_register, p, &p->ct);
    if (rc != 0)
        setup_failed(p, step_class_of_err(rc), NULL, rc);
}

static void on_options(int err, const struct sip_msg *msg, void *arg)
{
    struct probe *p = arg;
    if (!err && msg->status < 200)
        return;
    p->ct = NULL;
    record(p, err, err ? 0 : msg->status);
}

/* The hold is over: prove the connection works. Then: no answer in time. */
static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    if (p->state == P_PROOF) {
        sip_ua_abandon(p->ua, p->ct);
        p->ct = NULL;
        record(p, SYNTH_ETIMEDOUT, 0);
        return;
    }
    if (p->state != P_HOLD)
        return;
    struct vuser *u = p->sv->run->u;
    char call_id[33];
    sip_random_token(call_id, sizeof(call_id));
    struct sip_request_spec spec = {
        .method = "OPTIONS",
        .ruri = p->sv->ruri,
        .from = u->id->uri,
        .from_tag = p->tag,
        .to = p->sv->ruri,
        .call_id = call_id,
        .cseq = 1,
        .contact = sip_ua_contact(p->ua),
        .expires = -1,
    };
    p->state = P_PROOF;
    uint32_t ms = p->sv->run->cfg->answer_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    int rc = sip_ua_request(p->ua, &spec, on_options, p, &p->ct);
    if (rc == 0 && evtimer_add(p->timer, &tv) != 0)
        rc = SYNTH_EINTERNAL;
    if (rc != 0)
        record(p, rc, 0);
}

static void on_connected(int err, void *arg)
{
    struct probe *p = arg;
    if (p->state == P_RETRY)
        return;
    if (err) {
        setup_failed(p, step_class_of_err(err), NULL, err);
        return;
    }
    p->state = P_REGISTER;
    send_register(p, NULL);
}

/* The connection ended: a death while held, a setup failure before. */
static void on_closed(int err, void *arg)
{
    struct probe *p = arg;
    if (p->state == P_RETRY)
        return;
    p->ct = NULL; /* the UA dropped its transactions */
    if (p->state == P_HOLD || p->state == P_PROOF)
        record(p, err ? err : SYNTH_ECLOSED, 0);
    else if (p->state != P_DONE)
        setup_failed(p, step_class_of_err(err), NULL, err ? err : SYNTH_ECLOSED);
}

/* The retry: the old connection is released here, outside its callbacks. */
static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    sip_ua_free(p->ua); /* in P_RETRY: whatever it calls back is ignored */
    p->ua = NULL;
    p->ct = NULL;
    p->auth_tries = 0;
    p->state = P_CONNECT;
    event_assign(p->timer, p->sv->run->u->w->base, -1, 0, timer_cb, p);
    probe_open(p);
}

static int probe_start(void *arg, enum survival_probe kind, uint32_t idle_s)
{
    struct sip_survival *sv = arg;
    struct vuser *u = sv->run->u;
    if (kind != SURVIVAL_SIP_KEEPALIVE && kind != SURVIVAL_SIP_SILENT)
        return SYNTH_EINVAL;
    if (sv->probe_count >= SIP_PROBES_MAX)
        return SYNTH_ETOOBIG;
    struct probe *p = &sv->probes[sv->probe_count++];
    memset(p, 0, sizeof(*p));
    p->sv = sv;
    p->kind = kind;
    p->idle_s = idle_s;
    p->timer = evtimer_new(u->w->base, timer_cb, p);
    if (!p->timer)
        return SYNTH_ENOMEM;
    return probe_open(p);
}

/* A new connection (and registration) for the probe; its failure is the
 * probe's setup failure. */
static int probe_open(struct probe *p)
{
    struct vuser *u = p->sv->run->u;
    sip_random_token(p->call_id, sizeof(p->call_id));
    sip_random_token(p->tag, sizeof(p->tag));
    struct sip_ua_opts o;
    vuser_ua_opts(u, &o);
    if (p->kind == SURVIVAL_SIP_SILENT)
        o.conn.keepalive_ms = 0;
    struct synth_error e;
    int rc = sip_ua_new(&p->ua, u->w->base, &o, on_connected, on_closed, p, &e);
    if (rc != 0) {
        p->ua = NULL;
        setup_failed(p, step_class_of_err(rc), e.msg, rc);
    }
    return 0;
}

static const struct survival_rounds_ops rounds_ops = {
    .start = probe_start,
    .release = release_round,
    .free = survival_free,
};

static void survival_start(struct step_run *run)
{
    struct vuser *u = run->u;
    const struct run_plan *plan = u->w->plan;
    const struct target_endpoint *ep = plan->server[u->via].ep;
    if (step_fail_if_locked_out(run))
        return;
    if (!ep || ep->transport == SIP_TRANSPORT_UDP) {
        step_finish_fail(run, FAIL_NOT_READY,
                         "sip.survival holds a TLS or TCP connection; the %s path is %s",
                         access_path_name(u->via), ep ? "UDP" : "not configured");
        return;
    }
    struct sip_survival *sv = calloc(1, sizeof(*sv));
    if (!sv) {
        step_finish_fail(run, FAIL_INTERNAL, "out of memory");
        return;
    }
    sv->run = run;
    snprintf(sv->ruri, sizeof(sv->ruri), "sip:%s", plan->target->sip_domain);
    snprintf(sv->hop, sizeof(sv->hop), "%s %s:%u", u->via == ACCESS_EDGE ? "edge" : "registrar",
             ep->host, ep->port);
    survival_rounds_begin(&sv->rounds, run, &rounds_ops, sv);
}

const struct step_ops step_sip_survival_ops = {
    .start = survival_start,
    .deadline = survival_rounds_deadline,
    .abort = survival_rounds_abort,
};
