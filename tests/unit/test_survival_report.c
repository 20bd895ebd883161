/* Unit tests: summary.json "survival" and proxy-idle-timeout-short from
 * simulated outcomes of UCWA and SIP TLS probes, one series per probe kind
 * and hop, the SIP finding naming its hop. */
#include "reports/survival_report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define FE "registrar fe.lab.synth.test:5061"
#define EDGE "edge sip.lab.synth.test:443"

static void add(struct survival_log *l, enum survival_probe p, uint32_t idle_s, bool survived,
                const char *how, const char *hop)
{
    struct survival_outcome o = {.probe = p, .idle_s = idle_s, .survived = survived};
    snprintf(o.died_how, sizeof(o.died_how), "%s", how);
    snprintf(o.hop, sizeof(o.hop), "%s", hop);
    assert_int_equal(survival_log_add(l, &o), 0);
}

static void fill(struct survival_log *l)
{
    survival_log_init(l);
    add(l, SURVIVAL_IDLE, 900, true, "", "");
    add(l, SURVIVAL_IDLE, 1200, false, "closed", "");
    /* The registrar's path cuts idle connections at 6 s; keep-alives hold it. */
    add(l, SURVIVAL_SIP_SILENT, 5, true, "", FE);
    add(l, SURVIVAL_SIP_SILENT, 7, false, "reset", FE);
    add(l, SURVIVAL_SIP_SILENT, 9, false, "reset", FE);
    add(l, SURVIVAL_SIP_KEEPALIVE, 9, true, "", FE);
    l->o[l->n - 1].pongs = 4;
    /* The Edge's path is healthy. */
    add(l, SURVIVAL_SIP_SILENT, 9, true, "", EDGE);
}

static const json_t *series(const json_t *a, const char *probe, const char *hop)
{
    size_t i;
    const json_t *x;
    json_array_foreach(a, i, x) {
        const json_t *h = json_object_get(x, "hop");
        if (strcmp(json_string_value(json_object_get(x, "probe")), probe) == 0 &&
            (hop ? h && strcmp(json_string_value(h), hop) == 0 : !h))
            return x;
    }
    return NULL;
}

static void series_per_probe_and_hop(void **state)
{
    struct survival_log l;
    fill(&l);
    json_t *a = survival_json(&l);
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 4);
    const json_t *u = series(a, "idle", NULL);
    assert_non_null(u);
    assert_string_equal(json_string_value(json_object_get(u, "session")), "ucwa");
    const json_t *fe = series(a, "silent", FE);
    assert_non_null(fe);
    assert_string_equal(json_string_value(json_object_get(fe, "session")), "sip-tls");
    assert_true(json_real_value(json_object_get(fe, "estimated_timeout_s")) == 6.0);
    assert_true(json_real_value(json_object_get(fe, "uncertainty_s")) == 1.0);
    const json_t *iv = json_object_get(fe, "intervals");
    assert_int_equal(json_array_size(iv), 3);
    const json_t *died = json_array_get(iv, 1);
    assert_int_equal(json_integer_value(json_object_get(died, "idle_s")), 7);
    assert_false(json_boolean_value(json_object_get(died, "survived")));
    assert_string_equal(json_string_value(json_object_get(died, "died_how")), "reset");
    const json_t *edge = series(a, "silent", EDGE);
    assert_non_null(edge);
    assert_true(json_is_null(json_object_get(edge, "estimated_timeout_s")));
    const json_t *ka = series(a, "keepalive", FE);
    assert_non_null(ka);
    assert_true(json_is_null(json_object_get(ka, "estimated_timeout_s")));
    assert_int_equal(json_integer_value(json_object_get(ka, "pongs")), 4);
    assert_null(json_object_get(fe, "pongs")); /* silent probes send no ping */
    json_decref(a);
    survival_log_free(&l);
}

static void finding_names_the_sip_hop(void **state)
{
    struct survival_log l;
    fill(&l);
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(survival_findings_evaluate(&v, &l), 0);
    assert_int_equal(v.n, 2); /* UCWA idle and the registrar's silent path; not the Edge */
    const struct finding *sip = NULL;
    for (size_t i = 0; i < v.n; i++) {
        assert_string_equal(v.findings[i].id, "proxy-idle-timeout-short");
        if (strstr(v.findings[i].evidence, "sip-tls"))
            sip = &v.findings[i];
    }
    assert_non_null(sip);
    assert_non_null(strstr(sip->evidence, "SIP TLS path (hop: " FE ")"));
    assert_non_null(strstr(sip->evidence, "estimated idle timeout 6.0 s +/- 1.0 s"));
    assert_non_null(strstr(sip->evidence, "died at 7 s: reset"));
    assert_non_null(strstr(sip->evidence, ">= 1200 s, 1800 s preferred"));
    verdict_free(&v);
    survival_log_free(&l);
}

static void nothing_probed(void **state)
{
    struct survival_log l;
    survival_log_init(&l);
    json_t *j = survival_json(&l);
    assert_true(json_is_null(j));
    json_decref(j);
}

/* survival_json read back gives the same document: every series, interval,
 * count, hop and the pongs. */
static void reads_back_what_it_wrote(void **state)
{
    struct survival_log l, back;
    struct synth_error err = {{0}};
    fill(&l);
    survival_log_init(&back);
    json_t *a = survival_json(&l);
    assert_int_equal(survival_log_from_json(a, &back, &err), 0);
    json_t *again = survival_json(&back);
    assert_true(json_equal(a, again));
    assert_int_equal(back.n, l.n);
    json_decref(a);
    json_decref(again);
    survival_log_free(&l);
    survival_log_free(&back);
}

/* Two shards' series merged: the estimate comes from the merged intervals
 * (longest survivor 600 s of shard B, shortest death 800 s of shard A:
 * 700 s), not from the shards' estimates averaged (600 s and 900 s). */
static void merged_shards_estimate_again(void **state)
{
    struct survival_log a, b, m;
    struct synth_error err = {{0}};
    struct verdict v;
    survival_log_init(&a);
    survival_log_init(&b);
    survival_log_init(&m);
    add(&a, SURVIVAL_PGET, 400, true, "", "");
    add(&a, SURVIVAL_PGET, 800, false, "proxy-504", "");
    add(&b, SURVIVAL_PGET, 600, true, "", "");
    add(&b, SURVIVAL_PGET, 1200, false, "proxy-504", "");
    json_t *ja = survival_json(&a), *jb = survival_json(&b);
    assert_int_equal(survival_log_from_json(ja, &m, &err), 0);
    assert_int_equal(survival_log_from_json(jb, &m, &err), 0);
    assert_int_equal(survival_log_from_json(json_null(), &m, &err), 0); /* a shard without */
    json_t *jm = survival_json(&m);
    const json_t *pget = series(jm, "pget", NULL);
    assert_non_null(pget);
    assert_float_equal(json_real_value(json_object_get(pget, "estimated_timeout_s")), 700, 0.001);
    assert_int_equal(json_array_size(json_object_get(pget, "intervals")), 4);
    verdict_init(&v);
    assert_int_equal(survival_findings_evaluate(&v, &m), 0);
    assert_int_equal(v.n, 1);
    assert_non_null(strstr(v.findings[0].evidence, "estimated idle timeout 700.0 s"));
    verdict_free(&v);
    json_decref(ja);
    json_decref(jb);
    json_decref(jm);
    survival_log_free(&a);
    survival_log_free(&b);
    survival_log_free(&m);
}

static void refuses_what_it_did_not_write(void **state)
{
    static const char *const bad[] = {
        "{}",
        "[{\"probe\": \"ping\", \"intervals\": []}]",
        "[{\"probe\": \"idle\"}]",
        "[{\"probe\": \"idle\", \"intervals\": [{\"idle_s\": 5, \"probes\": 1, "
        "\"survived_count\": 2}]}]",
        "[{\"probe\": \"idle\", \"intervals\": [{\"idle_s\": -1, \"probes\": 1, "
        "\"survived_count\": 1}]}]",
        "[{\"probe\": \"idle\", \"intervals\": [{\"idle_s\": 5, \"probes\": 99999, "
        "\"survived_count\": 1}]}]",
        "[{\"probe\": \"keepalive\", \"pongs\": -3, \"intervals\": []}]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct survival_log l;
        struct synth_error err = {{0}};
        json_t *j = json_loads(bad[i], 0, NULL);
        assert_non_null(j);
        survival_log_init(&l);
        if (survival_log_from_json(j, &l, &err) != SYNTH_EPARSE)
            fail_msg("case %zu accepted: %s", i, bad[i]);
        assert_non_null(strstr(err.msg, "survival"));
        survival_log_free(&l);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(series_per_probe_and_hop),
        cmocka_unit_test(finding_names_the_sip_hop),
        cmocka_unit_test(nothing_probed),
        cmocka_unit_test(reads_back_what_it_wrote),
        cmocka_unit_test(merged_shards_estimate_again),
        cmocka_unit_test(refuses_what_it_did_not_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
