/* Answers for a synthetic user: Digest, nc counting per nonce (RFC 7616
 * 3.4), and NTLM over the user's [MS-SIPAE] security association. */
#include "auth.h"

#include "synth/base/clock.h"
#include "synth/sip/digest.h"
#include "synth/sip/sipae.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A response rarely carries more than two challenges (SHA-256 and MD5). */
#define AUTH_CHALLENGES_MAX 8

int auth_answer(struct vuser *u, const struct sip_msg *resp, const char *method,
                const char *uri, char *out, size_t size, bool *stale)
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

/* NTLM ([MS-SIPAE]) for a synthetic user: one SA per user, as the user
 * holds one connection to its registrar (3.2.1: an SA per connection). */
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

int auth_ntlm_challenge(struct vuser *u, const struct sip_msg *resp, struct synth_error *e)
{
    if (!u->ntlm) {
        u->ntlm = malloc(sizeof(*u->ntlm));
        if (!u->ntlm)
            return synth_error_set(e, SYNTH_ENOMEM, "no memory for the NTLM SA");
        sipae_sa_init(u->ntlm, 0);
    }
    struct sipae_credentials cr = {.login = u->id->auth_user, .password = u->id->password};
    return sipae_sa_on_challenge(u->ntlm, resp, &cr, (uint64_t)(clock_mono_us() / 1000), e);
}

bool auth_ntlm_active(const struct vuser *u)
{
    if (!u->ntlm)
        return false;
    if (u->ntlm->state == SIPAE_SA_ESTABLISHED)
        sipae_sa_tick(u->ntlm, (uint64_t)(clock_mono_us() / 1000), 0);
    return u->ntlm->state == SIPAE_SA_NEGOTIATING || u->ntlm->state == SIPAE_SA_ESTABLISHED;
}

static int ntlm_sign(const struct sip_msg *req, struct sbuf *out, void *arg)
{
    struct vuser *u = arg;
    /* A Digest answer already in the request is the only credentials. */
    if (!auth_ntlm_active(u) || sip_msg_hdr(req, SIP_HDR_AUTHORIZATION, NULL) ||
        sip_msg_hdr(req, SIP_HDR_PROXY_AUTHORIZATION, NULL))
        return 0;
    /* Zeroed only here: the hooks run on every message of every user. */
    struct synth_error e = {{0}};
    sbuf_puts(out, u->ntlm->proxy ? "Proxy-Authorization: " : "Authorization: ");
    int rc = sipae_authorization(u->ntlm, out, req, NULL, &e);
    if (rc != 0)
        return rc;
    sbuf_puts(out, "\r\n");
    return sbuf_result(out);
}

/* [MS-SIPAE] 3.2.5.2: the server signs what it answers over an SA. A
 * provisional or an error without a signature passes (a 401 refusing the
 * AUTHENTICATE has none, by nature); a 2xx without one does not. */
static int ntlm_verify(const struct sip_msg *resp, void *arg)
{
    struct vuser *u = arg;
    if (!u->ntlm || u->ntlm->state != SIPAE_SA_ESTABLISHED)
        return 0;
    struct synth_error e = {{0}};
    int rc = sipae_sa_verify(u->ntlm, resp, &e);
    if (rc == SYNTH_ENOTFOUND && (resp->status < 200 || resp->status >= 300))
        return 0;
    if (rc == 0)
        return 0;
    snprintf(u->ntlm_detail, sizeof(u->ntlm_detail), "%.*s %u: %s", (int)resp->cseq_method.l,
             resp->cseq_method.p, (unsigned)resp->status, e.msg);
    return SYNTH_EAUTH;
}

void auth_ntlm_attach(struct vuser *u, struct sip_ua *ua)
{
    const struct sip_ua_auth a = {ntlm_sign, ntlm_verify, u};
    sip_ua_set_auth(ua, &a);
}

void auth_ntlm_free(struct vuser *u)
{
    if (!u->ntlm)
        return;
    sipae_sa_reset(u->ntlm);
    free(u->ntlm);
    u->ntlm = NULL;
}
