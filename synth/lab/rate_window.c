/* Sliding-window admission counter (rate_window.h). */
#include "rate_window.h"

#include "synth/base/err.h"

#include <stdlib.h>
#include <string.h>

int rate_window_init(struct rate_window *w, uint32_t limit, uint32_t window_ms)
{
    memset(w, 0, sizeof(*w));
    if (limit > RATE_WINDOW_LIMIT_MAX || window_ms == 0)
        return SYNTH_EINVAL;
    w->limit = limit;
    w->window_ms = window_ms;
    if (limit == 0)
        return 0;
    w->at_ms = calloc(limit, sizeof(*w->at_ms));
    return w->at_ms ? 0 : SYNTH_ENOMEM;
}

void rate_window_free(struct rate_window *w)
{
    free(w->at_ms);
    memset(w, 0, sizeof(*w));
}

bool rate_window_admit(struct rate_window *w, uint64_t now_ms)
{
    if (w->limit == 0)
        return true;
    /* The window is (now - window_ms, now]: an admission exactly window_ms
     * ago has left it. */
    while (w->count && w->at_ms[w->head] + w->window_ms <= now_ms) {
        w->head = (w->head + 1) % w->limit;
        w->count--;
    }
    if (w->count == w->limit)
        return false;
    w->at_ms[(w->head + w->count) % w->limit] = now_ms;
    w->count++;
    return true;
}
