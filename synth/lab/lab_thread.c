/* A lab server's thread (lab_thread.h): its loop, a pipe that stops it
 * from other threads, and the hand-shake that reports its start. */
#include "synth/lab/lab_thread.h"

#include "synth/base/loop.h"

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* pthread_setname_np's limit: 16 bytes with the NUL. */
#define THREAD_NAME_MAX 16

struct lab_thread {
    struct lab_thread_opts o;
    char name[THREAD_NAME_MAX];
    int stop_pipe[2];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool start_done;
    int start_rc;
    struct synth_error start_err;
    /* The thread's own. */
    struct event_base *base;
    struct event *stop_ev;
};

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lab_thread *t = arg;
    char b[16];
    (void)what;
    while (read(fd, b, sizeof(b)) > 0)
        ;
    event_base_loopbreak(t->base);
}

static int loop_up(struct lab_thread *t, struct synth_error *err)
{
    t->base = loop_new(t->o.precise);
    if (!t->base)
        return synth_error_set(err, SYNTH_ENOMEM, "lab %s: event_base_new failed", t->name);
    t->stop_ev = event_new(t->base, t->stop_pipe[0], EV_READ | EV_PERSIST, stop_cb, t);
    if (!t->stop_ev || event_add(t->stop_ev, NULL) != 0)
        return synth_error_set(err, SYNTH_ENOMEM, "lab %s: stop event", t->name);
    return 0;
}

static void report_start(struct lab_thread *t, int rc, const struct synth_error *err)
{
    pthread_mutex_lock(&t->mu);
    t->start_done = true;
    t->start_rc = rc;
    t->start_err = *err;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->mu);
}

static void *run(void *arg)
{
    struct lab_thread *t = arg;
    struct synth_error err = {{0}};
    pthread_setname_np(pthread_self(), t->name);
    int rc = loop_up(t, &err);
    if (rc == 0)
        rc = t->o.start(t->base, t->o.arg, &err);
    report_start(t, rc, &err);
    if (rc == 0)
        event_base_dispatch(t->base);
    t->o.free(t->o.arg);
    if (t->stop_ev)
        event_free(t->stop_ev);
    if (t->base)
        event_base_free(t->base);
    t->stop_ev = NULL;
    t->base = NULL;
    return NULL;
}

static void thread_free(struct lab_thread *t)
{
    for (int i = 0; i < 2; i++)
        if (t->stop_pipe[i] >= 0)
            close(t->stop_pipe[i]);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cond);
    free(t);
}

int lab_thread_start(struct lab_thread **out, const struct lab_thread_opts *o,
                     struct synth_error *err)
{
    int rc;
    struct lab_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return synth_error_set(err, SYNTH_ENOMEM, "lab: out of memory");
    t->o = *o;
    snprintf(t->name, sizeof(t->name), "%s", o->name);
    t->stop_pipe[0] = t->stop_pipe[1] = -1;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cond, NULL);
    if (pipe2(t->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        rc = synth_error_set(err, SYNTH_EIO, "lab %s: pipe: %s", t->name, strerror(errno));
        goto fail;
    }
    /* SIGTERM and SIGINT are the CLI's: the lab's threads take none. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int prc = pthread_create(&t->thread, NULL, run, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        rc = synth_error_set(err, SYNTH_EINTERNAL, "lab %s: pthread_create: %s", t->name,
                             strerror(prc));
        goto fail;
    }
    pthread_mutex_lock(&t->mu);
    while (!t->start_done)
        pthread_cond_wait(&t->cond, &t->mu);
    pthread_mutex_unlock(&t->mu);
    if (t->start_rc != 0) {
        rc = t->start_rc;
        if (err)
            *err = t->start_err;
        pthread_join(t->thread, NULL);
        goto fail;
    }
    *out = t;
    return 0;
fail:
    thread_free(t);
    return rc;
}

void lab_thread_stop(struct lab_thread *t)
{
    if (!t)
        return;
    /* A byte in the pipe wakes the loop; event_base_loopbreak itself is not
     * safe from another thread without libevent's locking. */
    ssize_t n;
    do {
        n = write(t->stop_pipe[1], "x", 1);
    } while (n < 0 && errno == EINTR);
    pthread_join(t->thread, NULL);
    thread_free(t);
}
