/* A summary.json document for the report writers' tests: a critical run
 * with texts that need escaping in every format (quotes, <, &, |, line
 * feeds, commas) and a register histogram recorded in-test. */
#ifndef SYNTH_TESTS_SUMMARY_FIXTURE_H
#define SYNTH_TESTS_SUMMARY_FIXTURE_H

#include "reports/summary.h"
#include "synth/metrics/histogram.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char summary_fixture_text[] =
    "{\"schema\": 1, \"version\": \"0.1.0\", \"target\": \"pool \\\"A\\\"\\\\B\","
    " \"target_kind\": \"deployment\", \"scenario\": \"vm, short\","
    " \"started_at\": \"2026-12-02T20:37:17.861Z\", \"started_at_ms\": 1796243837861,"
    " \"duration_s\": 2.5, \"workers\": 1, \"verdict\": \"critical\", \"exit_code\": 2,"
    " \"reason\": \"register: 3 of 4 refused <403> & \\\"locked\\\" | see log\","
    " \"calls\": {\"attempted\": 1, \"answered\": 1, \"failed\": 0, \"skipped\": 3, \"ok\": 1,"
    "   \"media_calls\": 1, \"media_ok\": 1, \"greeting_heard\": 0, \"connected_no_media\": 0,"
    "   \"first_media_ms\": {\"count\": 1, \"p50\": 20, \"p90\": 20, \"p95\": 20, \"p99\": 20,"
    "     \"max\": 20, \"mean\": 20},"
    "   \"loss_pct\": {\"count\": 1, \"p50\": 1.5, \"p90\": 1.5, \"p95\": 1.5, \"p99\": 1.5,"
    "     \"max\": 1.5, \"mean\": 1.5},"
    "   \"mos\": {\"count\": 0, \"p50\": null, \"p90\": null, \"p95\": null, \"p99\": null,"
    "     \"max\": null, \"mean\": null},"
    "   \"media_policy\": {\"port_checked\": 1, \"port_out_of_range\": 1}},"
    " \"steps\": {"
    "   \"register\": {\"attempts\": 4, \"ok\": 1, \"failed\": 3, \"success_pct\": 25,"
    "     \"latency_ms\": {\"count\": 4, \"mean\": 2.5}, \"failures\": {\"auth-refused\": 3}},"
    "   \"call\": {\"attempts\": 1, \"ok\": 1, \"failed\": 0, \"success_pct\": 100,"
    "     \"latency_ms\": {\"count\": 1, \"mean\": 1000}, \"failures\": {}}},"
    " \"thresholds\": ["
    "   {\"metric\": \"setup_ms.p95\", \"warn\": 1500, \"crit\": 3000, \"value\": 1800,"
    "    \"level\": \"warning\", \"direction\": \"above-is-bad\", \"line\": 10},"
    "   {\"metric\": \"call_success_pct\", \"warn\": 99.5, \"crit\": 98, \"value\": 100,"
    "    \"level\": \"ok\", \"direction\": \"below-is-bad\", \"line\": 11},"
    "   {\"metric\": \"mos.p50\", \"warn\": 4, \"crit\": 3.6, \"value\": null,"
    "    \"level\": \"unknown\", \"direction\": \"below-is-bad\", \"error\": \"no-data\","
    "    \"line\": 12}],"
    " \"findings\": ["
    "   {\"id\": \"register.auth-refused\", \"severity\": \"critical\", \"level\": \"critical\","
    "    \"summary\": \"register: 3 of 4 refused <403> & \\\"locked\\\" | see log\","
    "    \"evidence\": \"first: user 0\\nthen user 1\", \"remedy\": \"check 'passwords'\"},"
    "   {\"id\": \"threshold.setup_ms.p95\", \"severity\": \"warning\", \"level\": \"warning\","
    "    \"summary\": \"setup_ms.p95 is above its warning threshold\","
    "    \"evidence\": \"1800 ms > 1500\", \"remedy\": \"\", \"value\": 1800},"
    "   {\"id\": \"generator.saturated\", \"severity\": \"warning\", \"level\": \"unknown\","
    "    \"summary\": \"the generator itself fell behind\", \"evidence\": \"p99 300 ms\","
    "    \"remedy\": \"more workers\"},"
    "   {\"id\": \"run.interrupted\", \"severity\": \"info\", \"level\": \"ok\","
    "    \"summary\": \"the run was stopped early\", \"evidence\": \"signal 2\","
    "    \"remedy\": \"\"}],"
    " \"findings_dropped\": 0,"
    " \"certificates\": ["
    "   {\"endpoint\": \"um.lab:5061\", \"subject_cn\": \"um\","
    "    \"not_after\": \"2027-01-31T12:00:00Z\"},"
    "   {\"endpoint\": \"fe \\\"x\\\"\", \"not_after\": \"2027-01-31T13:00:00.5+01:00\"},"
    "   {\"endpoint\": \"bad\", \"not_after\": \"soon\"},"
    "   {\"not_after\": \"2027-01-31T12:00:00Z\"}],"
    " \"timeline\": ["
    "   {\"t\": 0, \"started\": 2, \"skipped\": 0, \"calls\": 1, \"answered\": 1, \"failed\": 1,"
    "    \"ok\": 2, \"setup_p95_ms\": 1.5},"
    "   {\"t\": 1, \"started\": 2, \"skipped\": 1, \"calls\": 0, \"answered\": 0, \"failed\": 2,"
    "    \"ok\": 0, \"setup_p95_ms\": null}],"
    " \"histograms\": {\"unit\": \"us\", \"sub_bits\": 7, \"range_bits\": 36, \"steps\": {}}}";

/* The register step took 500 µs, 900 µs, 1 ms exactly and 2 s; the call 3 s. */
static inline json_t *summary_fixture(void)
{
    json_error_t jerr;
    json_t *doc = json_loads(summary_fixture_text, JSON_REJECT_DUPLICATES, &jerr);
    struct hist *h = malloc(sizeof(*h));
    if (!doc || !h) {
        fprintf(stderr, "fixture: %d:%d: %s\n", jerr.line, jerr.column, jerr.text);
        abort();
    }
    json_t *steps = json_object_get(json_object_get(doc, "histograms"), "steps");
    hist_init(h);
    hist_record(h, 500);
    hist_record(h, 900);
    hist_record(h, 1000);
    hist_record(h, 2000000);
    json_object_set_new(steps, "register", summary_hist_json(h));
    hist_init(h);
    hist_record(h, 3000000);
    json_object_set_new(steps, "call", summary_hist_json(h));
    free(h);
    return doc;
}

/* What a writer wrote into memory, NUL-terminated; caller frees. */
static inline char *
summary_fixture_render(int (*fn)(FILE *, const json_t *, struct synth_error *),
                       const json_t *doc, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    struct synth_error err = {{0}};
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        abort();
    *rc = fn(out, doc, &err);
    fclose(out);
    return buf;
}

/* True when text holds line as a whole line (LF or CRLF ended). */
static inline int summary_fixture_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || (p[n] == '\r' && p[n + 1] == '\n')))
            return 1;
    return 0;
}

#define assert_line(text, line)                                                          \
    do {                                                                                 \
        if (!summary_fixture_has_line(text, line))                                       \
            fail_msg("line not found: %s\n--- in ---\n%s", line, text);                  \
    } while (0)

#endif
