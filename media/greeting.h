/* Greeting (speech) detector for the audio a voicemail answers with: 8 kHz
 * 16-bit PCM in 20 ms frames. Speech is energy above an adaptive noise floor
 * whose envelope rises and falls at syllable rate (about 2-8 Hz), so a
 * steady tone, ringback or busy cadences and comfort noise are not speech.
 * Time is counted in frames; nothing here reads a clock. */
#ifndef MEDIA_GREETING_H
#define MEDIA_GREETING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GREETING_SAMPLE_RATE 8000
#define GREETING_FRAME_MS 20
#define GREETING_FRAME_SAMPLES (GREETING_SAMPLE_RATE * GREETING_FRAME_MS / 1000)
/* Longest syllable window: 2 s holds 4 syllables even at 2 Hz. */
#define GREETING_WINDOW_MS_MAX 2000
#define GREETING_WINDOW_FRAMES_MAX (GREETING_WINDOW_MS_MAX / GREETING_FRAME_MS)
/* Peaks remembered: 8 Hz over the longest window, with room. */
#define GREETING_PEAKS_MAX 32

struct greeting_config {
    uint32_t min_speech_ms;  /* speech needed to say "detected", 1500 */
    double margin_db;        /* a frame is active this far over the floor */
    double min_level_dbfs;   /* and over this absolute level */
    double peak_depth_db;    /* dip that separates two syllables */
    uint32_t window_ms;      /* syllable rate is measured over this */
    double min_rate_hz;      /* syllable rate accepted as speech */
    double max_rate_hz;
};

struct greeting_peak {
    uint32_t frame;
    double level_db;
};

struct greeting_frame_mark {
    bool active;
    bool counted;
};

struct greeting {
    struct greeting_config cfg;
    uint32_t frames;         /* fed so far */
    double floor_db;
    /* envelope peak picking with hysteresis */
    bool rising;
    double extreme_db;       /* running max when rising, min when falling */
    uint32_t extreme_frame;
    struct greeting_peak peaks[GREETING_PEAKS_MAX];
    size_t peak_count;       /* ring of the last peaks, newest at peak_head-1 */
    size_t peak_head;
    /* the last window's frames, to count speech back to its onset */
    struct greeting_frame_mark marks[GREETING_WINDOW_FRAMES_MAX];
    uint32_t speech_frames;
    int64_t onset_frame;     /* -1 until speech */
};

struct greeting_result {
    bool detected;
    int64_t onset_ms;        /* from the first frame, -1 if no speech */
    uint32_t speech_ms;
    uint32_t fed_ms;
    double noise_floor_dbfs;
};

/* 1500 ms of speech, 9 dB margin, -50 dBFS, 6 dB dips, 1.5 s window, 2-8 Hz. */
void greeting_config_default(struct greeting_config *c);

/* cfg may be NULL for the defaults; a window over GREETING_WINDOW_MS_MAX is
 * cut to it. */
void greeting_init(struct greeting *g, const struct greeting_config *cfg);

/* One 20 ms frame; n must be GREETING_FRAME_SAMPLES. Returns 0 or
 * SYNTH_EINVAL. */
int greeting_feed(struct greeting *g, const int16_t *pcm, size_t n);

void greeting_result(const struct greeting *g, struct greeting_result *out);

#endif
