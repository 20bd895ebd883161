/* A worker: one thread, one libevent loop, its own share of the users and
 * of the arrival rate, its own statistics. Nothing on its hot path is shared;
 * results leave through the collector's queue. */
#ifndef SYNTH_ENGINE_WORKER_H
#define SYNTH_ENGINE_WORKER_H

#include "media/port_range.h"
#include "synth/config/scenario.h"
#include "synth/config/target.h"
#include "synth/engine/load_profile.h"
#include "synth/engine/run_stats.h"
#include "synth/engine/shard.h"
#include "synth/engine/vuser.h"
#include "synth/sip/transport.h"

#include <openssl/ssl.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>

struct collector;
struct media_tick;
struct prompt;

/* Where the users of one access path send their SIP. */
struct plan_server {
    const struct target_endpoint *ep; /* NULL: no user takes this path */
    struct sip_addr_storage addr;     /* resolved once at start-up */
    SSL_CTX *ssl_ctx;                 /* client context (TLS endpoints) */
};

/* What every worker shares, read-only, for the whole run. */
struct run_plan {
    const struct target *target;
    const struct scenario *scenario;
    const struct load_profile *profile; /* the arrival rate over time */
    struct plan_server server[ACCESS_PATH_COUNT];
    int64_t start_us;                  /* CLOCK_MONOTONIC µs of run start */
    int64_t start_wall_ms;
    struct collector *collector;
    uint32_t workers;
    struct shard shard;                /* --shard K/N: every N-th arrival is ours */
    const struct prompt *prompt;       /* what synthetic users say in calls */
    const char *results_dir;           /* --out: audio evidence goes below it */
    /* The check step presents this to UM endpoints whose check names no
     * client certificate (the embedded lab's Front End, in memory). */
    X509 *um_client_x509;
    EVP_PKEY *um_client_pkey;
    /* Posted by each worker as its loop ends, so the supervisor (synth run)
     * wakes at once instead of at its next poll; may be NULL. */
    sem_t *finished;
};

/* Live counters the progress line reads from another thread. */
struct worker_counters {
    atomic_uint_fast64_t calls_started, calls_ok, calls_failed, skipped;
    atomic_uint_fast64_t journeys_active;
    atomic_uint_fast64_t late; /* journeys started later than load.generator.lag_p99 */
};

struct worker {
    uint32_t id;
    const struct run_plan *plan;
    struct event_base *base;
    pthread_t thread;
    struct vuser *users;
    uint32_t user_count;
    uint32_t next_user;       /* round-robin start for picking an idle user */
    uint64_t arrivals_total;  /* this worker's share of iterations; 0 = unlimited */
    uint64_t arrivals;        /* arrivals so far */
    uint32_t max_concurrent;  /* closed model: the journeys kept in flight */
    bool closed;              /* load.concurrent: closed model */
    uint32_t active;          /* journeys in flight */
    struct event *arrival_timer;
    struct media_tick *media_tick;    /* drives every stream of this worker */
    struct ucwa_http *ucwa_http;      /* curl multi of the UCWA steps, made at the first */
    struct port_range_pool media_ports; /* the target's client ranges */
    struct event *stop_ev;    /* activated from another thread */
    struct event *finish_ev;  /* the same, but journeys in flight run to their end */
    bool stopping;            /* no new journeys; the active ones run to their end */
    bool aborting;            /* a signal: the active journeys end now (hang up, unregister) */
    bool draining;            /* hanging up, unregistering */
    struct run_stats stats;
    /* The same per access path, without timelines, when the scenario uses
     * more than one (summary.json "paths"). */
    struct run_stats path_stats[ACCESS_PATH_COUNT];
    bool by_path;
    struct worker_counters counters;
    atomic_bool finished;     /* the loop has ended */
    pthread_mutex_t live_lock;
    struct hist live_setup;   /* setup times so far, for the progress line */
    uint64_t journey_seq;
    /* Per phase of a ramp or step-until profile (summary.json "capacity"):
     * journeys started by intended time, step results after the phase's
     * warm-up. Read by the supervisor while the run goes, hence the lock;
     * each made at its phase's first event (NULL until then). */
    pthread_mutex_t phase_lock;
    struct run_stats **phase;
    uint32_t phase_count;
};

int worker_init(struct worker *w, uint32_t id, const struct run_plan *plan,
                uint32_t first_user, uint32_t user_count, uint64_t arrivals,
                uint32_t max_concurrent, struct synth_error *err);
int worker_start(struct worker *w);
/* Asks the worker to stop starting journeys (thread-safe). */
void worker_request_stop(struct worker *w);
/* Asks the worker to stop starting journeys and let those in flight end
 * (abort_on, a broken step; thread-safe). */
void worker_request_finish(struct worker *w);
/* Merges this worker's statistics of phase i so far into dst (thread-safe). */
int worker_phase_merge(struct worker *w, uint32_t i, struct run_stats *dst);
void worker_join(struct worker *w);
void worker_cleanup(struct worker *w);

/* Merges this worker's setup times so far into h (thread-safe). */
void worker_live_setup(struct worker *w, struct hist *h);

/* Monotonic clock in µs. */
int64_t mono_us(void);
int64_t wall_ms(void);

/* A step finished: account it and queue its event line. */
void worker_step_result(struct worker *w, struct vuser *u, const struct step_result *r);
/* A journey ended (called by the journey). */
void worker_journey_done(struct worker *w, struct vuser *u);

#endif
