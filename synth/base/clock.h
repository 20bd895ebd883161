/* Clocks: CLOCK_MONOTONIC for durations, the wall clock only for timestamps
 * (reports, RTCP's NTP time), as DESIGN.md asks. */
#ifndef SYNTH_CLOCK_H
#define SYNTH_CLOCK_H

#include <stdint.h>

/* Monotonic time in µs (arbitrary origin). */
int64_t clock_mono_us(void);

/* Wall clock in ms since the Unix epoch. */
int64_t clock_wall_ms(void);

/* Wall clock as an NTP timestamp, 32.32 fixed point (RFC 3550 4). */
uint64_t clock_ntp_now(void);

/* The middle 32 bits of an NTP timestamp (RFC 3550 6.4.1 LSR, and the A of
 * its round-trip formula), in 1/65536 s. */
static inline uint32_t clock_ntp_mid32(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

#endif
