/* JUnit XML (the Ant junitreport format that CI servers read; schema in
 * tests/junit.xsd). The testcases are written into a memory stream first
 * because <testsuite> carries their counts in its attributes. */
#include "junit.h"

#include "reports/summary_view.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* "failed" message of a step aggregate: its classes, then "...". */
#define JUNIT_STEP_CLASSES_MAX 6
#define JUNIT_TEXT_MAX 1024

enum junit_outcome {
    JUNIT_PASS,
    JUNIT_FAILURE,
    JUNIT_ERROR,
    JUNIT_SKIPPED,
};

struct junit {
    FILE *cases; /* the memory stream */
    const json_t *summary;
    unsigned tests, failures, errors, skipped;
    double time_s;
};

/* One testcase: what it is, how it ended and why. Texts may be NULL. */
struct junit_case {
    const char *classname, *name;
    double time_s;
    enum junit_outcome outcome;
    const char *type;    /* failure/error type */
    const char *message; /* one line */
    const char *evidence, *remedy, *out; /* body lines / system-out */
    const char *step; /* a step aggregate: its findings ("<step>.<class>") join the body */
};

void junit_put_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        case '\t': fputs("&#9;", out); break;
        case '\n': fputs("&#10;", out); break;
        case '\r': fputs("&#13;", out); break;
        default: fputc(c < 0x20 || c == 0x7f ? '?' : c, out); break;
        }
    }
}

static void attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    junit_put_escaped(out, value ? value : "");
    fputc('"', out);
}

static void body_line(FILE *out, const char *label, const char *text)
{
    if (!text || !text[0])
        return;
    fprintf(out, "%s: ", label);
    junit_put_escaped(out, text);
    fputs("&#10;", out);
}

/* The findings of one step (ids "<step>.<class>", verdict.c), so the step's
 * failure shows why as well as how often. */
static void step_findings(const struct junit *j, const char *step)
{
    size_t n = strlen(step), i;
    const json_t *f;

    json_array_foreach(json_object_get(j->summary, "findings"), i, f) {
        const char *id = sview_str(f, "id", "");
        if (strncmp(id, step, n) != 0 || id[n] != '.')
            continue;
        body_line(j->cases, "finding", id);
        body_line(j->cases, "summary", sview_str(f, "summary", NULL));
        body_line(j->cases, "evidence", sview_str(f, "evidence", NULL));
        body_line(j->cases, "remedy", sview_str(f, "remedy", NULL));
    }
}

static void put_case(struct junit *j, const struct junit_case *c)
{
    static const char *const elem[] = {NULL, "failure", "error", "skipped"};
    FILE *o = j->cases;

    j->tests++;
    j->failures += c->outcome == JUNIT_FAILURE;
    j->errors += c->outcome == JUNIT_ERROR;
    j->skipped += c->outcome == JUNIT_SKIPPED;
    fputs("    <testcase", o);
    attr(o, "name", c->name);
    attr(o, "classname", c->classname);
    fprintf(o, " time=\"%.3f\"", c->time_s >= 0 ? c->time_s : 0);
    if (c->outcome == JUNIT_PASS && !(c->out && c->out[0])) {
        fputs("/>\n", o);
        return;
    }
    fputs(">\n", o);
    if (c->outcome != JUNIT_PASS) {
        fprintf(o, "      <%s", elem[c->outcome]);
        attr(o, "message", c->message);
        if (c->outcome != JUNIT_SKIPPED)
            attr(o, "type", c->type);
        fputc('>', o);
        body_line(o, "summary", c->message);
        body_line(o, "evidence", c->evidence);
        body_line(o, "remedy", c->remedy);
        if (c->step)
            step_findings(j, c->step);
        fprintf(o, "</%s>\n", elem[c->outcome]);
    }
    if (c->out && c->out[0]) {
        fputs("      <system-out>", o);
        junit_put_escaped(o, c->out);
        fputs("</system-out>\n", o);
    }
    fputs("    </testcase>\n", o);
}

/* The outcome a verdict level name gives a finding or threshold. */
static enum junit_outcome level_outcome(const char *level)
{
    if (strcmp(level, "warning") == 0 || strcmp(level, "critical") == 0)
        return JUNIT_FAILURE;
    if (strcmp(level, "unknown") == 0)
        return JUNIT_ERROR;
    return JUNIT_PASS;
}

static const json_t *finding_by_id(const json_t *summary, const char *id)
{
    const json_t *f;
    size_t i;
    json_array_foreach(json_object_get(summary, "findings"), i, f)
        if (strcmp(sview_str(f, "id", ""), id) == 0)
            return f;
    return NULL;
}

/* ---- sections: each adds its testcases ---- */

static void steps(struct junit *j)
{
    const char *name, *cls;
    const json_t *st, *n;

    json_object_foreach(json_object_get(j->summary, "steps"), name, st) {
        double attempts = 0, failed = 0, mean = 0, count = 0;
        char msg[JUNIT_TEXT_MAX], out[JUNIT_TEXT_MAX];
        const json_t *lat = json_object_get(st, "latency_ms");
        int shown = 0;
        size_t used;

        sview_num(st, "attempts", &attempts);
        sview_num(st, "failed", &failed);
        sview_num(lat, "mean", &mean);
        sview_num(lat, "count", &count);
        used = (size_t)snprintf(msg, sizeof(msg), "%s: %.0f of %.0f attempts failed", name,
                                failed, attempts);
        json_object_foreach(json_object_get(st, "failures"), cls, n) {
            if (used >= sizeof(msg))
                break;
            if (shown++ == JUNIT_STEP_CLASSES_MAX) {
                snprintf(msg + used, sizeof(msg) - used, ", ...");
                break;
            }
            used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s %.0f",
                                     shown == 1 ? " (" : ", ", cls, json_number_value(n));
        }
        if (shown && used < sizeof(msg))
            snprintf(msg + used, sizeof(msg) - used, ")");
        snprintf(out, sizeof(out), "attempts: %.0f, failed: %.0f", attempts, failed);
        const struct junit_case c = {
            .classname = "synth.step",
            .name = name,
            .time_s = mean * count / 1000.0, /* time spent in this step, all attempts */
            .outcome = failed > 0 ? JUNIT_FAILURE : JUNIT_PASS,
            .type = "step-failures",
            .message = msg,
            .out = out,
            .step = name,
        };
        put_case(j, &c);
    }
}

static void thresholds(struct junit *j)
{
    const json_t *th;
    size_t i;

    json_array_foreach(json_object_get(j->summary, "thresholds"), i, th) {
        const char *metric = sview_str(th, "metric", "?");
        const char *level = sview_str(th, "level", "unknown");
        char id[JUNIT_TEXT_MAX], msg[JUNIT_TEXT_MAX];
        double v, warn = 0, crit = 0;

        snprintf(id, sizeof(id), "threshold.%s", metric);
        const json_t *f = finding_by_id(j->summary, id);
        sview_num(th, "warn", &warn);
        sview_num(th, "crit", &crit);
        if (sview_num(th, "value", &v))
            snprintf(msg, sizeof(msg), "%s = %g (warn %g, crit %g): %s", metric, v, warn, crit,
                     level);
        else
            snprintf(msg, sizeof(msg), "%s: not measured (%s)", metric,
                     sview_str(th, "error", "no-data"));
        enum junit_outcome o = level_outcome(level);
        /* A threshold that could not be checked was not run, not failed. */
        if (o == JUNIT_ERROR)
            o = JUNIT_SKIPPED;
        const struct junit_case c = {
            .classname = "synth.threshold",
            .name = metric,
            .outcome = o,
            .type = level,
            .message = f ? sview_str(f, "summary", msg) : msg,
            .evidence = f ? sview_str(f, "evidence", NULL) : (o == JUNIT_FAILURE ? msg : NULL),
            .remedy = f ? sview_str(f, "remedy", NULL) : NULL,
            .out = msg,
        };
        put_case(j, &c);
    }
}

/* True when the finding is a threshold's own ("threshold.<metric>"), which
 * its threshold testcase already carries. */
static bool is_threshold_finding(const json_t *summary, const char *id)
{
    const json_t *th;
    size_t i;

    if (strncmp(id, "threshold.", 10) != 0)
        return false;
    json_array_foreach(json_object_get(summary, "thresholds"), i, th)
        if (strcmp(sview_str(th, "metric", ""), id + 10) == 0)
            return true;
    return false;
}

static void findings(struct junit *j)
{
    const json_t *f;
    size_t i;

    json_array_foreach(json_object_get(j->summary, "findings"), i, f) {
        const char *id = sview_str(f, "id", "?");
        if (is_threshold_finding(j->summary, id))
            continue;
        enum junit_outcome o = level_outcome(sview_str(f, "level", "unknown"));
        const struct junit_case c = {
            .classname = "synth.finding",
            .name = id,
            .outcome = o,
            .type = sview_str(f, "severity", "warning"),
            .message = sview_str(f, "summary", ""),
            .evidence = sview_str(f, "evidence", NULL),
            .remedy = sview_str(f, "remedy", NULL),
            .out = o == JUNIT_PASS ? sview_str(f, "evidence", NULL) : NULL,
        };
        put_case(j, &c);
    }
}

/* "2026-12-02T20:37:17" from "2026-12-02T20:37:17.861Z": the Ant schema's
 * timestamp is a dateTime without zone or fraction (here always UTC). */
static void timestamp(const json_t *s, char *buf, size_t size)
{
    const char *iso = sview_str(s, "started_at", "1970-01-01T00:00:00Z");
    snprintf(buf, size, "%.19s", iso);
    if (strlen(buf) != 19 || buf[10] != 'T')
        snprintf(buf, size, "1970-01-01T00:00:00");
}

static void properties(FILE *out, const json_t *s)
{
    static const char *const keys[] = {"target", "target_kind", "scenario", "verdict",
                                       "reason", "version"};
    fputs("    <properties>\n", out);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        fputs("      <property", out);
        attr(out, "name", keys[i]);
        attr(out, "value", sview_str(s, keys[i], ""));
        fputs("/>\n", out);
    }
    fputs("    </properties>\n", out);
}

int junit_write(FILE *out, const json_t *summary, struct synth_error *err)
{
    static void (*const sections[])(struct junit *) = {steps, thresholds, findings};
    struct junit j = {.summary = summary};
    char *buf = NULL, ts[32];
    size_t len = 0;

    j.cases = open_memstream(&buf, &len);
    if (!j.cases)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        sections[i](&j);
    if (fclose(j.cases) != 0) {
        free(buf);
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    }
    sview_num(summary, "duration_s", &j.time_s);
    timestamp(summary, ts, sizeof(ts));

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"synth\" tests=\"%u\" failures=\"%u\" errors=\"%u\" "
                 "skipped=\"%u\" time=\"%.3f\">\n",
            j.tests, j.failures, j.errors, j.skipped, j.time_s);
    fputs("  <testsuite name=\"synth\"", out);
    fprintf(out, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.3f\"",
            j.tests, j.failures, j.errors, j.skipped, j.time_s);
    attr(out, "timestamp", ts);
    fputs(">\n", out);
    properties(out, summary);
    fwrite(buf, 1, len, out);
    fputs("    <system-out>", out);
    junit_put_escaped(out, "verdict: ");
    junit_put_escaped(out, sview_str(summary, "verdict", "unknown"));
    junit_put_escaped(out, " - ");
    junit_put_escaped(out, sview_str(summary, "reason", ""));
    fputs("</system-out>\n  </testsuite>\n</testsuites>\n", out);
    free(buf);
    if (ferror(out))
        return synth_error_set(err, SYNTH_EIO, "write error");
    return 0;
}
