/* synth exporter: a long-running HTTP server answering Prometheus probes
 * the way blackbox_exporter's /probe does. A probe is a `synth run` of a
 * named module (scenario) against a named target, in a child process of its
 * own (a crash or a hung target cannot take the exporter down), under the
 * scrape's deadline, answered with the run's Prometheus text. Bounded: at
 * most `concurrency` probes at once, a scrape of the same module and target
 * sooner than `min_interval` gets the last result. Optionally HTTPS
 * (tls_server_config, as Prometheus' own web config) and basic auth: the
 * metrics carry internal names. */
#include "cli.h"

#include "synth/base/base64.h"
#include "synth/base/clock.h"
#include "synth/cli/cli_common.h"
#include "synth/config/exporter_config.h"
#include "synth/lab/lab_https.h"
#include "synth/tls/tls_ctx.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Scrapes that may wait on one probe in flight; more get 503. */
#define WAITERS_MAX 16
/* A probe's child gets this long after SIGTERM to write its results. */
#define KILL_GRACE_MS 2000
/* Margin kept from the scrape's own timeout, for the reply to reach Prometheus. */
#define SCRAPE_MARGIN_MS 500
/* The metrics a run writes stay under this (a few KB in practice). */
#define PROBE_BODY_MAX (4u * 1024 * 1024)
#define AUTH_HEADER_MAX 512
/* A connection silent this long between requests is closed (a probe in
 * flight is not silence: evhttp does not read while it holds a request). */
#define CONNECTION_IDLE_S 60

struct exporter;

struct probe_slot {
    struct exporter *ex;
    const struct exporter_module *module;
    const struct exporter_target *target;
    char *last_body;         /* the last result, for scrapes within min_interval */
    int64_t last_end_us;
    pid_t pid;               /* 0 when no probe runs */
    int64_t start_us;
    bool killed;
    char out_dir[256];
    struct event *deadline, *grace;
    struct evhttp_request *waiters[WAITERS_MAX];
    size_t waiter_count;
};

struct exporter {
    struct exporter_config cfg;
    struct event_base *base;
    struct evhttp *http;
    SSL_CTX *tls; /* NULL: plain HTTP */
    struct probe_slot *slots; /* modules × targets */
    size_t slot_count;
    uint32_t in_flight;
    uint64_t probes_ok, probes_failed, probes_timed_out, scrapes_cached, scrapes_refused;
    char work_dir[128];
    uint64_t seq;
    char self[1024];
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: synth exporter --config FILE [--listen ADDR:PORT]\n\n"
            "Serves Prometheus probes like blackbox_exporter:\n"
            "  GET /probe?module=NAME&target=NAME  runs the module's scenario against the named\n"
            "                                      target (never a host from the URL) and answers\n"
            "                                      its metrics (synth_probe_success, ...)\n"
            "  GET /metrics                        the exporter's own health\n"
            "  GET /-/healthy                      200 while it runs\n"
            "The probe's deadline is the scrape's X-Prometheus-Scrape-Timeout-Seconds (less a\n"
            "margin) or the config's limits.timeout, whichever is shorter.\n\n"
            "  --listen ADDR:PORT  default 127.0.0.1:9115\n"
            "  --config FILE       modules, targets, limits, basic_auth, tls_server_config\n"
            "                      (docs/exporter.md)\n");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = malloc(PROBE_BODY_MAX + 1);
    size_t n = buf ? fread(buf, 1, PROBE_BODY_MAX, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* The body when the run left no metrics (killed, or bad input). */
static char *failure_body(const struct probe_slot *s, const char *why, double seconds)
{
    char *b = malloc(1024);
    if (b)
        snprintf(b, 1024,
                 "# HELP synth_probe_success Whether the probe passed (1) or not (0).\n"
                 "# TYPE synth_probe_success gauge\nsynth_probe_success 0\n"
                 "# HELP synth_probe_duration_seconds How long the probe took.\n"
                 "# TYPE synth_probe_duration_seconds gauge\nsynth_probe_duration_seconds %.3f\n"
                 "# HELP synth_exporter_probe_error Why the probe gave no result.\n"
                 "# TYPE synth_exporter_probe_error gauge\n"
                 "synth_exporter_probe_error{module=\"%s\",target=\"%s\",reason=\"%s\"} 1\n",
                 seconds, s->module->name, s->target->name, why);
    return b;
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *body,
                  bool cached)
{
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evbuffer_add(b, body, strlen(body));
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    if (cached)
        evhttp_add_header(h, "X-Synth-Cached", "1");
    evhttp_send_reply(req, code, reason, b);
    evbuffer_free(b);
}

static void probe_finish(struct probe_slot *s, int status)
{
    struct exporter *ex = s->ex;
    char path[300];
    double secs = (double)(clock_mono_us() - s->start_us) / 1e6;
    snprintf(path, sizeof(path), "%s/metrics.prom", s->out_dir);
    char *body = s->killed ? NULL : read_file(path);
    if (s->killed) {
        ex->probes_timed_out++;
        body = failure_body(s, "deadline", secs);
    } else if (!body) {
        ex->probes_failed++;
        body = failure_body(s, WIFEXITED(status) && WEXITSTATUS(status) == 3 ? "unknown"
                                                                             : "no-results",
                            secs);
    } else {
        ex->probes_ok++;
    }
    event_del(s->deadline);
    event_del(s->grace);
    rm_tree(s->out_dir);
    s->pid = 0;
    ex->in_flight--;
    for (size_t i = 0; i < s->waiter_count; i++)
        reply(s->waiters[i], body ? 200 : 500, body ? "OK" : "Internal Error",
              body ? body : "out of memory\n", false);
    s->waiter_count = 0;
    free(s->last_body);
    s->last_body = body;
    s->last_end_us = clock_mono_us();
}

static void sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
    struct exporter *ex = arg;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < ex->slot_count; i++)
            if (ex->slots[i].pid == pid)
                probe_finish(&ex->slots[i], status);
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe_slot *s = arg;
    if (s->pid > 0)
        kill(s->pid, SIGKILL);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe_slot *s = arg;
    if (s->pid <= 0)
        return;
    s->killed = true;
    kill(s->pid, SIGTERM);
    struct timeval tv = {KILL_GRACE_MS / 1000, (KILL_GRACE_MS % 1000) * 1000};
    evtimer_add(s->grace, &tv);
}

/* The child: `synth run` of the module against the target, results in
 * out_dir, Prometheus text among them. */
static void child_exec(const struct exporter *ex, const struct probe_slot *s)
{
    char log[300];
    snprintf(log, sizeof(log), "%s/run.log", s->out_dir);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    const char *argv[12];
    int n = 0;
    argv[n++] = "synth";
    argv[n++] = "run";
    argv[n++] = s->module->scenario;
    if (s->target->lab) {
        argv[n++] = "--lab";
    } else {
        argv[n++] = "--target";
        argv[n++] = s->target->path;
    }
    argv[n++] = "--out";
    argv[n++] = s->out_dir;
    argv[n++] = "--report";
    argv[n++] = "prom";
    argv[n++] = "--quiet";
    argv[n] = NULL;
    execv(ex->self, (char *const *)argv);
    _exit(127);
}

static int probe_start(struct probe_slot *s, uint32_t timeout_ms)
{
    struct exporter *ex = s->ex;
    snprintf(s->out_dir, sizeof(s->out_dir), "%s/probe-%" PRIu64, ex->work_dir, ++ex->seq);
    if (mkdir(s->out_dir, 0700) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        rm_tree(s->out_dir);
        return -1;
    }
    if (pid == 0)
        child_exec(ex, s);
    s->pid = pid;
    s->killed = false;
    s->start_us = clock_mono_us();
    ex->in_flight++;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(s->deadline, &tv);
    return 0;
}

static bool authorized(const struct exporter *ex, struct evhttp_request *req)
{
    if (!ex->cfg.user[0])
        return true;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    char want[AUTH_HEADER_MAX], plain[256];
    if (!h || !ex->cfg.password)
        return false;
    int n = snprintf(plain, sizeof(plain), "%s:%s", ex->cfg.user, ex->cfg.password);
    bool ok = false;
    if (n > 0 && (size_t)n < sizeof(plain)) {
        memcpy(want, "Basic ", 6);
        if (base64_encode((const uint8_t *)plain, (size_t)n, want + 6, sizeof(want) - 6) == 0) {
            size_t len = strlen(want);
            ok = strlen(h) == len && CRYPTO_memcmp(h, want, len) == 0;
        }
    }
    OPENSSL_cleanse(plain, sizeof(plain));
    OPENSSL_cleanse(want, sizeof(want));
    return ok;
}

/* The probe's deadline: the config's, lowered to what the scrape waits. */
static uint32_t probe_timeout_ms(const struct exporter *ex, struct evhttp_request *req)
{
    uint32_t ms = ex->cfg.timeout_ms;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req),
                                       "X-Prometheus-Scrape-Timeout-Seconds");
    double s = h ? strtod(h, NULL) : 0;
    if (s > 0 && s * 1000 < (double)ms + SCRAPE_MARGIN_MS)
        ms = s * 1000 > SCRAPE_MARGIN_MS * 2 ? (uint32_t)(s * 1000) - SCRAPE_MARGIN_MS
                                             : SCRAPE_MARGIN_MS;
    return ms;
}

static struct probe_slot *slot_of(struct exporter *ex, const char *module, const char *target)
{
    for (size_t i = 0; i < ex->slot_count; i++)
        if (strcmp(ex->slots[i].module->name, module) == 0 &&
            strcmp(ex->slots[i].target->name, target) == 0)
            return &ex->slots[i];
    return NULL;
}

static void probe_cb(struct evhttp_request *req, void *arg)
{
    struct exporter *ex = arg;
    struct evkeyvalq q;
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (!authorized(ex, req)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          "Basic realm=\"synth exporter\"");
        reply(req, 401, "Unauthorized", "authentication required\n", false);
        return;
    }
    if (!query || evhttp_parse_query_str(query, &q) != 0) {
        reply(req, 400, "Bad Request", "want /probe?module=NAME&target=NAME\n", false);
        return;
    }
    const char *module = evhttp_find_header(&q, "module");
    const char *target = evhttp_find_header(&q, "target");
    struct probe_slot *s = module && target ? slot_of(ex, module, target) : NULL;
    evhttp_clear_headers(&q);
    if (!s) {
        reply(req, 400, "Bad Request",
              "unknown module or target: both must be names from the exporter's config\n", false);
        return;
    }
    if (s->pid > 0) {
        if (s->waiter_count >= WAITERS_MAX) {
            ex->scrapes_refused++;
            reply(req, 503, "Busy", "too many scrapes waiting on this probe\n", false);
            return;
        }
        s->waiters[s->waiter_count++] = req;
        return;
    }
    int64_t now = clock_mono_us();
    if (s->last_body && now - s->last_end_us < (int64_t)ex->cfg.min_interval_ms * 1000) {
        ex->scrapes_cached++;
        reply(req, 200, "OK", s->last_body, true);
        return;
    }
    if (ex->in_flight >= ex->cfg.concurrency || probe_start(s, probe_timeout_ms(ex, req)) != 0) {
        ex->scrapes_refused++;
        reply(req, 503, "Busy", "the exporter runs as many probes as it may\n", false);
        return;
    }
    s->waiters[s->waiter_count++] = req;
}

static void metrics_cb(struct evhttp_request *req, void *arg)
{
    struct exporter *ex = arg;
    char body[2048];
    if (!authorized(ex, req)) {
        reply(req, 401, "Unauthorized", "authentication required\n", false);
        return;
    }
    snprintf(body, sizeof(body),
             "# HELP synth_exporter_probes_total Probes run, by how they ended.\n"
             "# TYPE synth_exporter_probes_total counter\n"
             "synth_exporter_probes_total{result=\"completed\"} %" PRIu64 "\n"
             "synth_exporter_probes_total{result=\"no-results\"} %" PRIu64 "\n"
             "synth_exporter_probes_total{result=\"deadline\"} %" PRIu64 "\n"
             "# HELP synth_exporter_probes_in_flight Probes running now.\n"
             "# TYPE synth_exporter_probes_in_flight gauge\n"
             "synth_exporter_probes_in_flight %" PRIu32 "\n"
             "# HELP synth_exporter_scrapes_cached_total Scrapes answered with the last result "
             "(within min_interval).\n"
             "# TYPE synth_exporter_scrapes_cached_total counter\n"
             "synth_exporter_scrapes_cached_total %" PRIu64 "\n"
             "# HELP synth_exporter_scrapes_refused_total Scrapes refused (concurrency full).\n"
             "# TYPE synth_exporter_scrapes_refused_total counter\n"
             "synth_exporter_scrapes_refused_total %" PRIu64 "\n",
             ex->probes_ok, ex->probes_failed, ex->probes_timed_out, ex->in_flight,
             ex->scrapes_cached, ex->scrapes_refused);
    reply(req, 200, "OK", body, false);
}

static void healthy_cb(struct evhttp_request *req, void *arg)
{
    (void)arg;
    reply(req, 200, "OK", "OK\n", false);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(arg);
}

static int parse_listen(const char *s, char *host, size_t size, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    char *end;
    if (!colon || colon == s || (size_t)(colon - s) >= size)
        return -1;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535)
        return -1;
    snprintf(host, size, "%.*s", (int)(colon - s), s);
    *port = (uint16_t)p;
    return 0;
}

/* The listener's TLS context from tls_server_config: TLS 1.2 at least, the
 * client certificate verified against client_ca_file when one is asked for. */
static int tls_setup(struct exporter *ex, struct synth_error *err)
{
    const struct exporter_tls *t = &ex->cfg.tls;
    if (!t->cert_file[0])
        return 0;
    int rc = tls_ctx_server_new_files(&ex->tls, t->cert_file, t->key_file,
                                      t->client_auth != EXPORTER_CLIENT_NONE ? t->client_ca_file
                                                                             : NULL,
                                      t->client_auth != EXPORTER_CLIENT_NONE, err);
    if (rc != 0)
        return rc;
    /* RFC 8446 4.4.2.4: without this flag a client that sends no
     * certificate is let in, and the CA would only check those that do. */
    if (t->client_auth == EXPORTER_CLIENT_REQUIRE)
        SSL_CTX_set_verify(ex->tls, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    if (t->tls13_only && !SSL_CTX_set_min_proto_version(ex->tls, TLS1_3_VERSION))
        return tls_error_set(err, SYNTH_ETLS, "%s: min_version TLS13", ex->cfg.path);
    return 0;
}

static int setup(struct exporter *ex, const char *host, uint16_t port, struct synth_error *err)
{
    ssize_t n = readlink("/proc/self/exe", ex->self, sizeof(ex->self) - 1);
    if (n <= 0)
        return synth_error_set(err, SYNTH_EIO, "cannot find synth's own binary: %s", strerror(errno));
    ex->self[n] = '\0';
    snprintf(ex->work_dir, sizeof(ex->work_dir), "%s/synth-exporter-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(ex->work_dir))
        return synth_error_set(err, SYNTH_EIO, "cannot make a work directory: %s", strerror(errno));
    ex->slot_count = ex->cfg.module_count * ex->cfg.target_count;
    ex->slots = calloc(ex->slot_count, sizeof(*ex->slots));
    ex->base = event_base_new();
    if (!ex->slots || !ex->base)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    for (size_t i = 0; i < ex->slot_count; i++) {
        struct probe_slot *s = &ex->slots[i];
        s->ex = ex;
        s->module = &ex->cfg.modules[i / ex->cfg.target_count];
        s->target = &ex->cfg.targets[i % ex->cfg.target_count];
        s->deadline = evtimer_new(ex->base, deadline_cb, s);
        s->grace = evtimer_new(ex->base, grace_cb, s);
        if (!s->deadline || !s->grace)
            return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    }
    uint16_t bound;
    int rc = tls_setup(ex, err);
    if (rc == 0)
        rc = lab_https_listen(&ex->http, ex->base, ex->tls, host, port, CONNECTION_IDLE_S,
                              &bound, "synth exporter", err);
    if (rc != 0)
        return rc;
    evhttp_set_allowed_methods(ex->http, EVHTTP_REQ_GET);
    evhttp_set_cb(ex->http, "/probe", probe_cb, ex);
    evhttp_set_cb(ex->http, "/metrics", metrics_cb, ex);
    evhttp_set_cb(ex->http, "/-/healthy", healthy_cb, ex);
    return 0;
}

static void teardown(struct exporter *ex)
{
    for (size_t i = 0; ex->slots && i < ex->slot_count; i++) {
        struct probe_slot *s = &ex->slots[i];
        if (s->pid > 0) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
            rm_tree(s->out_dir);
        }
        if (s->deadline)
            event_free(s->deadline);
        if (s->grace)
            event_free(s->grace);
        free(s->last_body);
    }
    free(ex->slots);
    if (ex->http)
        evhttp_free(ex->http);
    SSL_CTX_free(ex->tls);
    if (ex->base)
        event_base_free(ex->base);
    if (ex->work_dir[0])
        rm_tree(ex->work_dir);
    exporter_config_free(&ex->cfg);
}

int cli_exporter(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'L'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *listen = "127.0.0.1:9115", *config = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'L': listen = optarg; break;
        case 'c': config = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_UNKNOWN;
        }
    }
    char host[128];
    uint16_t port;
    if (!config || parse_listen(listen, host, sizeof(host), &port) != 0 || optind < argc) {
        fprintf(stderr, "synth exporter: %s\n", !config ? "--config FILE is required"
                                                        : "--listen wants ADDR:PORT");
        usage(stderr);
        return EXIT_UNKNOWN;
    }
    struct exporter *ex = calloc(1, sizeof(*ex));
    struct synth_error err = {{0}};
    int code = EXIT_UNKNOWN;
    if (!ex)
        return EXIT_UNKNOWN;
    int rc = exporter_config_load(&ex->cfg, config, &err);
    if (rc == 0)
        rc = setup(ex, host, port, &err);
    if (rc != 0) {
        fprintf(stderr, "synth exporter: %s\n", err.msg);
        goto out;
    }
    struct event *sig[3] = {evsignal_new(ex->base, SIGINT, stop_cb, ex->base),
                            evsignal_new(ex->base, SIGTERM, stop_cb, ex->base),
                            evsignal_new(ex->base, SIGCHLD, sigchld_cb, ex)};
    for (int i = 0; i < 3; i++)
        if (sig[i])
            event_add(sig[i], NULL);
    printf("synth exporter: listening on %s://%s:%u, %zu modules, %zu targets\n",
           ex->tls ? "https" : "http", host, port, ex->cfg.module_count, ex->cfg.target_count);
    fflush(stdout);
    event_base_dispatch(ex->base);
    for (int i = 0; i < 3; i++)
        if (sig[i])
            event_free(sig[i]);
    code = EXIT_OK;
out:
    teardown(ex);
    free(ex);
    return code;
}
