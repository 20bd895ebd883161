/* Unit tests: the shard arithmetic: K/N and the Indexed Job's environment
 * read, users split in blocks, and every arrival and iteration of the
 * unsharded schedule taken by exactly one shard. */
#include "synth/engine/shard.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void parses_k_of_n(void **state)
{
    struct shard s;
    struct synth_error err = {{0}};
    assert_int_equal(shard_parse(&s, "2/3", &err), 0);
    assert_int_equal(s.index, 2);
    assert_int_equal(s.count, 3);
    assert_true(shard_is_split(&s));
    assert_int_equal(shard_parse(&s, "0/1", &err), 0);
    assert_false(shard_is_split(&s));
    const char *bad[] = {"3/3", "1/0", "-1/3", "1/", "/3", "1", "a/3", "1/3x", "0/1001", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(shard_parse(&s, bad[i], &err), SYNTH_EINVAL);
    assert_non_null(strstr(err.msg, "expected K/N"));
}

static void reads_the_indexed_job_environment(void **state)
{
    struct shard s;
    struct synth_error err = {{0}};
    assert_int_equal(shard_from_env(&s, NULL, NULL, &err), 0);
    assert_false(shard_is_split(&s));
    assert_int_equal(shard_from_env(&s, "4", "5", &err), 0);
    assert_int_equal(s.index, 4);
    assert_int_equal(s.count, 5);
    /* An index without a count is a manifest missing SYNTH_SHARDS: said. */
    assert_int_equal(shard_from_env(&s, "1", NULL, &err), SYNTH_EINVAL);
    assert_non_null(strstr(err.msg, "SYNTH_SHARDS"));
    assert_int_equal(shard_from_env(&s, "5", "5", &err), SYNTH_EINVAL);
    assert_non_null(strstr(err.msg, "0..4"));
    assert_int_equal(shard_from_env(&s, NULL, "3", &err), SYNTH_EINVAL);
    assert_int_equal(shard_from_env(&s, "0", "zero", &err), SYNTH_EINVAL);
}

/* Blocks cover the users once, in order, sizes differing by one at most. */
static void users_in_blocks(void **state)
{
    for (uint32_t n = 1; n <= 7; n++) {
        for (uint32_t users = n; users <= 40; users++) {
            uint32_t next = 0;
            for (uint32_t k = 0; k < n; k++) {
                struct shard s = {k, n};
                uint32_t first, count;
                shard_users(&s, users, &first, &count);
                assert_int_equal(first, next);
                assert_true(count == users / n || count == users / n + 1);
                next = first + count;
            }
            assert_int_equal(next, users);
        }
    }
}

/* The shards' arrivals (each split again among its workers, as run.c and
 * worker.c do) are the unsharded schedule's arrival numbers, each once. */
static void arrivals_partition_the_schedule(void **state)
{
    const uint32_t n = 3, workers = 2;
    const uint64_t iterations = 47;
    uint8_t seen[47] = {0};
    uint64_t total = 0;
    for (uint32_t k = 0; k < n; k++) {
        struct shard s = {k, n};
        uint64_t mine = shard_share(&s, iterations);
        for (uint32_t w = 0; w < workers; w++) {
            uint64_t share = mine / workers + (w < mine % workers);
            for (uint64_t a = 0; a < share; a++) {
                uint64_t j = shard_arrival(&s, a * workers + w);
                assert_true(j < iterations);
                seen[j]++;
            }
            total += share;
        }
    }
    assert_int_equal(total, iterations);
    for (size_t j = 0; j < iterations; j++)
        assert_int_equal(seen[j], 1);
}

static void unsharded_is_the_identity(void **state)
{
    struct shard s = {0, 1};
    assert_int_equal(shard_share(&s, 45), 45);
    assert_int_equal(shard_arrival(&s, 17), 17);
    struct shard z = {0, 0}; /* zeroed: not sharded either */
    uint32_t first, count;
    shard_users(&z, 12, &first, &count);
    assert_int_equal(first, 0);
    assert_int_equal(count, 12);
    assert_int_equal(shard_arrival(&z, 17), 17);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_k_of_n),
        cmocka_unit_test(reads_the_indexed_job_environment),
        cmocka_unit_test(users_in_blocks),
        cmocka_unit_test(arrivals_partition_the_schedule),
        cmocka_unit_test(unsharded_is_the_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
