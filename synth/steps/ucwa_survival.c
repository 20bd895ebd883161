/* The ucwa.survival step (issue #5): sessions signed in and held idle for
 * chosen intervals, to measure what a reverse proxy or firewall does to
 * idle mobile clients. Each probe is its own session on its own connection
 * pool, so probes never share (and never refresh) each other's
 * connections: a P-GET probe holds one P-GET with timeout=N on a
 * connection of its own (the proxy's read timeout); an idle probe leaves
 * its kept connection silent for N, then reports activity on it (the
 * proxy's idle-connection timeout: a new connection means the old one was
 * cut). The intervals of a round run in parallel; a search narrows rounds
 * between the longest survivor and the shortest death (survival.h). */
#include "survival_rounds.h"

#include "synth/engine/worker.h"
#include "synth/steps/ucwa_steps.h"
#include "synth/ucwa/ucwa_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Probes in flight for one user at most: a round of both kinds, or a ladder. */
#define SURVIVAL_PROBES_MAX (2 * SCENARIO_INTERVALS_MAX)
/* The idle probe's own first P-GET only drains the events makeMeAvailable queued. */
#define DRAIN_PGET_S 1

enum probe_state { P_DISCOVER, P_TOKEN, P_APPLICATION, P_AVAILABLE, P_DRAIN, P_HOLD, P_DONE };

struct survival_run;

struct probe {
    struct survival_run *sr;
    enum survival_probe kind;
    uint32_t idle_s;
    enum probe_state state;
    struct ucwa_http *http;
    struct ucwa_session *s;
    struct event *timer;
    int64_t hold_start_us;
};

struct survival_run {
    struct survival_rounds rounds; /* first: run->ctx */
    struct step_run *run;
    struct probe probes[SURVIVAL_PROBES_MAX];
    size_t probe_count;
};

static void probe_release(struct probe *p)
{
    if (p->timer)
        event_free(p->timer);
    ucwa_session_free(p->s);
    ucwa_http_free(p->http);
    p->timer = NULL;
    p->s = NULL;
    p->http = NULL;
}

/* Probes of a finished round are released before the next starts, so the
 * slots and connections never pile up across rounds. */
static void release_round(void *arg)
{
    struct survival_run *sr = arg;
    for (size_t i = 0; i < sr->probe_count; i++)
        probe_release(&sr->probes[i]);
    sr->probe_count = 0;
}

static const char *died_how(const struct ucwa_result *r)
{
    switch (r->fail) {
    case UCWA_FAIL_HTTP_STATUS: return r->status == 504 ? "proxy-504" : "pget-error";
    case UCWA_FAIL_CLOSED: return strstr(r->detail, "reset") ? "reset" : "closed";
    case UCWA_FAIL_TIMEOUT: return "no-answer";
    case UCWA_FAIL_APP_GONE: return "application-gone";
    case UCWA_FAIL_AUTH_REFUSED: return "token-expired";
    default: return "pget-error";
    }
}

/* A probe ended (an outcome, or a setup failure). */
static void probe_done(struct probe *p)
{
    p->state = P_DONE;
    survival_rounds_probe_done(&p->sr->rounds);
}

static void record(struct probe *p, bool survived, const char *how)
{
    struct survival_outcome o = {.probe = p->kind, .idle_s = p->idle_s, .survived = survived};
    snprintf(o.died_how, sizeof(o.died_how), "%s", how);
    survival_rounds_record(&p->sr->rounds, &o, p->hold_start_us);
}

static void setup_failed(struct probe *p, int err, const struct ucwa_result *r)
{
    enum failure_class cls = r && r->fail == UCWA_FAIL_AUTH_REFUSED ? FAIL_AUTH
                             : r && r->fail == UCWA_FAIL_TLS        ? FAIL_TLS
                             : r && r->fail == UCWA_FAIL_DNS        ? FAIL_DNS
                                                                    : FAIL_TRANSPORT;
    survival_rounds_setup_failed(&p->sr->rounds, cls, "signing a probe in: %s",
                                 r && r->detail[0] ? r->detail : synth_strerror(err));
    probe_done(p);
}

static void op_done(int err, const struct ucwa_result *r, void *arg);
static bool on_events(int err, const struct ucwa_result *r, const struct ucwa_events *ev,
                      void *arg);

static void next_op(struct probe *p)
{
    int rc = 0;
    switch (p->state) {
    case P_DISCOVER: rc = ucwa_discover(p->s, op_done, p); break;
    case P_TOKEN: rc = ucwa_sign_in(p->s, op_done, p); break;
    case P_APPLICATION: rc = ucwa_create_application(p->s, op_done, p); break;
    case P_AVAILABLE: rc = ucwa_make_me_available(p->s, op_done, p); break;
    case P_DRAIN:
        rc = ucwa_events_start(p->s, p->kind == SURVIVAL_PGET ? p->idle_s : DRAIN_PGET_S,
                               on_events, p);
        break;
    case P_HOLD:
    case P_DONE: return;
    }
    if (rc != 0)
        setup_failed(p, rc, NULL);
}

static void op_done(int err, const struct ucwa_result *r, void *arg)
{
    struct probe *p = arg;
    if (p->state == P_HOLD) {
        /* The idle probe's keep-alive after N s: a new connection means the
         * proxy cut the idle one. */
        if (err == 0 && r && r->fail == UCWA_FAIL_NONE)
            record(p, r->connects == 0, "closed");
        else
            record(p, false, r ? died_how(r) : "pget-error");
        probe_done(p);
        return;
    }
    if (err != 0 || !r || r->fail != UCWA_FAIL_NONE) {
        setup_failed(p, err, r);
        return;
    }
    p->state++;
    next_op(p);
}

static void idle_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    int rc = ucwa_report_activity(p->s, op_done, p);
    if (rc != 0) {
        record(p, false, "pget-error");
        probe_done(p);
    }
}

static bool on_events(int err, const struct ucwa_result *r, const struct ucwa_events *ev,
                      void *arg)
{
    struct probe *p = arg;
    (void)ev;
    if (p->state == P_DRAIN) {
        if (err != 0 || !r || r->fail != UCWA_FAIL_NONE) {
            setup_failed(p, err, r);
            return false;
        }
        p->state = P_HOLD;
        p->hold_start_us = mono_us();
        if (p->kind == SURVIVAL_PGET)
            return true; /* the next P-GET is the probe: held idle_s by the server */
        struct timeval tv = {(time_t)p->idle_s, 0};
        p->timer = evtimer_new(p->sr->run->u->w->base, idle_timer_cb, p);
        if (!p->timer || evtimer_add(p->timer, &tv) != 0) {
            record(p, false, "pget-error");
            probe_done(p);
        }
        return false;
    }
    /* The held P-GET came back: by the server's timeout (it survived), or cut. */
    record(p, err == 0 && r && r->fail == UCWA_FAIL_NONE, r ? died_how(r) : "pget-error");
    probe_done(p);
    return false;
}

static int probe_start(void *arg, enum survival_probe kind, uint32_t idle_s)
{
    struct survival_run *sr = arg;
    struct vuser *u = sr->run->u;
    struct synth_error err;
    if (sr->probe_count >= SURVIVAL_PROBES_MAX)
        return SYNTH_ETOOBIG;
    struct probe *p = &sr->probes[sr->probe_count++];
    memset(p, 0, sizeof(*p));
    p->sr = sr;
    p->kind = kind;
    p->idle_s = idle_s;
    struct ucwa_session_opts o;
    ucwa_step_session_opts(u, 0, &o);
    int rc = ucwa_http_new(&p->http, u->w->base, &err);
    if (rc == 0)
        rc = ucwa_session_new(&p->s, p->http, &o, &err);
    if (rc != 0)
        return rc;
    next_op(p);
    return 0;
}

static void survival_free(void *arg)
{
    free(arg);
}

static const struct survival_rounds_ops rounds_ops = {
    .start = probe_start,
    .release = release_round,
    .free = survival_free,
};

static void survival_start(struct step_run *run)
{
    if (!run->u->w->plan->target->ucwa.enabled) {
        step_finish_fail(run, FAIL_NOT_READY, "the target has no ucwa: section");
        return;
    }
    struct survival_run *sr = calloc(1, sizeof(*sr));
    if (!sr) {
        step_finish_fail(run, FAIL_INTERNAL, "out of memory");
        return;
    }
    sr->run = run;
    survival_rounds_begin(&sr->rounds, run, &rounds_ops, sr);
}

const struct step_ops step_ucwa_survival_ops = {
    .start = survival_start,
    .deadline = survival_rounds_deadline,
    .abort = survival_rounds_abort,
};
