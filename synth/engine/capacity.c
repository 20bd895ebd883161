/* A capacity test's control and record (capacity.h). */
#include "capacity.h"

#include "reports/verdict.h"
#include "synth/engine/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
    [CAPACITY_PENDING] = "pending", [CAPACITY_HELD] = "held",   [CAPACITY_BROKE] = "broke",
    [CAPACITY_CUT] = "cut",         [CAPACITY_NOT_RUN] = "not-run", [CAPACITY_NO_DATA] = "no-data",
};

const char *capacity_state_name(enum capacity_state s)
{
    return (unsigned)s <= CAPACITY_NO_DATA ? state_names[s] : "?";
}

int capacity_init(struct capacity *c, const struct scenario *sc, const struct load_profile *p)
{
    memset(c, 0, sizeof(*c));
    c->sc = sc;
    c->profile = p;
    c->last_held = c->first_broken = -1;
    uint32_t count = p->kind == PROFILE_CONSTANT ? 0 : p->count;
    if (count == 0)
        return 0;
    c->phase = calloc(count, sizeof(*c->phase));
    if (!c->phase)
        return SYNTH_ENOMEM;
    c->count = count;
    for (uint32_t i = 0; i < c->count; i++) {
        run_stats_init(&c->phase[i].stats);
        c->phase[i].stats.timeline_off = true;
    }
    return 0;
}

void capacity_free(struct capacity *c)
{
    for (uint32_t i = 0; i < c->count; i++)
        run_stats_free(&c->phase[i].stats);
    free(c->phase);
    c->phase = NULL;
    c->count = 0;
}

enum capacity_state capacity_judge(const struct scenario *sc, const struct run_stats *s,
                                   char *reason, size_t size)
{
    bool measured = false;
    bool warn_breaks = sc->load.profile == PROFILE_STEP_UNTIL && sc->load.until.break_on_warn;
    for (size_t i = 0; i < sc->threshold_count; i++) {
        struct threshold_result t;
        const struct scenario_threshold *th = &sc->thresholds[i];
        verdict_threshold_eval(th, s, &t);
        if (!t.has_value)
            continue;
        measured = true;
        bool crit = t.level == VERDICT_CRITICAL;
        if (!crit && !(warn_breaks && t.level == VERDICT_WARNING))
            continue;
        const char *unit = run_stats_metric_unit(th->metric);
        snprintf(reason, size, "%s = %.1f%s%s %s %s %g%s", th->metric, t.value,
                 unit[0] && unit[0] != '%' ? " " : "", unit, t.below_is_bad ? "<" : ">",
                 crit ? "crit" : "warn", crit ? th->crit : th->warn, unit);
        return CAPACITY_BROKE;
    }
    if (!measured) {
        snprintf(reason, size, "no threshold could be measured (no results after the warm-up)");
        return CAPACITY_NO_DATA;
    }
    snprintf(reason, size, "every threshold held");
    return CAPACITY_HELD;
}

/* The phase's statistics so far, merged over the workers. */
static void phase_collect(struct capacity *c, uint32_t i, struct worker *w, uint32_t n)
{
    struct capacity_phase *ph = &c->phase[i];
    run_stats_free(&ph->stats);
    run_stats_init(&ph->stats);
    ph->stats.timeline_off = true;
    for (uint32_t k = 0; k < n; k++)
        worker_phase_merge(&w[k], i, &ph->stats);
}

static void judge(struct capacity *c, uint32_t i)
{
    struct capacity_phase *ph = &c->phase[i];
    ph->state = capacity_judge(c->sc, &ph->stats, ph->reason, sizeof(ph->reason));
    if (ph->state == CAPACITY_HELD && c->first_broken < 0)
        c->last_held = (int)i;
    if (ph->state == CAPACITY_BROKE && c->first_broken < 0)
        c->first_broken = (int)i;
}

static void stop(struct capacity *c, int64_t now_us, bool aborted, const char *fmt, double a,
                 double b)
{
    c->stopped = true;
    c->stopped_at_us = now_us;
    c->aborted = aborted;
    snprintf(c->stop_reason, sizeof(c->stop_reason), fmt, a, b);
}

/* load.abort_on over every call ended so far. */
static bool abort_check(struct capacity *c, struct worker *w, uint32_t n, int64_t now_us)
{
    const struct scenario_abort_on *a = &c->sc->load.abort_on;
    if (!a->set)
        return false;
    uint64_t ok = 0, failed = 0;
    for (uint32_t k = 0; k < n; k++) {
        ok += atomic_load(&w[k].counters.calls_ok);
        failed += atomic_load(&w[k].counters.calls_failed);
    }
    if (ok + failed < a->min_calls)
        return false;
    double rate = 100.0 * (double)failed / (double)(ok + failed);
    if (a->failure_pct > 0 && rate >= a->failure_pct) {
        char fmt[CAPACITY_REASON_MAX];
        snprintf(fmt, sizeof(fmt),
                 "abort_on.failure_rate: %" PRIu64 " of %" PRIu64
                 " calls failed (%%.1f %%%%, limit %%g %%%%)",
                 failed, ok + failed);
        stop(c, now_us, true, fmt, rate, a->failure_pct);
        return true;
    }
    if (a->setup_p95_ms) {
        struct hist live;
        hist_init(&live);
        for (uint32_t k = 0; k < n; k++)
            worker_live_setup(&w[k], &live);
        double p95 = (double)hist_percentile(&live, 95) / 1000.0;
        if (live.count >= a->min_calls && p95 > a->setup_p95_ms) {
            stop(c, now_us, true, "abort_on.setup_p95: call setup p95 %.0f ms > limit %g ms", p95,
                 a->setup_p95_ms);
            return true;
        }
    }
    return false;
}

bool capacity_tick(struct capacity *c, struct worker *w, uint32_t n, int64_t now_us)
{
    if (c->stopped)
        return false;
    if (abort_check(c, w, n, now_us))
        return true;
    const struct scenario_load *l = &c->sc->load;
    if (l->profile != PROFILE_STEP_UNTIL)
        return false;
    for (uint32_t i = 0; i < c->count; i++) {
        const struct load_segment *s = &c->profile->seg[i];
        if (c->phase[i].state != CAPACITY_PENDING)
            continue;
        if (now_us < s->end_us + (int64_t)l->until.settle_ms * 1000)
            break;
        phase_collect(c, i, w, n);
        judge(c, i);
        if (c->phase[i].state == CAPACITY_BROKE) {
            stop(c, now_us, false, "step-until: step %.0f at %g/s broke", (double)i + 1,
                 s->rate_to);
            return true;
        }
    }
    return false;
}

void capacity_finish(struct capacity *c, struct worker *w, uint32_t n, int64_t end_us)
{
    for (uint32_t i = 0; i < c->count; i++)
        phase_collect(c, i, w, n);
    capacity_conclude(c, end_us);
}

void capacity_conclude(struct capacity *c, int64_t end_us)
{
    int64_t stop_us = c->stopped ? c->stopped_at_us : end_us;
    for (uint32_t i = 0; i < c->count; i++) {
        const struct load_segment *s = &c->profile->seg[i];
        struct capacity_phase *ph = &c->phase[i];
        int64_t ran_end = stop_us < s->end_us ? stop_us : s->end_us;
        ph->ran_us = ran_end > s->start_us ? ran_end - s->start_us : 0;
        if (ph->state != CAPACITY_PENDING)
            continue; /* judged while the run went: that decided what followed */
        if (s->start_us >= stop_us) {
            ph->state = CAPACITY_NOT_RUN;
            snprintf(ph->reason, sizeof(ph->reason), "the run stopped before it began");
        } else if (s->end_us > stop_us) {
            ph->state = CAPACITY_CUT;
            snprintf(ph->reason, sizeof(ph->reason), "the run stopped before it ended");
        } else {
            judge(c, i);
        }
    }
}
