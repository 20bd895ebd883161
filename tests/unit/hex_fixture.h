/* Hex test vectors to bytes, for the tests that hold protocol bytes as the
 * specifications print them ([MS-NLMP] section 4, SIPE's recorded buffers). */
#ifndef SYNTH_TEST_HEX_FIXTURE_H
#define SYNTH_TEST_HEX_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Decodes hex (either case) into out; returns the byte count. The test
 * fails when out is too small or a digit is not hex. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

#endif
