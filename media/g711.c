/* G.711 companding (ITU-T G.711, 1988): 8 segments of 16 steps each, sign
 * bit on top. Where the standard leaves the rounding of negative inputs to
 * the coder, we follow the deployed ones (spandsp, the classic CCITT/Sun
 * reference code): mu-law codes -x, A-law codes -x-1, so our output matches
 * theirs bit for bit and a peer's decoder sees what it expects. */
#include "g711.h"

#include "synth/base/err.h"

/* mu-law works on a biased magnitude (x + 0x84) so that every segment
 * boundary is a power of two; the largest magnitude the 8 segments hold is
 * 0x7fff - 0x84. */
#define ULAW_BIAS 0x84
#define ULAW_CLIP (0x7fff - ULAW_BIAS)
/* A-law's even bits are inverted on the line (G.711 table 1a note). */
#define ALAW_XOR 0x55

/* Index of the highest set bit of v (v > 0). */
static int top_bit(unsigned v)
{
    int n = 0;
    while (v >>= 1)
        n++;
    return n;
}

uint8_t g711law_ulaw_from_linear(int16_t x)
{
    unsigned sign = x < 0 ? 0x80 : 0x00;
    int mag = x < 0 ? -(int)x : x;
    if (mag > ULAW_CLIP)
        mag = ULAW_CLIP;
    unsigned biased = (unsigned)mag + ULAW_BIAS;
    int seg = top_bit(biased) - 7; /* biased >= 0x84, so seg >= 0 */
    unsigned mant = (biased >> (seg + 3)) & 0x0f;
    /* Sent inverted (G.711 table 2a), which is why silence is 0xFF. */
    return (uint8_t)~(sign | (unsigned)seg << 4 | mant);
}

int16_t g711law_linear_from_ulaw(uint8_t u)
{
    u = (uint8_t)~u;
    int seg = (u >> 4) & 0x07;
    int mag = ((((u & 0x0f) << 3) + ULAW_BIAS) << seg) - ULAW_BIAS;
    return (int16_t)((u & 0x80) ? -mag : mag);
}

uint8_t g711law_alaw_from_linear(int16_t x)
{
    unsigned sign = x < 0 ? 0x00 : 0x80; /* A-law: 1 is positive */
    int mag = x < 0 ? -(int)x - 1 : x;
    int seg = top_bit((unsigned)mag | 0xff) - 7;
    unsigned code;
    if (seg >= 8)
        code = 0x7f; /* clip to the top of segment 7 */
    else
        code = (unsigned)(seg << 4) | (((unsigned)mag >> (seg ? seg + 3 : 4)) & 0x0f);
    return (uint8_t)((code | sign) ^ ALAW_XOR);
}

int16_t g711law_linear_from_alaw(uint8_t a)
{
    a ^= ALAW_XOR;
    int seg = (a >> 4) & 0x07;
    int mag = (a & 0x0f) << 4;
    /* Reconstruct at the middle of the step: +8 in segment 0, and the
     * implicit leading one (0x100) plus half a step in the others. */
    mag = seg ? (mag + 0x108) << (seg - 1) : mag + 8;
    return (int16_t)((a & 0x80) ? mag : -mag);
}

void g711law_encode(enum g711law law, const int16_t *pcm, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = law == G711LAW_A ? g711law_alaw_from_linear(pcm[i])
                                  : g711law_ulaw_from_linear(pcm[i]);
}

void g711law_decode(enum g711law law, const uint8_t *in, size_t n, int16_t *pcm)
{
    for (size_t i = 0; i < n; i++)
        pcm[i] = law == G711LAW_A ? g711law_linear_from_alaw(in[i])
                                  : g711law_linear_from_ulaw(in[i]);
}

uint8_t g711law_silence(enum g711law law)
{
    return law == G711LAW_A ? 0xd5 : 0xff;
}

int g711law_from_pt(uint8_t pt, enum g711law *law)
{
    if (pt == 0)
        *law = G711LAW_MU;
    else if (pt == 8)
        *law = G711LAW_A;
    else
        return SYNTH_EUNSUPPORTED;
    return 0;
}
