/* The web service port probes (web_probe.h). */
#include "synth/web/web_probe.h"

#include "synth/ucwa/ucwa_http.h"

#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct web_probe_req {
    struct web_probe *p;
    struct web_port_result *r;
    const struct target_web_site_cfg *site;
    bool done;
};

struct web_probe {
    const struct target_web *w;
    struct ucwa_http *http;
    struct web_port_result results[WEB_PROBE_URLS_MAX];
    struct web_probe_req reqs[WEB_PROBE_URLS_MAX];
    size_t n;
};

const char *web_port_outcome_name(enum web_port_outcome o)
{
    static const char *const names[] = {
        [WEB_PORT_OK] = "ok",
        [WEB_PORT_WRONG_SITE] = "wrong-site",
        [WEB_PORT_UNIDENTIFIED] = "unidentified",
        [WEB_PORT_NO_ANSWER] = "no-answer",
    };
    return (unsigned)o <= WEB_PORT_NO_ANSWER ? names[o] : "?";
}

/* What a failure is called in a finding a person reads. */
static void no_answer_reason(struct web_port_result *r, int fail, const char *detail,
                             uint32_t timeout_ms)
{
    switch (fail) {
    case UCWA_FAIL_TIMEOUT:
        snprintf(r->reason, sizeof(r->reason), "no answer within %u ms (%s)", timeout_ms, detail);
        break;
    case UCWA_FAIL_CONNECT:
        snprintf(r->reason, sizeof(r->reason), "connection refused or unreachable (%s)", detail);
        break;
    case UCWA_FAIL_TLS:
        snprintf(r->reason, sizeof(r->reason), "TLS failed (%s)", detail);
        break;
    case UCWA_FAIL_DNS:
        snprintf(r->reason, sizeof(r->reason), "the name does not resolve (%s)", detail);
        break;
    default:
        snprintf(r->reason, sizeof(r->reason), "the connection ended without an answer (%s)",
                 detail);
        break;
    }
}

void web_port_classify(struct web_port_result *r, int fail, const char *detail, long status,
                       const char *body, size_t body_len, const struct cert_facts *cert,
                       const char *const fqdn[TARGET_WEB_SITE_COUNT], uint32_t timeout_ms)
{
    r->status = status;
    r->seen = WEB_SITE_UNKNOWN;
    r->by[0] = r->reason[0] = '\0';
    if (fail != UCWA_FAIL_NONE) {
        r->outcome = WEB_PORT_NO_ANSWER;
        r->status = 0;
        no_answer_reason(r, fail, detail && *detail ? detail : ucwa_fail_name(fail), timeout_ms);
        return;
    }
    struct web_identity id;
    bool has_doc = web_identity_parse(body, body_len, &id) == 0;
    struct web_site_call call;
    web_identify(has_doc ? &id : NULL, cert, fqdn, &call);
    snprintf(r->by, sizeof(r->by), "%s", call.by);
    r->seen = call.site;
    if (call.site == WEB_SITE_UNKNOWN) {
        r->outcome = WEB_PORT_UNIDENTIFIED;
        snprintf(r->reason, sizeof(r->reason), "HTTP %ld, %s", status, call.by);
        return;
    }
    r->outcome = call.site == (int)r->expected ? WEB_PORT_OK : WEB_PORT_WRONG_SITE;
}

/* url, and the root path when url names none. */
static void probed_url(const char *url, char *out, size_t size)
{
    const char *host = strstr(url, "://");
    const char *path = host ? strchr(host + 3, '/') : NULL;
    if (!path || strcmp(path, "/") == 0) {
        size_t n = path ? (size_t)(path - url) : strlen(url);
        snprintf(out, size, "%.*s%s", (int)n, url, WEB_PROBE_ROOT_PATH);
    } else {
        snprintf(out, size, "%s", url);
    }
}

static void req_done(const struct ucwa_resp *resp, void *arg)
{
    struct web_probe_req *q = arg;
    const struct target_web *w = q->p->w;
    const char *fqdn[TARGET_WEB_SITE_COUNT] = {w->sites[TARGET_WEB_INTERNAL].fqdn,
                                               w->sites[TARGET_WEB_EXTERNAL].fqdn};
    struct cert_facts *cert = NULL;
    if (resp->peer_cert && (cert = malloc(sizeof(*cert))) != NULL)
        cert_facts_read(resp->peer_cert, time(NULL), cert);
    q->r->ms = (double)resp->elapsed_us / 1000.0;
    web_port_classify(q->r, (int)resp->fail, resp->detail, resp->status, resp->body,
                      resp->body_len, cert, fqdn, w->timeout_ms);
    free(cert);
    q->done = true;
}

int web_probe_start(struct web_probe **out, struct event_base *base, const struct target_web *w,
                    struct synth_error *err)
{
    struct web_probe *p = calloc(1, sizeof(*p));
    if (!p)
        return synth_error_set(err, SYNTH_ENOMEM, "web probe: out of memory");
    p->w = w;
    int rc = ucwa_http_new(&p->http, base, err);
    for (int s = 0; rc == 0 && s < TARGET_WEB_SITE_COUNT; s++) {
        const struct target_web_site_cfg *site = &w->sites[s];
        for (size_t i = 0; rc == 0 && site->listed && i < site->url_count; i++) {
            struct web_port_result *r = &p->results[p->n];
            struct web_probe_req *q = &p->reqs[p->n];
            snprintf(r->url, sizeof(r->url), "%s", site->urls[i]);
            probed_url(site->urls[i], r->probed, sizeof(r->probed));
            r->expected = (enum target_web_site)s;
            r->seen = WEB_SITE_UNKNOWN;
            *q = (struct web_probe_req){.p = p, .r = r, .site = site};
            struct ucwa_req_spec sp = {
                .method = "GET",
                .url = r->probed,
                .accept = WEB_PROBE_ACCEPT,
                .user_agent = "synth web-port-probe",
                .ca_file = site->tls.ca_file,
                .verify = site->tls.verify,
                .no_host_check = true,
                .want_peer_cert = true,
                .timeout_ms = w->timeout_ms,
                .fresh_connection = true,
            };
            rc = ucwa_req_start(NULL, p->http, &sp, req_done, q, err);
            if (rc == 0)
                p->n++;
        }
    }
    /* Requests started before a set-up error still end under their deadline. */
    *out = p;
    return rc;
}

size_t web_probe_results(const struct web_probe *p, const struct web_port_result **out)
{
    *out = p->results;
    return p->n;
}

void web_probe_free(struct web_probe *p)
{
    if (!p)
        return;
    ucwa_http_free(p->http);
    free(p);
}

int web_probe_run(const struct target_web *w, struct web_port_result *out, size_t *n,
                  struct synth_error *err)
{
    struct event_base *base = event_base_new();
    struct web_probe *p = NULL;
    *n = 0;
    if (!base)
        return synth_error_set(err, SYNTH_ENOMEM, "web probe: out of memory");
    int rc = web_probe_start(&p, base, w, err);
    /* Returns once every request has ended, each under its deadline. */
    event_base_dispatch(base);
    if (p) {
        memcpy(out, p->results, p->n * sizeof(*out));
        *n = p->n;
    }
    web_probe_free(p); /* its curl handle lives on base */
    event_base_free(base);
    return rc;
}
