/* The HTML report's pass over events.jsonl (html_events.h). Buckets are
 * keyed by each event's start ("ts") against the run's start; a call counts
 * in the bucket it started in. */
#include "html_events.h"

#include "reports/iso_time.h"
#include "reports/summary_view.h"
#include "synth/metrics/histogram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* histogram.c's buckets folded 16 to one: 128 per power of two become 8. */
#define COARSE_FOLD 16
_Static_assert(HTML_COARSE_BINS * COARSE_FOLD == HIST_BUCKETS, "coarse bins cover the histogram");

static const double loss_upper[] = {0, 0.5, 1, 2, 3, 5, 10, 20, INFINITY};
static const double jitter_upper[] = {1, 2, 5, 10, 20, 30, 50, 100, INFINITY};
static const double mos_upper[] = {1.5, 2, 2.5, 3, 3.25, 3.5, 3.75, 4, 4.1, 4.2, 4.3, 4.4,
                                   INFINITY};
static const double first_media_upper[] = {5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
                                           INFINITY};

size_t html_dist_bins(enum html_dist d, const double **upper)
{
#define BINS(a) (*upper = (a), sizeof(a) / sizeof((a)[0]))
    switch (d) {
    case HTML_DIST_LOSS: return BINS(loss_upper);
    case HTML_DIST_JITTER: return BINS(jitter_upper);
    case HTML_DIST_MOS: return BINS(mos_upper);
    default: return BINS(first_media_upper);
    }
#undef BINS
}

static unsigned width_for(double duration_s)
{
    static const unsigned widths[] = {1, 10, 60, 600, 3600};
    size_t i;
    for (i = 0; i + 1 < sizeof(widths) / sizeof(widths[0]); i++)
        if (duration_s / widths[i] < HTML_SERIES_POINTS)
            break;
    return widths[i];
}

struct html_events *html_events_new(int64_t start_ms, double duration_s, size_t worst_n)
{
    struct html_events *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->start_ms = start_ms;
    e->width_s = width_for(duration_s > 0 ? duration_s : 0);
    e->cap = (size_t)(duration_s > 0 ? duration_s : 0) / e->width_s + 2;
    if (e->cap > HTML_SERIES_MAX)
        e->cap = HTML_SERIES_MAX;
    e->b = calloc(e->cap, sizeof(*e->b));
    if (!e->b) {
        free(e);
        return NULL;
    }
    html_worst_init(&e->worst, worst_n);
    return e;
}

void html_events_free(struct html_events *e)
{
    if (!e)
        return;
    free(e->b);
    free(e);
}

/* The bucket an event starting at ts falls in, growing the array; NULL on
 * ENOMEM. Events before the start count in the first bucket. */
static struct html_bucket *bucket_at(struct html_events *e, const json_t *ev)
{
    double epoch_s;
    if (iso_time_parse(sview_str(ev, "ts", ""), &epoch_s) != 0)
        return NULL;
    double rel_s = epoch_s - (double)e->start_ms / 1000.0;
    size_t i = rel_s > 0 ? (size_t)(rel_s / e->width_s) : 0;
    if (i >= HTML_SERIES_MAX)
        i = HTML_SERIES_MAX - 1;
    if (i >= e->cap) {
        size_t cap = e->cap * 2 > i + 1 ? e->cap * 2 : i + 1;
        if (cap > HTML_SERIES_MAX)
            cap = HTML_SERIES_MAX;
        struct html_bucket *b = realloc(e->b, cap * sizeof(*b));
        if (!b) {
            e->oom = true;
            return NULL;
        }
        memset(b + e->cap, 0, (cap - e->cap) * sizeof(*b));
        e->b = b;
        e->cap = cap;
    }
    if (i >= e->n)
        e->n = i + 1;
    return &e->b[i];
}

static void lat_record(struct html_events *e, struct html_bucket *b, enum html_lat k,
                       const json_t *o, const char *key)
{
    double ms;
    if (!b || !sview_num(o, key, &ms) || ms < 0)
        return;
    b->lat[k][hist_bucket_index((uint64_t)llround(ms * 1000.0)) / COARSE_FOLD]++;
    e->lat_count[k]++;
}

static void dist_record(struct html_events *e, enum html_dist d, const json_t *m,
                        const char *key)
{
    const double *upper;
    double v;
    if (!sview_num(m, key, &v))
        return;
    size_t n = html_dist_bins(d, &upper), i = 0;
    while (i + 1 < n && v > upper[i])
        i++;
    e->dist[d][i]++;
    e->dist_count[d]++;
}

int html_events_add(const json_t *ev, size_t line, void *arg)
{
    struct html_events *e = arg;
    double idx;

    html_worst_add(&e->worst, ev, line);
    bool call = strcmp(sview_str(ev, "step", ""), "call") == 0;
    bool first = sview_num(ev, "step_index", &idx) && idx == 0;
    if (!call && !first)
        return 0;
    struct html_bucket *b = bucket_at(e, ev);
    if (e->oom)
        return SYNTH_ENOMEM;
    if (first)
        lat_record(e, b, HTML_LAT_LAG, ev, "start_lag_ms");
    if (!call)
        return 0;
    e->calls++;
    if (b) {
        b->started++;
        b->answered += json_is_true(json_object_get(ev, "answered"));
        b->failed += strcmp(sview_str(ev, "outcome", ""), "failed") == 0;
    }
    lat_record(e, b, HTML_LAT_SETUP, ev, "setup_ms");
    lat_record(e, b, HTML_LAT_PDD, ev, "pdd_ms");
    const json_t *m = json_object_get(ev, "media");
    if (json_is_true(json_object_get(m, "flowed"))) {
        dist_record(e, HTML_DIST_LOSS, m, "loss_pct");
        dist_record(e, HTML_DIST_JITTER, m, "jitter_ms");
        dist_record(e, HTML_DIST_MOS, m, "mos");
    }
    dist_record(e, HTML_DIST_FIRST_MEDIA, m, "first_media_ms");
    return 0;
}

/* Lines positively known to be of no use: a later step of a journey
 * (step_index > 0) that is not a call and did not fail. event_json writes
 * compact JSON, and a quote inside a string value is escaped, so these
 * texts can only be the event's own keys; any other spelling is parsed. */
static bool skip_line(const char *line, size_t len, void *arg)
{
    static const char *const later_steps[] = {"\"step\":\"hangup\"", "\"step\":\"unregister\"",
                                              "\"step\":\"wait\"", "\"step\":\"options\""};
    (void)arg;
    (void)len;
    if (!strstr(line, "\"outcome\":\"ok\"") || strstr(line, "\"step_index\":0,"))
        return false;
    for (size_t i = 0; i < sizeof(later_steps) / sizeof(later_steps[0]); i++)
        if (strstr(line, later_steps[i]))
            return true;
    return false;
}

int html_events_read(struct html_events *e, const char *path, struct synth_error *err)
{
    int rc = events_read_filtered(path, skip_line, html_events_add, e, &e->read, err);
    if (rc == SYNTH_ENOMEM && e->oom)
        rc = synth_error_set(err, rc, "%s: out of memory for the time series", path);
    html_worst_finish(&e->worst);
    return rc;
}

bool html_bucket_percentile(const struct html_bucket *b, enum html_lat k, double p, double *ms)
{
    uint64_t total = 0, seen = 0;
    for (size_t i = 0; i < HTML_COARSE_BINS; i++)
        total += b->lat[k][i];
    if (!total)
        return false;
    uint64_t want = (uint64_t)ceil(p / 100.0 * (double)total);
    if (want == 0)
        want = 1;
    for (size_t i = 0; i < HTML_COARSE_BINS; i++) {
        seen += b->lat[k][i];
        if (seen >= want) {
            *ms = (double)hist_bucket_upper_us(i * COARSE_FOLD + COARSE_FOLD - 1) / 1000.0;
            return true;
        }
    }
    return false;
}
