/* The per-worker media clock: one timer drives the senders of every stream
 * the worker owns, instead of a timer per stream. The streams are spread
 * over the packet period in slots (10 by default: at 20 ms a slot fires
 * every 2 ms with a tenth of the streams), so a thousand calls cost ten
 * wake-ups per period and the packets leave in small groups, not as one
 * burst that the receivers' loops (and our own receiving) must absorb at
 * one instant. */
#ifndef SYNTH_MEDIA_TICK_H
#define SYNTH_MEDIA_TICK_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct media_tick;
struct media_tick_client;

/* Called once per tick with the tick's intended time (monotonic µs) and how
 * many periods are due since the client's last call (more than 1 when the
 * loop ran late: the sender catches up instead of drifting). The client may
 * remove itself (or any other client) from inside the callback. */
typedef void(media_tick_h)(struct media_tick_client *c, int64_t due_us, uint32_t periods);

struct media_tick_client {
    media_tick_h *on_tick;
    void *arg;
    int64_t next_due_us;             /* managed by media_tick */
    unsigned slot;                   /* managed by media_tick */
    struct media_tick_client *prev, *next; /* managed by media_tick */
    bool linked;
};

#define MEDIA_TICK_SLOTS_MAX 50
/* The default spread, for periods of 10 ms and more that it divides. */
#define MEDIA_TICK_SLOTS 10

/* A clock on base with the given period; free with media_tick_free on the
 * loop's thread. */
int media_tick_new(struct media_tick **out, struct event_base *base, uint32_t period_us,
                   struct synth_error *err);
/* Sets how many slots the period is cut into (1 = every client at one
 * instant); only while no client is added. SYNTH_EINVAL when slots is 0,
 * above MEDIA_TICK_SLOTS_MAX, does not divide the period, or clients are
 * added. A client goes to the slot with the fewest. */
int media_tick_set_slots(struct media_tick *t, unsigned slots);
void media_tick_free(struct media_tick *t);

/* Starts calling c each period, the first time at the next tick. */
void media_tick_add(struct media_tick *t, struct media_tick_client *c);
/* Stops calling c; safe when c is not added, and from inside any callback. */
void media_tick_remove(struct media_tick *t, struct media_tick_client *c);

size_t media_tick_count(const struct media_tick *t);

/* How late ticks fired, for the generator's own health: the worst and the
 * sum over the count of ticks, in µs. */
struct media_tick_lag {
    uint64_t ticks;
    uint64_t late_sum_us;
    uint64_t late_max_us;
};
void media_tick_lag(const struct media_tick *t, struct media_tick_lag *out);

#endif
