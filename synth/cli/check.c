/* `synth check [--lab | --target T] [--out DIR]`: inspects the certificate
 * each TLS endpoint of the target presents (the registrar, and the target's
 * `checks:`), judges it, prints the table, writes summary.json with
 * "findings" and "certificates", and exits with the verdict (as synth run). */
#include "cli.h"

#include "reports/cert_findings.h"
#include "reports/summary.h"
#include "reports/terminal.h"
#include "reports/verdict.h"
#include "reports/web_findings.h"
#include "synth/base/clock.h"
#include "synth/cli/cli_common.h"
#include "synth/cli/cli_target.h"
#include "synth/config/target.h"
#include "synth/config/yaml_doc.h"
#include "synth/lab/lab.h"
#include "synth/sip/transport.h"
#include "synth/tls/cert_check.h"
#include "synth/tls/cert_probe.h"
#include "synth/web/web_probe.h"

#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The registrar and the edge plus the target's checks. */
#define CHECK_ENDPOINTS_MAX (TARGET_CHECKS_MAX + 2)
/* A probe may not wait longer than this: the command must finish for cron. */
#define CHECK_TIMEOUT_MAX_MS 60000

struct check_args {
    struct cli_target_args t; /* --lab | --target, --out */
    uint32_t timeout_ms;
};

/* One endpoint to check, from the registrar or a `checks:` entry. */
struct check_item {
    const char *name;
    enum target_role role;
    const char *host;
    uint16_t port;
    const struct target_tls *tls;
    const char *server_name;
    const char *names[CERT_NAMES_MAX];
    size_t name_count;
    bool mtls;
    uint32_t warn_days, crit_days;
    /* The probe's outcome. */
    char peer[TARGET_NAME_MAX + TARGET_HOST_MAX + 16];
    X509_STORE *trust;
    const char *trust_name;
    struct cert_probe probe;
    int probe_rc;
    struct synth_error perr;
};

static void check_usage(FILE *out)
{
    fprintf(out,
            "usage: synth check [--lab | --target TARGET.yaml] [options]\n\n"
            "Connects to each TLS endpoint of the target (the registrar when its transport\n"
            "is tls, and every entry of the target's checks:), takes the certificate chain\n"
            "it presents, whatever its strength, and judges it: chain trusted, days to\n"
            "expiry, Subject CN == FQDN, SAN names, EKU, key size, signature digest.\n"
            "With web: in the target, asks every listed web service URL which Front End\n"
            "site (internal, external) answers there (finding web-port-mismatch).\n"
            "Without --target the embedded lab is started and checked.\n\n"
            "options:\n"
            "  --target FILE      the deployment (see docs/configuration.md, checks:)\n"
            "  --lab              start and check the embedded lab (the default)\n"
            "  --lab-config FILE  the lab's configuration (with --lab)\n"
            "  --fault KEY=VALUE  a lab fault knob, repeatable (e.g. um_cert_cn=NAME)\n"
            "  --out DIR          results directory (default results/check-<UTC time>)\n"
            "  --timeout DURATION connect + handshake deadline per endpoint (default 5s)\n"
            "  -h, --help         this text\n\n"
            "Writes DIR/summary.json (findings, certificates). Exit codes as synth run:\n"
            "0 ok, 1 warning, 2 critical, 3 unknown (bad input).\n");
}

static int parse_args(struct check_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_TARGET_OPTIONS,
        {"timeout", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *why;
    memset(a, 0, sizeof(*a));
    a->timeout_ms = CERT_PROBE_TIMEOUT_MS;
    optind = 1;
    int ch, taken;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((taken = cli_target_option(&a->t, ch, optarg, "check")) != 0) {
            if (taken < 0)
                return EXIT_UNKNOWN;
            continue;
        }
        switch (ch) {
        case 'T':
            why = ydoc_parse_duration(optarg, strlen(optarg), YDOC_UNIT_NONE, YDOC_UNIT_MS,
                                      &a->timeout_ms);
            if (!why && (a->timeout_ms == 0 || a->timeout_ms > CHECK_TIMEOUT_MAX_MS))
                why = "expected more than 0 and at most 60s";
            if (why) {
                fprintf(stderr, "synth check: --timeout: %s\n", why);
                return EXIT_UNKNOWN;
            }
            break;
        case 'h': check_usage(stdout); return EXIT_OK;
        default: check_usage(stderr); return EXIT_UNKNOWN;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "synth check: unexpected argument '%s'\n\n", argv[optind]);
        check_usage(stderr);
        return EXIT_UNKNOWN;
    }
    if (cli_target_args_finish(&a->t, "check", "check") != 0)
        return EXIT_UNKNOWN;
    return -1; /* go on */
}

struct check_ctx {
    struct check_args args;
    struct target target;
    struct lab *lab;
    struct check_item items[CHECK_ENDPOINTS_MAX];
    size_t item_count;
    struct sip_discovery discovery; /* target discover: */
    struct discovery_needs needs;
    bool discovered;
    struct web_probe *web; /* the target's web: ports, probed on the same loop */
    struct web_port_result web_results[WEB_PROBE_URLS_MAX];
    size_t web_n;
};

static void item_names(struct check_item *it, const char (*names)[TARGET_HOST_MAX], size_t n)
{
    for (size_t i = 0; i < n && i < CERT_NAMES_MAX; i++)
        it->names[it->name_count++] = names[i];
}

/* A SIP endpoint of the target (registrar, edge) as an item, unless a
 * checks: entry has its role or it is not TLS (or DNS did not find it). */
static void add_endpoint(struct check_ctx *c, const char *name, enum target_role role,
                         const struct target_endpoint *ep)
{
    const struct target *t = &c->target;
    for (size_t i = 0; i < t->check_count; i++)
        if (t->checks[i].role == role)
            return;
    if (!ep || !ep->host[0] || ep->transport != SIP_TRANSPORT_TLS)
        return;
    struct check_item *it = &c->items[c->item_count++];
    it->name = name;
    it->role = role;
    /* The address the file (or DNS) gives; the name is what the certificate must carry. */
    it->host = ep->address[0] ? ep->address : ep->host;
    it->port = ep->port;
    it->tls = &ep->tls;
    it->server_name = it->tls->server_name[0] ? it->tls->server_name : ep->host;
    it->mtls = it->tls->client_cert[0] != '\0';
}

/* The registrar and the edge first (unless checks: entries have their
 * roles), then the checks in the file's order. */
static void list_items(struct check_ctx *c)
{
    const struct target *t = &c->target;

    add_endpoint(c, "registrar", TARGET_ROLE_REGISTRAR, target_endpoint_for(t, ACCESS_INTERNAL));
    add_endpoint(c, "edge", TARGET_ROLE_EDGE, target_endpoint_for(t, ACCESS_EDGE));
    for (size_t i = 0; i < t->check_count; i++) {
        const struct target_check *k = &t->checks[i];
        struct check_item *it = &c->items[c->item_count++];
        it->name = k->name;
        it->role = k->role;
        it->host = k->host;
        it->port = k->port;
        it->tls = &k->tls;
        it->server_name = k->tls.server_name;
        item_names(it, k->names, k->name_count);
        it->mtls = k->mtls;
        it->warn_days = k->warn_days;
        it->crit_days = k->crit_days;
    }
}

static void probe_done(int rc, const struct synth_error *detail, struct cert_probe *result,
                       void *arg)
{
    struct check_item *it = arg;
    it->probe_rc = rc;
    if (rc)
        it->perr = *detail;
}

/* Starts the probe of one endpoint on base. A CA or client certificate that
 * cannot be read is bad input (an error here); an endpoint that cannot be
 * resolved or reached is a finding, told through it->probe_rc. */
static int probe_start(struct check_ctx *c, struct check_item *it, struct event_base *base,
                       struct synth_error *err)
{
    struct sip_addr_storage addr;
    struct cert_probe_conn *conn;
    int rc;

    it->trust_name = it->tls->ca_file[0] ? it->tls->ca_file : "the system store";
    if ((rc = cert_trust_store_new(&it->trust, it->tls->ca_file, err)))
        return rc;
    snprintf(it->peer, sizeof(it->peer), "%s %s:%u", it->name, it->host, it->port);
    struct cert_probe_opts po = {
        .server_name = it->server_name,
        .peer = it->peer,
        .timeout_ms = c->args.timeout_ms,
        .client_cert = it->tls->client_cert,
        .client_key = it->tls->client_key,
    };
    /* The lab's UM expects its Front End's certificate, held in memory. */
    if (c->lab && it->role == TARGET_ROLE_UM && !po.client_cert[0])
        lab_fe_identity(c->lab, &po.client_x509, &po.client_pkey);
    it->probe_rc = sip_addr_resolve(&addr, it->host, it->port, &it->perr);
    if (it->probe_rc)
        return 0;
    return cert_probe_start(&conn, base, (const struct sockaddr *)&addr.ss, addr.len, &po,
                            &it->probe, probe_done, it, err);
}

/* Judges what one endpoint presented; the findings go to v, the summary
 * entry to certs. Only ENOMEM is an error here. */
static int judge(const struct check_item *it, struct verdict *v, json_t *certs,
                 struct synth_error *err)
{
    struct cert_report *report = calloc(1, sizeof(*report));
    bool judged = false;
    int rc = 0;

    if (!report)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    if (it->probe.chain.n > 0) {
        struct cert_expect e = {
            .fqdn = it->server_name,
            .name_count = it->name_count,
            .mtls = it->mtls,
            .warn_days = it->warn_days,
            .crit_days = it->crit_days,
            .trust = it->trust,
            .trust_name = it->trust_name,
        };
        memcpy(e.names, it->names, sizeof(e.names));
        if ((rc = cert_check_evaluate(&it->probe.chain, &e, report, err)))
            goto out;
        judged = true;
    }
    struct cert_endpoint ep = {
        .name = it->name,
        .role = it->role,
        .host = it->host,
        .port = it->port,
        .server_name = it->server_name,
        .names = it->names,
        .name_count = it->name_count,
        .mtls = it->mtls,
        .trust_name = it->trust_name,
        .probe_err = it->probe_rc,
        .probe_detail = it->perr.msg,
        .probe = &it->probe,
        .report = judged ? report : NULL,
    };
    if ((rc = cert_findings_add(v, &ep)) || json_array_append_new(certs, cert_findings_json(&ep)))
        rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
out:
    free(report);
    return rc;
}

/* Every endpoint at once on one loop: the check takes as long as the
 * slowest endpoint, not the sum. */
static int probe_all(struct check_ctx *c, struct synth_error *err)
{
    struct event_base *base = event_base_new();
    int rc = 0;

    if (!base)
        return synth_error_set(err, SYNTH_ENOMEM, "event loop: out of memory");
    for (size_t i = 0; i < c->item_count && rc == 0; i++)
        rc = probe_start(c, &c->items[i], base, err);
    if (rc == 0 && c->target.web.enabled)
        rc = web_probe_start(&c->web, base, &c->target.web, err);
    /* Returns once every probe has called done; after a set-up error the
     * probes started still end, each under its deadline. */
    event_base_dispatch(base);
    if (c->web) {
        const struct web_port_result *r;
        c->web_n = web_probe_results(c->web, &r);
        memcpy(c->web_results, r, c->web_n * sizeof(*r));
        web_probe_free(c->web); /* its curl handle lives on base */
        c->web = NULL;
    }
    event_base_free(base);
    return rc;
}

static void items_free(struct check_ctx *c)
{
    for (size_t i = 0; i < c->item_count; i++) {
        X509_STORE_free(c->items[i].trust);
        cert_probe_free(&c->items[i].probe);
    }
}

static int write_results(struct check_ctx *c, struct verdict *v, json_t *certs,
                         int64_t started_ms, int64_t started_us)
{
    struct run_stats none;
    struct synth_error err = {{0}};
    char path[1200];
    int code = (int)v->level;

    run_stats_init(&none);
    json_t *disc = c->discovered ? discovery_json(&c->discovery) : NULL;
    struct summary_input in = {
        .target_name = c->target.name,
        .target_is_lab = c->args.t.lab,
        .scenario_name = "check",
        .version = SYNTH_VERSION,
        .started_ms = started_ms,
        .duration_us = clock_mono_us() - started_us,
        .stats = &none,
        .verdict = v,
        .ok_reason = c->target.web.enabled ? "every certificate rule passed, every web "
                                             "service port answers for its site"
                                           : "every certificate rule passed",
        .discovery = disc,
    };
    json_t *summary = summary_build(&in);
    json_decref(disc);
    snprintf(path, sizeof(path), "%s/summary.json", c->args.t.out_dir);
    if (!summary || json_object_set(summary, "certificates", certs) ||
        (c->target.web.enabled &&
         json_object_set_new(summary, "web_ports", web_findings_json(c->web_results, c->web_n))) ||
        summary_write(path, summary, &err) != 0) {
        fprintf(stderr, "synth check: cannot write %s: %s\n", path,
                summary ? err.msg : "out of memory");
        code = EXIT_UNKNOWN;
    }
    if (summary) {
        terminal_check_summary(stdout, summary, isatty(STDOUT_FILENO));
        web_findings_print(stdout, c->web_results, c->web_n);
        json_decref(summary);
    }
    printf("results: %s (summary.json)\n", c->args.t.out_dir);
    run_stats_free(&none);
    return code;
}

static int run_checks(struct check_ctx *c, struct synth_error *err)
{
    int64_t started_ms = clock_wall_ms(), started_us = clock_mono_us();
    struct verdict v;
    json_t *certs = json_array();
    int rc = 0;

    verdict_init(&v);
    if (!certs) {
        rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
        goto out;
    }
    /* A check has no users: a missing internal SRV record is what every
     * internal client would miss; a missing external one is a warning. */
    static const bool used[ACCESS_PATH_COUNT] = {[ACCESS_INTERNAL] = true};
    rc = cli_target_discover(&c->target, used, &c->discovery, &c->needs, &c->discovered, err);
    if (rc != 0)
        goto out;
    if (c->discovered)
        discovery_findings_evaluate(&v, &c->discovery, &c->needs);
    list_items(c);
    if (c->item_count == 0 && !c->discovered && !c->target.web.enabled)
        verdict_add_finding(&v, VERDICT_UNKNOWN, "check.nothing-to-check",
                            "no TLS endpoint to check: the check measured nothing",
                            "the registrar's transport is not tls and the target lists no checks",
                            "add the TLS endpoints under checks: (docs/configuration.md)");
    rc = probe_all(c, err);
    for (size_t i = 0; i < c->item_count && rc == 0; i++)
        rc = judge(&c->items[i], &v, certs, err);
    if (rc == 0 && web_findings_add(&v, c->web_results, c->web_n))
        rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    if (rc == 0)
        rc = write_results(c, &v, certs, started_ms, started_us);
out:
    items_free(c);
    json_decref(certs);
    verdict_free(&v);
    return rc;
}

int cli_check(int argc, char **argv)
{
    struct check_ctx *c = calloc(1, sizeof(*c));
    struct synth_error err = {{0}};
    int code;

    if (!c)
        return EXIT_UNKNOWN;
    code = parse_args(&c->args, argc, argv);
    if (code >= 0)
        goto out;
    cli_init_process();
    int rc = cli_mkdirs(c->args.t.out_dir, &err);
    if (rc == 0)
        rc = c->args.t.lab ? cli_target_lab_start(&c->args.t, 0, &c->lab, &c->target, &err)
                           : target_load(&c->target, c->args.t.target_path, &err);
    if (rc == 0) {
        fprintf(stderr, "synth check: target %s%s\n", c->target.name,
                c->args.t.lab ? " (embedded lab)" : "");
        rc = run_checks(c, &err);
    }
    /* run_checks returns the exit code once results are written. */
    code = rc < 0 ? EXIT_UNKNOWN : rc;
    if (rc < 0)
        fprintf(stderr, "synth check: %s\n", err.msg);
out:
    if (c->lab)
        lab_stop(c->lab);
    target_free(&c->target);
    free(c);
    return code;
}
