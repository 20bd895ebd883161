/* Unit tests: the exporter's configuration: names, defaults, limits, the
 * basic-auth secret from env:, and the line and key of each error. */
#include "synth/config/exporter_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
