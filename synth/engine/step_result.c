/* Step results and the names of failure classes. */
#include "step_result.h"

#include <string.h>

const char *failure_class_name(enum failure_class c)
{
    static const char *const names[FAIL_CLASS_COUNT] = {
        [FAIL_NONE] = "none",
        [FAIL_TIMEOUT] = "timeout",
        [FAIL_TRANSPORT] = "transport",
        [FAIL_TLS] = "tls",
        [FAIL_AUTH] = "auth-refused",
        [FAIL_REJECTED] = "rejected",
        [FAIL_SERVER_ERROR] = "server-error",
        [FAIL_NO_ANSWER] = "no-answer",
        [FAIL_DROPPED] = "dropped",
        [FAIL_REDIRECT_LIMIT] = "redirect-limit",
        [FAIL_NOT_READY] = "not-ready",
        [FAIL_PROTOCOL] = "protocol",
        [FAIL_CANCELED] = "canceled",
        [FAIL_INTERNAL] = "internal",
        [FAIL_NO_MEDIA] = "connected-no-media",
        [FAIL_NO_GREETING] = "no-greeting",
        [FAIL_SDP] = "sdp-unusable",
        [FAIL_LOCAL] = "local-resources",
        [FAIL_DNS] = "dns",
        [FAIL_HTTP_STATUS] = "http-status",
        [FAIL_APP_GONE] = "application-gone",
        [FAIL_ICE] = "ice-failed",
        [FAIL_RELAY] = "relay-unavailable",
        [FAIL_CERT] = "certificate",
        [FAIL_AUTH_NTLM] = "auth-ntlm-refused",
        [FAIL_AUTH_SCHEME] = "auth-unsupported-scheme",
        [FAIL_MSTURN_ALLOC] = "msturn-allocate-failed",
        [FAIL_MRAS_REFUSED] = "mras-refused",
    };
    if ((unsigned)c >= FAIL_CLASS_COUNT)
        return "unknown";
    return names[c];
}

void step_result_init(struct step_result *r, enum step_kind kind, uint32_t step_index,
                      uint32_t user_index)
{
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->step_index = step_index;
    r->user_index = user_index;
    r->pdd_us = -1;
    r->setup_us = -1;
    r->media.first_media_us = -1;
    r->media.greeting_onset_us = -1;
    r->media.dscp_seen = -1;
    r->media.dscp_expected = -1;
    r->media.ice_us = -1;
    r->media.relay_allocate_us = -1;
}
