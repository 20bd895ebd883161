/* Unit tests: prompts (generated greeting, WAV in any rate) and recordings
 * (bounded, written as WAV and read back). The generated greeting must be
 * speech to the greeting detector, or the lab's UM would fail every call. */
#include "media/greeting.h"
#include "media/prompt.h"
#include "media/recording.h"

#include <sndfile.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static struct greeting_result detect(const int16_t *pcm, size_t n)
{
    struct greeting g;
    struct greeting_result r;
    greeting_init(&g, NULL);
    for (size_t off = 0; off + GREETING_FRAME_SAMPLES <= n; off += GREETING_FRAME_SAMPLES)
        greeting_feed(&g, pcm + off, GREETING_FRAME_SAMPLES);
    greeting_result(&g, &r);
    return r;
}

static void generated_greeting_is_speech(void **state)
{
    struct prompt p;
    struct synth_error err;
    assert_int_equal(prompt_generate_speech(&p, 6000, 7, &err), 0);
    assert_int_equal(p.samples, 48000);
    struct greeting_result r = detect(p.pcm, p.samples);
    assert_true(r.detected);
    assert_in_range(r.onset_ms, 200, 600); /* 300 ms of quiet first */
    assert_true(r.speech_ms >= 1500);
    struct prompt q;
    assert_int_equal(prompt_generate_speech(&q, 6000, 7, &err), 0);
    assert_memory_equal(p.pcm, q.pcm, p.samples * sizeof(*p.pcm)); /* deterministic */
    prompt_free(&q);
    prompt_free(&p);
}

static void loaders_code_each_law(void **state)
{
    struct prompt p;
    struct synth_error err;
    assert_int_equal(prompt_generate_speech(&p, 500, 3, &err), 0);
    for (size_t i = 0; i < p.samples; i++) {
        assert_int_equal(p.coded[G711LAW_MU][i], g711law_ulaw_from_linear(p.pcm[i]));
        assert_int_equal(p.coded[G711LAW_A][i], g711law_alaw_from_linear(p.pcm[i]));
    }
    prompt_free(&p);
    assert_null(p.coded[G711LAW_MU]);
    assert_int_equal(prompt_silence(&p, 20, &err), 0);
    assert_int_equal(p.coded[G711LAW_MU][159], g711law_silence(G711LAW_MU));
    assert_int_equal(p.coded[G711LAW_A][0], g711law_silence(G711LAW_A));
    prompt_free(&p);
}

static void silence_is_not_speech(void **state)
{
    struct prompt p;
    struct synth_error err;
    assert_int_equal(prompt_silence(&p, 4000, &err), 0);
    assert_false(detect(p.pcm, p.samples).detected);
    prompt_free(&p);
    assert_int_equal(prompt_silence(&p, 0, &err), SYNTH_EINVAL);
}

static void write_wav(const char *path, int rate, int channels, double seconds)
{
    SF_INFO info = {.samplerate = rate, .channels = channels,
                    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    assert_non_null(f);
    size_t frames = (size_t)(rate * seconds);
    short *buf = calloc(frames * (size_t)channels, sizeof(*buf));
    for (size_t i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++)
            buf[i * (size_t)channels + (size_t)c] = (short)(c == 0 ? 10000 : -10000 + 20000);
    sf_writef_short(f, buf, (sf_count_t)frames);
    sf_close(f);
    free(buf);
}

static void wav_resampled_and_mixed_down(void **state)
{
    char path[] = "/tmp/synth-prompt-XXXXXX.wav";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    write_wav(path, 16000, 2, 1.0);
    struct prompt p;
    struct synth_error err;
    assert_int_equal(prompt_load_wav(&p, path, &err), 0);
    assert_int_equal(p.samples, 8000);
    /* Channels 10000 and 10000 averaged, through float and back. */
    assert_in_range(p.pcm[4000], 9990, 10010);
    assert_int_equal(p.coded[G711LAW_MU][4000], g711law_ulaw_from_linear(p.pcm[4000]));
    prompt_free(&p);
    unlink(path);

    assert_int_equal(prompt_load_wav(&p, "/nonexistent.wav", &err), SYNTH_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent.wav"));
}

static void recording_bounded_and_written(void **state)
{
    struct recording r;
    recording_init(&r, 1000); /* 8000 samples */
    int16_t frame[160];
    for (int i = 0; i < 160; i++)
        frame[i] = (int16_t)(i * 10);
    for (int k = 0; k < 60; k++) /* 1.2 s */
        assert_int_equal(recording_append(&r, frame, 160), 0);
    assert_int_equal(recording_append_silence(&r, 160), 0);
    assert_int_equal(r.samples, 8000);
    assert_int_equal(r.dropped, 61 * 160 - 8000);
    assert_int_equal(r.pcm[161], 10);

    char path[] = "/tmp/synth-rec-XXXXXX.wav";
    int fd = mkstemps(path, 4);
    close(fd);
    struct synth_error err;
    assert_int_equal(recording_write_wav(&r, path, &err), 0);
    struct prompt back;
    assert_int_equal(prompt_load_wav(&back, path, &err), 0);
    assert_int_equal(back.samples, 8000);
    assert_int_equal(back.pcm[161], 10);
    prompt_free(&back);
    unlink(path);
    assert_int_equal(recording_write_wav(&r, "/nonexistent/dir/x.wav", &err), SYNTH_EIO);
    recording_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_greeting_is_speech),
        cmocka_unit_test(silence_is_not_speech),
        cmocka_unit_test(loaders_code_each_law),
        cmocka_unit_test(wav_resampled_and_mixed_down),
        cmocka_unit_test(recording_bounded_and_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
