/* A synthetic user and its connection to the registrar. */
#include "vuser.h"
#include "synth/steps/auth.h"

#include "synth/engine/call_link.h"
#include "synth/engine/worker.h"
#include "synth/sip/dialog.h"
#include "synth/steps/call.h"
#include "synth/steps/call_media.h"
#include "synth/steps/mras_creds.h"
#include "synth/steps/step.h"
#include "synth/tls/tls_ctx.h"
#include "synth/ucwa/ucwa_client.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vuser_init(struct vuser *u, struct worker *w, uint32_t index, const struct target_user *id)
{
    memset(u, 0, sizeof(*u));
    u->index = index;
    u->id = id;
    u->w = w;
    const struct scenario_load *l = &w->plan->scenario->load;
    u->via = l->via_count ? l->via[index % l->via_count] : ACCESS_INTERNAL;
    const char *p = strchr(id->uri, ':');
    p = p ? p + 1 : id->uri;
    size_t n = strcspn(p, "@;>");
    if (n >= sizeof(u->user_part))
        n = sizeof(u->user_part) - 1;
    memcpy(u->user_part, p, n);
    u->user_part[n] = '\0';
    sip_random_token(u->from_tag, sizeof(u->from_tag));
    char token[33];
    sip_random_token(token, sizeof(token));
    snprintf(u->reg_call_id, sizeof(u->reg_call_id), "%s-reg", token);
    u->reg_cseq = 0;
    u->ntlm.u = u;
    return 0;
}

static void drop_ua(struct vuser *u)
{
    if (u->ua) {
        mras_creds_conn_lost(u);
        sip_ua_free(u->ua);
        u->ua = NULL;
    }
}

void vuser_cleanup(struct vuser *u)
{
    if (u->refresh) {
        step_run_abort(u->refresh);
    }
    if (u->call) {
        dialog_free(u->call);
        u->call = NULL;
    }
    if (u->reregister)
        event_free(u->reregister);
    if (u->ready_ev)
        event_free(u->ready_ev);
    u->reregister = u->ready_ev = NULL;
    call_media_end(u);
    call_link_release(u);
    call_link_reap(u);
    drop_ua(u);
    ucwa_session_free(u->ucwa);
    u->ucwa = NULL;
    auth_ntlm_free(&u->ntlm);
    mras_creds_free(u);
    free(u->trace);
    u->trace = NULL;
}

/* Hands the outcome to every waiter; each may start new work, so take the
 * list first. */
static void notify_waiters(struct vuser *u, int err)
{
    unsigned n = u->waiter_count;
    struct vuser_waiter list[VUSER_WAITERS_MAX];
    memcpy(list, u->waiters, sizeof(list));
    u->waiter_count = 0;
    for (unsigned i = 0; i < n; i++)
        list[i].h(err, u->conn_detail, list[i].arg);
}

static void describe_failure(struct vuser *u, int err)
{
    const struct plan_server *srv = &u->w->plan->server[u->via];
    const struct target_endpoint *r = srv->ep;
    char where[96];
    sip_addr_format(&srv->addr, where, sizeof(where));
    if (err == SYNTH_ETLS && u->ua) {
        char why[200] = "";
        SSL *ssl = sip_conn_ssl(sip_ua_conn(u->ua));
        if (ssl)
            tls_describe_verify_error(ssl, why, sizeof(why));
        snprintf(u->conn_detail, sizeof(u->conn_detail), "TLS to %s (%s) failed: %s", r->host,
                 where, why[0] ? why : "handshake failed");
        return;
    }
    snprintf(u->conn_detail, sizeof(u->conn_detail), "%s to %s (%s, %s): %s",
             err == SYNTH_ETIMEDOUT ? "connect timed out" : "cannot connect", r->host, where,
             sip_transport_name(r->transport), synth_strerror(err));
}

static void ua_connected(int err, void *arg)
{
    struct vuser *u = arg;
    if (err) {
        describe_failure(u, err);
        drop_ua(u);
    }
    notify_waiters(u, err);
}

static void ua_closed(int err, void *arg)
{
    struct vuser *u = arg;
    u->registered = false;
    if (u->reregister)
        event_del(u->reregister);
    describe_failure(u, err ? err : SYNTH_ECLOSED);
    /* The NTLM SA belonged to that connection (3.2.1): the next one
     * negotiates its own. */
    auth_ntlm_free(&u->ntlm);
    /* Free the UA from the loop, not inside its own handler. */
    struct sip_ua *ua = u->ua;
    mras_creds_conn_lost(u);
    u->ua = NULL;
    if (u->run && !u->run->finished)
        step_finish_fail(u->run, step_class_of_err(err ? err : SYNTH_ECLOSED),
                         "connection lost: %s", synth_strerror(err ? err : SYNTH_ECLOSED));
    if (u->refresh && !u->refresh->finished)
        step_finish_fail(u->refresh, FAIL_TRANSPORT, "connection lost");
    sip_ua_free(ua);
}

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
    struct vuser *u = arg;
    if (u->ua && sip_ua_is_connected(u->ua))
        notify_waiters(u, 0);
}

/* "--> sent at 12.345 s\n": the run time in ms with integer arithmetic.
 * snprintf's "%.3f" of a double here, for every message of every call in
 * case the call fails, was most of the trace's cost (7 % of synth's CPU at
 * 2000 calls/s). Returns the length written into head (at least 48 bytes). */
static size_t trace_head(char *head, bool sent, int64_t run_us)
{
    static const char sent_s[] = "--> sent at ", recv_s[] = "<-- received at ";
    size_t n = sent ? sizeof(sent_s) - 1 : sizeof(recv_s) - 1;
    memcpy(head, sent ? sent_s : recv_s, n);
    uint64_t ms = run_us > 0 ? ((uint64_t)run_us + 500) / 1000 : 0;
    char digits[24];
    size_t d = sizeof(digits);
    uint64_t s = ms / 1000;
    do {
        digits[--d] = (char)('0' + s % 10);
        s /= 10;
    } while (s);
    memcpy(head + n, digits + d, sizeof(digits) - d);
    n += sizeof(digits) - d;
    unsigned frac = (unsigned)(ms % 1000);
    head[n++] = '.';
    head[n++] = (char)('0' + frac / 100);
    head[n++] = (char)('0' + frac / 10 % 10);
    head[n++] = (char)('0' + frac % 10);
    memcpy(head + n, " s\n", 3);
    return n + 3;
}

/* Keeps the SIP of the current call for the trace of a failed call. */
void vuser_trace_append(bool sent, const char *buf, size_t len, void *arg)
{
    struct vuser *u = arg;
    if (!u->trace) {
        u->trace = malloc(VUSER_TRACE_MAX);
        if (!u->trace)
            return;
    }
    char head[64];
    size_t n = trace_head(head, sent, mono_us() - u->w->plan->start_us);
    if (u->trace_len + n + len + 2 > VUSER_TRACE_MAX)
        return;
    memcpy(u->trace + u->trace_len, head, n);
    u->trace_len += n;
    memcpy(u->trace + u->trace_len, buf, len);
    u->trace_len += len;
    u->trace[u->trace_len++] = '\n';
}

void vuser_ua_opts(const struct vuser *u, struct sip_ua_opts *o)
{
    const struct run_plan *plan = u->w->plan;
    const struct plan_server *srv = &plan->server[u->via];
    const struct target_endpoint *r = srv->ep;
    *o = (struct sip_ua_opts){
        .conn =
            {
                .transport = r->transport,
                .remote = srv->addr,
                .ssl_ctx = srv->ssl_ctx,
                .server_name = r->tls.server_name[0] ? r->tls.server_name : r->host,
                .connect_timeout_ms = 10000,
                .keepalive_ms = plan->scenario->sip.keepalive_ms,
                .dscp = -1,
            },
        .timers = {plan->scenario->sip.t1_ms, plan->scenario->sip.t2_ms},
        .contact_user = u->user_part,
    };
}

static int connect_ua(struct vuser *u)
{
    struct sip_ua_opts o;
    vuser_ua_opts(u, &o);
    struct synth_error err;
    int rc = sip_ua_new(&u->ua, u->w->base, &o, ua_connected, ua_closed, u, &err);
    if (rc != 0) {
        snprintf(u->conn_detail, sizeof(u->conn_detail), "%s", err.msg);
        u->ua = NULL;
        return rc;
    }
    sip_ua_set_request_handler(u->ua, call_on_request, u);
    sip_ua_set_trace(u->ua, vuser_trace_append, u);
    auth_ntlm_attach(&u->ntlm, u->ua);
    return 0;
}

int vuser_ensure_connected(struct vuser *u, vuser_ready_h *done, void *arg)
{
    if (u->waiter_count >= VUSER_WAITERS_MAX)
        return SYNTH_ETOOBIG;
    u->waiters[u->waiter_count].h = done;
    u->waiters[u->waiter_count].arg = arg;
    u->waiter_count++;
    if (u->ua && sip_ua_is_connected(u->ua)) {
        if (!u->ready_ev)
            u->ready_ev = evtimer_new(u->w->base, ready_cb, u);
        if (!u->ready_ev)
            return SYNTH_ENOMEM;
        struct timeval zero = {0, 0};
        evtimer_add(u->ready_ev, &zero);
        return 0;
    }
    if (u->ua)
        return 0; /* connecting: this waiter joins the others */
    int rc = connect_ua(u);
    if (rc != 0) {
        u->waiter_count--;
        return rc;
    }
    return 0;
}

void vuser_cancel_wait(struct vuser *u, void *arg)
{
    for (unsigned i = 0; i < u->waiter_count; i++) {
        if (u->waiters[i].arg != arg)
            continue;
        memmove(&u->waiters[i], &u->waiters[i + 1],
                (u->waiter_count - i - 1) * sizeof(u->waiters[0]));
        u->waiter_count--;
        return;
    }
}

void vuser_trace_reset(struct vuser *u)
{
    u->trace_len = 0;
}
