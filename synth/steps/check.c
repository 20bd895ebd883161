/* The check step (issue #4): the certificate check of `synth check` as a
 * step of a journey, on the worker's loop. Each TLS endpoint of the target
 * (registrar, edge, checks:) is probed at once, and with media.turn the
 * relay (relay_probe.h); the step fails (class "certificate") when a rule
 * fails, naming each endpoint and rule, and is transport or tls when an
 * endpoint cannot be inspected at all, relay-unavailable when only the
 * relay did not answer. Warnings (a certificate expiring within its
 * warning days) pass. */
#include "step.h"

#include "synth/base/sbuf.h"
#include "synth/engine/worker.h"
#include "synth/steps/relay_probe.h"
#include "synth/tls/cert_sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The failures named in the step's detail; the rest is counted. */
static void describe(const struct cert_sweep *s, char *out, size_t size, enum failure_class *cls)
{
    struct sbuf sb;
    size_t n = 0;
    sbuf_init(&sb, out, size);
    *cls = FAIL_CERT;
    for (size_t i = 0; i < s->item_count; i++) {
        const struct cert_sweep_item *it = &s->items[i];
        if (it->probe_rc || !it->report) {
            sbuf_printf(&sb, "%s%s: %s", n++ ? "; " : "", it->peer,
                        it->probe_rc ? it->perr.msg : "no certificate presented");
            if (*cls == FAIL_CERT)
                *cls = it->probe_rc == SYNTH_ETLS ? FAIL_TLS : FAIL_TRANSPORT;
            continue;
        }
        for (int r = 0; r < CERT_RULE_COUNT; r++) {
            const struct cert_rule_result *rr = &it->report->rules[r];
            if (rr->status == CERT_FAIL)
                sbuf_printf(&sb, "%s%s %s: %s", n++ ? "; " : "", it->peer,
                            cert_rule_name(rr->rule), rr->summary);
        }
    }
}

/* What the step runs at once: the certificate sweep and, with media.turn,
 * the relay probe. The step ends when both have. */
struct check_run {
    struct cert_sweep sweep;
    bool sweeping;            /* sweep started and not ended */
    struct relay_probe *relay; /* NULL: the target names no relay */
    bool relay_running;
};

/* The step's probes, cancelled if they still run, and freed. */
static void run_drop(struct step_run *run)
{
    struct check_run *c = run->ctx;
    run->ctx = NULL;
    if (c) {
        cert_sweep_free(&c->sweep);
        relay_probe_free(c->relay);
        free(c);
    }
}

static void finish(struct step_run *run)
{
    struct check_run *c = run->ctx;
    struct synth_error err;
    char detail[RESULT_TEXT_MAX];
    enum failure_class cls = FAIL_NONE;
    struct relay_probe_result relay = {.reachable = true};
    if (c->relay)
        relay_probe_result(c->relay, &relay);
    int rc = cert_sweep_evaluate(&c->sweep, &err); /* no endpoints: nothing to judge */
    enum cert_status worst = rc == 0 ? cert_sweep_worst(&c->sweep) : CERT_FAIL;
    if (rc != 0) {
        snprintf(detail, sizeof(detail), "%s", err.msg);
        cls = FAIL_INTERNAL;
    } else if (worst == CERT_FAIL) {
        describe(&c->sweep, detail, sizeof(detail), &cls);
    }
    if (rc == 0 && !relay.reachable) {
        size_t n = cls == FAIL_NONE ? 0 : strlen(detail);
        char what[200];
        relay_probe_describe(&relay, what, sizeof(what));
        snprintf(detail + n, sizeof(detail) - n, "%s%s: not reachable", n ? "; " : "", what);
        if (cls == FAIL_NONE)
            cls = FAIL_RELAY;
    }
    run_drop(run);
    if (cls == FAIL_NONE)
        step_finish_ok(run);
    else
        step_finish_fail(run, cls, "%s", detail);
}

static void on_sweep_done(struct cert_sweep *s, void *arg)
{
    struct step_run *run = arg;
    struct check_run *c = run->ctx;
    (void)s;
    c->sweeping = false;
    if (!c->relay_running)
        finish(run);
}

static void on_relay_done(struct relay_probe *p, void *arg)
{
    struct step_run *run = arg;
    struct check_run *c = run->ctx;
    (void)p;
    c->relay_running = false;
    if (!c->sweeping)
        finish(run);
}

static void check_start(struct step_run *run)
{
    const struct run_plan *plan = run->u->w->plan;
    struct check_run *c = calloc(1, sizeof(*c));
    struct synth_error err;
    if (!c) {
        step_finish_fail(run, FAIL_INTERNAL, "out of memory");
        return;
    }
    /* Each probe ends before the step's deadline: the deadline then means
     * synth itself is stuck, not the endpoint. */
    uint32_t probe_ms = run->cfg->timeout_ms * 4 / 5;
    cert_sweep_init(&c->sweep, plan->target, probe_ms);
    c->sweep.um_client_x509 = plan->um_client_x509;
    c->sweep.um_client_pkey = plan->um_client_pkey;
    cert_sweep_add_target(&c->sweep);
    run->ctx = c;
    int rc = cert_sweep_start(&c->sweep, run->u->w->base, on_sweep_done, run, &err);
    c->sweeping = rc == 0;
    bool relay = relay_probe_wanted(plan->target);
    if (rc == SYNTH_ENOTFOUND && !relay) {
        run_drop(run);
        step_finish_fail(run, FAIL_NOT_READY, "the target has no TLS endpoint to check "
                                              "(a tls registrar or checks: entries) and no "
                                              "media.turn relay");
        return;
    }
    if (rc == SYNTH_ENOTFOUND)
        rc = 0;
    if (rc == 0 && relay) {
        rc = relay_probe_start(&c->relay, run->u->w->base, plan->target, probe_ms, on_relay_done,
                               run, &err);
        c->relay_running = rc == 0;
    }
    if (rc == 0)
        return;
    run_drop(run);
    step_finish_fail(run, FAIL_INTERNAL, "%s", err.msg);
}

static void stop(struct step_run *run, enum failure_class cls, const char *why)
{
    run_drop(run);
    step_finish_fail(run, cls, "%s", why);
}

static void check_deadline(struct step_run *run)
{
    stop(run, FAIL_TIMEOUT, "the certificate and relay probes did not end before the step's deadline");
}

static void check_abort(struct step_run *run)
{
    stop(run, FAIL_CANCELED, "the run was stopped");
}

const struct step_ops step_check_ops = {
    .start = check_start,
    .deadline = check_deadline,
    .abort = check_abort,
};
