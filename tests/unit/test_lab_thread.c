/* Unit tests: a lab server's thread (synth/lab/lab_thread): start runs on
 * the new thread with its loop, a failed start is reported with its error
 * and still frees, stop ends the loop and frees on that thread. */
#include "synth/lab/lab_thread.h"

#include <event2/event.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

struct server {
    int fail_with;            /* start's result */
    pthread_t started_on, freed_on;
    struct event_base *base;
    struct event *tick;
    int ticks;                /* the loop ran: a timer fired on it */
    int frees;
};

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    (void)fd;
    (void)what;
    __atomic_add_fetch(&s->ticks, 1, __ATOMIC_RELAXED);
}

static int server_start(struct event_base *base, void *arg, struct synth_error *err)
{
    struct server *s = arg;
    s->started_on = pthread_self();
    if (s->fail_with)
        return synth_error_set(err, s->fail_with, "server: refused to start");
    s->base = base;
    s->tick = event_new(base, -1, EV_PERSIST, on_tick, s);
    struct timeval ms = {0, 1000};
    return s->tick && event_add(s->tick, &ms) == 0 ? 0 : SYNTH_ENOMEM;
}

static void server_free(void *arg)
{
    struct server *s = arg;
    s->freed_on = pthread_self();
    s->frees++;
    if (s->tick)
        event_free(s->tick);
    s->tick = NULL;
}

static void runs_on_its_thread_until_stopped(void **state)
{
    (void)state;
    struct server s = {0};
    struct lab_thread_opts o = {"test-srv", false, server_start, server_free, &s};
    struct lab_thread *t = NULL;
    struct synth_error err = {{0}};
    assert_int_equal(lab_thread_start(&t, &o, &err), 0);
    assert_non_null(t);
    assert_false(pthread_equal(s.started_on, pthread_self()));
    /* The loop runs: its timer fires within a second. */
    for (int i = 0; i < 1000 && __atomic_load_n(&s.ticks, __ATOMIC_RELAXED) < 3; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    assert_true(__atomic_load_n(&s.ticks, __ATOMIC_RELAXED) >= 3);
    lab_thread_stop(t);
    assert_int_equal(s.frees, 1);
    assert_true(pthread_equal(s.freed_on, s.started_on));
    lab_thread_stop(NULL);
}

static void failed_start_reports_and_frees(void **state)
{
    (void)state;
    struct server s = {.fail_with = SYNTH_ECONFIG};
    struct lab_thread_opts o = {"test-srv", false, server_start, server_free, &s};
    struct lab_thread *t = NULL;
    struct synth_error err = {{0}};
    assert_int_equal(lab_thread_start(&t, &o, &err), SYNTH_ECONFIG);
    assert_null(t);
    assert_string_equal(err.msg, "server: refused to start");
    assert_int_equal(s.frees, 1);
    assert_true(pthread_equal(s.freed_on, s.started_on));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_on_its_thread_until_stopped),
        cmocka_unit_test(failed_start_reports_and_frees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
