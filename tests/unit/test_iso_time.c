/* ISO 8601 / RFC 3339 times read back: UTC, offsets, fractions; zoneless,
 * out-of-range and other formats refused. */
#include "reports/iso_time.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_parse(void **state)
{
    double t;
    (void)state;
    assert_int_equal(iso_time_parse("1970-01-01T00:00:00Z", &t), 0);
    assert_true(t == 0);
    assert_int_equal(iso_time_parse("2027-01-31T12:00:00Z", &t), 0);
    assert_true(t == 1801396800);
    assert_int_equal(iso_time_parse("2027-01-31T10:30:00-01:30", &t), 0);
    assert_true(t == 1801396800);
    assert_int_equal(iso_time_parse("2027-01-31T12:00:00.25Z", &t), 0);
    assert_true(t == 1801396800.25);
    assert_int_equal(iso_time_parse("2027-01-31T12:00:00", &t), SYNTH_EINVAL);
    assert_int_equal(iso_time_parse("2027-13-31T12:00:00Z", &t), SYNTH_EINVAL);
    assert_int_equal(iso_time_parse("2027-01-31T12:00:00Zjunk", &t), SYNTH_EINVAL);
    assert_int_equal(iso_time_parse("Jan 31 12:00:00 2027 GMT", &t), SYNTH_EINVAL);
    assert_int_equal(iso_time_parse(NULL, &t), SYNTH_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
