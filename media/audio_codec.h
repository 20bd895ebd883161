/* The audio codecs a call can carry, behind one interface over 8 kHz
 * linear PCM (what the prompt, the greeting detector and the recordings
 * use): G.711 mu-law and A-law (ITU-T G.711) and G.722 at 64 kbit/s
 * (ITU-T G.722, via spandsp). RTP payload types are RFC 3551's. */
#ifndef MEDIA_AUDIO_CODEC_H
#define MEDIA_AUDIO_CODEC_H

#include "media/g711.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIO_CODEC_PT_PCMU 0
#define AUDIO_CODEC_PT_PCMA 8
/* RFC 3551 4.5.2: G.722's RTP clock is 8000 Hz although it samples at 16 kHz. */
#define AUDIO_CODEC_PT_G722 9

struct g722_encode_state_s;
struct g722_decode_state_s;

struct audio_codec {
    uint8_t pt;
    enum g711law law;                 /* PCMU, PCMA */
    struct g722_encode_state_s *g722_enc; /* G.722 */
    struct g722_decode_state_s *g722_dec;
};

/* Whether pt is one of ours. */
bool audio_codec_supported(uint8_t pt);
/* "PCMU", "PCMA", "G722"; "?" for another. */
const char *audio_codec_name(uint8_t pt);
/* The payload type of a codec name (case-insensitive); -1 if not ours. */
int audio_codec_pt_of(const char *name);

/* Prepares c for pt: 0, SYNTH_EUNSUPPORTED, or SYNTH_ENOMEM. Caller closes
 * with audio_codec_close (safe on a zeroed struct). */
int audio_codec_open(struct audio_codec *c, uint8_t pt);
void audio_codec_close(struct audio_codec *c);

/* Encodes n samples of 8 kHz PCM; returns the payload bytes written to out
 * (n for every codec here: G.722 of 8 kHz input codes the lower sub-band
 * only, still a valid 64 kbit/s stream). out holds at least n bytes. */
size_t audio_codec_encode(struct audio_codec *c, const int16_t *pcm, size_t n, uint8_t *out);
/* Decodes a payload of n bytes into at most max samples of 8 kHz PCM;
 * returns the samples written. */
size_t audio_codec_decode(struct audio_codec *c, const uint8_t *in, size_t n, int16_t *pcm,
                          size_t max);

#endif
