/* Unit tests: the audio codecs over 8 kHz PCM: names and payload types,
 * G.711 through the same interface, and G.722 coding a tone so that it
 * comes back as the same tone (after the codec's QMF delay). */
#include "media/audio_codec.h"
#include "synth/base/err.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define RATE 8000
#define N 1600 /* 200 ms */

static void names_and_types(void **state)
{
    assert_string_equal(audio_codec_name(0), "PCMU");
    assert_string_equal(audio_codec_name(8), "PCMA");
    assert_string_equal(audio_codec_name(9), "G722");
    assert_string_equal(audio_codec_name(18), "?");
    assert_int_equal(audio_codec_pt_of("g722"), 9);
    assert_int_equal(audio_codec_pt_of("G729"), -1);
    assert_true(audio_codec_supported(9));
    assert_false(audio_codec_supported(3));
    struct audio_codec c;
    assert_int_equal(audio_codec_open(&c, 18), SYNTH_EUNSUPPORTED);
    audio_codec_close(&c);
}

static void tone(int16_t *pcm, size_t n, double hz)
{
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)(8000.0 * sin(2.0 * M_PI * hz * (double)i / RATE));
}

/* The best normalised correlation of b against a over lags 0..max_lag. */
static double best_correlation(const int16_t *a, const int16_t *b, size_t n, size_t max_lag)
{
    double best = 0;
    for (size_t lag = 0; lag <= max_lag; lag++) {
        double ab = 0, aa = 0, bb = 0;
        for (size_t i = 200; i + lag < n; i++) {
            ab += (double)a[i] * b[i + lag];
            aa += (double)a[i] * a[i];
            bb += (double)b[i + lag] * b[i + lag];
        }
        double c = ab / sqrt(aa * bb + 1e-9);
        if (c > best)
            best = c;
    }
    return best;
}

static void round_trip(uint8_t pt, double min_corr)
{
    static int16_t in[N], out[N];
    static uint8_t coded[N];
    struct audio_codec enc, dec;
    tone(in, N, 440.0);
    assert_int_equal(audio_codec_open(&enc, pt), 0);
    assert_int_equal(audio_codec_open(&dec, pt), 0);
    size_t got = 0;
    for (size_t i = 0; i < N; i += 160) {
        size_t bytes = audio_codec_encode(&enc, in + i, 160, coded);
        /* 64 kbit/s for all three: 160 bytes per 20 ms frame. */
        assert_int_equal(bytes, 160);
        got += audio_codec_decode(&dec, coded, bytes, out + got, N - got);
    }
    assert_int_equal(got, N);
    double c = best_correlation(in, out, N, 40);
    if (c < min_corr)
        fail_msg("payload type %u: correlation %.3f, want >= %.2f", pt, c, min_corr);
    audio_codec_close(&enc);
    audio_codec_close(&dec);
}

static void g711_round_trip(void **state)
{
    round_trip(0, 0.99);
    round_trip(8, 0.99);
}

static void g722_round_trip(void **state)
{
    round_trip(9, 0.95);
}

static void decode_bounded(void **state)
{
    struct audio_codec c;
    uint8_t coded[320];
    int16_t pcm[100];
    memset(coded, 0x55, sizeof(coded));
    assert_int_equal(audio_codec_open(&c, 9), 0);
    /* A payload longer than the room left: never more samples than max. */
    assert_true(audio_codec_decode(&c, coded, sizeof(coded), pcm, 100) <= 100);
    audio_codec_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_types),
        cmocka_unit_test(g711_round_trip),
        cmocka_unit_test(g722_round_trip),
        cmocka_unit_test(decode_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
