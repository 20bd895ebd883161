/* The live status line of a run. */
#include "progress.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

void progress_line(char *out, size_t size, const struct progress_snapshot *p)
{
    char setup[32];

    if (size == 0)
        return;
    if (isfinite(p->setup_p95_ms) && p->setup_p95_ms >= 0)
        snprintf(setup, sizeof(setup), "%.0f ms", p->setup_p95_ms);
    else
        snprintf(setup, sizeof(setup), "- ms");

    /* Whole seconds: the line is redrawn about once a second, tenths would flicker. */
    double elapsed = isfinite(p->elapsed_s) && p->elapsed_s > 0 ? floor(p->elapsed_s) : 0;
    double rate = isfinite(p->rate) && p->rate > 0 ? p->rate : 0;
    /* snprintf cuts a line that does not fit and still NUL-terminates it: a cut
     * status line is better than none. */
    snprintf(out, size,
             "[%4.0fs] calls %" PRIu64 " started, %" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
             " skipped | %.1f/s | setup p95 %s",
             elapsed, p->calls_started, p->calls_ok, p->calls_failed, p->journeys_skipped, rate,
             setup);
}
