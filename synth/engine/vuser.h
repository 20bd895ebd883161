/* A synthetic user: its identity from the target, its SIP user agent, its
 * registration and its call. Owned by one worker; steps act on it. */
#ifndef SYNTH_ENGINE_VUSER_H
#define SYNTH_ENGINE_VUSER_H

#include "synth/config/scenario.h"
#include "synth/config/target.h"
#include "synth/sip/ua.h"

#include <stdbool.h>
#include <stdint.h>

struct worker;
struct step_run;

typedef void(vuser_ready_h)(int err, const char *detail, void *arg);

struct vuser_waiter {
    vuser_ready_h *h;
    void *arg;
};
struct dialog;
struct call_media;
struct ucwa_session;
struct sipae_sa;
struct mras_creds;
struct call_link;

/* NTLM ([MS-SIPAE]) on one connection of a user. An SA belongs to its
 * connection (3.2.1): the registrar connection has one (vuser.ntlm), a
 * call's own link after a redirect another (call_link.c), each negotiated
 * with the server at its end. auth.c makes and uses them. */
struct vuser_ntlm {
    struct vuser *u;      /* whose credentials; where failures are told */
    /* The SA, made when the server first challenges with NTLM; NULL until
     * then. */
    struct sipae_sa *sa;
    /* While the SA is renewed (only on the registrar connection, by a
     * REGISTER): the new one being negotiated, and, once it signs, the old
     * one kept to check what the server signed with it before it saw our
     * AUTHENTICATE. */
    struct sipae_sa *next, *prev;
};

/* Bytes of SIP kept per call for the trace of a failed call. */
#define VUSER_TRACE_MAX (64 * 1024)

struct vuser {
    uint32_t index;
    enum access_path via; /* load.via[index % via_count] */
    const struct target_user *id;
    struct worker *w;
    struct sip_ua *ua;
    char user_part[128];      /* "alice" of sip:alice@contoso.com */
    char from_tag[20];

    /* Registration (RFC 3261 10.2). */
    bool registered;
    bool credentials_refused; /* never retried: real accounts lock out */
    char reg_call_id[64];
    uint32_t reg_cseq;
    uint32_t reg_expires_s;   /* granted */
    struct event *reregister;
    uint32_t nonce_count;     /* Digest nc for the current nonce */
    char last_nonce[128];
    /* NTLM ([MS-SIPAE]) with the registrar, on the user's connection. */
    struct vuser_ntlm ntlm;
    /* Renewals and lapses not yet reported in a step's result. */
    uint16_t ntlm_renewals, ntlm_lapses;
    char ntlm_detail[160];    /* why the last response's signature failed */
    /* Why a request the server sent failed its signature ("" none yet): the
     * step under way when it came fails with auth-ntlm-refused (step.c). */
    char ntlm_request_detail[160];

    /* Steps waiting for the connection (a step and a registration refresh at most). */
#define VUSER_WAITERS_MAX 4
    struct vuser_waiter waiters[VUSER_WAITERS_MAX];
    unsigned waiter_count;
    struct event *ready_ev;   /* delivers "already connected" from the loop */
    char conn_detail[256];    /* why the last connect failed */

    uint32_t reg_requested_s; /* expiry asked for, reused by refreshes */
    struct step_run *refresh; /* a background re-REGISTER in flight */

    struct dialog *call;      /* the active call, if any */
    /* The far end's BYE of this call is already in the call step's failed
     * result: the hangup step does not count it a second time. */
    bool call_end_reported;
    struct call_media *media; /* its audio (call_media.c), until the dialog ends */
    /* The call's own connection when a redirect (3xx) sent it to another
     * server than the registrar; NULL: the call uses ua. A link no longer
     * used is retired and freed at the next safe point, never inside its
     * own callbacks (call_link.c). */
    struct call_link *call_link;
    struct call_link *retired_link;
    vuser_ready_h *call_ready;
    void *call_ready_arg;
    struct step_run *run;     /* the step in progress, if any */
    bool busy;                /* in a journey */

    struct ucwa_session *ucwa; /* UCWA steps: the user's session (token, application) */
    /* media.turn.credentials: mras: the user's relay credentials from the
     * Front End (synth/steps/mras_creds.c); NULL until its first relayed call. */
    struct mras_creds *mras;

    char *trace;              /* SIP messages of the current call */
    size_t trace_len;
};

int vuser_init(struct vuser *u, struct worker *w, uint32_t index, const struct target_user *id);
void vuser_cleanup(struct vuser *u);

/* Calls done(0) when the UA is connected (from the loop, never inside the
 * caller's frame); connects first when needed. err and a detail (the TLS
 * verification explanation, the address refused) when it cannot. */
int vuser_ensure_connected(struct vuser *u, vuser_ready_h *done, void *arg);
/* The options of the user's SIP connection (its access path's server,
 * TLS name, timers, keep-alive), for a step that opens more of its own. */
void vuser_ua_opts(const struct vuser *u, struct sip_ua_opts *o);
/* Forgets a waiter (its step ended first). */
void vuser_cancel_wait(struct vuser *u, void *arg);

/* Trace of the current call. */
void vuser_trace_reset(struct vuser *u);
/* The UA trace hook that keeps the current call's SIP (sip_ua_set_trace). */
void vuser_trace_append(bool sent, const char *buf, size_t len, void *arg);

#endif
