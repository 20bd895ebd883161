/* The event loops of workers and the lab: libevent bases with its precise
 * timer, because media is paced by 20 ms timers and libevent's default
 * coarse clock fired them 1-5 ms late on 43% of ticks here
 * (docs/PERFORMANCE.md, "Media"). */
#ifndef SYNTH_LOOP_H
#define SYNTH_LOOP_H

#include <stdbool.h>

struct event_base;

/* Priorities: signalling (and everything else) runs at the default; media
 * sockets and the media clock below it, so that a loop busy with thousands
 * of packets a second still answers an INVITE at once. */
#define LOOP_PRIORITIES 3
#define LOOP_PRIORITY_DEFAULT 1
#define LOOP_PRIORITY_MEDIA 2

/* precise: libevent's precise timer, for loops that pace media; it costs
 * a wake-up per timer (twice the CPU per call in a signalling-only load),
 * so signalling-only loops go without. NULL when out of memory. Free with
 * event_base_free. */
struct event_base *loop_new(bool precise);

#endif
