/* Survival probes, search and estimate (survival.h). */
#include "synth/engine/survival.h"

#include "synth/base/err.h"

#include <stdlib.h>
#include <string.h>

const char *survival_probe_name(enum survival_probe p)
{
    switch (p) {
    case SURVIVAL_IDLE: return "idle";
    case SURVIVAL_SIP_KEEPALIVE: return "keepalive";
    case SURVIVAL_SIP_SILENT: return "silent";
    default: return "pget";
    }
}

const char *survival_probe_session(enum survival_probe p)
{
    return p == SURVIVAL_SIP_KEEPALIVE || p == SURVIVAL_SIP_SILENT ? "sip-tls" : "ucwa";
}

const char *survival_sip_died_how(int err, uint16_t status)
{
    switch (err) {
    case 0: break;
    case SYNTH_ECLOSED: return "closed"; /* FIN, with or without a TLS close_notify */
    case SYNTH_ERESET: return "reset";
    case SYNTH_ETLS: return "tls-alert";
    case SYNTH_ETIMEDOUT: return "no-answer";
    default: return "transport-error";
    }
    if (status >= 200 && status < 300)
        return "";
    if (status >= 600)
        return "sip-6xx";
    if (status >= 500)
        return "sip-5xx";
    if (status >= 400)
        return "sip-4xx";
    if (status >= 300)
        return "sip-3xx";
    return "no-answer"; /* no final status at all */
}

void survival_log_init(struct survival_log *l)
{
    memset(l, 0, sizeof(*l));
}

void survival_log_free(struct survival_log *l)
{
    free(l->o);
    survival_log_init(l);
}

int survival_log_add(struct survival_log *l, const struct survival_outcome *o)
{
    if (l->n >= SURVIVAL_OUTCOMES_MAX) {
        l->dropped++;
        return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct survival_outcome *p = realloc(l->o, cap * sizeof(*p));
        if (!p)
            return SYNTH_ENOMEM;
        l->o = p;
        l->cap = cap;
    }
    l->o[l->n++] = *o;
    return 0;
}

int survival_log_merge(struct survival_log *dst, const struct survival_log *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = survival_log_add(dst, &src->o[i]);
        if (rc != 0)
            return rc;
    }
    dst->dropped += src->dropped;
    return 0;
}

void survival_search_init(struct survival_search *s, uint32_t min_s, uint32_t max_s,
                          uint32_t resolution_s)
{
    memset(s, 0, sizeof(*s));
    /* The range starts open below min: an interval of 0 always survives. */
    s->lo_s = min_s > 0 ? min_s - 1 : 0;
    s->max_s = max_s;
    s->resolution_s = resolution_s ? resolution_s : 1;
}

void survival_search_update(struct survival_search *s, uint32_t idle_s, bool survived)
{
    if (survived && idle_s > s->lo_s && (s->hi_s == 0 || idle_s < s->hi_s))
        s->lo_s = idle_s;
    else if (!survived && (s->hi_s == 0 || idle_s < s->hi_s))
        s->hi_s = idle_s;
    /* A death below the longest survivor: the path is flaky there; trust
     * the death (users see it) and search below it. */
    if (s->hi_s && s->lo_s >= s->hi_s)
        s->lo_s = s->hi_s > 1 ? s->hi_s - 1 : 0;
}

size_t survival_search_next(const struct survival_search *s, uint32_t *out, size_t max)
{
    uint32_t top = s->hi_s ? s->hi_s : s->max_s + 1;
    if (top <= s->lo_s + 1 || top - s->lo_s <= s->resolution_s || (!s->hi_s && s->lo_s >= s->max_s))
        return 0;
    size_t n = 0;
    uint32_t span = top - s->lo_s;
    for (size_t i = 1; i <= SURVIVAL_ROUND_PROBES && n < max; i++) {
        uint32_t v = s->lo_s + (uint32_t)((uint64_t)span * i / (SURVIVAL_ROUND_PROBES + 1));
        if (!s->hi_s && i == SURVIVAL_ROUND_PROBES)
            v = s->max_s; /* no death yet: probe the top too, or we never find one */
        if (v <= s->lo_s || v >= top || (n && v <= out[n - 1]))
            continue;
        out[n++] = v;
    }
    return n;
}

void survival_estimate(const struct survival_outcome *o, size_t n, enum survival_probe probe,
                       struct survival_estimate *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        if (o[i].probe != probe)
            continue;
        out->probes++;
        if (!o[i].survived && (out->died_min_s == 0 || o[i].idle_s < out->died_min_s))
            out->died_min_s = o[i].idle_s;
    }
    for (size_t i = 0; i < n; i++) {
        if (o[i].probe != probe || !o[i].survived)
            continue;
        if (out->died_min_s && o[i].idle_s >= out->died_min_s)
            continue;
        if (o[i].idle_s > out->survived_max_s)
            out->survived_max_s = o[i].idle_s;
    }
    out->have = out->died_min_s > 0;
    if (out->have) {
        out->timeout_s = ((double)out->survived_max_s + (double)out->died_min_s) / 2.0;
        out->uncertainty_s = ((double)out->died_min_s - (double)out->survived_max_s) / 2.0;
    }
}
