/* um-cert-breaks-edge-media: only cause and symptom together make it, and
 * its evidence names the endpoint, the CN seen, the FQDN and the counts. */
#include "reports/edge_media_findings.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const struct um_cert_seen BAD_UM = {
    .endpoint = "um 127.0.0.1:5065",
    .cn_seen = "um01",
    .fqdn = "um.lab.synth.test",
    .fqdn_in_san = true,
    .cn_ok = false,
};

static const struct um_cert_seen GOOD_UM = {
    .endpoint = "um 127.0.0.1:5065",
    .cn_seen = "um.lab.synth.test",
    .fqdn = "um.lab.synth.test",
    .fqdn_in_san = true,
    .cn_ok = true,
};

static const struct edge_media_counts EDGE_DEAD = {
    .edge_calls = 10,
    .edge_no_media = 10,
    .edge_ice_failed = 10,
    .have_internal = true,
    .internal_calls = 10,
    .internal_greeting = 10,
};

static void linked_finding_names_both_halves(void **state)
{
    (void)state;
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(edge_media_findings_add(&v, &BAD_UM, 1, &EDGE_DEAD), 0);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.level, VERDICT_CRITICAL);
    assert_string_equal(v.findings[0].id, "um-cert-breaks-edge-media");
    const char *e = v.findings[0].evidence;
    assert_non_null(strstr(e, "UM endpoint um 127.0.0.1:5065"));
    assert_non_null(strstr(e, "Subject CN=um01, expected um.lab.synth.test"));
    assert_non_null(strstr(e, "only in the SAN list"));
    assert_non_null(strstr(e, "10 of 10 Edge calls connected-no-media (10 with no ICE"));
    assert_non_null(strstr(e, "10 of 10 heard the greeting"));
    assert_non_null(strstr(v.findings[0].remedy, "Subject CN"));
    verdict_free(&v);
}

static void no_finding_without_both(void **state)
{
    (void)state;
    struct verdict v;
    struct edge_media_counts healthy = EDGE_DEAD;
    healthy.edge_no_media = 0;
    healthy.edge_ice_failed = 0;
    verdict_init(&v);
    /* The certificate is wrong but Edge media flowed: the cert finding alone. */
    assert_int_equal(edge_media_findings_add(&v, &BAD_UM, 1, &healthy), 0);
    /* Edge media failed but the certificate is right: another cause. */
    assert_int_equal(edge_media_findings_add(&v, &GOOD_UM, 1, &EDGE_DEAD), 0);
    /* No UM endpoint checked: nothing to link. */
    assert_int_equal(edge_media_findings_add(&v, NULL, 0, &EDGE_DEAD), 0);
    assert_int_equal(v.n, 0);
    assert_int_equal(v.level, VERDICT_OK);
    verdict_free(&v);
}

static void second_um_of_a_pool_counts(void **state)
{
    (void)state;
    struct verdict v;
    struct um_cert_seen pool[2] = {GOOD_UM, BAD_UM};
    struct edge_media_counts edge_only = EDGE_DEAD;
    edge_only.have_internal = false;
    snprintf(pool[1].endpoint, sizeof(pool[1].endpoint), "um2 10.0.0.6:5061");
    pool[1].cn_seen[0] = '\0';
    pool[1].fqdn_in_san = false;
    verdict_init(&v);
    assert_int_equal(edge_media_findings_add(&v, pool, 2, &edge_only), 0);
    assert_int_equal(v.n, 1);
    const char *e = v.findings[0].evidence;
    assert_non_null(strstr(e, "UM endpoint um2 10.0.0.6:5061 presents Subject CN=(none)"));
    assert_null(strstr(e, "SAN list"));
    assert_null(strstr(e, "control"));
    verdict_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linked_finding_names_both_halves),
        cmocka_unit_test(no_finding_without_both),
        cmocka_unit_test(second_um_of_a_pool_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
