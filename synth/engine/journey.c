/* Sequencing a user's steps. The first step's latency counts from the
 * arrival's intended time; each next step is due when the previous ended. */
#include "journey.h"

#include "synth/engine/worker.h"
#include "synth/steps/call.h"
#include "synth/steps/step.h"

#include <stdlib.h>

struct journey {
    struct step_run run;
    struct vuser *u;
    uint32_t next_step;
    uint64_t seq;
};

static void journey_end(struct journey *j)
{
    struct vuser *u = j->u;
    call_end_silently(u);
    u->run = NULL;
    u->busy = false;
    free(j);
    worker_journey_done(u->w, u);
}

static void step_done(struct step_run *run);

static void start_next(struct journey *j, int64_t intended_us)
{
    struct vuser *u = j->u;
    const struct scenario *sc = u->w->plan->scenario;
    while (j->next_step < sc->step_count && !u->w->aborting) {
        uint32_t i = j->next_step++;
        u->run = &j->run;
        int rc = step_run_start(&j->run, u, &sc->steps[i], i, intended_us, step_done, j);
        if (rc == 0)
            return;
        j->run.result.journey = j->seq;
        j->run.result.end_us = j->run.result.start_us;
        j->run.result.cls = FAIL_INTERNAL;
        worker_step_result(u->w, u, &j->run.result);
        step_run_cleanup(&j->run);
    }
    journey_end(j);
}

static void step_done(struct step_run *run)
{
    struct journey *j = run->arg;
    struct vuser *u = j->u;
    run->result.journey = j->seq;
    worker_step_result(u->w, u, &run->result);
    int64_t ended = run->result.end_us;
    step_run_cleanup(run);
    u->run = NULL;
    start_next(j, ended);
}

int journey_start(struct vuser *u, int64_t intended_us, uint64_t seq)
{
    struct journey *j = calloc(1, sizeof(*j));
    if (!j)
        return SYNTH_ENOMEM;
    j->u = u;
    j->seq = seq;
    u->busy = true;
    start_next(j, intended_us);
    return 0;
}

void journey_abort(struct vuser *u)
{
    if (u->run)
        step_run_abort(u->run);
}
