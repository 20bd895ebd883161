/* events.jsonl → run_stats → verdict → summary.json tree: the path of a
 * normal run's end (synth/cli/run.c finish), from the file it left. */
#include "summary_rebuild.h"

#include "reports/event_result.h"
#include "reports/summary.h"
#include "reports/summary_view.h"
#include "reports/verdict.h"
#include "synth/config/scenario.h"
#include "synth/engine/run_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rebuild {
    const char *path;
    int64_t start_ms;       /* earliest intended start: the run's start */
    bool have_start;
    bool fixed_start;       /* the caller gave the start (synth merge) */
    uint32_t last_index;    /* highest step_index: the journey's last step */
    int64_t end_us;         /* latest end: the run's duration */
    char *target;
    struct run_stats *stats;
    struct run_stats *paths; /* NULL, or one per access path */
    struct synth_error *err;
};

/* One result into s, as a worker counts it: a journey starts with its first
 * step and completes with its last. */
static int count(struct run_stats *s, const struct step_result *r, uint32_t last_index)
{
    int rc = 0;
    if (r->step_index == 0)
        rc = run_stats_add_start(s, r->intended_us, r->start_us - r->intended_us);
    if (!rc)
        rc = run_stats_add_result(s, r);
    if (!rc && r->step_index == last_index)
        run_stats_add_completed(s);
    return rc;
}

static int scan(const json_t *ev, size_t line, void *arg)
{
    struct rebuild *b = arg;
    int64_t ms;
    double idx;

    if (event_result_intended_ms(ev, &ms) != 0)
        return synth_error_set(b->err, SYNTH_EPARSE, "%s:%zu: ts: not an ISO 8601 time",
                               b->path, line);
    if (!b->fixed_start && (!b->have_start || ms < b->start_ms))
        b->start_ms = ms;
    b->have_start = true;
    if (sview_num(ev, "step_index", &idx) && idx > b->last_index && idx < UINT32_MAX)
        b->last_index = (uint32_t)idx;
    const char *at = strchr(sview_str(ev, "user_uri", ""), '@');
    if (!b->target[0] && at && at[1])
        snprintf(b->target, REBUILD_TARGET_MAX, "%.*s", (int)strcspn(at + 1, ";>:"), at + 1);
    return 0;
}

static int add(const json_t *ev, size_t line, void *arg)
{
    struct rebuild *b = arg;
    struct step_result *r = malloc(sizeof(*r)); /* 2 KB of texts */
    struct synth_error why = {{0}};
    int rc;

    if (!r)
        return synth_error_set(b->err, SYNTH_ENOMEM, "out of memory");
    rc = event_result_parse(ev, b->start_ms, r, &why);
    if (rc) {
        rc = synth_error_set(b->err, SYNTH_EPARSE, "%s:%zu: %s", b->path, line, why.msg);
        goto out;
    }
    rc = count(b->stats, r, b->last_index);
    if (!rc && b->paths)
        rc = count(&b->paths[r->via], r, b->last_index);
    if (rc)
        rc = synth_error_set(b->err, SYNTH_ENOMEM, "out of memory");
    if (r->end_us > b->end_us)
        b->end_us = r->end_us;
out:
    free(r);
    return rc;
}

int summary_rebuild_stats(const char *events_path, struct rebuild_result *out,
                          struct synth_error *err)
{
    struct rebuild b = {
        .path = events_path,
        .start_ms = out->start_ms,
        .have_start = out->start_ms >= 0,
        .fixed_start = out->start_ms >= 0,
        .target = out->target,
        .stats = &out->stats,
        .paths = out->paths,
        .err = err,
    };
    int rc;

    out->target[0] = '\0';
    rc = events_read(events_path, scan, &b, &out->read, err);
    if (!rc)
        rc = events_read(events_path, add, &b, &out->read, err);
    out->start_ms = b.start_ms;
    out->stats.duration_us = b.end_us;
    return rc;
}

int summary_rebuild(const char *events_path, bool lab, json_t **out,
                    struct events_read_result *res, struct synth_error *err)
{
    struct rebuild_result *b = calloc(1, sizeof(*b));
    struct scenario *none = calloc(1, sizeof(*none)); /* no thresholds to judge */
    struct verdict v;
    int rc;

    *out = NULL;
    verdict_init(&v);
    if (!b || !none) {
        free(b);
        free(none);
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    }
    run_stats_init(&b->stats);
    b->start_ms = -1;
    rc = summary_rebuild_stats(events_path, b, err);
    *res = b->read;
    if (rc)
        goto out;
    rc = verdict_evaluate(&v, none, &b->stats);
    if (!rc)
        rc = verdict_add_findingf(
            &v, VERDICT_UNKNOWN, "run.killed",
            "the run ended before writing summary.json: rebuilt from events.jsonl",
            "judge the scenario's thresholds against these figures, or run it again",
            "%zu step results read%s; the scenario's thresholds were not judged",
            res->events, res->truncated ? ", the last line cut short" : "");
    if (rc) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
        goto out;
    }
    const struct summary_input in = {
        .target_name = b->target[0] ? b->target : "?",
        .target_is_lab = lab,
        .scenario_name = "?",
        .version = SYNTH_VERSION,
        .started_ms = b->start_ms,
        .stats = &b->stats,
        .scenario = none,
        .verdict = &v,
    };
    *out = summary_build(&in);
    if (!*out)
        rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
out:
    verdict_free(&v);
    run_stats_free(&b->stats);
    free(b);
    free(none);
    return rc;
}
