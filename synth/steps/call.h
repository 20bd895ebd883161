/* What the call steps offer the rest of the engine. */
#ifndef SYNTH_STEPS_CALL_H
#define SYNTH_STEPS_CALL_H

#include "synth/engine/vuser.h"

/* The UA's handler for requests from the far end (BYE) and stray 2xx. */
bool call_on_request(struct sip_ua *ua, const struct sip_msg *msg, void *arg);
/* Ends the user's call without a step (journey end, shutdown): BYE, no wait. */
void call_end_silently(struct vuser *u);
/* Forgets the call: dialog, media and its own connection (no BYE). */
void call_end_dialog(struct vuser *u);

#endif
