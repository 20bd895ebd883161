/* Unit tests: string views, the bounded string builder and error messages. */
#include "synth/base/err.h"
#include "synth/base/sbuf.h"
#include "synth/base/strv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void strv_compare_and_trim(void **state)
{
    struct strv v = strv_trim(strv_from_cstr(" \t Hello\r\n "));
    assert_int_equal(v.l, 5);
    assert_true(strv_eq(v, "Hello"));
    assert_false(strv_eq(v, "hello"));
    assert_true(strv_caseeq(v, "hELLO"));
    assert_false(strv_caseeq(v, "Hell"));
    assert_false(strv_eq(STRV_NULL, ""));
    assert_true(strv_caseeq_strv(strv_from_cstr("ab"), strv_from_cstr("AB")));
}

static void strv_numbers(void **state)
{
    uint32_t n = 0;
    assert_int_equal(strv_to_u32(strv_from_cstr("4294967295"), &n), 0);
    assert_int_equal(n, 4294967295u);
    assert_int_equal(strv_to_u32(strv_from_cstr("4294967296"), &n), SYNTH_EPARSE);
    assert_int_equal(strv_to_u32(strv_from_cstr("12a"), &n), SYNTH_EPARSE);
    assert_int_equal(strv_to_u32(strv_from_cstr(""), &n), SYNTH_EPARSE);
    assert_int_equal(strv_to_u32(strv_from_cstr("-1"), &n), SYNTH_EPARSE);
}

static void strv_copies(void **state)
{
    char small[4];
    assert_int_equal(strv_copy(strv_from_cstr("abc"), small, sizeof(small)), 0);
    assert_string_equal(small, "abc");
    assert_int_equal(strv_copy(strv_from_cstr("abcd"), small, sizeof(small)), SYNTH_ETOOBIG);
    assert_string_equal(small, "abc");
    char *d = strv_dup(strv_make("xyz!", 3));
    assert_string_equal(d, "xyz");
    free(d);
}

static void sbuf_bounds(void **state)
{
    char buf[8];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    sbuf_printf(&sb, "%d-%s", 12, "ab");
    assert_int_equal(sbuf_result(&sb), 0);
    assert_string_equal(buf, "12-ab");
    sbuf_puts(&sb, "toolong");
    assert_int_equal(sbuf_result(&sb), SYNTH_ETOOBIG);
    /* What fitted stays, terminated. */
    assert_string_equal(buf, "12-ab");
    sbuf_init(&sb, buf, sizeof(buf));
    sbuf_put(&sb, "1234567", 7);
    assert_int_equal(sbuf_result(&sb), 0);
    sbuf_put(&sb, "8", 1);
    assert_int_equal(sbuf_result(&sb), SYNTH_ETOOBIG);
}

static void error_messages(void **state)
{
    struct synth_error e;
    int rc = synth_error_set(&e, SYNTH_ECONFIG, "%s:%d: %s: bad", "t.yaml", 3, "registrar.port");
    assert_int_equal(rc, SYNTH_ECONFIG);
    assert_string_equal(e.msg, "t.yaml:3: registrar.port: bad");
    assert_int_equal(synth_error_set(NULL, SYNTH_EIO, "x"), SYNTH_EIO);
    for (int c = 0; c >= SYNTH_EINTERNAL; c--)
        assert_string_not_equal(synth_strerror(c), "unknown error");
    assert_string_equal(synth_strerror(-999), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strv_compare_and_trim), cmocka_unit_test(strv_numbers),
        cmocka_unit_test(strv_copies),           cmocka_unit_test(sbuf_bounds),
        cmocka_unit_test(error_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
