/* The options step: an OPTIONS ping to the registrar, the cheapest proof
 * that the SIP service answers (RFC 3261 11). */
#include "step.h"

#include "synth/engine/worker.h"

#include <stdio.h>

static void on_response(int err, const struct sip_msg *msg, void *arg)
{
    struct step_run *run = arg;
    if (!err && msg->status < 200)
        return;
    run->ctrans = NULL;
    if (err) {
        step_finish_fail(run, step_class_of_sip_err(err), "OPTIONS: %s",
                         step_sip_err_detail(run->u, err));
        return;
    }
    step_note_response(run, msg);
    if (msg->status < 300)
        step_finish_ok(run);
    else
        step_finish_fail(run, step_class_of_status(msg->status), "OPTIONS answered %u",
                         msg->status);
}

static void on_ready(int err, const char *detail, void *arg)
{
    struct step_run *run = arg;
    struct vuser *u = run->u;
    if (err) {
        step_finish_fail(run, step_class_of_err(err), "%s", detail);
        return;
    }
    char ruri[300], call_id[33], tag[20];
    snprintf(ruri, sizeof(ruri), "sip:%s", u->w->plan->target->sip_domain);
    sip_random_token(call_id, sizeof(call_id));
    sip_random_token(tag, sizeof(tag));
    snprintf(run->result.call_id, sizeof(run->result.call_id), "%s", call_id);
    struct sip_request_spec spec = {
        .method = "OPTIONS",
        .ruri = ruri,
        .from = u->id->uri,
        .from_tag = tag,
        .to = ruri,
        .call_id = call_id,
        .cseq = 1,
        .contact = sip_ua_contact(u->ua),
        .expires = -1,
        .extra = "Accept: application/sdp\r\n",
    };
    int rc = sip_ua_request(u->ua, &spec, on_response, run, &run->ctrans);
    if (rc != 0)
        step_finish_fail(run, step_class_of_err(rc), "cannot send OPTIONS: %s",
                         synth_strerror(rc));
}

static void options_start(struct step_run *run)
{
    int rc = vuser_ensure_connected(run->u, on_ready, run);
    if (rc != 0)
        step_finish_fail(run, step_class_of_err(rc), "%s", run->u->conn_detail);
}

static void options_deadline(struct step_run *run)
{
    vuser_cancel_wait(run->u, run);
    step_finish_fail(run, FAIL_TIMEOUT, "no answer to OPTIONS within %u ms",
                     run->cfg->timeout_ms);
}

const struct step_ops step_options_ops = {
    .start = options_start,
    .deadline = options_deadline,
};
