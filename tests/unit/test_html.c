/* The HTML report: peers' texts stay inert (no "</script>" or markup gets
 * out of its place), sections appear exactly when their summary keys do,
 * Chart.js is inlined or its absence said, and the worst calls are chosen
 * and ordered right from events.jsonl. */
#include "reports/html.h"
#include "reports/html_events.h"
#include "reports/html_text.h"
#include "reports/html_worst.h"

#include "summary_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define EVIL "</script><img src=x onerror=alert(1)><!--"

struct tmpdir {
    char path[64];
};

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void tmpdir_make(struct tmpdir *t)
{
    snprintf(t->path, sizeof(t->path), "/tmp/test_html.XXXXXX");
    assert_non_null(mkdtemp(t->path));
}

static void tmpdir_remove(struct tmpdir *t)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->path);
    assert_int_equal(system(cmd), 0);
}

static char *render(const json_t *doc, const char *dir, const char *chartjs, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    struct synth_error err = {{0}};
    struct html_inputs in = {.dir = dir, .chartjs = chartjs};
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    *rc = html_write(out, doc, &in, &err);
    if (*rc)
        fprintf(stderr, "html_write: %s\n", err.msg);
    fclose(out);
    return buf;
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* One call event line; detail and reason may be hostile. */
static void call_line(char *buf, size_t size, int user, double setup, double mos, bool failed,
                      const char *call_id, const char *reason)
{
    snprintf(buf, size,
             "{\"ts\":\"2026-12-02T20:37:1%d.861Z\",\"user\":%d,\"user_uri\":\"sip:u%d@x\","
             "\"via\":\"internal\",\"step\":\"call\",\"step_index\":1,\"outcome\":\"%s\","
             "%s\"duration_ms\":10,\"start_lag_ms\":0.1,\"sip_status\":200,\"sip_reason\":"
             "\"%s\",\"call_id\":\"%s\",\"setup_ms\":%g,\"pdd_ms\":%g,\"answered\":true,"
             "\"media\":{\"flowed\":%s,\"mos\":%g,\"loss_pct\":0,\"jitter_ms\":1.5,"
             "\"first_media_ms\":20,\"audio_file\":\"audio/%s.wav\"}}\n",
             user % 3, user, user, failed ? "failed" : "ok",
             failed ? "\"class\":\"connected-no-media\",\"detail\":\"no media " EVIL "\"," : "",
             reason, call_id, setup, setup, failed ? "false" : "true", mos, call_id);
}

/* Escaping: a reason phrase and a finding carrying "</script><img ...>"
 * stay text; the only closing script tags are the page's own. */
static void test_escaping(void **state)
{
    struct tmpdir t;
    char line[2048];
    int rc;
    json_t *doc = summary_fixture();

    (void)state;
    tmpdir_make(&t);
    json_object_set_new(json_array_get(json_object_get(doc, "findings"), 0), "evidence",
                        json_string("SIP 403 " EVIL));
    call_line(line, sizeof(line), 1, 900, 1.2, true, "abc", "OK " EVIL);
    write_file(t.path, "events.jsonl", line);
    char *page = render(doc, t.path, "/nonexistent/chart.js", &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(page, "<img"));
    assert_null(strstr(page, "<!--"));
    /* The JSON data block and the page's script: two closing tags. */
    assert_int_equal(count(page, "</script>"), 2);
    assert_non_null(strstr(page, "SIP 403 &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(page, "200 OK &lt;/script&gt;&lt;img"));
    /* Quotes in the target are escaped where it is named. */
    assert_non_null(strstr(page, "<strong id=\"target\">pool &quot;A&quot;\\B</strong>"));

    /* The same texts inside the JSON data block: \u003c, never a raw "<". */
    const char *data = strstr(page, "id=\"synth-data\">");
    assert_non_null(data);
    const char *end = strstr(data, "</script>");
    for (const char *p = data + strlen("id=\"synth-data\">"); p < end; p++)
        assert_int_not_equal(*p, '<');
    free(page);
    tmpdir_remove(&t);
    json_decref(doc);
}

static void test_json_script_escapes(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    struct synth_error err = {{0}};
    json_t *doc = json_pack("{s:s}", "a", "</script> & <b>");
    FILE *out = open_memstream(&buf, &len);

    (void)state;
    assert_int_equal(html_put_json_script(out, "d", doc, &err), 0);
    fclose(out);
    assert_string_equal(buf, "<script type=\"application/json\" id=\"d\">"
                             "{\"a\":\"\\u003c/script\\u003e \\u0026 \\u003cb\\u003e\"}"
                             "</script>\n");
    free(buf);
    json_decref(doc);
}

/* Sections by summary keys: certificates and findings from the fixture;
 * paths, discovery and survival only once added; no per-call sections
 * without events.jsonl. */
static void test_sections(void **state)
{
    int rc;
    json_t *doc = summary_fixture();

    (void)state;
    char *page = render(doc, NULL, "/nonexistent/chart.js", &rc);
    assert_int_equal(rc, 0);
    /* Verdict and findings before any chart. */
    char *verdict = strstr(page, "id=\"verdict\""), *findings = strstr(page, "id=\"findings\"");
    char *charts = strstr(page, "id=\"charts\"");
    assert_non_null(verdict);
    assert_non_null(findings);
    assert_non_null(charts);
    assert_true(verdict < findings && findings < charts);
    assert_non_null(strstr(page, "verdict: <strong>CRITICAL</strong>"));
    /* Critical before warning before info, whatever the summary's order. */
    char *crit = strstr(page, "register.auth-refused"), *warn = strstr(page, "threshold.setup_ms");
    char *info = strstr(page, "run.interrupted");
    assert_true(crit && warn && info && crit < warn && warn < info);
    assert_non_null(strstr(page, "id=\"certificates\""));
    assert_non_null(strstr(page, "id=\"steps\""));
    assert_non_null(strstr(page, "id=\"thresholds\""));
    assert_null(strstr(page, "id=\"paths\""));
    assert_null(strstr(page, "id=\"discovery\""));
    assert_null(strstr(page, "id=\"survival\""));
    assert_null(strstr(page, "id=\"worst\""));
    assert_null(strstr(page, "id=\"media\""));
    assert_non_null(strstr(page, "charts unavailable: Chart.js not readable at /nonexistent"));
    /* From the timeline (it has a call): two charts; failures by class: a third. */
    assert_non_null(strstr(page, "id=\"chart-2\""));
    assert_null(strstr(page, "id=\"chart-3\""));
    free(page);

    json_error_t jerr;
    json_object_set_new(doc, "paths",
                        json_loads("{\"internal\": {\"calls\": {\"attempted\": 2}},"
                                   " \"edge\": {\"calls\": {\"attempted\": 3}}}", 0, &jerr));
    json_object_set_new(doc, "discovery",
                        json_loads("{\"domain\": \"x.test\", \"records\": [{\"record\": "
                                   "\"sipinternaltls\", \"found\": false}]}", 0, &jerr));
    json_object_set_new(doc, "survival",
                        json_loads("[{\"session\": \"ucwa\", \"intervals\": ["
                                   "{\"idle_s\": 300, \"survived\": true},"
                                   "{\"idle_s\": 600, \"survived\": false, \"died_how\": \"504\"}],"
                                   " \"estimated_timeout_s\": 450, \"uncertainty_s\": 150}]",
                                   0, &jerr));
    page = render(doc, NULL, "/nonexistent/chart.js", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(page, "id=\"paths\""));
    assert_non_null(strstr(page, "<td>edge</td>"));
    assert_non_null(strstr(page, "DNS discovery of x.test"));
    assert_non_null(strstr(page, "id=\"survival\""));
    assert_non_null(strstr(page, "below 1200 s"));
    assert_non_null(strstr(page, "session survival by idle time"));
    free(page);
    json_decref(doc);
}

/* Chart.js is inlined with "</script" written "<\/script". */
static void test_chartjs_inlined(void **state)
{
    struct tmpdir t;
    char path[128];
    int rc;
    json_t *doc = summary_fixture();

    (void)state;
    tmpdir_make(&t);
    write_file(t.path, "chart.js", "var Chart = 1; var s = '</SCRIPT>';\n");
    snprintf(path, sizeof(path), "%s/chart.js", t.path);
    char *page = render(doc, NULL, path, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(page, "var Chart = 1; var s = '<\\/SCRIPT>';"));
    assert_null(strstr(page, "charts unavailable: Chart.js not readable"));
    free(page);
    tmpdir_remove(&t);
    json_decref(doc);
}

/* Worst calls: the slowest setups first, the lowest MOS among calls whose
 * media flowed, failed steps in file order; each table capped; links to a
 * trace only when the file is there. */
static void test_worst_calls(void **state)
{
    struct tmpdir t;
    char line[2048], id[32];
    int rc;
    json_t *doc = summary_fixture();
    FILE *f;

    (void)state;
    tmpdir_make(&t);
    snprintf(line, sizeof(line), "%s/events.jsonl", t.path);
    f = fopen(line, "w");
    assert_non_null(f);
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof(id), "call%02d", i);
        call_line(line, sizeof(line), i, 100 + (i * 37) % 40, 3.0 + (i % 10) / 10.0, i == 7, id,
                  "OK");
        fputs(line, f);
    }
    /* Of no use to the page: left unparsed. A failed hangup is parsed. */
    fputs("{\"ts\":\"2026-12-02T20:37:11.000Z\",\"step\":\"hangup\",\"step_index\":2,"
          "\"outcome\":\"ok\",\"duration_ms\":1}\n", f);
    fputs("{\"ts\":\"2026-12-02T20:37:11.000Z\",\"step\":\"hangup\",\"step_index\":2,"
          "\"outcome\":\"failed\",\"class\":\"timeout\",\"duration_ms\":1}\n", f);
    fclose(f);
    mkdir(strcat(strcpy(line, t.path), "/traces"), 0755);
    write_file(t.path, "traces/call07.txt", "INVITE ...");
    mkdir(strcat(strcpy(line, t.path), "/audio"), 0755);
    write_file(t.path, "audio/call07.wav", "RIFF");

    struct html_events *e = html_events_new(1796243830000, 10, 5);
    struct synth_error err = {{0}};
    assert_non_null(e);
    snprintf(line, sizeof(line), "%s/events.jsonl", t.path);
    assert_int_equal(html_events_read(e, line, &err), 0);
    const struct html_worst *w = &e->worst;
    assert_int_equal(w->n[HTML_WORST_SETUP], 5);
    /* setup = 100 + (37 i mod 40): 139 at i = 27, 138 at i = 14, ... */
    assert_string_equal(w->rows[HTML_WORST_SETUP][0].call_id, "call27");
    assert_true(w->rows[HTML_WORST_SETUP][0].setup_ms == 139);
    for (size_t i = 1; i < 5; i++)
        assert_true(w->rows[HTML_WORST_SETUP][i - 1].setup_ms >=
                    w->rows[HTML_WORST_SETUP][i].setup_ms);
    /* MOS 3.0 at i = 0, 10, 20, 30; call 7 failed with no media: not ranked. */
    assert_int_equal(w->n[HTML_WORST_MOS], 5);
    assert_true(w->rows[HTML_WORST_MOS][0].mos == 3.0);
    assert_string_equal(w->rows[HTML_WORST_MOS][0].call_id, "call00");
    assert_true(w->rows[HTML_WORST_MOS][4].mos == 3.1);
    for (size_t i = 0; i < 5; i++)
        assert_string_not_equal(w->rows[HTML_WORST_MOS][i].call_id, "call07");
    assert_int_equal(w->n[HTML_WORST_FAILED], 2);
    assert_string_equal(w->rows[HTML_WORST_FAILED][0].klass, "connected-no-media");
    assert_string_equal(w->rows[HTML_WORST_FAILED][1].klass, "timeout");
    assert_int_equal(e->read.skipped, 1);
    assert_int_equal(e->read.events, 41);
    /* 40 calls in the seconds 10, 11 and 12 after a start at :10.000. */
    assert_int_equal(e->calls, 40);
    assert_int_equal(e->width_s, 1);
    assert_int_equal(e->n, 3);
    assert_int_equal(e->b[0].started + e->b[1].started + e->b[2].started, 40);
    assert_int_equal(e->b[0].failed + e->b[1].failed + e->b[2].failed, 1);
    html_events_free(e);

    char *page = render(doc, t.path, "/nonexistent/chart.js", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(page, "id=\"worst\""));
    assert_non_null(strstr(page, "id=\"media\""));
    /* In the failed table, and among the 25 slowest setups too. */
    assert_int_equal(count(page, "<a href=\"traces/call07.txt\">SIP trace</a>"), 2);
    assert_null(strstr(page, "traces/call27.txt"));
    assert_int_equal(count(page, "<a href=\"audio/call07.wav\">audio</a>"), 2);
    assert_null(strstr(page, "audio/call27.wav"));
    free(page);
    tmpdir_remove(&t);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),         cmocka_unit_test(test_json_script_escapes),
        cmocka_unit_test(test_sections),         cmocka_unit_test(test_chartjs_inlined),
        cmocka_unit_test(test_worst_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
