/* A dialog as the caller (UAC) sees it: identifiers, route set and remote
 * target from the 2xx to its INVITE (RFC 3261 12.1.2, 12.2.1). */
#ifndef SYNTH_SIP_DIALOG_H
#define SYNTH_SIP_DIALOG_H

#include "synth/sip/build.h"
#include "synth/sip/msg.h"

#include <stdbool.h>
#include <stdint.h>

#define DIALOG_URI_MAX 512
#define DIALOG_ROUTES_MAX 2048

struct dialog {
    char call_id[96];
    char local_uri[DIALOG_URI_MAX];  /* From of the INVITE (name-addr) */
    char local_tag[32];
    char remote_uri[DIALOG_URI_MAX]; /* To of the INVITE (name-addr) */
    char remote_tag[96];
    char remote_target[DIALOG_URI_MAX]; /* Contact of the 2xx */
    char routes[DIALOG_ROUTES_MAX];     /* Record-Route reversed, comma-joined */
    uint32_t invite_cseq;
    uint32_t local_cseq;
    bool confirmed;
    bool terminated;
    bool bye_by_peer;
    char bye_reason[256];            /* Reason / ms-diagnostics of the peer's BYE */
};

/* Allocates a dialog for an INVITE about to be sent; caller frees with dialog_free. */
struct dialog *dialog_new(const char *call_id, const char *local_uri, const char *local_tag,
                          const char *remote_uri, uint32_t invite_cseq);
void dialog_free(struct dialog *d);

/* Confirms the dialog from a 2xx: remote tag, remote target, route set.
 * SYNTH_EPARSE when the 2xx lacks a To tag or a Contact. */
int dialog_confirm(struct dialog *d, const struct sip_msg *resp);

/* Fills spec for a request inside the dialog (ACK uses the INVITE's CSeq,
 * others the next local CSeq). Pointers in spec point into d. */
void dialog_request(struct dialog *d, const char *method, struct sip_request_spec *spec);

/* True if req (BYE, re-INVITE...) belongs to this dialog. */
bool dialog_matches(const struct dialog *d, const struct sip_msg *msg);

#endif
