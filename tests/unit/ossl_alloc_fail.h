/* Allocation failure injection for OpenSSL (curl's torture mode): the test
 * installs these with ossl_alloc_fail_install before OpenSSL's first
 * allocation; arming alloc_countdown = N fails the Nth call after. ASan's
 * leak check then covers every error path. Include after cmocka.h. */
#ifndef SYNTH_TEST_OSSL_ALLOC_FAIL_H
#define SYNTH_TEST_OSSL_ALLOC_FAIL_H

#include "synth/base/err.h"

#include <openssl/crypto.h>

#include <stdbool.h>
#include <stdlib.h>

static long alloc_countdown; /* 0 = disarmed */
static bool alloc_failed;
static long alloc_calls; /* allocations so far */

static bool alloc_should_fail(void)
{
    alloc_calls++;
    if (alloc_countdown > 0 && --alloc_countdown == 0) {
        alloc_failed = true;
        return true;
    }
    return false;
}

static void *t_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return alloc_should_fail() ? NULL : malloc(n);
}

static void *t_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return alloc_should_fail() ? NULL : realloc(p, n);
}

static void t_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    free(p);
}

/* Must precede OpenSSL's first allocation; false when it came too late. */
static bool ossl_alloc_fail_install(void)
{
    return CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free) == 1;
}

/* Runs once(arg) with its nth allocation failing and checks the contract:
 * a failure is a known code with a message, never a crash or a leak.
 * Returns once's code; *failed says whether an allocation was failed (when
 * not, the whole run went through and the caller is done). */
static inline int alloc_fail_nth(long n, int (*once)(void *arg, struct synth_error *err),
                                 void *arg, bool *failed)
{
    struct synth_error err = {{0}};
    alloc_failed = false;
    alloc_countdown = n;
    int rc = once(arg, &err);
    alloc_countdown = 0;
    if (rc) {
        assert_true(alloc_failed);
        assert_true(rc <= SYNTH_ENOMEM && rc >= SYNTH_EINTERNAL);
        assert_true(err.msg[0] != '\0');
    }
    *failed = alloc_failed;
    return rc;
}

#endif
