/* The call step: INVITE voicemail, measure post-dial delay and setup time,
 * ACK, then hold while the media is judged (RFC 3261 13, CANCEL 9,
 * redirects 8.1.3.4; media in call_media.c; BYE in hangup.c). */
#include "step.h"

#include "synth/engine/call_link.h"
#include "synth/engine/worker.h"
#include "synth/sip/dialog.h"
#include "synth/steps/auth.h"
#include "synth/steps/call.h"
#include "synth/steps/call_media.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Credentials at most twice per call (once, once more for a stale nonce). */
#define CALL_AUTH_MAX 2
/* Below this MOS (ITU-T G.107 "many users dissatisfied") a call's audio is
 * kept as evidence like a failed call's. */
#define CALL_POOR_MOS 3.6
/* Our offer: one audio section with two crypto lines is about 500 bytes. */
#define CALL_SDP_MAX 2048
/* After CANCEL, how long we wait for the 487 before giving up on it. */
#define CALL_CANCEL_WAIT_MS 4000

enum call_state {
    CALL_CONNECTING,
    CALL_GATHERING,  /* waiting for the TURN allocation (the relay candidate) */
    CALL_INVITING,   /* INVITE sent, nothing back yet */
    CALL_EARLY,      /* a provisional response arrived */
    CALL_CANCELING,  /* deadline passed, CANCEL sent, waiting for 487 */
    CALL_HOLDING,    /* answered, ACKed, holding for hold_ms */
};

static void send_invite(struct step_run *run, const char *auth_line);

/* auto for a user through the Edge is the relay alone: a remote client's
 * host addresses sit behind its NAT, unreachable from the inside, so
 * offering them would let the lab's loopback hide the Edge's media path. */
static enum scenario_media_path media_path_of(const struct vuser *u,
                                              const struct scenario_step *cfg)
{
    if (cfg->media_path == MEDIA_PATH_AUTO && u->via == ACCESS_EDGE &&
        target_turn_enabled(&u->w->plan->target->media.turn))
        return MEDIA_PATH_RELAY;
    return cfg->media_path;
}

static void fail_call(struct step_run *run, enum failure_class cls, const char *detail)
{
    struct vuser *u = run->u;
    if (u->call && !u->call->confirmed)
        call_end_dialog(u);
    step_finish_fail(run, cls, "%s", detail);
}

static void send_ack_and_maybe_bye(struct step_run *run, bool bye)
{
    struct vuser *u = run->u;
    struct sip_request_spec spec;
    dialog_request(u->call, "ACK", &spec);
    sip_ua_send_stateless(call_link_ua(u), &spec);
    if (bye) {
        dialog_request(u->call, "BYE", &spec);
        sip_ua_request(call_link_ua(u), &spec, NULL, NULL, NULL);
        u->call->terminated = true;
    }
}

/* What the call's audio says of it: FAIL_NONE, or why it failed. A call
 * that connected without media is connected-no-media whatever the cause
 * (the field's name for it); the cause is kept apart in no_media_cause. */
static enum failure_class judge_media(struct step_run *run, char *detail, size_t size)
{
    struct media_result *m = &run->result.media;
    const struct scenario_step *cfg = run->cfg;
    if (!m->enabled || !m->negotiated)
        return FAIL_NONE;
    if (m->ice && !m->ice_ok) {
        /* Peers with ICE send nothing before a check succeeds: not an SRTP
         * problem but the path (issue #4). */
        snprintf(m->no_media_cause, sizeof(m->no_media_cause), "ice-failed");
        snprintf(detail, size,
                 "answered, but no media: ICE found no working candidate pair (%s; %llu checks "
                 "sent, %llu received)%s%s",
                 m->ice_failure[0] ? m->ice_failure : "not completed in time",
                 (unsigned long long)m->ice_checks_sent,
                 (unsigned long long)m->ice_checks_received,
                 m->relay_error[0] ? "; no relay candidate: " : "", m->relay_error);
        return FAIL_NO_MEDIA;
    }
    if (!m->flowed) {
        /* The far end's RTCP tells whether our half made it: one-way audio. */
        bool heard_us = m->peer_report && m->peer_loss_pct < 50.0;
        snprintf(m->no_media_cause, sizeof(m->no_media_cause), "%s",
                 m->unauthenticated ? "srtp-auth" : "none-received");
        snprintf(detail, size,
                 "answered, but no authenticated media came (%llu packets failed SRTP "
                 "authentication; %llu sent)%s",
                 (unsigned long long)m->unauthenticated, (unsigned long long)m->sent,
                 heard_us ? "; the far end's RTCP says it receives ours: the audio is one-way"
                          : "");
        return FAIL_NO_MEDIA;
    }
    if (cfg->greeting == GREETING_REQUIRED && !m->greeting_heard) {
        snprintf(detail, size, "media flowed (%llu packets, first after %.0f ms) but no greeting "
                 "was heard", (unsigned long long)m->received, (double)m->first_media_us / 1000.0);
        return FAIL_NO_GREETING;
    }
    return FAIL_NONE;
}

/* The answered call ends its step: the media verdict, the audio evidence
 * kept as the scenario asks, and a call without media hung up at once. */
static void hold_end(struct step_run *run, enum failure_class cls, const char *why)
{
    struct vuser *u = run->u;
    char detail[RESULT_TEXT_MAX];
    call_media_snapshot(u, &run->result.media);
    if (cls == FAIL_NONE)
        cls = judge_media(run, detail, sizeof(detail));
    else
        snprintf(detail, sizeof(detail), "%s", why);
    /* A call that connected without media is dead air: no media at all is
     * named as such even when the far end hung up first. */
    if (cls == FAIL_DROPPED && run->result.media.negotiated && !run->result.media.flowed)
        cls = judge_media(run, detail, sizeof(detail));
    enum scenario_record rec = u->w->plan->scenario->audio.record;
    const struct media_result *m = &run->result.media;
    bool poor = m->flowed && m->mos > 0 && m->mos < CALL_POOR_MOS;
    if (rec == RECORD_ALL || (rec == RECORD_FAILED && (cls != FAIL_NONE || poor)))
        call_media_keep_audio(u, run->result.call_id, &run->result.media);
    if (cls == FAIL_NONE) {
        if (call_media_note(u)[0])
            snprintf(run->result.detail, sizeof(run->result.detail), "%s", call_media_note(u));
        step_finish_ok(run);
        return;
    }
    if (cls == FAIL_NO_MEDIA && !run->result.bye_by_peer)
        call_end_silently(u);
    u->call_end_reported = run->result.bye_by_peer;
    step_finish_fail(run, cls, "%s", detail);
}

static void on_media_event(struct media_stream *ms, enum media_event ev, void *arg)
{
    struct vuser *u = arg;
    struct step_run *run = u->run;
    if (ev == MEDIA_EVENT_DTMF_SENT && run && !run->finished && run->cfg->kind == STEP_DTMF) {
        step_finish_ok(run);
        return;
    }
    if (ev == MEDIA_EVENT_PATH_FAILED && run && !run->finished && run->cfg->kind == STEP_CALL &&
        run->state == CALL_HOLDING) {
        /* Dead air, as a user hears it: the call stays up until the
         * first-media deadline, so a BYE from the far end (and its Reason)
         * is seen and kept as evidence. */
        if (!evtimer_pending(run->deadline, NULL))
            hold_end(run, FAIL_NONE, NULL);
        return;
    }
    if (ev != MEDIA_EVENT_GREETING || !run || run->finished || run->cfg->kind != STEP_CALL ||
        run->state != CALL_HOLDING || !run->cfg->hangup_on_greeting)
        return;
    hold_end(run, FAIL_NONE, NULL);
}

static int start_media(struct step_run *run, const struct sip_msg *ok)
{
    struct synth_error err;
    struct vuser *u = run->u;
    if (call_media_answer(u, ok, on_media_event, u, &run->result.media, &err) == 0)
        return 0;
    call_end_silently(u);
    fail_call(run, FAIL_SDP, err.msg);
    return -1;
}

static void on_answer(struct step_run *run, const struct sip_msg *msg)
{
    struct vuser *u = run->u;
    struct step_result *r = &run->result;
    r->setup_us = step_msg_us(run, msg) - r->start_us;
    r->answered = true;
    step_note_response(run, msg);
    if (dialog_confirm(u->call, msg) != 0) {
        fail_call(run, FAIL_PROTOCOL, "200 OK without a To tag or Contact");
        return;
    }
    bool late = run->state == CALL_CANCELING;
    send_ack_and_maybe_bye(run, late);
    if (late) {
        fail_call(run, FAIL_NO_ANSWER, "answered only after CANCEL; hung up at once");
        return;
    }
    event_del(run->deadline);
    if (run->cfg->hold_ms == 0) {
        step_finish_ok(run);
        return;
    }
    if (run->cfg->media && start_media(run, msg) != 0)
        return;
    run->state = CALL_HOLDING;
    step_timer_start(run, run->cfg->hold_ms);
    /* The deadline now watches for the first media packet. */
    uint32_t first = run->cfg->first_media_ms;
    if (run->cfg->media && first && first < run->cfg->hold_ms) {
        struct timeval tv = {first / 1000, (first % 1000) * 1000};
        evtimer_add(run->deadline, &tv);
    }
}

static void on_redirect_ready(int err, const char *detail, void *arg)
{
    struct step_run *run = arg;
    if (err) {
        fail_call(run, step_class_of_err(err), detail);
        return;
    }
    send_invite(run, NULL);
}

/* Where a Contact sends the call: its host (an address: a name would need
 * a DNS lookup the worker cannot block on), port and transport (its
 * transport parameter, sips: for TLS, else the one in use). */
static int redirect_dest(struct vuser *u, struct strv contact, struct sip_addr_storage *dest,
                         enum sip_transport *tp, char *host, size_t host_size,
                         const char **why)
{
    struct sip_uri uri;
    struct sip_addr_storage cur;
    enum sip_transport cur_tp;
    call_link_dest(u, &cur, &cur_tp);
    *why = "the Contact of the redirect is not a SIP URI";
    if (sip_uri_parse(&uri, contact) != 0 || strv_copy(uri.host, host, host_size) != 0)
        return SYNTH_EPARSE;
    struct strv v;
    *tp = strv_caseeq(uri.scheme, "sips") ? SIP_TRANSPORT_TLS : cur_tp;
    if (sip_param_get(uri.params, "transport", &v)) {
        if (strv_caseeq(v, "udp"))
            *tp = SIP_TRANSPORT_UDP;
        else if (strv_caseeq(v, "tcp"))
            *tp = SIP_TRANSPORT_TCP;
        else if (strv_caseeq(v, "tls"))
            *tp = SIP_TRANSPORT_TLS;
    }
    uint16_t port = uri.port ? uri.port : *tp == SIP_TRANSPORT_TLS ? 5061 : 5060;
    struct in6_addr probe;
    if (inet_pton(AF_INET, host, &probe) != 1 && inet_pton(AF_INET6, host, &probe) != 1) {
        *why = "the redirect names a host name; redirects are followed to addresses only "
               "until DNS lookups run on the worker loop";
        return SYNTH_EUNSUPPORTED;
    }
    return sip_addr_resolve(dest, host, port, NULL);
}

static bool follow_redirect(struct step_run *run, const struct sip_msg *msg)
{
    uint32_t limit = run->u->w->plan->scenario->sip.max_redirects;
    const struct sip_hdr *c = sip_msg_hdr(msg, SIP_HDR_CONTACT, NULL);
    struct sip_addr a;
    if (!c || sip_addr_parse(&a, c->value) != 0)
        return false;
    if (run->attempts >= limit) {
        fail_call(run, FAIL_REDIRECT_LIMIT, "more redirects than sip.max_redirects");
        return true;
    }
    run->attempts++;
    /* A new target: the next INVITE goes to the Contact (8.1.3.4). */
    struct vuser *u = run->u;
    char *ruri = u->call->remote_target;
    if (strv_copy(a.uri, ruri, sizeof(u->call->remote_target)) != 0)
        return false;
    struct sip_addr_storage dest, cur;
    enum sip_transport tp, cur_tp;
    char host[TARGET_HOST_MAX];
    const char *why;
    if (redirect_dest(u, a.uri, &dest, &tp, host, sizeof(host), &why) != 0) {
        fail_call(run, FAIL_PROTOCOL, why);
        return true;
    }
    call_link_dest(u, &cur, &cur_tp);
    if (sip_addr_equal(&dest, &cur) && tp == cur_tp) {
        send_invite(run, NULL);
        return true;
    }
    run->state = CALL_CONNECTING;
    int rc = call_link_open(u, &dest, tp, host, on_redirect_ready, run);
    if (rc != 0)
        fail_call(run, step_class_of_err(rc), "cannot connect to the server the redirect named");
    return true;
}

/* A 401/407 to the INVITE, from the registrar or from the server a
 * redirect sent the call to. NTLM negotiates the SA of the connection the
 * INVITE went on (each INVITE sent again carries the next token, then the
 * signature: the connection's hook writes them); Digest answers with
 * credentials. */
static void invite_challenged(struct step_run *run, const struct sip_msg *msg)
{
    struct vuser *u = run->u;
    struct vuser_ntlm *ntlm = call_link_ntlm(u);
    enum auth_scheme scheme;
    char why[RESULT_TEXT_MAX];
    enum failure_class cls = auth_on_challenge(run, ntlm, msg, call_link_server(u),
                                               &run->ntlm_rounds, &scheme, why, sizeof(why));
    if (cls != FAIL_NONE) {
        fail_call(run, cls, why);
        return;
    }
    if (scheme == AUTH_SCHEME_NTLM) {
        send_invite(run, NULL);
        return;
    }
    char line[1024];
    bool stale = false;
    if (run->attempts < CALL_AUTH_MAX &&
        auth_answer(u, ntlm, msg, "INVITE", u->call->remote_target, line, sizeof(line),
                    &stale) == 0) {
        run->attempts++;
        send_invite(run, line);
        return;
    }
    fail_call(run, FAIL_AUTH, "INVITE credentials refused");
}

static void on_invite_response(int err, const struct sip_msg *msg, void *arg)
{
    struct step_run *run = arg;
    struct step_result *r = &run->result;
    if (err) {
        run->ctrans = NULL;
        fail_call(run, step_class_of_sip_err(err),
                  err == SYNTH_ETIMEDOUT ? "no final answer to INVITE (Timer B)"
                                         : step_sip_err_detail(run->u, err));
        return;
    }
    if (msg->status < 200) {
        if (msg->status > 100 && r->pdd_us < 0)
            r->pdd_us = step_msg_us(run, msg) - r->start_us;
        if (run->state == CALL_INVITING)
            run->state = CALL_EARLY;
        return;
    }
    run->ctrans = NULL;
    if (msg->status < 300) {
        on_answer(run, msg);
        return;
    }
    step_note_response(run, msg);
    if (run->state == CALL_CANCELING) {
        char d[128];
        snprintf(d, sizeof(d), "not answered within %u ms; CANCEL sent, %u received",
                 run->cfg->timeout_ms, msg->status);
        fail_call(run, FAIL_NO_ANSWER, d);
        return;
    }
    if (msg->status < 400 && follow_redirect(run, msg))
        return;
    if (msg->status == 401 || msg->status == 407) {
        invite_challenged(run, msg);
        return;
    }
    char d[128];
    snprintf(d, sizeof(d), "INVITE answered %u", msg->status);
    fail_call(run, step_class_of_status(msg->status), d);
}

static void send_invite(struct step_run *run, const char *auth_line)
{
    struct vuser *u = run->u;
    struct dialog *d = u->call;
    char sdp[CALL_SDP_MAX];
    struct sbuf sb;
    struct synth_error err;
    sbuf_init(&sb, sdp, sizeof(sdp));
    int orc = call_media_offer(u, run->cfg->media, &sb, &err);
    if (orc != 0) {
        fail_call(run, orc == SYNTH_ENOTFOUND ? FAIL_LOCAL : FAIL_INTERNAL, err.msg);
        return;
    }
    d->invite_cseq = ++d->local_cseq;
    struct sip_request_spec spec = {
        .method = "INVITE",
        .ruri = d->remote_target,
        .from = d->local_uri,
        .from_tag = d->local_tag,
        .to = d->remote_uri,
        .call_id = d->call_id,
        .cseq = d->invite_cseq,
        .contact = sip_ua_contact(call_link_ua(u)),
        .expires = -1,
        .extra = auth_line,
        .content_type = "application/sdp",
        .body = sdp,
        .body_len = strlen(sdp),
    };
    run->state = CALL_INVITING;
    int rc = sip_ua_request(call_link_ua(u), &spec, on_invite_response, run, &run->ctrans);
    if (rc != 0)
        fail_call(run, step_class_of_err(rc), synth_strerror(rc));
}

/* A relay that could not be had: under edge.turn: ms-turn the issue's own
 * class, so an MS-TURN failure is told from a standard relay's, and
 * mras-refused when the user's MRAS credentials were missing. */
static enum failure_class relay_class(const struct step_run *run)
{
    return call_media_fail_class(run->u);
}

/* The relay candidate is there, or the call goes without it. */
static void on_media_ready(int err, const char *detail, void *arg)
{
    struct step_run *run = arg;
    if (err) {
        fail_call(run, relay_class(run), detail);
        return;
    }
    send_invite(run, NULL);
}

static void on_ready(int err, const char *detail, void *arg)
{
    struct step_run *run = arg;
    struct vuser *u = run->u;
    if (err) {
        fail_call(run, step_class_of_err(err), detail);
        return;
    }
    vuser_trace_reset(u);
    const struct target *t = u->w->plan->target;
    char ruri[DIALOG_URI_MAX];
    int rc = run->cfg->uri[0] ? target_expand_uri(t, run->cfg->uri, u->id, ruri, sizeof(ruri))
                              : target_voicemail_uri(t, u->id, ruri, sizeof(ruri));
    if (rc != 0) {
        fail_call(run, FAIL_INTERNAL, "voicemail URI too long");
        return;
    }
    char call_id[64], tag[20], from[DIALOG_URI_MAX], to[DIALOG_URI_MAX];
    sip_random_token(call_id, 33);
    sip_random_token(tag, sizeof(tag));
    snprintf(from, sizeof(from), "<%s>", u->id->uri);
    snprintf(to, sizeof(to), "<%s>", ruri);
    if (u->call)
        call_end_silently(u);
    u->call = dialog_new(call_id, from, tag, to, 0);
    u->call_end_reported = false;
    if (!u->call) {
        fail_call(run, FAIL_INTERNAL, "out of memory");
        return;
    }
    snprintf(u->call->remote_target, sizeof(u->call->remote_target), "%s", ruri);
    snprintf(run->result.call_id, sizeof(run->result.call_id), "%s", call_id);
    struct synth_error merr;
    rc = call_media_prepare(u, run->cfg->media, media_path_of(u, run->cfg), on_media_ready, run,
                            &merr);
    if (rc == SYNTH_EINCOMPLETE) {
        run->state = CALL_GATHERING;
        return;
    }
    if (rc != 0) {
        fail_call(run, rc == SYNTH_ENOTFOUND ? FAIL_LOCAL
                       : rc == SYNTH_ENOMEM  ? FAIL_INTERNAL : relay_class(run), merr.msg);
        return;
    }
    send_invite(run, NULL);
}

static void call_start(struct step_run *run)
{
    call_link_release(run->u); /* a link left from an earlier call */
    call_link_reap(run->u);
    run->state = CALL_CONNECTING;
    int rc = vuser_ensure_connected(run->u, on_ready, run);
    if (rc != 0)
        fail_call(run, step_class_of_err(rc), run->u->conn_detail);
}

static void cancel_pending(struct step_run *run)
{
    struct vuser *u = run->u;
    if (run->state == CALL_EARLY && run->ctrans &&
        sip_ua_cancel(call_link_ua(u), run->ctrans, NULL, NULL) == 0) {
        run->state = CALL_CANCELING;
        step_timer_start(run, CALL_CANCEL_WAIT_MS);
        return;
    }
    /* No provisional yet: RFC 3261 9.1 forbids CANCEL; give up on the INVITE. */
    char d[128];
    snprintf(d, sizeof(d), "no answer to INVITE within %u ms%s", run->cfg->timeout_ms,
             run->state == CALL_INVITING ? " (not even a provisional response)" : "");
    fail_call(run, run->state == CALL_INVITING ? FAIL_TIMEOUT : FAIL_NO_ANSWER, d);
}

static void call_deadline(struct step_run *run)
{
    if (run->state == CALL_HOLDING) { /* the first-media deadline */
        call_media_snapshot(run->u, &run->result.media);
        if (!run->result.media.flowed)
            hold_end(run, FAIL_NONE, NULL);
        return;
    }
    if (run->state == CALL_CONNECTING) {
        vuser_cancel_wait(run->u, run);
        call_link_cancel_wait(run->u, run);
        fail_call(run, FAIL_TIMEOUT, "not connected before the call's deadline");
        return;
    }
    if (run->state == CALL_GATHERING) {
        enum failure_class cls = relay_class(run);
        fail_call(run, run->cfg->media_path == MEDIA_PATH_RELAY || cls == FAIL_MRAS_REFUSED
                           ? cls : FAIL_TIMEOUT,
                  cls == FAIL_MRAS_REFUSED
                      ? "the MRAS credentials did not come before the call's deadline"
                      : "the TURN allocation did not finish before the call's deadline");
        return;
    }
    cancel_pending(run);
}

static void call_timer(struct step_run *run)
{
    if (run->state == CALL_HOLDING) {
        hold_end(run, FAIL_NONE, NULL);
        return;
    }
    if (run->state == CALL_CANCELING) {
        char d[128];
        snprintf(d, sizeof(d), "not answered within %u ms; CANCEL sent, no 487",
                 run->cfg->timeout_ms);
        fail_call(run, FAIL_NO_ANSWER, d);
    }
}

static void call_abort(struct step_run *run)
{
    if (run->state == CALL_CONNECTING) {
        vuser_cancel_wait(run->u, run);
        call_link_cancel_wait(run->u, run);
    }
    if (run->state == CALL_HOLDING) {
        /* Answered; the journey's end hangs up. Our stop is not the target's fault. */
        call_media_snapshot(run->u, &run->result.media);
        step_finish_ok(run);
        return;
    }
    if (run->state == CALL_EARLY && run->ctrans)
        sip_ua_cancel(call_link_ua(run->u), run->ctrans, NULL, NULL);
    fail_call(run, FAIL_CANCELED, "the run was stopped");
}

const struct step_ops step_call_ops = {
    .start = call_start,
    .deadline = call_deadline,
    .abort = call_abort,
    .timer = call_timer,
};

/* The far end's BYE (UM hanging up) or a retransmitted 2xx. */
bool call_on_request(struct sip_ua *ua, const struct sip_msg *msg, void *arg)
{
    struct vuser *u = arg;
    struct dialog *d = u->call;
    if (!msg->is_request) {
        /* A retransmitted 2xx means our ACK was lost: send it again (13.2.2.4). */
        if (d && d->confirmed && msg->status >= 200 && msg->status < 300 &&
            strv_eq(msg->cseq_method, "INVITE") && dialog_matches(d, msg)) {
            struct sip_request_spec spec;
            dialog_request(d, "ACK", &spec);
            sip_ua_send_stateless(ua, &spec);
        }
        return true;
    }
    if (!strv_eq(msg->method, "BYE") || !d || !dialog_matches(d, msg))
        return false;
    sip_ua_reply(ua, msg, 200, NULL);
    if (d->terminated)
        return true;
    d->terminated = true;
    d->bye_by_peer = true;
    const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REASON, NULL);
    if (!h)
        h = sip_msg_hdr(msg, SIP_HDR_MS_DIAGNOSTICS, NULL);
    if (h)
        strv_copy(h->value, d->bye_reason, sizeof(d->bye_reason));
    struct step_run *run = u->run;
    if (run && !run->finished && run->cfg->kind == STEP_CALL && run->state == CALL_HOLDING) {
        run->result.bye_by_peer = true;
        if (d->bye_reason[0])
            snprintf(run->result.reason_hdr, sizeof(run->result.reason_hdr), "%s",
                     d->bye_reason);
        char why[RESULT_TEXT_MAX];
        snprintf(why, sizeof(why), "the far end hung up after %.0f ms of %u ms hold",
                 (double)(step_now_us(run) - run->result.start_us - run->result.setup_us) /
                     1000.0,
                 run->cfg->hold_ms);
        /* The greeting was heard: the far end ending the call is then fine. */
        call_media_snapshot(u, &run->result.media);
        bool heard = run->result.media.greeting_heard;
        hold_end(run, heard ? FAIL_NONE : FAIL_DROPPED, why);
    }
    return true;
}


void call_end_dialog(struct vuser *u)
{
    if (u->call) {
        dialog_free(u->call);
        u->call = NULL;
    }
    call_media_end(u);
    call_link_release(u);
}

void call_end_silently(struct vuser *u)
{
    struct dialog *d = u->call;
    struct sip_ua *ua = call_link_ua(u);
    if (d && d->confirmed && !d->terminated && ua && sip_ua_is_connected(ua)) {
        struct sip_request_spec spec;
        dialog_request(d, "BYE", &spec);
        sip_ua_request(ua, &spec, NULL, NULL, NULL);
        d->terminated = true;
    }
    call_end_dialog(u);
}
