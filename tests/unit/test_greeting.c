/* Unit tests of media/greeting.c with generated 8 kHz signals: silence, low
 * white noise, louder comfort noise, a steady 440 Hz tone, ringback (425 and
 * 440 Hz, 1 s on / 4 s off), busy and congestion cadences must not be
 * speech; a voice-like harmonic tone and noise, both in syllables of random
 * length and level, must be, with the onset where they start. Then real
 * speech from espeak-ng (skipped when it is not installed), read with
 * libsndfile and resampled from 22050 Hz to 8 kHz here. */
#include "media/greeting.h"

#include "synth/base/err.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>

#define RATE 8000
/* Longest generated signal: 20 s. */
#define SIGNAL_MAX (RATE * 20)

static int16_t sig[SIGNAL_MAX];
static uint32_t rng_state;

/* A fixed LCG, so every run hears the same "random" syllables. */
static double rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (rng_state >> 8) / 16777216.0;
}

static int16_t clip(double v)
{
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

/* Feeds len samples (whole frames) and returns the result. */
static struct greeting_result run(const int16_t *pcm, size_t len)
{
    struct greeting g;
    greeting_init(&g, NULL);
    for (size_t off = 0; off + GREETING_FRAME_SAMPLES <= len; off += GREETING_FRAME_SAMPLES)
        assert_int_equal(greeting_feed(&g, pcm + off, GREETING_FRAME_SAMPLES), 0);
    struct greeting_result r;
    greeting_result(&g, &r);
    return r;
}

static void add_noise(int16_t *p, size_t n, double amp)
{
    for (size_t i = 0; i < n; i++)
        p[i] = clip(p[i] + amp * (2 * rnd() - 1));
}

static void add_tone(int16_t *p, size_t from, size_t to, double hz, double amp)
{
    for (size_t i = from; i < to; i++)
        p[i] = clip(p[i] + amp * sin(2 * M_PI * hz * i / RATE));
}

/* Tone bursts of on_ms every period_ms from 0 to len. */
static void add_cadence(int16_t *p, size_t len, double hz, unsigned on_ms, unsigned period_ms)
{
    for (size_t start = 0; start < len; start += (size_t)period_ms * RATE / 1000) {
        size_t end = start + (size_t)on_ms * RATE / 1000;
        add_tone(p, start, end < len ? end : len, hz, 8000);
    }
}

enum voice { VOICE_HARMONIC, VOICE_NOISE };

/* Syllables from `from` for dur samples: 100-250 ms each under a raised
 * cosine, 40-160 ms gaps, levels varying by 10 dB; a harmonic "voice" with
 * a wandering pitch, or plain noise. */
static void add_speech(int16_t *p, size_t from, size_t dur, enum voice v)
{
    size_t t = from, end = from + dur;
    double phase = 0;
    while (t < end) {
        size_t syl = (size_t)((0.10 + 0.15 * rnd()) * RATE);
        double amp = 3000 + 7000 * rnd();
        double f0 = 100 + 40 * rnd();
        for (size_t i = 0; i < syl && t + i < end; i++) {
            double env = 0.5 - 0.5 * cos(2 * M_PI * i / syl);
            double s = 0;
            if (v == VOICE_HARMONIC) {
                phase += 2 * M_PI * f0 / RATE;
                for (int h = 1; h <= 10; h++)
                    s += sin(h * phase) / h;
            } else {
                s = 2 * rnd() - 1;
            }
            p[t + i] = clip(p[t + i] + amp * env * s);
        }
        t += syl + (size_t)((0.04 + 0.12 * rnd()) * RATE);
    }
}

static void clear(size_t n)
{
    memset(sig, 0, n * sizeof(sig[0]));
    rng_state = 12345;
}

static void silence_is_not_speech(void **state)
{
    clear(5 * RATE);
    struct greeting_result r = run(sig, 5 * RATE);
    assert_false(r.detected);
    assert_int_equal(r.speech_ms, 0);
    assert_int_equal(r.onset_ms, -1);
    assert_int_equal(r.fed_ms, 5000);
}

static void noise_is_not_speech(void **state)
{
    /* Low white noise (-45 dBFS), after 1 s of digital silence. */
    clear(6 * RATE);
    add_noise(sig + RATE, 5 * RATE, 300);
    struct greeting_result r = run(sig, 6 * RATE);
    assert_false(r.detected);
    assert_int_equal(r.speech_ms, 0);

    /* Comfort noise well above the absolute minimum (-25 dBFS). */
    clear(6 * RATE);
    add_noise(sig, 6 * RATE, 3000);
    r = run(sig, 6 * RATE);
    assert_false(r.detected);
    assert_int_equal(r.speech_ms, 0);
    assert_true(r.noise_floor_dbfs > -30 && r.noise_floor_dbfs < -20);
}

static void steady_tone_is_not_speech(void **state)
{
    clear(6 * RATE);
    add_tone(sig, RATE, 6 * RATE, 440, 10000);
    struct greeting_result r = run(sig, 6 * RATE);
    assert_false(r.detected);
    assert_int_equal(r.speech_ms, 0);
}

static void ringback_is_not_speech(void **state)
{
    /* 425 Hz (ETSI) and 440 Hz, 1 s on 4 s off, over noise, 20 s. */
    static const double hz[] = {425, 440};
    for (int i = 0; i < 2; i++) {
        clear(SIGNAL_MAX);
        add_noise(sig, SIGNAL_MAX, 30);
        add_cadence(sig, SIGNAL_MAX, hz[i], 1000, 5000);
        struct greeting_result r = run(sig, SIGNAL_MAX);
        assert_false(r.detected);
        assert_int_equal(r.speech_ms, 0);
    }
}

static void busy_and_congestion_are_not_speech(void **state)
{
    /* Busy 0.5/0.5 s (1 Hz, too slow); congestion 0.25/0.25 s (2 Hz, in the
     * syllable band but perfectly regular). */
    clear(10 * RATE);
    add_cadence(sig, 10 * RATE, 425, 500, 1000);
    struct greeting_result r = run(sig, 10 * RATE);
    assert_false(r.detected);
    assert_int_equal(r.speech_ms, 0);

    clear(10 * RATE);
    add_cadence(sig, 10 * RATE, 425, 250, 500);
    r = run(sig, 10 * RATE);
    assert_false(r.detected);
    assert_int_equal(r.speech_ms, 0);
}

static void voice_like_signal_is_speech(void **state)
{
    /* 1 s of quiet line noise, then 4 s of syllables. */
    clear(6 * RATE);
    add_noise(sig, 6 * RATE, 20);
    add_speech(sig, RATE, 4 * RATE, VOICE_HARMONIC);
    struct greeting_result r = run(sig, 6 * RATE);
    assert_true(r.detected);
    assert_true(r.onset_ms >= 1000 && r.onset_ms <= 1200);
    assert_true(r.speech_ms >= 1500 && r.speech_ms <= 4000);

    /* Syllables of noise, the other form the brief of the detector names. */
    clear(6 * RATE);
    add_speech(sig, 500 * RATE / 1000, 4 * RATE, VOICE_NOISE);
    r = run(sig, 6 * RATE);
    assert_true(r.detected);
    assert_true(r.onset_ms >= 500 && r.onset_ms <= 700);
    assert_true(r.speech_ms >= 1500 && r.speech_ms <= 4000);
}

static void short_speech_is_not_enough(void **state)
{
    clear(4 * RATE);
    add_speech(sig, RATE, RATE, VOICE_HARMONIC);
    struct greeting_result r = run(sig, 4 * RATE);
    assert_false(r.detected);
    assert_true(r.speech_ms > 0 && r.speech_ms < 1500);
    assert_true(r.onset_ms >= 1000 && r.onset_ms <= 1200);

    /* With the threshold lowered to 500 ms the same burst passes. */
    struct greeting_config cfg;
    greeting_config_default(&cfg);
    cfg.min_speech_ms = 500;
    struct greeting g;
    greeting_init(&g, &cfg);
    for (size_t off = 0; off < 4 * RATE; off += GREETING_FRAME_SAMPLES)
        assert_int_equal(greeting_feed(&g, sig + off, GREETING_FRAME_SAMPLES), 0);
    greeting_result(&g, &r);
    assert_true(r.speech_ms >= 500);
    assert_true(r.detected);
    assert_int_equal(greeting_feed(&g, sig, 80), SYNTH_EINVAL);
}

/* Windowed-sinc resampling (Blackman, 3.4 kHz cutoff) to 8 kHz. */
#define RESAMPLE_TAPS 24
static size_t resample_to_8k(const float *in, size_t n, int in_rate, int16_t *out, size_t cap)
{
    double ratio = (double)in_rate / RATE, fc = 3400.0 / in_rate;
    size_t m = 0;
    for (; m < cap; m++) {
        double t = m * ratio;
        if ((size_t)t >= n)
            break;
        double acc = 0;
        for (long k = (long)t - RESAMPLE_TAPS; k <= (long)t + RESAMPLE_TAPS; k++) {
            if (k < 0 || (size_t)k >= n)
                continue;
            double u = t - k, x = 2 * fc * u;
            double sinc = fabs(x) < 1e-9 ? 1.0 : sin(M_PI * x) / (M_PI * x);
            double w = 0.42 + 0.5 * cos(M_PI * u / (RESAMPLE_TAPS + 1)) +
                       0.08 * cos(2 * M_PI * u / (RESAMPLE_TAPS + 1));
            acc += in[k] * 2 * fc * sinc * w;
        }
        out[m] = clip(acc * 32767);
    }
    return m;
}

static bool have_espeak(void)
{
    return system("command -v espeak-ng >/dev/null 2>&1") == 0;
}

static void espeak_greeting_is_speech(void **state)
{
    if (!have_espeak())
        skip();
    char path[] = "/tmp/synth-greeting-XXXXXX.wav";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof(cmd),
             "espeak-ng -w %s 'Your call has been forwarded to an automatic voice message "
             "system. At the tone, please record your message.' 2>/dev/null", path);
    int rc = system(cmd);
    SF_INFO info = {0};
    SNDFILE *f = rc == 0 ? sf_open(path, SFM_READ, &info) : NULL;
    if (!f) {
        unlink(path);
        fail_msg("espeak-ng did not write a readable WAV (rc %d)", rc);
    }
    assert_int_equal(info.channels, 1);
    size_t frames = (size_t)info.frames;
    float *in = malloc(frames * sizeof(*in));
    assert_non_null(in);
    assert_int_equal(sf_readf_float(f, in, (sf_count_t)frames), (sf_count_t)frames);
    sf_close(f);
    unlink(path);

    /* 500 ms of silence first, as a voicemail answers before it speaks. */
    clear(SIGNAL_MAX);
    size_t lead = RATE / 2;
    size_t n = lead + resample_to_8k(in, frames, info.samplerate, sig + lead, SIGNAL_MAX - lead);
    free(in);
    assert_true(n > 3 * RATE); /* the sentence is several seconds long */
    struct greeting_result r = run(sig, n);
    assert_true(r.detected);
    assert_true(r.onset_ms >= 500 && r.onset_ms <= 1000);
    assert_true(r.speech_ms >= 1500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(silence_is_not_speech),
        cmocka_unit_test(noise_is_not_speech),
        cmocka_unit_test(steady_tone_is_not_speech),
        cmocka_unit_test(ringback_is_not_speech),
        cmocka_unit_test(busy_and_congestion_are_not_speech),
        cmocka_unit_test(voice_like_signal_is_speech),
        cmocka_unit_test(short_speech_is_not_enough),
        cmocka_unit_test(espeak_greeting_is_speech),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
