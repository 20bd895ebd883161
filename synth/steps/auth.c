/* Digest answers for a synthetic user; nc counts per nonce (RFC 7616 3.4). */
#include "auth.h"

#include "synth/sip/digest.h"

#include <stdio.h>
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
