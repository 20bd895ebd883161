/* Unit tests: SIP message building (synth/sip/build.c): the random tokens of
 * tags, branches and Call-IDs, which must be unique across calls, threads
 * and forked processes. */
#include "synth/sip/build.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define TOKENS 20000
#define TOKEN_SIZE 17 /* 8 random bytes, as tags are */

static int cmp_token(const void *a, const void *b)
{
    return memcmp(a, b, TOKEN_SIZE);
}

static void fill(char (*t)[TOKEN_SIZE], size_t n)
{
    for (size_t i = 0; i < n; i++)
        sip_random_token(t[i], TOKEN_SIZE);
}

/* No two equal among n (sorts t). */
static void assert_unique(char (*t)[TOKEN_SIZE], size_t n)
{
    qsort(t, n, TOKEN_SIZE, cmp_token);
    for (size_t i = 1; i < n; i++)
        if (memcmp(t[i - 1], t[i], TOKEN_SIZE) == 0)
            fail_msg("token %s repeated", t[i]);
}

static void token_format(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 17, 25, 33, 64, 65, 80};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char buf[96];
        memset(buf, '#', sizeof(buf));
        sip_random_token(buf, sizes[k]);
        size_t want = (sizes[k] - 1) / 2 * 2;
        if (want > 64)
            want = 64;
        assert_int_equal(strlen(buf), want);
        assert_int_equal(strspn(buf, "0123456789abcdef"), want);
        assert_int_equal(buf[want + 1], '#'); /* nothing written past the NUL */
    }
    /* Every hex digit shows up in every position: no stuck nibble. */
    unsigned seen[16] = {0};
    for (int i = 0; i < 4000; i++) {
        char t[TOKEN_SIZE];
        sip_random_token(t, sizeof(t));
        for (int j = 0; j < 16; j++)
            seen[j] |= 1u << (t[j] <= '9' ? t[j] - '0' : t[j] - 'a' + 10);
    }
    for (int j = 0; j < 16; j++)
        assert_int_equal(seen[j], 0xFFFF);
}

static void *thread_fill(void *arg)
{
    fill(arg, TOKENS);
    return NULL;
}

/* Each thread has its own generator: their streams must not overlap. */
static void tokens_unique_across_threads(void **state)
{
    (void)state;
    char (*t)[TOKEN_SIZE] = malloc(3 * TOKENS * TOKEN_SIZE);
    assert_non_null(t);
    pthread_t a, b;
    assert_int_equal(pthread_create(&a, NULL, thread_fill, t), 0);
    assert_int_equal(pthread_create(&b, NULL, thread_fill, t + TOKENS), 0);
    fill(t + 2 * TOKENS, TOKENS);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_unique(t, 3 * TOKENS);
    free(t);
}

/* A forked child must not repeat its parent's tokens. */
static void tokens_unique_across_fork(void **state)
{
    (void)state;
    char (*t)[TOKEN_SIZE] = malloc(2 * TOKENS * TOKEN_SIZE);
    assert_non_null(t);
    int p[2];
    assert_int_equal(pipe(p), 0);
    char first[TOKEN_SIZE];
    sip_random_token(first, sizeof(first)); /* the parent's generator is seeded */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fill(t, TOKENS);
        ssize_t left = TOKENS * TOKEN_SIZE;
        const char *q = (const char *)t;
        while (left > 0) {
            ssize_t n = write(p[1], q, (size_t)left);
            if (n <= 0)
                _exit(1);
            q += n;
            left -= n;
        }
        _exit(0);
    }
    close(p[1]);
    fill(t + TOKENS, TOKENS);
    size_t got = 0;
    char *q = (char *)t;
    while (got < TOKENS * TOKEN_SIZE) {
        ssize_t n = read(p[0], q + got, TOKENS * TOKEN_SIZE - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    close(p[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_unique(t, 2 * TOKENS);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_format),
        cmocka_unit_test(tokens_unique_across_threads),
        cmocka_unit_test(tokens_unique_across_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
