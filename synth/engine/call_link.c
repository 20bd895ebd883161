/* A call's own connection after a redirect (call_link.h), with the NTLM
 * security association it negotiates with the server there ([MS-SIPAE]
 * 3.2.1: an SA belongs to one connection). */
#include "synth/engine/call_link.h"

#include "synth/engine/worker.h"
#include "synth/steps/auth.h"
#include "synth/steps/call.h"
#include "synth/steps/step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* As for the registrar: a server that does not answer in 10 s is down. */
#define CALL_LINK_CONNECT_MS 10000

struct call_link {
    struct sip_ua *ua;
    struct sip_addr_storage dest;
    enum sip_transport transport;
    char server[64]; /* "192.0.2.7:5061", "[2001:db8::7]:5061": for the details */
    struct vuser_ntlm ntlm;           /* signs what goes on ua once challenged */
};

struct sip_ua *call_link_ua(struct vuser *u)
{
    return u->call_link ? u->call_link->ua : u->ua;
}

struct vuser_ntlm *call_link_ntlm(struct vuser *u)
{
    return u->call_link ? &u->call_link->ntlm : &u->ntlm;
}

const char *call_link_server(const struct vuser *u)
{
    return u->call_link ? u->call_link->server : "the registrar";
}

void call_link_dest(const struct vuser *u, struct sip_addr_storage *dest,
                    enum sip_transport *transport)
{
    if (u->call_link) {
        *dest = u->call_link->dest;
        *transport = u->call_link->transport;
        return;
    }
    const struct plan_server *srv = &u->w->plan->server[u->via];
    *dest = srv->addr;
    *transport = srv->ep->transport;
}

void call_link_cancel_wait(struct vuser *u, void *arg)
{
    if (u->call_ready && u->call_ready_arg == arg)
        u->call_ready = NULL;
}

void call_link_release(struct vuser *u)
{
    if (!u->call_link)
        return;
    call_link_reap(u); /* an older one, not the one whose callback may be running */
    u->retired_link = u->call_link;
    u->call_link = NULL;
}

static void link_free(struct call_link *l)
{
    sip_ua_free(l->ua);
    auth_ntlm_free(&l->ntlm); /* after the UA: its hooks point here */
    free(l);
}

void call_link_reap(struct vuser *u)
{
    if (u->retired_link) {
        link_free(u->retired_link);
        u->retired_link = NULL;
    }
}

static void link_connected(int err, void *arg)
{
    struct vuser *u = arg;
    vuser_ready_h *h = u->call_ready;
    u->call_ready = NULL;
    if (err)
        call_link_release(u);
    if (h)
        h(err, err ? "cannot connect to the server the redirect named" : "", u->call_ready_arg);
}

static void link_closed(int err, void *arg)
{
    struct vuser *u = arg;
    call_link_release(u);
    if (u->run && !u->run->finished && u->run->cfg->kind == STEP_CALL)
        step_finish_fail(u->run, step_class_of_err(err ? err : SYNTH_ECLOSED),
                         "the redirected call's connection was lost: %s",
                         synth_strerror(err ? err : SYNTH_ECLOSED));
}

int call_link_open(struct vuser *u, const struct sip_addr_storage *dest,
                   enum sip_transport transport, const char *server_name, vuser_ready_h *done,
                   void *arg)
{
    const struct run_plan *plan = u->w->plan;
    struct sip_ua_opts o = {
        .conn =
            {
                .transport = transport,
                .remote = *dest,
                .ssl_ctx = plan->server[u->via].ssl_ctx,
                .server_name = server_name,
                .connect_timeout_ms = CALL_LINK_CONNECT_MS,
                .keepalive_ms = plan->scenario->sip.keepalive_ms,
                .dscp = -1,
            },
        .timers = {plan->scenario->sip.t1_ms, plan->scenario->sip.t2_ms},
        .contact_user = u->user_part,
    };
    struct synth_error err;
    if (transport == SIP_TRANSPORT_TLS && !plan->server[u->via].ssl_ctx)
        return SYNTH_EUNSUPPORTED; /* a TLS context exists only for TLS targets */
    struct call_link *l = calloc(1, sizeof(*l));
    if (!l)
        return SYNTH_ENOMEM;
    call_link_release(u);
    u->call_ready = done;
    u->call_ready_arg = arg;
    int rc = sip_ua_new(&l->ua, u->w->base, &o, link_connected, link_closed, u, &err);
    if (rc != 0) {
        free(l);
        u->call_ready = NULL;
        return rc;
    }
    l->dest = *dest;
    l->transport = transport;
    sip_addr_format(dest, l->server, sizeof(l->server));
    l->ntlm.u = u;
    u->call_link = l;
    sip_ua_set_request_handler(l->ua, call_on_request, u);
    sip_ua_set_trace(l->ua, vuser_trace_append, u);
    /* The server there challenges the call's first request on this link,
     * if it authenticates: its SA is this link's, not the registrar's. */
    auth_ntlm_attach(&l->ntlm, l->ua);
    return 0;
}
