/* The results queue and its writer. */
#include "collector.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Traces beyond this many are not written: a total outage fails every call
 * and the first thousand say all there is to say. */
#define COLLECTOR_TRACES_MAX 1000

/* One allocation per item, its text after it: two step results per call
 * pass through here. */
struct item {
    struct item *next;
    bool is_trace;
    size_t len;
    char call_id[128]; /* traces only */
    char text[];       /* the event line (NUL-terminated) or the trace */
};

struct collector {
    pthread_mutex_t lock;
    struct item *head, *tail;
    FILE *events;
    char dir[1024];
    size_t lines;
    size_t traces;
};

int collector_open(struct collector **out, const char *dir, struct synth_error *err)
{
    char path[1200];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return synth_error_set(err, SYNTH_EIO, "cannot create results directory %s: %s", dir,
                               strerror(errno));
    snprintf(path, sizeof(path), "%s/traces", dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return synth_error_set(err, SYNTH_EIO, "cannot create %s: %s", path, strerror(errno));
    struct collector *c = calloc(1, sizeof(*c));
    if (!c)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    snprintf(c->dir, sizeof(c->dir), "%s", dir);
    snprintf(path, sizeof(path), "%s/events.jsonl", dir);
    c->events = fopen(path, "w");
    if (!c->events) {
        free(c);
        return synth_error_set(err, SYNTH_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return 0;
}

static void enqueue(struct collector *c, struct item *it)
{
    pthread_mutex_lock(&c->lock);
    if (c->tail)
        c->tail->next = it;
    else
        c->head = it;
    c->tail = it;
    pthread_mutex_unlock(&c->lock);
}

void collector_push_line(struct collector *c, const char *line, size_t len)
{
    struct item *it = malloc(sizeof(*it) + len + 1);
    if (!it)
        return;
    it->next = NULL;
    it->is_trace = false;
    it->len = len;
    it->call_id[0] = '\0';
    memcpy(it->text, line, len);
    it->text[len] = '\0';
    enqueue(c, it);
}

void collector_push_trace(struct collector *c, const char *call_id, const char *buf, size_t len)
{
    struct item *it = malloc(sizeof(*it) + len + 1);
    if (!it)
        return;
    it->next = NULL;
    it->is_trace = true;
    it->len = len;
    snprintf(it->call_id, sizeof(it->call_id), "%s", call_id);
    memcpy(it->text, buf, len);
    it->text[len] = '\0';
    enqueue(c, it);
}

static bool starts_line_with(const char *p, const char *end, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':';
}

/* The MRAS answer's <password> element ([MS-AVEDGEA] 2.2.3.1.3.2) holds
 * the relay credential in a body: its text goes the same way. Returns the
 * new length. */
static size_t redact_elements(char *buf, size_t len)
{
    static const char open_tag[] = "<password>", close_tag[] = "</password>";
    static const char redacted[] = "[redacted]";
    const size_t on = sizeof(open_tag) - 1, cn = sizeof(close_tag) - 1, rn = sizeof(redacted) - 1;
    char *end = buf + len;
    char *p = buf;
    while ((size_t)(end - p) > on) {
        char *at = memmem(p, (size_t)(end - p), open_tag, on);
        if (!at)
            break;
        char *value = at + on;
        char *close = memmem(value, (size_t)(end - value), close_tag, cn);
        if (!close)
            break;
        size_t old = (size_t)(close - value);
        if (rn <= old) {
            memcpy(value, redacted, rn);
            memmove(value + rn, close, (size_t)(end - close));
            end -= old - rn;
        } else {
            memset(value, '*', old); /* too short for the marker: masked */
        }
        p = value + (rn <= old ? rn : old) + cn;
    }
    return (size_t)(end - buf);
}

size_t collector_redact(char *buf, size_t len)
{
    /* The ICE password signs connectivity checks (RFC 8445 7.2.2): a
     * secret like the credentials, even in an SDP body. */
    static const char *const secret_headers[] = {"Authorization", "Proxy-Authorization",
                                                 "a=ice-pwd"};
    static const char redacted[] = " [redacted]";
    char *end = buf + len;
    char *line = buf;
    while (line < end) {
        char *eol = memchr(line, '\n', (size_t)(end - line));
        char *line_end = eol ? eol : end;
        for (size_t i = 0; i < sizeof(secret_headers) / sizeof(secret_headers[0]); i++) {
            if (!starts_line_with(line, line_end, secret_headers[i]))
                continue;
            char *value = line + strlen(secret_headers[i]) + 1;
            char *value_end = line_end;
            if (value_end > value && value_end[-1] == '\r')
                value_end--;
            size_t old = (size_t)(value_end - value);
            size_t rn = sizeof(redacted) - 1;
            if (rn <= old) {
                memcpy(value, redacted, rn);
                memmove(value + rn, value_end, (size_t)(end - value_end));
                size_t cut = old - rn;
                end -= cut;
                line_end -= cut;
            }
        }
        line = line_end < end ? line_end + 1 : end;
    }
    return redact_elements(buf, (size_t)(end - buf));
}

static void write_trace(struct collector *c, struct item *it)
{
    if (c->traces >= COLLECTOR_TRACES_MAX)
        return;
    char name[200];
    size_t j = 0;
    /* Call-IDs may hold any character; keep a safe file name. */
    for (size_t i = 0; it->call_id[i] && j < sizeof(name) - 5; i++) {
        char ch = it->call_id[i];
        name[j++] = (isalnum((unsigned char)ch) || ch == '-' || ch == '.') ? ch : '_';
    }
    name[j] = '\0';
    char path[1500];
    snprintf(path, sizeof(path), "%s/traces/%s.txt", c->dir, name[0] ? name : "call");
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    size_t n = collector_redact(it->text, it->len);
    fwrite(it->text, 1, n, f);
    fclose(f);
    c->traces++;
}

int collector_flush(struct collector *c)
{
    pthread_mutex_lock(&c->lock);
    struct item *list = c->head;
    c->head = c->tail = NULL;
    pthread_mutex_unlock(&c->lock);
    int rc = 0;
    while (list) {
        struct item *it = list;
        list = it->next;
        if (!it->is_trace) {
            if (fwrite(it->text, 1, it->len, c->events) != it->len ||
                fputc('\n', c->events) < 0)
                rc = SYNTH_EIO;
            c->lines++;
        } else {
            write_trace(c, it);
        }
        free(it);
    }
    if (fflush(c->events) != 0)
        rc = SYNTH_EIO;
    return rc;
}

size_t collector_lines(const struct collector *c)
{
    return c->lines;
}

void collector_close(struct collector *c)
{
    if (!c)
        return;
    collector_flush(c);
    fclose(c->events);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
