/* Latency histogram with log-linear buckets (the HdrHistogram layout): exact
 * below 128 µs, then 128 buckets per power of two, so any recorded value is
 * reported within 1/128 (0.78 %) of itself, up to 2^36 µs (~19 h).
 * One writer per histogram (a worker's own); recording takes no lock and
 * allocates nothing. Histograms merge exactly, across threads and machines. */
#ifndef SYNTH_METRICS_HISTOGRAM_H
#define SYNTH_METRICS_HISTOGRAM_H

#include "synth/base/err.h"

#include <stddef.h>
#include <stdint.h>

/* 2^7 sub-buckets per power of two: relative error 1/128 < 1 %. 64 would
 * give 1.6 %, over the bound summary.json promises. */
#define HIST_SUB_BITS 7
#define HIST_SUB_BUCKETS (1u << HIST_SUB_BITS)
/* 2^36 µs is 19 hours: longer than any step, call or idle-survival probe. */
#define HIST_RANGE_BITS 36
#define HIST_MAX_US ((UINT64_C(1) << HIST_RANGE_BITS) - 1)
/* 128 exact buckets for 0..127, then 128 for each of 2^7 .. 2^35: 30 * 128 =
 * 3840 counts, 15,360 bytes. A run keeps one histogram per second of its
 * timeline, so this size is the memory cost of the timeline; the struct stays
 * under 16 KB (checked in histogram.c). */
#define HIST_BUCKETS ((HIST_RANGE_BITS - HIST_SUB_BITS + 1) * HIST_SUB_BUCKETS)

struct hist {
    uint64_t count;    /* values recorded */
    uint64_t overflow; /* of which above HIST_MAX_US, counted in the top bucket */
    uint64_t min_us;   /* exact, as recorded (not clamped); 0 while empty */
    uint64_t max_us;
    double sum_us;     /* for the mean; exact up to 2^53 µs in total */
    /* A bucket saturates at UINT32_MAX instead of wrapping (4e9 values in one
     * 0.8 % wide bucket); count stays exact. */
    uint32_t buckets[HIST_BUCKETS];
};

void hist_init(struct hist *h);

/* Values above HIST_MAX_US go to the top bucket and count in overflow;
 * min, max and sum keep the value as given. */
void hist_record(struct hist *h, uint64_t value_us);

/* dst += src. Same result as recording both streams into dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* Value at percentile p in [0, 100]: the upper bound of the bucket holding
 * the ceil(p% * count)-th value, clamped to max_us. p=0 gives min_us, p=100
 * max_us exactly; 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);

/* Exact mean (from sum_us); 0 when empty. */
double hist_mean_us(const struct hist *h);

/* Serialisation. Write: the totals (count, overflow, min_us, max_us, sum_us —
 * sum as "%a" or "%.17g" so it reads back bit for bit) and each non-empty
 * bucket as (index, count):
 *     for (size_t i = hist_next_bucket(h, 0); i < hist_bucket_count();
 *          i = hist_next_bucket(h, i + 1))
 *         write(i, h->buckets[i]);
 * Indexes are stable for a given HIST_SUB_BITS / HIST_RANGE_BITS, so files
 * carry those two numbers and a reader refuses others.
 * Read: hist_init, hist_add_bucket for each pair, then hist_set_totals. */
size_t hist_bucket_count(void); /* HIST_BUCKETS */
/* Bucket of a value (clamped to HIST_MAX_US). */
size_t hist_bucket_index(uint64_t value_us);
/* Largest value the bucket holds (Prometheus `le`); HIST_MAX_US past the end. */
uint64_t hist_bucket_upper_us(size_t index);
/* First non-empty bucket at or after `from`, or hist_bucket_count() if none. */
size_t hist_next_bucket(const struct hist *h, size_t from);

/* Adds a serialised bucket (saturating). Touches only the bucket; the totals
 * come with hist_set_totals. SYNTH_EPARSE for an index out of range. */
int hist_add_bucket(struct hist *h, size_t index, uint32_t count);
/* Sets the totals after all buckets were added, checking that they agree
 * with them: count is the sum of the buckets (unless one saturated), min and
 * max fall in the first and last non-empty bucket, overflow <= count and
 * non-zero exactly when max > HIST_MAX_US. SYNTH_EPARSE when they do not
 * (a corrupt or hand-edited file); then h is left unchanged. */
int hist_set_totals(struct hist *h, uint64_t count, uint64_t overflow, uint64_t min_us,
                    uint64_t max_us, double sum_us);

/* Named statistics for thresholds and reports: "p50", "p90", "p95", "p99",
 * "max" (exact) and "mean". hist_stat_name gives the i-th (NULL past the
 * last); hist_stat the value divided by divisor (1000: µs to ms), or
 * SYNTH_ENOTFOUND for an unknown name, SYNTH_EINVAL for an empty histogram. */
#define HIST_STAT_NAMES 6
const char *hist_stat_name(size_t i);
int hist_stat(const struct hist *h, const char *stat, double divisor, double *out);

#endif
