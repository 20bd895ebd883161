/* Received audio kept as evidence and written as WAV (recording.h). */
#include "media/recording.h"

#include "media/prompt.h"

#include <sndfile.h>

#include <stdlib.h>
#include <string.h>

void recording_init(struct recording *r, uint32_t max_ms)
{
    memset(r, 0, sizeof(*r));
    r->cap = (size_t)(max_ms ? max_ms : RECORDING_DEFAULT_MS) * PROMPT_RATE / 1000;
}

/* Makes room for n more samples up to the cap; returns how many fit. */
static int reserve(struct recording *r, size_t n, size_t *fit)
{
    size_t room = r->cap - r->samples;
    *fit = n < room ? n : room;
    if (r->samples + *fit <= r->alloc)
        return 0;
    size_t want = r->alloc ? r->alloc * 2 : PROMPT_RATE; /* one second first */
    if (want < r->samples + *fit)
        want = r->samples + *fit;
    if (want > r->cap)
        want = r->cap;
    int16_t *grown = realloc(r->pcm, want * sizeof(*grown));
    if (!grown)
        return SYNTH_ENOMEM;
    r->pcm = grown;
    r->alloc = want;
    return 0;
}

int recording_append(struct recording *r, const int16_t *pcm, size_t n)
{
    size_t fit;
    int rc = reserve(r, n, &fit);
    if (rc != 0)
        return rc;
    if (pcm)
        memcpy(r->pcm + r->samples, pcm, fit * sizeof(*pcm));
    else
        memset(r->pcm + r->samples, 0, fit * sizeof(*r->pcm));
    r->samples += fit;
    r->dropped += n - fit;
    return 0;
}

int recording_append_silence(struct recording *r, size_t n)
{
    return recording_append(r, NULL, n);
}

int recording_write_wav(const struct recording *r, const char *path, struct synth_error *err)
{
    SF_INFO info = {.samplerate = PROMPT_RATE, .channels = 1,
                    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        return synth_error_set(err, SYNTH_EIO, "%s: %s", path, sf_strerror(NULL));
    sf_count_t wrote = r->samples ? sf_write_short(f, r->pcm, (sf_count_t)r->samples) : 0;
    int closed = sf_close(f);
    if (wrote != (sf_count_t)r->samples || closed != 0)
        return synth_error_set(err, SYNTH_EIO, "%s: write failed", path);
    return 0;
}

void recording_free(struct recording *r)
{
    free(r->pcm);
    memset(r, 0, sizeof(*r));
}

void recording_file_name(const char *call_id, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = call_id; *p && n + 1 < size; p++, n++) {
        char c = *p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || (c == '.' && n > 0);
        out[n] = keep ? c : '_';
    }
    if (size)
        out[n] = '\0';
}
