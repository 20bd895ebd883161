/* The audio a stream sends, as 8 kHz 16-bit mono PCM: a WAV file read with
 * libsndfile (mixed down and resampled when it is not 8 kHz mono), a
 * generated speech-like greeting, or silence. Loaded once, shared read-only
 * by every stream that plays it. The loaders also code it once in each
 * G.711 law, so a stream's packetiser copies bytes instead of encoding the
 * same looped audio 50 times a second per call (issue #3). */
#ifndef MEDIA_PROMPT_H
#define MEDIA_PROMPT_H

#include "media/g711.h"
#include "synth/base/err.h"

#include <stddef.h>
#include <stdint.h>

#define PROMPT_RATE 8000
/* A prompt longer than this is a mistake; it would cost 16 KB per second. */
#define PROMPT_MAX_MS (10 * 60 * 1000)

struct prompt {
    int16_t *pcm;
    size_t samples;
    /* pcm coded in each law (indexed by enum g711law), samples bytes each.
     * G.711 codes every sample alone, so any frame cut from these equals
     * the encoding of the same samples, across the loop point too. NULL in
     * a prompt built by hand: streams then encode per packet. */
    uint8_t *coded[2];
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

/* Fills p->coded from p->pcm (the loaders above call it; a prompt built
 * by hand may). SYNTH_ENOMEM leaves both NULL. */
int prompt_code(struct prompt *p, struct synth_error *err);

void prompt_free(struct prompt *p);

#endif
