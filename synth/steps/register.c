/* The register and unregister steps, and the refresh that re-REGISTERs
 * before the granted expiry runs out (RFC 3261 10.2, 10.3; Digest 22). */
#include "step.h"

#include "synth/engine/worker.h"
#include "synth/steps/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Credentials are sent at most this many times per step: once, and once
 * more when the server says the nonce was only stale. */
#define REGISTER_AUTH_MAX 2
/* A refresh goes out at half the granted time, never sooner than this. */
#define REFRESH_MIN_S 5
/* A renewal due now still waits this long: the REGISTER that made the SA
 * has just been answered, and a lab lifetime of seconds must not spin. */
#define REFRESH_NTLM_MIN_MS 200

static void send_register(struct step_run *run, const char *auth_line);

static uint32_t requested_expires(const struct step_run *run)
{
    return run->cfg->kind == STEP_UNREGISTER ? 0 : run->cfg->expires_s;
}

/* The expiry the registrar granted: our Contact's expires param, else the
 * Expires header (RFC 3261 10.2.4). */
static uint32_t granted_expires(const struct sip_msg *msg, uint32_t asked)
{
    for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT, NULL); h;
         h = sip_msg_hdr(msg, SIP_HDR_CONTACT, h)) {
        struct sip_addr a;
        struct strv v;
        uint32_t n;
        if (sip_addr_parse(&a, h->value) == 0 && sip_param_get(a.params, "expires", &v) &&
            strv_to_u32(v, &n) == 0)
            return n;
    }
    if (msg->has_expires)
        return msg->expires;
    return asked;
}

static void on_response(int err, const struct sip_msg *msg, void *arg)
{
    struct step_run *run = arg;
    struct vuser *u = run->u;
    if (err) {
        run->ctrans = NULL;
        if (err == SYNTH_EAUTH)
            u->registered = false;
        step_finish_fail(run, step_class_of_sip_err(err), "REGISTER: %s",
                         step_sip_err_detail(u, err));
        return;
    }
    if (msg->status < 200)
        return;
    run->ctrans = NULL;
    step_note_response(run, msg);
    if (msg->status < 300) {
        /* The server's signature was checked on the way in (auth.c). */
        uint32_t asked = requested_expires(run);
        uint32_t granted = asked ? granted_expires(msg, asked) : 0;
        u->registered = granted > 0;
        u->reg_expires_s = granted;
        if (u->registered)
            step_register_refresh_arm(u);
        else if (u->reregister)
            event_del(u->reregister);
        step_finish_ok(run);
        return;
    }
    if (msg->status == 401 || msg->status == 407) {
        bool stale = false;
        char line[1024];
        char ruri[300];
        snprintf(ruri, sizeof(ruri), "sip:%s", u->w->plan->target->sip_domain);
        enum auth_scheme scheme;
        char why[RESULT_TEXT_MAX];
        enum failure_class cls = auth_on_challenge(run, &u->ntlm, msg, "the registrar",
                                                   &run->attempts, &scheme, why, sizeof(why));
        if (cls != FAIL_NONE) {
            step_finish_fail(run, cls, "%s", why);
            return;
        }
        if (scheme == AUTH_SCHEME_NTLM) {
            send_register(run, NULL);
            return;
        }
        if (run->attempts >= REGISTER_AUTH_MAX) {
            u->credentials_refused = true;
            step_finish_fail(run, FAIL_AUTH,
                             "credentials for %s refused (%u after sending them); not retried",
                             u->id->auth_user, msg->status);
            return;
        }
        int rc = auth_answer(u, &u->ntlm, msg, "REGISTER", ruri, line, sizeof(line), &stale);
        if (rc == SYNTH_EUNSUPPORTED) {
            step_finish_fail(run, FAIL_AUTH, "the registrar offers no Digest challenge");
            return;
        }
        if (rc != 0) {
            step_finish_fail(run, FAIL_PROTOCOL, "cannot answer the challenge: %s",
                             synth_strerror(rc));
            return;
        }
        if (run->attempts > 0 && !stale) {
            u->credentials_refused = true;
            step_finish_fail(run, FAIL_AUTH,
                             "credentials for %s refused (challenged again); not retried",
                             u->id->auth_user);
            return;
        }
        run->attempts++;
        send_register(run, line);
        return;
    }
    if (msg->status == 403)
        u->credentials_refused = true;
    step_finish_fail(run, step_class_of_status(msg->status), "REGISTER answered %u",
                     msg->status);
}

int step_send_register(struct vuser *u, struct sip_ua *ua, const struct step_register_ids *ids,
                       int expires, const char *auth_line, sip_resp_h *h, void *arg,
                       struct sip_ctrans **out)
{
    char ruri[300];
    snprintf(ruri, sizeof(ruri), "sip:%s", u->w->plan->target->sip_domain);
    struct sip_request_spec spec = {
        .method = "REGISTER",
        .ruri = ruri,
        .from = u->id->uri,
        .from_tag = ids->from_tag,
        .to = u->id->uri,
        .call_id = ids->call_id,
        .cseq = ids->cseq,
        .contact = sip_ua_contact(ua),
        .expires = expires,
        .extra = auth_line,
    };
    /* With NTLM the user's own connection signs it (auth_ntlm_attach);
     * a probe's connection has no SA. */
    return sip_ua_request(ua, &spec, h, arg, out);
}

static void send_register(struct step_run *run, const char *auth_line)
{
    struct vuser *u = run->u;
    struct step_register_ids ids = {u->reg_call_id, u->from_tag, ++u->reg_cseq};
    int rc = step_send_register(u, u->ua, &ids, (int)requested_expires(run), auth_line,
                                on_response, run, &run->ctrans);
    if (rc != 0)
        step_finish_fail(run, step_class_of_err(rc), "cannot send REGISTER: %s",
                         synth_strerror(rc));
}

static void on_ready(int err, const char *detail, void *arg)
{
    struct step_run *run = arg;
    if (err) {
        step_finish_fail(run, step_class_of_err(err), "%s", detail);
        return;
    }
    send_register(run, NULL);
}

bool step_fail_if_locked_out(struct step_run *run)
{
    struct vuser *u = run->u;
    if (!u->credentials_refused)
        return false;
    step_finish_fail(run, FAIL_AUTH,
                     "credentials for %s were refused earlier; not retried "
                     "(real accounts lock out)",
                     u->id->auth_user);
    return true;
}

static void register_start(struct step_run *run)
{
    struct vuser *u = run->u;
    if (step_fail_if_locked_out(run))
        return;
    if (run->cfg->kind == STEP_REGISTER)
        u->reg_requested_s = run->cfg->expires_s;
    int rc = vuser_ensure_connected(u, on_ready, run);
    if (rc != 0)
        step_finish_fail(run, step_class_of_err(rc), "%s", u->conn_detail);
}

static void register_deadline(struct step_run *run)
{
    vuser_cancel_wait(run->u, run);
    step_finish_fail(run, FAIL_TIMEOUT, "no final answer to REGISTER within %u ms",
                     run->cfg->timeout_ms);
}

static void register_abort(struct step_run *run)
{
    vuser_cancel_wait(run->u, run);
    step_finish_fail(run, FAIL_CANCELED, "the run was stopped");
}

const struct step_ops step_register_ops = {
    .start = register_start,
    .deadline = register_deadline,
    .abort = register_abort,
};

const struct step_ops step_unregister_ops = {
    .start = register_start,
    .deadline = register_deadline,
    .abort = register_abort,
};

/* The refresh runs as a register step of its own, recorded like one. */
static void refresh_done(struct step_run *run)
{
    struct vuser *u = run->u;
    u->refresh = NULL;
    run->result.step_index = UINT32_MAX;
    worker_step_result(u->w, u, &run->result);
    step_run_cleanup(run);
    free((void *)run->cfg);
    free(run);
}

static void refresh_cb(evutil_socket_t fd, short what, void *arg)
{
    struct vuser *u = arg;
    if (u->refresh || !u->registered || u->w->draining)
        return;
    struct scenario_step *cfg = calloc(1, sizeof(*cfg));
    struct step_run *run = calloc(1, sizeof(*run));
    if (!cfg || !run) {
        free(cfg);
        free(run);
        return;
    }
    cfg->kind = STEP_REGISTER;
    cfg->expires_s = u->reg_requested_s;
    cfg->timeout_ms = 10000;
    u->refresh = run;
    int64_t now = mono_us() - u->w->plan->start_us;
    if (step_run_start(run, u, cfg, UINT32_MAX, now, refresh_done, NULL) != 0) {
        u->refresh = NULL;
        step_run_cleanup(run);
        free(cfg);
        free(run);
    }
}

void step_register_refresh_arm(struct vuser *u)
{
    if (!u->reregister)
        u->reregister = evtimer_new(u->w->base, refresh_cb, u);
    if (!u->reregister)
        return;
    uint64_t ms = (uint64_t)(u->reg_expires_s / 2) * 1000;
    if (ms < REFRESH_MIN_S * 1000)
        ms = REFRESH_MIN_S * 1000;
    /* An NTLM SA due for renewal sooner re-REGISTERs then: that REGISTER
     * negotiates the new SA (auth.c). */
    uint64_t renew = auth_ntlm_renew_in_ms(u);
    if (renew < ms)
        ms = renew < REFRESH_NTLM_MIN_MS ? REFRESH_NTLM_MIN_MS : renew;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(u->reregister, &tv);
}
