/* Speech detection by syllabic modulation. Speech energy rises and falls
 * with each syllable, 2-8 times a second (the modulation spectrum of speech
 * peaks near 4 Hz); tones are flat or switch on a fixed cadence, noise is
 * flat within a dB at 20 ms frames. So: pick envelope peaks separated by
 * dips of peak_depth_db, count them over a window, reject regular cadences,
 * and count active frames while the rate is syllabic. */
#include "greeting.h"

#include "synth/base/err.h"

#include <math.h>
#include <string.h>

/* Energy of digital silence, to keep log10 finite. */
#define SILENCE_DBFS -100.0
/* Noise floor: follows a drop within a few frames, rises 3 dB/s, so it sits
 * in the dips between syllables instead of climbing onto the speech. */
#define FLOOR_FALL_ALPHA 0.3
#define FLOOR_RISE_DB_PER_FRAME 0.06
/* A cadence (busy, congestion, ringback bursts) repeats its intervals to
 * within a frame or two and its bursts to within a dB or so; speech does
 * neither. */
#define CADENCE_INTERVAL_SLACK_FRAMES 2
#define CADENCE_LEVEL_SLACK_DB 1.5

void greeting_config_default(struct greeting_config *c)
{
    c->min_speech_ms = 1500;
    c->margin_db = 9.0;
    c->min_level_dbfs = -50.0;
    c->peak_depth_db = 6.0;
    c->window_ms = 1500;
    c->min_rate_hz = 2.0;
    c->max_rate_hz = 8.0;
}

void greeting_init(struct greeting *g, const struct greeting_config *cfg)
{
    memset(g, 0, sizeof(*g));
    if (cfg)
        g->cfg = *cfg;
    else
        greeting_config_default(&g->cfg);
    if (g->cfg.window_ms > GREETING_WINDOW_MS_MAX)
        g->cfg.window_ms = GREETING_WINDOW_MS_MAX;
    if (g->cfg.window_ms < GREETING_FRAME_MS)
        g->cfg.window_ms = GREETING_FRAME_MS;
    g->onset_frame = -1;
}

static double frame_dbfs(const int16_t *pcm, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)pcm[i] * pcm[i];
    double ms = sum / n / (32768.0 * 32768.0);
    return ms > 0 ? fmax(10.0 * log10(ms), SILENCE_DBFS) : SILENCE_DBFS;
}

static void track_floor(struct greeting *g, double e)
{
    if (g->frames == 0 || e < g->floor_db)
        g->floor_db += (e - g->floor_db) * (g->frames == 0 ? 1.0 : FLOOR_FALL_ALPHA);
    else
        g->floor_db = fmin(g->floor_db + FLOOR_RISE_DB_PER_FRAME, e);
}

static bool is_active(const struct greeting *g, double e)
{
    return e >= g->cfg.min_level_dbfs && e >= g->floor_db + g->cfg.margin_db;
}

static void add_peak(struct greeting *g, uint32_t frame, double level)
{
    g->peaks[g->peak_head] = (struct greeting_peak){frame, level};
    g->peak_head = (g->peak_head + 1) % GREETING_PEAKS_MAX;
    if (g->peak_count < GREETING_PEAKS_MAX)
        g->peak_count++;
}

/* Hysteresis peak picking: a peak is a maximum followed by a fall of
 * peak_depth_db, counted only if it was itself an active level. */
static void track_peaks(struct greeting *g, double e)
{
    uint32_t now = g->frames;
    if (g->frames == 0) {
        g->rising = false;
        g->extreme_db = e;
        return;
    }
    if (g->rising) {
        if (e > g->extreme_db) {
            g->extreme_db = e;
            g->extreme_frame = now;
        } else if (e < g->extreme_db - g->cfg.peak_depth_db) {
            if (is_active(g, g->extreme_db))
                add_peak(g, g->extreme_frame, g->extreme_db);
            g->rising = false;
            g->extreme_db = e;
        }
    } else if (e < g->extreme_db) {
        g->extreme_db = e;
    } else if (e > g->extreme_db + g->cfg.peak_depth_db) {
        g->rising = true;
        g->extreme_db = e;
        g->extreme_frame = now;
    }
}

/* The peaks inside the window ending at the current frame, oldest first,
 * into out (up to GREETING_PEAKS_MAX). */
static size_t window_peaks(const struct greeting *g, struct greeting_peak *out)
{
    uint32_t window = g->cfg.window_ms / GREETING_FRAME_MS;
    size_t n = 0;
    for (size_t i = 0; i < g->peak_count; i++) {
        size_t idx = (g->peak_head + GREETING_PEAKS_MAX - g->peak_count + i) % GREETING_PEAKS_MAX;
        if (g->frames - g->peaks[idx].frame < window)
            out[n++] = g->peaks[idx];
    }
    return n;
}

static bool is_cadence(const struct greeting_peak *p, size_t n)
{
    if (n < 3)
        return false;
    uint32_t imin = UINT32_MAX, imax = 0;
    double lmin = p[0].level_db, lmax = p[0].level_db;
    for (size_t i = 1; i < n; i++) {
        uint32_t d = p[i].frame - p[i - 1].frame;
        imin = d < imin ? d : imin;
        imax = d > imax ? d : imax;
        lmin = fmin(lmin, p[i].level_db);
        lmax = fmax(lmax, p[i].level_db);
    }
    return imax - imin <= CADENCE_INTERVAL_SLACK_FRAMES && lmax - lmin <= CADENCE_LEVEL_SLACK_DB;
}

static bool is_syllabic(const struct greeting *g)
{
    struct greeting_peak p[GREETING_PEAKS_MAX];
    size_t n = window_peaks(g, p);
    double seconds = g->cfg.window_ms / 1000.0;
    double rate = n / seconds;
    return rate >= g->cfg.min_rate_hz && rate <= g->cfg.max_rate_hz && !is_cadence(p, n);
}

/* While the rate is syllabic, every active frame of the window is speech,
 * including those before the peaks that proved it, so the onset is where
 * the first syllable began, not where it was recognised. */
static void count_speech(struct greeting *g)
{
    uint32_t window = g->cfg.window_ms / GREETING_FRAME_MS;
    uint32_t span = g->frames + 1 < window ? g->frames + 1 : window;
    for (uint32_t back = span; back-- > 0;) {
        uint32_t frame = g->frames - back;
        struct greeting_frame_mark *m = &g->marks[frame % GREETING_WINDOW_FRAMES_MAX];
        if (!m->active || m->counted)
            continue;
        m->counted = true;
        g->speech_frames++;
        if (g->onset_frame < 0)
            g->onset_frame = frame;
    }
}

int greeting_feed(struct greeting *g, const int16_t *pcm, size_t n)
{
    if (n != GREETING_FRAME_SAMPLES || !pcm)
        return SYNTH_EINVAL;
    double e = frame_dbfs(pcm, n);
    track_floor(g, e);
    track_peaks(g, e);
    g->marks[g->frames % GREETING_WINDOW_FRAMES_MAX] =
        (struct greeting_frame_mark){.active = is_active(g, e), .counted = false};
    if (is_syllabic(g))
        count_speech(g);
    g->frames++;
    return 0;
}

void greeting_result(const struct greeting *g, struct greeting_result *out)
{
    out->speech_ms = g->speech_frames * GREETING_FRAME_MS;
    out->detected = out->speech_ms >= g->cfg.min_speech_ms;
    out->onset_ms = g->onset_frame < 0 ? -1 : g->onset_frame * GREETING_FRAME_MS;
    out->fed_ms = g->frames * GREETING_FRAME_MS;
    out->noise_floor_dbfs = g->floor_db;
}
