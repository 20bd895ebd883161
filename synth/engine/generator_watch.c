/* The generator's own CPU, per second: process CPU time (clock_gettime
 * CLOCK_PROCESS_CPUTIME_ID) and, where the kernel keeps scheduler
 * statistics, the time its threads waited on a run queue
 * (/proc/self/task/TID/schedstat, second field; Documentation/scheduler/
 * sched-stats.rst). A process that used half a CPU and waited the other
 * half (pinned beside a busy loop) is as saturated as one using it all. */
#include "generator_watch.h"

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* A task's schedstat line is three numbers; this is ample. */
#define SCHEDSTAT_LINE_MAX 128

static double process_cpu_s(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sum of the run-queue wait of every thread; false when unavailable. */
static bool wait_s(double *out)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return false;
    bool any = false;
    double sum = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[64], line[SCHEDSTAT_LINE_MAX];
        snprintf(path, sizeof(path), "/proc/self/task/%.20s/schedstat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        unsigned long long run_ns, wait_ns;
        if (fgets(line, sizeof(line), f) && sscanf(line, "%llu %llu", &run_ns, &wait_ns) == 2) {
            sum += (double)wait_ns / 1e9;
            any = true;
        }
        fclose(f);
    }
    closedir(d);
    *out = sum;
    return any;
}

static int affinity_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

void generator_watch_start(struct generator_watch *g, double cpu_limit_pct, int64_t now_us)
{
    memset(g, 0, sizeof(*g));
    g->cpus = affinity_cpus();
    g->cpu_limit_pct = cpu_limit_pct;
    g->last_us = now_us;
    g->last_cpu_s = process_cpu_s();
    g->have_wait = wait_s(&g->last_wait_s);
}

void generator_watch_sample(struct generator_watch *g, int64_t now_us)
{
    double dt = (double)(now_us - g->last_us) / 1e6;
    if (dt < 1.0)
        return;
    double cpu = process_cpu_s(), wait = 0;
    bool have_wait = g->have_wait && wait_s(&wait);
    double avail = dt * g->cpus;
    double cpu_pct = 100.0 * (cpu - g->last_cpu_s) / avail;
    /* Threads that ended take their wait with them: never below zero. */
    double wait_pct = have_wait && wait > g->last_wait_s ? 100.0 * (wait - g->last_wait_s) / avail : 0;
    double sat = cpu_pct + wait_pct;
    g->seconds++;
    g->cpu_sum += cpu_pct;
    g->sat_sum += sat;
    if (cpu_pct > g->cpu_max)
        g->cpu_max = cpu_pct;
    if (sat > g->sat_max)
        g->sat_max = sat;
    if (sat >= g->cpu_limit_pct)
        g->saturated_seconds++;
    g->last_us = now_us;
    g->last_cpu_s = cpu;
    g->last_wait_s = wait;
    g->have_wait = have_wait;
}

void generator_watch_report(const struct generator_watch *g, const struct run_stats *s,
                            uint64_t late, const struct scenario_generator_limits *lim,
                            struct generator_report *out)
{
    memset(out, 0, sizeof(*out));
    out->lag_limit_ms = lim->lag_p99_ms;
    out->cpu_limit_pct = lim->cpu_pct;
    out->started = s->journeys_started;
    out->skipped = s->journeys_skipped;
    out->late = late;
    if (s->lag.count) {
        out->lag_p99_ms = (double)hist_percentile(&s->lag, 99) / 1000.0;
        out->lag_max_ms = (double)s->lag.max_us / 1000.0;
    }
    out->cpus = g->cpus;
    out->seconds = g->seconds;
    out->saturated_seconds = g->saturated_seconds;
    out->have_wait = g->have_wait;
    if (g->seconds) {
        out->cpu_pct_mean = g->cpu_sum / (double)g->seconds;
        out->saturation_pct_mean = g->sat_sum / (double)g->seconds;
    }
    out->cpu_pct_max = g->cpu_max;
    out->saturation_pct_max = g->sat_max;
}
