/* The per-worker media clock (media_tick.h). The timer runs only while a
 * client is added, so an idle worker does not wake 50 times a second. */
#include "media/media_tick.h"

#include "synth/base/clock.h"
#include "synth/base/loop.h"

#include <event2/event.h>

#include <stdlib.h>

struct media_tick {
    struct event_base *base;
    struct event *timer;
    uint32_t period_us;
    struct media_tick_client *head;
    struct media_tick_client *cursor; /* next client of the running tick */
    size_t count;
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
    for (struct media_tick_client *c = t->head; c; c = t->cursor) {
        t->cursor = c->next;
        if (c->next_due_us > ref)
            continue;
        uint32_t periods = (uint32_t)((ref - c->next_due_us) / t->period_us) + 1;
        c->next_due_us += (int64_t)periods * t->period_us;
        c->on_tick(c, due, periods);
    }
    t->cursor = NULL;
    /* Keep to the grid; after a long stall, restart it from now. */
    t->next_us += t->period_us;
    if (t->next_us <= now)
        t->next_us = now + t->period_us;
    if (t->head)
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

void media_tick_free(struct media_tick *t)
{
    if (!t)
        return;
    while (t->head)
        media_tick_remove(t, t->head);
    event_free(t->timer);
    free(t);
}

void media_tick_add(struct media_tick *t, struct media_tick_client *c)
{
    if (c->linked)
        return;
    int64_t now = clock_mono_us();
    if (!t->head) {
        t->next_us = now + t->period_us;
        arm(t, now);
    }
    c->next_due_us = t->next_us;
    c->prev = NULL;
    c->next = t->head;
    if (t->head)
        t->head->prev = c;
    t->head = c;
    c->linked = true;
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
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->linked = false;
    t->count--;
    if (!t->head)
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
