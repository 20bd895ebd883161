/* The one-line status `synth run` prints while a run goes on. It reads a
 * snapshot the collector fills, never live worker state. */
#ifndef SYNTH_REPORTS_PROGRESS_H
#define SYNTH_REPORTS_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* A line longer than a wide terminal is no status line: buffers of this size always fit. */
#define PROGRESS_LINE_MAX 160

struct progress_snapshot {
    double elapsed_s;
    uint64_t calls_started;
    uint64_t calls_ok;
    uint64_t calls_failed;
    uint64_t journeys_skipped;
    double rate;         /* calls started per second over the last interval */
    double setup_p95_ms; /* negative = no call answered yet */
};

/* "[  12s] calls 240 started, 236 ok, 2 failed, 0 skipped | 20.1/s | setup p95 212 ms".
 * Always NUL-terminates out (size > 0); a line that does not fit is cut. */
void progress_line(char *out, size_t size, const struct progress_snapshot *p);

#endif
