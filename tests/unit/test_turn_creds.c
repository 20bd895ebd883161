/* Unit tests: the lab relay's credential table (synth/lab/turn_creds):
 * the long-term key, replacing, removing, expiry, bounds. */
#include "synth/lab/turn_creds.h"

#include "synth/base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void add_find_replace_remove(void **state)
{
    static struct turn_creds t;
    uint8_t want[STUN_LONG_TERM_KEY_LEN];
    (void)state;
    memset(&t, 0, sizeof(t));
    assert_int_equal(turn_creds_add(&t, "av.test", "alice", "pw1", 0), 0);
    const struct turn_cred *c = turn_creds_find(&t, strv_from_cstr("alice"), 5);
    assert_non_null(c);
    assert_int_equal(stun_key_long_term(strv_from_cstr("alice"), strv_from_cstr("av.test"),
                                        strv_from_cstr("pw1"), want),
                     0);
    assert_memory_equal(c->key, want, sizeof(want));
    assert_null(turn_creds_find(&t, strv_from_cstr("alic"), 5));
    assert_null(turn_creds_find(&t, strv_from_cstr("alice2"), 5));
    /* Again: the new password and expiry, in the same slot. */
    assert_int_equal(turn_creds_add(&t, "av.test", "alice", "pw2", 100), 0);
    assert_int_equal(t.count, 1);
    assert_memory_not_equal(turn_creds_find(&t, strv_from_cstr("alice"), 5)->key, want,
                            sizeof(want));
    assert_null(turn_creds_find(&t, strv_from_cstr("alice"), 100));
    assert_int_equal(turn_creds_add(&t, "av.test", "bob", "pw", 0), 0);
    assert_int_equal(turn_creds_remove(&t, "alice"), 0);
    assert_int_equal(turn_creds_remove(&t, "alice"), SYNTH_ENOTFOUND);
    assert_non_null(turn_creds_find(&t, strv_from_cstr("bob"), 5));
    /* The slot that fell out of use holds no key. */
    static const uint8_t zero[sizeof(struct turn_cred)];
    assert_memory_equal(&t.c[1], zero, sizeof(zero));
}

static void expiry_and_bounds(void **state)
{
    static struct turn_creds t;
    char user[32];
    (void)state;
    memset(&t, 0, sizeof(t));
    assert_int_equal(turn_creds_add(&t, "r", "", "pw", 0), SYNTH_EINVAL);
    char long_user[TURN_CRED_USER_MAX + 1];
    memset(long_user, 'u', sizeof(long_user) - 1);
    long_user[TURN_CRED_USER_MAX] = '\0';
    assert_int_equal(turn_creds_add(&t, "r", long_user, "pw", 0), SYNTH_EINVAL);
    for (int i = 0; i < TURN_CREDS_MAX; i++) {
        snprintf(user, sizeof(user), "user%d", i);
        assert_int_equal(turn_creds_add(&t, "r", user, "pw", i % 2 ? 1000 : 0), 0);
    }
    assert_int_equal(turn_creds_add(&t, "r", "one-more", "pw", 0), SYNTH_ETOOBIG);
    turn_creds_expire(&t, 999);
    assert_int_equal(t.count, TURN_CREDS_MAX);
    turn_creds_expire(&t, 1000); /* the odd ones go, the ones without expiry stay */
    assert_int_equal(t.count, TURN_CREDS_MAX / 2);
    assert_null(turn_creds_find(&t, strv_from_cstr("user1"), 0));
    assert_non_null(turn_creds_find(&t, strv_from_cstr("user2"), 1u << 30));
    assert_int_equal(turn_creds_add(&t, "r", "one-more", "pw", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_find_replace_remove),
        cmocka_unit_test(expiry_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
