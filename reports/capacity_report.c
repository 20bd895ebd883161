/* summary.json "capacity" and the capacity findings (capacity_report.h). */
#include "capacity_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) ? -1 : 0;
}

/* One decimal for rates and percentages, three for seconds and ms. */
static json_t *real_json(double v, double scale)
{
    return json_real(round(v * scale) / scale);
}

static json_t *hist_ms_json(const struct hist *h, double p)
{
    return h->count ? real_json((double)hist_percentile(h, p) / 1000.0, 1000) : json_null();
}

static json_t *index_json(int i)
{
    return i >= 0 ? json_integer(i + 1) : json_null();
}

static json_t *phase_json(const struct capacity *c, uint32_t i)
{
    const struct capacity_phase *ph = &c->phase[i];
    const struct load_segment *s = &c->profile->seg[i];
    const struct run_stats *st = &ph->stats;
    double ran_s = (double)ph->ran_us / 1e6;
    json_t *o = json_object();
    int rc = !o;
    rc |= set(o, "index", json_integer(i + 1));
    rc |= set(o, "start_s", real_json((double)s->start_us / 1e6, 1000));
    rc |= set(o, "duration_s", real_json((double)(s->end_us - s->start_us) / 1e6, 1000));
    rc |= set(o, "ran_s", real_json(ran_s, 1000));
    if (c->profile->kind == PROFILE_RAMP)
        rc |= set(o, "start_rate", real_json(s->rate_from, 1000));
    rc |= set(o, "target_rate", real_json(s->rate_to, 1000));
    /* What the profile asked for over the time the phase ran, and what started. */
    double asked = ph->ran_us > 0 ? (load_profile_arrivals_by(c->profile, s->start_us + ph->ran_us) -
                                     load_profile_arrivals_by(c->profile, s->start_us)) /
                                        ran_s
                                  : 0;
    rc |= set(o, "mean_target_rate", real_json(asked, 1000));
    rc |= set(o, "achieved_rate",
              real_json(ran_s > 0 ? (double)st->journeys_started / ran_s : 0, 1000));
    rc |= set(o, "started", json_integer((json_int_t)st->journeys_started));
    rc |= set(o, "skipped", json_integer((json_int_t)st->journeys_skipped));
    rc |= set(o, "calls", json_integer((json_int_t)st->calls_attempted));
    rc |= set(o, "failures", json_integer((json_int_t)st->calls_failed));
    rc |= set(o, "failure_pct",
              st->calls_attempted
                  ? real_json(100.0 * (double)st->calls_failed / (double)st->calls_attempted, 10)
                  : json_null());
    rc |= set(o, "setup_p50_ms", hist_ms_json(&st->setup, 50));
    rc |= set(o, "setup_p95_ms", hist_ms_json(&st->setup, 95));
    rc |= set(o, "state", json_string(capacity_state_name(ph->state)));
    rc |= set(o, "held", json_boolean(ph->state == CAPACITY_HELD));
    rc |= set(o, "reason", json_string(ph->reason));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *generator_json(const struct generator_report *g, bool bound)
{
    json_t *o = json_object();
    int rc = !o;
    rc |= set(o, "bound", json_boolean(bound));
    rc |= set(o, "lag_bound", json_boolean(g->lag_bound));
    rc |= set(o, "cpu_bound", json_boolean(g->cpu_bound));
    rc |= set(o, "lag_p99_ms", real_json(g->lag_p99_ms, 1000));
    rc |= set(o, "lag_max_ms", real_json(g->lag_max_ms, 1000));
    rc |= set(o, "lag_limit_ms", real_json(g->lag_limit_ms, 1000));
    rc |= set(o, "journeys_started", json_integer((json_int_t)g->started));
    rc |= set(o, "late", json_integer((json_int_t)g->late));
    rc |= set(o, "dropped", json_integer((json_int_t)g->skipped));
    rc |= set(o, "cpus", json_integer(g->cpus));
    rc |= set(o, "seconds", json_integer((json_int_t)g->seconds));
    rc |= set(o, "saturated_seconds", json_integer((json_int_t)g->saturated_seconds));
    rc |= set(o, "cpu_pct_mean", real_json(g->cpu_pct_mean, 10));
    rc |= set(o, "cpu_pct_max", real_json(g->cpu_pct_max, 10));
    rc |= set(o, "saturation_pct_mean", real_json(g->saturation_pct_mean, 10));
    rc |= set(o, "saturation_pct_max", real_json(g->saturation_pct_max, 10));
    rc |= set(o, "cpu_limit_pct", real_json(g->cpu_limit_pct, 10));
    rc |= set(o, "run_queue_wait", json_boolean(g->have_wait));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *capacity_json(const struct capacity *c, const struct generator_report *g,
                      bool generator_bound)
{
    json_t *o = json_object();
    json_t *phases = json_array();
    int rc = !o || !phases;
    enum scenario_profile kind = c->profile->kind;
    for (uint32_t i = 0; i < c->count && !rc; i++)
        rc |= json_array_append_new(phases, phase_json(c, i));
    rc |= set(o, "profile", json_string(scenario_profile_name(kind)));
    if (kind != PROFILE_CONSTANT) {
        rc |= set(o, kind == PROFILE_RAMP ? "stages" : "steps", phases);
        phases = NULL;
    }
    json_decref(phases);
    if (kind == PROFILE_STEP_UNTIL) {
        const struct load_segment *seg = c->profile->seg;
        rc |= set(o, "last_held_step", index_json(c->last_held));
        rc |= set(o, "first_broken_step", index_json(c->first_broken));
        rc |= set(o, "last_held_rate",
                  c->last_held >= 0 ? real_json(seg[c->last_held].rate_to, 1000) : json_null());
        rc |= set(o, "first_broken_rate", c->first_broken >= 0
                                              ? real_json(seg[c->first_broken].rate_to, 1000)
                                              : json_null());
    }
    rc |= set(o, "generator_bound", json_boolean(generator_bound));
    if (g)
        rc |= set(o, "generator", generator_json(g, generator_bound));
    rc |= set(o, "aborted", json_boolean(c->aborted));
    rc |= set(o, "stopped_early", json_boolean(c->stopped));
    rc |= set(o, "stop_reason", c->stopped ? json_string(c->stop_reason) : json_null());
    rc |= set(o, "stopped_at_s",
              c->stopped ? real_json((double)c->stopped_at_us / 1e6, 1000) : json_null());
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Step-until judges each step by the thresholds: run-wide threshold
 * findings, and partial failures (warnings), are what the search measured. */
static bool judged_per_step(const struct finding *f)
{
    return strncmp(f->id, "threshold.", 10) == 0 || f->level == VERDICT_WARNING;
}

int capacity_findings_evaluate(struct verdict *v, const struct capacity *c)
{
    int err = 0;
    if (c->aborted)
        err = verdict_add_findingf(v, VERDICT_CRITICAL, "run.aborted",
                                   "the run was stopped early by load.abort_on",
                                   "the target failed under this load: see the other findings; "
                                   "every result measured up to the stop is kept",
                                   "%s, %.1f s into the run", c->stop_reason,
                                   (double)c->stopped_at_us / 1e6);
    if (err || c->profile->kind != PROFILE_STEP_UNTIL)
        return err;
    verdict_relevel(v, judged_per_step, VERDICT_OK);
    const struct load_segment *seg = c->profile->seg;
    if (c->first_broken == 0)
        return verdict_add_findingf(
            v, VERDICT_CRITICAL, "capacity.first-step-broke",
            "the first step already broke: the target does not carry the lowest rate tried",
            "lower step_until.start_rate, or look at the failure findings",
            "step 1 at %g/s: %s", seg[0].rate_to, c->phase[0].reason);
    if (c->first_broken > 0) {
        const struct capacity_phase *b = &c->phase[c->first_broken];
        if (c->last_held >= 0)
            return verdict_add_findingf(
                v, VERDICT_OK, "capacity.limit", "the target held its last step below the break",
                "the capacity lies between the last step that held and the first that broke",
                "step %d at %g/s held; step %d at %g/s broke: %s", c->last_held + 1,
                seg[c->last_held].rate_to, c->first_broken + 1, seg[c->first_broken].rate_to,
                b->reason);
        return verdict_add_findingf(v, VERDICT_OK, "capacity.limit",
                                    "a step broke; no step before it could be judged", "",
                                    "step %d at %g/s broke: %s", c->first_broken + 1,
                                    seg[c->first_broken].rate_to, b->reason);
    }
    if (c->last_held >= 0)
        return verdict_add_findingf(v, VERDICT_OK, "capacity.not-reached",
                                    "every step held: the limit lies above the highest rate tried",
                                    "raise step_until.max_rate or max_steps",
                                    "step %d at %g/s held", c->last_held + 1,
                                    seg[c->last_held].rate_to);
    return verdict_add_findingf(v, VERDICT_UNKNOWN, "capacity.no-data",
                                "no step could be judged", "see the other findings",
                                "%u steps, none measured", c->count);
}
