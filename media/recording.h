/* What a stream received, decoded to 8 kHz PCM, kept so the audio of a
 * failed or poor call can be written as WAV evidence (DIR/audio/). Bounded:
 * a recording keeps at most its configured length, the rest is counted. */
#ifndef MEDIA_RECORDING_H
#define MEDIA_RECORDING_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One minute of evidence is 960 KB; more is rarely listened to. */
#define RECORDING_DEFAULT_MS 60000

struct recording {
    int16_t *pcm;
    size_t samples;  /* kept */
    size_t alloc;    /* samples allocated */
    size_t cap;      /* samples the recording may hold */
    uint64_t dropped; /* samples past cap */
};

/* Prepares a recording of at most max_ms (0: RECORDING_DEFAULT_MS); memory
 * grows as audio comes. */
void recording_init(struct recording *r, uint32_t max_ms);

/* Appends samples; past the cap they are counted, not kept. SYNTH_ENOMEM
 * leaves what was kept intact. */
int recording_append(struct recording *r, const int16_t *pcm, size_t n);

/* Appends n samples of silence (a lost packet, so the WAV keeps its timing). */
int recording_append_silence(struct recording *r, size_t n);

/* Writes a 16-bit mono 8 kHz WAV; errors name the path. */
int recording_write_wav(const struct recording *r, const char *path, struct synth_error *err);

void recording_free(struct recording *r);

/* A file name for the recording of a call: its Call-ID with anything but
 * letters, digits and - _ . replaced by '_' (no path can be smuggled in). */
void recording_file_name(const char *call_id, char *out, size_t size);

#endif
