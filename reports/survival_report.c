/* Survival results and findings (survival_report.h). */
#include "reports/survival_report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hops one probe kind is reported for (the registrar and the Edge). */
#define SURVIVAL_HOPS_MAX 4

static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) ? -1 : 0;
}

/* Distinct intervals of one probe kind, ascending. */
static size_t intervals_of(const struct survival_log *l, enum survival_probe p, uint32_t *out,
                           size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->o[i].probe != p)
            continue;
        uint32_t v = l->o[i].idle_s;
        size_t j = 0;
        while (j < n && out[j] < v)
            j++;
        if ((j < n && out[j] == v) || n == max)
            continue;
        memmove(out + j + 1, out + j, (n - j) * sizeof(*out));
        out[j] = v;
        n++;
    }
    return n;
}

static json_t *interval_json(const struct survival_log *l, enum survival_probe p, uint32_t idle_s)
{
    size_t probes = 0, survived = 0;
    const char *how = NULL;
    for (size_t i = 0; i < l->n; i++) {
        const struct survival_outcome *o = &l->o[i];
        if (o->probe != p || o->idle_s != idle_s)
            continue;
        probes++;
        if (o->survived)
            survived++;
        else if (!how)
            how = o->died_how;
    }
    json_t *x = json_object();
    int rc = !x;
    rc |= set(x, "idle_s", json_integer(idle_s));
    rc |= set(x, "survived", json_boolean(survived == probes));
    rc |= set(x, "probes", json_integer((json_int_t)probes));
    rc |= set(x, "survived_count", json_integer((json_int_t)survived));
    rc |= set(x, "died_how", how ? json_string(how) : json_null());
    if (rc) {
        json_decref(x);
        return NULL;
    }
    return x;
}

static json_t *probe_json(const struct survival_log *l, enum survival_probe p)
{
    uint32_t iv[SURVIVAL_OUTCOMES_MAX < 256 ? SURVIVAL_OUTCOMES_MAX : 256];
    size_t n = intervals_of(l, p, iv, sizeof(iv) / sizeof(iv[0]));
    struct survival_estimate e;
    survival_estimate(l->o, l->n, p, &e);
    json_t *o = json_object(), *a = json_array();
    int rc = !o || !a;
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *x = interval_json(l, p, iv[i]);
        rc |= !x || json_array_append_new(a, x);
    }
    rc |= set(o, "session", json_string(survival_probe_session(p)));
    rc |= set(o, "probe", json_string(survival_probe_name(p)));
    if (n && l->o[0].hop[0])
        rc |= set(o, "hop", json_string(l->o[0].hop));
    if (p == SURVIVAL_SIP_KEEPALIVE) {
        /* Whether the server answers keep-alives: a client that gets no
         * pong cannot tell a dead flow (RFC 5626 4.4.1). */
        json_int_t pongs = 0;
        for (size_t i = 0; i < l->n; i++)
            pongs += l->o[i].pongs;
        rc |= set(o, "pongs", json_integer(pongs));
    }
    rc |= set(o, "intervals", a);
    rc |= set(o, "estimated_timeout_s", e.have ? json_real(e.timeout_s) : json_null());
    rc |= set(o, "uncertainty_s", e.have ? json_real(e.uncertainty_s) : json_null());
    rc |= set(o, "survived_max_s", json_integer(e.survived_max_s));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The distinct hops of one probe kind's outcomes ("" for UCWA's). */
static size_t hops_of(const struct survival_log *l, enum survival_probe p,
                      const char *out[SURVIVAL_HOPS_MAX])
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->o[i].probe != p)
            continue;
        size_t j = 0;
        while (j < n && strcmp(out[j], l->o[i].hop) != 0)
            j++;
        if (j == n && n < SURVIVAL_HOPS_MAX)
            out[n++] = l->o[i].hop;
    }
    return n;
}

/* One probe kind's outcomes at one hop, into view (its o is buf). */
static void select_hop(const struct survival_log *l, enum survival_probe p, const char *hop,
                       struct survival_outcome *buf, struct survival_log *view)
{
    memset(view, 0, sizeof(*view));
    view->o = buf;
    for (size_t i = 0; i < l->n; i++)
        if (l->o[i].probe == p && strcmp(l->o[i].hop, hop) == 0)
            buf[view->n++] = l->o[i];
}

/* Calls each(view, probe) for every probe kind and hop with outcomes. */
static int each_series(const struct survival_log *l,
                       int (*each)(const struct survival_log *view, enum survival_probe p,
                                   void *arg),
                       void *arg)
{
    struct survival_outcome *buf = malloc((l->n ? l->n : 1) * sizeof(*buf));
    if (!buf)
        return -1;
    int rc = 0;
    for (int p = 0; rc == 0 && p < SURVIVAL_PROBE_COUNT; p++) {
        const char *hops[SURVIVAL_HOPS_MAX];
        size_t n = hops_of(l, (enum survival_probe)p, hops);
        for (size_t h = 0; rc == 0 && h < n; h++) {
            struct survival_log view;
            char hop[SURVIVAL_HOP_MAX];
            snprintf(hop, sizeof(hop), "%s", hops[h]);
            select_hop(l, (enum survival_probe)p, hop, buf, &view);
            rc = each(&view, (enum survival_probe)p, arg);
        }
    }
    free(buf);
    return rc;
}

static int append_series(const struct survival_log *view, enum survival_probe p, void *arg)
{
    json_t *x = probe_json(view, p);
    return !x || json_array_append_new(arg, x) ? -1 : 0;
}

json_t *survival_json(const struct survival_log *l)
{
    if (l->n == 0)
        return json_null();
    json_t *a = json_array();
    if (a && each_series(l, append_series, a) != 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static int probe_named(const json_t *series, enum survival_probe *p)
{
    const char *name = json_string_value(json_object_get(series, "probe"));
    for (int i = 0; name && i < SURVIVAL_PROBE_COUNT; i++) {
        if (strcmp(name, survival_probe_name((enum survival_probe)i)) == 0) {
            *p = (enum survival_probe)i;
            return 0;
        }
    }
    return SYNTH_EPARSE;
}

/* A count of probes in an interval: at most what one log keeps. */
static int count_of(const json_t *o, const char *key, uint32_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > SURVIVAL_OUTCOMES_MAX)
        return SYNTH_EPARSE;
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

/* One interval's outcomes; *first_pongs goes on the first and is then 0. */
static int interval_from_json(const json_t *x, enum survival_probe p, const char *hop,
                              uint32_t *first_pongs, struct survival_log *l)
{
    uint32_t idle_s, probes, survived;
    const json_t *how = json_object_get(x, "died_how");
    if (count_of(x, "probes", &probes) || count_of(x, "survived_count", &survived) ||
        survived > probes || !json_is_integer(json_object_get(x, "idle_s")) ||
        json_integer_value(json_object_get(x, "idle_s")) < 0 ||
        json_integer_value(json_object_get(x, "idle_s")) > UINT32_MAX ||
        !(json_is_null(how) || json_is_string(how)))
        return SYNTH_EPARSE;
    idle_s = (uint32_t)json_integer_value(json_object_get(x, "idle_s"));
    for (uint32_t i = 0; i < probes; i++) {
        struct survival_outcome o = {.probe = p, .idle_s = idle_s, .survived = i < survived};
        if (!o.survived && json_is_string(how))
            snprintf(o.died_how, sizeof(o.died_how), "%s", json_string_value(how));
        snprintf(o.hop, sizeof(o.hop), "%s", hop);
        o.held_s = o.survived ? idle_s : 0;
        o.pongs = *first_pongs;
        *first_pongs = 0;
        if (survival_log_add(l, &o) != 0)
            return SYNTH_ENOMEM;
    }
    return 0;
}

int survival_log_from_json(const json_t *a, struct survival_log *l, struct synth_error *err)
{
    const json_t *series, *x;
    size_t i, j;
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return synth_error_set(err, SYNTH_EPARSE, "survival: not an array");
    json_array_foreach(a, i, series) {
        enum survival_probe p;
        const json_t *iv = json_object_get(series, "intervals");
        const json_t *pongs = json_object_get(series, "pongs");
        const char *hop = json_string_value(json_object_get(series, "hop"));
        uint32_t first_pongs = 0;
        if (probe_named(series, &p) != 0 || !json_is_array(iv) ||
            (pongs && (!json_is_integer(pongs) || json_integer_value(pongs) < 0 ||
                       json_integer_value(pongs) > UINT32_MAX)))
            return synth_error_set(err, SYNTH_EPARSE,
                                   "survival[%zu]: probe (pget, idle, keepalive, silent), "
                                   "intervals and pongs (an integer) expected", i);
        if (pongs)
            first_pongs = (uint32_t)json_integer_value(pongs);
        json_array_foreach(iv, j, x) {
            int rc = interval_from_json(x, p, hop ? hop : "", &first_pongs, l);
            if (rc == SYNTH_ENOMEM)
                return synth_error_set(err, rc, "out of memory");
            if (rc)
                return synth_error_set(err, rc,
                                       "survival[%zu].intervals[%zu]: idle_s, probes and "
                                       "survived_count (at most probes, at most %d) expected",
                                       i, j, SURVIVAL_OUTCOMES_MAX);
        }
    }
    return 0;
}

static const char *first_death(const struct survival_log *l, enum survival_probe p,
                               uint32_t idle_s)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->o[i].probe == p && l->o[i].idle_s == idle_s && !l->o[i].survived)
            return l->o[i].died_how;
    return "?";
}

static const char *finding_summary(enum survival_probe p)
{
    switch (p) {
    case SURVIVAL_PGET:
        return "a request held idle is cut before the client's interval: mobile and Mac users "
               "get signed out";
    case SURVIVAL_IDLE:
        return "an idle connection is cut before the client's interval: mobile and Mac users "
               "get signed out";
    case SURVIVAL_SIP_KEEPALIVE:
        return "the SIP TLS connection is cut even with keep-alives: clients lose their "
               "registration";
    default:
        return "an idle SIP TLS connection is cut before the client's interval: clients whose "
               "keep-alives are further apart lose their registration";
    }
}

static int finding_of(const struct survival_log *view, enum survival_probe p, void *arg)
{
    struct survival_estimate e;
    survival_estimate(view->o, view->n, p, &e);
    if (!e.have || e.timeout_s >= SURVIVAL_RECOMMENDED_S)
        return 0;
    bool sip = strcmp(survival_probe_session(p), "sip-tls") == 0;
    char where[SURVIVAL_HOP_MAX + 48] = "";
    if (sip)
        snprintf(where, sizeof(where), " on the SIP TLS path (hop: %s)", view->o[0].hop);
    return verdict_add_findingf(
        arg, VERDICT_WARNING, "proxy-idle-timeout-short", finding_summary(p),
        sip ? "set the idle timeouts of the firewalls and proxies on the SIP path (and of the "
              "Edge or registrar's own TCP idle timer) to at least 1200 s, 1800 s preferred"
            : "set the reverse proxy's and firewalls' idle timeouts (read timeout and keep-alive "
              "on the path to the web services) to at least 1200 s, 1800 s preferred",
        "%s %s probe%s: estimated idle timeout %.1f s +/- %.1f s (survived %u s, died at %u s: "
        "%s); recommendation >= %d s, %d s preferred",
        survival_probe_session(p), survival_probe_name(p), where, e.timeout_s, e.uncertainty_s,
        e.survived_max_s, e.died_min_s, first_death(view, p, e.died_min_s),
        SURVIVAL_RECOMMENDED_S, SURVIVAL_PREFERRED_S);
}

int survival_findings_evaluate(struct verdict *v, const struct survival_log *l)
{
    return each_series(l, finding_of, v);
}
