/* The generator watching itself: how much CPU the process used and waited
 * for (per second, against the CPUs it may run on), so that a run can tell
 * a saturated generator from a slow target. The lag of journey starts is
 * in run_stats (lag); this adds the CPU side and gathers the evidence. */
#ifndef SYNTH_ENGINE_GENERATOR_WATCH_H
#define SYNTH_ENGINE_GENERATOR_WATCH_H

#include "synth/config/scenario.h"
#include "synth/engine/run_stats.h"

#include <stdbool.h>
#include <stdint.h>

struct generator_watch {
    int cpus;             /* CPUs the process may run on (its affinity mask) */
    double cpu_limit_pct; /* a second at or above this counts as saturated */
    int64_t last_us;      /* monotonic µs of the last sample */
    double last_cpu_s;    /* process CPU time then */
    double last_wait_s;   /* run-queue wait of its threads then (0 without schedstat) */
    bool have_wait;
    uint64_t seconds, saturated_seconds;
    double cpu_sum, cpu_max;  /* % of the CPUs available, per sample */
    double sat_sum, sat_max;  /* CPU used plus waited for, % */
};

/* What the verdict and summary.json "capacity.generator" need. */
struct generator_report {
    double lag_p99_ms, lag_max_ms, lag_limit_ms;
    uint64_t started, late, skipped;   /* journeys: started, later than the limit, dropped */
    int cpus;
    uint64_t seconds, saturated_seconds;
    double cpu_pct_mean, cpu_pct_max, saturation_pct_mean, saturation_pct_max, cpu_limit_pct;
    bool have_wait;
    bool lag_bound, cpu_bound; /* set by verdict_generator */
};

void generator_watch_start(struct generator_watch *g, double cpu_limit_pct, int64_t now_us);

/* Takes a sample when a second or more has passed since the last one. */
void generator_watch_sample(struct generator_watch *g, int64_t now_us);

/* The evidence of the whole run: the watch's samples, the lag of s, and the
 * late count (journeys started later than lim->lag_p99_ms). */
void generator_watch_report(const struct generator_watch *g, const struct run_stats *s,
                            uint64_t late, const struct scenario_generator_limits *lim,
                            struct generator_report *out);

#endif
