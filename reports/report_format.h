/* The report files synth writes, by name: what `synth report --junit FILE`
 * and `synth run --report junit,prom,csv` share (docs/reports.md). */
#ifndef SYNTH_REPORTS_REPORT_FORMAT_H
#define SYNTH_REPORTS_REPORT_FORMAT_H

#include "reports/report_file.h"

#include <stddef.h>

struct report_format {
    const char *name;      /* "junit", "prom", "csv", "html" */
    const char *file_name; /* in a results directory: report.xml, metrics.prom, ... */
    report_writer_fn write; /* NULL: not implemented yet, or write_dir */
    report_dir_writer_fn write_dir; /* reads the results directory too (html) */
};

/* Writes f's report of summary (from the results directory dir) to path,
 * atomically (report_file_write). */
int report_format_write(const struct report_format *f, const char *path, const json_t *summary,
                        const char *dir, struct synth_error *err);

/* The format named by the first len bytes of name, or NULL. */
const struct report_format *report_format_find(const char *name, size_t len);

/* The formats of a comma-separated list ("junit,prom") into out (at most
 * max, duplicates kept once); *n their number. SYNTH_EINVAL naming the
 * unknown name and the known ones. */
int report_format_parse_list(const char *list, const struct report_format **out, size_t max,
                             size_t *n, struct synth_error *err);

/* All formats, for usage texts: "junit, prom, csv, html". */
const char *report_format_names(void);

#endif
