/* The rounds of a survival step (survival_rounds.h). */
#include "survival_rounds.h"

#include "synth/engine/worker.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void rounds_free(struct survival_rounds *r)
{
    if (r->next_ev)
        event_free(r->next_ev);
    r->next_ev = NULL;
    r->ops->release(r->arg);
    r->ops->free(r->arg);
}

static void finish(struct survival_rounds *r)
{
    struct step_run *run = r->run;
    bool failed = r->outcomes == 0;
    enum failure_class cls = r->setup_failed ? r->setup_class : FAIL_INTERNAL;
    char detail[RESULT_TEXT_MAX];
    snprintf(detail, sizeof(detail), "%s", r->setup_failed ? r->setup_detail : "no probe ran");
    run->ctx = NULL;
    uint32_t lost = r->setup_failures;
    rounds_free(r);
    if (failed) {
        step_finish_fail(run, cls, "%s", detail);
        return;
    }
    /* The outcomes stand, but a gap in them must not pass unseen. */
    if (lost)
        snprintf(run->result.detail, sizeof(run->result.detail),
                 "%u probe%s never held (their intervals are missing): %s", lost,
                 lost == 1 ? "" : "s", detail);
    step_finish_ok(run);
}

static void start_round(struct survival_rounds *r)
{
    const struct scenario_step *cfg = r->run->cfg;
    r->ops->release(r->arg);
    if (r->setup_failed) {
        finish(r);
        return;
    }
    bool stop = false;
    for (int k = 0; k < SURVIVAL_PROBE_COUNT && !stop; k++) {
        if (!(cfg->probes & (1u << k)))
            continue;
        uint32_t points[SCENARIO_INTERVALS_MAX];
        size_t n;
        if (cfg->interval_count) {
            /* A ladder is one round. */
            n = r->outcomes ? 0 : cfg->interval_count;
            memcpy(points, cfg->intervals_s, n * sizeof(points[0]));
        } else {
            n = survival_search_next(&r->search[k], points, SCENARIO_INTERVALS_MAX);
        }
        for (size_t i = 0; i < n && !stop; i++) {
            /* Counted first: a probe may end inside its own start. */
            r->pending++;
            if (r->ops->start(r->arg, (enum survival_probe)k, points[i]) != 0) {
                r->pending--;
                stop = true;
            }
        }
    }
    if (r->pending == 0)
        finish(r);
}

static void next_round_cb(evutil_socket_t fd, short what, void *arg)
{
    start_round(arg);
}

void survival_rounds_begin(struct survival_rounds *r, struct step_run *run,
                           const struct survival_rounds_ops *ops, void *arg)
{
    const struct scenario_step *cfg = run->cfg;
    r->run = run;
    r->ops = ops;
    r->arg = arg;
    run->ctx = arg;
    for (int k = 0; k < SURVIVAL_PROBE_COUNT; k++)
        survival_search_init(&r->search[k], cfg->search_min_s, cfg->search_max_s,
                             cfg->search_resolution_s);
    r->next_ev = evtimer_new(run->u->w->base, next_round_cb, r);
    if (!r->next_ev) {
        run->ctx = NULL;
        rounds_free(r);
        step_finish_fail(run, FAIL_INTERNAL, "out of memory");
        return;
    }
    start_round(r);
}

void survival_rounds_record(struct survival_rounds *r, const struct survival_outcome *o,
                            int64_t hold_start_us)
{
    struct survival_outcome x = *o;
    x.held_s = hold_start_us ? (double)(mono_us() - hold_start_us) / 1e6 : 0;
    if (x.survived)
        x.died_how[0] = '\0';
    survival_log_add(&r->run->u->w->stats.survival, &x);
    survival_search_update(&r->search[x.probe], x.idle_s, x.survived);
    r->outcomes++;
}

void survival_rounds_setup_failed(struct survival_rounds *r, enum failure_class cls,
                                  const char *fmt, ...)
{
    r->setup_failures++;
    if (r->setup_failed)
        return;
    r->setup_failed = true;
    r->setup_class = cls;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->setup_detail, sizeof(r->setup_detail), fmt, ap);
    va_end(ap);
}

/* The next round, or the step's end, from the loop: this may run inside
 * a probe's own callback, and the round frees the probes. */
void survival_rounds_probe_done(struct survival_rounds *r)
{
    if (--r->pending == 0) {
        struct timeval zero = {0, 0};
        evtimer_add(r->next_ev, &zero);
    }
}

static void stop(struct step_run *run, enum failure_class cls, const char *why)
{
    struct survival_rounds *r = run->ctx;
    run->ctx = NULL;
    if (r)
        rounds_free(r);
    step_finish_fail(run, cls, "%s", why);
}

void survival_rounds_deadline(struct step_run *run)
{
    stop(run, FAIL_TIMEOUT, "the probes did not end within the step's timeout");
}

void survival_rounds_abort(struct step_run *run)
{
    stop(run, FAIL_CANCELED, "the run stopped");
}
