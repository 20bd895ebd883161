/* Capacity phases of sharded runs judged on their merged results
 * (capacity_merge.h). */
#include "capacity_merge.h"

#include "reports/capacity_report.h"
#include "reports/event_result.h"
#include "reports/events_read.h"
#include "reports/summary_view.h"
#include "synth/engine/load_profile.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shard_read {
    struct capacity *c;
    int64_t start_ms; /* the shard's own start: its phases' origin */
    const char *path;
    struct synth_error *err;
};

/* The phase t_us falls in, or NULL; results (not starts) inside a phase's
 * warm-up are not judged, as a worker's phase_of leaves them out. */
static struct run_stats *phase_at(struct capacity *c, int64_t t_us, bool result)
{
    int i = load_profile_phase_at(c->profile, t_us);
    if (i < 0 || (uint32_t)i >= c->count)
        return NULL;
    if (result && t_us < c->profile->seg[i].start_us + (int64_t)c->profile->warmup_ms * 1000)
        return NULL;
    return &c->phase[i].stats;
}

static int add_event(const json_t *ev, size_t line, void *arg)
{
    struct shard_read *b = arg;
    struct step_result *r = malloc(sizeof(*r)); /* 2 KB of texts */
    struct synth_error why = {{0}};
    struct run_stats *ph;
    int rc = 0;

    if (!r)
        return synth_error_set(b->err, SYNTH_ENOMEM, "out of memory");
    double offset_ms;
    if (event_result_parse(ev, b->start_ms, r, &why) != 0) {
        rc = synth_error_set(b->err, SYNTH_EPARSE, "%s:%zu: %s", b->path, line, why.msg);
        goto out;
    }
    /* The exact offset in the shard's own run, where the file has it: an
     * arrival due at a step's first µs belongs to that step. */
    if (sview_num(ev, "offset_ms", &offset_ms) && offset_ms >= 0 && offset_ms < 1e12) {
        int64_t lag = r->start_us - r->intended_us, took = r->end_us - r->intended_us;
        r->intended_us = llround(offset_ms * 1000.0);
        r->start_us = r->intended_us + lag;
        r->end_us = r->intended_us + took;
    }
    if (r->step_index == 0 && (ph = phase_at(b->c, r->intended_us, false)) != NULL)
        rc = run_stats_add_start(ph, r->intended_us, r->start_us - r->intended_us);
    if (!rc && (ph = phase_at(b->c, r->start_us, true)) != NULL)
        rc = run_stats_add_result(ph, r);
    if (rc)
        rc = synth_error_set(b->err, SYNTH_ENOMEM, "out of memory");
out:
    free(r);
    return rc;
}

/* The shard's arrivals skipped in each phase ("steps" or "stages"). */
static void add_skips(struct capacity *c, const json_t *cap)
{
    const json_t *phases = json_object_get(cap, "steps"), *ph;
    size_t i;
    if (!phases)
        phases = json_object_get(cap, "stages");
    json_array_foreach(phases, i, ph) {
        const json_t *k = json_object_get(ph, "skipped");
        if (i < c->count && json_is_integer(k) && json_integer_value(k) > 0)
            c->phase[i].stats.journeys_skipped += (uint64_t)json_integer_value(k);
    }
}

/* The earliest stop of any shard becomes the merged run's. */
static void take_stop(struct capacity *c, const json_t *cap, size_t k)
{
    double at;
    if (json_is_true(json_object_get(cap, "aborted")))
        c->aborted = true;
    if (!json_is_true(json_object_get(cap, "stopped_early")) ||
        !sview_num(cap, "stopped_at_s", &at) || !(at >= 0 && at < 1e9))
        return;
    int64_t at_us = (int64_t)(at * 1e6 + 0.5);
    if (c->stopped && at_us >= c->stopped_at_us)
        return;
    c->stopped = true;
    c->stopped_at_us = at_us;
    snprintf(c->stop_reason, sizeof(c->stop_reason), "shard %zu: %s", k,
             sview_str(cap, "stop_reason", "stopped"));
}

int capacity_merge(struct capacity *c, const struct merge_shard *s, size_t n,
                   bool *generator_bound, struct synth_error *err)
{
    char path[PATH_MAX];
    int64_t end_us = 0;
    double dur;

    *generator_bound = false;
    for (size_t k = 0; k < n; k++) {
        const json_t *sum = s[k].summary, *cap = json_object_get(sum, "capacity");
        struct events_read_result res;
        struct shard_read b = {
            .c = c,
            .start_ms = (int64_t)json_integer_value(json_object_get(sum, "started_at_ms")),
            .path = path,
            .err = err,
        };
        if (snprintf(path, sizeof(path), "%s/events.jsonl", s[k].dir) >= (int)sizeof(path))
            return synth_error_set(err, SYNTH_ETOOBIG, "%s: path too long", s[k].dir);
        if (c->count) {
            int rc = events_read(path, add_event, &b, &res, err);
            if (rc)
                return rc;
        }
        add_skips(c, cap);
        take_stop(c, cap, k);
        *generator_bound |= json_is_true(json_object_get(cap, "generator_bound"));
        if (sview_num(sum, "duration_s", &dur) && dur * 1e6 > (double)end_us)
            end_us = (int64_t)(dur * 1e6);
    }
    capacity_conclude(c, end_us);
    return 0;
}

static const json_t *generator_of(const json_t *summary)
{
    return json_object_get(json_object_get(summary, "capacity"), "generator");
}

static bool bound_of(const json_t *summary)
{
    return json_is_true(json_object_get(json_object_get(summary, "capacity"), "generator_bound"));
}

json_t *capacity_merge_json(const struct capacity *c, const struct merge_shard *s, size_t n,
                            bool generator_bound)
{
    json_t *o = capacity_json(c, NULL, generator_bound), *all = json_array();
    const json_t *shown = n ? generator_of(s[0].summary) : NULL;
    int rc = !o || !all;

    for (size_t k = n; k-- > 0;)
        if (bound_of(s[k].summary) && generator_of(s[k].summary))
            shown = generator_of(s[k].summary);
    for (size_t k = 0; !rc && k < n; k++) {
        const json_t *g = generator_of(s[k].summary);
        rc |= json_array_append_new(all, g ? json_deep_copy(g) : json_null());
    }
    if (!rc && shown)
        rc |= json_object_set_new(o, "generator", json_deep_copy(shown));
    if (o) /* takes all, even when it fails */
        rc |= json_object_set_new(o, "shard_generators", all);
    else
        json_decref(all);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}
