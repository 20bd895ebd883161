/* The HTML report's charts: time series (from the events pass when there
 * is one, else from summary.json "timeline"), the setup-time histogram
 * (summary "histograms"), failures by class (summary "steps") and the media
 * quality distributions. Each is a spec in the page's data block. */
#include "reports/html_events.h"
#include "reports/html_page.h"
#include "reports/html_text.h"
#include "reports/summary_view.h"
#include "synth/metrics/histogram.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The setup histogram's bars: histogram.c's buckets folded 32 to one, four
 * per power of two (values within 19 %), at most this many bars. */
#define SETUP_FOLD 32
#define SETUP_BARS_MAX 80

static int nomem(struct html_page *p)
{
    return synth_error_set(p->err, SYNTH_ENOMEM, "out of memory");
}

static json_t *num_or_null(bool ok, double v)
{
    return ok ? json_real(round(v * 1000) / 1000) : json_null();
}

/* ---- from the events pass ---- */

static int events_series(struct html_page *p)
{
    const struct html_events *e = p->events;
    static const struct {
        enum html_lat k;
        double pct;
        const char *label;
    } lat[] = {
        {HTML_LAT_SETUP, 50, "setup p50"}, {HTML_LAT_SETUP, 95, "setup p95"},
        {HTML_LAT_SETUP, 99, "setup p99"}, {HTML_LAT_PDD, 50, "PDD p50"},
        {HTML_LAT_PDD, 95, "PDD p95"},
    };
    static const struct {
        double pct;
        const char *label;
    } lag[] = {{50, "lag p50"}, {99, "lag p99"}, {100, "lag max"}};
    char title[128], x[32];
    json_t *labels = json_array();
    int rc = 0;

    snprintf(x, sizeof(x), "s since start (%u s buckets)", e->width_s);
    for (size_t i = 0; i < e->n; i++)
        json_array_append_new(labels, json_integer((json_int_t)(i * e->width_s)));
    if (e->lat_count[HTML_LAT_SETUP] || e->lat_count[HTML_LAT_PDD]) {
        json_t *spec = html_chart_spec("line", x, "ms", json_deep_copy(labels));
        for (size_t k = 0; k < sizeof(lat) / sizeof(lat[0]); k++) {
            json_t *d = json_array();
            for (size_t i = 0; i < e->n; i++) {
                double ms = 0;
                bool ok = html_bucket_percentile(&e->b[i], lat[k].k, lat[k].pct, &ms);
                json_array_append_new(d, num_or_null(ok, ms));
            }
            if (html_series(spec, lat[k].label, d) != 0)
                rc = nomem(p);
        }
        snprintf(title, sizeof(title), "call setup and post-dial delay percentiles, per %u s",
                 e->width_s);
        rc = rc ? rc : html_chart(p, spec, title);
        if (rc)
            goto out;
    }
    if (e->calls) {
        json_t *spec = html_chart_spec("line", x, "calls/s", json_deep_copy(labels));
        json_t *d[3] = {json_array(), json_array(), json_array()};
        for (size_t i = 0; i < e->n; i++) {
            json_array_append_new(d[0], json_real((double)e->b[i].started / e->width_s));
            json_array_append_new(d[1], json_real((double)e->b[i].answered / e->width_s));
            json_array_append_new(d[2], json_real((double)e->b[i].failed / e->width_s));
        }
        if (html_series(spec, "started", d[0]) || html_series(spec, "answered", d[1]) ||
            html_series(spec, "failed", d[2]))
            rc = nomem(p);
        rc = rc ? rc : html_chart(p, spec, "calls per second: started, answered, failed");
        if (rc)
            goto out;
    }
    if (e->lat_count[HTML_LAT_LAG]) {
        json_t *spec = html_chart_spec("line", x, "ms", json_deep_copy(labels));
        for (size_t k = 0; k < sizeof(lag) / sizeof(lag[0]); k++) {
            json_t *d = json_array();
            for (size_t i = 0; i < e->n; i++) {
                double ms = 0;
                bool ok = html_bucket_percentile(&e->b[i], HTML_LAT_LAG, lag[k].pct, &ms);
                json_array_append_new(d, num_or_null(ok, ms));
            }
            if (html_series(spec, lag[k].label, d) != 0)
                rc = nomem(p);
        }
        snprintf(title, sizeof(title), "generator lag (journey start against its intended "
                                       "time), per %u s", e->width_s);
        rc = rc ? rc : html_chart(p, spec, title);
    }
out:
    json_decref(labels);
    return rc;
}

/* ---- from summary.json "timeline" (no events.jsonl) ---- */

static int timeline_series(struct html_page *p)
{
    const json_t *tl = json_object_get(p->summary, "timeline");
    static const char *const keys[] = {"calls", "answered", "failed"};
    static const char *const names[] = {"calls started", "answered", "steps failed"};
    const json_t *row;
    size_t i;
    double v, calls = 0;
    int rc;

    json_array_foreach(tl, i, row) {
        v = 0;
        sview_num(row, "calls", &v);
        calls += v;
    }
    if (calls == 0) /* synth check, or a run that made no call */
        return 0;
    json_t *labels = json_array();
    json_t *setup = json_array();
    json_array_foreach(tl, i, row) {
        json_array_append_new(labels, json_integer((json_int_t)i));
        bool ok = sview_num(row, "setup_p95_ms", &v);
        json_array_append_new(setup, num_or_null(ok, v));
    }
    json_t *spec = html_chart_spec("line", "s since start", "ms", json_deep_copy(labels));
    if (html_series(spec, "setup p95", setup) != 0)
        return nomem(p);
    rc = html_chart(p, spec, "call setup p95, per second");
    if (rc) {
        json_decref(labels);
        return rc;
    }
    spec = html_chart_spec("line", "s since start", "per second", labels);
    for (size_t k = 0; k < 3; k++) {
        json_t *d = json_array();
        json_array_foreach(tl, i, row) {
            v = 0;
            sview_num(row, keys[k], &v);
            json_array_append_new(d, json_real(v));
        }
        if (html_series(spec, names[k], d) != 0)
            return nomem(p);
    }
    return html_chart(p, spec, "calls started, answered and steps failed per second");
}

/* ---- summary "histograms" "setup" ---- */

static int setup_histogram(struct html_page *p)
{
    const json_t *h = json_object_get(json_object_get(p->summary, "histograms"), "setup");
    const json_t *b;
    size_t i, lo = SIZE_MAX, hi = 0;
    double counts[HIST_BUCKETS / SETUP_FOLD] = {0};
    char label[48];

    json_array_foreach(json_object_get(h, "buckets"), i, b) {
        json_int_t idx = json_integer_value(json_array_get(b, 0));
        double n = json_number_value(json_array_get(b, 1));
        if (idx < 0 || (size_t)idx >= HIST_BUCKETS || !(n > 0))
            continue;
        size_t bar = (size_t)idx / SETUP_FOLD;
        counts[bar] += n;
        lo = bar < lo ? bar : lo;
        hi = bar > hi ? bar : hi;
    }
    if (lo == SIZE_MAX)
        return 0;
    if (hi - lo >= SETUP_BARS_MAX)
        lo = hi - SETUP_BARS_MAX + 1;
    json_t *labels = json_array(), *d = json_array();
    for (size_t bar = lo; bar <= hi; bar++) {
        double upper_ms = (double)hist_bucket_upper_us(bar * SETUP_FOLD + SETUP_FOLD - 1) / 1000.0;
        snprintf(label, sizeof(label), "<= %.3g", upper_ms);
        json_array_append_new(labels, json_string(label));
        json_array_append_new(d, json_real(counts[bar]));
    }
    json_t *spec = html_chart_spec("bar", "call setup ms (bucket upper bound)", "calls", labels);
    if (html_series(spec, "calls", d) != 0)
        return nomem(p);
    return html_chart(p, spec, "call setup time histogram");
}

/* ---- summary "steps" failures ---- */

static int failures_by_class(struct html_page *p)
{
    const json_t *steps = json_object_get(p->summary, "steps");
    const char *step, *cls;
    const json_t *st, *n;
    json_t *classes = json_array();
    int rc = 0;

    json_object_foreach((json_t *)steps, step, st) {
        json_object_foreach((json_t *)json_object_get(st, "failures"), cls, n) {
            size_t i;
            const json_t *c;
            bool seen = false;
            json_array_foreach(classes, i, c)
                seen |= strcmp(json_string_value(c), cls) == 0;
            if (!seen && json_number_value(n) > 0)
                json_array_append_new(classes, json_string(cls));
        }
    }
    if (json_array_size(classes) == 0) {
        json_decref(classes);
        fputs("<p class=\"none\">failures by class: none</p>\n", p->out);
        return 0;
    }
    json_t *spec = html_chart_spec("bar", "failure class", "failed attempts", classes);
    if (json_object_set_new(spec, "stacked", json_true()) != 0)
        return nomem(p);
    json_object_foreach((json_t *)steps, step, st) {
        const json_t *fails = json_object_get(st, "failures");
        if (json_object_size(fails) == 0)
            continue;
        json_t *d = json_array();
        size_t i;
        const json_t *c;
        json_array_foreach(classes, i, c)
            json_array_append_new(d, json_real(json_number_value(
                                         json_object_get(fails, json_string_value(c)))));
        if (html_series(spec, step, d) != 0)
            rc = nomem(p);
    }
    return rc ? rc : html_chart(p, spec, "failures by class (per step)");
}

int html_sec_charts(struct html_page *p)
{
    int rc;
    fputs("<section id=\"charts\"><h2>Charts</h2>\n<p id=\"charts-note\" class=\"note\" hidden>"
          "charts unavailable: Chart.js did not load</p>\n", p->out);
    if (p->events && p->events->n)
        rc = events_series(p);
    else
        rc = timeline_series(p);
    if (!rc)
        rc = setup_histogram(p);
    if (!rc)
        rc = failures_by_class(p);
    fputs("</section>\n", p->out);
    return rc;
}

/* ---- media quality distributions (events pass) ---- */

int html_sec_media(struct html_page *p)
{
    static const struct {
        enum html_dist d;
        const char *x, *title;
        int exact_first; /* the first bin holds exactly its bound (loss 0 %) */
    } dists[] = {
        {HTML_DIST_LOSS, "loss %", "packet loss per call", 1},
        {HTML_DIST_JITTER, "jitter ms", "interarrival jitter per call", 0},
        {HTML_DIST_MOS, "MOS (estimated, E-model)", "MOS per call", 0},
        {HTML_DIST_FIRST_MEDIA, "ms from answer", "time to first media", 0},
    };
    const struct html_events *e = p->events;
    char label[48];
    bool any = false;

    for (size_t k = 0; e && k < sizeof(dists) / sizeof(dists[0]); k++)
        any |= e->dist_count[dists[k].d] > 0;
    if (!any)
        return 0;
    fputs("<section id=\"media\"><h2>Media quality</h2>\n", p->out);
    for (size_t k = 0; k < sizeof(dists) / sizeof(dists[0]); k++) {
        const double *upper;
        size_t n = html_dist_bins(dists[k].d, &upper);
        if (!e->dist_count[dists[k].d])
            continue;
        json_t *labels = json_array(), *d = json_array();
        for (size_t i = 0; i < n; i++) {
            if (isinf(upper[i]))
                snprintf(label, sizeof(label), "> %g", upper[i - 1]);
            else if (i == 0 && dists[k].exact_first)
                snprintf(label, sizeof(label), "%g", upper[i]);
            else
                snprintf(label, sizeof(label), "<= %g", upper[i]);
            json_array_append_new(labels, json_string(label));
            json_array_append_new(d, json_real((double)e->dist[dists[k].d][i]));
        }
        json_t *spec = html_chart_spec("bar", dists[k].x, "calls", labels);
        if (html_series(spec, "calls", d) != 0)
            return nomem(p);
        int rc = html_chart(p, spec, dists[k].title);
        if (rc)
            return rc;
    }
    fputs("</section>\n", p->out);
    return 0;
}
