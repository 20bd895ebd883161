/* `synth report DIR [--junit FILE] [--prom FILE] [--csv FILE] [--html FILE]
 * [--nagios]`: re-renders a results directory from its summary.json (and
 * checks its events.jsonl), never from a live run, and exits with the
 * summary's verdict. */
#include "cli.h"

#include "reports/events_read.h"
#include "reports/nagios.h"
#include "reports/report_format.h"
#include "reports/summary.h"
#include "reports/summary_rebuild.h"
#include "reports/summary_view.h"
#include "reports/terminal.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One output file per format at most: the formats of report_format.c. */
#define REPORT_OUTPUTS_MAX 8

struct report_output {
    const struct report_format *format;
    const char *path;
};

struct report_args {
    const char *dir;
    struct report_output outputs[REPORT_OUTPUTS_MAX];
    size_t output_count;
    bool nagios;
};

static void report_usage(FILE *out)
{
    fprintf(out,
            "usage: synth report DIR [--junit FILE] [--prom FILE] [--csv FILE] [--html FILE]\n"
            "                        [--nagios]\n\n"
            "Re-renders the results directory DIR (written by synth run) from its\n"
            "summary.json; events.jsonl is checked line by line (a last line cut by a\n"
            "killed run is skipped with a warning). A run killed before it wrote\n"
            "summary.json is rebuilt from events.jsonl (thresholds not judged). With no\n"
            "option it prints the terminal report.\n\n"
            "options:\n"
            "  --junit FILE   JUnit XML: a testcase per step, threshold and finding\n"
            "  --prom FILE    Prometheus text format (synth_* metrics, docs/reports.md)\n"
            "  --csv FILE     per-second statistics from the timeline (RFC 4180)\n"
            "  --html FILE    HTML report: one self-contained page (charts, sortable tables)\n"
            "  --nagios       the Nagios/Icinga plugin status line (and findings) on stdout\n"
            "  -h, --help     this text\n\n"
            "FILE may be - (stdout). Files are written atomically (temporary file, rename).\n"
            "Exit codes: the summary's verdict (0 ok, 1 warning, 2 critical, 3 unknown);\n"
            "3 when DIR or its summary cannot be read.\n");
}

static int add_output(struct report_args *a, const char *name, const char *path)
{
    if (a->output_count == REPORT_OUTPUTS_MAX) {
        fprintf(stderr, "synth report: too many output options\n");
        return EXIT_UNKNOWN;
    }
    a->outputs[a->output_count++] =
        (struct report_output){report_format_find(name, strlen(name)), path};
    return -1;
}

static int parse_args(struct report_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"junit", required_argument, NULL, 'j'}, {"prom", required_argument, NULL, 'p'},
        {"csv", required_argument, NULL, 'c'},   {"html", required_argument, NULL, 'H'},
        {"nagios", no_argument, NULL, 'n'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch, rc = -1;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while (rc < 0 && (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j': rc = add_output(a, "junit", optarg); break;
        case 'p': rc = add_output(a, "prom", optarg); break;
        case 'c': rc = add_output(a, "csv", optarg); break;
        case 'H': rc = add_output(a, "html", optarg); break;
        case 'n': a->nagios = true; break;
        case 'h': report_usage(stdout); return EXIT_OK;
        default: report_usage(stderr); return EXIT_UNKNOWN;
        }
    }
    if (rc >= 0)
        return rc;
    if (optind != argc - 1) {
        fprintf(stderr, "synth report: expected one results DIR\n\n");
        report_usage(stderr);
        return EXIT_UNKNOWN;
    }
    a->dir = argv[optind];
    return -1;
}

/* DIR/name into buf; SYNTH_ETOOBIG when it does not fit. */
static int dir_file(char *buf, size_t size, const char *dir, const char *name,
                    struct synth_error *err)
{
    if (snprintf(buf, size, "%s/%s", dir, name) >= (int)size)
        return synth_error_set(err, SYNTH_ETOOBIG, "%s: path too long", dir);
    return 0;
}

/* Reads DIR/summary.json, and checks DIR/events.jsonl when there is one
 * (unless check_events is false: a writer reads it line by line anyway);
 * without a summary, rebuilds one from the events. */
static int load(const char *dir, bool check_events, json_t **summary, struct synth_error *err)
{
    char path[PATH_MAX];
    struct stat st;
    struct events_read_result ev;

    if (stat(dir, &st) != 0)
        return synth_error_set(err, SYNTH_EIO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return synth_error_set(err, SYNTH_EINVAL, "%s: not a results directory", dir);
    int rc = dir_file(path, sizeof(path), dir, "events.jsonl", err);
    if (rc)
        return rc;
    bool has_events = access(path, F_OK) == 0;
    char sum_path[PATH_MAX];
    rc = dir_file(sum_path, sizeof(sum_path), dir, "summary.json", err);
    if (rc)
        return rc;
    if (has_events && !check_events && access(sum_path, F_OK) == 0)
        return summary_read(sum_path, summary, err);
    if (has_events) {
        rc = events_read(path, NULL, NULL, &ev, err);
        if (rc)
            return rc;
        if (ev.truncated)
            fprintf(stderr, "synth report: warning: %s:%zu: last line cut short (the run was "
                            "killed while writing it); skipped\n", path, ev.truncated_line);
    }
    rc = dir_file(path, sizeof(path), dir, "summary.json", err);
    if (rc)
        return rc;
    if (access(path, F_OK) == 0 || !has_events)
        return summary_read(path, summary, err);
    /* Killed before the end: what it measured is all in events.jsonl. The
     * embedded lab keeps its state in DIR/lab (synth/cli/run.c). */
    fprintf(stderr, "synth report: warning: %s missing (the run was killed?): rebuilt from "
                    "events.jsonl, thresholds not judged\n", path);
    char lab[PATH_MAX];
    rc = dir_file(lab, sizeof(lab), dir, "lab", err);
    if (rc)
        return rc;
    bool is_lab = stat(lab, &st) == 0 && S_ISDIR(st.st_mode);
    rc = dir_file(path, sizeof(path), dir, "events.jsonl", err);
    if (rc)
        return rc;
    return summary_rebuild(path, is_lab, summary, &ev, err);
}

static int write_outputs(const struct report_args *a, const json_t *summary,
                         struct synth_error *err)
{
    for (size_t i = 0; i < a->output_count; i++) {
        const struct report_output *o = &a->outputs[i];
        int rc = report_format_write(o->format, o->path, summary, a->dir, err);
        if (rc)
            return rc;
    }
    return 0;
}

int cli_report(int argc, char **argv)
{
    struct report_args a;
    struct synth_error err = {{0}};
    json_t *summary = NULL;
    int code = parse_args(&a, argc, argv);

    if (code >= 0)
        return code;
    /* The HTML writer reads events.jsonl line by line itself (1M events
     * cost seconds per pass): the check pass would only repeat it. */
    bool check_events = true;
    for (size_t i = 0; i < a.output_count; i++) {
        check_events &= !a.outputs[i].format->write_dir;
        if (!a.outputs[i].format->write && !a.outputs[i].format->write_dir) {
            snprintf(err.msg, sizeof(err.msg), "--%s: not yet implemented",
                     a.outputs[i].format->name);
            goto fail;
        }
    }
    if (load(a.dir, check_events, &summary, &err) != 0 || write_outputs(&a, summary, &err) != 0)
        goto fail;
    code = sview_exit_code(summary);
    if (a.nagios) {
        if (nagios_write(stdout, summary, &err) != 0)
            goto fail;
    } else if (a.output_count == 0) {
        terminal_summary(stdout, summary, isatty(STDOUT_FILENO));
    }
    json_decref(summary);
    return code;
fail:
    fprintf(stderr, "synth report: %s\n", err.msg);
    if (a.nagios)
        nagios_write_unknown(stdout, err.msg);
    json_decref(summary);
    return EXIT_UNKNOWN;
}
