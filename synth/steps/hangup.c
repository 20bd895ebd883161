/* The hangup step: BYE the active call and wait for its answer (RFC 3261
 * 15.1.1), or say why there was nothing to hang up. */
#include "step.h"

#include "synth/engine/call_link.h"
#include "synth/sip/dialog.h"
#include "synth/steps/auth.h"
#include "synth/steps/call.h"

#include <stdio.h>

/* Credentials answered at most twice: a Digest challenge, or NTLM's two
 * rounds when the server let the user's SA lapse ([MS-SIPAE] 3.2.1). */
#define HANGUP_AUTH_MAX 2

static void send_bye(struct step_run *run, const char *auth_line);

/* A BYE challenged: answered and sent again (a new CSeq), or not. */
static bool bye_challenged(struct step_run *run, const struct sip_msg *msg)
{
    struct vuser *u = run->u;
    char line[1024];
    bool stale = false;
    if ((msg->status != 401 && msg->status != 407) || run->attempts >= HANGUP_AUTH_MAX ||
        !u->call ||
        auth_answer(u, call_link_ntlm(u), msg, "BYE", u->call->remote_target, line,
                    sizeof(line), &stale) != 0)
        return false;
    run->attempts++;
    send_bye(run, line);
    return true;
}

static void on_bye_response(int err, const struct sip_msg *msg, void *arg)
{
    struct step_run *run = arg;
    if (!err && msg->status < 200)
        return;
    run->ctrans = NULL;
    struct vuser *u = run->u;
    if (!err && bye_challenged(run, msg))
        return;
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
    send_bye(run, NULL);
}

static void send_bye(struct step_run *run, const char *auth_line)
{
    struct vuser *u = run->u;
    struct dialog *d = u->call;
    struct sip_request_spec spec;
    dialog_request(d, "BYE", &spec);
    spec.extra = auth_line && auth_line[0] ? auth_line : NULL;
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
