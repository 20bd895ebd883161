/* Unit tests of synth/base/base64.c: the test vectors of RFC 4648 10 both
 * ways, round trips of every byte value, and the strict refusals (padding,
 * alphabet, blanks, non-canonical bits, bounds). Inputs to decode sit right
 * before an unreadable page, so an over-read crashes at once. */
#include "synth/base/base64.h"
#include "synth/base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

static char *page;       /* one readable page, then one PROT_NONE page */
static size_t page_size;

static int guard_setup(void **state)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                   0);
    if (p == MAP_FAILED)
        return -1;
    page = p;
    return mprotect(page + page_size, page_size, PROT_NONE);
}

static int guard_teardown(void **state)
{
    return munmap(page, 2 * page_size);
}

static int decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(s);
    char *p = page + page_size - n;
    memcpy(p, s, n);
    return base64_decode(p, n, out, cap, len);
}

/* RFC 4648 10. */
static const struct {
    const char *plain;
    const char *b64;
} vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void rfc4648_vectors(void **state)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const char *plain = vectors[i].plain, *b64 = vectors[i].b64;
        size_t n = strlen(plain), len = 99;
        char out[16];
        uint8_t bytes[16];
        assert_int_equal(base64_encode((const uint8_t *)plain, n, out, sizeof(out)), 0);
        assert_string_equal(out, b64);
        assert_int_equal(strlen(out), BASE64_ENCODED_LEN(n));
        assert_int_equal(decode(b64, bytes, sizeof(bytes), &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(bytes, plain, n);
    }
}

static void round_trips_every_byte(void **state)
{
    uint8_t in[256], back[256];
    char b64[BASE64_ENCODED_LEN(256) + 1];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(255 - i);
    /* Every length, so every padding case meets every byte value. */
    for (size_t n = 0; n <= sizeof(in); n++) {
        size_t len = 0;
        assert_int_equal(base64_encode(in, n, b64, sizeof(b64)), 0);
        assert_int_equal(decode(b64, back, sizeof(back), &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(back, in, n);
    }
    assert_int_equal(base64_encode(in, 3, b64, sizeof(b64)), 0);
    assert_string_equal(b64, "//79");
}

static void strict_refusals(void **state)
{
    static const char *bad[] = {
        "Zg",        /* padding left out */
        "Zg=",       /* not a multiple of 4 */
        "Zm9vY",
        "Zg===",
        "Z===",      /* three '=' */
        "====",
        "Zg==Zg==",  /* padding before the end */
        "Zg=a",      /* '=' inside */
        "=Zg=",
        "Zh==",      /* bits left over not zero: "Zg==" is the one encoding */
        "Zm9=",
        "Zm 9v",     /* blanks */
        "Zm9v\n",
        " Zm9v",
        "Zm9v\r\nYmFy",
        "Zm-_",      /* URL-safe alphabet (RFC 4648 5) */
        "Zm9v.mFy",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t out[16];
        size_t len = 77;
        int rc = decode(bad[i], out, sizeof(out), &len);
        if (rc != SYNTH_EPARSE)
            fail_msg("accepted or wrong code %d: \"%s\"", rc, bad[i]);
        assert_int_equal(len, 77);
    }
    /* A NUL inside the counted length is refused too. */
    uint8_t out[4];
    size_t len;
    assert_int_equal(base64_decode("Zm\0v", 4, out, sizeof(out), &len), SYNTH_EPARSE);
}

static void bounds(void **state)
{
    uint8_t out[6];
    char b64[9];
    size_t len = 0;
    /* Exactly the room needed, then one byte less. */
    assert_int_equal(decode("Zm9vYmFy", out, 6, &len), 0);
    assert_int_equal(decode("Zm9vYmFy", out, 5, &len), SYNTH_ETOOBIG);
    assert_int_equal(decode("Zm9vYmE=", out, 5, &len), 0);
    assert_int_equal(len, 5);
    assert_int_equal(decode("Zm9vYmE=", out, 4, &len), SYNTH_ETOOBIG);
    assert_int_equal(base64_encode((const uint8_t *)"foobar", 6, b64, 9), 0);
    assert_string_equal(b64, "Zm9vYmFy");
    assert_int_equal(base64_encode((const uint8_t *)"foobar", 6, b64, 8), SYNTH_ETOOBIG);
    assert_string_equal(b64, "");
    assert_int_equal(base64_encode((const uint8_t *)"", 0, b64, 1), 0);
    assert_string_equal(b64, "");
    assert_int_equal(base64_encode((const uint8_t *)"", 0, b64, 0), SYNTH_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors),
        cmocka_unit_test(round_trips_every_byte),
        cmocka_unit_test(strict_refusals),
        cmocka_unit_test(bounds),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
