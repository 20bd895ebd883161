/* What the HTML report takes from events.jsonl, in one streamed pass with
 * bounded memory: per-bucket counts and coarse latency histograms (time
 * series of a few thousand points at most, whatever the number of events),
 * media quality distributions, and the worst calls. */
#ifndef SYNTH_REPORTS_HTML_EVENTS_H
#define SYNTH_REPORTS_HTML_EVENTS_H

#include "reports/events_read.h"
#include "reports/html_worst.h"

#include <jansson.h>
#include <stdint.h>

/* At most this many points per series: a chart cannot show more, and the
 * page stays small. The bucket width is the first of 1, 10, 60, 600, 3600 s
 * that fits the run's duration in it. */
#define HTML_SERIES_POINTS 2000
/* A run longer than its summary said (a hand-edited one) grows to here;
 * later events count in the last bucket. */
#define HTML_SERIES_MAX (4 * HTML_SERIES_POINTS)
/* Latency histograms per bucket: the log-linear layout of
 * synth/metrics/histogram.h at 8 sub-buckets per power of two (values within
 * 1/8 of themselves), 240 counts, so a bucket costs about 3 KB. */
#define HTML_COARSE_BINS 240

enum html_lat { HTML_LAT_SETUP, HTML_LAT_PDD, HTML_LAT_LAG, HTML_LAT_COUNT };

struct html_bucket {
    uint32_t started, answered, failed; /* calls */
    uint32_t lat[HTML_LAT_COUNT][HTML_COARSE_BINS];
};

/* Media distributions over calls whose media flowed: fixed bins (upper
 * bounds in html_events.c), so runs compare. */
enum html_dist { HTML_DIST_LOSS, HTML_DIST_JITTER, HTML_DIST_MOS, HTML_DIST_FIRST_MEDIA,
                 HTML_DIST_COUNT };
#define HTML_DIST_BINS_MAX 16

struct html_events {
    int64_t start_ms;  /* bucket 0 starts here: the run's start */
    unsigned width_s;  /* bucket width */
    size_t n;          /* buckets in use */
    size_t cap;
    struct html_bucket *b;
    uint64_t dist[HTML_DIST_COUNT][HTML_DIST_BINS_MAX];
    uint64_t dist_count[HTML_DIST_COUNT];
    uint64_t calls, lat_count[HTML_LAT_COUNT];
    bool oom; /* the bucket array could not grow */
    struct html_worst worst;
    struct events_read_result read; /* what events_read found */
};

/* For a run that started at start_ms (wall clock, ms) and lasted
 * duration_s. Caller frees with html_events_free. NULL on ENOMEM. */
struct html_events *html_events_new(int64_t start_ms, double duration_s, size_t worst_n);
void html_events_free(struct html_events *e);

/* An events_read_fn: arg is the struct html_events. 0 or SYNTH_ENOMEM. */
int html_events_add(const json_t *ev, size_t line, void *arg);

/* Reads path into e (events_read; e->read says what it found) and sorts
 * the worst calls. 0 or events_read's error. */
int html_events_read(struct html_events *e, const char *path, struct synth_error *err);

/* Percentile p (0-100) of a bucket's latency histogram in ms; false when it
 * holds none. */
bool html_bucket_percentile(const struct html_bucket *b, enum html_lat k, double p, double *ms);

/* Bins of a distribution: their number, and each bin's upper bound
 * (INFINITY for the last, open one). */
size_t html_dist_bins(enum html_dist d, const double **upper);

#endif
