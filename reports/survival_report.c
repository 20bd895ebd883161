/* Survival results and findings (survival_report.h). */
#include "reports/survival_report.h"

#include <string.h>

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
    rc |= set(o, "session", json_string("ucwa"));
    rc |= set(o, "probe", json_string(survival_probe_name(p)));
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

json_t *survival_json(const struct survival_log *l)
{
    if (l->n == 0)
        return json_null();
    json_t *a = json_array();
    for (int p = 0; a && p < SURVIVAL_PROBE_COUNT; p++) {
        struct survival_estimate e;
        survival_estimate(l->o, l->n, (enum survival_probe)p, &e);
        if (e.probes == 0)
            continue;
        json_t *x = probe_json(l, (enum survival_probe)p);
        if (!x || json_array_append_new(a, x)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static const char *first_death(const struct survival_log *l, enum survival_probe p,
                               uint32_t idle_s)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->o[i].probe == p && l->o[i].idle_s == idle_s && !l->o[i].survived)
            return l->o[i].died_how;
    return "?";
}

int survival_findings_evaluate(struct verdict *v, const struct survival_log *l)
{
    for (int p = 0; p < SURVIVAL_PROBE_COUNT; p++) {
        struct survival_estimate e;
        survival_estimate(l->o, l->n, (enum survival_probe)p, &e);
        if (!e.have || e.timeout_s >= SURVIVAL_RECOMMENDED_S)
            continue;
        bool pget = p == SURVIVAL_PGET;
        int rc = verdict_add_findingf(
            v, VERDICT_WARNING, "proxy-idle-timeout-short",
            pget ? "a request held idle is cut before the client's interval: mobile and Mac "
                   "users get signed out"
                 : "an idle connection is cut before the client's interval: mobile and Mac "
                   "users get signed out",
            "set the reverse proxy's and firewalls' idle timeouts (read timeout and keep-alive "
            "on the path to the web services) to at least 1200 s, 1800 s preferred",
            "%s probe: estimated idle timeout %.1f s +/- %.1f s (survived %u s, died at %u s: "
            "%s); recommendation >= %d s, %d s preferred",
            survival_probe_name((enum survival_probe)p), e.timeout_s, e.uncertainty_s,
            e.survived_max_s, e.died_min_s,
            first_death(l, (enum survival_probe)p, e.died_min_s), SURVIVAL_RECOMMENDED_S,
            SURVIVAL_PREFERRED_S);
        if (rc)
            return rc;
    }
    return 0;
}
