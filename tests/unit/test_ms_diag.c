/* The ms-diagnostics parser and catalogue: header forms real servers send,
 * bad ones refused, the ranges, and every explanation within its bound. */
#include "synth/sip/ms_diag.h"

#include "synth/base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static struct strv S(const char *s)
{
    return strv_from_cstr(s);
}

static void parses_code_reason_source(void **state)
{
    (void)state;
    struct ms_diag d;
    assert_int_equal(ms_diag_parse(S("1003;reason=\"User does not exist\";source=\"pool.contoso.com\""),
                                   &d), 0);
    assert_int_equal(d.code, 1003);
    assert_int_equal(d.sub, 0);
    assert_true(strv_eq(d.reason, "User does not exist"));
    assert_true(strv_eq(d.source, "pool.contoso.com"));
    /* ms-diagnostics-public: no source; a sub code; extra attributes. */
    assert_int_equal(ms_diag_parse(S(" 4003.2 ;reason=\"From URI not enabled for remote access\";"
                                     "appName=\"x\""), &d), 0);
    assert_int_equal(d.code, 4003);
    assert_int_equal(d.sub, 2);
    assert_int_equal(d.source.l, 0);
    assert_int_equal(ms_diag_parse(S("15000"), &d), 0);
    assert_int_equal(d.code, 15000);
}

static void refuses_what_is_not_one(void **state)
{
    (void)state;
    struct ms_diag d;
    assert_int_equal(ms_diag_parse(S(""), &d), SYNTH_EPARSE);
    assert_int_equal(ms_diag_parse(S("abc;reason=\"x\""), &d), SYNTH_EPARSE);
    assert_int_equal(ms_diag_parse(S("1003x;reason=\"x\""), &d), SYNTH_EPARSE);
    assert_int_equal(ms_diag_parse(S("1003.;reason=\"x\""), &d), SYNTH_EPARSE);
    assert_int_equal(ms_diag_parse(S("4294967296999"), &d), SYNTH_EPARSE);
    char out[MS_DIAG_EXPLAIN_MAX] = "x";
    ms_diag_explain(S("not a code"), out, sizeof(out));
    assert_string_equal(out, "");
}

static void components_by_range(void **state)
{
    (void)state;
    assert_string_equal(ms_diag_component(1010), "SIP stack (Front End, Director, Edge)");
    assert_string_equal(ms_diag_component(9001), "media relay authentication (MRAS)");
    assert_string_equal(ms_diag_component(15030), "Exchange UM");
    assert_string_equal(ms_diag_component(52001), "unknown component");
}

static void explains_known_and_unknown(void **state)
{
    (void)state;
    char out[MS_DIAG_EXPLAIN_MAX];
    ms_diag_explain(S("4003;reason=\"From URI not enabled for remote access\""), out, sizeof(out));
    assert_non_null(strstr(out, "user services: the user is not enabled for remote access ("));
    assert_non_null(strstr(out, "external access policy"));
    ms_diag_explain(S("15099;reason=\"whatever\""), out, sizeof(out));
    assert_string_equal(out, "Exchange UM");
    /* Cut, never overrun, in a small buffer. */
    char small[16];
    ms_diag_explain(S("1003"), small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void every_entry_fits_its_bound(void **state)
{
    (void)state;
    for (uint32_t code = 0; code < 20000; code++) {
        const struct ms_diag_entry *e = ms_diag_lookup(code);
        if (!e)
            continue;
        assert_int_equal(e->code, code);
        size_t n = strlen(ms_diag_component(code)) + strlen(e->meaning) + strlen(e->remedy) + 6;
        if (n > MS_DIAG_EXPLAIN_MAX) {
            fprintf(stderr, "code %u explains in %zu bytes\n", code, n);
            fail();
        }
    }
    assert_non_null(ms_diag_lookup(1003));
    assert_null(ms_diag_lookup(999999));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_code_reason_source), cmocka_unit_test(refuses_what_is_not_one),
        cmocka_unit_test(components_by_range),       cmocka_unit_test(explains_known_and_unknown),
        cmocka_unit_test(every_entry_fits_its_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
