/* Prometheus text exposition format 0.0.4 ("Exposition formats" in the
 * Prometheus docs): one # HELP and # TYPE per family, its samples together,
 * seconds and ratios as base units. Each section is one function below; a
 * new one (survival, more certificate fields) is a new entry in sections[]. */
#include "prometheus.h"

#include "reports/iso_time.h"
#include "reports/summary_view.h"
#include "reports/summary.h"
#include "synth/metrics/histogram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double prom_le_seconds[PROM_LE_COUNT] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    2.5,   5,      10,    30,   60,    120,  300, 600,  1800, 3600,
};

/* Labels on one sample: step and class, or id and severity, plus le/quantile. */
#define PROM_LABELS_MAX 4

struct label {
    const char *name;
    const char *value;
};

struct prom {
    FILE *out;
    const json_t *summary;
    struct synth_error *err;
};

static void put_value(FILE *out, double v)
{
    if (isnan(v))
        fputs("NaN", out);
    else if (isinf(v))
        fputs(v > 0 ? "+Inf" : "-Inf", out);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(out, "%.0f", v);
    else
        fprintf(out, "%.15g", v);
}

/* Label values: backslash, double quote and line feed escaped (the format's
 * only escapes); peers' texts (finding ids are ours, but endpoints are not)
 * reach here. */
static void put_label_value(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '"')
            fputs("\\\"", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
}

/* HELP text escapes backslash and line feed only. */
static void family(const struct prom *p, const char *name, const char *type, const char *help)
{
    fprintf(p->out, "# HELP %s ", name);
    for (const char *s = help; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", p->out);
        else if (*s == '\n')
            fputs("\\n", p->out);
        else
            fputc(*s, p->out);
    }
    fprintf(p->out, "\n# TYPE %s %s\n", name, type);
}

static void sample(const struct prom *p, const char *name, const char *suffix,
                   const struct label *l, size_t n, double v)
{
    fprintf(p->out, "%s%s", name, suffix);
    for (size_t i = 0; i < n; i++) {
        fprintf(p->out, "%s%s=\"", i ? "," : "{", l[i].name);
        put_label_value(p->out, l[i].value);
        fputc('"', p->out);
    }
    fputs(n ? "} " : " ", p->out);
    put_value(p->out, v);
    fputc('\n', p->out);
}

/* A sample with the given labels plus one more (le, quantile) at the end. */
static void sample_plus(const struct prom *p, const char *name, const char *suffix,
                        const struct label *l, size_t n, const char *extra, double extra_v,
                        double v)
{
    struct label all[PROM_LABELS_MAX];
    char buf[32];
    if (n >= PROM_LABELS_MAX)
        n = PROM_LABELS_MAX - 1;
    if (n)
        memcpy(all, l, n * sizeof(*l));
    if (isinf(extra_v))
        snprintf(buf, sizeof(buf), "+Inf");
    else
        snprintf(buf, sizeof(buf), "%.15g", extra_v);
    all[n] = (struct label){extra, buf};
    sample(p, name, suffix, all, n + 1, v);
}

/* ---- histograms: exact bucket counts from summary.json "histograms" ---- */

/* Cumulative counts at the fixed bounds. A bucket of the log-linear
 * histogram counts under a bound when its upper edge is at or below it, so
 * a value within 1/128 below a bound may count in the next one; when the
 * largest value is below a bound every value is (exact). */
static int hist_samples(const struct prom *p, const char *name, const struct label *l, size_t n,
                        const json_t *j, const char *what)
{
    const json_t *hs = json_object_get(p->summary, "histograms");
    double sub = 0, range = 0;
    struct hist *h = malloc(sizeof(*h)); /* 15 KB: not on the caller's stack */
    int rc = 0;

    if (!h)
        return synth_error_set(p->err, SYNTH_ENOMEM, "out of memory");
    sview_num(hs, "sub_bits", &sub);
    sview_num(hs, "range_bits", &range);
    rc = summary_hist_from_json(j, (unsigned)sub, (unsigned)range, h, p->err);
    if (rc) {
        char why[SYNTH_ERROR_MSG_MAX];
        snprintf(why, sizeof(why), "%s", p->err->msg);
        rc = synth_error_set(p->err, rc, "histograms.%s: %s", what, why);
        goto out;
    }
    size_t i = hist_next_bucket(h, 0);
    uint64_t below = 0;
    for (size_t k = 0; k < PROM_LE_COUNT; k++) {
        uint64_t bound_us = (uint64_t)llround(prom_le_seconds[k] * 1e6);
        for (; i < hist_bucket_count() && hist_bucket_upper_us(i) <= bound_us;
             i = hist_next_bucket(h, i + 1))
            below += h->buckets[i];
        uint64_t c = h->count && h->max_us <= bound_us ? h->count : below;
        sample_plus(p, name, "_bucket", l, n, "le", prom_le_seconds[k], (double)c);
    }
    sample_plus(p, name, "_bucket", l, n, "le", INFINITY, (double)h->count);
    sample(p, name, "_sum", l, n, h->sum_us / 1e6);
    sample(p, name, "_count", l, n, (double)h->count);
out:
    free(h);
    return rc;
}

static int call_histograms(const struct prom *p)
{
    static const struct {
        const char *key, *name, *help;
    } rows[] = {
        {"setup", "synth_call_setup_seconds", "Call setup time: INVITE sent to 200 OK."},
        {"pdd", "synth_call_post_dial_delay_seconds",
         "Post-dial delay: INVITE sent to the first ringing or answer."},
        {"lag", "synth_generator_lag_seconds",
         "How late the generator started journeys against their intended time."},
    };
    const json_t *hs = json_object_get(p->summary, "histograms");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const json_t *j = json_object_get(hs, rows[i].key);
        if (!j)
            continue;
        family(p, rows[i].name, "histogram", rows[i].help);
        int rc = hist_samples(p, rows[i].name, NULL, 0, j, rows[i].key);
        if (rc)
            return rc;
    }
    return 0;
}

static int step_histograms(const struct prom *p)
{
    const json_t *steps = json_object_get(json_object_get(p->summary, "histograms"), "steps");
    const char *step;
    const json_t *j;
    char what[96];

    if (!json_is_object(steps) || json_object_size(steps) == 0)
        return 0;
    family(p, "synth_step_duration_seconds", "histogram",
           "Duration of each scenario step, from its intended start.");
    json_object_foreach((json_t *)steps, step, j) {
        const struct label l[] = {{"step", step}};
        snprintf(what, sizeof(what), "steps.%s", step);
        int rc = hist_samples(p, "synth_step_duration_seconds", l, 1, j, what);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the run as a probe ---- */

static int probe(const struct prom *p)
{
    const json_t *s = p->summary;
    int code = sview_exit_code(s);
    double v;
    const struct label info[] = {
        {"target", sview_str(s, "target", "?")},
        {"target_kind", sview_str(s, "target_kind", "")},
        {"scenario", sview_str(s, "scenario", "")},
        {"version", sview_str(s, "version", "")},
    };

    family(p, "synth_run_info", "gauge", "The run: its target, scenario and synth version.");
    sample(p, "synth_run_info", "", info, sizeof(info) / sizeof(info[0]), 1);
    /* Warning means it worked, slower or with some failures within the
     * critical levels; the verdict code tells the two apart. */
    family(p, "synth_probe_success", "gauge",
           "1 when the verdict is ok or warning, 0 when critical or unknown.");
    sample(p, "synth_probe_success", "", NULL, 0, code <= 1);
    family(p, "synth_verdict_code", "gauge",
           "The verdict as a Nagios exit code: 0 ok, 1 warning, 2 critical, 3 unknown.");
    sample(p, "synth_verdict_code", "", NULL, 0, code);
    if (sview_num(s, "duration_s", &v)) {
        family(p, "synth_probe_duration_seconds", "gauge", "How long the run took.");
        sample(p, "synth_probe_duration_seconds", "", NULL, 0, v);
    }
    if (sview_num(s, "started_at_ms", &v)) {
        family(p, "synth_run_start_timestamp_seconds", "gauge",
               "When the run started, in seconds since the epoch.");
        sample(p, "synth_run_start_timestamp_seconds", "", NULL, 0, v / 1000.0);
    }
    return 0;
}

/* One counter per member of obj that is present: the tables below. */
struct counter_row {
    const char *key, *name, *help;
};

static void counters(const struct prom *p, const json_t *obj, const struct counter_row *rows,
                     size_t n)
{
    double v;
    for (size_t i = 0; i < n; i++) {
        if (!sview_num(obj, rows[i].key, &v))
            continue;
        family(p, rows[i].name, "counter", rows[i].help);
        sample(p, rows[i].name, "", NULL, 0, v);
    }
}

static int calls(const struct prom *p)
{
    static const char *const outcomes[] = {"ok", "failed", "skipped"};
    static const struct counter_row rows[] = {
        {"answered", "synth_calls_answered_total", "Calls the far end answered (200 OK)."},
    };
    const json_t *c = json_object_get(p->summary, "calls");
    double v;
    bool header = false;

    for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
        if (!sview_num(c, outcomes[i], &v))
            continue;
        if (!header)
            family(p, "synth_calls_total", "counter",
                   "Calls by outcome: ok, failed, or skipped (the concurrency cap was full).");
        header = true;
        const struct label l[] = {{"outcome", outcomes[i]}};
        sample(p, "synth_calls_total", "", l, 1, v);
    }
    counters(p, c, rows, sizeof(rows) / sizeof(rows[0]));
    return call_histograms(p);
}

static int steps(const struct prom *p)
{
    const json_t *all = json_object_get(p->summary, "steps");
    const char *step, *cls;
    const json_t *st, *n;
    double v;

    if (!json_is_object(all) || json_object_size(all) == 0)
        return step_histograms(p);
    family(p, "synth_step_attempts_total", "counter", "Attempts of each scenario step.");
    json_object_foreach((json_t *)all, step, st) {
        const struct label l[] = {{"step", step}};
        if (sview_num(st, "attempts", &v))
            sample(p, "synth_step_attempts_total", "", l, 1, v);
    }
    family(p, "synth_step_failures_total", "counter",
           "Failed attempts of each scenario step, by failure class.");
    json_object_foreach((json_t *)all, step, st) {
        json_object_foreach(json_object_get(st, "failures"), cls, n) {
            const struct label l[] = {{"step", step}, {"class", cls}};
            if (json_is_number(n))
                sample(p, "synth_step_failures_total", "", l, 2, json_number_value(n));
        }
    }
    return step_histograms(p);
}

/* ---- media ---- */

/* A latency object {count, p50, p90, p95, p99, max, mean} as a summary;
 * scale turns its unit into the base one (ms to s, % to a ratio). */
static void quantiles(const struct prom *p, const char *name, const char *help,
                      const json_t *lat, double scale)
{
    static const struct {
        const char *key;
        double q;
    } qs[] = {{"p50", 0.5}, {"p90", 0.9}, {"p95", 0.95}, {"p99", 0.99}, {"max", 1}};
    double count = 0, mean = 0, v;

    if (!json_is_object(lat))
        return;
    family(p, name, "summary", help);
    sview_num(lat, "count", &count);
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
        if (count > 0 && sview_num(lat, qs[i].key, &v))
            sample_plus(p, name, "", NULL, 0, "quantile", qs[i].q, v * scale);
    /* The mean is kept to 3 decimals, so the sum is as exact as that. */
    sview_num(lat, "mean", &mean);
    sample(p, name, "_sum", NULL, 0, count > 0 ? mean * count * scale : 0);
    sample(p, name, "_count", NULL, 0, count);
}

static int media(const struct prom *p)
{
    static const struct counter_row call_rows[] = {
        {"media_calls", "synth_media_calls_total", "Answered calls that offered media."},
        {"media_ok", "synth_media_ok_calls_total", "Calls where authenticated media arrived."},
        {"greeting_heard", "synth_media_greeting_heard_calls_total",
         "Calls where the greeting (speech) was heard."},
        {"connected_no_media", "synth_media_connected_no_media_calls_total",
         "Calls answered with no media arriving (connected-no-media)."},
    };
    static const struct counter_row policy_rows[] = {
        {"port_checked", "synth_media_port_checks_total",
         "Calls whose answering media port was checked against the server range."},
        {"port_out_of_range", "synth_media_port_out_of_range_total",
         "Calls answered from a port outside the server's configured range."},
        {"dscp_checked", "synth_media_dscp_checks_total",
         "Calls whose received DSCP was checked against the policy."},
        {"dscp_mismatch", "synth_media_dscp_mismatches_total",
         "Calls whose received DSCP differed from the policy."},
        {"srtp_unauthenticated_packets", "synth_media_srtp_unauthenticated_packets_total",
         "Received packets that failed SRTP authentication."},
        {"peer_reports", "synth_media_peer_reports_total",
         "Calls with an RTCP report from the far end."},
        {"one_way_to_us", "synth_media_one_way_calls_total",
         "Calls where we heard the far end but its RTCP says it did not hear us."},
    };
    /* Issue #4: where the media went, and ICE. */
    static const struct counter_row path_rows[] = {
        {"direct", "synth_media_path_direct_calls_total",
         "Calls whose media went directly between the endpoints."},
        {"relay", "synth_media_path_relay_calls_total",
         "Calls whose media went through the TURN relay."},
        {"none", "synth_media_path_none_calls_total", "Calls where ICE found no path."},
    };
    static const struct counter_row ice_rows[] = {
        {"calls", "synth_media_ice_calls_total", "Calls where the far end did ICE."},
        {"failed", "synth_media_ice_failed_calls_total",
         "Calls answered where ICE nominated no candidate pair (ice-failed)."},
    };
    static const struct {
        const char *key, *name, *help;
        double scale;
    } dists[] = {
        {"first_media_ms", "synth_media_first_media_seconds",
         "Answer to the first media packet received.", 1e-3},
        {"greeting_onset_ms", "synth_media_greeting_onset_seconds",
         "Answer to the onset of the greeting (speech).", 1e-3},
        {"loss_pct", "synth_media_loss_ratio", "Packet loss of received media, as a ratio.",
         1e-2},
        {"jitter_ms", "synth_media_jitter_seconds", "Interarrival jitter (RFC 3550 A.8).", 1e-3},
        {"mos", "synth_media_mos", "Estimated MOS (E-model, ITU-T G.107).", 1},
        {"peer_loss_pct", "synth_media_peer_loss_ratio",
         "Packet loss the far end reported (RTCP), as a ratio.", 1e-2},
        {"peer_jitter_ms", "synth_media_peer_jitter_seconds",
         "Jitter the far end reported (RTCP).", 1e-3},
        {"relay_allocate_ms", "synth_media_relay_allocate_seconds",
         "TURN allocation on the media relay (A/V Edge), first Allocate to success.", 1e-3},
    };
    const json_t *c = json_object_get(p->summary, "calls");
    double n;

    if (!sview_num(c, "media_calls", &n))
        return 0; /* a summary from before media */
    counters(p, c, call_rows, sizeof(call_rows) / sizeof(call_rows[0]));
    counters(p, json_object_get(c, "media_policy"), policy_rows,
             sizeof(policy_rows) / sizeof(policy_rows[0]));
    for (size_t i = 0; i < sizeof(dists) / sizeof(dists[0]); i++)
        quantiles(p, dists[i].name, dists[i].help, json_object_get(c, dists[i].key),
                  dists[i].scale);
    const json_t *ice = json_object_get(c, "ice");
    counters(p, json_object_get(c, "media_path"), path_rows,
             sizeof(path_rows) / sizeof(path_rows[0]));
    counters(p, ice, ice_rows, sizeof(ice_rows) / sizeof(ice_rows[0]));
    if (ice)
        quantiles(p, "synth_media_ice_seconds", "Answer to the nominated ICE candidate pair.",
                  json_object_get(ice, "ms"), 1e-3);
    return 0;
}

/* ---- certificates (summary.json "certificates", when present) ---- */

/* blackbox_exporter's probe_ssl_earliest_cert_expiry, per endpoint checked.
 * Entries without an endpoint or a readable not_after are left out: the
 * certificate check reports those itself. */
static int certificates(const struct prom *p)
{
    const json_t *all = json_object_get(p->summary, "certificates");
    const json_t *c;
    size_t i;
    bool header = false;

    if (!json_is_array(all))
        return 0;
    json_array_foreach(all, i, c) {
        const char *endpoint = sview_str(c, "endpoint", NULL);
        double t;
        if (!endpoint || iso_time_parse(sview_str(c, "not_after", NULL), &t) != 0)
            continue;
        if (!header)
            family(p, "synth_cert_expiry_timestamp_seconds", "gauge",
                   "When the certificate an endpoint presented expires (notAfter), "
                   "in seconds since the epoch.");
        header = true;
        const struct label l[] = {{"endpoint", endpoint}};
        sample(p, "synth_cert_expiry_timestamp_seconds", "", l, 1, t);
    }
    return 0;
}

/* ---- findings ---- */

static int findings(const struct prom *p)
{
    const json_t *all = json_object_get(p->summary, "findings");
    const json_t *f;
    size_t i;

    if (!json_is_array(all))
        return 0;
    /* Emitted even when empty, so "no findings" is a scrape, not an absence. */
    family(p, "synth_finding", "gauge",
           "A finding of the run (1 per finding), with its id and severity.");
    json_array_foreach(all, i, f) {
        const struct label l[] = {{"id", sview_str(f, "id", "?")},
                                  {"severity", sview_str(f, "severity", "warning")}};
        sample(p, "synth_finding", "", l, 2, 1);
    }
    return 0;
}

int prometheus_write(FILE *out, const json_t *summary, struct synth_error *err)
{
    static int (*const sections[])(const struct prom *) = {
        probe, calls, steps, media, certificates, findings,
    };
    const struct prom p = {out, summary, err};

    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        int rc = sections[i](&p);
        if (rc)
            return rc;
    }
    if (ferror(out))
        return synth_error_set(err, SYNTH_EIO, "write error");
    return 0;
}
