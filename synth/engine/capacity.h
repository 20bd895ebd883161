/* A capacity test's control and record while it runs: each phase of a ramp
 * or step-until profile judged by the scenario's thresholds on its own
 * results (after its warm-up), step-until stopped at the first step that
 * breaks, and load.abort_on stopping any run early. The supervisor thread
 * calls capacity_tick; the workers keep the per-phase statistics. */
#ifndef SYNTH_ENGINE_CAPACITY_H
#define SYNTH_ENGINE_CAPACITY_H

#include "synth/config/scenario.h"
#include "synth/engine/load_profile.h"
#include "synth/engine/run_stats.h"

#include <stdbool.h>
#include <stdint.h>

struct worker;

#define CAPACITY_REASON_MAX 256

enum capacity_state {
    CAPACITY_PENDING, /* running or not yet judged */
    CAPACITY_HELD,    /* every threshold held */
    CAPACITY_BROKE,   /* a threshold broke (reason says which) */
    CAPACITY_CUT,     /* the run stopped before the phase ended: not judged */
    CAPACITY_NOT_RUN, /* the run stopped before the phase began */
    CAPACITY_NO_DATA, /* ran, but no threshold could be measured on it */
};

const char *capacity_state_name(enum capacity_state s); /* "held", "broke", ... */

struct capacity_phase {
    enum capacity_state state;
    char reason[CAPACITY_REASON_MAX];
    struct run_stats stats; /* merged over the workers (filled at judgement and at the end) */
    int64_t ran_us;         /* how long the phase ran (shorter when cut) */
};

struct capacity {
    const struct scenario *sc;
    const struct load_profile *profile;
    struct capacity_phase *phase; /* count of them; a phase's stats ~0.6 MB */
    uint32_t count;
    int last_held, first_broken; /* phase index; -1 none */
    bool stopped;                /* the run was told to finish early */
    int64_t stopped_at_us;
    bool aborted;                /* by load.abort_on */
    char stop_reason[CAPACITY_REASON_MAX];
};

/* 0 or SYNTH_ENOMEM; free with capacity_free either way. */
int capacity_init(struct capacity *c, const struct scenario *sc, const struct load_profile *p);
void capacity_free(struct capacity *c);

/* One look at the run now_us into it: judges the phases whose results are
 * in (end + settle), checks abort_on. Returns true once, when the run must
 * finish early (the workers are asked by the caller). */
bool capacity_tick(struct capacity *c, struct worker *workers, uint32_t n, int64_t now_us);

/* At the end (workers joined): merges each phase's final statistics,
 * judges those that ran to their end, marks the rest cut or not run. */
void capacity_finish(struct capacity *c, struct worker *workers, uint32_t n, int64_t end_us);

/* The second half of capacity_finish, for phase statistics filled another
 * way (synth merge, from the shards' events): sets how long each phase ran
 * (up to c->stopped_at_us when c->stopped), judges the pending phases that
 * ran to their end, marks the others cut or not run. */
void capacity_conclude(struct capacity *c, int64_t end_us);

/* Judges one phase's statistics by the scenario's thresholds: held, or
 * broke with the reason in reason (the first threshold that broke). */
enum capacity_state capacity_judge(const struct scenario *sc, const struct run_stats *s,
                                   char *reason, size_t size);

#endif
