/* Unit tests: the per-worker media clock: periods counted without drift,
 * clients removed from inside callbacks, the timer idle when nobody listens,
 * clients spread evenly over the period's slots. */
#include "media/media_tick.h"

#include <event2/event.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

struct counter {
    struct media_tick_client c;
    struct media_tick *t;
    uint32_t calls, periods;
    uint32_t stop_after;             /* remove itself after this many calls */
    struct media_tick_client *victim; /* removed at the first call */
    int64_t last_due;
    bool due_moved_back;
};

static void on_tick(struct media_tick_client *c, int64_t due_us, uint32_t periods)
{
    struct counter *k = c->arg;
    k->calls++;
    k->periods += periods;
    if (k->last_due && due_us <= k->last_due)
        k->due_moved_back = true;
    k->last_due = due_us;
    if (k->victim) {
        media_tick_remove(k->t, k->victim);
        k->victim = NULL;
    }
    if (k->stop_after && k->calls == k->stop_after)
        media_tick_remove(k->t, c);
}

static void loop_for(struct event_base *base, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static void periods_follow_wall_time(void **state)
{
    struct event_base *base = event_base_new();
    struct media_tick *t;
    struct synth_error err;
    assert_int_equal(media_tick_new(&t, base, 10000, &err), 0);
    /* One slot: all four in one tick, in list order. */
    assert_int_equal(media_tick_set_slots(t, 1), 0);
    struct counter a = {.c = {.on_tick = on_tick, .arg = &a}, .t = t};
    struct counter b = {.c = {.on_tick = on_tick, .arg = &b}, .t = t, .stop_after = 5};
    struct counter v = {.c = {.on_tick = on_tick, .arg = &v}, .t = t};
    struct counter killer = {.c = {.on_tick = on_tick, .arg = &killer}, .t = t,
                             .victim = &v.c, .stop_after = 1};
    media_tick_add(t, &v.c);
    media_tick_add(t, &a.c);
    media_tick_add(t, &b.c);
    media_tick_add(t, &killer.c); /* runs first: added last, listed first */
    assert_int_equal(media_tick_count(t), 4);
    loop_for(base, 300);
    /* 300 ms at 10 ms: about 30 periods (a little more if the exit fires late). */
    assert_in_range(a.periods, 27, 33);
    assert_true(a.calls <= a.periods);
    assert_false(a.due_moved_back);
    assert_int_equal(b.calls, 5);
    assert_int_equal(v.calls, 0);
    assert_int_equal(killer.calls, 1);
    assert_int_equal(media_tick_count(t), 1);
    struct media_tick_lag lag;
    media_tick_lag(t, &lag);
    assert_in_range(lag.ticks, 5, 33);
    media_tick_remove(t, &a.c);
    media_tick_remove(t, &a.c); /* twice is safe */
    assert_int_equal(media_tick_count(t), 0);
    /* Nobody listens: the loop has nothing pending and returns at once. */
    assert_int_equal(event_base_dispatch(base), 1);
    media_tick_free(t);
    event_base_free(base);
}

static void catches_up_after_a_stall(void **state)
{
    struct event_base *base = event_base_new();
    struct media_tick *t;
    struct synth_error err;
    assert_int_equal(media_tick_new(&t, base, 10000, &err), 0);
    struct counter a = {.c = {.on_tick = on_tick, .arg = &a}, .t = t};
    media_tick_add(t, &a.c);
    struct timespec stall = {0, 55 * 1000 * 1000};
    nanosleep(&stall, NULL); /* the loop is blocked for 5.5 periods */
    loop_for(base, 25);
    assert_true(a.calls >= 1);
    assert_in_range(a.periods, 7, 10); /* 80 ms and more elapsed: every period accounted */
    media_tick_free(t);
    event_base_free(base);
}

#define SPREAD_CLIENTS 20

struct spread {
    struct media_tick_client c;
    int64_t first_due;
    uint32_t periods;
};

static void on_spread_tick(struct media_tick_client *c, int64_t due_us, uint32_t periods)
{
    struct spread *s = c->arg;
    if (!s->first_due)
        s->first_due = due_us;
    s->periods += periods;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void clients_spread_over_the_period(void **state)
{
    struct event_base *base = event_base_new();
    struct media_tick *t;
    struct synth_error err;
    assert_int_equal(media_tick_new(&t, base, 20000, &err), 0);
    assert_int_equal(media_tick_set_slots(t, 0), SYNTH_EINVAL);
    assert_int_equal(media_tick_set_slots(t, 7), SYNTH_EINVAL);  /* 20000 / 7 is not whole */
    assert_int_equal(media_tick_set_slots(t, MEDIA_TICK_SLOTS_MAX + 1), SYNTH_EINVAL);
    struct spread s[SPREAD_CLIENTS];
    memset(s, 0, sizeof(s));
    for (int i = 0; i < SPREAD_CLIENTS; i++) {
        s[i].c = (struct media_tick_client){.on_tick = on_spread_tick, .arg = &s[i]};
        media_tick_add(t, &s[i].c);
    }
    assert_int_equal(media_tick_set_slots(t, 5), SYNTH_EINVAL); /* clients are added */
    loop_for(base, 200);
    /* The default 10 slots of 2 ms: two clients each, due 2 ms apart. */
    int64_t first[SPREAD_CLIENTS];
    for (int i = 0; i < SPREAD_CLIENTS; i++) {
        first[i] = s[i].first_due;
        assert_int_not_equal(first[i], 0);
        assert_in_range(s[i].periods, 8, 11); /* each still once per 20 ms */
    }
    qsort(first, SPREAD_CLIENTS, sizeof(first[0]), cmp_i64);
    for (int i = 0; i + 1 < SPREAD_CLIENTS; i += 2) {
        assert_true(first[i] == first[i + 1]);
        if (i + 2 < SPREAD_CLIENTS)
            assert_true(first[i + 2] - first[i] == 2000);
    }
    for (int i = 0; i < SPREAD_CLIENTS; i++)
        media_tick_remove(t, &s[i].c);
    assert_int_equal(media_tick_set_slots(t, 5), 0); /* none left: allowed again */
    media_tick_free(t);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(periods_follow_wall_time),
        cmocka_unit_test(catches_up_after_a_stall),
        cmocka_unit_test(clients_spread_over_the_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
