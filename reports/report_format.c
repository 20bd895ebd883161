/* The table of report formats and their default file names. */
#include "report_format.h"

#include "reports/csv_report.h"
#include "reports/html.h"
#include "reports/junit.h"
#include "reports/prometheus.h"

#include <stdbool.h>
#include <string.h>

static const struct report_format formats[] = {
    {"junit", "report.xml", junit_write, NULL},
    {"prom", "metrics.prom", prometheus_write, NULL},
    {"csv", "stats.csv", csv_report_write, NULL},
    {"html", "report.html", NULL, html_write_dir},
};
#define FORMAT_COUNT (sizeof(formats) / sizeof(formats[0]))

const struct report_format *report_format_find(const char *name, size_t len)
{
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        if (strlen(formats[i].name) == len && strncmp(formats[i].name, name, len) == 0)
            return &formats[i];
    return NULL;
}

int report_format_write(const struct report_format *f, const char *path, const json_t *summary,
                        const char *dir, struct synth_error *err)
{
    if (f->write_dir)
        return report_file_write_dir(path, f->write_dir, summary, dir, err);
    return report_file_write(path, f->write, summary, err);
}

const char *report_format_names(void)
{
    return "junit, prom, csv, html";
}

int report_format_parse_list(const char *list, const struct report_format **out, size_t max,
                             size_t *n, struct synth_error *err)
{
    *n = 0;
    for (const char *s = list; *s;) {
        size_t len = strcspn(s, ",");
        const struct report_format *f = report_format_find(s, len);
        if (!f)
            return synth_error_set(err, SYNTH_EINVAL, "unknown report '%.*s'; known: %s",
                                   (int)len, s, report_format_names());
        bool seen = false;
        for (size_t i = 0; i < *n; i++)
            seen |= out[i] == f;
        if (!seen && *n < max)
            out[(*n)++] = f;
        s += len;
        if (*s == ',')
            s++;
    }
    return 0;
}
