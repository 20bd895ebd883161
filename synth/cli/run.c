/* `synth run SCENARIO.yaml [--lab | --target TARGET.yaml] [--out DIR] [--workers N]`:
 * loads the files, starts the lab when asked, runs the workers, shows
 * progress, writes the results and exits with the verdict's code. */
#include "cli.h"

#include "media/prompt.h"
#include "reports/capacity_report.h"
#include "reports/discovery_report.h"
#include "reports/web_findings.h"
#include "reports/nagios.h"
#include "reports/progress.h"
#include "reports/survival_report.h"
#include "reports/report_format.h"
#include "reports/scenario_record.h"
#include "reports/summary.h"
#include "reports/terminal.h"
#include "reports/verdict.h"
#include "synth/cli/cli_common.h"
#include "synth/cli/edge_diagnosis.h"
#include "synth/cli/cli_target.h"
#include "synth/config/scenario.h"
#include "synth/config/target.h"
#include "synth/engine/capacity.h"
#include "synth/engine/collector.h"
#include "synth/engine/generator_watch.h"
#include "synth/engine/load_profile.h"
#include "synth/engine/shard.h"
#include "synth/engine/worker.h"
#include "synth/lab/lab.h"
#include "synth/tls/tls_ctx.h"

#include <getopt.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORKERS_MAX 256
/* The supervisor's longest sleep: results flushed, signals, capacity and
 * the generator watch looked at this often. */
#define SUPERVISE_TICK_MS 100

struct run_args {
    const char *scenario_path;
    struct cli_target_args t; /* --lab | --target, --out */
    uint32_t workers;
    bool quiet;
    const struct report_format *reports[8]; /* --report, written into out_dir */
    size_t report_count;
    bool nagios; /* the plugin line on stdout, the human output on stderr */
    struct shard shard;            /* --shard K/N, or JOB_COMPLETION_INDEX of --shard-count */
    bool shard_flag;
    const char *shard_count;       /* --shard-count N */
};

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: synth run SCENARIO.yaml [--lab | --target TARGET.yaml] [options]\n\n"
            "Runs the scenario's synthetic users against the target and judges the result.\n"
            "Without --target the embedded lab is started on loopback and targeted.\n\n"
            "options:\n"
            "  --target FILE      the deployment to test (see docs/configuration.md)\n"
            "  --lab              start and target the embedded lab (the default)\n"
            "  --lab-config FILE  the lab's configuration (with --lab)\n"
            "  --fault KEY=VALUE  a lab fault knob, repeatable (see docs/lab.md)\n"
            "  --out DIR          results directory (default results/run-<UTC time>)\n"
            "  --workers N        worker threads (default: the number of CPUs)\n"
            "  --quiet            no progress line\n"
            "  --report LIST      also write reports into DIR: junit (report.xml), prom\n"
            "                     (metrics.prom), csv (stats.csv); comma-separated\n"
            "  --nagios           print the Nagios/Icinga plugin status line first on\n"
            "                     stdout (then the findings); the table goes to stderr\n"
            "  --shard K/N        run shard K (0-based) of N: a block of the users and\n"
            "                     every N-th arrival; combine the N results with synth merge\n"
            "  --shard-count N    without --shard: shard $JOB_COMPLETION_INDEX of N (a\n"
            "                     Kubernetes Indexed Job); also from $SYNTH_SHARDS\n"
            "  -h, --help         this text\n\n"
            "Writes DIR/events.jsonl (one line per step, as it goes), DIR/summary.json and\n"
            "DIR/traces/ (the SIP of failed calls, credentials redacted).\n"
            "Exit codes: 0 ok, 1 warning, 2 critical (a threshold failed or the target is\n"
            "unreachable), 3 unknown (bad input, internal fault, saturated generator).\n");
}

/* --shard wins; else a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with
 * the count from --shard-count or SYNTH_SHARDS (docs/sharding.md). */
static int resolve_shard(struct run_args *a)
{
    struct synth_error err;
    if (a->shard_flag && a->shard_count) {
        fprintf(stderr, "synth run: --shard-count goes with JOB_COMPLETION_INDEX, not --shard\n");
        return -1;
    }
    if (a->shard_flag)
        return 0;
    const char *count = a->shard_count ? a->shard_count : getenv("SYNTH_SHARDS");
    if (shard_from_env(&a->shard, getenv("JOB_COMPLETION_INDEX"), count, &err) != 0) {
        fprintf(stderr, "synth run: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int parse_args(struct run_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_TARGET_OPTIONS,
        {"workers", required_argument, NULL, 'w'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"report", required_argument, NULL, 'r'},
        {"nagios", no_argument, NULL, 'n'},
        {"shard", required_argument, NULL, 'S'},
        {"shard-count", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    optind = 1;
    int ch, taken;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((taken = cli_target_option(&a->t, ch, optarg, "run")) != 0) {
            if (taken < 0)
                return EXIT_UNKNOWN;
            continue;
        }
        switch (ch) {
        case 'w':
            if (cli_parse_u32(optarg, 1, WORKERS_MAX, &a->workers) != 0) {
                fprintf(stderr, "synth run: --workers: expected 1..%d, got '%s'\n",
                        WORKERS_MAX, optarg);
                return EXIT_UNKNOWN;
            }
            break;
        case 'q': a->quiet = true; break;
        case 'n': a->nagios = true; break;
        case 'S': {
            struct synth_error err;
            if (shard_parse(&a->shard, optarg, &err) != 0) {
                fprintf(stderr, "synth run: --shard: %s\n", err.msg);
                return EXIT_UNKNOWN;
            }
            a->shard_flag = true;
            break;
        }
        case 'C': a->shard_count = optarg; break;
        case 'r': {
            struct synth_error err;
            size_t max = sizeof(a->reports) / sizeof(a->reports[0]);
            if (report_format_parse_list(optarg, a->reports, max, &a->report_count, &err)) {
                fprintf(stderr, "synth run: --report: %s\n", err.msg);
                return EXIT_UNKNOWN;
            }
            for (size_t i = 0; i < a->report_count; i++) {
                if (!a->reports[i]->write && !a->reports[i]->write_dir) {
                    fprintf(stderr, "synth run: --report %s: not yet implemented\n",
                            a->reports[i]->name);
                    return EXIT_UNKNOWN;
                }
            }
            break;
        }
        case 'h': run_usage(stdout); return EXIT_OK;
        default: run_usage(stderr); return EXIT_UNKNOWN;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "synth run: expected one SCENARIO.yaml\n\n");
        run_usage(stderr);
        return EXIT_UNKNOWN;
    }
    a->scenario_path = argv[optind];
    if (cli_target_args_finish(&a->t, "run", "run") != 0 || resolve_shard(a) != 0)
        return EXIT_UNKNOWN;
    if (!a->workers) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        a->workers = n > 0 && n <= WORKERS_MAX ? (uint32_t)n : 1;
    }
    return -1; /* go on */
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* Everything a run holds, released in one place. */
struct run_ctx {
    struct run_args args;
    struct scenario scenario;
    struct target target;
    struct lab *lab;
    struct collector *collector;
    struct run_plan plan;
    struct worker *workers;
    uint32_t worker_count;
    uint32_t workers_started;
    struct run_stats total;
    struct run_stats path_total[ACCESS_PATH_COUNT]; /* when users take more than one path */
    struct sip_discovery discovery;  /* target discover: */
    struct discovery_needs needs;
    bool discovered;
    bool unreachable; /* DNS gave no server for a path the users take: nothing to run */
    struct web_port_result web[WEB_PROBE_URLS_MAX]; /* target web:, probed before the users */
    size_t web_n;
    struct prompt prompt;
    struct load_profile profile;
    struct capacity capacity;       /* phases of ramp / step-until, abort_on */
    struct generator_watch watch;
    char scenario_sha256[SCENARIO_RECORD_HEX]; /* of the copy in DIR/scenario.yaml */
    sem_t finished; /* a worker's loop ended (plan.finished) */
    bool finished_init;
};

/* Length of the generated voice synthetic users speak; it loops. */
#define CALLER_PROMPT_MS 20000
#define CALLER_PROMPT_SEED 20261201

static int load_prompt(struct run_ctx *rc, struct synth_error *err)
{
    const char *wav = rc->target.media.prompt_wav;
    rc->plan.prompt = &rc->prompt;
    if (!scenario_has_media(&rc->scenario))
        return 0; /* nothing will be said: skip the ~70 ms of synthesis */
    if (wav[0])
        return prompt_load_wav(&rc->prompt, wav, err);
    return prompt_generate_speech(&rc->prompt, CALLER_PROMPT_MS, CALLER_PROMPT_SEED, err);
}

/* target discover: the SIP domain's SRV records fill what the file left
 * out, and every record's outcome goes into the results. */
static int discover(struct run_ctx *rc, struct synth_error *err)
{
    bool used[ACCESS_PATH_COUNT] = {false};
    for (uint32_t i = 0; i < rc->scenario.load.via_count; i++)
        used[rc->scenario.load.via[i]] = true;
    return cli_target_discover(&rc->target, used, &rc->discovery, &rc->needs, &rc->discovered,
                               err);
}

/* The TLS context and address of the endpoint users on path p go to. */
static int prepare_server(struct run_ctx *rc, enum access_path p, struct synth_error *err)
{
    struct plan_server *srv = &rc->plan.server[p];
    const struct target_endpoint *ep = target_endpoint_for(&rc->target, p);
    if (!ep)
        return synth_error_set(err, SYNTH_ECONFIG,
                               "%s: load.via has %s but the target %s names no %s endpoint",
                               rc->scenario.path, access_path_name(p), rc->target.name,
                               access_path_name(p));
    srv->ep = ep;
    if (ep->transport == SIP_TRANSPORT_TLS) {
        struct tls_client_opts o = {
            .ca_file = ep->tls.ca_file,
            .client_cert = ep->tls.client_cert,
            .client_key = ep->tls.client_key,
            .verify = ep->tls.verify,
        };
        int r = tls_ctx_client_new(&srv->ssl_ctx, &o, err);
        if (r != 0)
            return r;
    }
    return sip_addr_resolve(&srv->addr, ep->address[0] ? ep->address : ep->host, ep->port, err);
}

static int prepare(struct run_ctx *rc, struct synth_error *err)
{
    int r = scenario_load(&rc->scenario, rc->args.scenario_path, err);
    if (r != 0)
        return r;
    load_profile_from_scenario(&rc->profile, &rc->scenario.load);
    rc->plan.profile = &rc->profile;
    if (capacity_init(&rc->capacity, &rc->scenario, &rc->profile) != 0)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    generator_watch_start(&rc->watch, rc->scenario.load.generator.cpu_pct, mono_us());
    if (cli_mkdirs(rc->args.t.out_dir, err) != 0)
        return SYNTH_EIO;
    /* The scenario travels with its results: synth merge checks and judges by it. */
    r = scenario_record_keep(rc->args.scenario_path, rc->args.t.out_dir, rc->scenario_sha256, err);
    if (r != 0)
        return r;
    if (rc->scenario.load.users < rc->args.shard.count)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: load.users is %u, fewer than the %u shards",
                               rc->scenario.path, rc->scenario.load.users, rc->args.shard.count);
    /* The lab must have the users the scenario asks for. */
    r = rc->args.t.lab ? cli_target_lab_start(&rc->args.t, rc->scenario.load.users, &rc->lab,
                                              &rc->target, err)
                       : target_load(&rc->target, rc->args.t.target_path, err);
    if (r != 0)
        return r;
    if (rc->scenario.load.users > rc->target.user_count)
        return synth_error_set(err, SYNTH_ECONFIG,
                               "%s: load.users is %u but the target %s has %zu users",
                               rc->scenario.path, rc->scenario.load.users, rc->target.name,
                               rc->target.user_count);
    if (scenario_has_ucwa(&rc->scenario) && !rc->target.ucwa.enabled)
        return synth_error_set(err, SYNTH_ECONFIG,
                               "%s: the scenario has UCWA steps but the target %s has no ucwa: "
                               "section (discover_url)",
                               rc->scenario.path, rc->target.name);
    /* A real pool answers a P-GET below its PendingGetWaitTimeMin at once,
     * which would read as a session cut at 0 s (the lab takes any). */
    uint32_t pget_min = rc->target.ucwa.pget_min_s;
    const struct scenario_step *short_pget = scenario_pget_below(&rc->scenario, pget_min);
    if (rc->target.ucwa.enabled && short_pget)
        return synth_error_set(err, SYNTH_ECONFIG,
                               "%s:%u: %s: a P-GET shorter than %u s, but the target %s holds "
                               "its event channel from ucwa.pget_min %u s (a real server's "
                               "PendingGetWaitTimeMin, 180 s by default): use %u s or more, or "
                               "probe: idle for shorter idle times",
                               rc->scenario.path, short_pget->line,
                               step_kind_name(short_pget->kind), pget_min, rc->target.name,
                               pget_min, pget_min);
    r = discover(rc, err);
    if (r != 0)
        return r;
    for (uint32_t i = 0; i < rc->scenario.load.via_count; i++) {
        enum access_path p = rc->scenario.load.via[i];
        if (rc->discovered && !target_endpoint_for(&rc->target, p)) {
            rc->unreachable = true; /* reported as dns-srv-missing */
            continue;
        }
        r = prepare_server(rc, p, err);
        if (r != 0)
            return r;
    }
    /* The web service ports, once, before the load: seconds at most. */
    if (rc->target.web.enabled && (r = web_probe_run(&rc->target.web, rc->web, &rc->web_n, err)))
        return r;
    r = load_prompt(rc, err);
    if (r != 0)
        return r;
    return collector_open(&rc->collector, rc->args.t.out_dir, err);
}

static int start_workers(struct run_ctx *rc, struct synth_error *err)
{
    const struct scenario_load *l = &rc->scenario.load;
    const struct shard *sh = &rc->args.shard;
    uint32_t users0, users;
    shard_users(sh, l->users, &users0, &users);
    uint32_t n = rc->args.workers < users ? rc->args.workers : users;
    rc->worker_count = n;
    rc->workers = calloc(n, sizeof(*rc->workers));
    if (!rc->workers)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    rc->plan.target = &rc->target;
    rc->plan.scenario = &rc->scenario;
    rc->plan.collector = rc->collector;
    rc->plan.results_dir = rc->args.t.out_dir;
    if (rc->lab)
        lab_fe_identity(rc->lab, &rc->plan.um_client_x509, &rc->plan.um_client_pkey);
    rc->plan.workers = n;
    if (!rc->finished_init && sem_init(&rc->finished, 0, 0) == 0)
        rc->finished_init = true;
    rc->plan.finished = rc->finished_init ? &rc->finished : NULL;
    rc->plan.shard = *sh;
    rc->plan.start_us = mono_us();
    rc->plan.start_wall_ms = wall_ms();
    generator_watch_start(&rc->watch, l->generator.cpu_pct, rc->plan.start_us);
    uint32_t cap = l->concurrent       ? (uint32_t)shard_share(sh, l->concurrent)
                   : l->max_concurrent ? (uint32_t)shard_share(sh, l->max_concurrent)
                                       : users;
    uint64_t iterations = shard_share(sh, l->iterations);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t first = users0 + (uint32_t)((uint64_t)users * k / n);
        uint32_t last = users0 + (uint32_t)((uint64_t)users * (k + 1) / n);
        uint64_t arrivals = iterations ? iterations / n + (k < iterations % n) : 0;
        uint32_t wcap = cap / n + (k < cap % n);
        int r = worker_init(&rc->workers[k], k, &rc->plan, first, last - first, arrivals, wcap,
                            err);
        if (r != 0)
            return r;
        if (l->iterations && arrivals == 0) {
            rc->workers[k].arrivals_total = 0;
            rc->workers[k].stopping = true;
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        if (worker_start(&rc->workers[k]) != 0)
            return synth_error_set(err, SYNTH_EINTERNAL, "cannot start worker thread %u", k);
        rc->workers_started++;
    }
    return 0;
}

static void progress(struct run_ctx *rc, double elapsed, uint64_t *last_started,
                     double *last_t, bool tty)
{
    struct progress_snapshot p = {.elapsed_s = elapsed, .setup_p95_ms = -1};
    struct hist live;
    hist_init(&live);
    for (uint32_t k = 0; k < rc->worker_count; k++) {
        struct worker_counters *c = &rc->workers[k].counters;
        p.calls_started += atomic_load(&c->calls_started);
        p.calls_ok += atomic_load(&c->calls_ok);
        p.calls_failed += atomic_load(&c->calls_failed);
        p.journeys_skipped += atomic_load(&c->skipped);
        worker_live_setup(&rc->workers[k], &live);
    }
    if (live.count)
        p.setup_p95_ms = (double)hist_percentile(&live, 95) / 1000.0;
    double dt = elapsed - *last_t;
    p.rate = dt > 0 ? (double)(p.calls_started - *last_started) / dt : 0;
    *last_started = p.calls_started;
    *last_t = elapsed;
    char line[PROGRESS_LINE_MAX];
    progress_line(line, sizeof(line), &p);
    fprintf(stderr, tty ? "\r%s\033[K" : "%s\n", line);
}

static bool all_finished(const struct run_ctx *rc)
{
    for (uint32_t k = 0; k < rc->worker_count; k++)
        if (!atomic_load(&rc->workers[k].finished))
            return false;
    return true;
}

/* Waits for the workers, flushing results and showing progress. */
static void supervise(struct run_ctx *rc)
{
    bool tty = isatty(STDERR_FILENO);
    double interval = tty ? 1.0 : 10.0;
    double next_progress = interval, last_t = 0;
    uint64_t last_started = 0;
    bool stop_sent = false, signal_sent = false;
    while (!all_finished(rc)) {
        /* Woken by the last worker's end, a signal (EINTR) or the tick. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += SUPERVISE_TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        (void)sem_timedwait(&rc->finished, &ts);
        collector_flush(rc->collector);
        if (stop_signal && !signal_sent) {
            signal_sent = stop_sent = true;
            fprintf(stderr, "\nsynth: signal %d: no new calls; hanging up and unregistering\n",
                    (int)stop_signal);
            for (uint32_t k = 0; k < rc->worker_count; k++)
                worker_request_stop(&rc->workers[k]);
        }
        int64_t now = mono_us();
        generator_watch_sample(&rc->watch, now);
        if (!stop_sent &&
            capacity_tick(&rc->capacity, rc->workers, rc->worker_count, now - rc->plan.start_us)) {
            stop_sent = true;
            if (!rc->args.quiet)
                fprintf(stderr, "\nsynth: %s: no new journeys; those in flight run to their end\n",
                        rc->capacity.stop_reason);
            for (uint32_t k = 0; k < rc->worker_count; k++)
                worker_request_finish(&rc->workers[k]);
        }
        double elapsed = (double)(now - rc->plan.start_us) / 1e6;
        if (!rc->args.quiet && elapsed >= next_progress) {
            progress(rc, elapsed, &last_started, &last_t, tty);
            next_progress += interval;
        }
    }
    if (!rc->args.quiet && tty)
        fputc('\n', stderr);
}

/* The --report files, by the same writers `synth report` uses. */
static int write_reports(const struct run_ctx *rc, const json_t *summary,
                         struct synth_error *err)
{
    char path[1200];
    for (size_t i = 0; i < rc->args.report_count; i++) {
        const struct report_format *f = rc->args.reports[i];
        snprintf(path, sizeof(path), "%s/%s", rc->args.t.out_dir, f->file_name);
        int r = report_format_write(f, path, summary, rc->args.t.out_dir, err);
        if (r != 0)
            return r;
    }
    return 0;
}

/* What synth merge checks: which scenario (its file's digest) and which shard. */
static int set_identity(const struct run_ctx *rc, json_t *summary)
{
    const struct shard *sh = &rc->args.shard;
    if (json_object_set_new(summary, "scenario_sha256", json_string(rc->scenario_sha256)))
        return -1;
    if (!shard_is_split(sh))
        return 0;
    return json_object_set_new(summary, "shard",
                               json_pack("{sIsI}", "index", (json_int_t)sh->index, "count",
                                         (json_int_t)sh->count));
}

static int finish(struct run_ctx *rc, struct synth_error *err)
{
    for (uint32_t k = 0; k < rc->worker_count; k++) {
        worker_join(&rc->workers[k]);
        rc->workers_started--;
    }
    run_stats_init(&rc->total);
    for (uint32_t k = 0; k < rc->worker_count; k++)
        run_stats_merge(&rc->total, &rc->workers[k].stats);
    bool by_path = rc->scenario.load.via_count > 1;
    for (int p = 0; by_path && p < ACCESS_PATH_COUNT; p++) {
        run_stats_init(&rc->path_total[p]);
        rc->path_total[p].timeline_off = true;
        for (uint32_t k = 0; k < rc->worker_count; k++)
            run_stats_merge(&rc->path_total[p], &rc->workers[k].path_stats[p]);
    }
    rc->total.duration_us = mono_us() - rc->plan.start_us;
    collector_flush(rc->collector);

    struct verdict v;
    verdict_init(&v);
    /* Edge calls without media: check the UM's certificate now, and name
     * the field failure when it is the cause: first, as it explains the rest. */
    json_t *certs = NULL;
    struct edge_diagnosis_input diag = {
        .target = &rc->target,
        .lab = rc->lab,
        .scenario = &rc->scenario,
        .total = &rc->total,
        .path_stats = by_path ? rc->path_total : NULL,
    };
    if (edge_diagnosis_run(&diag, &v, &certs, err) != 0)
        fprintf(stderr, "synth run: the UM certificate check after the run failed: %s\n",
                err->msg);
    verdict_evaluate(&v, &rc->scenario, &rc->total);
    survival_findings_evaluate(&v, &rc->total.survival);
    web_findings_add(&v, rc->web, rc->web_n);
    json_t *disc = NULL;
    if (rc->discovered) {
        discovery_findings_evaluate(&v, &rc->discovery, &rc->needs);
        disc = discovery_json(&rc->discovery);
    }
    /* The capacity record, then the generator's evidence last: it can
     * lower what the others found. */
    capacity_finish(&rc->capacity, rc->workers, rc->worker_count, rc->total.duration_us);
    capacity_findings_evaluate(&v, &rc->capacity);
    uint64_t late = 0;
    for (uint32_t k = 0; k < rc->worker_count; k++)
        late += atomic_load(&rc->workers[k].counters.late);
    struct generator_report gen;
    generator_watch_report(&rc->watch, &rc->total, late, &rc->scenario.load.generator, &gen);
    bool bound = verdict_generator(&v, &gen);
    json_t *cap = capacity_json(&rc->capacity, &gen, bound);
    if (stop_signal)
        verdict_add_findingf(&v, VERDICT_OK, "run.interrupted", "the run was stopped early",
                             "", "signal %d after %.1f s", (int)stop_signal,
                             (double)rc->total.duration_us / 1e6);

    /* A step search that found its limit is the run's outcome, not "no failures". */
    const char *ok_reason = NULL;
    for (size_t i = 0; i < v.n; i++)
        if (strncmp(v.findings[i].id, "capacity.", 9) == 0)
            ok_reason = v.findings[i].evidence;

    struct summary_input in = {
        .target_name = rc->target.name,
        .target_is_lab = rc->args.t.lab,
        .scenario_name = rc->scenario.name,
        .version = SYNTH_VERSION,
        .started_ms = rc->plan.start_wall_ms,
        .workers = rc->worker_count,
        .stats = &rc->total,
        .path_stats = by_path ? rc->path_total : NULL,
        .discovery = disc,
        .capacity = cap,
        .scenario = &rc->scenario,
        .verdict = &v,
        .ok_reason = ok_reason,
    };
    json_t *summary = summary_build(&in);
    json_decref(disc);
    if (summary && certs && json_object_set(summary, "certificates", certs) != 0) {
        json_decref(summary);
        summary = NULL;
    }
    json_decref(certs);
    json_decref(cap);
    int code = (int)v.level;
    char path[1200];
    snprintf(path, sizeof(path), "%s/summary.json", rc->args.t.out_dir);
    if (summary && set_identity(rc, summary) != 0) {
        json_decref(summary);
        summary = NULL;
    }
    if (summary && rc->target.web.enabled &&
        json_object_set_new(summary, "web_ports", web_findings_json(rc->web, rc->web_n))) {
        json_decref(summary);
        summary = NULL;
    }
    if (!summary || summary_write(path, summary, err) != 0) {
        fprintf(stderr, "synth run: cannot write %s: %s\n", path,
                summary ? err->msg : "out of memory");
        code = EXIT_UNKNOWN;
    }
    if (summary && code != EXIT_UNKNOWN && write_reports(rc, summary, err) != 0) {
        fprintf(stderr, "synth run: %s\n", err->msg);
        code = EXIT_UNKNOWN;
    }
    /* A Nagios check reads the first line of stdout: the person's table moves
     * to stderr. */
    FILE *human = rc->args.nagios ? stderr : stdout;
    if (summary)
        terminal_summary(human, summary, isatty(fileno(human)));
    fprintf(human, "results: %s (summary.json, events.jsonl, traces/", rc->args.t.out_dir);
    for (size_t i = 0; i < rc->args.report_count && code != EXIT_UNKNOWN; i++)
        fprintf(human, ", %s", rc->args.reports[i]->file_name);
    fputs(")\n", human);
    if (rc->args.nagios) {
        if (summary && code != EXIT_UNKNOWN)
            nagios_write(stdout, summary, err);
        else
            nagios_write_unknown(stdout, summary ? err->msg : "out of memory");
    }
    json_decref(summary);
    verdict_free(&v);
    return code;
}

static void release(struct run_ctx *rc)
{
    for (uint32_t k = 0; k < rc->worker_count; k++)
        worker_cleanup(&rc->workers[k]);
    free(rc->workers);
    run_stats_free(&rc->total);
    capacity_free(&rc->capacity);
    for (int p = 0; p < ACCESS_PATH_COUNT; p++) {
        run_stats_free(&rc->path_total[p]);
        if (rc->plan.server[p].ssl_ctx)
            SSL_CTX_free(rc->plan.server[p].ssl_ctx);
    }
    collector_close(rc->collector);
    if (rc->lab)
        lab_stop(rc->lab);
    target_free(&rc->target);
    prompt_free(&rc->prompt);
    if (rc->finished_init)
        sem_destroy(&rc->finished);
}

/* The first line: what runs against what, at which load. */
static void announce(const struct run_ctx *rc)
{
    const struct scenario_load *l = &rc->scenario.load;
    char load[96];
    if (l->concurrent)
        snprintf(load, sizeof(load), "%u concurrent", l->concurrent);
    else if (l->profile == PROFILE_CONSTANT)
        snprintf(load, sizeof(load), "%.1f/s", l->rate);
    else
        snprintf(load, sizeof(load), "%s, %u %s, %.1f s", scenario_profile_name(l->profile),
                 rc->profile.count, l->profile == PROFILE_RAMP ? "stages" : "steps",
                 (double)load_profile_end_us(&rc->profile) / 1e6);
    char shard[48] = "";
    if (shard_is_split(&rc->args.shard))
        snprintf(shard, sizeof(shard), ", shard %u/%u", rc->args.shard.index,
                 rc->args.shard.count);
    fprintf(stderr, "synth run: %s against target %s%s, %u users, %s, %u workers%s\n",
            rc->scenario.name, rc->target.name, rc->args.t.lab ? " (embedded lab)" : "", l->users,
            load, rc->worker_count, shard);
}

int cli_run(int argc, char **argv)
{
    struct run_ctx *rc = calloc(1, sizeof(*rc));
    if (!rc)
        return EXIT_UNKNOWN;
    int code = parse_args(&rc->args, argc, argv);
    if (code >= 0) {
        if (code == EXIT_UNKNOWN && rc->args.nagios)
            nagios_write_unknown(stdout, "bad arguments (see synth run --help)");
        free(rc);
        return code;
    }
    cli_init_process();
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct synth_error err = {{0}};
    if (prepare(rc, &err) != 0 || (!rc->unreachable && start_workers(rc, &err) != 0)) {
        fprintf(stderr, "synth run: %s\n", err.msg);
        if (rc->args.nagios)
            nagios_write_unknown(stdout, err.msg);
        for (uint32_t k = 0; k < rc->workers_started; k++)
            worker_request_stop(&rc->workers[k]);
        for (uint32_t k = 0; k < rc->workers_started; k++)
            worker_join(&rc->workers[k]);
        release(rc);
        free(rc);
        return EXIT_UNKNOWN;
    }
    if (!rc->args.quiet)
        announce(rc);
    if (!rc->unreachable) {
        supervise(rc);
    } else {
        rc->plan.start_us = mono_us();
        rc->plan.start_wall_ms = wall_ms();
    }
    code = finish(rc, &err);
    release(rc);
    free(rc);
    return code;
}
