/* Fuzz target: what synth merge reads from shard summary.json files
 * (reports/merge.c): the shard identity checks, the histograms' buckets
 * and totals, the counters, timelines and findings, the survival series
 * (survival_log_from_json, the estimate and findings from them) and the
 * certificates (merge_certificates). The input is up to
 * three summaries separated by form feeds; whatever merges must come out
 * consistent (a histogram's count is the sum of its buckets). */
#include "reports/merge.h"
#include "reports/survival_report.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SHARDS 3

static void check_hist(const struct hist *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        n += h->buckets[i];
    if (n != h->count && n < UINT32_MAX) /* a saturated bucket undercounts, by design */
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data, *end = buf + size;
    json_t *doc[FUZZ_SHARDS] = {NULL};
    struct merge_shard s[FUZZ_SHARDS];
    static const char *dirs[FUZZ_SHARDS] = {"a", "b", "c"};
    struct merge_identity id;
    struct synth_error err;
    size_t n = 0;

    while (buf < end && n < FUZZ_SHARDS) {
        const char *ff = memchr(buf, '\f', (size_t)(end - buf));
        size_t len = (size_t)((ff ? ff : end) - buf);
        doc[n] = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
        if (!doc[n])
            goto out;
        s[n] = (struct merge_shard){dirs[n], doc[n]};
        n++;
        buf += len + (ff != NULL);
    }
    if (n == 0 || merge_check(s, n, &id, &err) != 0)
        goto out;
    /* Static: a run_stats is a few hundred KB. */
    static struct run_stats st;
    run_stats_init(&st);
    if (merge_stats(s, n, &id, true, &st, &err) == 0) {
        check_hist(&st.setup);
        check_hist(&st.lag);
    }
    run_stats_free(&st);
    struct verdict v;
    verdict_init(&v);
    merge_findings(s, n, &v);
    struct survival_log l;
    survival_log_init(&l);
    for (size_t k = 0; k < n; k++)
        if (survival_log_from_json(json_object_get(doc[k], "survival"), &l, &err) != 0)
            break;
    json_decref(survival_json(&l));
    survival_findings_evaluate(&v, &l);
    survival_log_free(&l);
    json_t *certs = NULL;
    merge_certificates(s, n, &certs, &v);
    json_decref(certs);
    verdict_free(&v);
out:
    for (size_t i = 0; i < FUZZ_SHARDS; i++)
        json_decref(doc[i]);
    return 0;
}
