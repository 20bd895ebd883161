/* ms-diagnostics parsing and the catalogue (ms_diag.h). The ranges and the
 * ErrorIds' reason strings are those [MS-OCER] sections 7 and 8 list; the
 * meanings and remedies are written for a tester's report. */
#include "synth/sip/ms_diag.h"

#include "synth/base/err.h"
#include "synth/sip/msg.h"

#include <stdio.h>
#include <string.h>

/* An ErrorId has at most this many digits (the documented ones have 5). */
#define MS_DIAG_CODE_DIGITS 9

struct range {
    uint32_t first, last;
    const char *component;
};

static const struct range ranges[] = {
    {0, 999, "common"},
    {1000, 1999, "SIP stack (Front End, Director, Edge)"},
    {2000, 2999, "user services: presence"},
    {3000, 3999, "user services: conferencing focus"},
    {4000, 4999, "user services"},
    {5000, 5999, "server API applications"},
    {6000, 6999, "IM conferencing server"},
    {7000, 7999, "A/V conferencing server"},
    {8000, 8999, "telephony conferencing server"},
    {9000, 9999, "media relay authentication (MRAS)"},
    {10000, 10999, "Mediation Server"},
    {11000, 11999, "metrics"},
    {12000, 12999, "voice: outbound routing"},
    {13000, 13999, "voice: inbound routing"},
    {14000, 14999, "voice: dial plan translation"},
    {15000, 15999, "Exchange UM"},
    {16000, 16999, "IM filter"},
    {17000, 17999, "client version filter"},
};

static const struct ms_diag_entry entries[] = {
    {1000, "the final handshake failed: the credentials were refused (between servers: "
           "the mutual TLS)",
     "check the user's password, account and lockout; between servers, their certificates"},
    {1003, "the user does not exist in the pool",
     "check the user's SIP URI in the target's users and that the account is enabled for SIP"},
    {1004, "the dialog's route set is no longer valid",
     "a server on the route restarted or failed over; check the pool's health"},
    {1005, "the server cannot route to the destination domain",
     "check that the domain is a SIP domain of the deployment (or a federated one)"},
    {1006, "routing failed on a client connection",
     "the far end's connection to its server dropped; check its registration"},
    {1007, "the server temporarily cannot route the request",
     "the next hop is down or overloaded; check the next hop named in source"},
    {1008, "the server could not resolve a DNS SRV record",
     "check the SRV records of the domain (synth run with target discover: checks them)"},
    {1009, "the SRV record and the host are in conflicting domains",
     "the SRV target must be in the SIP domain or a name the certificate carries"},
    {1010, "certificate trust with the next-hop server could not be established",
     "check the next hop's certificate chain and the root the server trusts"},
    {1011, "the previous hop gave no ms-diagnostics", "look at the previous hop's own logs"},
    {1012, "the user may not communicate with users outside the enterprise",
     "check the user's external access policy"},
    {1013, "significant time skew during authentication",
     "synchronise the clocks of the client and the servers (NTLM and Kerberos both check time)"},
    {1014, "the server could not resolve a DNS A record",
     "check the A/AAAA record of the name in the evidence"},
    {4003, "the user is not enabled for remote access",
     "external users through the Edge need an external access policy that allows remote "
     "access (Set-CsExternalAccessPolicy -EnableOutsideAccess)"},
    {4004, "the credentials may not act as the From URI",
     "the auth user (domain\\user or UPN) must belong to the SIP URI it registers"},
    {4005, "the destination URI is not enabled for SIP or does not exist",
     "check the voicemail URI and that the mailbox owner is enabled for SIP and for UM"},
    {4006, "the user is not homed on this pool",
     "the user is homed elsewhere: register with the pool the redirect names"},
};

const char *ms_diag_component(uint32_t code)
{
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if (code >= ranges[i].first && code <= ranges[i].last)
            return ranges[i].component;
    return "unknown component";
}

const struct ms_diag_entry *ms_diag_lookup(uint32_t code)
{
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
        if (entries[i].code == code)
            return &entries[i];
    return NULL;
}

/* Digits from *s up to e into *out; false when none or too many. */
static bool number(const char **s, const char *e, uint32_t *out)
{
    uint64_t v = 0;
    int n = 0;
    for (; *s < e && **s >= '0' && **s <= '9'; (*s)++) {
        if (++n > MS_DIAG_CODE_DIGITS)
            return false;
        v = v * 10 + (uint64_t)(**s - '0');
    }
    *out = (uint32_t)v;
    return n > 0;
}

int ms_diag_parse(struct strv value, struct ms_diag *out)
{
    memset(out, 0, sizeof(*out));
    value = strv_trim(value);
    if (!value.p)
        return SYNTH_EPARSE;
    const char *s = value.p, *e = s + value.l;
    if (!number(&s, e, &out->code))
        return SYNTH_EPARSE;
    if (s < e && *s == '.' && (s++, !number(&s, e, &out->sub)))
        return SYNTH_EPARSE;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    if (s < e && *s != ';')
        return SYNTH_EPARSE;
    struct strv params = strv_make(s, (size_t)(e - s));
    sip_param_get(params, "reason", &out->reason);
    sip_param_get(params, "source", &out->source);
    return 0;
}

void ms_diag_describe(const struct ms_diag *d, char *out, size_t size)
{
    const struct ms_diag_entry *en = ms_diag_lookup(d->code);
    if (size == 0)
        return;
    if (en)
        snprintf(out, size, "%s: %s (%s)", ms_diag_component(d->code), en->meaning, en->remedy);
    else
        snprintf(out, size, "%s", ms_diag_component(d->code));
}

void ms_diag_explain(struct strv value, char *out, size_t size)
{
    struct ms_diag d;
    if (size == 0)
        return;
    out[0] = '\0';
    if (ms_diag_parse(value, &d) == 0)
        ms_diag_describe(&d, out, size);
}
