/* Per-second statistics as CSV (RFC 4180), from summary.json "timeline":
 * only what the timeline holds, plus running totals of it. */
#include "csv_report.h"

#include "reports/event_json.h"
#include "reports/summary_view.h"

#include <string.h>

/* The timeline's own counts, in column order. */
static const struct {
    const char *key, *column;
} counts[] = {
    {"started", "journeys_started"}, {"skipped", "arrivals_skipped"},
    {"calls", "calls"},              {"answered", "calls_answered"},
    {"ok", "steps_ok"},              {"failed", "steps_failed"},
};
#define COUNT_COLUMNS (sizeof(counts) / sizeof(counts[0]))

/* Running totals of these timeline keys follow setup_p95_ms. */
static const struct {
    const char *key, *column;
} totals[] = {
    {"calls", "calls_cumulative"},
    {"answered", "calls_answered_cumulative"},
    {"failed", "steps_failed_cumulative"},
};
#define TOTAL_COLUMNS (sizeof(totals) / sizeof(totals[0]))

void csv_report_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void put_num(FILE *out, const json_t *o, const char *key)
{
    double v;
    if (sview_num(o, key, &v))
        fprintf(out, "%.15g", v);
}

static void header(FILE *out)
{
    csv_report_field(out, "elapsed_s");
    fputc(',', out);
    csv_report_field(out, "time");
    for (size_t i = 0; i < COUNT_COLUMNS; i++) {
        fputc(',', out);
        csv_report_field(out, counts[i].column);
    }
    fputc(',', out);
    csv_report_field(out, "setup_p95_ms");
    for (size_t i = 0; i < TOTAL_COLUMNS; i++) {
        fputc(',', out);
        csv_report_field(out, totals[i].column);
    }
    fputs("\r\n", out);
}

int csv_report_write(FILE *out, const json_t *summary, struct synth_error *err)
{
    const json_t *row;
    size_t i;
    double started_ms, sum[TOTAL_COLUMNS] = {0};
    bool has_start = sview_num(summary, "started_at_ms", &started_ms);

    header(out);
    json_array_foreach(json_object_get(summary, "timeline"), i, row) {
        double t, v;
        char ts[EVENT_JSON_TS_MAX] = "";
        bool has_t = sview_num(row, "t", &t);

        put_num(out, row, "t");
        fputc(',', out);
        /* The row's second starts at the run's start plus t. */
        if (has_start && has_t &&
            event_json_timestamp((int64_t)started_ms + (int64_t)t * 1000, ts, sizeof(ts)) == 0)
            csv_report_field(out, ts);
        for (size_t k = 0; k < COUNT_COLUMNS; k++) {
            fputc(',', out);
            put_num(out, row, counts[k].key);
        }
        fputc(',', out);
        put_num(out, row, "setup_p95_ms");
        for (size_t k = 0; k < TOTAL_COLUMNS; k++) {
            if (sview_num(row, totals[k].key, &v))
                sum[k] += v;
            fprintf(out, ",%.0f", sum[k]);
        }
        fputs("\r\n", out);
    }
    if (ferror(out))
        return synth_error_set(err, SYNTH_EIO, "write error");
    return 0;
}
