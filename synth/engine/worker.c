/* A worker thread: its loop, its open-model arrivals and its users. */
#include "worker.h"

#include "synth/base/clock.h"
#include "synth/base/loop.h"
#include "media/media_stream.h"
#include "media/media_tick.h"

#include "reports/event_json.h"
#include "synth/engine/collector.h"
#include "synth/engine/journey.h"
#include "synth/steps/call.h"
#include "synth/steps/step.h"
#include "synth/ucwa/ucwa_http.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Arrivals handled per timer wake-up when the loop fell behind: enough to
 * catch up, few enough that responses keep flowing. */
#define ARRIVALS_PER_WAKE 256
/* How long the drain (hang up, unregister) may take before the loop ends. */
#define DRAIN_MS 3000

int64_t mono_us(void)
{
    return clock_mono_us();
}

int64_t wall_ms(void)
{
    return clock_wall_ms();
}

static int64_t run_now_us(const struct worker *w)
{
    return mono_us() - w->plan->start_us;
}

static bool scenario_has_call(const struct scenario *sc)
{
    for (size_t i = 0; i < sc->step_count; i++)
        if (sc->steps[i].kind == STEP_CALL)
            return true;
    return false;
}

/* The phase whose statistics an event at t_us belongs to, or NULL (no
 * phases, outside them, or, for results, inside the phase's warm-up). */
/* A phase's statistics are made at its first event: a run stopped early
 * never pays for the phases it did not reach (each is ~0.6 MB). Called
 * with phase_lock held; NULL when out of memory (the totals still count). */
static struct run_stats *phase_of(struct worker *w, int64_t t_us, bool result)
{
    const struct load_profile *p = w->plan->profile;
    if (!w->phase)
        return NULL;
    int i = load_profile_phase_at(p, t_us);
    if (i < 0 || (uint32_t)i >= w->phase_count)
        return NULL;
    if (result && t_us < p->seg[i].start_us + (int64_t)p->warmup_ms * 1000)
        return NULL;
    if (!w->phase[i]) {
        w->phase[i] = malloc(sizeof(*w->phase[i]));
        if (!w->phase[i])
            return NULL;
        run_stats_init(w->phase[i]);
        w->phase[i]->timeline_off = true;
    }
    return w->phase[i];
}

void worker_step_result(struct worker *w, struct vuser *u, const struct step_result *r)
{
    run_stats_add_result(&w->stats, r);
    if (w->phase) {
        pthread_mutex_lock(&w->phase_lock);
        struct run_stats *ph = phase_of(w, r->start_us, true);
        if (ph)
            run_stats_add_result(ph, r);
        pthread_mutex_unlock(&w->phase_lock);
    }
    if (w->by_path)
        run_stats_add_result(&w->path_stats[r->via], r);
    if (r->kind == STEP_CALL) {
        atomic_fetch_add(&w->counters.calls_started, 1);
        atomic_fetch_add(r->ok ? &w->counters.calls_ok : &w->counters.calls_failed, 1);
        if (r->setup_us >= 0) {
            pthread_mutex_lock(&w->live_lock);
            hist_record(&w->live_setup, (uint64_t)r->setup_us);
            pthread_mutex_unlock(&w->live_lock);
        }
        if (!r->ok && u->trace_len && r->call_id[0])
            collector_push_trace(w->plan->collector, r->call_id, u->trace, u->trace_len);
    }
    char line[EVENT_JSON_LINE_MAX];
    size_t len;
    if (event_json_write(r, u->id->uri, line, sizeof(line), &len) == 0)
        collector_push_line(w->plan->collector, line, len);
}

/* --- drain: hang up, unregister, then end the loop --- */

static void drain_finish(struct worker *w)
{
    event_base_loopbreak(w->base);
}

static void unregister_done(struct step_run *run)
{
    struct vuser *u = run->u;
    struct worker *w = u->w;
    run->result.step_index = UINT32_MAX;
    worker_step_result(w, u, &run->result);
    step_run_cleanup(run);
    free((void *)run->cfg);
    free(run);
    u->run = NULL;
    if (--w->active == 0)
        drain_finish(w);
}

static void drain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    drain_finish(arg);
}

static void start_drain(struct worker *w)
{
    if (w->draining)
        return;
    w->draining = true;
    for (uint32_t i = 0; i < w->user_count; i++) {
        struct vuser *u = &w->users[i];
        call_end_silently(u);
        if (!u->registered || !u->ua)
            continue;
        struct scenario_step *cfg = calloc(1, sizeof(*cfg));
        struct step_run *run = calloc(1, sizeof(*run));
        if (!cfg || !run) {
            free(cfg);
            free(run);
            continue;
        }
        cfg->kind = STEP_UNREGISTER;
        cfg->timeout_ms = DRAIN_MS;
        u->run = run;
        if (step_run_start(run, u, cfg, UINT32_MAX, run_now_us(w), unregister_done, NULL) != 0) {
            step_run_cleanup(run);
            free(cfg);
            free(run);
            u->run = NULL;
            continue;
        }
        w->active++;
    }
    if (w->active == 0) {
        drain_finish(w);
        return;
    }
    struct timeval tv = {DRAIN_MS / 1000 + 1, 0};
    event_base_once(w->base, -1, EV_TIMEOUT, drain_timeout_cb, w, &tv);
}

void worker_journey_done(struct worker *w, struct vuser *u)
{
    w->active--;
    atomic_fetch_sub(&w->counters.journeys_active, 1);
    run_stats_add_completed(&w->stats);
    if (w->by_path)
        run_stats_add_completed(&w->path_stats[u->via]);
    if (w->stopping && w->active == 0)
        start_drain(w);
    else if (w->closed && !w->stopping) {
        struct timeval now = {0, 0}; /* the next journey, from the loop */
        evtimer_add(w->arrival_timer, &now);
    }
}

/* --- arrivals (open model: intended times never move) --- */

static struct vuser *pick_idle_user(struct worker *w)
{
    for (uint32_t k = 0; k < w->user_count; k++) {
        uint32_t i = (w->next_user + k) % w->user_count;
        if (!w->users[i].busy) {
            w->next_user = (i + 1) % w->user_count;
            return &w->users[i];
        }
    }
    return NULL;
}

/* Worker id of n takes arrivals id, id + n, id + 2n... of its shard's (of
 * the profile's when not sharded): its share of the rate, interleaved with
 * the others'. INT64_MAX past the end. */
static int64_t intended_of(const struct worker *w, uint64_t k)
{
    int64_t t;
    uint64_t j = shard_arrival(&w->plan->shard, k * w->plan->workers + w->id);
    return load_profile_time_of(w->plan->profile, j, &t) == 0 ? t : INT64_MAX;
}

static bool arrivals_over(const struct worker *w, int64_t intended)
{
    const struct scenario_load *l = &w->plan->scenario->load;
    if (w->arrivals_total && w->arrivals >= w->arrivals_total)
        return true;
    if (intended == INT64_MAX)
        return true;
    return l->duration_ms && intended >= (int64_t)l->duration_ms * 1000;
}

/* Counts an arrival in its phase (started with its lag, or skipped). */
static void phase_arrival(struct worker *w, int64_t due, int64_t lag, bool skipped,
                          bool has_call)
{
    if (!w->phase)
        return;
    pthread_mutex_lock(&w->phase_lock);
    struct run_stats *ph = phase_of(w, due, false);
    if (ph && skipped)
        run_stats_add_skip(ph, due, has_call);
    else if (ph)
        run_stats_add_start(ph, due, lag);
    pthread_mutex_unlock(&w->phase_lock);
}

static void begin_stop(struct worker *w)
{
    if (w->stopping)
        return;
    w->stopping = true;
    event_del(w->arrival_timer);
    if (w->active == 0)
        start_drain(w);
}

/* Starts a journey for u at now, due at due (the open model's intended
 * time, or now in the closed model). */
static void start_journey(struct worker *w, struct vuser *u, int64_t due, int64_t now)
{
    w->active++;
    atomic_fetch_add(&w->counters.journeys_active, 1);
    run_stats_add_start(&w->stats, due, now - due);
    if (w->by_path)
        run_stats_add_start(&w->path_stats[u->via], due, now - due);
    if (journey_start(u, due, w->journey_seq++) != 0)
        worker_journey_done(w, u);
}

/* The closed model (load.concurrent): this worker's share of journeys in
 * flight, each started when one ends; a journey that ends at once (the
 * target refuses it) waits for the next loop turn, so a failing target
 * cannot spin this loop. */
static void closed_fill(struct worker *w)
{
    const struct scenario_load *l = &w->plan->scenario->load;
    int64_t now = run_now_us(w);
    int64_t end = (int64_t)l->duration_ms * 1000;
    for (int n = 0; n < ARRIVALS_PER_WAKE && !w->stopping; n++) {
        if ((end && now >= end) || (w->arrivals_total && w->arrivals >= w->arrivals_total)) {
            begin_stop(w);
            return;
        }
        struct vuser *u = w->active < w->max_concurrent ? pick_idle_user(w) : NULL;
        if (!u)
            break;
        w->arrivals++;
        start_journey(w, u, now, now);
    }
    if (w->stopping)
        return;
    /* Wake at the run's end, or at once when the burst above was cut. */
    int64_t wait = w->active < w->max_concurrent ? 0 : end ? end - now : -1;
    if (wait >= 0) {
        struct timeval tv = {(time_t)(wait / 1000000), (suseconds_t)(wait % 1000000)};
        evtimer_add(w->arrival_timer, &tv);
    }
}

static void arrival_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    if (w->closed) {
        closed_fill(w);
        return;
    }
    int64_t now = run_now_us(w);
    bool has_call = scenario_has_call(w->plan->scenario);
    for (int n = 0; n < ARRIVALS_PER_WAKE && !w->stopping; n++) {
        int64_t due = intended_of(w, w->arrivals);
        if (arrivals_over(w, due)) {
            begin_stop(w);
            return;
        }
        if (due > now)
            break;
        w->arrivals++;
        struct vuser *u = w->active < w->max_concurrent ? pick_idle_user(w) : NULL;
        if (!u) {
            /* The cap is full: count it, never delay it (no coordinated omission). */
            run_stats_add_skip(&w->stats, due, has_call);
            phase_arrival(w, due, 0, true, has_call);
            atomic_fetch_add(&w->counters.skipped, 1);
            continue;
        }
        if (now - due > (int64_t)(w->plan->scenario->load.generator.lag_p99_ms * 1000))
            atomic_fetch_add(&w->counters.late, 1);
        phase_arrival(w, due, now - due, false, has_call);
        start_journey(w, u, due, now);
    }
    if (w->stopping)
        return;
    int64_t next = intended_of(w, w->arrivals);
    int64_t wait = next == INT64_MAX ? 0 : next - run_now_us(w); /* the end: stop at once */
    if (wait < 0)
        wait = 0;
    struct timeval tv = {(time_t)(wait / 1000000), (suseconds_t)(wait % 1000000)};
    evtimer_add(w->arrival_timer, &tv);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    if (w->aborting)
        return;
    w->stopping = true;
    w->aborting = true;
    event_del(w->arrival_timer);
    for (uint32_t i = 0; i < w->user_count; i++)
        if (w->users[i].busy)
            journey_abort(&w->users[i]);
    if (w->active == 0)
        start_drain(w);
}

static void finish_cb(evutil_socket_t fd, short what, void *arg)
{
    begin_stop(arg);
}

int worker_init(struct worker *w, uint32_t id, const struct run_plan *plan,
                uint32_t first_user, uint32_t user_count, uint64_t arrivals,
                uint32_t max_concurrent, struct synth_error *err)
{
    memset(w, 0, sizeof(*w));
    w->id = id;
    w->plan = plan;
    w->arrivals_total = arrivals;
    w->max_concurrent = max_concurrent ? max_concurrent : 1;
    w->closed = plan->scenario->load.concurrent > 0;
    run_stats_init(&w->stats);
    w->by_path = plan->scenario->load.via_count > 1;
    for (int p = 0; p < ACCESS_PATH_COUNT; p++) {
        run_stats_init(&w->path_stats[p]);
        w->path_stats[p].timeline_off = true;
    }
    pthread_mutex_init(&w->live_lock, NULL);
    pthread_mutex_init(&w->phase_lock, NULL);
    hist_init(&w->live_setup);
    if (plan->profile->kind != PROFILE_CONSTANT && plan->profile->count) {
        w->phase = calloc(plan->profile->count, sizeof(*w->phase));
        if (!w->phase)
            return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
        w->phase_count = plan->profile->count;
    }
    w->base = loop_new(scenario_has_media(plan->scenario));
    if (!w->base)
        return synth_error_set(err, SYNTH_ENOMEM, "event_base_new failed");
    if (media_tick_new(&w->media_tick, w->base, MEDIA_PTIME_MS * 1000, err) != 0)
        return SYNTH_ENOMEM;
    port_range_pool_init(&w->media_ports, plan->target->media.client_ports, id);
    w->users = calloc(user_count ? user_count : 1, sizeof(*w->users));
    w->arrival_timer = evtimer_new(w->base, arrival_cb, w);
    w->stop_ev = event_new(w->base, -1, 0, stop_cb, w);
    w->finish_ev = event_new(w->base, -1, 0, finish_cb, w);
    if (!w->users || !w->arrival_timer || !w->stop_ev || !w->finish_ev)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    w->user_count = user_count;
    for (uint32_t i = 0; i < user_count; i++)
        vuser_init(&w->users[i], w, first_user + i, &plan->target->users[first_user + i]);
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int64_t first = w->closed ? 0 : intended_of(w, 0);
    int64_t wait = (first == INT64_MAX ? 0 : first) - run_now_us(w);
    if (wait < 0)
        wait = 0;
    struct timeval tv = {(time_t)(wait / 1000000), (suseconds_t)(wait % 1000000)};
    evtimer_add(w->arrival_timer, &tv);
    event_base_dispatch(w->base);
    atomic_store(&w->finished, true);
    if (w->plan->finished)
        sem_post(w->plan->finished);
    return NULL;
}

int worker_start(struct worker *w)
{
    return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : SYNTH_EINTERNAL;
}

void worker_request_stop(struct worker *w)
{
    event_active(w->stop_ev, EV_TIMEOUT, 0);
}

void worker_request_finish(struct worker *w)
{
    event_active(w->finish_ev, EV_TIMEOUT, 0);
}

int worker_phase_merge(struct worker *w, uint32_t i, struct run_stats *dst)
{
    if (i >= w->phase_count)
        return SYNTH_EINVAL;
    pthread_mutex_lock(&w->phase_lock);
    int rc = w->phase[i] ? run_stats_merge(dst, w->phase[i]) : 0;
    pthread_mutex_unlock(&w->phase_lock);
    return rc;
}

void worker_live_setup(struct worker *w, struct hist *h)
{
    pthread_mutex_lock(&w->live_lock);
    hist_merge(h, &w->live_setup);
    pthread_mutex_unlock(&w->live_lock);
}

void worker_join(struct worker *w)
{
    pthread_join(w->thread, NULL);
}

void worker_cleanup(struct worker *w)
{
    for (uint32_t i = 0; i < w->user_count; i++) {
        struct vuser *u = &w->users[i];
        /* The loop ended with a drain step in flight (its deadline passed). */
        if (u->run)
            step_run_abort(u->run);
        vuser_cleanup(u);
    }
    free(w->users);
    if (w->arrival_timer)
        event_free(w->arrival_timer);
    ucwa_http_free(w->ucwa_http); /* after the users: their sessions ride on it */
    media_tick_free(w->media_tick);
    if (w->stop_ev)
        event_free(w->stop_ev);
    if (w->finish_ev)
        event_free(w->finish_ev);
    for (uint32_t i = 0; i < w->phase_count; i++) {
        if (w->phase[i])
            run_stats_free(w->phase[i]);
        free(w->phase[i]);
    }
    free(w->phase);
    pthread_mutex_destroy(&w->phase_lock);
    if (w->base)
        event_base_free(w->base);
    run_stats_free(&w->stats);
    for (int p = 0; p < ACCESS_PATH_COUNT; p++)
        run_stats_free(&w->path_stats[p]);
    pthread_mutex_destroy(&w->live_lock);
}
