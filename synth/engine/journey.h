/* A journey: one synthetic user running the scenario's steps in order. */
#ifndef SYNTH_ENGINE_JOURNEY_H
#define SYNTH_ENGINE_JOURNEY_H

#include "synth/engine/vuser.h"

#include <stdint.h>

/* Starts the scenario for u; intended_us is when the arrival was due. The
 * worker hears of the end through worker_journey_done. */
int journey_start(struct vuser *u, int64_t intended_us, uint64_t seq);
/* Ends the running step quickly (shutdown); the journey then ends. */
void journey_abort(struct vuser *u);

#endif
