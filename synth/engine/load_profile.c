/* The load profile's arithmetic (load_profile.h): piecewise-linear rate,
 * its integral, and the inverse of the integral for intended arrival times. */
#include "load_profile.h"

#include "synth/base/err.h"

#include <math.h>
#include <string.h>

static double seg_seconds(const struct load_segment *s)
{
    return (double)(s->end_us - s->start_us) / 1e6;
}

/* Arrivals of a segment over its first x seconds: r0 x + (r1 - r0) x² / 2d. */
static double seg_area(const struct load_segment *s, double x)
{
    double d = seg_seconds(s);
    double slope = d > 0 ? (s->rate_to - s->rate_from) / d : 0;
    return s->rate_from * x + slope * x * x / 2;
}

void load_profile_constant(struct load_profile *p, double rate, int64_t duration_us)
{
    memset(p, 0, sizeof(*p));
    p->kind = PROFILE_CONSTANT;
    p->open_end = duration_us <= 0;
    load_profile_add(p, rate, rate, p->open_end ? INT64_MAX / 2 : duration_us);
}

int load_profile_add(struct load_profile *p, double start_rate, double rate, int64_t duration_us)
{
    if (p->count >= LOAD_PROFILE_PHASES_MAX)
        return SYNTH_ETOOBIG;
    struct load_segment *s = &p->seg[p->count];
    const struct load_segment *prev = p->count ? &p->seg[p->count - 1] : NULL;
    s->rate_from = prev ? prev->rate_to : start_rate;
    s->rate_to = rate;
    s->start_us = prev ? prev->end_us : 0;
    s->end_us = s->start_us + duration_us;
    s->arrivals_before = prev ? prev->arrivals_before + seg_area(prev, seg_seconds(prev)) : 0;
    p->count++;
    return 0;
}

void load_profile_from_scenario(struct load_profile *p, const struct scenario_load *l)
{
    switch (l->profile) {
    case PROFILE_RAMP:
        memset(p, 0, sizeof(*p));
        p->kind = PROFILE_RAMP;
        for (uint32_t i = 0; i < l->stage_count; i++)
            load_profile_add(p, l->start_rate, l->stages[i].rate,
                             (int64_t)l->stages[i].duration_ms * 1000);
        return;
    case PROFILE_STEP_UNTIL: {
        const struct scenario_step_until *u = &l->until;
        memset(p, 0, sizeof(*p));
        p->kind = PROFILE_STEP_UNTIL;
        p->warmup_ms = u->warmup_ms;
        /* Each step holds its rate: the jump between steps is immediate. */
        for (uint32_t i = 0; i < u->max_steps; i++) {
            double r = u->start_rate + u->step_rate * i;
            if (r > u->max_rate + 1e-9)
                break;
            load_profile_add(p, r, r, (int64_t)u->step_ms * 1000);
            p->seg[p->count - 1].rate_from = r;
        }
        return;
    }
    case PROFILE_CONSTANT:
        break;
    }
    load_profile_constant(p, l->rate, (int64_t)l->duration_ms * 1000);
}

static const struct load_segment *seg_at(const struct load_profile *p, int64_t t_us)
{
    for (uint32_t i = 0; i < p->count; i++)
        if (t_us >= p->seg[i].start_us && t_us < p->seg[i].end_us)
            return &p->seg[i];
    return NULL;
}

double load_profile_rate_at(const struct load_profile *p, int64_t t_us)
{
    const struct load_segment *s = seg_at(p, t_us);
    if (!s)
        return 0;
    double d = seg_seconds(s);
    double x = (double)(t_us - s->start_us) / 1e6;
    return s->rate_from + (d > 0 ? (s->rate_to - s->rate_from) * x / d : 0);
}

double load_profile_arrivals_by(const struct load_profile *p, int64_t t_us)
{
    if (p->count == 0 || t_us <= 0)
        return 0;
    const struct load_segment *s = seg_at(p, t_us);
    if (!s) {
        const struct load_segment *last = &p->seg[p->count - 1];
        return last->arrivals_before + seg_area(last, seg_seconds(last));
    }
    return s->arrivals_before + seg_area(s, (double)(t_us - s->start_us) / 1e6);
}

int load_profile_time_of(const struct load_profile *p, uint64_t j, int64_t *t_us)
{
    double n = (double)j;
    for (uint32_t i = 0; i < p->count; i++) {
        const struct load_segment *s = &p->seg[i];
        double d = seg_seconds(s);
        double area = seg_area(s, d);
        if (area <= 0 || n >= s->arrivals_before + area)
            continue;
        double rem = n - s->arrivals_before;
        if (rem < 0)
            rem = 0;
        double slope = d > 0 ? (s->rate_to - s->rate_from) / d : 0;
        /* The root of r0 x + slope x² / 2 = rem, in the form that keeps its
         * precision for a falling rate and for r0 = 0 alike. */
        double disc = sqrt(s->rate_from * s->rate_from + 2 * slope * rem);
        double den = s->rate_from + disc;
        double x = den > 0 ? 2 * rem / den : 0;
        int64_t t = s->start_us + (int64_t)llround(x * 1e6);
        /* Rounding must not push an arrival out of its own segment. */
        *t_us = t < s->end_us ? t : s->end_us - 1;
        return 0;
    }
    return SYNTH_ENOTFOUND;
}

int load_profile_phase_at(const struct load_profile *p, int64_t t_us)
{
    const struct load_segment *s = seg_at(p, t_us);
    return s ? (int)(s - p->seg) : -1;
}

int64_t load_profile_end_us(const struct load_profile *p)
{
    return p->open_end || p->count == 0 ? 0 : p->seg[p->count - 1].end_us;
}
