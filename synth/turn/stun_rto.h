/* The STUN retransmission schedule over UDP (RFC 8489 6.2.1, RFC 5389
 * 7.2.1): a request is sent Rc times, the wait doubling from RTO, and after
 * the last one the client waits Rm * RTO before calling it a timeout. Over a
 * stream the request is sent once and the same total is its deadline (Ti,
 * 39.5 s with the defaults). Shared by the TURN client and the Binding. */
#ifndef SYNTH_TURN_STUN_RTO_H
#define SYNTH_TURN_STUN_RTO_H

#include <stdint.h>

#define STUN_RTO_DEFAULT_MS 500
#define STUN_RC_DEFAULT 7
#define STUN_RM_DEFAULT 16
/* Rc is bounded so that RTO << (Rc - 1) cannot overflow 32 bits of ms. */
#define STUN_RC_MAX 12

/* The wait after the sent-th transmission (1-based), in ms. */
static inline uint64_t stun_rto_wait_ms(uint32_t rto_ms, unsigned sent, unsigned rc, unsigned rm)
{
    if (sent < rc)
        return (uint64_t)rto_ms << (sent - 1);
    return (uint64_t)rto_ms * rm;
}

/* The whole deadline of one request: the stream's Ti. */
static inline uint64_t stun_rto_total_ms(uint32_t rto_ms, unsigned rc, unsigned rm)
{
    uint64_t t = 0;
    for (unsigned i = 1; i <= rc; i++)
        t += stun_rto_wait_ms(rto_ms, i, rc, rm);
    return t;
}

#endif
