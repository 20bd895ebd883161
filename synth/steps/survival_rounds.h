/* The rounds of a survival step (issue #5), shared by ucwa.survival and
 * sip.survival: which intervals each round probes (the ladder at once, or
 * the next k-section of the search, survival.h), how many probes are still
 * in flight, the outcomes into the worker's statistics, and the step's end.
 * The step kind starts and frees its own probes through the ops. */
#ifndef SYNTH_STEPS_SURVIVAL_ROUNDS_H
#define SYNTH_STEPS_SURVIVAL_ROUNDS_H

#include "step.h"

#include "synth/engine/survival.h"

struct survival_rounds_ops {
    /* Starts one probe of the round. It ends later (or at once) with
     * survival_rounds_record and survival_rounds_probe_done, or with
     * survival_rounds_setup_failed; a non-zero return starts no more. */
    int (*start)(void *arg, enum survival_probe kind, uint32_t idle_s);
    /* Frees the probes of the round that ended (none is in flight). */
    void (*release)(void *arg);
    /* Frees the step's own state, survival_rounds included (the step ends). */
    void (*free)(void *arg);
};

/* Embedded as the FIRST member of the step kind's state, which is
 * run->ctx: survival_rounds_deadline and _abort find it there. */
struct survival_rounds {
    struct step_run *run;
    const struct survival_rounds_ops *ops;
    void *arg;
    struct survival_search search[SURVIVAL_PROBE_COUNT];
    size_t pending, outcomes;
    struct event *next_ev; /* the next round starts from the loop, never inside a probe's callback */
    bool setup_failed;
    uint32_t setup_failures; /* probes that never got to hold: their intervals are missing */
    enum failure_class setup_class;
    char setup_detail[RESULT_TEXT_MAX];
};

/* Sets run->ctx = arg and starts the first round. On failure the step
 * has finished (failed) and arg was freed through ops->free. */
void survival_rounds_begin(struct survival_rounds *r, struct step_run *run,
                           const struct survival_rounds_ops *ops, void *arg);
/* One probe's outcome (o->held_s is measured from hold_start_us when set). */
void survival_rounds_record(struct survival_rounds *r, const struct survival_outcome *o,
                            int64_t hold_start_us);
/* A probe could not be set up (sign-in, registration): the first reason
 * is the step's failure when no probe gave an outcome. */
void survival_rounds_setup_failed(struct survival_rounds *r, enum failure_class cls,
                                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A probe ended; the last of a round schedules the next round. */
void survival_rounds_probe_done(struct survival_rounds *r);

/* The step's deadline and abort for kinds whose run->ctx starts with a
 * survival_rounds: what is in flight ends without an outcome. */
void survival_rounds_deadline(struct step_run *run);
void survival_rounds_abort(struct step_run *run);

#endif
