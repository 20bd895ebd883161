/* A report file written atomically: into a temporary file beside the target,
 * flushed and fsync'd, then renamed over it, so a reader (a CI job, a
 * Prometheus textfile collector) never sees half a report. */
#ifndef SYNTH_REPORTS_REPORT_FILE_H
#define SYNTH_REPORTS_REPORT_FILE_H

#include "synth/base/err.h"

#include <jansson.h>
#include <stdio.h>

/* A writer renders the summary onto out; 0 or a synth_err with detail in err.
 * Every report writer (junit_write, prometheus_write, csv_report_write) has
 * this shape, so the CLI drives them all through one table. */
typedef int (*report_writer_fn)(FILE *out, const json_t *summary, struct synth_error *err);

/* A writer that also reads the results directory dir (its events.jsonl,
 * traces/): the HTML report. */
typedef int (*report_dir_writer_fn)(FILE *out, const json_t *summary, const char *dir,
                                    struct synth_error *err);

/* Runs fn into "<path>.tmp.<pid>" and renames it to path. On any failure the
 * temporary file is removed and path is left as it was. A path that a rename
 * would replace rather than write ("-" for stdout, /dev/stdout, a FIFO, a
 * symbolic link) is written through in place, without the atomicity. 0, SYNTH_ENOMEM,
 * SYNTH_EIO ("cannot write <path>: <reason>") or what fn returned. */
int report_file_write(const char *path, report_writer_fn fn, const json_t *summary,
                      struct synth_error *err);

/* report_file_write for a writer of the results directory dir. */
int report_file_write_dir(const char *path, report_dir_writer_fn fn, const json_t *summary,
                          const char *dir, struct synth_error *err);

#endif
