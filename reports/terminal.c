/* The end-of-run table, from summary.json (the keys of docs/results.md). */
#include "terminal.h"

#include "synth/engine/run_stats.h"

#include <math.h>
#include <string.h>

/* ECMA-48 section 8.3.117 (SGR). */
#define SGR_RESET "\033[0m"
#define SGR_BOLD "\033[1m"
#define SGR_RED "\033[31m"
#define SGR_GREEN "\033[32m"
#define SGR_YELLOW "\033[33m"
#define SGR_MAGENTA "\033[35m"
#define SGR_DIM "\033[2m"

/* The failures column lists this many classes, then "...": a wider row wraps. */
#define TERMINAL_FAILURE_CLASSES_MAX 4

static const char *const percentiles[] = {"p50", "p90", "p95", "p99", "max"};
#define PERCENTILE_COUNT (sizeof(percentiles) / sizeof(percentiles[0]))

struct term {
    FILE *out;
    bool color;
};

static const char *sgr(const struct term *t, const char *code)
{
    return t->color ? code : "";
}

/* Text from the summary may hold what a peer sent (reason phrases, details):
 * control characters would let it move the cursor or recolor the terminal. */
static void put_text(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

/* Spaces after a name to fill a column of width (at least one). */
static int name_pad(const char *name, int width)
{
    int n = (int)strnlen(name, (size_t)width);
    return n < width ? width - n : 1;
}

static const char *str_of(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

static bool num_of(const json_t *o, const char *key, double *v)
{
    const json_t *j = json_object_get(o, key);
    if (!json_is_number(j))
        return false;
    *v = json_number_value(j);
    return isfinite(*v);
}

/* Counts are integers in the summary; an older or hand-edited file may hold reals. */
static void put_count(const struct term *t, const json_t *o, const char *key, int width)
{
    double v;
    if (num_of(o, key, &v))
        fprintf(t->out, "%*.0f", width, v);
    else
        fprintf(t->out, "%*s", width, "-");
}

/* The color of a verdict or severity name. */
static const char *level_color(const struct term *t, const char *name)
{
    if (strcmp(name, "ok") == 0 || strcmp(name, "info") == 0)
        return sgr(t, SGR_GREEN);
    if (strcmp(name, "warning") == 0)
        return sgr(t, SGR_YELLOW);
    if (strcmp(name, "critical") == 0)
        return sgr(t, SGR_RED);
    return sgr(t, SGR_MAGENTA);
}

static void put_upper(FILE *out, const char *s, int width)
{
    int n = 0;
    for (; s[n] && n < 16; n++)
        fputc(s[n] >= 'a' && s[n] <= 'z' ? s[n] - 'a' + 'A'
              : (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n], out);
    for (; n < width; n++)
        fputc(' ', out);
}

static void put_level(const struct term *t, const char *name, int width)
{
    fputs(level_color(t, name), t->out);
    put_upper(t->out, name, width);
    fputs(sgr(t, SGR_RESET), t->out);
}

static void header(const struct term *t, const json_t *s)
{
    const char *kind = str_of(s, "target_kind", "");
    double v;

    /* The target first and alone on its line: a result from the lab must never
     * be mistaken for one from production. */
    fprintf(t->out, "%starget: ", sgr(t, SGR_BOLD));
    put_text(t->out, str_of(s, "target", "?"));
    fprintf(t->out, "%s%s\n", strcmp(kind, "lab") == 0 ? " (embedded lab)" : "",
            sgr(t, SGR_RESET));
    fputs("scenario: ", t->out);
    put_text(t->out, str_of(s, "scenario", "-"));
    fputs("   started ", t->out);
    put_text(t->out, str_of(s, "started_at", "-"));
    if (num_of(s, "duration_s", &v))
        fprintf(t->out, "   %.1f s", v);
    if (num_of(s, "workers", &v) && v > 0) /* synth check runs no workers */
        fprintf(t->out, "   %.0f worker%s", v, v == 1 ? "" : "s");
    fputs("   synth ", t->out);
    put_text(t->out, str_of(s, "version", "-"));
    fputc('\n', t->out);

    fprintf(t->out, "%sverdict: ", sgr(t, SGR_BOLD));
    put_level(t, str_of(s, "verdict", "unknown"), 0);
    const char *reason = str_of(s, "reason", "");
    if (reason[0]) {
        fprintf(t->out, "%s - ", sgr(t, SGR_BOLD));
        put_text(t->out, reason);
    }
    fprintf(t->out, "%s\n\n", sgr(t, SGR_RESET));
}

/* One line of counts: "HEAD n1 text1n2 text2..." from (object, key, text) parts. */
struct count_part {
    const json_t *o;
    const char *key, *text;
};

static void count_line(const struct term *t, const char *head, const struct count_part *parts,
                       size_t n)
{
    fputs(head, t->out);
    for (size_t i = 0; i < n; i++) {
        put_count(t, parts[i].o, parts[i].key, 0);
        fputs(parts[i].text, t->out);
    }
    fputc('\n', t->out);
}

static void counts(const struct term *t, const json_t *s)
{
    const json_t *calls = json_object_get(s, "calls");
    const json_t *journeys = json_object_get(s, "journeys");
    /* Issue #4: where the media went, once ICE or a relay is in play. */
    const json_t *path = json_object_get(calls, "media_path"), *ice = json_object_get(calls, "ice");
    const struct count_part call_parts[] = {
        {calls, "attempted", " attempted, "}, {calls, "answered", " answered, "},
        {calls, "failed", " failed, "},       {calls, "skipped", " skipped"},
    };
    const struct count_part media_parts[] = {
        {calls, "media_ok", " with media, "}, {calls, "greeting_heard", " greeting heard, "},
        {calls, "connected_no_media", " connected-no-media"},
    };
    const struct count_part path_parts[] = {
        {path, "direct", " direct, "}, {path, "relay", " relay; ICE in "},
        {ice, "calls", " calls, "},    {ice, "failed", " failed"},
    };
    const struct count_part journey_parts[] = {
        {journeys, "started", " started, "}, {journeys, "completed", " completed, "},
        {journeys, "skipped", " skipped"},
    };
    double media = 0, relayed = 0, ice_calls = 0;

    count_line(t, "calls:   ", call_parts, sizeof(call_parts) / sizeof(call_parts[0]));
    if (num_of(calls, "media_calls", &media) && media > 0)
        count_line(t, "media:   ", media_parts, sizeof(media_parts) / sizeof(media_parts[0]));
    if ((num_of(path, "relay", &relayed) && relayed > 0) ||
        (num_of(ice, "calls", &ice_calls) && ice_calls > 0))
        count_line(t, "path:    ", path_parts, sizeof(path_parts) / sizeof(path_parts[0]));
    if (journeys)
        count_line(t, "journeys: ", journey_parts, sizeof(journey_parts) / sizeof(journey_parts[0]));
    fputc('\n', t->out);
}

static void percentile_cells(const struct term *t, const json_t *lat)
{
    for (size_t i = 0; i < PERCENTILE_COUNT; i++) {
        double v;
        if (num_of(lat, percentiles[i], &v))
            fprintf(t->out, " %9.1f", v);
        else
            fprintf(t->out, " %9s", "-");
    }
}

/* The calls' audio, where any was measured (summary.json calls.*). */
static void media_rows(const struct term *t, const json_t *calls)
{
    /* only_if_any: a row for calls some runs have none of (ICE, a relay). */
    static const struct {
        const char *label, *key;
        bool only_if_any;
    } rows[] = {
        {"first media ms", "first_media_ms", false},
        {"greeting onset ms", "greeting_onset_ms", false},
        {"loss %", "loss_pct", false},
        {"jitter ms", "jitter_ms", false},
        {"MOS", "mos", false},
        {"ICE ms", "ice.ms", true},
        {"relay allocate ms", "relay_allocate_ms", true},
    };
    double n;
    if (!num_of(json_object_get(calls, "first_media_ms"), "count", &n) || n == 0)
        return;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        /* "ice.ms": a distribution one object down. */
        const char *dot = strchr(rows[i].key, '.');
        const json_t *lat = dot ? json_object_get(json_object_get(calls, "ice"), dot + 1)
                                : json_object_get(calls, rows[i].key);
        if (rows[i].only_if_any && (!num_of(lat, "count", &n) || n == 0))
            continue;
        fprintf(t->out, "%-20s", rows[i].label);
        percentile_cells(t, lat);
        fputc('\n', t->out);
    }
}

static void latencies(const struct term *t, const json_t *s)
{
    const json_t *calls = json_object_get(s, "calls");
    const json_t *gen = json_object_get(s, "generator");
    const struct {
        const char *label;
        const json_t *lat;
    } rows[] = {
        {"call setup ms", json_object_get(calls, "setup_ms")},
        {"post-dial delay ms", json_object_get(calls, "pdd_ms")},
        {"generator lag ms", json_object_get(gen, "lag_ms")},
    };

    fprintf(t->out, "%-20s", "");
    for (size_t i = 0; i < PERCENTILE_COUNT; i++)
        fprintf(t->out, " %9s", percentiles[i]);
    fputc('\n', t->out);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        fprintf(t->out, "%-20s", rows[i].label);
        percentile_cells(t, rows[i].lat);
        fputc('\n', t->out);
    }
    media_rows(t, calls);
    fputc('\n', t->out);
}

/* What DNS discovery found (summary.json "discovery"). */
static void discovery(const struct term *t, const json_t *s)
{
    const json_t *d = json_object_get(s, "discovery");
    const json_t *recs = json_object_get(d, "records");
    size_t i;
    const json_t *r;
    if (!json_is_array(recs))
        return;
    fprintf(t->out, "dns discovery of %s\n", str_of(d, "domain", "?"));
    json_array_foreach(recs, i, r) {
        bool found = json_is_true(json_object_get(r, "found"));
        fprintf(t->out, "  %s%-6s%s %-44s ", sgr(t, found ? SGR_GREEN : SGR_RED), found ? "found" : "MISSING",
                sgr(t, SGR_RESET), str_of(r, "query", "?"));
        if (found) {
            double port = 0;
            num_of(r, "port", &port);
            fprintf(t->out, "-> %s:%.0f (%s)\n", str_of(r, "host", "?"), port,
                    str_of(r, "address", "?"));
        } else {
            put_text(t->out, str_of(r, "error", "?"));
            fputc('\n', t->out);
        }
    }
    fputc('\n', t->out);
}

/* Internal and Edge users side by side (summary.json "paths"). */
static void paths(const struct term *t, const json_t *s)
{
    static const char *const cols[] = {"attempted", "answered", "failed", "connected_no_media",
                                       "greeting_heard"};
    const json_t *by = json_object_get(s, "paths");
    const char *name;
    const json_t *p;
    if (!json_is_object(by) || json_object_size(by) == 0)
        return;
    fprintf(t->out, "%-10s %9s %9s %9s %9s %9s %9s %9s\n", "calls via", "attempted",
            "answered", "failed", "no-media", "greeting", "setup p50", "setup p95");
    json_object_foreach((json_t *)by, name, p) {
        const json_t *calls = json_object_get(p, "calls");
        const json_t *setup = json_object_get(calls, "setup_ms");
        fprintf(t->out, "%-10s", name);
        for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
            fputc(' ', t->out);
            put_count(t, calls, cols[i], 9);
        }
        for (size_t i = 0; i < 2; i++) {
            double v;
            if (num_of(setup, i ? "p95" : "p50", &v))
                fprintf(t->out, " %9.1f", v);
            else
                fprintf(t->out, " %9s", "-");
        }
        fputc('\n', t->out);
    }
    fputc('\n', t->out);
}

/* Sessions held idle (summary.json "survival"): per session, probe and
 * hop, the estimate and each interval, "ok" or how it died. */
static void survival(const struct term *t, const json_t *s)
{
    const json_t *sv = json_object_get(s, "survival");
    const json_t *x, *iv;
    size_t i, k;
    if (!json_is_array(sv) || json_array_size(sv) == 0)
        return;
    fprintf(t->out, "%-9s %-10s %-36s %-15s %s\n", "survival", "probe", "hop", "estimate s",
            "idle s: outcome");
    json_array_foreach(sv, i, x) {
        double est, unc = 0;
        char e[32] = "-";
        if (num_of(x, "estimated_timeout_s", &est)) {
            num_of(x, "uncertainty_s", &unc);
            snprintf(e, sizeof(e), "%.1f +/- %.1f", est, unc);
        }
        fprintf(t->out, "%-9s %-10s ", str_of(x, "session", "?"), str_of(x, "probe", "?"));
        put_text(t->out, str_of(x, "hop", "-"));
        fprintf(t->out, "%*s %-15s", name_pad(str_of(x, "hop", "-"), 36), "", e);
        json_array_foreach(json_object_get(x, "intervals"), k, iv) {
            double idle = 0;
            bool ok = json_is_true(json_object_get(iv, "survived"));
            num_of(iv, "idle_s", &idle);
            fprintf(t->out, "%s%.0f:%s", k ? " " : "", idle, sgr(t, ok ? SGR_GREEN : SGR_RED));
            put_text(t->out, ok ? "ok" : str_of(iv, "died_how", "died"));
            fputs(sgr(t, SGR_RESET), t->out);
        }
        fputc('\n', t->out);
    }
    fputc('\n', t->out);
}

static void failure_cell(const struct term *t, const json_t *failures)
{
    const char *cls;
    const json_t *n;
    int shown = 0;

    json_object_foreach((json_t *)failures, cls, n) {
        if (shown == TERMINAL_FAILURE_CLASSES_MAX) {
            fputs(", ...", t->out);
            break;
        }
        fputs(shown ? ", " : "", t->out);
        put_text(t->out, cls);
        fprintf(t->out, " %.0f", json_number_value(n));
        shown++;
    }
    if (!shown)
        fputs("-", t->out);
}

static void steps(const struct term *t, const json_t *s)
{
    const json_t *all = json_object_get(s, "steps");
    const char *name;
    const json_t *st;

    if (!json_is_object(all) || json_object_size(all) == 0)
        return;
    fprintf(t->out, "%-16s %9s %9s %9s %9s %9s %9s  %s\n", "step", "attempts", "ok", "failed",
            "p50 ms", "p95 ms", "p99 ms", "failures");
    json_object_foreach((json_t *)all, name, st) {
        const json_t *lat = json_object_get(st, "latency_ms");
        put_text(t->out, name);
        fprintf(t->out, "%*s", name_pad(name, 16), "");
        put_count(t, st, "attempts", 10);
        put_count(t, st, "ok", 10);
        put_count(t, st, "failed", 10);
        static const char *const cols[] = {"p50", "p95", "p99"};
        for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
            double v;
            if (num_of(lat, cols[i], &v))
                fprintf(t->out, " %9.1f", v);
            else
                fprintf(t->out, " %9s", "-");
        }
        fputs("  ", t->out);
        failure_cell(t, json_object_get(st, "failures"));
        fputc('\n', t->out);
    }
    fputc('\n', t->out);
}

/* A number cell of width, "-" when absent (null). */
static void put_num(const struct term *t, const json_t *o, const char *key, int width, int prec)
{
    double v;
    if (num_of(o, key, &v))
        fprintf(t->out, " %*.*f", width, prec, v);
    else
        fprintf(t->out, " %*s", width, "-");
}

/* summary.json "capacity": the generator-bound line, the early stop, and
 * the table of stages or steps with the search's outcome. */
static void capacity(const struct term *t, const json_t *s)
{
    const json_t *c = json_object_get(s, "capacity");
    const json_t *gen = json_object_get(c, "generator");
    if (!json_is_object(c))
        return;
    if (json_is_true(json_object_get(c, "generator_bound"))) {
        double lag = 0, sat = 0;
        num_of(gen, "lag_p99_ms", &lag);
        num_of(gen, "saturation_pct_mean", &sat);
        fprintf(t->out, "%sgenerator-bound:%s the generator, not the target, was the bottleneck "
                "(start lag p99 %.1f ms, CPU used or waited for %.0f %%): verdict unknown\n\n",
                sgr(t, SGR_MAGENTA), sgr(t, SGR_RESET), lag, sat);
    }
    if (json_is_string(json_object_get(c, "stop_reason"))) {
        fprintf(t->out, "%s: ", json_is_true(json_object_get(c, "aborted")) ? "aborted" : "stopped");
        put_text(t->out, str_of(c, "stop_reason", ""));
        double at;
        if (num_of(c, "stopped_at_s", &at))
            fprintf(t->out, " at %.1f s; results up to then are kept", at);
        fputs("\n\n", t->out);
    }
    const char *profile = str_of(c, "profile", "constant");
    const json_t *rows = json_object_get(c, strcmp(profile, "ramp") == 0 ? "stages" : "steps");
    if (!json_is_array(rows) || json_array_size(rows) == 0)
        return;
    fprintf(t->out, "%-5s %7s %7s %9s %9s %7s %7s %8s %8s  %s\n",
            strcmp(profile, "ramp") == 0 ? "stage" : "step", "start s", "len s", "target/s",
            "achieved", "calls", "failed", "p50 ms", "p95 ms", "result");
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i, r) {
        put_count(t, r, "index", 5);
        put_num(t, r, "start_s", 7, 1);
        put_num(t, r, "ran_s", 7, 1);
        put_num(t, r, "mean_target_rate", 9, 1);
        put_num(t, r, "achieved_rate", 9, 1);
        fputc(' ', t->out);
        put_count(t, r, "calls", 7);
        fputc(' ', t->out);
        put_count(t, r, "failures", 7);
        put_num(t, r, "setup_p50_ms", 8, 1);
        put_num(t, r, "setup_p95_ms", 8, 1);
        const char *state = str_of(r, "state", "?");
        const char *level = strcmp(state, "held") == 0    ? "ok"
                            : strcmp(state, "broke") == 0 ? "critical"
                                                          : "unknown";
        fprintf(t->out, "  %s%s%s", level_color(t, level), state, sgr(t, SGR_RESET));
        if (strcmp(state, "held") != 0) {
            fputs(": ", t->out);
            put_text(t->out, str_of(r, "reason", ""));
        }
        fputc('\n', t->out);
    }
    double held, broke;
    if (strcmp(profile, "step-until") == 0) {
        bool h = num_of(c, "last_held_rate", &held), b = num_of(c, "first_broken_rate", &broke);
        if (h && b)
            fprintf(t->out, "capacity: held %g/s (step %.0f), broke at %g/s (step %.0f)\n", held,
                    json_number_value(json_object_get(c, "last_held_step")), broke,
                    json_number_value(json_object_get(c, "first_broken_step")));
        else if (h)
            fprintf(t->out, "capacity: every step held, up to %g/s\n", held);
        else if (b)
            fprintf(t->out, "capacity: broke at the first step, %g/s\n", broke);
    }
    fputc('\n', t->out);
}

static void thresholds(const struct term *t, const json_t *s)
{
    const json_t *all = json_object_get(s, "thresholds");
    size_t i;
    const json_t *th;

    if (!json_is_array(all) || json_array_size(all) == 0)
        return;
    fputs("thresholds\n", t->out);
    json_array_foreach(all, i, th) {
        const char *metric = str_of(th, "metric", "?");
        double v, warn, crit;
        fputs("  ", t->out);
        put_level(t, str_of(th, "level", "unknown"), 10);
        put_text(t->out, metric);
        fprintf(t->out, "%*s", name_pad(metric, 32), "");
        if (num_of(th, "value", &v))
            fprintf(t->out, " %10.1f %-2s", v, run_stats_metric_unit(metric));
        else
            fprintf(t->out, " %10s %-2s", "no data", "");
        if (num_of(th, "warn", &warn) && num_of(th, "crit", &crit))
            fprintf(t->out, "  (warn %g, crit %g)", warn, crit);
        fputc('\n', t->out);
    }
    fputc('\n', t->out);
}

static void findings(const struct term *t, const json_t *s)
{
    const json_t *all = json_object_get(s, "findings");
    size_t i;
    const json_t *f;

    if (!json_is_array(all) || json_array_size(all) == 0) {
        fputs("findings: none\n", t->out);
        return;
    }
    fputs("findings\n", t->out);
    json_array_foreach(all, i, f) {
        const char *evidence = str_of(f, "evidence", "");
        const char *remedy = str_of(f, "remedy", "");
        fputs("  ", t->out);
        put_level(t, str_of(f, "severity", "warning"), 10);
        fputs(sgr(t, SGR_BOLD), t->out);
        put_text(t->out, str_of(f, "id", "?"));
        fprintf(t->out, "%s  ", sgr(t, SGR_RESET));
        put_text(t->out, str_of(f, "summary", ""));
        fputc('\n', t->out);
        if (evidence[0]) {
            fprintf(t->out, "%12s%sevidence: ", "", sgr(t, SGR_DIM));
            put_text(t->out, evidence);
            fprintf(t->out, "%s\n", sgr(t, SGR_RESET));
        }
        if (remedy[0]) {
            fprintf(t->out, "%12sremedy:   ", "");
            put_text(t->out, remedy);
            fputc('\n', t->out);
        }
    }
    double dropped;
    if (num_of(s, "findings_dropped", &dropped) && dropped > 0)
        fprintf(t->out, "  ... and %.0f less severe findings not kept\n", dropped);
}

void terminal_summary(FILE *out, const json_t *summary, bool color)
{
    const struct term t = {out, color};

    header(&t, summary);
    counts(&t, summary);
    latencies(&t, summary);
    paths(&t, summary);
    discovery(&t, summary);
    steps(&t, summary);
    capacity(&t, summary);
    survival(&t, summary);
    thresholds(&t, summary);
    findings(&t, summary);
}

/* ---- synth check ---------------------------------------------------------- */

/* The rows of the certificate table are this wide before the evidence. */
#define CHECK_ENDPOINT_COL 12
#define CHECK_RULE_COL 15

static void cert_chain_line(const struct term *t, const json_t *ep)
{
    const json_t *chain = json_object_get(ep, "chain");
    const json_t *probe = json_object_get(ep, "probe");
    const json_t *leaf = json_array_get(chain, 0);
    double days, bits;

    fprintf(t->out, "%s", sgr(t, SGR_BOLD));
    put_text(t->out, str_of(ep, "endpoint", "?"));
    fprintf(t->out, "%s ", sgr(t, SGR_RESET));
    put_text(t->out, str_of(ep, "host", "?"));
    if (num_of(ep, "port", &days))
        fprintf(t->out, ":%.0f", days);
    fputs(" (", t->out);
    put_text(t->out, str_of(ep, "role", "?"));
    fputs(", expected ", t->out);
    put_text(t->out, str_of(ep, "server_name", "?"));
    fputs(")", t->out);
    if (json_is_string(json_object_get(probe, "protocol"))) {
        fputs(": ", t->out);
        put_text(t->out, str_of(probe, "protocol", "?"));
        fprintf(t->out, ", %zu certificate%s presented", json_array_size(chain),
                json_array_size(chain) == 1 ? "" : "s");
        if (json_is_true(json_object_get(probe, "client_cert_requested")))
            fputs(json_is_true(json_object_get(probe, "client_cert_sent"))
                      ? ", client certificate asked for and sent"
                      : ", client certificate asked for, none sent",
                  t->out);
        if (json_is_string(json_object_get(probe, "after_handshake"))) {
            fputs(", then refused: ", t->out);
            put_text(t->out, str_of(probe, "after_handshake", "?"));
        }
    }
    fputc('\n', t->out);
    if (!leaf)
        return;
    fprintf(t->out, "%*s%s", 2, "", sgr(t, SGR_DIM));
    put_text(t->out, str_of(leaf, "subject", "?"));
    fputs("; issuer ", t->out);
    put_text(t->out, str_of(leaf, "issuer", "?"));
    fputs("; notAfter ", t->out);
    put_text(t->out, str_of(leaf, "not_after", "?"));
    if (num_of(leaf, "days_left", &days))
        fprintf(t->out, " (%.0f days)", days);
    fputs("; ", t->out);
    put_text(t->out, str_of(leaf, "key_type", "?"));
    if (num_of(leaf, "key_bits", &bits))
        fprintf(t->out, " %.0f", bits);
    fputs("; ", t->out);
    put_text(t->out, str_of(leaf, "signature", "?"));
    fprintf(t->out, "%s\n", sgr(t, SGR_RESET));
}

/* "pass"/"warn"/"fail" in the colors of ok/warning/critical. */
static void put_rule_result(const struct term *t, const char *result)
{
    const char *level = strcmp(result, "pass") == 0   ? "ok"
                        : strcmp(result, "warn") == 0 ? "warning"
                        : strcmp(result, "fail") == 0 ? "critical"
                                                      : "unknown";
    fputs(level_color(t, level), t->out);
    put_upper(t->out, result, 7);
    fputs(sgr(t, SGR_RESET), t->out);
}

static void cert_rows(const struct term *t, const json_t *ep)
{
    const json_t *rules = json_object_get(ep, "rules");
    const char *name = str_of(ep, "endpoint", "?");
    const json_t *r;
    size_t i;

    if (json_array_size(rules) == 0) {
        fprintf(t->out, "  %-*s%-*s", CHECK_ENDPOINT_COL, "", CHECK_RULE_COL, "-");
        put_rule_result(t, "error");
        put_text(t->out, str_of(json_object_get(ep, "probe"), "error", "not checked"));
        fputc('\n', t->out);
        return;
    }
    json_array_foreach(rules, i, r) {
        const char *rule = str_of(r, "rule", "?"), *result = str_of(r, "result", "?");
        fputs("  ", t->out);
        put_text(t->out, name);
        fprintf(t->out, "%*s", name_pad(name, CHECK_ENDPOINT_COL), "");
        put_text(t->out, rule);
        fprintf(t->out, "%*s", name_pad(rule, CHECK_RULE_COL), "");
        put_rule_result(t, result);
        put_text(t->out, str_of(r, "summary", ""));
        fputc('\n', t->out);
        if (strcmp(result, "pass") != 0) {
            fprintf(t->out, "%*s%s", 2 + CHECK_ENDPOINT_COL + CHECK_RULE_COL + 7, "",
                    sgr(t, SGR_DIM));
            put_text(t->out, str_of(r, "evidence", ""));
            fprintf(t->out, "%s\n", sgr(t, SGR_RESET));
        }
    }
}

void terminal_check_summary(FILE *out, const json_t *summary, bool color)
{
    const struct term t = {out, color};
    const json_t *certs = json_object_get(summary, "certificates");
    const json_t *ep;
    size_t i;

    header(&t, summary);
    discovery(&t, summary);
    json_array_foreach(certs, i, ep) {
        cert_chain_line(&t, ep);
        if (i == 0)
            fprintf(out, "  %-*s%-*s%-7s%s\n", CHECK_ENDPOINT_COL, "endpoint", CHECK_RULE_COL,
                    "rule", "result", "evidence");
        cert_rows(&t, ep);
        fputc('\n', out);
    }
    findings(&t, summary);
}
