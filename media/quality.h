/* Estimated call quality by the ITU-T G.107 E-model, reduced to what a
 * G.711 receiver measures: packet loss, jitter and one-way delay. Default
 * G.107 values for everything else (no echo, no circuit noise). */
#ifndef MEDIA_QUALITY_H
#define MEDIA_QUALITY_H

#include <stdbool.h>

/* G.107 7 (Table 3 defaults): Ro - Is = 93.2 with all parameters at their
 * defaults, the best R a narrowband call can get. */
#define QUALITY_R_DEFAULT 93.2
/* G.113 Appendix I, G.711: Ie = 0; Bpl = 4.3 with no concealment (packets
 * dropped as silence), 25.1 with PLC (G.711 Appendix I). */
#define QUALITY_IE_G711 0.0
#define QUALITY_BPL_G711 4.3
#define QUALITY_BPL_G711_PLC 25.1
/* Delay a de-jitter buffer adds per ms of measured jitter (RFC 3550 A.8
 * jitter is a mean deviation; a buffer of twice that absorbs most of it). */
#define QUALITY_JITTER_BUFFER_FACTOR 2.0

struct quality_input {
    double loss_percent;   /* 0..100, as lost / expected */
    double jitter_ms;      /* RFC 3550 A.8 interarrival jitter */
    double delay_ms;       /* one-way network delay (e.g. RTT/2 from RTCP) */
    bool plc;              /* the receiver conceals lost packets */
    double burst_ratio;    /* G.107 BurstR; 0 or 1 means random loss */
};

struct quality_result {
    double delay_ms;       /* Ta: delay_ms + the jitter buffer */
    double id;             /* delay impairment (Idd of G.107 7.2) */
    double ie_eff;         /* equipment impairment with loss (G.107 7.5) */
    double r;              /* transmission rating, 0..100 */
    double mos;            /* MOS-CQE, 1..4.5 */
};

/* Fills out from in. Inputs out of range are clamped (negative to 0, loss
 * to 100). */
void quality_estimate(const struct quality_input *in, struct quality_result *out);

/* G.107 Annex B: MOS from R. */
double quality_mos_from_r(double r);

#endif
