/* Unit tests: the lab's stateless nonces (synth/lab/lab_nonce), as the
 * relay uses them (no random bytes) and as the Front End does (8). */
#include "synth/lab/lab_nonce.h"

#include "synth/base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void fresh_stale_foreign(size_t rand_bytes)
{
    struct lab_nonce_key k, other;
    char n[LAB_NONCE_MAX + 1];
    const size_t len = LAB_NONCE_LEN(rand_bytes);
    assert_int_equal(lab_nonce_key_init(&k), 0);
    assert_int_equal(lab_nonce_key_init(&other), 0);
    assert_int_equal(lab_nonce_make(&k, 1000000, rand_bytes, n, sizeof(n)), 0);
    assert_int_equal(strlen(n), len);
    struct strv v = strv_from_cstr(n);
    assert_int_equal(lab_nonce_check(&k, v, rand_bytes, 1000000, 5000), LAB_NONCE_FRESH);
    assert_int_equal(lab_nonce_check(&k, v, rand_bytes, 1005000, 5000), LAB_NONCE_FRESH);
    assert_int_equal(lab_nonce_check(&k, v, rand_bytes, 1005001, 5000), LAB_NONCE_STALE);
    /* Another run's secret, a time from the future, a changed digit (in the
     * time, and in the random part when there is one), a cut. */
    assert_int_equal(lab_nonce_check(&other, v, rand_bytes, 1000000, 5000), LAB_NONCE_FOREIGN);
    assert_int_equal(lab_nonce_check(&k, v, rand_bytes, 999999, 5000), LAB_NONCE_FOREIGN);
    char t[LAB_NONCE_MAX + 1];
    for (size_t at = 3; at < 16 + 2 * rand_bytes; at += 16) {
        memcpy(t, n, sizeof(t));
        t[at] = t[at] == '0' ? '1' : '0';
        assert_int_equal(lab_nonce_check(&k, strv_from_cstr(t), rand_bytes, 1000000, 5000),
                         LAB_NONCE_FOREIGN);
    }
    assert_int_equal(lab_nonce_check(&k, strv_make(n, len - 1), rand_bytes, 1000000, 5000),
                     LAB_NONCE_FOREIGN);
    assert_int_equal(lab_nonce_check(&k, strv_make("", 0), rand_bytes, 1000000, 5000),
                     LAB_NONCE_FOREIGN);
    lab_nonce_key_clear(&k);
    assert_int_equal(lab_nonce_check(&k, v, rand_bytes, 1000000, 5000), LAB_NONCE_FOREIGN);
}

static void relay_nonces(void **state)
{
    (void)state;
    assert_int_equal(LAB_NONCE_LEN(0), 48);
    fresh_stale_foreign(0);
}

static void digest_nonces(void **state)
{
    (void)state;
    assert_int_equal(LAB_NONCE_LEN(8), 64);
    fresh_stale_foreign(8);
    /* Two made in the same millisecond differ by their random part. */
    struct lab_nonce_key k;
    char a[LAB_NONCE_LEN(8) + 1], b[LAB_NONCE_LEN(8) + 1];
    assert_int_equal(lab_nonce_key_init(&k), 0);
    assert_int_equal(lab_nonce_make(&k, 42, 8, a, sizeof(a)), 0);
    assert_int_equal(lab_nonce_make(&k, 42, 8, b, sizeof(b)), 0);
    assert_memory_equal(a, b, 16);
    assert_string_not_equal(a, b);
    /* A nonce checked as the other kind is foreign (its length). */
    assert_int_equal(lab_nonce_check(&k, strv_from_cstr(a), 0, 42, 5000), LAB_NONCE_FOREIGN);
}

static void bad_arguments(void **state)
{
    (void)state;
    struct lab_nonce_key k;
    char small[LAB_NONCE_LEN(0)];
    char big[LAB_NONCE_MAX + 2];
    assert_int_equal(lab_nonce_key_init(&k), 0);
    assert_int_equal(lab_nonce_make(&k, 1, 0, small, sizeof(small)), SYNTH_EINVAL);
    assert_int_equal(lab_nonce_make(&k, 1, LAB_NONCE_RAND_MAX + 1, big, sizeof(big)),
                     SYNTH_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relay_nonces),
        cmocka_unit_test(digest_nonces),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
