/* Worst-calls selection (html_worst.h): each table keeps its N worst in an
 * unsorted array and replaces its least bad when a worse one comes; N is
 * small, so a linear scan beats a heap's bookkeeping. */
#include "html_worst.h"

#include "reports/html_events.h"
#include "reports/html_page.h"
#include "reports/html_text.h"
#include "reports/summary_view.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void html_worst_init(struct html_worst *w, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->cap = cap == 0 || cap > HTML_WORST_MAX ? HTML_WORST_MAX : cap;
}

static double num_or_nan(const json_t *o, const char *key)
{
    double v;
    return sview_num(o, key, &v) ? v : NAN;
}

static void text(char *dst, size_t size, const json_t *o, const char *key)
{
    snprintf(dst, size, "%s", sview_str(o, key, ""));
}

static void fill(struct html_call *c, const json_t *ev, size_t line, double rank)
{
    const json_t *m = json_object_get(ev, "media");
    double status = 0;

    memset(c, 0, sizeof(*c));
    c->rank = rank;
    c->line = line;
    c->sip_status = sview_num(ev, "sip_status", &status) ? (int)status : 0;
    c->setup_ms = num_or_nan(ev, "setup_ms");
    c->pdd_ms = num_or_nan(ev, "pdd_ms");
    c->mos = num_or_nan(m, "mos");
    c->loss_pct = num_or_nan(m, "loss_pct");
    c->jitter_ms = num_or_nan(m, "jitter_ms");
    text(c->ts, sizeof(c->ts), ev, "ts");
    text(c->user_uri, sizeof(c->user_uri), ev, "user_uri");
    text(c->via, sizeof(c->via), ev, "via");
    text(c->step, sizeof(c->step), ev, "step");
    text(c->outcome, sizeof(c->outcome), ev, "outcome");
    text(c->klass, sizeof(c->klass), ev, "class");
    text(c->sip_reason, sizeof(c->sip_reason), ev, "sip_reason");
    text(c->detail, sizeof(c->detail), ev, "detail");
    text(c->call_id, sizeof(c->call_id), ev, "call_id");
    text(c->audio_file, sizeof(c->audio_file), m, "audio_file");
}

static void offer(struct html_worst *w, enum html_worst_kind k, const json_t *ev, size_t line,
                  double rank)
{
    struct html_call *rows = w->rows[k];
    size_t i;

    if (w->n[k] < w->cap) {
        fill(&rows[w->n[k]++], ev, line, rank);
        return;
    }
    size_t least = 0;
    for (i = 1; i < w->n[k]; i++)
        if (rows[i].rank < rows[least].rank)
            least = i;
    if (rank > rows[least].rank)
        fill(&rows[least], ev, line, rank);
}

void html_worst_add(struct html_worst *w, const json_t *ev, size_t line)
{
    const char *step = sview_str(ev, "step", "");
    const char *outcome = sview_str(ev, "outcome", "");
    const json_t *m = json_object_get(ev, "media");
    double v;

    if (strcmp(outcome, "failed") == 0 && strcmp(sview_str(ev, "class", ""), "not-ready") != 0)
        offer(w, HTML_WORST_FAILED, ev, line, -(double)line);
    if (strcmp(step, "call") != 0)
        return;
    if (sview_num(ev, "setup_ms", &v))
        offer(w, HTML_WORST_SETUP, ev, line, v);
    if (json_is_true(json_object_get(m, "flowed")) && sview_num(m, "mos", &v))
        offer(w, HTML_WORST_MOS, ev, line, -v);
}

static int by_rank(const void *a, const void *b)
{
    const struct html_call *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank > y->rank ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

void html_worst_finish(struct html_worst *w)
{
    for (int k = 0; k < HTML_WORST_KINDS; k++)
        qsort(w->rows[k], w->n[k], sizeof(w->rows[k][0]), by_rank);
}

/* ---- the section ---- */

/* A call id or audio path safe to put in a relative link: no "..", no
 * absolute path, no characters a URL would need escaped. */
static bool link_safe(const char *s)
{
    if (!s[0] || s[0] == '/' || strstr(s, ".."))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-@/", *s))
            return false;
    return true;
}

static void link_if_exists(const struct html_page *p, const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", p->dir, rel);
    if (!link_safe(rel) || access(path, R_OK) != 0)
        return;
    fputs(" <a href=\"", p->out);
    html_put_text(p->out, rel);
    fputs("\">", p->out);
    html_put_text(p->out, text);
    fputs("</a>", p->out);
}

static void row(const struct html_page *p, const struct html_call *c)
{
    FILE *o = p->out;
    char rel[160], status[96];

    fputs("<tr>", o);
    html_cell_text(o, c->ts);
    html_cell_text(o, c->user_uri);
    html_cell_text(o, c->via);
    html_cell_text(o, c->step);
    html_cell_text(o, c->klass[0] ? c->klass : c->outcome);
    if (c->sip_status)
        snprintf(status, sizeof(status), "%d %s", c->sip_status, c->sip_reason);
    else
        status[0] = '\0';
    html_cell_text(o, status);
    html_cell_double(o, c->setup_ms, 1);
    html_cell_double(o, c->pdd_ms, 1);
    html_cell_double(o, c->mos, 2);
    html_cell_double(o, c->loss_pct, 2);
    html_cell_double(o, c->jitter_ms, 2);
    html_cell_text(o, c->detail);
    fputs("<td><code>", o);
    html_put_text(o, c->call_id[0] ? c->call_id : "-");
    fputs("</code>", o);
    if (p->dir && c->call_id[0]) {
        snprintf(rel, sizeof(rel), "traces/%s.txt", c->call_id);
        link_if_exists(p, rel, "SIP trace");
    }
    if (p->dir && c->audio_file[0])
        link_if_exists(p, c->audio_file, "audio");
    fputs("</td></tr>\n", o);
}

int html_sec_worst(struct html_page *p)
{
    static const char *const cols[] = {"start", "user", "via", "step", "outcome", "SIP",
                                       "setup ms", "PDD ms", "MOS", "loss %", "jitter ms",
                                       "detail", "call id, evidence"};
    static const struct {
        enum html_worst_kind k;
        const char *id, *title;
    } tables[] = {
        {HTML_WORST_SETUP, "t-worst-setup", "slowest call setup"},
        {HTML_WORST_MOS, "t-worst-mos", "lowest MOS"},
        {HTML_WORST_FAILED, "t-failed", "first failed steps"},
    };
    const struct html_worst *w = p->events ? &p->events->worst : NULL;

    if (!w || (!w->n[0] && !w->n[1] && !w->n[2]))
        return 0;
    fputs("<section id=\"worst\"><h2>Worst calls</h2>\n", p->out);
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        size_t n = w->n[tables[t].k];
        if (!n)
            continue;
        fprintf(p->out, "<h3>%s (%zu)</h3>\n", tables[t].title, n);
        html_table_open(p->out, tables[t].id, cols, sizeof(cols) / sizeof(cols[0]));
        for (size_t i = 0; i < n; i++)
            row(p, &w->rows[tables[t].k][i]);
        html_table_close(p->out);
    }
    fputs("</section>\n", p->out);
    return 0;
}
