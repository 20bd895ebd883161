/* The UCWA steps (issue #5): each one operation of the user's UCWA session
 * (synth/ucwa/ucwa_client.h), made on the worker's loop; the session lives
 * with the user across steps (the token and the application are its state).
 * summary.json names them ucwa.discover ... ucwa.signout. */
#include "ucwa_steps.h"

#include "step.h"
#include "synth/engine/worker.h"

#include <stdio.h>
#include <string.h>

/* The client's own failure names mapped to the run's classes; HTTP refusals
 * other than those the client names keep their status in the result. */
static enum failure_class class_of(enum ucwa_fail f, long status)
{
    switch (f) {
    case UCWA_FAIL_DNS: return FAIL_DNS;
    case UCWA_FAIL_CONNECT:
    case UCWA_FAIL_CLOSED: return FAIL_TRANSPORT;
    case UCWA_FAIL_TLS: return FAIL_TLS;
    case UCWA_FAIL_TIMEOUT: return FAIL_TIMEOUT;
    case UCWA_FAIL_HTTP_STATUS: return status >= 500 && status != 504 ? FAIL_SERVER_ERROR
                                                                       : FAIL_HTTP_STATUS;
    case UCWA_FAIL_BAD_JSON: return FAIL_PROTOCOL;
    case UCWA_FAIL_AUTH_REFUSED: return FAIL_AUTH;
    case UCWA_FAIL_APP_GONE: return FAIL_APP_GONE;
    case UCWA_FAIL_NONE: break;
    }
    return FAIL_INTERNAL;
}

static void finish_with(struct step_run *run, int err, const struct ucwa_result *r)
{
    if (r) {
        run->result.http_status = (uint16_t)(r->status > 0 && r->status < 1000 ? r->status : 0);
        snprintf(run->result.detail, sizeof(run->result.detail), "%s", r->detail);
    }
    if (err == 0 && r && r->fail == UCWA_FAIL_NONE) {
        run->result.detail[0] = '\0';
        step_finish_ok(run);
        return;
    }
    if (!r || r->fail == UCWA_FAIL_NONE)
        step_finish_fail(run, err == SYNTH_ECANCELED ? FAIL_CANCELED : step_class_of_err(err),
                         "%s", synth_strerror(err));
    else
        step_finish_fail(run, class_of(r->fail, r->status), "%s", ucwa_fail_name(r->fail));
}

static void on_done(int err, const struct ucwa_result *r, void *arg)
{
    finish_with(arg, err, r);
}

/* One batch (or the P-GET's end) finishes the step; the channel stops. */
static bool on_events(int err, const struct ucwa_result *r, const struct ucwa_events *ev,
                      void *arg)
{
    (void)ev;
    finish_with(arg, err, r);
    return false;
}

void ucwa_step_session_opts(const struct vuser *u, uint32_t timeout_ms,
                            struct ucwa_session_opts *o)
{
    const struct target_ucwa *tu = &u->w->plan->target->ucwa;
    /* UCWA signs in with the user's UPN-style name: the SIP URI without "sip:". */
    const char *name = u->id->uri;
    name += strncmp(name, "sip:", 4) == 0 ? 4 : strncmp(name, "sips:", 5) == 0 ? 5 : 0;
    ucwa_session_opts_defaults(o);
    o->discover_url = tu->discover_url;
    o->username = name;
    o->password = u->id->password;
    o->ca_file = tu->tls.ca_file[0] ? tu->tls.ca_file : NULL;
    o->verify = tu->tls.verify;
    if (timeout_ms)
        o->timeout_ms = timeout_ms;
}

/* The user's session, made at its first UCWA step. */
static int session_of(struct step_run *run, struct ucwa_session **out, struct synth_error *err)
{
    struct vuser *u = run->u;
    struct worker *w = u->w;
    const struct target_ucwa *tu = &w->plan->target->ucwa;
    if (u->ucwa) {
        *out = u->ucwa;
        return 0;
    }
    if (!tu->enabled)
        return synth_error_set(err, SYNTH_ECONFIG, "the target has no ucwa: section");
    if (!w->ucwa_http) {
        int rc = ucwa_http_new(&w->ucwa_http, w->base, err);
        if (rc != 0)
            return rc;
    }
    struct ucwa_session_opts o;
    ucwa_step_session_opts(u, run->cfg->timeout_ms, &o);
    int rc = ucwa_session_new(&u->ucwa, w->ucwa_http, &o, err);
    if (rc == 0)
        *out = u->ucwa;
    return rc;
}

static void ucwa_start(struct step_run *run)
{
    struct ucwa_session *s = NULL;
    struct synth_error err = {{0}};
    int rc = session_of(run, &s, &err);
    if (rc != 0) {
        step_finish_fail(run, rc == SYNTH_ECONFIG ? FAIL_NOT_READY : FAIL_INTERNAL, "%s",
                         err.msg);
        return;
    }
    switch (run->cfg->kind) {
    case STEP_UCWA_DISCOVER: rc = ucwa_discover(s, on_done, run); break;
    case STEP_UCWA_TOKEN: rc = ucwa_sign_in(s, on_done, run); break;
    case STEP_UCWA_APPLICATION: rc = ucwa_create_application(s, on_done, run); break;
    case STEP_UCWA_AVAILABLE: rc = ucwa_make_me_available(s, on_done, run); break;
    case STEP_UCWA_EVENTS:
        rc = ucwa_events_start(s, run->cfg->duration_ms / 1000, on_events, run);
        break;
    case STEP_UCWA_SIGNOUT: rc = ucwa_sign_out(s, on_done, run); break;
    default: rc = SYNTH_EINVAL; break;
    }
    if (rc == SYNTH_EINVAL)
        step_finish_fail(run, FAIL_NOT_READY,
                         "%s needs the steps before it (discover, token, application)",
                         step_kind_name(run->cfg->kind));
    else if (rc != 0)
        step_finish_fail(run, step_class_of_err(rc), "%s", synth_strerror(rc));
}

/* What is in flight cannot be cut from the session alone: the session goes
 * (no callback), and later UCWA steps of the user start from discovery. */
static void drop_session(struct step_run *run)
{
    ucwa_session_free(run->u->ucwa);
    run->u->ucwa = NULL;
}

static void ucwa_deadline(struct step_run *run)
{
    drop_session(run);
    step_finish_fail(run, FAIL_TIMEOUT, "no answer within %u ms", run->cfg->timeout_ms);
}

static void ucwa_abort(struct step_run *run)
{
    drop_session(run);
    step_finish_fail(run, FAIL_CANCELED, "the run stopped");
}

const struct step_ops step_ucwa_ops = {
    .start = ucwa_start,
    .deadline = ucwa_deadline,
    .abort = ucwa_abort,
};
