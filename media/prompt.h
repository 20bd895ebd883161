/* The audio a stream sends, as 8 kHz 16-bit mono PCM: a WAV file read with
 * libsndfile (mixed down and resampled when it is not 8 kHz mono), a
 * generated speech-like greeting, or silence. Loaded once, shared read-only
 * by every stream that plays it. */
#ifndef MEDIA_PROMPT_H
#define MEDIA_PROMPT_H

#include "synth/base/err.h"

#include <stddef.h>
#include <stdint.h>

#define PROMPT_RATE 8000
/* A prompt longer than this is a mistake; it would cost 16 KB per second. */
#define PROMPT_MAX_MS (10 * 60 * 1000)

struct prompt {
    int16_t *pcm;
    size_t samples;
};

/* Reads a WAV (or any libsndfile format); errors name the file. */
int prompt_load_wav(struct prompt *p, const char *path, struct synth_error *err);

/* A greeting-like signal of ms milliseconds: syllables of a harmonic voice
 * with a wandering pitch and vowel-like spectra, 100-250 ms each with short
 * gaps, after 300 ms of quiet, in phrases. The same seed gives the same
 * samples. It is what the lab's UM plays when no WAV is configured. */
int prompt_generate_speech(struct prompt *p, uint32_t ms, uint32_t seed,
                           struct synth_error *err);

/* ms of digital silence. */
int prompt_silence(struct prompt *p, uint32_t ms, struct synth_error *err);

void prompt_free(struct prompt *p);

#endif
