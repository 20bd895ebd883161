/* ITU-T G.107 (06/2015) E-model, simplified for G.711 over IP:
 * R = Ro - Is - Id - Ie,eff + A with Ro - Is at the 93.2 default, A = 0,
 * Id reduced to the absolute delay term Idd (echo assumed controlled: an
 * all-IP path with default TELR), Ie,eff by 7.5 with G.113 Appendix I's
 * Bpl, MOS by Annex B. */
#include "quality.h"

#include <math.h>

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* G.107 7.2 (Idd): no impairment up to 100 ms, then
 * 25 { (1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) + 2 }, X = log2(Ta / 100). */
static double delay_impairment(double ta_ms)
{
    if (ta_ms <= 100.0)
        return 0.0;
    double x = log2(ta_ms / 100.0);
    return 25.0 * (pow(1.0 + pow(x, 6), 1.0 / 6) - 3.0 * pow(1.0 + pow(x / 3.0, 6), 1.0 / 6) + 2.0);
}

/* G.107 7.5: Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl). */
static double loss_impairment(double ppl, double burst_r, bool plc)
{
    double bpl = plc ? QUALITY_BPL_G711_PLC : QUALITY_BPL_G711;
    if (ppl <= 0.0)
        return QUALITY_IE_G711;
    return QUALITY_IE_G711 + (95.0 - QUALITY_IE_G711) * ppl / (ppl / burst_r + bpl);
}

double quality_mos_from_r(double r)
{
    if (r <= 0.0)
        return 1.0;
    if (r >= 100.0)
        return 4.5;
    double mos = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
    /* The cubic dips under 1 for R below about 6.5; MOS has no such values. */
    return clamp(mos, 1.0, 4.5);
}

void quality_estimate(const struct quality_input *in, struct quality_result *out)
{
    double ppl = clamp(in->loss_percent, 0.0, 100.0);
    double jitter = in->jitter_ms > 0.0 ? in->jitter_ms : 0.0;
    double delay = in->delay_ms > 0.0 ? in->delay_ms : 0.0;
    double burst_r = in->burst_ratio >= 1.0 ? in->burst_ratio : 1.0;

    out->delay_ms = delay + QUALITY_JITTER_BUFFER_FACTOR * jitter;
    out->id = delay_impairment(out->delay_ms);
    out->ie_eff = loss_impairment(ppl, burst_r, in->plc);
    out->r = clamp(QUALITY_R_DEFAULT - out->id - out->ie_eff, 0.0, 100.0);
    out->mos = quality_mos_from_r(out->r);
}
