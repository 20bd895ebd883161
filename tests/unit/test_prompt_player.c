/* Unit tests: the packetiser's frames of a prompt (media/prompt_player).
 * What goes out must be byte for byte what encoding the same samples per
 * packet gave, across the prompt's loop point and past a non-looping end,
 * for G.711 (copied from the codings made at load) and G.722 (encoded). */
#include "media/audio_codec.h"
#include "media/g711.h"
#include "media/prompt.h"
#include "media/prompt_player.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define FRAME 160
/* 1013 ms: 8104 samples, not a whole number of frames, so frames straddle
 * the loop point. */
#define PROMPT_MS 1013

static void load(struct prompt *p)
{
    struct synth_error err;
    assert_int_equal(prompt_generate_speech(p, PROMPT_MS, 5, &err), 0);
    assert_int_equal(p->samples % FRAME, 104);
    assert_non_null(p->coded[G711LAW_MU]);
    assert_non_null(p->coded[G711LAW_A]);
}

/* A loaded prompt, a codec and a player over them. */
struct fixture {
    struct prompt p;
    struct audio_codec c;
    struct prompt_player pl;
};

static void setup(struct fixture *f, uint8_t pt, bool loop)
{
    load(&f->p);
    assert_int_equal(audio_codec_open(&f->c, pt), 0);
    prompt_player_init(&f->pl, &f->p, loop);
}

static void teardown(struct fixture *f)
{
    audio_codec_close(&f->c);
    prompt_free(&f->p);
}

/* Frame k of the prompt looped, as 8 kHz PCM: what the stream used to encode. */
static void looped_pcm(const struct prompt *p, size_t k, int16_t *pcm)
{
    for (size_t i = 0; i < FRAME; i++)
        pcm[i] = p->pcm[(k * FRAME + i) % p->samples];
}

static void g711_frames_equal_per_packet_encoding(void **state)
{
    static const uint8_t pts[] = {AUDIO_CODEC_PT_PCMU, AUDIO_CODEC_PT_PCMA};
    struct prompt p;
    load(&p);
    for (size_t t = 0; t < sizeof(pts); t++) {
        struct audio_codec c;
        assert_int_equal(audio_codec_open(&c, pts[t]), 0);
        struct prompt_player pl;
        prompt_player_init(&pl, &p, true);
        size_t frames = 3 * p.samples / FRAME + 2; /* three loop points */
        for (size_t k = 0; k < frames; k++) {
            int16_t pcm[FRAME];
            uint8_t want[FRAME], got[FRAME];
            looped_pcm(&p, k, pcm);
            g711law_encode(c.law, pcm, FRAME, want);
            assert_int_equal(prompt_player_next(&pl, &c, FRAME, got), FRAME);
            assert_memory_equal(got, want, FRAME);
        }
        assert_false(pl.done);
        audio_codec_close(&c);
    }
    prompt_free(&p);
}

static void g711_copies_the_coding(void **state)
{
    struct fixture f;
    setup(&f, AUDIO_CODEC_PT_PCMU, true);
    /* A byte no encoding of this sample gives: seen only if copied. */
    f.p.coded[G711LAW_MU][3] ^= 0x55;
    uint8_t got[FRAME];
    prompt_player_next(&f.pl, &f.c, FRAME, got);
    assert_int_equal(got[3], g711law_ulaw_from_linear(f.p.pcm[3]) ^ 0x55);

    /* A prompt built by hand, without codings, is encoded per packet. */
    struct prompt bare = {.pcm = f.p.pcm, .samples = f.p.samples};
    prompt_player_init(&f.pl, &bare, true);
    prompt_player_next(&f.pl, &f.c, FRAME, got);
    assert_int_equal(got[3], g711law_ulaw_from_linear(f.p.pcm[3]));
    teardown(&f);
}

static void g722_encoded_as_one_stream(void **state)
{
    struct prompt p;
    load(&p);
    struct audio_codec c, ref;
    assert_int_equal(audio_codec_open(&c, AUDIO_CODEC_PT_G722), 0);
    assert_int_equal(audio_codec_open(&ref, AUDIO_CODEC_PT_G722), 0);
    struct prompt_player pl;
    prompt_player_init(&pl, &p, true);
    for (size_t k = 0; k < 2 * p.samples / FRAME + 2; k++) {
        int16_t pcm[FRAME];
        uint8_t want[FRAME], got[FRAME];
        looped_pcm(&p, k, pcm);
        size_t n = audio_codec_encode(&ref, pcm, FRAME, want);
        assert_int_equal(prompt_player_next(&pl, &c, FRAME, got), n);
        assert_memory_equal(got, want, n);
    }
    audio_codec_close(&c);
    audio_codec_close(&ref);
    prompt_free(&p);
}

static void ends_in_silence_when_not_looping(void **state)
{
    struct fixture f;
    setup(&f, AUDIO_CODEC_PT_PCMA, false);
    uint8_t got[FRAME];
    for (size_t k = 0; k < f.p.samples / FRAME; k++)
        prompt_player_next(&f.pl, &f.c, FRAME, got);
    assert_false(f.pl.done);
    prompt_player_next(&f.pl, &f.c, FRAME, got); /* 104 samples, then silence */
    assert_true(f.pl.done);
    assert_int_equal(got[103], f.p.coded[G711LAW_A][f.p.samples - 1]);
    for (size_t i = 104; i < FRAME; i++)
        assert_int_equal(got[i], g711law_silence(G711LAW_A));
    prompt_player_next(&f.pl, &f.c, FRAME, got);
    for (size_t i = 0; i < FRAME; i++)
        assert_int_equal(got[i], g711law_silence(G711LAW_A));

    /* No prompt at all: silence in the codec's own code. */
    prompt_player_init(&f.pl, NULL, true);
    prompt_player_next(&f.pl, &f.c, FRAME, got);
    assert_int_equal(got[0], 0xd5);
    teardown(&f);
}

static void skip_keeps_the_pace(void **state)
{
    struct fixture f;
    setup(&f, AUDIO_CODEC_PT_PCMU, true);
    /* Frames sent as DTMF events in between: the prompt moves on under them. */
    size_t skipped = f.p.samples / FRAME + 1;
    for (size_t k = 0; k < skipped; k++)
        prompt_player_skip(&f.pl, FRAME);
    uint8_t got[FRAME], want[FRAME];
    int16_t pcm[FRAME];
    looped_pcm(&f.p, skipped, pcm);
    g711law_encode(G711LAW_MU, pcm, FRAME, want);
    prompt_player_next(&f.pl, &f.c, FRAME, got);
    assert_memory_equal(got, want, FRAME);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(g711_frames_equal_per_packet_encoding),
        cmocka_unit_test(g711_copies_the_coding),
        cmocka_unit_test(g722_encoded_as_one_stream),
        cmocka_unit_test(ends_in_silence_when_not_looping),
        cmocka_unit_test(skip_keeps_the_pace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
