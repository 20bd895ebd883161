/* G.711 mu-law (PCMU) and A-law (PCMA) sample conversion, ITU-T G.711
 * tables 1a/2a, with the sign convention of the G.191 reference coder.
 * Prefix g711law_: spandsp, linked into the same binary, owns g711_. */
#ifndef MEDIA_G711_H
#define MEDIA_G711_H

#include <stddef.h>
#include <stdint.h>

enum g711law {
    G711LAW_MU, /* PCMU, RTP payload type 0 (RFC 3551 6) */
    G711LAW_A,  /* PCMA, RTP payload type 8 */
};

uint8_t g711law_ulaw_from_linear(int16_t x);
int16_t g711law_linear_from_ulaw(uint8_t u);
uint8_t g711law_alaw_from_linear(int16_t x);
int16_t g711law_linear_from_alaw(uint8_t a);

/* n samples of 16-bit linear PCM to n code words, and back. */
void g711law_encode(enum g711law law, const int16_t *pcm, size_t n, uint8_t *out);
void g711law_decode(enum g711law law, const uint8_t *in, size_t n, int16_t *pcm);

/* The code word of a zero sample: 0xFF for mu-law, 0xD5 for A-law. */
uint8_t g711law_silence(enum g711law law);

/* RTP static payload type 0 or 8 to its law; SYNTH_EUNSUPPORTED otherwise. */
int g711law_from_pt(uint8_t pt, enum g711law *law);

#endif
