/* What the UCWA steps share: the session options of a synthetic user. */
#ifndef SYNTH_STEPS_UCWA_STEPS_H
#define SYNTH_STEPS_UCWA_STEPS_H

#include "synth/engine/vuser.h"
#include "synth/ucwa/ucwa_client.h"

/* u's UCWA session options from the target's ucwa: section: the user signs
 * in with its SIP URI without "sip:" and its password (borrowed from u). */
void ucwa_step_session_opts(const struct vuser *u, uint32_t timeout_ms,
                            struct ucwa_session_opts *o);

#endif
