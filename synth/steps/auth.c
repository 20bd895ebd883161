/* Answers for a synthetic user: Digest, nc counting per nonce (RFC 7616
 * 3.4), and NTLM over the user's [MS-SIPAE] security association. */
#include "auth.h"

#include "synth/base/clock.h"
#include "synth/engine/worker.h"
#include "synth/sip/digest.h"
#include "synth/sip/sipae.h"
#include "synth/steps/step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A response rarely carries more than two challenges (SHA-256 and MD5). */
#define AUTH_CHALLENGES_MAX 8

int auth_answer(struct vuser *u, struct vuser_ntlm *ntlm, const struct sip_msg *resp,
                const char *method, const char *uri, char *out, size_t size, bool *stale)
{
    bool proxy = resp->status == 407;
    enum sip_hdr_id id = proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE;
    struct digest_challenge chs[AUTH_CHALLENGES_MAX];
    size_t n = 0;
    for (const struct sip_hdr *h = sip_msg_hdr(resp, id, NULL); h && n < AUTH_CHALLENGES_MAX;
         h = sip_msg_hdr(resp, id, h)) {
        if (digest_challenge_parse(&chs[n], h->value) == 0)
            n++;
    }
    int pick = digest_challenge_pick(chs, n);
    if (pick < 0 && ntlm && ntlm->sa) {
        /* A request signed over the SA challenged afresh (the server let
         * the SA lapse): it is sent again and negotiates a new SA, the
         * signing hook carrying the tokens (no line here). */
        struct synth_error e = {{0}};
        int rc = auth_ntlm_challenge(ntlm, resp, &e);
        if (rc != 0) {
            snprintf(u->ntlm_detail, sizeof(u->ntlm_detail), "%s", e.msg);
            return rc;
        }
        *stale = false;
        if (size)
            out[0] = '\0';
        return 0;
    }
    if (pick < 0)
        return SYNTH_EUNSUPPORTED;
    const struct digest_challenge *ch = &chs[pick];
    *stale = ch->stale;

    char nonce[sizeof(u->last_nonce)];
    strv_copy(ch->nonce, nonce, sizeof(nonce));
    if (strcmp(nonce, u->last_nonce) != 0) {
        snprintf(u->last_nonce, sizeof(u->last_nonce), "%s", nonce);
        u->nonce_count = 0;
    }
    u->nonce_count++;
    char cnonce[17];
    int rc = digest_random_hex(cnonce, sizeof(cnonce), 8);
    if (rc != 0)
        return rc;
    struct sbuf sb;
    sbuf_init(&sb, out, size);
    sbuf_puts(&sb, proxy ? "Proxy-Authorization: " : "Authorization: ");
    rc = digest_authorization(&sb, ch, method, uri, u->id->auth_user, u->id->password,
                              u->nonce_count, cnonce);
    if (rc != 0)
        return rc;
    sbuf_puts(&sb, "\r\n");
    return sbuf_result(&sb);
}

/* NTLM ([MS-SIPAE]) for a synthetic user: an SA per connection (3.2.1),
 * the registrar's and a redirected call's own (struct vuser_ntlm). */
enum auth_scheme auth_choose(const struct sip_msg *resp, enum target_auth policy)
{
    bool proxy = resp->status == 407;
    enum sip_hdr_id id = proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE;
    bool digest = false, ntlm = false;
    for (const struct sip_hdr *h = sip_msg_hdr(resp, id, NULL); h; h = sip_msg_hdr(resp, id, h)) {
        struct digest_challenge dc;
        struct sipae_challenge sc;
        if (digest_challenge_parse(&dc, h->value) == 0)
            digest = true;
        else if (sipae_challenge_parse(&sc, h->value) == 0 && sc.scheme == SIPAE_SCHEME_NTLM)
            ntlm = true;
    }
    if (digest && policy != TARGET_AUTH_NTLM)
        return AUTH_SCHEME_DIGEST;
    if (ntlm && policy != TARGET_AUTH_DIGEST)
        return AUTH_SCHEME_NTLM;
    return AUTH_SCHEME_NONE;
}

static uint64_t now_ms(void)
{
    return (uint64_t)(clock_mono_us() / 1000);
}

static struct sipae_sa *sa_new(uint64_t lifetime_ms)
{
    struct sipae_sa *sa = malloc(sizeof(*sa));
    if (sa)
        sipae_sa_init(sa, lifetime_ms);
    return sa;
}

static void sa_free(struct sipae_sa **sa)
{
    if (!*sa)
        return;
    sipae_sa_reset(*sa);
    free(*sa);
    *sa = NULL;
}

/* The renewal's AUTHENTICATE is written: the new SA signs from now on
 * (requests after it reach the server after it, on the same connection);
 * the old one stays only to check what the server signed before. */
static void renewal_done(struct vuser_ntlm *n)
{
    sa_free(&n->prev);
    n->prev = n->sa;
    n->sa = n->next;
    n->next = NULL;
    n->u->ntlm_renewals++;
}

int auth_ntlm_challenge(struct vuser_ntlm *n, const struct sip_msg *resp, struct synth_error *e)
{
    struct vuser *u = n->u;
    if (!n->sa) {
        n->sa = sa_new(0);
        if (!n->sa)
            return synth_error_set(e, SYNTH_ENOMEM, "no memory for the NTLM SA");
    }
    struct sipae_credentials cr = {.login = u->id->auth_user, .password = u->id->password};
    /* The renewal runs on a REGISTER of its own; other requests' challenges
     * are the current SA's. */
    bool renewal = n->next && strv_eq(resp->cseq_method, "REGISTER");
    struct sipae_sa *sa = renewal ? n->next : n->sa;
    int rc = sipae_sa_on_challenge(sa, resp, &cr, now_ms(), e);
    if (rc != 0)
        return rc;
    if (sa->lapsed) {
        /* The server dropped the SA before we renewed it: this request
         * negotiates a new one, and the lifetime it lasted is kept. */
        sa->lapsed = false;
        u->ntlm_lapses++;
        sa_free(&n->next);
        sa_free(&n->prev);
    }
    if (renewal && sa->state == SIPAE_SA_ESTABLISHED)
        renewal_done(n);
    else if (!renewal && sa->state == SIPAE_SA_ESTABLISHED && n == &u->ntlm && u->registered)
        step_register_refresh_arm(u); /* a lapse mended: renew the new SA in time */
    return 0;
}

/* NTLM takes two rounds ([MS-SIPAE] 3.2.2: an empty token, then the
 * AUTHENTICATE), and one more when an established SA was dropped by the
 * server and is negotiated again. */
#define AUTH_NTLM_ROUNDS_MAX 4

enum failure_class auth_on_challenge(struct step_run *run, struct vuser_ntlm *n,
                                     const struct sip_msg *resp, const char *server,
                                     uint32_t *rounds, enum auth_scheme *scheme, char *detail,
                                     size_t size)
{
    struct vuser *u = run->u;
    const struct target_endpoint *ep = target_endpoint_for(u->w->plan->target, u->via);
    enum target_auth policy = ep ? ep->auth : TARGET_AUTH_AUTO;
    *scheme = auth_choose(resp, policy);
    if (*scheme == AUTH_SCHEME_DIGEST)
        return FAIL_NONE;
    if (*scheme == AUTH_SCHEME_NONE) {
        char offered[256];
        sipae_offered_schemes(resp, offered, sizeof(offered));
        snprintf(detail, size,
                 "%s offers no scheme synth answers under auth: %s (schemes offered: %s)", server,
                 target_auth_name(policy), offered);
        return FAIL_AUTH_SCHEME;
    }
    if (*rounds >= AUTH_NTLM_ROUNDS_MAX) {
        u->credentials_refused = true;
        snprintf(detail, size, "NTLM for %s with %s not done after %u rounds", u->id->auth_user,
                 server, *rounds);
        return FAIL_AUTH_NTLM;
    }
    struct synth_error e = {{0}};
    int rc = auth_ntlm_challenge(n, resp, &e);
    if (rc == SYNTH_EAUTH) {
        /* Real accounts lock out: whichever server refused them, they are
         * not sent again. */
        u->credentials_refused = true;
        snprintf(detail, size, "%s; not retried", e.msg);
        return FAIL_AUTH_NTLM;
    }
    if (rc == SYNTH_EUNSUPPORTED) {
        snprintf(detail, size, "%s", e.msg);
        return FAIL_AUTH_SCHEME;
    }
    if (rc != 0) {
        snprintf(detail, size, "NTLM challenge from %s: %s", server, e.msg);
        return FAIL_PROTOCOL;
    }
    (*rounds)++;
    return FAIL_NONE;
}

uint64_t auth_ntlm_renew_in_ms(struct vuser *u)
{
    struct sipae_sa *sa = u->ntlm.sa;
    if (!sa || sa->state != SIPAE_SA_ESTABLISHED || u->ntlm.next)
        return UINT64_MAX;
    uint64_t now = now_ms(), margin = sipae_sa_margin_ms(sa);
    return sa->expires_ms > now + margin ? sa->expires_ms - margin - now : 0;
}

bool auth_ntlm_active(const struct vuser_ntlm *n)
{
    if (!n->sa)
        return false;
    if (n->sa->state == SIPAE_SA_ESTABLISHED)
        sipae_sa_tick(n->sa, now_ms(), 0);
    return n->sa->state == SIPAE_SA_NEGOTIATING || n->sa->state == SIPAE_SA_ESTABLISHED;
}

/* The SA that signs req: a REGISTER sent within the renewal margin starts
 * the renewal and negotiates it (as SIPE re-authenticates with a REGISTER);
 * everything else is signed by the current SA. */
static struct sipae_sa *sa_for_request(struct vuser_ntlm *n, const struct sip_msg *req)
{
    if (!strv_eq(req->method, "REGISTER"))
        return n->sa;
    if (!n->next && n->sa->state == SIPAE_SA_ESTABLISHED && n->sa->confirmed &&
        sipae_sa_tick(n->sa, now_ms(), sipae_sa_margin_ms(n->sa)) &&
        n->sa->state == SIPAE_SA_ESTABLISHED) {
        n->next = sa_new(0);
        if (n->next)
            sipae_sa_renew_start(n->next, n->sa);
    }
    return n->next ? n->next : n->sa;
}

static int ntlm_sign(const struct sip_msg *req, struct sbuf *out, void *arg)
{
    struct vuser_ntlm *n = arg;
    /* A Digest answer already in the request is the only credentials. */
    if (!auth_ntlm_active(n) || sip_msg_hdr(req, SIP_HDR_AUTHORIZATION, NULL) ||
        sip_msg_hdr(req, SIP_HDR_PROXY_AUTHORIZATION, NULL))
        return 0;
    /* Zeroed only here: the hooks run on every message of every user. */
    struct synth_error e = {{0}};
    struct sipae_sa *sa = sa_for_request(n, req);
    sbuf_puts(out, sa->proxy ? "Proxy-Authorization: " : "Authorization: ");
    int rc = sipae_authorization(sa, out, req, NULL, &e);
    if (rc != 0)
        return rc;
    sbuf_puts(out, "\r\n");
    return sbuf_result(out);
}

/* sipae_sa_verify with the current SA, or, for what the server signed just
 * before it saw a renewal's AUTHENTICATE, the old one (its opaque tells). */
static int verify_either(struct vuser_ntlm *n, const struct sip_msg *msg, struct synth_error *e)
{
    int rc = sipae_sa_verify(n->sa, msg, e);
    if (rc == SYNTH_ENOTFOUND && n->prev && n->prev->state == SIPAE_SA_ESTABLISHED) {
        struct synth_error pe = {{0}};
        int prc = sipae_sa_verify(n->prev, msg, &pe);
        if (prc != SYNTH_ENOTFOUND) {
            rc = prc;
            *e = pe;
        }
    }
    return rc;
}

/* [MS-SIPAE] 3.3: the server signs the requests it sends over the SA too
 * (the UM's BYE, relayed by the Front End): one without a signature, or
 * with one that does not verify, is refused and reported. */
static int ntlm_verify_request(struct vuser_ntlm *n, const struct sip_msg *req)
{
    struct synth_error e = {{0}};
    int rc = verify_either(n, req, &e);
    if (rc == 0)
        return 0;
    snprintf(n->u->ntlm_request_detail, sizeof(n->u->ntlm_request_detail),
             "%.*s from the server: %s", (int)req->method.l, req->method.p, e.msg);
    return SYNTH_EAUTH;
}

/* [MS-SIPAE] 3.2.5.2: the server signs what it answers over an SA. A
 * provisional or an error without a signature passes (a 401 refusing the
 * AUTHENTICATE has none, by nature); a 2xx without one does not. */
static int ntlm_verify(const struct sip_msg *resp, void *arg)
{
    struct vuser_ntlm *n = arg;
    if (!n->sa || n->sa->state != SIPAE_SA_ESTABLISHED)
        return 0;
    if (resp->is_request)
        return ntlm_verify_request(n, resp);
    struct synth_error e = {{0}};
    int rc = verify_either(n, resp, &e);
    if (rc == SYNTH_ENOTFOUND && (resp->status < 200 || resp->status >= 300))
        return 0;
    if (rc == 0)
        return 0;
    snprintf(n->u->ntlm_detail, sizeof(n->u->ntlm_detail), "%.*s %u: %s",
             (int)resp->cseq_method.l, resp->cseq_method.p, (unsigned)resp->status, e.msg);
    return SYNTH_EAUTH;
}

static bool ntlm_signing(void *arg)
{
    return auth_ntlm_active(arg);
}

void auth_ntlm_attach(struct vuser_ntlm *n, struct sip_ua *ua)
{
    const struct sip_ua_auth a = {.sign = ntlm_sign, .signing = ntlm_signing,
                                  .verify = ntlm_verify, .arg = n};
    sip_ua_set_auth(ua, &a);
}

void auth_ntlm_free(struct vuser_ntlm *n)
{
    sa_free(&n->sa);
    sa_free(&n->next);
    sa_free(&n->prev);
}
