/* Unit tests of synth/metrics/histogram.c: bucket layout and its 1/128
 * error bound, percentiles against exact ones from sorted data, merge,
 * serialisation round trip and the checks on deserialised totals. */
#include "synth/metrics/histogram.h"

#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Deterministic values so a failure reproduces (xorshift64*). */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static struct hist *hist_new(void)
{
    struct hist *h = malloc(sizeof(*h));
    assert_non_null(h);
    hist_init(h);
    return h;
}

static void check_bucket_of(uint64_t v)
{
    size_t i = hist_bucket_index(v);
    uint64_t upper = hist_bucket_upper_us(i);
    if (upper < v || (upper - v) * 128 > v)
        fail_msg("value %" PRIu64 ": bucket %zu upper %" PRIu64, v, i, upper);
    if (i > 0 && hist_bucket_upper_us(i - 1) >= v)
        fail_msg("value %" PRIu64 " also fits bucket %zu", v, i - 1);
}

static void test_layout(void **state)
{
    assert_true(sizeof(struct hist) <= 16 * 1024);
    assert_int_equal(hist_bucket_count(), 3840);
    for (uint64_t v = 0; v < 128; v++) {
        assert_int_equal(hist_bucket_index(v), v);
        assert_int_equal(hist_bucket_upper_us(v), v);
    }
    assert_int_equal(hist_bucket_index(128), 128);
    assert_int_equal(hist_bucket_upper_us(128), 128);
    assert_int_equal(hist_bucket_index(256), 256);
    assert_int_equal(hist_bucket_upper_us(256), 257);
    assert_int_equal(hist_bucket_index(HIST_MAX_US), 3839);
    assert_int_equal(hist_bucket_upper_us(3839), HIST_MAX_US);
    assert_int_equal(hist_bucket_index(HIST_MAX_US + 1), 3839);
    assert_int_equal(hist_bucket_index(UINT64_MAX), 3839);
    assert_int_equal(hist_bucket_upper_us(3840), HIST_MAX_US);

    /* Every value to 2^20, every power of two and its neighbours, and a
     * random sample to 2^36: in the bucket whose upper bound is within 1/128. */
    for (uint64_t v = 0; v < (1u << 20); v++)
        check_bucket_of(v);
    for (unsigned e = 1; e < HIST_RANGE_BITS; e++) {
        uint64_t p = UINT64_C(1) << e;
        check_bucket_of(p - 1);
        check_bucket_of(p);
        check_bucket_of(p + 1);
    }
    uint64_t s = 42;
    for (int k = 0; k < 1000000; k++)
        check_bucket_of(rng_next(&s) >> (64 - HIST_RANGE_BITS));
    /* Upper bounds strictly increase: the buckets tile the range. */
    for (size_t i = 1; i < hist_bucket_count(); i++)
        assert_true(hist_bucket_upper_us(i) > hist_bucket_upper_us(i - 1));
}

static void test_empty(void **state)
{
    struct hist *h = hist_new();
    assert_int_equal(hist_percentile(h, 50), 0);
    assert_int_equal(hist_percentile(h, 100), 0);
    assert_true(hist_mean_us(h) == 0.0);
    assert_int_equal(hist_next_bucket(h, 0), hist_bucket_count());
    assert_int_equal(h->min_us, 0);
    assert_int_equal(h->max_us, 0);

    struct hist *e = hist_new();
    assert_int_equal(hist_set_totals(e, 0, 0, 0, 0, 0.0), 0);
    assert_memory_equal(e, h, sizeof(*h));
    free(e);
    free(h);
}

static void test_exact_small(void **state)
{
    struct hist *h = hist_new();
    for (uint64_t v = 127; v != UINT64_MAX; v--) /* order must not matter */
        hist_record(h, v);
    assert_int_equal(h->count, 128);
    assert_int_equal(h->min_us, 0);
    assert_int_equal(h->max_us, 127);
    assert_true(hist_mean_us(h) == 63.5);
    assert_int_equal(hist_percentile(h, 0), 0);
    assert_int_equal(hist_percentile(h, 50), 63);    /* rank 64 */
    assert_int_equal(hist_percentile(h, 50.1), 64);  /* rank ceil(64.128) = 65 */
    assert_int_equal(hist_percentile(h, 99), 126);   /* rank ceil(126.72) = 127 */
    assert_int_equal(hist_percentile(h, 100), 127);
    assert_int_equal(hist_percentile(h, -3), 0);
    assert_int_equal(hist_percentile(h, NAN), 0);
    assert_int_equal(hist_percentile(h, 250), 127);

    /* One value: every percentile is that value, clamped to max. */
    hist_init(h);
    hist_record(h, 4242);
    assert_int_equal(hist_percentile(h, 1), 4242);
    assert_int_equal(hist_percentile(h, 99.9), 4242);
    free(h);
}

static void test_uniform(void **state)
{
    struct hist *h = hist_new();
    for (uint64_t v = 1; v <= 100000; v++)
        hist_record(h, v);
    uint64_t p50 = hist_percentile(h, 50), p99 = hist_percentile(h, 99);
    uint64_t p999 = hist_percentile(h, 99.9);
    /* Upper bounds: never below the true value, at most 1/128 above. */
    assert_in_range(p50, 50000, 50000 + 50000 / 128);
    assert_in_range(p99, 99000, 99000 + 99000 / 128);
    assert_in_range(p999, 99900, 100000);
    assert_int_equal(hist_percentile(h, 100), 100000);
    assert_true(hist_mean_us(h) == 50000.5);
    free(h);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Log-uniform over 1 µs .. 1000 s: percentiles against the sorted data. */
static void test_wide_distribution(void **state)
{
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof(*v));
    assert_non_null(v);
    struct hist *h = hist_new();
    uint64_t s = 7;
    for (size_t i = 0; i < N; i++) {
        double u = (double)(rng_next(&s) >> 11) / 9007199254740992.0;
        v[i] = (uint64_t)exp(u * log(1e9));
        hist_record(h, v[i]);
    }
    qsort(v, N, sizeof(*v), cmp_u64);
    const double ps[] = {1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99};
    for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
        size_t rank = (size_t)ceil(ps[k] * N / 100.0);
        uint64_t want = v[rank - 1], got = hist_percentile(h, ps[k]);
        if (got < want || (double)(got - want) > 0.01 * (double)want)
            fail_msg("p%g: got %" PRIu64 ", exact %" PRIu64, ps[k], got, want);
    }
    assert_int_equal(h->min_us, v[0]);
    assert_int_equal(h->max_us, v[N - 1]);
    assert_int_equal(hist_percentile(h, 100), v[N - 1]);
    free(h);
    free(v);
}

static void test_clamp(void **state)
{
    struct hist *h = hist_new();
    hist_record(h, 1000);
    hist_record(h, HIST_MAX_US);
    hist_record(h, HIST_MAX_US + 1);
    hist_record(h, UINT64_C(1) << 40);
    assert_int_equal(h->count, 4);
    assert_int_equal(h->overflow, 2); /* HIST_MAX_US itself is in range */
    assert_int_equal(h->buckets[hist_bucket_count() - 1], 3);
    assert_int_equal(h->max_us, UINT64_C(1) << 40); /* true value kept */
    assert_int_equal(hist_percentile(h, 50), HIST_MAX_US);
    assert_int_equal(hist_percentile(h, 75), HIST_MAX_US);
    assert_int_equal(hist_percentile(h, 100), UINT64_C(1) << 40);
    assert_int_equal(hist_percentile(h, 25), 1003); /* bucket 1000..1003 */
    free(h);
}

static void record_stream(struct hist *h, uint64_t seed, int n)
{
    for (int i = 0; i < n; i++) {
        uint64_t r = rng_next(&seed);
        /* Some overflow, small enough that the sum stays exact in a double. */
        hist_record(h, (r & 0xff) == 0 ? HIST_MAX_US + (r >> 48) : r >> (28 + (r & 31)));
    }
}

static void test_merge(void **state)
{
    struct hist *a = hist_new(), *b = hist_new(), *all = hist_new(), *m = hist_new();
    record_stream(a, 1, 50000);
    record_stream(b, 2, 70000);
    record_stream(all, 1, 50000);
    record_stream(all, 2, 70000);
    assert_true(all->overflow > 0);

    hist_merge(m, a); /* into an empty one */
    hist_merge(m, b);
    assert_memory_equal(m, all, sizeof(*m));

    /* Empty source changes nothing; the other order gives the same. */
    struct hist *e = hist_new();
    hist_merge(m, e);
    assert_memory_equal(m, all, sizeof(*m));
    hist_init(m);
    hist_merge(m, b);
    hist_merge(m, a);
    assert_memory_equal(m, all, sizeof(*m));
    assert_int_equal(hist_percentile(m, 99), hist_percentile(all, 99));

    /* Into an empty histogram, min comes from the source, not the zero. */
    hist_init(m);
    hist_init(e);
    hist_record(e, 500);
    hist_merge(m, e);
    assert_int_equal(m->min_us, 500);

    /* A smaller min coming from the source. */
    hist_init(m);
    hist_record(m, 500);
    hist_init(e);
    hist_record(e, 3);
    hist_merge(m, e);
    assert_int_equal(m->min_us, 3);
    assert_int_equal(m->max_us, 500);
    free(a);
    free(b);
    free(all);
    free(m);
    free(e);
}

/* Text out and back in, as `synth merge` will do with files. */
static void test_round_trip(void **state)
{
    struct hist *h = hist_new(), *r = hist_new();
    record_stream(h, 99, 30000);
    hist_record(h, 0);

    size_t cap = 64 + hist_bucket_count() * 24;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)snprintf(text, cap, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %a\n",
                                h->count, h->overflow, h->min_us, h->max_us, h->sum_us);
    size_t pairs = 0;
    for (size_t i = hist_next_bucket(h, 0); i < hist_bucket_count(); i = hist_next_bucket(h, i + 1)) {
        n += (size_t)snprintf(text + n, cap - n, "%zu %" PRIu32 "\n", i, h->buckets[i]);
        pairs++;
    }
    assert_true(n < cap);
    assert_true(pairs > 100);

    uint64_t count, overflow, min, max;
    double sum;
    int used;
    const char *p = text;
    assert_int_equal(sscanf(p, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %la%n", &count,
                            &overflow, &min, &max, &sum, &used),
                     5);
    p += used;
    size_t idx;
    uint32_t c;
    while (sscanf(p, "%zu %" SCNu32 "%n", &idx, &c, &used) == 2) {
        assert_int_equal(hist_add_bucket(r, idx, c), 0);
        p += used;
        pairs--;
    }
    assert_int_equal(pairs, 0);
    assert_int_equal(hist_set_totals(r, count, overflow, min, max, sum), 0);
    assert_memory_equal(r, h, sizeof(*h));
    free(text);
    free(h);
    free(r);
}

static void test_set_totals_checks(void **state)
{
    struct hist *h = hist_new(), *r = hist_new(), *before = hist_new();
    hist_record(h, 10);
    hist_record(h, 2000);
    hist_record(h, 2001);

    for (size_t i = hist_next_bucket(h, 0); i < hist_bucket_count(); i = hist_next_bucket(h, i + 1))
        assert_int_equal(hist_add_bucket(r, i, h->buckets[i]), 0);
    memcpy(before, r, sizeof(*r));
    const struct {
        uint64_t count, overflow, min, max;
        double sum;
    } bad[] = {
        {4, 0, 10, 2001, 4011},         /* count not the sum of the buckets */
        {2, 0, 10, 2001, 4011},
        {3, 0, 11, 2001, 4011},         /* min not in the first bucket */
        {3, 0, 10, 1990, 4011},         /* max not in the last bucket */
        {3, 0, 2001, 10, 4011},         /* min > max */
        {3, 1, 10, 2001, 4011},         /* overflow without a max above the range */
        {3, 4, 10, 2001, 4011},         /* overflow > count */
        {3, 0, 10, 2001, NAN},
        {3, 0, 10, 2001, -1},
        {0, 0, 0, 0, 0},                /* buckets but no count */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int err = hist_set_totals(r, bad[i].count, bad[i].overflow, bad[i].min, bad[i].max,
                                  bad[i].sum);
        if (err != SYNTH_EPARSE)
            fail_msg("case %zu accepted (%d)", i, err);
        assert_memory_equal(r, before, sizeof(*r)); /* unchanged on failure */
    }
    assert_int_equal(hist_set_totals(r, 3, 0, 10, 2001, 4011), 0);
    assert_memory_equal(r, h, sizeof(*h));
    assert_int_equal(hist_add_bucket(r, hist_bucket_count(), 1), SYNTH_EPARSE);

    /* Empty buckets with totals claiming values. */
    hist_init(r);
    assert_int_equal(hist_set_totals(r, 0, 0, 5, 5, 0), SYNTH_EPARSE);
    free(h);
    free(r);
    free(before);
}

/* A bucket stops at UINT32_MAX instead of wrapping to a tiny count. */
static void test_saturation(void **state)
{
    struct hist *h = hist_new(), *s = hist_new();
    assert_int_equal(hist_add_bucket(h, 5, UINT32_MAX - 1), 0);
    assert_int_equal(hist_add_bucket(h, 5, 7), 0);
    assert_int_equal(h->buckets[5], UINT32_MAX);
    assert_int_equal(hist_set_totals(h, (uint64_t)UINT32_MAX + 6, 0, 5, 5, 5.0 * ((double)UINT32_MAX + 6)),
                     0);
    hist_record(h, 5);
    assert_int_equal(h->buckets[5], UINT32_MAX);
    assert_int_equal(h->count, (uint64_t)UINT32_MAX + 7);

    hist_record(s, 5);
    hist_merge(s, h);
    assert_int_equal(s->buckets[5], UINT32_MAX);
    assert_int_equal(s->count, (uint64_t)UINT32_MAX + 8);
    assert_int_equal(hist_percentile(s, 99), 5);
    free(h);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_exact_small),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_wide_distribution),
        cmocka_unit_test(test_clamp),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_set_totals_checks),
        cmocka_unit_test(test_saturation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
