/* The HTML report's internals shared by its section files (html.c,
 * html_charts.c, html_worst.c): the page being written and its writers. */
#ifndef SYNTH_REPORTS_HTML_PAGE_H
#define SYNTH_REPORTS_HTML_PAGE_H

#include "synth/base/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct html_events;

struct html_page {
    FILE *out;
    const json_t *summary;
    const char *dir;            /* results directory, or NULL */
    struct html_events *events; /* from DIR/events.jsonl, or NULL */
    json_t *charts;             /* the chart specs, in canvas order */
    struct synth_error *err;
};

/* A number member as text ("-" when absent), and as a table cell whose
 * data-v the sort reads. */
void html_num(FILE *out, const json_t *o, const char *key, int decimals);
void html_cell_num(FILE *out, const json_t *o, const char *key, int decimals);
void html_cell_double(FILE *out, double v, int decimals); /* NAN: "-" */
void html_cell_text(FILE *out, const char *s);            /* escaped; "" or NULL: "-" */
void html_table_open(FILE *out, const char *id, const char *const *cols, size_t n);
void html_table_close(FILE *out);

/* A chart spec {type, x, y, labels, series: []}; labels (stolen) may be
 * NULL. NULL on ENOMEM. */
json_t *html_chart_spec(const char *type, const char *x, const char *y, json_t *labels);
/* Appends {label, data} (data stolen) to spec's series; -1 on ENOMEM. */
int html_series(json_t *spec, const char *label, json_t *data);
/* Writes the canvas and appends spec (stolen; NULL is ENOMEM). */
int html_chart(struct html_page *p, json_t *spec, const char *title);

/* Sections written outside html.c. */
int html_sec_charts(struct html_page *p); /* time series, histogram, failures */
int html_sec_media(struct html_page *p);  /* media quality distributions */
int html_sec_worst(struct html_page *p);  /* the worst calls, with links */

#endif
