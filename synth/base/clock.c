/* Clocks (clock.h). */
#include "synth/base/clock.h"

#include <time.h>

/* Seconds from 1900 (NTP's epoch) to 1970 (Unix's). */
#define NTP_UNIX_OFFSET 2208988800ull

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t clock_ntp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000ull;
    return (((uint64_t)ts.tv_sec + NTP_UNIX_OFFSET) << 32) | frac;
}
