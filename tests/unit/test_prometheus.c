/* The Prometheus writer: exact samples and escaping, cumulative buckets at
 * the fixed bounds from the exact histogram, sections left out when their
 * keys are absent, certificates' expiry. */
#include "reports/prometheus.h"

#include "summary_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_samples(void **state)
{
    json_t *doc = summary_fixture();
    int rc;
    char *t = summary_fixture_render(prometheus_write, doc, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_line(t, "# HELP synth_probe_success 1 when the verdict is ok or warning, 0 when "
                   "critical or unknown.");
    assert_line(t, "# TYPE synth_probe_success gauge");
    assert_line(t, "synth_probe_success 0");
    assert_line(t, "synth_verdict_code 2");
    assert_line(t, "synth_probe_duration_seconds 2.5");
    assert_line(t, "synth_run_start_timestamp_seconds 1796243837.861");
    /* Label values escape \, " (and line feeds). */
    assert_line(t, "synth_run_info{target=\"pool \\\"A\\\"\\\\B\",target_kind=\"deployment\","
                   "scenario=\"vm, short\",version=\"0.1.0\"} 1");
    assert_line(t, "# TYPE synth_calls_total counter");
    assert_line(t, "synth_calls_total{outcome=\"ok\"} 1");
    assert_line(t, "synth_calls_total{outcome=\"skipped\"} 3");
    assert_line(t, "synth_step_attempts_total{step=\"register\"} 4");
    assert_line(t, "synth_step_failures_total{step=\"register\",class=\"auth-refused\"} 3");
    assert_line(t, "synth_finding{id=\"register.auth-refused\",severity=\"critical\"} 1");
    assert_line(t, "synth_finding{id=\"run.interrupted\",severity=\"info\"} 1");
    /* Media in base units: ms to seconds, % to a ratio; no quantiles without data. */
    assert_line(t, "synth_media_first_media_seconds{quantile=\"0.95\"} 0.02");
    assert_line(t, "synth_media_loss_ratio{quantile=\"0.5\"} 0.015");
    assert_line(t, "synth_media_port_out_of_range_total 1");
    assert_line(t, "synth_media_mos_count 0");
    assert_null(strstr(t, "synth_media_mos{"));
    /* Keys absent from the summary give no series. */
    assert_null(strstr(t, "synth_media_jitter_seconds"));
    assert_null(strstr(t, "synth_call_setup_seconds"));
    free(t);
    json_decref(doc);
}

static void test_histogram_buckets(void **state)
{
    json_t *doc = summary_fixture();
    int rc;
    char *t = summary_fixture_render(prometheus_write, doc, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_line(t, "# TYPE synth_step_duration_seconds histogram");
    /* 500 µs, 900 µs and exactly 1 ms: the 1 ms value's bucket ends at 1003 µs,
     * so it counts from the next bound (the documented 1/128 resolution). */
    assert_line(t, "synth_step_duration_seconds_bucket{step=\"register\",le=\"0.001\"} 2");
    assert_line(t, "synth_step_duration_seconds_bucket{step=\"register\",le=\"0.0025\"} 3");
    assert_line(t, "synth_step_duration_seconds_bucket{step=\"register\",le=\"1\"} 3");
    assert_line(t, "synth_step_duration_seconds_bucket{step=\"register\",le=\"2.5\"} 4");
    assert_line(t, "synth_step_duration_seconds_bucket{step=\"register\",le=\"+Inf\"} 4");
    assert_line(t, "synth_step_duration_seconds_sum{step=\"register\"} 2.0024");
    assert_line(t, "synth_step_duration_seconds_count{step=\"register\"} 4");
    /* Below the largest value every bound counts all: exact. */
    assert_line(t, "synth_step_duration_seconds_bucket{step=\"call\",le=\"2.5\"} 0");
    assert_line(t, "synth_step_duration_seconds_bucket{step=\"call\",le=\"5\"} 1");
    /* One HELP/TYPE for the family, then every step's samples. */
    const char *first = strstr(t, "# TYPE synth_step_duration_seconds");
    assert_null(strstr(first + 1, "# TYPE synth_step_duration_seconds"));
    free(t);
    json_decref(doc);
}

static void test_certificates(void **state)
{
    json_t *doc = summary_fixture();
    int rc;
    char *t = summary_fixture_render(prometheus_write, doc, &rc);

    (void)state;
    assert_line(t, "synth_cert_expiry_timestamp_seconds{endpoint=\"um.lab:5061\"} 1801396800");
    assert_line(t, "synth_cert_expiry_timestamp_seconds{endpoint=\"fe \\\"x\\\"\"} 1801396800.5");
    /* Unreadable not_after, no endpoint: left out. */
    assert_null(strstr(t, "endpoint=\"bad\""));
    free(t);
    /* No "certificates": no family at all. */
    json_object_del(doc, "certificates");
    t = summary_fixture_render(prometheus_write, doc, &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(t, "synth_cert_expiry"));
    free(t);
    json_decref(doc);
}

static void test_corrupt_histogram(void **state)
{
    json_t *doc = summary_fixture();
    json_t *reg = json_object_get(json_object_get(json_object_get(doc, "histograms"), "steps"),
                                  "register");
    int rc;

    (void)state;
    json_object_set_new(reg, "count", json_integer(99)); /* disagrees with the buckets */
    char *t = summary_fixture_render(prometheus_write, doc, &rc);
    assert_int_equal(rc, SYNTH_EPARSE);
    free(t);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_certificates),
        cmocka_unit_test(test_corrupt_histogram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
