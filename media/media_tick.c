/* The per-worker media clock (media_tick.h). The timer runs only while a
 * client is added, so an idle worker does not wake at all. It fires once
 * per slot, serving that slot's clients; every slot comes round once per
 * period. */
#include "media/media_tick.h"

#include "synth/base/clock.h"
#include "synth/base/loop.h"

#include <event2/event.h>

#include <stdlib.h>

struct media_tick {
    struct event_base *base;
    struct event *timer;
    uint32_t period_us;
    unsigned slots;
    uint32_t slot_us;                 /* period_us / slots */
    struct media_tick_client *head[MEDIA_TICK_SLOTS_MAX];
    size_t in_slot[MEDIA_TICK_SLOTS_MAX];
    struct media_tick_client *cursor; /* next client of the running tick */
    size_t count;
    unsigned slot;                    /* the slot of the next (or running) tick */
    bool running;                     /* inside tick_cb's callbacks */
    int64_t next_us;                  /* intended time of the next tick */
    struct media_tick_lag lag;
};

static void arm(struct media_tick *t, int64_t now)
{
    int64_t wait = t->next_us - now;
    if (wait < 0)
        wait = 0;
    struct timeval tv = {(time_t)(wait / 1000000), (suseconds_t)(wait % 1000000)};
    evtimer_add(t->timer, &tv);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct media_tick *t = arg;
    int64_t now = clock_mono_us();
    int64_t due = t->next_us;
    uint64_t late = now > due ? (uint64_t)(now - due) : 0;
    t->lag.ticks++;
    t->lag.late_sum_us += late;
    if (late > t->lag.late_max_us)
        t->lag.late_max_us = late;

    /* A timer may fire a little early: judge clients against the tick's
     * intended time then, or each would skip this period and send two
     * packets back to back at the next. */
    int64_t ref = now > due ? now : due;
    t->running = true;
    for (struct media_tick_client *c = t->head[t->slot]; c; c = t->cursor) {
        t->cursor = c->next;
        if (c->next_due_us > ref)
            continue;
        uint32_t periods = (uint32_t)((ref - c->next_due_us) / t->period_us) + 1;
        c->next_due_us += (int64_t)periods * t->period_us;
        c->on_tick(c, due, periods);
    }
    t->cursor = NULL;
    t->running = false;
    /* Keep to the grid: a slot a little late is followed at once by the
     * next; after a stall of a period or more, whole periods are dropped
     * (each client counts them as it is served) so slots keep their phase. */
    t->slot = (t->slot + 1) % t->slots;
    t->next_us += t->slot_us;
    if (now - t->next_us >= (int64_t)t->period_us)
        t->next_us += (now - t->next_us) / t->period_us * t->period_us;
    if (t->count)
        arm(t, now);
}

int media_tick_new(struct media_tick **out, struct event_base *base, uint32_t period_us,
                   struct synth_error *err)
{
    struct media_tick *t = calloc(1, sizeof(*t));
    if (!t || period_us == 0) {
        free(t);
        return synth_error_set(err, t ? SYNTH_EINVAL : SYNTH_ENOMEM, "media tick: %s",
                               t ? "period must be above 0" : "out of memory");
    }
    t->base = base;
    t->period_us = period_us;
    t->slots = 1;
    t->slot_us = period_us;
    if (period_us >= 10000 && period_us % MEDIA_TICK_SLOTS == 0)
        media_tick_set_slots(t, MEDIA_TICK_SLOTS);
    t->timer = evtimer_new(base, tick_cb, t);
    if (t->timer && event_base_get_npriorities(base) >= LOOP_PRIORITIES)
        event_priority_set(t->timer, LOOP_PRIORITY_MEDIA);
    if (!t->timer) {
        free(t);
        return synth_error_set(err, SYNTH_ENOMEM, "media tick: out of memory");
    }
    *out = t;
    return 0;
}

int media_tick_set_slots(struct media_tick *t, unsigned slots)
{
    if (slots == 0 || slots > MEDIA_TICK_SLOTS_MAX || t->period_us % slots != 0 || t->count)
        return SYNTH_EINVAL;
    t->slots = slots;
    t->slot_us = t->period_us / slots;
    t->slot = 0;
    return 0;
}

void media_tick_free(struct media_tick *t)
{
    if (!t)
        return;
    for (unsigned s = 0; s < t->slots; s++)
        while (t->head[s])
            media_tick_remove(t, t->head[s]);
    event_free(t->timer);
    free(t);
}

/* The slot with the fewest clients (the lowest such index). */
static unsigned emptiest_slot(const struct media_tick *t)
{
    unsigned best = 0;
    for (unsigned s = 1; s < t->slots; s++)
        if (t->in_slot[s] < t->in_slot[best])
            best = s;
    return best;
}

void media_tick_add(struct media_tick *t, struct media_tick_client *c)
{
    if (c->linked)
        return;
    int64_t now = clock_mono_us();
    if (!t->count) {
        t->slot = 0;
        t->next_us = now + t->slot_us;
        arm(t, now);
    }
    /* Inside a tick, t->slot and t->next_us are still the running tick's:
     * count from the one after it. */
    bool in_tick = t->running;
    unsigned from = in_tick ? (t->slot + 1) % t->slots : t->slot;
    int64_t from_us = in_tick ? t->next_us + t->slot_us : t->next_us;
    unsigned s = emptiest_slot(t);
    unsigned ahead = (s + t->slots - from) % t->slots;
    c->slot = s;
    c->next_due_us = from_us + (int64_t)ahead * t->slot_us;
    c->prev = NULL;
    c->next = t->head[s];
    if (t->head[s])
        t->head[s]->prev = c;
    t->head[s] = c;
    c->linked = true;
    t->in_slot[s]++;
    t->count++;
}

void media_tick_remove(struct media_tick *t, struct media_tick_client *c)
{
    if (!c->linked)
        return;
    if (t->cursor == c)
        t->cursor = c->next;
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head[c->slot] = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->linked = false;
    t->in_slot[c->slot]--;
    t->count--;
    if (!t->count)
        event_del(t->timer);
}

size_t media_tick_count(const struct media_tick *t)
{
    return t->count;
}

void media_tick_lag(const struct media_tick *t, struct media_tick_lag *out)
{
    *out = t->lag;
}
