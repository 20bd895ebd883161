/* `synth merge DIR... --out DIR [--report LIST]`: the results of the N
 * shards of one run (synth run --shard K/N, a Kubernetes Indexed Job) made
 * into one results directory, exactly: events in time order, histograms
 * bucket by bucket, counters summed, timelines aligned by wall clock, the
 * thresholds judged again by the scenario the shards recorded, and so are
 * what the shards judged on their own share: the survival estimate and the
 * capacity search's steps. */
#include "cli.h"

#include "reports/capacity_merge.h"
#include "reports/capacity_report.h"
#include "reports/merge.h"
#include "reports/report_format.h"
#include "reports/scenario_record.h"
#include "reports/summary.h"
#include "reports/summary_rebuild.h"
#include "reports/summary_view.h"
#include "reports/survival_report.h"
#include "reports/terminal.h"
#include "synth/cli/cli_common.h"
#include "synth/config/scenario.h"
#include "synth/engine/capacity.h"
#include "synth/engine/load_profile.h"
#include "synth/engine/shard.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Evidence below a results directory that reports link to by name. */
static const char *const EVIDENCE_DIRS[] = {"traces", "audio"};

struct merge_args {
    char **dirs;
    size_t n;
    const char *out;
    const struct report_format *reports[8];
    size_t report_count;
    bool quiet;
};

static void merge_usage(FILE *out)
{
    fprintf(out,
            "usage: synth merge DIR... --out DIR [--report LIST] [--quiet]\n\n"
            "Combines the results directories of the N shards of one run (synth run\n"
            "--shard K/N, or JOB_COMPLETION_INDEX with --shard-count N) into one that\n"
            "synth report reads like any other: events.jsonl in time order, histograms\n"
            "merged bucket by bucket, counters summed, timelines aligned by each shard's\n"
            "wall-clock start, and the scenario's thresholds judged again (the scenario\n"
            "each shard kept in DIR/scenario.yaml). Shards of different scenarios, a\n"
            "missing shard or one given twice are refused.\n\n"
            "options:\n"
            "  --out DIR      the merged results directory (created)\n"
            "  --report LIST  also write reports into it, as synth run --report does:\n"
            "                 junit, prom, csv, html; comma-separated\n"
            "  --quiet        no terminal report\n"
            "  -h, --help     this text\n\n"
            "Exit codes: the merged verdict (0 ok, 1 warning, 2 critical, 3 unknown);\n"
            "3 when the shards cannot be merged.\n");
}

static int parse_args(struct merge_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},   {"report", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct synth_error err;
    int ch;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': a->out = optarg; break;
        case 'q': a->quiet = true; break;
        case 'r':
            if (report_format_parse_list(optarg, a->reports,
                                         sizeof(a->reports) / sizeof(a->reports[0]),
                                         &a->report_count, &err)) {
                fprintf(stderr, "synth merge: --report: %s\n", err.msg);
                return EXIT_UNKNOWN;
            }
            break;
        case 'h': merge_usage(stdout); return EXIT_OK;
        default: merge_usage(stderr); return EXIT_UNKNOWN;
        }
    }
    if (!a->out || optind >= argc) {
        fprintf(stderr, "synth merge: expected shard directories and --out DIR\n\n");
        merge_usage(stderr);
        return EXIT_UNKNOWN;
    }
    a->dirs = argv + optind;
    a->n = (size_t)(argc - optind);
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->dirs[i], a->out) == 0) {
            fprintf(stderr, "synth merge: --out %s is one of the shards\n", a->out);
            return EXIT_UNKNOWN;
        }
    }
    if (a->n > SHARD_COUNT_MAX) {
        fprintf(stderr, "synth merge: %zu directories, at most %d shards\n", a->n,
                SHARD_COUNT_MAX);
        return EXIT_UNKNOWN;
    }
    return -1;
}

static int dir_path(char *buf, const char *dir, const char *name, struct synth_error *err)
{
    if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        return synth_error_set(err, SYNTH_ETOOBIG, "%s: path too long", dir);
    return 0;
}

/* Copies the files of from/sub into to/sub: the evidence reports link to
 * (a call id is unique across shards: it carries the user and a counter). */
static int copy_evidence(const char *from, const char *to, const char *sub,
                         struct synth_error *err)
{
    char src[PATH_MAX], dst[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
    char buf[65536];
    struct dirent *e;
    int rc = 0;

    if (dir_path(src, from, sub, err) || dir_path(dst, to, sub, err))
        return SYNTH_ETOOBIG;
    DIR *d = opendir(src);
    if (!d)
        return 0; /* none kept */
    if ((rc = cli_mkdirs(dst, err)) != 0)
        goto out;
    while (!rc && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || dir_path(a, src, e->d_name, err) ||
            dir_path(b, dst, e->d_name, err))
            continue;
        FILE *in = fopen(a, "rb"), *out = in ? fopen(b, "wb") : NULL;
        size_t n;
        while (out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
            if (fwrite(buf, 1, n, out) != n)
                rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", b, strerror(errno));
        if (in && !out)
            rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", b, strerror(errno));
        if (out && fclose(out) != 0 && !rc)
            rc = synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", b, strerror(errno));
        if (in)
            fclose(in);
    }
out:
    closedir(d);
    return rc;
}

struct merge_ctx {
    struct merge_args args;
    json_t **summaries;
    struct merge_shard *shards;
    struct merge_identity id;
    struct scenario scenario;
    struct rebuild_result rebuilt;
    bool by_path;                            /* the scenario's users took more than one path */
    struct run_stats paths[ACCESS_PATH_COUNT]; /* summary.json "paths", from the events */
    struct load_profile profile;             /* the whole run's, not a shard's share */
    struct capacity capacity;
    bool generator_bound;
    json_t *certs;
    struct verdict verdict;
};

/* Each DIR/summary.json; the scenario the first recorded, checked against
 * the digest all of them name. */
static int read_shards(struct merge_ctx *m, struct synth_error *err)
{
    char path[PATH_MAX], hex[SCENARIO_RECORD_HEX];
    int rc;

    for (size_t i = 0; i < m->args.n; i++) {
        m->shards[i].dir = m->args.dirs[i];
        if ((rc = dir_path(path, m->args.dirs[i], "summary.json", err)) != 0)
            return rc;
        if ((rc = summary_read(path, &m->summaries[i], err)) != 0)
            return rc;
        m->shards[i].summary = m->summaries[i];
    }
    if ((rc = merge_check(m->shards, m->args.n, &m->id, err)) != 0)
        return rc;
    if ((rc = dir_path(path, m->shards[0].dir, SCENARIO_RECORD_FILE, err)) != 0 ||
        (rc = scenario_record_digest(path, hex, err)) != 0)
        return rc;
    if (strcmp(hex, m->id.scenario_sha256) != 0)
        return synth_error_set(err, SYNTH_EINVAL,
                               "%s: sha256 %s, but the shards ran a scenario of sha256 %s",
                               path, hex, m->id.scenario_sha256);
    return scenario_load(&m->scenario, path, err);
}

static bool has_call(const struct scenario *sc)
{
    for (size_t i = 0; i < sc->step_count; i++)
        if (sc->steps[i].kind == STEP_CALL)
            return true;
    return false;
}

/* The merged summary, built as a run's end builds its own. */
static json_t *build_summary(struct merge_ctx *m)
{
    const json_t *first = m->shards[0].summary;
    double workers = 0, w;
    for (size_t i = 0; i < m->args.n; i++)
        workers += sview_num(m->shards[i].summary, "workers", &w) ? w : 0;
    /* A step search that found its limit is the run's outcome (as in run.c). */
    const char *ok_reason = NULL;
    for (size_t i = 0; i < m->verdict.n; i++)
        if (strncmp(m->verdict.findings[i].id, "capacity.", 9) == 0)
            ok_reason = m->verdict.findings[i].evidence;
    json_t *cap = capacity_merge_json(&m->capacity, m->shards, m->args.n, m->generator_bound);
    if (!cap)
        return NULL;
    const struct summary_input in = {
        .target_name = sview_str(first, "target", "?"),
        .target_is_lab = strcmp(sview_str(first, "target_kind", ""), "lab") == 0,
        .scenario_name = m->scenario.name,
        .version = SYNTH_VERSION,
        .started_ms = m->id.started_ms,
        .duration_us = (m->id.ended_ms - m->id.started_ms) * 1000,
        .workers = (uint32_t)workers,
        .stats = &m->rebuilt.stats,
        .path_stats = m->by_path ? m->paths : NULL,
        .capacity = cap,
        .scenario = &m->scenario,
        .verdict = &m->verdict,
        .ok_reason = ok_reason,
    };
    json_t *s = summary_build(&in);
    json_decref(cap);
    json_t *from = json_array();
    for (size_t i = 0; from && i < m->args.n; i++)
        json_array_append_new(from, json_string(m->shards[i].dir));
    if (!s || !from || merge_pre_run(m->shards, m->args.n, s) != 0 ||
        (m->certs && json_object_set(s, "certificates", m->certs)) ||
        json_object_set_new(s, "scenario_sha256", json_string(m->id.scenario_sha256)) ||
        json_object_set_new(s, "merged", json_pack("{sIso}", "shards", (json_int_t)m->id.count,
                                                   "from", from))) {
        json_decref(s);
        return NULL;
    }
    return s;
}

/* What the shards judged on their own share, judged on the whole: the
 * survival series and the capacity phases rebuilt, then the verdict in
 * run.c's order: thresholds, survival, the capacity search (which relevels
 * what it measured per step), the certificates, then what only the shards
 * hold, the generator's evidence last as it can lower the rest. */
static int judge_again(struct merge_ctx *m, struct synth_error *err)
{
    int rc;
    for (size_t i = 0; i < m->args.n; i++) {
        const json_t *sv = json_object_get(m->shards[i].summary, "survival");
        struct synth_error why = {{0}};
        if ((rc = survival_log_from_json(sv, &m->rebuilt.stats.survival, &why)) != 0)
            return synth_error_set(err, rc, "%s/summary.json: %s", m->shards[i].dir, why.msg);
    }
    load_profile_from_scenario(&m->profile, &m->scenario.load);
    if (capacity_init(&m->capacity, &m->scenario, &m->profile) != 0)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    if ((rc = capacity_merge(&m->capacity, m->shards, m->args.n, &m->generator_bound, err)) != 0)
        return rc;
    if (verdict_evaluate(&m->verdict, &m->scenario, &m->rebuilt.stats) != 0 ||
        survival_findings_evaluate(&m->verdict, &m->rebuilt.stats.survival) != 0 ||
        capacity_findings_evaluate(&m->verdict, &m->capacity) != 0 ||
        merge_certificates(m->shards, m->args.n, &m->certs, &m->verdict) != 0 ||
        merge_findings(m->shards, m->args.n, &m->verdict) != 0)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    return 0;
}

static int merge_run(struct merge_ctx *m, json_t **summary, struct synth_error *err)
{
    char path[PATH_MAX], hex[SCENARIO_RECORD_HEX];
    size_t truncated;
    int rc;

    if ((rc = read_shards(m, err)) != 0 || (rc = cli_mkdirs(m->args.out, err)) != 0)
        return rc;
    if ((rc = dir_path(path, m->args.out, "events.jsonl", err)) != 0 ||
        (rc = merge_events(m->shards, m->args.n, path, &truncated, err)) != 0)
        return rc;
    if (truncated)
        fprintf(stderr, "synth merge: warning: %zu shard events file%s ended in a cut line; "
                "skipped\n", truncated, truncated == 1 ? "" : "s");
    m->rebuilt.start_ms = m->id.started_ms;
    m->by_path = m->scenario.load.via_count > 1;
    m->rebuilt.paths = m->by_path ? m->paths : NULL;
    if ((rc = summary_rebuild_stats(path, &m->rebuilt, err)) != 0 ||
        (rc = merge_stats(m->shards, m->args.n, &m->id, has_call(&m->scenario),
                          &m->rebuilt.stats, err)) != 0)
        return rc;
    if ((rc = judge_again(m, err)) != 0)
        return rc;
    if ((rc = dir_path(path, m->shards[0].dir, SCENARIO_RECORD_FILE, err)) != 0 ||
        (rc = scenario_record_keep(path, m->args.out, hex, err)) != 0)
        return rc;
    for (size_t i = 0; i < m->args.n; i++)
        for (size_t k = 0; k < sizeof(EVIDENCE_DIRS) / sizeof(EVIDENCE_DIRS[0]); k++)
            if ((rc = copy_evidence(m->shards[i].dir, m->args.out, EVIDENCE_DIRS[k], err)))
                return rc;
    *summary = build_summary(m);
    if (!*summary)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    if ((rc = dir_path(path, m->args.out, "summary.json", err)) != 0 ||
        (rc = summary_write(path, *summary, err)) != 0)
        return rc;
    for (size_t i = 0; i < m->args.report_count; i++) {
        const struct report_format *f = m->args.reports[i];
        if ((rc = dir_path(path, m->args.out, f->file_name, err)) != 0 ||
            (rc = report_format_write(f, path, *summary, m->args.out, err)) != 0)
            return rc;
    }
    return 0;
}

int cli_merge(int argc, char **argv)
{
    struct merge_ctx *m = calloc(1, sizeof(*m));
    struct synth_error err = {{0}};
    json_t *summary = NULL;
    int code;

    if (!m)
        return EXIT_UNKNOWN;
    code = parse_args(&m->args, argc, argv);
    if (code >= 0) {
        free(m);
        return code;
    }
    m->summaries = calloc(m->args.n, sizeof(*m->summaries));
    m->shards = calloc(m->args.n, sizeof(*m->shards));
    run_stats_init(&m->rebuilt.stats);
    for (int p = 0; p < ACCESS_PATH_COUNT; p++) {
        run_stats_init(&m->paths[p]);
        m->paths[p].timeline_off = true;
    }
    verdict_init(&m->verdict);
    if (!m->summaries || !m->shards) {
        snprintf(err.msg, sizeof(err.msg), "out of memory");
        code = EXIT_UNKNOWN;
    } else if (merge_run(m, &summary, &err) != 0) {
        code = EXIT_UNKNOWN;
    } else {
        code = sview_exit_code(summary);
        if (!m->args.quiet)
            terminal_summary(stdout, summary, isatty(STDOUT_FILENO));
        printf("results: %s (merged from %u shards: summary.json, events.jsonl", m->args.out,
               m->id.count);
        for (size_t i = 0; i < m->args.report_count; i++)
            printf(", %s", m->args.reports[i]->file_name);
        puts(")");
    }
    if (code == EXIT_UNKNOWN && err.msg[0])
        fprintf(stderr, "synth merge: %s\n", err.msg);
    json_decref(summary);
    for (size_t i = 0; m->summaries && i < m->args.n; i++)
        json_decref(m->summaries[i]);
    free(m->summaries);
    free(m->shards);
    run_stats_free(&m->rebuilt.stats);
    for (int p = 0; p < ACCESS_PATH_COUNT; p++)
        run_stats_free(&m->paths[p]);
    capacity_free(&m->capacity);
    json_decref(m->certs);
    verdict_free(&m->verdict);
    free(m);
    return code;
}
