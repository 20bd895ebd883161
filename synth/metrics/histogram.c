/* Log-linear latency histogram (layout of HdrHistogram with 7 sub-bucket
 * bits): the bucket of a value is its power of two and its next 7 bits, so
 * a record is a count-leading-zeros, a shift and an increment. */
#include "histogram.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct hist) <= 16 * 1024,
               "struct hist is kept per timeline second; keep it under 16 KB");
_Static_assert(HIST_BUCKETS == 3840, "bucket layout changed: serialised indexes change too");

/* Values below HIST_SUB_BUCKETS have a bucket each. Above, for a value with
 * its top bit at e, drop the e - 7 low bits: the remaining 8 bits (128..255)
 * pick the sub-bucket, and (e - 7) * 128 shifts to that power's row. */
static size_t bucket_of(uint64_t v)
{
    if (v < HIST_SUB_BUCKETS)
        return (size_t)v;
    unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
    return ((size_t)shift << HIST_SUB_BITS) + (size_t)(v >> shift);
}

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
}

void hist_record(struct hist *h, uint64_t value_us)
{
    uint64_t b = value_us;
    if (b > HIST_MAX_US) {
        h->overflow++;
        b = HIST_MAX_US;
    }
    if (h->count == 0 || value_us < h->min_us)
        h->min_us = value_us;
    if (value_us > h->max_us)
        h->max_us = value_us;
    h->count++;
    h->sum_us += (double)value_us;
    uint32_t *c = &h->buckets[bucket_of(b)];
    if (*c != UINT32_MAX)
        (*c)++;
}

static uint32_t add_saturating(uint32_t a, uint32_t b)
{
    uint32_t s = a + b;
    return s < a ? UINT32_MAX : s;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min_us < dst->min_us)
        dst->min_us = src->min_us;
    if (src->max_us > dst->max_us)
        dst->max_us = src->max_us;
    dst->count += src->count;
    dst->overflow += src->overflow;
    /* Integer µs sums below 2^53 are exact in a double, in any order. */
    dst->sum_us += src->sum_us;
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        dst->buckets[i] = add_saturating(dst->buckets[i], src->buckets[i]);
}

size_t hist_bucket_count(void)
{
    return HIST_BUCKETS;
}

size_t hist_bucket_index(uint64_t value_us)
{
    return bucket_of(value_us > HIST_MAX_US ? HIST_MAX_US : value_us);
}

uint64_t hist_bucket_upper_us(size_t index)
{
    if (index >= HIST_BUCKETS)
        return HIST_MAX_US;
    if (index < HIST_SUB_BUCKETS)
        return index;
    unsigned shift = (unsigned)(index >> HIST_SUB_BITS) - 1;
    uint64_t sub = index - ((size_t)shift << HIST_SUB_BITS);
    return ((sub + 1) << shift) - 1;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
    if (h->count == 0)
        return 0;
    if (!(p > 0)) /* NaN too */
        return h->min_us;
    if (p >= 100)
        return h->max_us;
    /* p * count first: 99 * 100000 is exact, 0.99 * 100000 is not. */
    double r = ceil(p * (double)h->count / 100.0);
    uint64_t rank = r < 1 ? 1 : (uint64_t)r;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t upper = hist_bucket_upper_us(i);
            return upper < h->max_us ? upper : h->max_us;
        }
    }
    return h->max_us; /* only when a bucket saturated */
}

double hist_mean_us(const struct hist *h)
{
    return h->count ? h->sum_us / (double)h->count : 0.0;
}

size_t hist_next_bucket(const struct hist *h, size_t from)
{
    for (size_t i = from; i < HIST_BUCKETS; i++)
        if (h->buckets[i])
            return i;
    return HIST_BUCKETS;
}

int hist_add_bucket(struct hist *h, size_t index, uint32_t count)
{
    if (index >= HIST_BUCKETS)
        return SYNTH_EPARSE;
    h->buckets[index] = add_saturating(h->buckets[index], count);
    return 0;
}

int hist_set_totals(struct hist *h, uint64_t count, uint64_t overflow, uint64_t min_us,
                    uint64_t max_us, double sum_us)
{
    uint64_t total = 0;
    bool saturated = false;
    size_t first = HIST_BUCKETS, last = HIST_BUCKETS;

    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        if (!h->buckets[i])
            continue;
        if (first == HIST_BUCKETS)
            first = i;
        last = i;
        total += h->buckets[i];
        saturated |= h->buckets[i] == UINT32_MAX;
    }
    if (!isfinite(sum_us) || sum_us < 0 || overflow > count)
        return SYNTH_EPARSE;
    if (count == 0) {
        if (first != HIST_BUCKETS || min_us || max_us || sum_us != 0)
            return SYNTH_EPARSE;
    } else {
        if (total > count || (total < count && !saturated))
            return SYNTH_EPARSE;
        if (min_us > max_us || hist_bucket_index(min_us) != first ||
            hist_bucket_index(max_us) != last)
            return SYNTH_EPARSE;
        if ((overflow > 0) != (max_us > HIST_MAX_US))
            return SYNTH_EPARSE;
    }
    h->count = count;
    h->overflow = overflow;
    h->min_us = min_us;
    h->max_us = max_us;
    h->sum_us = sum_us;
    return 0;
}

static const char *const stat_names[HIST_STAT_NAMES] = {"p50", "p90", "p95", "p99", "max", "mean"};

const char *hist_stat_name(size_t i)
{
    return i < HIST_STAT_NAMES ? stat_names[i] : NULL;
}

int hist_stat(const struct hist *h, const char *stat, double divisor, double *out)
{
    size_t i;
    for (i = 0; i < HIST_STAT_NAMES; i++)
        if (strcmp(stat, stat_names[i]) == 0)
            break;
    if (i == HIST_STAT_NAMES)
        return SYNTH_ENOTFOUND;
    if (h->count == 0)
        return SYNTH_EINVAL;
    double v;
    if (strcmp(stat, "mean") == 0)
        v = hist_mean_us(h);
    else if (strcmp(stat, "max") == 0)
        v = (double)h->max_us; /* exact, not the bucket bound */
    else
        v = (double)hist_percentile(h, strtod(stat + 1, NULL));
    *out = v / divisor;
    return 0;
}
