/* The dtmf step: keys sent in the active call as RFC 4733 telephone-events
 * (a voicemail PIN, menu choices), done when the last end packet is out. */
#include "step.h"

#include "synth/sip/dialog.h"
#include "synth/steps/call_media.h"

#include <stdio.h>

static void dtmf_start(struct step_run *run)
{
    struct vuser *u = run->u;
    const struct scenario_step *cfg = run->cfg;
    if (!u->call || !u->call->confirmed || u->call->terminated) {
        step_finish_fail(run, FAIL_NOT_READY, "no call to send keys in");
        return;
    }
    snprintf(run->result.call_id, sizeof(run->result.call_id), "%s", u->call->call_id);
    int rc = call_media_send_dtmf(u, cfg->keys, cfg->tone_ms, cfg->pause_ms);
    if (rc == SYNTH_EUNSUPPORTED)
        step_finish_fail(run, FAIL_SDP, "the far end did not agree to telephone-event (RFC 4733)");
    else if (rc != 0)
        step_finish_fail(run, FAIL_NOT_READY, "the call has no media to send keys in");
}

static void dtmf_deadline(struct step_run *run)
{
    step_finish_fail(run, FAIL_TIMEOUT, "the keys were not all sent within %u ms",
                     run->cfg->timeout_ms);
}

const struct step_ops step_dtmf_ops = {
    .start = dtmf_start,
    .deadline = dtmf_deadline,
};
