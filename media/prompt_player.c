/* The next frame of a prompt (prompt_player.h). */
#include "media/prompt_player.h"

#include <string.h>

void prompt_player_init(struct prompt_player *pl, const struct prompt *prompt, bool loop)
{
    *pl = (struct prompt_player){.prompt = prompt, .loop = loop};
}

/* Walks n samples from pos, wrapping at the end when looping; calls take
 * for each run of the prompt's samples (from, count) and returns how many
 * samples the walk covered before a non-looping prompt ended. */
typedef void(take_h)(const struct prompt *pr, size_t from, size_t count, size_t at, void *arg);

static size_t walk(struct prompt_player *pl, size_t n, take_h *take, void *arg)
{
    const struct prompt *pr = pl->prompt;
    size_t got = 0;
    while (pr && pr->samples && got < n && !pl->done) {
        size_t count = pr->samples - pl->pos;
        if (count > n - got)
            count = n - got;
        if (take)
            take(pr, pl->pos, count, got, arg);
        got += count;
        pl->pos += count;
        if (pl->pos == pr->samples) {
            pl->pos = 0;
            pl->done = !pl->loop;
        }
    }
    return got;
}

static void take_pcm(const struct prompt *pr, size_t from, size_t count, size_t at, void *arg)
{
    memcpy((int16_t *)arg + at, pr->pcm + from, count * sizeof(int16_t));
}

struct coded_out {
    const uint8_t *coded;
    uint8_t *out;
};

static void take_coded(const struct prompt *pr, size_t from, size_t count, size_t at, void *arg)
{
    struct coded_out *co = arg;
    memcpy(co->out + at, co->coded + from, count);
}

/* Whether c's frames can be copied: G.711 (stateless per sample) with a
 * coded prompt, or with nothing to play (silence has a fixed code). */
static bool copyable(const struct prompt_player *pl, const struct audio_codec *c)
{
    const struct prompt *pr = pl->prompt;
    return !c->g722_enc && (!pr || !pr->samples || pr->coded[c->law]);
}

size_t prompt_player_next(struct prompt_player *pl, struct audio_codec *c, size_t n,
                          uint8_t *out)
{
    if (n > PROMPT_PLAYER_FRAME_MAX)
        n = PROMPT_PLAYER_FRAME_MAX;
    if (copyable(pl, c)) {
        struct coded_out co = {.coded = pl->prompt ? pl->prompt->coded[c->law] : NULL,
                               .out = out};
        size_t got = walk(pl, n, take_coded, &co);
        memset(out + got, g711law_silence(c->law), n - got); /* the code of a zero sample */
        return n;
    }
    int16_t pcm[PROMPT_PLAYER_FRAME_MAX];
    size_t got = walk(pl, n, take_pcm, pcm);
    memset(pcm + got, 0, (n - got) * sizeof(*pcm));
    return audio_codec_encode(c, pcm, n, out);
}

void prompt_player_skip(struct prompt_player *pl, size_t n)
{
    walk(pl, n, NULL, NULL);
}
