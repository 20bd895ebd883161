/* The machinery every step kind shares: deadline, result, completion. */
#include "step.h"

#include "synth/engine/worker.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct step_ops *ops_of(enum step_kind k)
{
    switch (k) {
    case STEP_OPTIONS: return &step_options_ops;
    case STEP_REGISTER: return &step_register_ops;
    case STEP_CALL: return &step_call_ops;
    case STEP_HANGUP: return &step_hangup_ops;
    case STEP_UNREGISTER: return &step_unregister_ops;
    case STEP_WAIT: return &step_wait_ops;
    case STEP_DTMF: return &step_dtmf_ops;
    case STEP_CHECK: return &step_check_ops;
    case STEP_UCWA_DISCOVER:
    case STEP_UCWA_TOKEN:
    case STEP_UCWA_APPLICATION:
    case STEP_UCWA_AVAILABLE:
    case STEP_UCWA_EVENTS:
    case STEP_UCWA_SIGNOUT: return &step_ucwa_ops;
    case STEP_UCWA_SURVIVAL: return &step_ucwa_survival_ops;
    case STEP_SIP_SURVIVAL: return &step_sip_survival_ops;
    case STEP_KIND_COUNT: break;
    }
    return NULL;
}

int64_t step_now_us(const struct step_run *run)
{
    return mono_us() - run->u->w->plan->start_us;
}

int64_t step_msg_us(const struct step_run *run, const struct sip_msg *msg)
{
    return msg && msg->rx_us > 0 ? msg->rx_us - run->u->w->plan->start_us : step_now_us(run);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct step_run *run = arg;
    if (!run->finished && run->ops->deadline)
        run->ops->deadline(run);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct step_run *run = arg;
    if (!run->finished && run->ops->timer)
        run->ops->timer(run);
}

static void start_cb(evutil_socket_t fd, short what, void *arg)
{
    struct step_run *run = arg;
    run->ops->start(run);
}

int step_run_start(struct step_run *run, struct vuser *u, const struct scenario_step *cfg,
                   uint32_t step_index, int64_t intended_us, step_done_h *done, void *arg)
{
    memset(run, 0, sizeof(*run));
    run->u = u;
    run->cfg = cfg;
    run->ops = ops_of(cfg->kind);
    run->done = done;
    run->arg = arg;
    if (!run->ops)
        return SYNTH_EINVAL;
    step_result_init(&run->result, cfg->kind, step_index, u->index);
    run->result.via = u->via;
    run->result.intended_us = intended_us;
    run->result.start_us = step_now_us(run);
    run->result.wall_start_ms = wall_ms();
    struct event_base *base = u->w->base;
    run->deadline = evtimer_new(base, deadline_cb, run);
    run->timer = evtimer_new(base, timer_cb, run);
    if (!run->deadline || !run->timer)
        return SYNTH_ENOMEM;
    uint32_t ms = cfg->timeout_ms;
    if (ms && cfg->kind != STEP_WAIT) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        evtimer_add(run->deadline, &tv);
    }
    /* Start from the loop so `done` never runs inside the caller's frame. */
    struct timeval zero = {0, 0};
    event_assign(run->timer, base, -1, 0, start_cb, run);
    evtimer_add(run->timer, &zero);
    return 0;
}

void step_timer_start(struct step_run *run, uint32_t ms)
{
    event_del(run->timer);
    event_assign(run->timer, run->u->w->base, -1, 0, timer_cb, run);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(run->timer, &tv);
}

void step_run_cleanup(struct step_run *run)
{
    if (run->deadline)
        event_free(run->deadline);
    if (run->timer)
        event_free(run->timer);
    run->deadline = run->timer = NULL;
}

void step_run_abort(struct step_run *run)
{
    if (run->finished)
        return;
    if (run->ops->abort)
        run->ops->abort(run);
    else
        step_finish_fail(run, FAIL_CANCELED, "the run was stopped");
}

static void finish(struct step_run *run)
{
    if (run->finished)
        return;
    run->finished = true;
    event_del(run->deadline);
    event_del(run->timer);
    if (run->ctrans && run->u->ua)
        sip_ua_abandon(run->u->ua, run->ctrans);
    run->ctrans = NULL;
    run->result.end_us = step_now_us(run);
    /* A request from the server that failed its NTLM signature while this
     * step ran: the step did not get what it seemed to ([MS-SIPAE] 3.3). */
    if (run->u->ntlm_request_detail[0]) {
        run->result.ok = false;
        run->result.cls = FAIL_AUTH_NTLM;
        snprintf(run->result.detail, sizeof(run->result.detail), "%s",
                 run->u->ntlm_request_detail);
        run->u->ntlm_request_detail[0] = '\0';
    }
    /* NTLM SA renewals and lapses since the user's last step go with this one. */
    run->result.ntlm_renewals = run->u->ntlm_renewals;
    run->result.ntlm_lapses = run->u->ntlm_lapses;
    run->u->ntlm_renewals = run->u->ntlm_lapses = 0;
    run->done(run);
}

void step_finish_ok(struct step_run *run)
{
    run->result.ok = true;
    run->result.cls = FAIL_NONE;
    finish(run);
}

void step_finish_fail(struct step_run *run, enum failure_class cls, const char *fmt, ...)
{
    if (run->finished)
        return;
    run->result.ok = false;
    run->result.cls = cls;
    if (fmt && !run->result.detail[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(run->result.detail, sizeof(run->result.detail), fmt, ap);
        va_end(ap);
    }
    finish(run);
}

static void copy_hdr(const struct sip_msg *msg, enum sip_hdr_id id, char *out, size_t size)
{
    const struct sip_hdr *h = sip_msg_hdr(msg, id, NULL);
    if (h)
        strv_copy(h->value, out, size);
}

void step_note_response(struct step_run *run, const struct sip_msg *msg)
{
    struct step_result *r = &run->result;
    r->sip_status = msg->status;
    strv_copy(msg->reason, r->sip_reason, sizeof(r->sip_reason));
    copy_hdr(msg, SIP_HDR_MS_DIAGNOSTICS, r->ms_diagnostics, sizeof(r->ms_diagnostics));
    copy_hdr(msg, SIP_HDR_MS_DIAGNOSTICS_PUBLIC, r->ms_diagnostics_public,
             sizeof(r->ms_diagnostics_public));
    copy_hdr(msg, SIP_HDR_REASON, r->reason_hdr, sizeof(r->reason_hdr));
    copy_hdr(msg, SIP_HDR_WARNING, r->warning_hdr, sizeof(r->warning_hdr));
}

enum failure_class step_class_of_status(uint16_t status)
{
    if (status >= 500 && status < 600)
        return FAIL_SERVER_ERROR;
    if (status == 403)
        return FAIL_AUTH;
    if (status == 408)
        return FAIL_TIMEOUT;
    return FAIL_REJECTED;
}

enum failure_class step_class_of_sip_err(int err)
{
    return err == SYNTH_EAUTH ? FAIL_AUTH_NTLM : step_class_of_err(err);
}

const char *step_sip_err_detail(const struct vuser *u, int err)
{
    return err == SYNTH_EAUTH && u->ntlm_detail[0] ? u->ntlm_detail : synth_strerror(err);
}

enum failure_class step_class_of_err(int err)
{
    switch (err) {
    case SYNTH_ETIMEDOUT: return FAIL_TIMEOUT;
    case SYNTH_ETLS: return FAIL_TLS;
    case SYNTH_EPARSE: return FAIL_PROTOCOL;
    case SYNTH_ECANCELED: return FAIL_CANCELED;
    default: return FAIL_TRANSPORT;
    }
}
