/* Unit tests: a target's web: section (synth/config/target_web.h): the two
 * sites, their URLs, TLS trust, the probe deadline, and errors that name
 * file, line and key. */
#include "synth/config/target.h"
#include "synth/config/target_web.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define HEAD                                                                                 \
    "name: x\nsip_domain: contoso.com\nregistrar: {host: 127.0.0.1, transport: udp}\n"        \
    "users: {pattern: \"sip:u{n}@contoso.com\", count: 1, password: pw}\n"

static int load(struct target *t, const char *yaml, struct synth_error *err)
{
    return target_load_buffer(t, "/etc/synth/t.yaml", yaml, strlen(yaml), 0, err);
}

static void test_both_sites(void **state)
{
    struct target t;
    struct synth_error err = {{0}};
    int rc = load(&t,
                  HEAD "web:\n  timeout: 2s\n  internal:\n    fqdn: pool01.contoso.com\n"
                       "    urls: [\"https://pool01.contoso.com/\",\n"
                       "           \"http://pool01.contoso.com:80/\"]\n"
                       "    tls: {ca_file: ca.pem}\n"
                       "  external:\n    fqdn: webext.contoso.com\n"
                       "    urls: [\"https://pool01.contoso.com:4443/\"]\n"
                       "    tls: {verify: false}\n",
                  &err);
    assert_int_equal(rc, 0);
    assert_true(t.web.enabled);
    assert_int_equal(t.web.timeout_ms, 2000);
    const struct target_web_site_cfg *in = &t.web.sites[TARGET_WEB_INTERNAL];
    const struct target_web_site_cfg *ex = &t.web.sites[TARGET_WEB_EXTERNAL];
    assert_true(in->listed && ex->listed);
    assert_string_equal(in->fqdn, "pool01.contoso.com");
    assert_int_equal(in->url_count, 2);
    assert_string_equal(in->urls[1], "http://pool01.contoso.com:80/");
    assert_string_equal(in->tls.ca_file, "/etc/synth/ca.pem"); /* beside the file */
    assert_true(in->tls.verify);
    assert_false(ex->tls.verify);
    assert_int_equal(ex->url_count, 1);
    assert_string_equal(target_web_site_name(TARGET_WEB_EXTERNAL), "external");
    target_free(&t);
}

static void test_absent_and_defaults(void **state)
{
    struct target t;
    struct synth_error err = {{0}};
    assert_int_equal(load(&t, HEAD, &err), 0);
    assert_false(t.web.enabled);
    target_free(&t);
    assert_int_equal(load(&t, HEAD "web:\n  external: {urls: [\"https://h:4443\"]}\n", &err), 0);
    assert_true(t.web.enabled);
    assert_int_equal(t.web.timeout_ms, TARGET_WEB_TIMEOUT_MS);
    assert_false(t.web.sites[TARGET_WEB_INTERNAL].listed);
    assert_string_equal(t.web.sites[TARGET_WEB_EXTERNAL].fqdn, "");
    target_free(&t);
}

static void test_errors(void **state)
{
    static const struct {
        const char *yaml, *msg;
    } cases[] = {
        {"web:\n  timeout: 5s\n",
         "/etc/synth/t.yaml:6: web: name the internal: and/or external: site"},
        {"web:\n  intranet: {urls: [\"https://h/\"]}\n",
         "/etc/synth/t.yaml:6: web: unknown key 'intranet' (accepted: timeout, internal, external)"},
        {"web:\n  internal: {fqdn: h}\n", "/etc/synth/t.yaml:6: web.internal.urls: missing (required)"},
        {"web:\n  internal: {urls: []}\n",
         "/etc/synth/t.yaml:6: web.internal.urls: expected a list of URLs (https://host:443/, "
         "http://host:80/)"},
        {"web:\n  internal:\n    urls: [\"https://h/\", \"ftp://h/\"]\n",
         "/etc/synth/t.yaml:7: web.internal.urls[1]: expected an https:// or http:// URL with a host"},
        {"web:\n  internal:\n    urls: [\"https:///x\"]\n",
         "/etc/synth/t.yaml:7: web.internal.urls[0]: expected an https:// or http:// URL with a host"},
        {"web:\n  timeout: 0s\n  internal: {urls: [\"https://h/\"]}\n",
         "/etc/synth/t.yaml:6: web.timeout: expected more than 0 and at most 60s"},
        {"web:\n  timeout: 2m\n  internal: {urls: [\"https://h/\"]}\n",
         "/etc/synth/t.yaml:6: web.timeout: expected more than 0 and at most 60s"},
        {"web:\n  external:\n    urls: [\"https://h/\"]\n    tls: {server_name: webext}\n",
         "/etc/synth/t.yaml:8: web.external.tls: only ca_file and verify here (the site's name is "
         "fqdn:)"},
        {"web:\n  external:\n    urls: [\"https://h/\"]\n    tls: {client_cert: c.pem}\n",
         "/etc/synth/t.yaml:8: web.external.tls: client_cert and client_key go together"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char yaml[1024];
        struct target t;
        struct synth_error err = {{0}};
        snprintf(yaml, sizeof(yaml), HEAD "%s", cases[i].yaml);
        assert_int_equal(load(&t, yaml, &err), SYNTH_ECONFIG);
        if (strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu:\n got  %s\n want %s", i, err.msg, cases[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_sites),
        cmocka_unit_test(test_absent_and_defaults),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
