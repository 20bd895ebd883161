/* Unit tests: the lab relay's stateless nonces (synth/lab/turn_nonce). */
#include "synth/lab/turn_nonce.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void fresh_stale_foreign(void **state)
{
    struct turn_nonce_key k, other;
    char n[TURN_NONCE_LEN + 1];
    (void)state;
    assert_int_equal(turn_nonce_key_init(&k), 0);
    assert_int_equal(turn_nonce_key_init(&other), 0);
    assert_int_equal(turn_nonce_make(&k, 1000000, n), 0);
    assert_int_equal(strlen(n), TURN_NONCE_LEN);
    struct strv v = strv_from_cstr(n);
    assert_int_equal(turn_nonce_check(&k, v, 1000000, 5000), TURN_NONCE_FRESH);
    assert_int_equal(turn_nonce_check(&k, v, 1005000, 5000), TURN_NONCE_FRESH);
    assert_int_equal(turn_nonce_check(&k, v, 1005001, 5000), TURN_NONCE_STALE);
    /* Another run's secret, a time from the future, a changed digit, a cut. */
    assert_int_equal(turn_nonce_check(&other, v, 1000000, 5000), TURN_NONCE_FOREIGN);
    assert_int_equal(turn_nonce_check(&k, v, 999999, 5000), TURN_NONCE_FOREIGN);
    char t[TURN_NONCE_LEN + 1];
    memcpy(t, n, sizeof(t));
    t[3] = t[3] == '0' ? '1' : '0';
    assert_int_equal(turn_nonce_check(&k, strv_from_cstr(t), 1000000, 5000), TURN_NONCE_FOREIGN);
    assert_int_equal(turn_nonce_check(&k, strv_make(n, TURN_NONCE_LEN - 1), 1000000, 5000),
                     TURN_NONCE_FOREIGN);
    assert_int_equal(turn_nonce_check(&k, strv_make("", 0), 1000000, 5000), TURN_NONCE_FOREIGN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(fresh_stale_foreign)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
