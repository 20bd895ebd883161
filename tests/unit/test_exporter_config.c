/* Unit tests: the exporter's configuration: names, defaults, limits, the
 * basic-auth secret from env:, tls_server_config, and the line and key of
 * each error. */
#include "synth/config/exporter_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int parse(struct exporter_config *c, const char *text, struct synth_error *err)
{
    return exporter_config_load_buffer(c, "/etc/synth/ex.yaml", text, strlen(text), err);
}

static void loads(void **state)
{
    static struct exporter_config c;
    struct synth_error err = {{0}};
    setenv("SYNTH_TEST_EX_PW", "pw-secret", 1);
    if (parse(&c, "modules:\n  voicemail: {scenario: scenarios/voicemail.yaml}\n"
                  "targets:\n  prod: {target: /t/prod.yaml}\n  lab: {lab: true}\n"
                  "limits: {concurrency: 4, min_interval: 2m}\n"
                  "basic_auth: {user: prom, password: env:SYNTH_TEST_EX_PW}\n",
              &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(c.module_count, 1);
    assert_string_equal(c.modules[0].scenario, "/etc/synth/scenarios/voicemail.yaml");
    assert_int_equal(c.target_count, 2);
    assert_true(c.targets[1].lab);
    assert_string_equal(exporter_target_find(&c, "prod")->path, "/t/prod.yaml");
    assert_null(exporter_target_find(&c, "10.0.0.1"));
    assert_non_null(exporter_module_find(&c, "voicemail"));
    assert_int_equal(c.concurrency, 4);
    assert_int_equal(c.min_interval_ms, 120000);
    assert_int_equal(c.timeout_ms, 60000); /* the default */
    assert_string_equal(c.user, "prom");
    assert_string_equal(c.password, "pw-secret");
    exporter_config_free(&c);
    assert_null(c.password);
}

/* Files the loader can read wherever the test runs. */
#define READABLE "/dev/null"

static const char tls_base[] = "modules: {v: {scenario: a.yaml}}\ntargets: {x: {lab: true}}\n"
                               "tls_server_config: {cert_file: " READABLE ", key_file: " READABLE;

/* tls_server_config with these extra keys must load; c is freed by the caller. */
static void tls_loads(struct exporter_config *c, const char *extra)
{
    struct synth_error err = {{0}};
    char text[512];
    snprintf(text, sizeof(text), "%s%s}\n", tls_base, extra);
    if (parse(c, text, &err) != 0)
        fail_msg("%s: %s", extra, err.msg);
}

static void tls(void **state)
{
    static struct exporter_config c;
    struct synth_error err = {{0}};

    tls_loads(&c, "");
    assert_string_equal(c.tls.cert_file, READABLE);
    assert_int_equal(c.tls.client_auth, EXPORTER_CLIENT_NONE);
    assert_false(c.tls.tls13_only);
    exporter_config_free(&c);
    /* A CA alone means its clients are required. */
    tls_loads(&c, ", client_ca_file: " READABLE ", min_version: TLS13");
    assert_int_equal(c.tls.client_auth, EXPORTER_CLIENT_REQUIRE);
    assert_true(c.tls.tls13_only);
    exporter_config_free(&c);
    tls_loads(&c, ", client_ca_file: " READABLE ", client_auth_type: VerifyClientCertIfGiven");
    assert_int_equal(c.tls.client_auth, EXPORTER_CLIENT_VERIFY_IF_GIVEN);
    exporter_config_free(&c);
    /* No TLS section: plain HTTP. */
    if (parse(&c, "modules: {v: {scenario: a.yaml}}\ntargets: {x: {lab: true}}\n", &err) != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(c.tls.cert_file, "");
    exporter_config_free(&c);
}

static void errors(void **state)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"targets: {lab: {lab: true}}\n", "/etc/synth/ex.yaml:1: modules: missing (required)"},
        {"modules: {v: {scenario: a.yaml}}\ntargets: {'a b': {lab: true}}\n",
         "/etc/synth/ex.yaml:2: targets: keys must be plain words"},
        {"modules: {v: {scenario: a.yaml}}\ntargets: {x: {lab: true, target: t.yaml}}\n",
         "/etc/synth/ex.yaml:2: targets.x.target: a target is either lab: true or a target file"},
        {"modules: {v: {scenario: a.yaml}}\ntargets: {x: {lab: true}}\nlimits: {timeout: 0}\n",
         "/etc/synth/ex.yaml:3: limits.timeout: must be more than 0 (every wait has a deadline)"},
        {"modules: {v: {scenario: a.yaml}}\ntargets: {x: {lab: true}}\n"
         "tls_server_config: {key_file: " READABLE "}\n",
         "/etc/synth/ex.yaml:3: tls_server_config.cert_file: missing (required)"},
        {"modules: {v: {scenario: a.yaml}}\ntargets: {x: {lab: true}}\n"
         "tls_server_config:\n  cert_file: /nonexistent/s.pem\n  key_file: " READABLE "\n",
         "/etc/synth/ex.yaml:4: tls_server_config.cert_file: /nonexistent/s.pem: cannot be read"},
        {"modules: {v: {scenario: a.yaml}}\ntargets: {x: {lab: true}}\n"
         "tls_server_config: {cert_file: " READABLE ", key_file: " READABLE
         ", client_auth_type: RequestClientCert, client_ca_file: " READABLE "}\n",
         "/etc/synth/ex.yaml:3: tls_server_config.client_auth_type: expected NoClientCert, "
         "VerifyClientCertIfGiven or RequireAndVerifyClientCert"},
        {"modules: {v: {scenario: a.yaml}}\ntargets: {x: {lab: true}}\n"
         "tls_server_config: {cert_file: " READABLE ", key_file: " READABLE
         ", client_auth_type: NoClientCert, client_ca_file: " READABLE "}\n",
         "/etc/synth/ex.yaml:3: tls_server_config.client_auth_type: client_ca_file is given, "
         "but NoClientCert would never use it"},
        {"modules: {v: {scenario: a.yaml}}\ntargets: {x: {lab: true}}\n"
         "tls_server_config: {cert_file: " READABLE ", key_file: " READABLE
         ", min_version: TLS11}\n",
         "/etc/synth/ex.yaml:3: tls_server_config.min_version: expected TLS12 or TLS13"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        static struct exporter_config c;
        struct synth_error err = {{0}};
        int rc = parse(&c, cases[i].text, &err);
        if (rc == 0 || strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu: rc %d\n  got:  %s\n  want: %s", i, rc, err.msg, cases[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads),
        cmocka_unit_test(tls),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
