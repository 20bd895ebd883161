/* The verdict of a run: thresholds measured against the statistics, failures
 * turned into findings with evidence and a remedy. Exit codes follow the
 * Monitoring Plugins Development Guidelines ("Plugin Return Codes"). */
#include "verdict.h"

#include "reports/media_findings.h"

#include "synth/base/err.h"
#include "synth/base/sbuf.h"
#include "synth/sip/ms_diag.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the metric names a "threshold.no-data" finding lists. */
#define NO_DATA_LIST_MAX 512
/* A finding id is "threshold." plus a metric name (scenario_threshold.metric). */
#define FINDING_ID_MAX 96

const char *verdict_name(enum verdict_level level)
{
    switch (level) {
    case VERDICT_OK:
        return "ok";
    case VERDICT_WARNING:
        return "warning";
    case VERDICT_CRITICAL:
        return "critical";
    case VERDICT_UNKNOWN:
        break;
    }
    return "unknown";
}

int verdict_from_name(const char *name, enum verdict_level *level)
{
    static const enum verdict_level all[] = {VERDICT_OK, VERDICT_WARNING, VERDICT_CRITICAL,
                                             VERDICT_UNKNOWN};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (name && strcmp(name, verdict_name(all[i])) == 0) {
            *level = all[i];
            return 0;
        }
    }
    return SYNTH_EINVAL;
}

const char *finding_severity_name(enum verdict_level level)
{
    switch (level) {
    case VERDICT_OK:
        return "info";
    case VERDICT_CRITICAL:
        return "critical";
    case VERDICT_WARNING:
    case VERDICT_UNKNOWN:
        break;
    }
    return "warning";
}

/* Order of precedence, lowest first: ok < warning < unknown < critical. */
static int level_rank(enum verdict_level l)
{
    switch (l) {
    case VERDICT_OK:
        return 0;
    case VERDICT_WARNING:
        return 1;
    case VERDICT_UNKNOWN:
        return 2;
    case VERDICT_CRITICAL:
        return 3;
    }
    return 2;
}

static enum verdict_level level_worse(enum verdict_level a, enum verdict_level b)
{
    return level_rank(b) > level_rank(a) ? b : a;
}

void verdict_init(struct verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->level = VERDICT_OK;
}

static void finding_free(struct finding *f)
{
    free(f->id);
    free(f->summary);
    free(f->evidence);
    free(f->remedy);
    memset(f, 0, sizeof(*f));
}

void verdict_free(struct verdict *v)
{
    for (size_t i = 0; i < v->n; i++)
        finding_free(&v->findings[i]);
    free(v->findings);
    verdict_init(v);
}

static char *text_dup(const char *s)
{
    size_t len = s ? strnlen(s, FINDING_TEXT_MAX) : 0;
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static int add_finding(struct verdict *v, enum verdict_level level, const char *id,
                       const char *summary, const char *evidence, const char *remedy,
                       bool has_value, double value)
{
    struct finding f = {0};
    int err = 0;

    /* The verdict must not depend on the list bound: raise it even when the
     * finding itself is dropped below. */
    v->level = level_worse(v->level, level);

    if (!v->findings) {
        v->findings = calloc(VERDICT_FINDINGS_MAX, sizeof(*v->findings));
        if (!v->findings)
            return SYNTH_ENOMEM;
    }
    int rank = level_rank(level);
    if (v->n == VERDICT_FINDINGS_MAX) {
        /* Full: keep the most severe; a tie keeps the one found first. */
        if (rank <= level_rank(v->findings[v->n - 1].level)) {
            v->dropped++;
            return 0;
        }
    }

    f.level = level;
    f.has_value = has_value;
    f.value = value;
    f.id = text_dup(id);
    f.summary = text_dup(summary);
    f.evidence = text_dup(evidence);
    f.remedy = text_dup(remedy);
    if (!f.id || !f.summary || !f.evidence || !f.remedy) {
        err = SYNTH_ENOMEM;
        goto out;
    }

    if (v->n == VERDICT_FINDINGS_MAX) {
        finding_free(&v->findings[v->n - 1]);
        v->n--;
        v->dropped++;
    }
    /* Most severe first, in the order found within a level. */
    size_t pos = v->n;
    while (pos > 0 && level_rank(v->findings[pos - 1].level) < rank)
        pos--;
    memmove(&v->findings[pos + 1], &v->findings[pos], (v->n - pos) * sizeof(*v->findings));
    v->findings[pos] = f;
    v->n++;
    return 0;
out:
    finding_free(&f);
    return err;
}

int verdict_add_finding(struct verdict *v, enum verdict_level level, const char *id,
                        const char *summary, const char *evidence, const char *remedy)
{
    return add_finding(v, level, id, summary, evidence, remedy, false, 0);
}

int verdict_add_findingf(struct verdict *v, enum verdict_level level, const char *id,
                         const char *summary, const char *remedy, const char *evidence_fmt, ...)
{
    char evidence[FINDING_TEXT_MAX];
    va_list ap;

    va_start(ap, evidence_fmt);
    vsnprintf(evidence, sizeof(evidence), evidence_fmt, ap);
    va_end(ap);
    return add_finding(v, level, id, summary, evidence, remedy, false, 0);
}

/* ---- thresholds ---- */

void verdict_threshold_eval(const struct scenario_threshold *th, const struct run_stats *s,
                            struct threshold_result *out)
{
    memset(out, 0, sizeof(*out));
    out->th = th;
    out->level = VERDICT_OK;
    out->below_is_bad = th->warn > th->crit;
    out->metric_err = run_stats_metric(s, th->metric, &out->value);
    if (out->metric_err != 0) {
        out->value = 0;
        return;
    }
    out->has_value = true;
    if (out->below_is_bad) {
        if (out->value < th->crit)
            out->level = VERDICT_CRITICAL;
        else if (out->value < th->warn)
            out->level = VERDICT_WARNING;
    } else {
        if (out->value > th->crit)
            out->level = VERDICT_CRITICAL;
        else if (out->value > th->warn)
            out->level = VERDICT_WARNING;
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static const char *metric_unit(const char *metric)
{
    const char *u = run_stats_metric_unit(metric);
    return u[0] == '%' ? " %" : u[0] ? " ms" : "";
}

/* What to look at when a threshold breaks, by the family of its metric. */
static const char *threshold_remedy(const char *metric)
{
    if (strncmp(metric, "generator.", 10) == 0)
        return "the generator could not keep to its schedule: lower the rate, add workers "
               "or run from a larger machine; the other measurements are in doubt";
    if (ends_with(metric, "_pct"))
        return "see the failure findings for why steps failed";
    if (strncmp(metric, "setup_ms.", 9) == 0 || strncmp(metric, "pdd_ms.", 7) == 0)
        return "slow call setup: check the load of the Front End and UM servers and the "
               "Edge path; compare with generator.lag_ms to rule out the generator";
    return "slow step: check the load of the server that answers it and the network path; "
           "compare with generator.lag_ms to rule out the generator";
}

static int add_threshold_finding(struct verdict *v, const struct threshold_result *t)
{
    const struct scenario_threshold *th = t->th;
    char id[FINDING_ID_MAX], summary[FINDING_TEXT_MAX], evidence[FINDING_TEXT_MAX];
    const char *unit = metric_unit(th->metric);
    bool crit = t->level == VERDICT_CRITICAL;
    const char *which = crit ? "crit" : "warn";
    double bound = crit ? th->crit : th->warn;

    snprintf(id, sizeof(id), "threshold.%s", th->metric);
    snprintf(summary, sizeof(summary), "%s is %s its %s threshold", th->metric,
             t->below_is_bad ? "below" : "above", crit ? "critical" : "warning");
    snprintf(evidence, sizeof(evidence), "%s = %.1f%s %s %s %g%s", th->metric, t->value, unit,
             t->below_is_bad ? "<" : ">", which, bound, unit);
    return add_finding(v, t->level, id, summary, evidence, threshold_remedy(th->metric), true,
                       t->value);
}

static int evaluate_thresholds(struct verdict *v, const struct scenario *sc,
                               const struct run_stats *s)
{
    char no_data[NO_DATA_LIST_MAX], unknown[NO_DATA_LIST_MAX];
    struct sbuf nd, un;
    size_t n_no_data = 0, n_unknown = 0;
    int err;

    sbuf_init(&nd, no_data, sizeof(no_data));
    sbuf_init(&un, unknown, sizeof(unknown));
    for (size_t i = 0; i < sc->threshold_count; i++) {
        struct threshold_result t;
        verdict_threshold_eval(&sc->thresholds[i], s, &t);
        if (t.metric_err == SYNTH_ENOTFOUND) {
            sbuf_printf(&un, "%s%s (line %" PRIu32 ")", n_unknown ? ", " : "",
                        sc->thresholds[i].metric, sc->thresholds[i].line);
            n_unknown++;
        } else if (t.metric_err != 0) {
            sbuf_printf(&nd, "%s%s", n_no_data ? ", " : "", sc->thresholds[i].metric);
            n_no_data++;
        } else if (t.level != VERDICT_OK) {
            err = add_threshold_finding(v, &t);
            if (err)
                return err;
        }
    }
    /* A list cut by the bound still names the first metrics; the count says how many. */
    if (n_no_data) {
        err = verdict_add_findingf(v, VERDICT_WARNING, "threshold.no-data",
                                   "a threshold could not be checked: its metric had no data",
                                   "a step the scenario does not run, or that never got that "
                                   "far (see the other findings), cannot be measured",
                                   "%zu threshold(s) without data: %s", n_no_data, no_data);
        if (err)
            return err;
    }
    if (n_unknown) {
        err = verdict_add_findingf(v, VERDICT_UNKNOWN, "threshold.unknown-metric",
                                   "a threshold names a metric synth does not measure",
                                   "fix the metric name in the scenario (see docs/scenarios.md)",
                                   "%zu unknown metric(s): %s", n_unknown, unknown);
        if (err)
            return err;
    }
    return 0;
}

/* ---- findings from failures ---- */

/* What a class of failure means to a person, and what to do about it. */
struct class_text {
    const char *what;   /* "credentials refused" */
    const char *remedy;
};

static struct class_text class_text(enum step_kind kind, enum failure_class c)
{
    switch (c) {
    case FAIL_TIMEOUT:
        return (struct class_text){"no final answer by the step's deadline",
                                   "check that the target answers at all (a firewall that drops "
                                   "packets looks like this) and the step's timeout"};
    case FAIL_TRANSPORT:
        return (struct class_text){"could not connect, or the connection broke",
                                   "check the host name, DNS, the port and the firewall path "
                                   "to the registrar or Edge"};
    case FAIL_TLS:
        return (struct class_text){"TLS handshake or certificate verification failed",
                                   "check the certificate chain and the CA file, and that the "
                                   "name in the server certificate matches the server name"};
    case FAIL_AUTH:
        return (struct class_text){"credentials refused",
                                   "check the password / account lockout of these users"};
    case FAIL_REJECTED:
        return (struct class_text){"rejected by the target",
                                   "check the user URIs, the SIP domain and the target's "
                                   "policy for these users (the SIP status says which)"};
    case FAIL_SERVER_ERROR:
        return (struct class_text){"server error (5xx)",
                                   "check the health and logs of the Front End or registrar; "
                                   "ms-diagnostics in the evidence names the component"};
    case FAIL_NO_ANSWER:
        return (struct class_text){"not answered before the deadline",
                                   "check that voicemail (Exchange UM) answers for these users "
                                   "and the call step's timeout"};
    case FAIL_DROPPED:
        return (struct class_text){"ended by the far end before the hold time",
                                   "a BYE soon after the answer usually means media never "
                                   "flowed: check the UM certificate subject name and the "
                                   "Edge media path"};
    case FAIL_REDIRECT_LIMIT:
        return (struct class_text){"too many redirects (3xx)",
                                   "check the target's routing for a redirect loop"};
    case FAIL_NOT_READY:
        return (struct class_text){"not run: an earlier step of the journey failed",
                                   "fix the earlier step's failure first"};
    case FAIL_PROTOCOL:
        return (struct class_text){"the peer broke the protocol",
                                   "capture the traffic of the user in the evidence and take "
                                   "it to the vendor of the peer"};
    case FAIL_CANCELED:
        return (struct class_text){"cut short when the run stopped",
                                   "nothing to fix: the run ended while these steps were going"};
    case FAIL_INTERNAL:
        return (struct class_text){"internal error in synth",
                                   "the result cannot be trusted: report a bug to synth with "
                                   "events.jsonl attached"};
    case FAIL_NO_MEDIA:
        return (struct class_text){"answered, but no media arrived (connected-no-media)",
                                   "the call connected (200, ACK) but no authenticated RTP came: "
                                   "through an Edge check the UM certificate's subject name is "
                                   "the UM server's FQDN (not only in the SAN list) and the A/V "
                                   "Edge path; also the SRTP keys and the firewall for the "
                                   "media ports"};
    case FAIL_NO_GREETING:
        return (struct class_text){"media flowed, but no greeting was heard",
                                   "listen to the received audio in the results' audio/ folder: "
                                   "silence or a tone instead of speech points at the UM's "
                                   "prompts or a media path that carries no audio"};
    case FAIL_SDP:
        return (struct class_text){"the answer's SDP cannot be used",
                                   "compare the codecs and encryption the target answers with "
                                   "the target's media settings (the evidence names the "
                                   "problem)"};
    case FAIL_ICE:
        return (struct class_text){"answered, but ICE found no working candidate pair",
                                   "the call connected but no connectivity check succeeded, so "
                                   "no media was sent: check that the UDP media ports and the "
                                   "A/V Edge (TURN) are reachable both ways, and the candidates "
                                   "in the evidence"};
    case FAIL_RELAY:
        return (struct class_text){"no relay candidate: the TURN allocation failed",
                                   "media_path: relay needs an allocation on the target's "
                                   "media.turn server: check its address, port, transport and "
                                   "the credentials (the evidence names the TURN error)"};
    case FAIL_MSTURN_ALLOC:
        return (struct class_text){"no relay candidate: the MS-TURN allocation failed",
                                   "edge.turn: ms-turn needs an Allocate on the A/V Edge "
                                   "(media.turn): check that the relay really speaks MS-TURN "
                                   "(a standard TURN server stays silent or refuses), its UDP "
                                   "port, and the MRAS credentials (the evidence names the "
                                   "error)"};
    case FAIL_MRAS_REFUSED:
        return (struct class_text){"no relay credentials: the Front End's MRAS refused or did "
                                   "not answer",
                                   "media.turn.credentials: mras asks the Front End for each "
                                   "user's A/V Edge credentials (a SIP SERVICE to the MRAS URI): "
                                   "check that the pool names an A/V Edge for MRAS "
                                   "(Get-CsService -EdgeServer, its internal certificate), the "
                                   "user's external access policy, and media.turn.mras_uri (the "
                                   "evidence has the status and ms-diagnostics)"};
    case FAIL_CERT:
        return (struct class_text){"a certificate rule failed",
                                   "the evidence names the endpoint and the rule; synth check "
                                   "against the same target prints every rule with the "
                                   "certificate's fields (a UM whose Subject CN is not its FQDN "
                                   "breaks calls through the Edge)"};
    case FAIL_AUTH_NTLM:
        return (struct class_text){"NTLM authentication refused",
                                   "check the password, the DOMAIN\\user or UPN form of "
                                   "auth_user and account lockout; a failed rspauth means the "
                                   "answer was not signed by the server the targetname names"};
    case FAIL_AUTH_SCHEME:
        return (struct class_text){"the server offers no authentication scheme synth speaks",
                                   "synth answers Digest and NTLM; the evidence lists the "
                                   "schemes offered: enable NTLM on the pool or Edge (Kerberos "
                                   "needs a domain-joined client, TLS-DSK a provisioned "
                                   "certificate)"};
    case FAIL_LOCAL:
        return (struct class_text){"synth ran out of its own resources",
                                   "widen media.client_ports in the target or lower the "
                                   "concurrency: the target was not at fault"};
    case FAIL_DNS:
        return (struct class_text){"the web service's name does not resolve",
                                   "check the lyncdiscover / web services DNS records the "
                                   "target's ucwa.discover_url names"};
    case FAIL_HTTP_STATUS:
        return (struct class_text){"the web service answered with an unexpected HTTP status",
                                   "a 504 from the reverse proxy means its timeout is shorter "
                                   "than the request (proxy idle/read timeouts >= 1200 s, "
                                   "1800 s preferred); a 5xx otherwise, the Front End's logs"};
    case FAIL_APP_GONE:
        return (struct class_text){"the UCWA application was expired by the server",
                                   "the session was idle longer than the server keeps "
                                   "applications (MobileUserActivityIdleTimeoutInSeconds): "
                                   "clients must report activity more often"};
    case FAIL_NONE:
    case FAIL_CLASS_COUNT:
        break;
    }
    (void)kind;
    return (struct class_text){"failed", ""};
}

/* "user 7 at 3.2 s: 403 Forbidden; ms-diagnostics: ...; detail" */
static void describe_example(struct sbuf *sb, const struct failure_example *e)
{
    sbuf_printf(sb, "first: user %" PRIu32 " at %.3f s", e->user_index, (double)e->at_us / 1e6);
    if (e->sip_status)
        sbuf_printf(sb, ", SIP %u %.*s", (unsigned)e->sip_status, (int)sizeof(e->sip_reason),
                    e->sip_reason);
    if (e->ms_diagnostics[0]) {
        char meaning[MS_DIAG_EXPLAIN_MAX];
        ms_diag_explain(strv_make(e->ms_diagnostics, strnlen(e->ms_diagnostics,
                                                             sizeof(e->ms_diagnostics))),
                        meaning, sizeof(meaning));
        sbuf_printf(sb, ", ms-diagnostics: %.*s", (int)sizeof(e->ms_diagnostics),
                    e->ms_diagnostics);
        if (meaning[0])
            sbuf_printf(sb, " [%s]", meaning);
    }
    if (e->detail[0])
        sbuf_printf(sb, ", %.*s", (int)sizeof(e->detail), e->detail);
}

/* Evidence text that was cut by the bound still reads well: mark the cut. */
static void evidence_finish(struct sbuf *sb)
{
    if (sb->overflow && sb->cap > 4)
        memcpy(sb->buf + sb->cap - 4, "...", 4);
}

static bool step_unreachable(const struct step_stats *st)
{
    return st->attempts > 0 &&
           st->failures[FAIL_TRANSPORT] + st->failures[FAIL_TLS] == st->attempts;
}

/* The target is unreachable when every attempt of a step failed at the
 * transport or TLS layer: nothing else was measured, an outage must page. */
static int add_unreachable(struct verdict *v, const struct run_stats *s)
{
    char evidence[FINDING_TEXT_MAX], summary[FINDING_TEXT_MAX];
    struct sbuf sb;
    const struct failure_example *first = NULL;
    const char *first_kind = NULL;

    sbuf_init(&sb, evidence, sizeof(evidence));
    for (int k = 0; k < STEP_KIND_COUNT; k++) {
        const struct step_stats *st = &s->steps[k];
        if (!step_unreachable(st))
            continue;
        if (!first_kind)
            first_kind = step_kind_name((enum step_kind)k);
        sbuf_printf(&sb, "%s%s: %" PRIu64 " of %" PRIu64 " attempts failed (transport %" PRIu64
                    ", tls %" PRIu64 ")",
                    sb.len ? "; " : "", step_kind_name((enum step_kind)k), st->failed,
                    st->attempts, st->failures[FAIL_TRANSPORT], st->failures[FAIL_TLS]);
        for (int c = FAIL_TRANSPORT; c <= FAIL_TLS; c++) {
            if (st->failures[c] && (!first || st->first[c].at_us < first->at_us))
                first = &st->first[c];
        }
    }
    if (!first_kind)
        return 0;
    if (first) {
        sbuf_puts(&sb, "; ");
        describe_example(&sb, first);
    }
    evidence_finish(&sb);
    snprintf(summary, sizeof(summary),
             "the target is unreachable: every %s attempt failed to connect", first_kind);
    return verdict_add_finding(v, VERDICT_CRITICAL, "transport.unreachable", summary, evidence,
                               class_text(STEP_OPTIONS, FAIL_TRANSPORT).remedy);
}

/* One finding for TLS failures of any step: the cause is the certificate or
 * the trust configuration, whichever step met it first. */
static int add_tls(struct verdict *v, const struct run_stats *s)
{
    char evidence[FINDING_TEXT_MAX], summary[FINDING_TEXT_MAX];
    struct sbuf sb;
    const struct failure_example *first = NULL;
    uint64_t failed = 0, attempts = 0;
    enum verdict_level level = VERDICT_WARNING;

    for (int k = 0; k < STEP_KIND_COUNT; k++) {
        const struct step_stats *st = &s->steps[k];
        if (!st->failures[FAIL_TLS])
            continue;
        failed += st->failures[FAIL_TLS];
        attempts += st->attempts;
        if (st->failures[FAIL_TLS] == st->attempts)
            level = VERDICT_CRITICAL;
        if (!first || st->first[FAIL_TLS].at_us < first->at_us)
            first = &st->first[FAIL_TLS];
    }
    if (!first)
        return 0;
    sbuf_init(&sb, evidence, sizeof(evidence));
    /* The detail (the TLS library's reason) is the evidence a person needs first. */
    if (first->detail[0])
        sbuf_printf(&sb, "%.*s; ", (int)sizeof(first->detail), first->detail);
    sbuf_printf(&sb, "%" PRIu64 " of %" PRIu64 " attempts; ", failed, attempts);
    describe_example(&sb, first);
    evidence_finish(&sb);
    snprintf(summary, sizeof(summary), "%s on %" PRIu64 " of %" PRIu64 " attempts",
             class_text(STEP_OPTIONS, FAIL_TLS).what, failed, attempts);
    return verdict_add_finding(v, level, "tls.verify-failed", summary, evidence,
                               class_text(STEP_OPTIONS, FAIL_TLS).remedy);
}

/* Whether a success threshold of the scenario judges this step: then its
 * partial failures are the threshold's business, not a warning of their own. */
static bool success_threshold_covers(const struct scenario *sc, enum step_kind kind)
{
    char own[FINDING_ID_MAX];

    snprintf(own, sizeof(own), "steps.%s.success_pct", step_kind_name(kind));
    for (size_t i = 0; i < sc->threshold_count; i++) {
        const char *m = sc->thresholds[i].metric;
        if (strcmp(m, own) == 0 ||
            (kind == STEP_CALL && strcmp(m, "call_success_pct") == 0) ||
            (kind == STEP_REGISTER && strcmp(m, "register_success_pct") == 0))
            return true;
    }
    return false;
}

static enum verdict_level class_level(enum failure_class c, const struct step_stats *st,
                                      bool covered)
{
    switch (c) {
    case FAIL_AUTH:
    case FAIL_AUTH_NTLM:
    case FAIL_AUTH_SCHEME:
        /* Refused credentials are a broken account, not load: always page. */
        return VERDICT_CRITICAL;
    case FAIL_NOT_READY:
    case FAIL_CANCELED:
        /* Consequences, not causes: the cause has its own finding. */
        return VERDICT_OK;
    case FAIL_INTERNAL:
    case FAIL_LOCAL:
        /* synth's own fault: the target cannot be judged by it. */
        return VERDICT_UNKNOWN;
    default:
        break;
    }
    if (st->failures[c] == st->attempts)
        return VERDICT_CRITICAL;
    return covered ? VERDICT_OK : VERDICT_WARNING;
}

static int add_class_finding(struct verdict *v, const struct scenario *sc,
                             const struct run_stats *s, enum step_kind kind,
                             enum failure_class c)
{
    const struct step_stats *st = &s->steps[kind];
    char id[FINDING_ID_MAX], summary[FINDING_TEXT_MAX], evidence[FINDING_TEXT_MAX];
    struct sbuf sb;
    struct class_text txt = class_text(kind, c);
    const char *kname = step_kind_name(kind);

    /* The field's name for it, kept as the finding id (issue #3 contract). */
    if (kind == STEP_CALL && c == FAIL_NO_MEDIA)
        snprintf(id, sizeof(id), "connected-no-media");
    else
        snprintf(id, sizeof(id), "%s.%s", kname, failure_class_name(c));
    snprintf(summary, sizeof(summary), "%s: %s on %" PRIu64 " of %" PRIu64 " attempts", kname,
             txt.what, st->failures[c], st->attempts);
    sbuf_init(&sb, evidence, sizeof(evidence));
    sbuf_printf(&sb, "%" PRIu64 " %s failures of %" PRIu64 " %s attempts; ", st->failures[c],
                failure_class_name(c), st->attempts, kname);
    describe_example(&sb, &st->first[c]);
    evidence_finish(&sb);
    return verdict_add_finding(v, class_level(c, st, success_threshold_covers(sc, kind)), id,
                               summary, evidence, txt.remedy);
}

static int evaluate_failures(struct verdict *v, const struct scenario *sc,
                             const struct run_stats *s)
{
    int err = add_unreachable(v, s);
    if (err)
        return err;
    err = add_tls(v, s);
    if (err)
        return err;
    for (int k = 0; k < STEP_KIND_COUNT; k++) {
        const struct step_stats *st = &s->steps[k];
        for (int c = FAIL_NONE + 1; c < FAIL_CLASS_COUNT; c++) {
            if (!st->failures[c] || c == FAIL_TLS)
                continue;
            /* Already told as transport.unreachable, with these counts. */
            if (c == FAIL_TRANSPORT && step_unreachable(st))
                continue;
            err = add_class_finding(v, sc, s, (enum step_kind)k, (enum failure_class)c);
            if (err)
                return err;
        }
    }
    return 0;
}

int verdict_evaluate(struct verdict *v, const struct scenario *sc, const struct run_stats *s)
{
    uint64_t attempts = 0;

    for (int k = 0; k < STEP_KIND_COUNT; k++)
        attempts += s->steps[k].attempts;
    if (attempts == 0) {
        /* Nothing measured is no proof of health: Nagios UNKNOWN, not OK. */
        return verdict_add_findingf(
            v, VERDICT_UNKNOWN, "run.nothing-attempted",
            "no step was attempted: the run measured nothing",
            s->journeys_skipped
                ? "every arrival found the concurrency cap full: raise load.max_concurrent "
                  "or lower load.rate"
                : "check the scenario's load (rate, duration, iterations) and its steps",
            "%" PRIu64 " journeys started, %" PRIu64 " arrivals skipped", s->journeys_started,
            s->journeys_skipped);
    }
    int err = evaluate_thresholds(v, sc, s);
    if (err)
        return err;
    err = evaluate_failures(v, sc, s);
    if (err)
        return err;
    err = media_findings_evaluate(v, s);
    if (err)
        return err;
    if (s->journeys_skipped) {
        /* Not failures (the target was never asked), but a person must know the
         * load asked for was not the load applied. */
        err = verdict_add_findingf(
            v, VERDICT_OK, "load.arrivals-skipped",
            "some arrivals were skipped: the concurrency cap was full",
            "journeys last longer than load.max_concurrent / load.rate allows: raise the cap, "
            "lower the rate, or look at why steps are slow",
            "%" PRIu64 " of %" PRIu64 " arrivals skipped (%" PRIu64 " would have called)",
            s->journeys_skipped, s->journeys_skipped + s->journeys_started, s->calls_skipped);
    }
    return err;
}

/* ---- re-levelling: a step search, a saturated generator ---- */

void verdict_relevel(struct verdict *v, bool (*pick)(const struct finding *f),
                     enum verdict_level to)
{
    for (size_t i = 0; i < v->n; i++)
        if (pick(&v->findings[i]))
            v->findings[i].level = to;
    /* Insertion sort, stable: the order found is kept within a level. */
    for (size_t i = 1; i < v->n; i++) {
        struct finding f = v->findings[i];
        size_t j = i;
        while (j > 0 && level_rank(v->findings[j - 1].level) < level_rank(f.level)) {
            v->findings[j] = v->findings[j - 1];
            j--;
        }
        v->findings[j] = f;
    }
    v->level = VERDICT_OK;
    for (size_t i = 0; i < v->n; i++)
        v->level = level_worse(v->level, v->findings[i].level);
}

/* No load makes a refused connection or a certificate that does not verify. */
static bool load_may_cause(const struct finding *f)
{
    return f->level == VERDICT_CRITICAL && strcmp(f->id, "transport.unreachable") != 0 &&
           strcmp(f->id, "tls.verify-failed") != 0;
}

/* Journeys later than the lag limit before the lag alone makes a run unjudgeable. */
#define GENERATOR_LATE_MIN 3

bool verdict_generator(struct verdict *v, struct generator_report *g)
{
    /* One or two stragglers on a shared machine (in a run of a dozen
     * journeys the p99 is the slowest) do not make a run unjudgeable. */
    g->lag_bound = g->started > 0 && g->lag_p99_ms > g->lag_limit_ms &&
                   g->late >= GENERATOR_LATE_MIN;
    /* A busy machine makes a generator's threads wait without harm while it
     * keeps its schedule: saturation counts only with a symptom of it, the
     * schedule slipping (lag past a tenth of the limit) or arrivals dropped
     * (more than 1 %) because the users' journeys took too long. */
    bool slipping = g->started > 0 && g->lag_p99_ms > g->lag_limit_ms / 10;
    bool dropping = g->skipped * 100 > g->started + g->skipped;
    g->cpu_bound = g->seconds >= 2 && g->saturated_seconds * 2 >= g->seconds &&
                   (slipping || dropping);
    if (!g->lag_bound && !g->cpu_bound)
        return false;
    verdict_relevel(v, load_may_cause, VERDICT_UNKNOWN);
    verdict_add_findingf(v, VERDICT_UNKNOWN, "generator.saturated",
                         "the generator itself was the bottleneck: results cannot be judged",
                         "use more --workers, a lower rate, a machine to itself, or more "
                         "machines",
                         "journeys started %.1f ms late (p99; limit %.0f ms), %" PRIu64
                         " of %" PRIu64 " later than the limit, %" PRIu64
                         " dropped; CPU used %.0f %% (mean), used or waited for %.0f %% "
                         "(mean, max %.0f %%) of %d CPU(s), %" PRIu64 " of %" PRIu64
                         " s at or above %.0f %%",
                         g->lag_p99_ms, g->lag_limit_ms, g->late, g->started, g->skipped,
                         g->cpu_pct_mean, g->saturation_pct_mean, g->saturation_pct_max, g->cpus,
                         g->saturated_seconds, g->seconds, g->cpu_limit_pct);
    return true;
}
