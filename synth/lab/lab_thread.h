/* One server of the lab on a thread of its own, with its own event loop, as
 * the servers of a deployment are machines of their own: the Front End,
 * the UM and the A/V Edge do not wait for each other's work, and a load
 * test can use every core the lab is given. Servers on different threads
 * talk only through sockets, atomics and what their modules lock. */
#ifndef SYNTH_LAB_LAB_THREAD_H
#define SYNTH_LAB_LAB_THREAD_H

#include "synth/base/err.h"

#include <stdbool.h>

struct event_base;
struct lab_thread;

/* Runs on the new thread once its loop exists: starts the server on base.
 * 0, or an error with err filled. */
typedef int(lab_thread_start_h)(struct event_base *base, void *arg, struct synth_error *err);
/* Runs on the thread once its loop has stopped, also after a failed start:
 * frees what start made (whatever part of it exists). */
typedef void(lab_thread_free_h)(void *arg);

struct lab_thread_opts {
    const char *name;          /* the thread's name in top and perf (15 bytes kept) */
    bool precise;              /* loop_new's: for a loop that paces media */
    lab_thread_start_h *start;
    lab_thread_free_h *free;
    void *arg;
};

/* Starts the thread and returns once start has returned on it. On failure
 * the thread has ended (its free ran) and err says why. The thread takes no
 * signals. Stop with lab_thread_stop. */
int lab_thread_start(struct lab_thread **out, const struct lab_thread_opts *o,
                     struct synth_error *err);

/* From another thread: ends the loop, waits for the thread, frees. NULL is
 * ignored. */
void lab_thread_stop(struct lab_thread *t);

#endif
