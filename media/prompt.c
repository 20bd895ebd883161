/* Prompt audio: WAV via libsndfile, a generated speech-like greeting, or
 * silence (prompt.h). */
#include "media/prompt.h"

#include <sndfile.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Frames read from a file per call, to mix down without a second copy. */
#define READ_CHUNK 4096

static void prompt_free_coded(struct prompt *p)
{
    for (size_t i = 0; i < sizeof(p->coded) / sizeof(p->coded[0]); i++) {
        free(p->coded[i]);
        p->coded[i] = NULL;
    }
}

static int alloc_pcm(struct prompt *p, size_t samples, struct synth_error *err)
{
    p->pcm = calloc(samples ? samples : 1, sizeof(*p->pcm));
    p->samples = samples;
    if (!p->pcm)
        return synth_error_set(err, SYNTH_ENOMEM, "prompt: out of memory");
    return 0;
}

int prompt_code(struct prompt *p, struct synth_error *err)
{
    static const enum g711law laws[] = {G711LAW_MU, G711LAW_A};
    for (size_t i = 0; i < sizeof(laws) / sizeof(laws[0]); i++) {
        enum g711law law = laws[i];
        free(p->coded[law]);
        p->coded[law] = malloc(p->samples ? p->samples : 1);
        if (!p->coded[law]) {
            prompt_free_coded(p);
            return synth_error_set(err, SYNTH_ENOMEM, "prompt: out of memory");
        }
        g711law_encode(law, p->pcm, p->samples, p->coded[law]);
    }
    return 0;
}

/* The loaders' last step: a prompt is whole with its codings or not at all. */
static int code_or_free(struct prompt *p, struct synth_error *err)
{
    int rc = prompt_code(p, err);
    if (rc != 0)
        prompt_free(p);
    return rc;
}

/* The PCM of ms milliseconds, zeroed, not yet coded. */
static int alloc_ms(struct prompt *p, uint32_t ms, struct synth_error *err)
{
    memset(p, 0, sizeof(*p));
    if (ms == 0 || ms > PROMPT_MAX_MS)
        return synth_error_set(err, SYNTH_EINVAL, "prompt: length must be 1 ms to %d ms",
                               PROMPT_MAX_MS);
    return alloc_pcm(p, (size_t)ms * PROMPT_RATE / 1000, err);
}

int prompt_silence(struct prompt *p, uint32_t ms, struct synth_error *err)
{
    int rc = alloc_ms(p, ms, err);
    return rc ? rc : code_or_free(p, err);
}

/* A small deterministic generator: the same greeting on every run. */
static double next_unit(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return (double)((*state >> 8) & 0xffff) / 65535.0;
}

static int16_t clip(double v)
{
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint(v));
}

/* Vowel-like harmonic weights: two broad formant bumps whose centre moves
 * from syllable to syllable (the "a", "e", "o" of a synthetic voice). */
static double harmonic_weight(int h, double f0, double f1, double f2)
{
    double f = h * f0;
    double a = exp(-pow((f - f1) / 250.0, 2)) + 0.6 * exp(-pow((f - f2) / 400.0, 2));
    return (0.15 + a) / h;
}

static size_t add_syllable(int16_t *pcm, size_t at, size_t end, uint32_t *rng, double *phase)
{
    size_t len = (size_t)((0.10 + 0.15 * next_unit(rng)) * PROMPT_RATE);
    double amp = 2500 + 6000 * next_unit(rng);
    double f0 = 95 + 50 * next_unit(rng);
    double f1 = 400 + 500 * next_unit(rng), f2 = 1100 + 1200 * next_unit(rng);
    double glide = (next_unit(rng) - 0.5) * 30;
    for (size_t i = 0; i < len && at + i < end; i++) {
        double pos = (double)i / (double)len;
        double env = 0.5 - 0.5 * cos(2 * M_PI * pos);
        double f = f0 + glide * pos;
        *phase += 2 * M_PI * f / PROMPT_RATE;
        double s = 0;
        for (int h = 1; h * f < 3400; h++)
            s += harmonic_weight(h, f, f1, f2) * sin(h * *phase);
        pcm[at + i] = clip(amp * env * s);
    }
    return len;
}

int prompt_generate_speech(struct prompt *p, uint32_t ms, uint32_t seed,
                           struct synth_error *err)
{
    int rc = alloc_ms(p, ms, err);
    if (rc != 0)
        return rc;
    uint32_t rng = seed ? seed : 1;
    double phase = 0;
    size_t t = (size_t)(0.3 * PROMPT_RATE);
    unsigned in_phrase = 0;
    while (t < p->samples) {
        t += add_syllable(p->pcm, t, p->samples, &rng, &phase);
        /* A short gap between syllables, a longer one between phrases. */
        double gap = 0.04 + 0.10 * next_unit(&rng);
        if (++in_phrase >= 6 + (unsigned)(6 * next_unit(&rng))) {
            gap = 0.35 + 0.25 * next_unit(&rng);
            in_phrase = 0;
        }
        t += (size_t)(gap * PROMPT_RATE);
    }
    return code_or_free(p, err);
}

/* Linear interpolation to 8 kHz: enough for a prompt that is only sent. */
static int resample(struct prompt *p, const float *mono, size_t frames, int rate,
                    struct synth_error *err)
{
    size_t out = (size_t)((double)frames * PROMPT_RATE / rate);
    int rc = alloc_pcm(p, out, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < out; i++) {
        double pos = (double)i * rate / PROMPT_RATE;
        size_t k = (size_t)pos;
        double frac = pos - (double)k;
        double a = mono[k], b = k + 1 < frames ? mono[k + 1] : a;
        p->pcm[i] = clip((a + (b - a) * frac) * 32768.0); /* libsndfile's float scale */
    }
    return 0;
}

int prompt_load_wav(struct prompt *p, const char *path, struct synth_error *err)
{
    SF_INFO info = {0};
    float *mono = NULL, *chunk = NULL;
    int rc = 0;

    memset(p, 0, sizeof(*p));
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, sf_strerror(NULL));
    if (info.channels < 1 || info.samplerate < 4000 || info.samplerate > 192000 ||
        info.frames <= 0 ||
        (double)info.frames / info.samplerate * 1000 > PROMPT_MAX_MS) {
        rc = synth_error_set(err, SYNTH_EINVAL,
                             "%s: not a usable prompt (%d Hz, %d channels, %lld frames; at most "
                             "%d s)",
                             path, info.samplerate, info.channels, (long long)info.frames,
                             PROMPT_MAX_MS / 1000);
        goto out;
    }
    mono = calloc((size_t)info.frames, sizeof(*mono));
    chunk = calloc((size_t)READ_CHUNK * (size_t)info.channels, sizeof(*chunk));
    if (!mono || !chunk) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    size_t frames = 0;
    sf_count_t got;
    while (frames < (size_t)info.frames &&
           (got = sf_readf_float(f, chunk, READ_CHUNK)) > 0) {
        for (sf_count_t i = 0; i < got && frames < (size_t)info.frames; i++, frames++) {
            double sum = 0;
            for (int c = 0; c < info.channels; c++)
                sum += chunk[i * info.channels + c];
            mono[frames] = (float)(sum / info.channels);
        }
    }
    if (frames == 0) {
        rc = synth_error_set(err, SYNTH_EIO, "%s: no audio could be read", path);
        goto out;
    }
    rc = resample(p, mono, frames, info.samplerate, err);
    if (rc == 0)
        rc = code_or_free(p, err);
out:
    free(chunk);
    free(mono);
    sf_close(f);
    return rc;
}

void prompt_free(struct prompt *p)
{
    prompt_free_coded(p);
    free(p->pcm);
    p->pcm = NULL;
    p->samples = 0;
}
