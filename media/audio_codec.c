/* Audio codecs over 8 kHz PCM (audio_codec.h). spandsp's G.722 with
 * G722_SAMPLE_RATE_8000 takes and gives 8 kHz samples, so a wideband peer
 * gets a real G.722 stream and the rest of the media path stays narrowband. */
#include "media/audio_codec.h"

#include "synth/base/err.h"

#include <spandsp.h>

#include <string.h>
#include <strings.h>

#define G722_BIT_RATE 64000

static const struct {
    uint8_t pt;
    const char *name;
} codecs[] = {
    {AUDIO_CODEC_PT_PCMU, "PCMU"},
    {AUDIO_CODEC_PT_PCMA, "PCMA"},
    {AUDIO_CODEC_PT_G722, "G722"},
};

bool audio_codec_supported(uint8_t pt)
{
    return audio_codec_name(pt)[0] != '?';
}

const char *audio_codec_name(uint8_t pt)
{
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
        if (codecs[i].pt == pt)
            return codecs[i].name;
    return "?";
}

int audio_codec_pt_of(const char *name)
{
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
        if (strcasecmp(codecs[i].name, name) == 0)
            return codecs[i].pt;
    return -1;
}

int audio_codec_open(struct audio_codec *c, uint8_t pt)
{
    memset(c, 0, sizeof(*c));
    c->pt = pt;
    if (g711law_from_pt(pt, &c->law) == 0)
        return 0;
    if (pt != AUDIO_CODEC_PT_G722)
        return SYNTH_EUNSUPPORTED;
    c->g722_enc = g722_encode_init(NULL, G722_BIT_RATE, G722_SAMPLE_RATE_8000);
    c->g722_dec = g722_decode_init(NULL, G722_BIT_RATE, G722_SAMPLE_RATE_8000);
    if (!c->g722_enc || !c->g722_dec) {
        audio_codec_close(c);
        return SYNTH_ENOMEM;
    }
    return 0;
}

void audio_codec_close(struct audio_codec *c)
{
    if (c->g722_enc)
        g722_encode_free(c->g722_enc);
    if (c->g722_dec)
        g722_decode_free(c->g722_dec);
    c->g722_enc = NULL;
    c->g722_dec = NULL;
}

size_t audio_codec_encode(struct audio_codec *c, const int16_t *pcm, size_t n, uint8_t *out)
{
    if (c->g722_enc) {
        int len = g722_encode(c->g722_enc, out, pcm, (int)n);
        return len > 0 ? (size_t)len : 0;
    }
    g711law_encode(c->law, pcm, n, out);
    return n;
}

size_t audio_codec_decode(struct audio_codec *c, const uint8_t *in, size_t n, int16_t *pcm,
                          size_t max)
{
    if (n > max)
        n = max; /* one sample per byte at 8 kHz for every codec here */
    if (c->g722_dec) {
        int len = g722_decode(c->g722_dec, pcm, in, (int)n);
        return len > 0 ? (size_t)len : 0;
    }
    g711law_decode(c->law, in, n, pcm);
    return n;
}
