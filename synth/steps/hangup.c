/* The hangup step: BYE the active call and wait for its answer (RFC 3261
 * 15.1.1), or say why there was nothing to hang up. */
#include "step.h"

#include "synth/engine/call_link.h"
#include "synth/sip/dialog.h"
#include "synth/steps/call.h"

#include <stdio.h>

static void on_bye_response(int err, const struct sip_msg *msg, void *arg)
{
    struct step_run *run = arg;
    if (!err && msg->status < 200)
        return;
    run->ctrans = NULL;
    struct vuser *u = run->u;
    call_end_dialog(u);
    if (err) {
        step_finish_fail(run, step_class_of_sip_err(err), "BYE: %s", step_sip_err_detail(u, err));
        return;
    }
    step_note_response(run, msg);
    if (msg->status < 300)
        step_finish_ok(run);
    else
        step_finish_fail(run, msg->status == 481 ? FAIL_PROTOCOL : step_class_of_status(msg->status),
                         "BYE answered %u", msg->status);
}

static void hangup_start(struct step_run *run)
{
    struct vuser *u = run->u;
    struct dialog *d = u->call;
    if (!d || !d->confirmed || d->terminated || !call_link_ua(u)) {
        bool peer = d && d->bye_by_peer;
        if (peer) {
            run->result.bye_by_peer = true;
            snprintf(run->result.reason_hdr, sizeof(run->result.reason_hdr), "%s",
                     d->bye_reason);
        }
        if (d)
            snprintf(run->result.call_id, sizeof(run->result.call_id), "%s", d->call_id);
        call_end_dialog(u);
        if (peer && u->call_end_reported)
            /* A consequence: the call step's failure already names it. */
            step_finish_fail(run, FAIL_NOT_READY,
                             "the far end had ended the call after it failed (see the call step)");
        else
            step_finish_fail(run, peer ? FAIL_DROPPED : FAIL_NOT_READY,
                             peer ? "the far end hung up first" : "no call to hang up");
        return;
    }
    snprintf(run->result.call_id, sizeof(run->result.call_id), "%s", d->call_id);
    struct sip_request_spec spec;
    dialog_request(d, "BYE", &spec);
    d->terminated = true;
    int rc = sip_ua_request(call_link_ua(u), &spec, on_bye_response, run, &run->ctrans);
    if (rc != 0)
        step_finish_fail(run, step_class_of_err(rc), "cannot send BYE: %s", synth_strerror(rc));
}

static void hangup_deadline(struct step_run *run)
{
    struct vuser *u = run->u;
    call_end_dialog(u);
    step_finish_fail(run, FAIL_TIMEOUT, "no answer to BYE within %u ms", run->cfg->timeout_ms);
}

const struct step_ops step_hangup_ops = {
    .start = hangup_start,
    .deadline = hangup_deadline,
};
