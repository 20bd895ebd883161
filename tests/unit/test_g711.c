/* Unit tests of media/g711.c: the known code words (mu-law 0 -> 0xFF,
 * A-law 0 -> 0xD5), G.711's segment end points, and every one of the 65536
 * inputs and 256 code words against spandsp's independent coder. */
#include "media/g711.h"

#include "synth/base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

static void known_code_words(void **state)
{
    assert_int_equal(g711law_ulaw_from_linear(0), 0xff);
    assert_int_equal(g711law_alaw_from_linear(0), 0xd5);
    assert_int_equal(g711law_silence(G711LAW_MU), 0xff);
    assert_int_equal(g711law_silence(G711LAW_A), 0xd5);
    /* -1 is the smallest negative word of each law. */
    assert_int_equal(g711law_ulaw_from_linear(-1), 0x7f);
    assert_int_equal(g711law_alaw_from_linear(-1), 0x55);
    /* Full scale clips to the top code of segment 7. */
    assert_int_equal(g711law_ulaw_from_linear(32767), 0x80);
    assert_int_equal(g711law_ulaw_from_linear(-32768), 0x00);
    assert_int_equal(g711law_alaw_from_linear(32767), 0xaa);
    assert_int_equal(g711law_alaw_from_linear(-32768), 0x2a);
    /* Decoded extremes (G.711 tables: mu-law +-8031 and A-law +-4032 in
     * their 14- and 13-bit scales, i.e. 32124 and 32256 in 16 bits). */
    assert_int_equal(g711law_linear_from_ulaw(0x80), 32124);
    assert_int_equal(g711law_linear_from_ulaw(0x00), -32124);
    assert_int_equal(g711law_linear_from_alaw(0xaa), 32256);
    assert_int_equal(g711law_linear_from_alaw(0x2a), -32256);
    assert_int_equal(g711law_linear_from_ulaw(0xff), 0);
    assert_int_equal(g711law_linear_from_alaw(0xd5), 8);
}

static void matches_spandsp_everywhere(void **state)
{
    for (int x = -32768; x <= 32767; x++) {
        if (g711law_ulaw_from_linear((int16_t)x) != linear_to_ulaw(x))
            fail_msg("mu-law of %d: %02x, spandsp %02x", x, g711law_ulaw_from_linear((int16_t)x),
                     linear_to_ulaw(x));
        if (g711law_alaw_from_linear((int16_t)x) != linear_to_alaw(x))
            fail_msg("A-law of %d: %02x, spandsp %02x", x, g711law_alaw_from_linear((int16_t)x),
                     linear_to_alaw(x));
    }
    for (int c = 0; c < 256; c++) {
        assert_int_equal(g711law_linear_from_ulaw((uint8_t)c), ulaw_to_linear((uint8_t)c));
        assert_int_equal(g711law_linear_from_alaw((uint8_t)c), alaw_to_linear((uint8_t)c));
    }
}

/* Decoding a code word and encoding it again gives the same word (every
 * word is its own reconstruction level), but for mu-law's negative zero. */
static void code_words_are_fixed_points(void **state)
{
    for (int c = 0; c < 256; c++) {
        uint8_t a = (uint8_t)c;
        assert_int_equal(g711law_alaw_from_linear(g711law_linear_from_alaw(a)), a);
        if (c != 0x7f)
            assert_int_equal(g711law_ulaw_from_linear(g711law_linear_from_ulaw(a)), a);
    }
}

static void buffers_and_payload_types(void **state)
{
    int16_t pcm[160], back[160];
    uint8_t enc[160];
    for (int i = 0; i < 160; i++)
        pcm[i] = (int16_t)((i - 80) * 400);
    g711law_encode(G711LAW_MU, pcm, 160, enc);
    g711law_decode(G711LAW_MU, enc, 160, back);
    for (int i = 0; i < 160; i++) {
        /* mu-law's step in the top segment is 1024, so the error is at most 512
         * plus the bias rounding; small values are near exact. */
        assert_true(abs(back[i] - pcm[i]) <= 1024);
        assert_int_equal(enc[i], g711law_ulaw_from_linear(pcm[i]));
    }
    assert_int_equal(enc[80], 0xff);
    g711law_encode(G711LAW_A, pcm, 160, enc);
    assert_int_equal(enc[80], 0xd5);
    g711law_decode(G711LAW_A, enc, 160, back);
    assert_int_equal(back[80], 8);

    enum g711law law = G711LAW_A;
    assert_int_equal(g711law_from_pt(0, &law), 0);
    assert_int_equal(law, G711LAW_MU);
    assert_int_equal(g711law_from_pt(8, &law), 0);
    assert_int_equal(law, G711LAW_A);
    assert_int_equal(g711law_from_pt(9, &law), SYNTH_EUNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_code_words),
        cmocka_unit_test(matches_spandsp_everywhere),
        cmocka_unit_test(code_words_are_fixed_points),
        cmocka_unit_test(buffers_and_payload_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
