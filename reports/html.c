/* The HTML report (html.h). Each section is one function in sections[]: it
 * writes its markup, and the charts it wants as specs appended to the
 * page's JSON data block; the page's few lines of script hand them to
 * Chart.js. A section whose summary keys are absent writes nothing. */
#include "html.h"

#include "reports/html_events.h"
#include "reports/html_page.h"
#include "reports/html_text.h"
#include "reports/summary_view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- small writers ---- */

void html_num(FILE *out, const json_t *o, const char *key, int decimals)
{
    double v;
    if (sview_num(o, key, &v))
        fprintf(out, "%.*f", decimals, v);
    else
        fputs("-", out);
}

void html_cell_text(FILE *out, const char *s)
{
    fputs("<td>", out);
    html_put_text(out, s && s[0] ? s : "-");
    fputs("</td>", out);
}

void html_cell_num(FILE *out, const json_t *o, const char *key, int decimals)
{
    double v;
    if (sview_num(o, key, &v))
        fprintf(out, "<td class=\"n\" data-v=\"%.17g\">%.*f</td>", v, decimals, v);
    else
        fputs("<td class=\"n\" data-v=\"\">-</td>", out);
}

void html_cell_double(FILE *out, double v, int decimals)
{
    if (isfinite(v))
        fprintf(out, "<td class=\"n\" data-v=\"%.17g\">%.*f</td>", v, decimals, v);
    else
        fputs("<td class=\"n\" data-v=\"\">-</td>", out);
}

/* <table class="sortable"><thead>cols</thead><tbody> */
void html_table_open(FILE *out, const char *id, const char *const *cols, size_t n)
{
    fprintf(out, "<table class=\"sortable\" id=\"%s\"><thead><tr>", id);
    for (size_t i = 0; i < n; i++) {
        fputs("<th>", out);
        html_put_text(out, cols[i]);
        fputs("</th>", out);
    }
    fputs("</tr></thead><tbody>\n", out);
}

void html_table_close(FILE *out)
{
    fputs("</tbody></table>\n", out);
}

/* A chart: its canvas now, its spec in the data block. spec is stolen. */
int html_chart(struct html_page *p, json_t *spec, const char *title)
{
    char id[32];
    if (!spec)
        return synth_error_set(p->err, SYNTH_ENOMEM, "out of memory");
    snprintf(id, sizeof(id), "chart-%zu", json_array_size(p->charts));
    if (json_object_set_new(spec, "id", json_string(id)) ||
        json_object_set_new(spec, "title", json_string(title)) ||
        json_array_append_new(p->charts, spec))
        return synth_error_set(p->err, SYNTH_ENOMEM, "out of memory");
    fprintf(p->out, "<figure class=\"chart\"><canvas id=\"%s\" class=\"synth-chart\" width=\"720\" "
                    "height=\"300\"></canvas><figcaption>", id);
    html_put_text(p->out, title);
    fputs("</figcaption></figure>\n", p->out);
    return 0;
}

/* A chart spec: type line, bar or scatter; axis titles; labels (may be
 * NULL for scatter) and series added with html_series. */
json_t *html_chart_spec(const char *type, const char *x, const char *y, json_t *labels)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:[]}", "type", type, "x", x, "y", y, "series");
    if (c && labels && json_object_set_new(c, "labels", labels) != 0) {
        json_decref(c);
        return NULL;
    }
    if (!c)
        json_decref(labels);
    return c;
}

/* Appends a series {label, data} to spec; data is stolen. -1 on ENOMEM. */
int html_series(json_t *spec, const char *label, json_t *data)
{
    json_t *s = data ? json_pack("{s:s, s:o}", "label", label, "data", data) : NULL;
    if (!s || !spec)
        return -1;
    return json_array_append_new(json_object_get(spec, "series"), s);
}

/* Closes the last table and its section. */
static int table_section_end(FILE *o)
{
    html_table_close(o);
    fputs("</section>\n", o);
    return 0;
}

/* ---- header, verdict, findings ---- */

static int sec_header(struct html_page *p)
{
    const json_t *s = p->summary;
    const char *target = sview_str(s, "target", "?");
    const char *kind = sview_str(s, "target_kind", "");
    const char *verdict = sview_str(s, "verdict", "unknown");
    double d;
    FILE *o = p->out;

    fputs("<header>\n<p class=\"target\">target: <strong id=\"target\">", o);
    html_put_text(o, target);
    fputs("</strong>", o);
    if (strcmp(kind, "lab") == 0)
        fputs(" <span class=\"lab\">embedded lab, not a deployment</span>", o);
    else if (kind[0]) {
        fputs(" <span class=\"kind\">(", o);
        html_put_text(o, kind);
        fputs(")</span>", o);
    }
    fprintf(o, "</p>\n<p id=\"verdict\" class=\"verdict v-%s\">", verdict);
    fputs("verdict: <strong>", o);
    for (const char *c = verdict; *c; c++)
        fputc(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c, o);
    fputs("</strong> - ", o);
    html_put_text(o, sview_str(s, "reason", ""));
    fputs("</p>\n<p class=\"meta\">scenario ", o);
    html_put_text(o, sview_str(s, "scenario", "?"));
    fputs(" &middot; started ", o);
    html_put_text(o, sview_str(s, "started_at", "?"));
    if (sview_num(s, "duration_s", &d))
        fprintf(o, " &middot; %.1f s", d);
    if (sview_num(s, "workers", &d))
        fprintf(o, " &middot; %.0f workers", d);
    fputs(" &middot; synth ", o);
    html_put_text(o, sview_str(s, "version", "?"));
    fputs("</p>\n</header>\n", o);
    return 0;
}

static int severity_rank(const char *sev)
{
    static const char *const order[] = {"critical", "warning", "unknown", "info"};
    for (int i = 0; i < 4; i++)
        if (strcmp(sev, order[i]) == 0)
            return i;
    return 4;
}

static int sec_findings(struct html_page *p)
{
    const json_t *fs = json_object_get(p->summary, "findings");
    FILE *o = p->out;
    size_t n = json_array_size(fs), i;
    const json_t *f;
    double dropped;

    fputs("<section id=\"findings\"><h2>Findings</h2>\n", o);
    if (n == 0)
        fputs("<p class=\"none\">findings: none</p>\n", o);
    /* Worst first, each severity in the summary's order. */
    for (int rank = 0; rank <= 4; rank++) {
        json_array_foreach(fs, i, f) {
            const char *sev = sview_str(f, "severity", "");
            if (severity_rank(sev) != rank)
                continue;
            fprintf(o, "<div class=\"finding s-%s\"><p><span class=\"sev\">",
                    rank < 4 ? sev : "other");
            html_put_text(o, sev);
            fputs("</span> <code class=\"fid\">", o);
            html_put_text(o, sview_str(f, "id", "?"));
            fputs("</code> ", o);
            html_put_text(o, sview_str(f, "summary", ""));
            fputs("</p>\n<dl><dt>evidence</dt><dd>", o);
            html_put_text(o, sview_str(f, "evidence", "-"));
            fputs("</dd><dt>remedy</dt><dd>", o);
            html_put_text(o, sview_str(f, "remedy", "-"));
            fputs("</dd></dl></div>\n", o);
        }
    }
    if (sview_num(p->summary, "findings_dropped", &dropped) && dropped > 0)
        fprintf(o, "<p>%.0f more findings were dropped (the summary keeps a bounded number)</p>\n",
                dropped);
    fputs("</section>\n", o);
    return 0;
}

/* ---- numbers ---- */

static void pct_row(FILE *o, const char *name, const json_t *pc, int decimals)
{
    static const char *const keys[] = {"p50", "p90", "p95", "p99", "max", "count"};
    if (!json_is_object(pc))
        return;
    fputs("<tr>", o);
    html_cell_text(o, name);
    for (size_t i = 0; i < 6; i++)
        html_cell_num(o, pc, keys[i], i == 5 ? 0 : decimals);
    fputs("</tr>\n", o);
}

struct count_item {
    const char *key, *text;
};
static const struct count_item call_counts[] = {
    {"attempted", "attempted"}, {"answered", "answered"}, {"failed", "failed"},
    {"skipped", "skipped"}};
static const struct count_item media_counts[] = {
    {"media_ok", "with media"}, {"greeting_heard", "greeting heard"},
    {"connected_no_media", "connected-no-media"}};
static const struct count_item journey_counts[] = {{"started", "started"},
                                                   {"completed", "completed"}};

/* "prefix N text, N text" from the members of o. */
static void counts(FILE *o, const json_t *obj, const char *prefix, const struct count_item *it,
                   size_t n)
{
    fputs(prefix, o);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", o);
        html_num(o, obj, it[i].key, 0);
        fprintf(o, " %s", it[i].text);
    }
}

static int sec_calls(struct html_page *p)
{
    static const char *const cols[] = {"metric", "p50", "p90", "p95", "p99", "max", "count"};
    static const struct {
        const char *key, *name;
        int decimals;
    } rows[] = {
        {"setup_ms", "call setup ms", 1},        {"pdd_ms", "post-dial delay ms", 1},
        {"first_media_ms", "first media ms", 1}, {"greeting_onset_ms", "greeting onset ms", 1},
        {"loss_pct", "loss %", 2},               {"jitter_ms", "jitter ms", 2},
        {"mos", "MOS", 2},
    };
    const json_t *c = json_object_get(p->summary, "calls");
    const json_t *j = json_object_get(p->summary, "journeys");
    FILE *o = p->out;

    if (!json_is_object(c))
        return 0;
    fputs("<section id=\"calls\"><h2>Calls</h2>\n<p>", o);
    counts(o, c, "", call_counts, 4);
    if (json_object_get(c, "media_calls"))
        counts(o, c, " &middot; media: ", media_counts, 3);
    if (json_is_object(j))
        counts(o, j, " &middot; journeys: ", journey_counts, 2);
    fputs("</p>\n", o);
    html_table_open(o, "t-calls", cols, 7);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        pct_row(o, rows[i].name, json_object_get(c, rows[i].key), rows[i].decimals);
    pct_row(o, "generator lag ms",
            json_object_get(json_object_get(p->summary, "generator"), "lag_ms"), 1);
    return table_section_end(o);
}

/* A column of a table with a row per member of an object: the number at
 * key of the member (or of its sub-object sub). */
struct member_col {
    const char *head, *sub, *key;
    int decimals;
};

static void member_cells(FILE *o, const json_t *row, const struct member_col *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        html_cell_num(o, cols[i].sub ? json_object_get(row, cols[i].sub) : row, cols[i].key,
                      cols[i].decimals);
}

/* The header row: first, the columns, then last (NULL: none). */
static void member_table_open(FILE *o, const char *id, const char *first,
                              const struct member_col *cols, size_t n, const char *last)
{
    const char *heads[16];
    size_t k = 0;
    heads[k++] = first;
    for (size_t i = 0; i < n && k < 15; i++)
        heads[k++] = cols[i].head;
    if (last)
        heads[k++] = last;
    html_table_open(o, id, heads, k);
}

static int sec_steps(struct html_page *p)
{
    static const struct member_col cols[] = {
        {"attempts", NULL, "attempts", 0},  {"ok", NULL, "ok", 0},
        {"failed", NULL, "failed", 0},      {"p50 ms", "latency_ms", "p50", 1},
        {"p95 ms", "latency_ms", "p95", 1}, {"p99 ms", "latency_ms", "p99", 1},
    };
    const json_t *steps = json_object_get(p->summary, "steps");
    const char *name, *cls;
    const json_t *st, *n;
    FILE *o = p->out;

    if (!json_is_object(steps) || json_object_size(steps) == 0)
        return 0;
    fputs("<section id=\"steps\"><h2>Steps</h2>\n", o);
    member_table_open(o, "t-steps", "step", cols, sizeof(cols) / sizeof(cols[0]), "failures");
    json_object_foreach((json_t *)steps, name, st) {
        fputs("<tr>", o);
        html_cell_text(o, name);
        member_cells(o, st, cols, sizeof(cols) / sizeof(cols[0]));
        fputs("<td>", o);
        int any = 0;
        json_object_foreach((json_t *)json_object_get(st, "failures"), cls, n) {
            fputs(any++ ? ", " : "", o);
            html_put_text(o, cls);
            fprintf(o, " %.0f", json_number_value(n));
        }
        fputs(any ? "</td></tr>\n" : "-</td></tr>\n", o);
    }
    return table_section_end(o);
}

static int sec_thresholds(struct html_page *p)
{
    static const char *const cols[] = {"level", "metric", "value", "warn", "crit", "direction"};
    const json_t *ts = json_object_get(p->summary, "thresholds");
    const json_t *t;
    size_t i;
    FILE *o = p->out;

    if (json_array_size(ts) == 0)
        return 0;
    fputs("<section id=\"thresholds\"><h2>Thresholds</h2>\n", o);
    html_table_open(o, "t-thresholds", cols, 6);
    json_array_foreach(ts, i, t) {
        const char *level = sview_str(t, "level", "unknown");
        fprintf(o, "<tr class=\"l-%s\">", strcmp(level, "ok") == 0          ? "ok"
                                          : strcmp(level, "warning") == 0  ? "warning"
                                          : strcmp(level, "critical") == 0 ? "critical"
                                                                           : "unknown");
        html_cell_text(o, level);
        html_cell_text(o, sview_str(t, "metric", "?"));
        html_cell_num(o, t, "value", 2);
        html_cell_num(o, t, "warn", 2);
        html_cell_num(o, t, "crit", 2);
        html_cell_text(o, sview_str(t, "direction", ""));
        fputs("</tr>\n", o);
    }
    return table_section_end(o);
}

/* summary "paths": internal and Edge users side by side. */
static int sec_paths(struct html_page *p)
{
    static const struct member_col cols[] = {
        {"calls", "calls", "attempted", 0},
        {"answered", "calls", "answered", 0},
        {"failed", "calls", "failed", 0},
        {"success %", "calls", "success_pct", 1},
        {"with media", "calls", "media_ok", 0},
        {"greeting heard", "calls", "greeting_heard", 0},
    };
    const json_t *paths = json_object_get(p->summary, "paths");
    const char *name;
    const json_t *pj;
    FILE *o = p->out;

    if (!json_is_object(paths) || json_object_size(paths) == 0)
        return 0;
    fputs("<section id=\"paths\"><h2>Calls by access path</h2>\n", o);
    member_table_open(o, "t-paths", "path", cols, sizeof(cols) / sizeof(cols[0]),
                      "setup p95 ms");
    json_object_foreach((json_t *)paths, name, pj) {
        fputs("<tr>", o);
        html_cell_text(o, name);
        member_cells(o, pj, cols, sizeof(cols) / sizeof(cols[0]));
        html_cell_num(o, json_object_get(json_object_get(pj, "calls"), "setup_ms"), "p95", 1);
        fputs("</tr>\n", o);
    }
    return table_section_end(o);
}

static int sec_discovery(struct html_page *p)
{
    static const char *const cols[] = {"record", "query", "found", "targets", "address",
                                       "error"};
    const json_t *d = json_object_get(p->summary, "discovery");
    const json_t *r, *t;
    size_t i, k;
    FILE *o = p->out;

    if (!json_is_object(d))
        return 0;
    fputs("<section id=\"discovery\"><h2>DNS discovery of ", o);
    html_put_text(o, sview_str(d, "domain", "?"));
    fputs("</h2>\n", o);
    html_table_open(o, "t-discovery", cols, 6);
    json_array_foreach(json_object_get(d, "records"), i, r) {
        fputs("<tr>", o);
        html_cell_text(o, sview_str(r, "record", "?"));
        html_cell_text(o, sview_str(r, "query", ""));
        html_cell_text(o, json_is_true(json_object_get(r, "found")) ? "yes" : "no");
        fputs("<td>", o);
        json_array_foreach(json_object_get(r, "targets"), k, t) {
            fputs(k ? ", " : "", o);
            html_put_text(o, sview_str(t, "host", "?"));
            fputc(':', o);
            html_num(o, t, "port", 0);
        }
        fputs("</td>", o);
        html_cell_text(o, sview_str(r, "address", ""));
        html_cell_text(o, sview_str(r, "error", ""));
        fputs("</tr>\n", o);
    }
    return table_section_end(o);
}

static int sec_certificates(struct html_page *p)
{
    static const char *const cols[] = {"endpoint", "address",   "expected name", "result",
                                       "subject",  "issuer",    "not after",     "days left",
                                       "key",      "signature", "protocol"};
    static const char *const rule_cols[] = {"endpoint", "rule", "result", "summary",
                                            "evidence"};
    const json_t *certs = json_object_get(p->summary, "certificates");
    const json_t *c, *r;
    size_t i, k;
    FILE *o = p->out;
    char addr[300];

    if (!json_is_array(certs) || json_array_size(certs) == 0)
        return 0;
    fputs("<section id=\"certificates\"><h2>Certificates</h2>\n", o);
    html_table_open(o, "t-certificates", cols, 11);
    json_array_foreach(certs, i, c) {
        const json_t *leaf = json_array_get(json_object_get(c, "chain"), 0);
        double port = 0, bits = 0;
        sview_num(c, "port", &port);
        snprintf(addr, sizeof(addr), "%s:%.0f", sview_str(c, "host", "?"), port);
        fprintf(o, "<tr class=\"r-%s\">",
                strcmp(sview_str(c, "result", ""), "pass") == 0 ? "pass" : "fail");
        html_cell_text(o, sview_str(c, "endpoint", "?"));
        html_cell_text(o, addr);
        html_cell_text(o, sview_str(c, "server_name", ""));
        html_cell_text(o, sview_str(c, "result", ""));
        html_cell_text(o, sview_str(leaf, "subject", ""));
        html_cell_text(o, sview_str(leaf, "issuer", ""));
        html_cell_text(o, sview_str(leaf, "not_after", sview_str(c, "not_after", "")));
        html_cell_num(o, leaf, "days_left", 0);
        fputs("<td>", o);
        html_put_text(o, sview_str(leaf, "key_type", "-"));
        if (sview_num(leaf, "key_bits", &bits))
            fprintf(o, " %.0f", bits);
        fputs("</td>", o);
        html_cell_text(o, sview_str(leaf, "signature", ""));
        html_cell_text(o, sview_str(json_object_get(c, "probe"), "protocol", ""));
        fputs("</tr>\n", o);
    }
    html_table_close(o);
    html_table_open(o, "t-cert-rules", rule_cols, 5);
    json_array_foreach(certs, i, c) {
        json_array_foreach(json_object_get(c, "rules"), k, r) {
            const char *res = sview_str(r, "result", "");
            fprintf(o, "<tr class=\"r-%s\">", strcmp(res, "pass") == 0 ? "pass" : "fail");
            html_cell_text(o, sview_str(c, "endpoint", "?"));
            html_cell_text(o, sview_str(r, "rule", ""));
            html_cell_text(o, res);
            html_cell_text(o, sview_str(r, "summary", ""));
            html_cell_text(o, sview_str(r, "evidence", ""));
            fputs("</tr>\n", o);
        }
    }
    return table_section_end(o);
}

/* "sip-tls silent (registrar fe.example.com:5061)", "ucwa pget": one
 * survival series, as its chart legend and table row name it. */
static void survival_label(const json_t *s, char *out, size_t size)
{
    const char *hop = sview_str(s, "hop", "");
    snprintf(out, size, "%s %s%s%s%s", sview_str(s, "session", "?"), sview_str(s, "probe", ""),
             hop[0] ? " (" : "", hop, hop[0] ? ")" : "");
}

/* summary "survival": sessions held idle for growing intervals (UCWA, SIP). */
static int sec_survival(struct html_page *p)
{
    static const char *const cols[] = {"session", "estimated timeout s", "uncertainty s",
                                       "intervals", "died how", "assessment"};
    const json_t *sv = json_object_get(p->summary, "survival");
    const json_t *s, *iv;
    size_t i, k;
    FILE *o = p->out;

    if (!json_is_array(sv) || json_array_size(sv) == 0)
        return 0;
    fputs("<section id=\"survival\"><h2>Session survival</h2>\n", o);
    json_t *spec = html_chart_spec("scatter", "idle s", "survived (1) / died (0)", NULL);
    json_array_foreach(sv, i, s) {
        json_t *pts = json_array();
        json_array_foreach(json_object_get(s, "intervals"), k, iv) {
            double idle = 0;
            sview_num(iv, "idle_s", &idle);
            json_array_append_new(pts, json_pack("{s:f, s:i}", "x", idle, "y",
                                                 json_is_true(json_object_get(iv, "survived"))));
        }
        char label[160];
        survival_label(s, label, sizeof(label));
        if (html_series(spec, label, pts) != 0)
            return synth_error_set(p->err, SYNTH_ENOMEM, "out of memory");
    }
    if (json_object_set_new(spec, "stepped", json_true()) != 0)
        return synth_error_set(p->err, SYNTH_ENOMEM, "out of memory");
    int rc = html_chart(p, spec, "session survival by idle time");
    if (rc)
        return rc;
    html_table_open(o, "t-survival", cols, 6);
    json_array_foreach(sv, i, s) {
        const json_t *ivs = json_object_get(s, "intervals");
        const char *how = "";
        double est;
        json_array_foreach(ivs, k, iv) {
            if (!json_is_true(json_object_get(iv, "survived"))) {
                how = sview_str(iv, "died_how", "");
                break;
            }
        }
        char label[160];
        survival_label(s, label, sizeof(label));
        bool sip = strcmp(sview_str(s, "session", ""), "sip-tls") == 0;
        fputs("<tr>", o);
        html_cell_text(o, label);
        html_cell_num(o, s, "estimated_timeout_s", 0);
        html_cell_num(o, s, "uncertainty_s", 0);
        fprintf(o, "<td class=\"n\">%zu</td>", json_array_size(ivs));
        html_cell_text(o, how);
        /* Clients keep sessions with 960 s keep-alives: an idle timeout
         * under 1200 s signs them out (DESIGN.md, field failures). */
        if (!sview_num(s, "estimated_timeout_s", &est))
            html_cell_text(o, "survived every interval tried");
        else if (est < 1200 && sip)
            html_cell_text(o, "below 1200 s: SIP clients whose keep-alives are further apart "
                              "lose their registration; raise the SIP path's idle timeout to "
                              ">= 1200 s (1800 s preferred)");
        else if (est < 1200)
            html_cell_text(o, "below 1200 s: mobile and Mac (UCWA) users are signed out; "
                              "raise the idle timeout to >= 1200 s (1800 s preferred)");
        else
            html_cell_text(o, "at least 1200 s: clients' keep-alives hold the session");
        fputs("</tr>\n", o);
    }
    return table_section_end(o);
}

/* summary "capacity": a ramp's stages or step-until's steps, the search's
 * outcome, an early stop and whether the generator was the bottleneck. */
static int sec_capacity(struct html_page *p)
{
    static const struct member_col cols[] = {
        {"start s", NULL, "start_s", 1},        {"ran s", NULL, "ran_s", 1},
        {"target /s", NULL, "mean_target_rate", 1}, {"achieved /s", NULL, "achieved_rate", 1},
        {"calls", NULL, "calls", 0},            {"failed", NULL, "failures", 0},
        {"setup p50 ms", NULL, "setup_p50_ms", 1}, {"setup p95 ms", NULL, "setup_p95_ms", 1},
    };
    const json_t *c = json_object_get(p->summary, "capacity");
    const char *profile = sview_str(c, "profile", "constant");
    const json_t *rows = json_object_get(c, strcmp(profile, "ramp") == 0 ? "stages" : "steps");
    const json_t *r;
    size_t i;
    FILE *o = p->out;
    bool bound = json_is_true(json_object_get(c, "generator_bound"));
    const char *stop = sview_str(c, "stop_reason", "");

    if (!json_is_object(c) || (json_array_size(rows) == 0 && !bound && !stop[0]))
        return 0;
    fputs("<section id=\"capacity\"><h2>Capacity (", o);
    html_put_text(o, profile);
    fputs(")</h2>\n", o);
    if (bound)
        fputs("<p class=\"l-unknown\">The generator, not the target, was the bottleneck: the "
              "verdict is unknown (summary capacity.generator).</p>\n", o);
    if (stop[0]) {
        fputs(json_is_true(json_object_get(c, "aborted")) ? "<p>Aborted: " : "<p>Stopped: ", o);
        html_put_text(o, stop);
        fputs("</p>\n", o);
    }
    member_table_open(o, "t-capacity", strcmp(profile, "ramp") == 0 ? "stage" : "step", cols,
                      sizeof(cols) / sizeof(cols[0]), "result");
    json_array_foreach(rows, i, r) {
        const char *state = sview_str(r, "state", "?");
        fprintf(o, "<tr class=\"l-%s\">", strcmp(state, "held") == 0    ? "ok"
                                          : strcmp(state, "broke") == 0 ? "critical"
                                                                        : "unknown");
        html_cell_num(o, r, "index", 0);
        member_cells(o, r, cols, sizeof(cols) / sizeof(cols[0]));
        fputs("<td>", o);
        html_put_text(o, state);
        if (strcmp(state, "held") != 0) {
            fputs(": ", o);
            html_put_text(o, sview_str(r, "reason", ""));
        }
        fputs("</td></tr>\n", o);
    }
    return table_section_end(o);
}

/* The sections, in page order: verdict and findings first. */
static int (*const sections[])(struct html_page *) = {
    sec_header,     sec_findings, html_sec_charts, sec_calls,        sec_steps,
    sec_capacity,   sec_thresholds, sec_paths,    sec_discovery,   sec_certificates, html_sec_media,
    sec_survival,   html_sec_worst,
};

/* ---- the page ---- */

static const char page_css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}"
    "header{border-bottom:2px solid #888;margin-bottom:1em}"
    ".target{font-size:1.6em;margin:.2em 0}.lab{background:#fd0;padding:0 .4em;font-size:.6em}"
    ".verdict{font-size:1.3em;padding:.3em .6em;border-radius:4px}"
    ".v-ok{background:#d4f4d4}.v-warning{background:#fff1b8}.v-critical{background:#ffd0d0}"
    ".v-unknown{background:#e0e0ff}.meta{color:#555}"
    ".finding{border-left:6px solid #888;padding:.2em .8em;margin:.6em 0;background:#f7f7f7}"
    ".s-critical{border-color:#c00}.s-warning{border-color:#e90}.s-unknown{border-color:#66c}"
    ".s-info{border-color:#999}.sev{font-weight:bold;text-transform:uppercase}"
    "dl{margin:.2em 0}dt{font-weight:bold;float:left;width:6em}dd{margin-left:6.5em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
    "th{background:#eee;cursor:pointer}td.n{text-align:right}"
    "th[aria-sort=ascending]::after{content:' \\25B2'}"
    "th[aria-sort=descending]::after{content:' \\25BC'}"
    ".l-warning td,.r-fail td{background:#fff6d8}.l-critical td{background:#ffe4e4}"
    ".chart{display:inline-block;margin:.5em 1em .5em 0}figcaption{text-align:center}"
    ".note{color:#a40}";

/* The page's own script: sortable tables (a click on a header; the URL
 * fragment #sort=TABLE:COLUMN[:desc] sorts one on opening, so a sorted view
 * can be linked), then the charts. Every canvas
 * gets data-drawn = the number of painted pixels sampled after Chart.js
 * drew it, which a headless browser's --dump-dom shows (the test reads it). */
static const char page_js[] =
    "(function(){'use strict';\n"
    "function key(td){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;"
    "var n=parseFloat(v);return v!==''&&isFinite(v)?n:String(v).toLowerCase();}\n"
    "document.querySelectorAll('table.sortable th').forEach(function(th){"
    "th.addEventListener('click',function(){var t=th.closest('table'),b=t.tBodies[0],c=th.cellIndex;"
    "var d=th.getAttribute('aria-sort')==='ascending'?-1:1;"
    "t.querySelectorAll('th').forEach(function(o){o.removeAttribute('aria-sort');});"
    "th.setAttribute('aria-sort',d>0?'ascending':'descending');"
    "var r=Array.prototype.slice.call(b.rows);r.sort(function(x,y){var p=key(x.cells[c]),q=key(y.cells[c]);"
    "if(typeof p!==typeof q){p=String(p);q=String(q);}return(p<q?-1:p>q?1:0)*d;});"
    "r.forEach(function(x){b.appendChild(x);});});});\n"
    "var m=/^#sort=([\\w-]+):(\\d+)(:desc)?$/.exec(location.hash);if(m){"
    "var h=document.querySelectorAll('#'+m[1]+' th')[+m[2]];if(h){h.click();if(m[3])h.click();}}\n"
    "var data=JSON.parse(document.getElementById('synth-data').textContent);\n"
    "if(typeof Chart==='undefined'){var n=document.getElementById('charts-note');"
    "if(n)n.hidden=false;return;}\n"
    "var pal=['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#17becf'];\n"
    "function painted(el){var d=el.getContext('2d').getImageData(0,0,el.width,el.height).data,"
    "k=0;for(var i=3;i<d.length;i+=16)if(d[i])k++;return k;}\n"
    "data.charts.forEach(function(c){var el=document.getElementById(c.id);if(!el)return;"
    "var ds=c.series.map(function(s,i){var col=pal[i%pal.length];return{label:s.label,data:s.data,"
    "borderColor:col,backgroundColor:c.type==='bar'?col+'c0':col,borderWidth:1.5,"
    "pointRadius:c.type==='line'?0:3,showLine:c.type!=='scatter'||!!c.stepped,stepped:!!c.stepped};});\n"
    "var cfg={type:c.type,data:{datasets:ds},options:{animation:false,responsive:false,"
    "normalized:true,interaction:{mode:'nearest',intersect:false},"
    "plugins:{legend:{display:ds.length>1}},scales:{"
    "x:{type:c.type==='scatter'?'linear':'category',title:{display:true,text:c.x},stacked:!!c.stacked},"
    "y:{beginAtZero:true,title:{display:true,text:c.y},stacked:!!c.stacked}}}};\n"
    "if(c.labels)cfg.data.labels=c.labels;\n"
    "new Chart(el,cfg);el.setAttribute('data-drawn',String(painted(el)));});\n"
    "document.body.setAttribute('data-charts',String(data.charts.length));\n"
    "})();\n";

/* Chart.js inline. "</script" cannot occur in a script element's text: it
 * is written "<\/script" (the same string to JavaScript). Unreadable: the
 * page says so and renders without charts. */
static int put_chartjs(struct html_page *p, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;
    int rc = 0;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
        goto missing;
    buf = malloc((size_t)len + 1);
    if (!buf) {
        rc = synth_error_set(p->err, SYNTH_ENOMEM, "out of memory reading %s", path);
        goto out;
    }
    if (fread(buf, 1, (size_t)len, f) != (size_t)len)
        goto missing;
    buf[len] = '\0';
    fputs("<script>\n", p->out);
    for (long i = 0; i < len; i++) {
        if (buf[i] == '<' && i + 1 < len && buf[i + 1] == '/' && i + 7 < len &&
            strncasecmp(buf + i + 2, "script", 6) == 0)
            fputs("<\\", p->out);
        else
            fputc(buf[i], p->out);
    }
    fputs("\n</script>\n", p->out);
    goto out;
missing:
    fputs("<p class=\"note\">charts unavailable: Chart.js not readable at ", p->out);
    html_put_text(p->out, path);
    fputs(" (Debian package libjs-chart.js); the tables below are complete</p>\n", p->out);
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

/* DIR/events.jsonl into p->events when there is one. */
static int read_events(struct html_page *p, const struct html_inputs *in)
{
    char path[4096];
    double start_ms = 0, duration = 0;

    if (!in->dir)
        return 0;
    snprintf(path, sizeof(path), "%s/events.jsonl", in->dir);
    if (access(path, F_OK) != 0)
        return 0;
    sview_num(p->summary, "started_at_ms", &start_ms);
    sview_num(p->summary, "duration_s", &duration);
    p->events = html_events_new((int64_t)start_ms, duration, in->worst_n);
    if (!p->events)
        return synth_error_set(p->err, SYNTH_ENOMEM, "out of memory");
    return html_events_read(p->events, path, p->err);
}

int html_write(FILE *out, const json_t *summary, const struct html_inputs *in,
               struct synth_error *err)
{
    struct html_page p = {.out = out, .summary = summary, .dir = in->dir, .err = err};
    const char *chartjs = in->chartjs ? in->chartjs : getenv("SYNTH_CHARTJS");
    json_t *data = NULL;
    int rc;

    p.charts = json_array();
    if (!p.charts)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    rc = read_events(&p, in);
    if (rc)
        goto out;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>synth: ", out);
    html_put_text(out, sview_str(summary, "target", "?"));
    fputs(" - ", out);
    html_put_text(out, sview_str(summary, "verdict", "unknown"));
    fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n", page_css);
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        rc = sections[i](&p);
        if (rc)
            goto out;
    }
    if (p.events && p.events->read.truncated)
        fprintf(out, "<p class=\"note\">events.jsonl: the last line (%zu) was cut short (the run "
                     "was killed while writing it); skipped</p>\n", p.events->read.truncated_line);
    data = json_pack("{s:O}", "charts", p.charts);
    if (!data) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
        goto out;
    }
    rc = html_put_json_script(out, "synth-data", data, err);
    if (rc)
        goto out;
    rc = put_chartjs(&p, chartjs && chartjs[0] ? chartjs : HTML_CHARTJS_PATH);
    if (rc)
        goto out;
    fprintf(out, "<script>\n%s</script>\n</body></html>\n", page_js);
out:
    json_decref(data);
    json_decref(p.charts);
    html_events_free(p.events);
    return rc;
}

int html_write_dir(FILE *out, const json_t *summary, const char *dir, struct synth_error *err)
{
    const struct html_inputs in = {.dir = dir};
    return html_write(out, summary, &in, err);
}
