/* Nagios plugin output (Monitoring Plugins Development Guidelines): status
 * word, text, then perfdata 'label'=value[UOM];[warn];[crit];[min];[max]. */
#include "nagios.h"

#include "reports/summary_view.h"
#include "synth/engine/run_stats.h"

#include <ctype.h>
#include <stdbool.h>
#include <math.h>
#include <string.h>

/* A perfdata label: the threshold metric, at most this long. */
#define NAGIOS_LABEL_MAX 64

static const char *const status_words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

/* Text before the perfdata: '|' would start perfdata, a line feed a new line. */
static void put_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c == '|' ? '/' : c < 0x20 || c == 0x7f ? ' ' : c, out);
    }
}

/* Numbers as plain decimals with at most 3 places (the guidelines' value is
 * [-0-9.]; no exponent). */
static void put_num(FILE *out, double v)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%.3f", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    fputs(strcmp(buf, "-0") == 0 ? "0" : buf, out);
}

/* "setup_ms.p95" -> "setup_p95", "call_success_pct" -> "call_success": the
 * unit goes into the UOM. Only [a-z0-9_] stay, so no quote needs escaping. */
static void label_of(const char *metric, char *buf, size_t size)
{
    static const char *const units[] = {"_ms", "_pct"};
    size_t n = 0;

    for (const char *s = metric; *s && n + 1 < size;) {
        bool unit = false;
        for (size_t u = 0; u < sizeof(units) / sizeof(units[0]) && !unit; u++) {
            size_t len = strlen(units[u]);
            if (strncmp(s, units[u], len) == 0 && (s[len] == '.' || s[len] == '\0')) {
                s += len;
                unit = true;
            }
        }
        if (unit)
            continue;
        unsigned char c = (unsigned char)*s++;
        buf[n++] = isalnum(c) ? (char)tolower(c) : '_';
    }
    buf[n] = '\0';
}

/* A level as a Nagios range: "W" alerts above W (from 0), "W:" below W. */
static void put_level(FILE *out, const json_t *th, const char *key, bool below_is_bad)
{
    double v;
    if (!sview_num(th, key, &v))
        return;
    put_num(out, v);
    if (below_is_bad)
        fputc(':', out);
}

static void threshold_perf(FILE *out, const json_t *th)
{
    const char *metric = sview_str(th, "metric", "?");
    const char *unit = run_stats_metric_unit(metric);
    bool below = strcmp(sview_str(th, "direction", ""), "below-is-bad") == 0;
    char label[NAGIOS_LABEL_MAX];
    double v;

    label_of(metric, label, sizeof(label));
    fprintf(out, " '%s'=", label);
    if (sview_num(th, "value", &v)) {
        put_num(out, v);
        fputs(unit, out);
    } else {
        fputc('U', out); /* the guidelines' "value could not be determined" */
    }
    fputc(';', out);
    put_level(out, th, "warn", below);
    fputc(';', out);
    put_level(out, th, "crit", below);
    if (strcmp(unit, "%") == 0)
        fputs(";0;100", out);
    else if (strcmp(unit, "ms") == 0)
        fputs(";0", out);
}

static void count_perf(FILE *out, const char *label, const json_t *o, const char *key,
                       const char *uom)
{
    double v;
    if (!sview_num(o, key, &v))
        return;
    fprintf(out, " '%s'=", label);
    put_num(out, v);
    fprintf(out, "%s;;;0", uom);
}

int nagios_write(FILE *out, const json_t *summary, struct synth_error *err)
{
    int code = sview_exit_code(summary);
    const json_t *calls = json_object_get(summary, "calls");
    const json_t *th, *f;
    size_t i;

    fprintf(out, "SYNTH %s - ", status_words[code]);
    put_text(out, sview_str(summary, "target", "?"));
    fputs(": ", out);
    put_text(out, sview_str(summary, "reason", status_words[code]));
    fputs(" |", out);
    json_array_foreach(json_object_get(summary, "thresholds"), i, th)
        threshold_perf(out, th);
    count_perf(out, "calls", calls, "attempted", "");
    count_perf(out, "calls_failed", calls, "failed", "");
    count_perf(out, "duration", summary, "duration_s", "s");
    fputc('\n', out);
    /* Long output: what a person opening the alert reads next. */
    json_array_foreach(json_object_get(summary, "findings"), i, f) {
        const char *level = sview_str(f, "level", "unknown");
        if (strcmp(level, "ok") == 0)
            continue;
        for (const char *s = level; *s; s++)
            fputc(toupper((unsigned char)*s), out);
        fputc(' ', out);
        put_text(out, sview_str(f, "id", "?"));
        fputs(": ", out);
        put_text(out, sview_str(f, "summary", ""));
        fputc('\n', out);
    }
    if (ferror(out))
        return synth_error_set(err, SYNTH_EIO, "write error");
    return 0;
}

void nagios_write_unknown(FILE *out, const char *reason)
{
    fputs("SYNTH UNKNOWN - ", out);
    put_text(out, reason);
    fputc('\n', out);
}
