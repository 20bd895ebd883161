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
#include "synth/cli/relay_check.h"
#include "synth/config/target.h"
#include "synth/config/yaml_doc.h"
#include "synth/lab/lab.h"
#include "synth/tls/cert_sweep.h"
#include "synth/tls/cert_probe.h"
#include "synth/web/web_probe.h"

#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A probe may not wait longer than this: the command must finish for cron. */
#define CHECK_TIMEOUT_MAX_MS 60000

struct check_args {
    struct cli_target_args t; /* --lab | --target, --out */
    uint32_t timeout_ms;
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
            "With media.turn, sends the relay (the A/V Edge) a TURN Allocate over its\n"
            "transport and dialect, TCP after the pseudo-TLS handshake where the target\n"
            "makes it: any TURN answer proves it reachable (finding turn-relay-unreachable).\n"
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
    struct cert_sweep sweep;
    struct sip_discovery discovery; /* target discover: */
    struct discovery_needs needs;
    bool discovered;
    struct web_probe *web; /* the target's web: ports, probed on the same loop */
    struct web_port_result web_results[WEB_PROBE_URLS_MAX];
    size_t web_n;
    struct relay_probe *relay; /* media.turn, probed on the same loop */
    struct relay_probe_result relay_result;
    bool relay_probed;
};

/* Every endpoint at once on one loop, certificates and web ports: the check
 * takes as long as the slowest endpoint, not the sum. */
static int probe_all(struct check_ctx *c, struct synth_error *err)
{
    struct event_base *base = event_base_new();
    if (!base)
        return synth_error_set(err, SYNTH_ENOMEM, "event loop: out of memory");
    int rc = cert_sweep_start(&c->sweep, base, NULL, NULL, err);
    if (rc == SYNTH_ENOTFOUND)
        rc = 0;
    if (rc == 0 && c->target.web.enabled)
        rc = web_probe_start(&c->web, base, &c->target.web, err);
    if (rc == 0 && relay_probe_wanted(&c->target))
        rc = relay_probe_start(&c->relay, base, &c->target, c->args.timeout_ms, NULL, NULL, err);
    /* Returns once every probe has ended; after a set-up error the probes
     * started still end, each under its deadline. */
    event_base_dispatch(base);
    if (c->web) {
        const struct web_port_result *r;
        c->web_n = web_probe_results(c->web, &r);
        memcpy(c->web_results, r, c->web_n * sizeof(*r));
        web_probe_free(c->web); /* its curl handle lives on base */
        c->web = NULL;
    }
    if (c->relay) {
        relay_probe_result(c->relay, &c->relay_result);
        c->relay_probed = true;
        relay_probe_free(c->relay);
        c->relay = NULL;
    }
    event_base_free(base);
    return rc;
}

static int write_results(struct check_ctx *c, struct verdict *v, json_t *certs,
                         int64_t started_ms, int64_t started_us)
{
    struct run_stats none;
    struct synth_error err = {{0}};
    char path[1200];
    int code = (int)v->level;

    char ok_reason[160];
    snprintf(ok_reason, sizeof(ok_reason), "every certificate rule passed%s%s",
             c->target.web.enabled ? ", every web service port answers for its site" : "",
             c->relay_probed ? ", the media relay answers" : "");
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
        .ok_reason = ok_reason,
        .discovery = disc,
    };
    json_t *summary = summary_build(&in);
    json_decref(disc);
    snprintf(path, sizeof(path), "%s/summary.json", c->args.t.out_dir);
    if (!summary || json_object_set(summary, "certificates", certs) ||
        (c->target.web.enabled &&
         json_object_set_new(summary, "web_ports", web_findings_json(c->web_results, c->web_n))) ||
        (c->relay_probed &&
         json_object_set_new(summary, "relay", relay_check_json(&c->relay_result))) ||
        summary_write(path, summary, &err) != 0) {
        fprintf(stderr, "synth check: cannot write %s: %s\n", path,
                summary ? err.msg : "out of memory");
        code = EXIT_UNKNOWN;
    }
    if (summary) {
        terminal_check_summary(stdout, summary, isatty(STDOUT_FILENO));
        web_findings_print(stdout, c->web_results, c->web_n);
        if (c->relay_probed)
            relay_check_print(stdout, &c->relay_result);
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
    cert_sweep_init(&c->sweep, &c->target, c->args.timeout_ms);
    if (c->lab) /* the lab's UM expects its Front End's certificate, held in memory */
        lab_fe_identity(c->lab, &c->sweep.um_client_x509, &c->sweep.um_client_pkey);
    cert_sweep_add_target(&c->sweep);
    if (c->sweep.item_count == 0 && !c->discovered && !c->target.web.enabled &&
        !relay_probe_wanted(&c->target))
        verdict_add_finding(&v, VERDICT_UNKNOWN, "check.nothing-to-check",
                            "no TLS endpoint to check: the check measured nothing",
                            "the registrar's transport is not tls and the target lists no checks",
                            "add the TLS endpoints under checks: (docs/configuration.md)");
    rc = probe_all(c, err);
    if (rc == 0)
        rc = cert_sweep_evaluate(&c->sweep, err);
    if (rc == 0 && (cert_findings_add_sweep(&v, certs, &c->sweep) != 0 ||
                    web_findings_add(&v, c->web_results, c->web_n) ||
                    (c->relay_probed && relay_check_findings(&v, &c->relay_result))))
        rc = synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    if (rc == 0)
        rc = write_results(c, &v, certs, started_ms, started_us);
out:
    cert_sweep_free(&c->sweep);
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
