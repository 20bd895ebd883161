/* The wait step: the user idles, its connection and registration kept. */
#include "step.h"

static void wait_start(struct step_run *run)
{
    step_timer_start(run, run->cfg->duration_ms);
}

static void wait_timer(struct step_run *run)
{
    step_finish_ok(run);
}

static void wait_abort(struct step_run *run)
{
    step_finish_ok(run); /* idling is done when the run stops */
}

const struct step_ops step_wait_ops = {
    .start = wait_start,
    .abort = wait_abort,
    .timer = wait_timer,
};
