/* A sliding-window admission counter: at most `limit` admissions in any
 * window of window_ms (the lab's max_call_rate: INVITEs per second). Keeps
 * the times of the admissions in the window in a ring of `limit` slots. */
#ifndef SYNTH_LAB_RATE_WINDOW_H
#define SYNTH_LAB_RATE_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

/* A lab answering more than this many calls a second is beyond what one
 * loopback process simulates; the bound keeps the ring small (800 KB). */
#define RATE_WINDOW_LIMIT_MAX 100000

struct rate_window {
    uint64_t *at_ms; /* ring of admission times, oldest at head */
    uint32_t limit, head, count;
    uint32_t window_ms;
};

/* limit 0: admits everything and allocates nothing. SYNTH_EINVAL above
 * RATE_WINDOW_LIMIT_MAX, SYNTH_ENOMEM. Free with rate_window_free. */
int rate_window_init(struct rate_window *w, uint32_t limit, uint32_t window_ms);
void rate_window_free(struct rate_window *w);

/* Whether one more admission at now_ms stays within the limit (then it is
 * counted); refusals are not counted. now_ms must not go backwards. */
bool rate_window_admit(struct rate_window *w, uint64_t now_ms);

#endif
