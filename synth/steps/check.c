/* The check step (issue #4): the certificate check of `synth check` as a
 * step of a journey, on the worker's loop. Each TLS endpoint of the target
 * (registrar, edge, checks:) is probed at once; the step fails (class
 * "certificate") when a rule fails, naming each endpoint and rule, and is
 * transport or tls when an endpoint cannot be inspected at all. Warnings
 * (a certificate expiring within its warning days) pass. */
#include "step.h"

#include "synth/base/sbuf.h"
#include "synth/engine/worker.h"
#include "synth/tls/cert_sweep.h"

#include <stdio.h>
#include <stdlib.h>

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

/* The step's sweep, cancelled if it still runs, and freed. */
static void sweep_drop(struct step_run *run)
{
    struct cert_sweep *s = run->ctx;
    run->ctx = NULL;
    if (s) {
        cert_sweep_free(s);
        free(s);
    }
}

static void finish(struct step_run *run)
{
    struct cert_sweep *s = run->ctx;
    struct synth_error err;
    char detail[RESULT_TEXT_MAX];
    enum failure_class cls;
    int rc = cert_sweep_evaluate(s, &err);
    enum cert_status worst = rc == 0 ? cert_sweep_worst(s) : CERT_FAIL;
    if (rc == 0 && worst != CERT_FAIL) {
        sweep_drop(run);
        step_finish_ok(run);
        return;
    }
    if (rc == 0) {
        describe(s, detail, sizeof(detail), &cls);
    } else {
        snprintf(detail, sizeof(detail), "%s", err.msg);
        cls = FAIL_INTERNAL;
    }
    sweep_drop(run);
    step_finish_fail(run, cls, "%s", detail);
}

static void on_done(struct cert_sweep *s, void *arg)
{
    (void)s;
    finish(arg);
}

static void check_start(struct step_run *run)
{
    const struct run_plan *plan = run->u->w->plan;
    struct cert_sweep *s = calloc(1, sizeof(*s));
    struct synth_error err;
    if (!s) {
        step_finish_fail(run, FAIL_INTERNAL, "out of memory");
        return;
    }
    /* Each probe ends before the step's deadline: the deadline then means
     * synth itself is stuck, not the endpoint. */
    cert_sweep_init(s, plan->target, run->cfg->timeout_ms * 4 / 5);
    s->um_client_x509 = plan->um_client_x509;
    s->um_client_pkey = plan->um_client_pkey;
    cert_sweep_add_target(s);
    run->ctx = s;
    int rc = cert_sweep_start(s, run->u->w->base, on_done, run, &err);
    if (rc == 0)
        return;
    sweep_drop(run);
    if (rc == SYNTH_ENOTFOUND)
        step_finish_fail(run, FAIL_NOT_READY, "the target has no TLS endpoint to check "
                                              "(a tls registrar or checks: entries)");
    else
        step_finish_fail(run, FAIL_INTERNAL, "%s", err.msg);
}

static void stop(struct step_run *run, enum failure_class cls, const char *why)
{
    sweep_drop(run);
    step_finish_fail(run, cls, "%s", why);
}

static void check_deadline(struct step_run *run)
{
    stop(run, FAIL_TIMEOUT, "the certificate probes did not end before the step's deadline");
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
