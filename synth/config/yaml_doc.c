/* Typed access to a libyaml document tree, with every error naming the file,
 * the 1-based line and the key path (yaml_doc.h). */
#include "synth/config/yaml_doc.h"

#include "synth/base/sbuf.h"
#include "synth/config/config_file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading ---- */

int ydoc_load_buffer(struct ydoc *d, const char *name, const char *buf, size_t len,
                     struct synth_error *err)
{
    yaml_parser_t parser;
    int rc = 0;

    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "%s", name);
    if (len > YDOC_FILE_MAX)
        return synth_error_set(err, SYNTH_ETOOBIG, "%s: file too large (over %u bytes)", name,
                               YDOC_FILE_MAX);
    if (!yaml_parser_initialize(&parser))
        return synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", name);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &d->doc)) {
        rc = synth_error_set(err, SYNTH_ECONFIG, "%s:%zu: YAML syntax error: %s%s%s", name,
                             parser.problem_mark.line + 1,
                             parser.problem ? parser.problem : "unreadable",
                             parser.context ? " " : "", parser.context ? parser.context : "");
        goto out;
    }
    d->loaded = true;
    if (!yaml_document_get_root_node(&d->doc))
        rc = synth_error_set(err, SYNTH_ECONFIG, "%s: the file is empty", name);
out:
    yaml_parser_delete(&parser);
    return rc;
}

int ydoc_load_file(struct ydoc *d, const char *path, struct synth_error *err)
{
    char *buf = NULL;
    size_t len = 0;

    memset(d, 0, sizeof(*d));
    int rc = config_file_read(path, YDOC_FILE_MAX, NULL, &buf, &len, err);
    if (rc != 0)
        return rc;
    rc = ydoc_load_buffer(d, path, buf, len, err);
    explicit_bzero(buf, len);
    free(buf);
    return rc;
}

void ydoc_free(struct ydoc *d)
{
    if (!d->loaded)
        return;
    for (yaml_node_t *n = d->doc.nodes.start; n < d->doc.nodes.top; n++) {
        if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
            explicit_bzero(n->data.scalar.value, n->data.scalar.length);
    }
    yaml_document_delete(&d->doc);
    d->loaded = false;
}

static unsigned node_line(const yaml_node_t *n)
{
    return (unsigned)n->start_mark.line + 1;
}

int ydoc_root(struct ydoc *d, struct ynode *root, struct synth_error *err)
{
    memset(root, 0, sizeof(*root));
    root->doc = d;
    root->node = d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
    root->line = root->node ? node_line(root->node) : 1;
    if (!root->node)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: the file is empty", d->name);
    if (root->node->type != YAML_MAPPING_NODE)
        return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: the file must be a mapping of keys",
                               d->name, root->line);
    return 0;
}

int ydoc_error(const struct ynode *n, struct synth_error *err, const char *fmt, ...)
{
    char what[SYNTH_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (n->path[0])
        return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: %s: %s", n->doc->name, n->line,
                               n->path, what);
    return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: %s", n->doc->name, n->line, what);
}

/* ---- shape ---- */

bool ydoc_is_map(const struct ynode *n)
{
    return n->node && n->node->type == YAML_MAPPING_NODE;
}

bool ydoc_is_seq(const struct ynode *n)
{
    return n->node && n->node->type == YAML_SEQUENCE_NODE;
}

bool ydoc_is_scalar(const struct ynode *n)
{
    return n->node && n->node->type == YAML_SCALAR_NODE;
}

static bool is_plain(const struct ynode *n)
{
    return ydoc_is_scalar(n) && n->node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static struct strv scalar_view(const struct ynode *n)
{
    return strv_make((const char *)n->node->data.scalar.value, n->node->data.scalar.length);
}

bool ydoc_is_null(const struct ynode *n)
{
    if (!is_plain(n))
        return false;
    struct strv v = scalar_view(n);
    return v.l == 0 || strv_eq(v, "~") || strv_eq(v, "null") || strv_eq(v, "Null") ||
           strv_eq(v, "NULL");
}

static void child(const struct ynode *parent, yaml_node_t *node, const char *key, size_t index,
                  struct ynode *out)
{
    struct sbuf sb;

    out->doc = parent->doc;
    out->node = node;
    out->line = node ? node_line(node) : parent->line;
    sbuf_init(&sb, out->path, sizeof(out->path));
    if (key) {
        if (parent->path[0])
            sbuf_printf(&sb, "%s.", parent->path);
        sbuf_puts(&sb, key);
    } else {
        sbuf_printf(&sb, "%s[%zu]", parent->path, index);
    }
}

static yaml_node_pair_t *pairs(const struct ynode *map, size_t *count)
{
    *count = (size_t)(map->node->data.mapping.pairs.top - map->node->data.mapping.pairs.start);
    return map->node->data.mapping.pairs.start;
}

static yaml_node_t *node_at(const struct ynode *n, int index)
{
    return yaml_document_get_node(&n->doc->doc, index);
}

static void list_accepted(struct sbuf *sb, const char *const *accepted)
{
    for (size_t i = 0; accepted[i]; i++)
        sbuf_printf(sb, "%s%s", i ? ", " : "", accepted[i]);
}

static bool accepted_has(const char *const *accepted, const char *key)
{
    for (size_t i = 0; accepted[i]; i++)
        if (strcmp(accepted[i], key) == 0)
            return true;
    return false;
}

int ydoc_map_check(const struct ynode *n, const char *const *accepted, struct synth_error *err)
{
    if (!ydoc_is_map(n))
        return ydoc_error(n, err, "expected a mapping of keys");
    size_t count;
    yaml_node_pair_t *p = pairs(n, &count);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *k = node_at(n, p[i].key);
        struct ynode kn = {.doc = n->doc, .node = k, .line = k ? node_line(k) : n->line};
        snprintf(kn.path, sizeof(kn.path), "%s", n->path);
        if (!k || k->type != YAML_SCALAR_NODE || k->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
            return ydoc_error(&kn, err, "keys must be plain words");
        const char *key = (const char *)k->data.scalar.value;
        if (strlen(key) != k->data.scalar.length)
            return ydoc_error(&kn, err, "a key holds a NUL character");
        if (accepted && !accepted_has(accepted, key)) {
            char list[512];
            struct sbuf sb;
            sbuf_init(&sb, list, sizeof(list));
            list_accepted(&sb, accepted);
            return ydoc_error(&kn, err, "unknown key '%.64s' (accepted: %s)", key, list);
        }
        for (size_t j = 0; j < i; j++) {
            yaml_node_t *prev = node_at(n, p[j].key);
            if (strcmp((const char *)prev->data.scalar.value, key) == 0)
                return ydoc_error(&kn, err, "key '%.64s' appears twice (first at line %u)",
                                  key, node_line(prev));
        }
    }
    return 0;
}

bool ydoc_get(const struct ynode *map, const char *key, struct ynode *out)
{
    child(map, NULL, key, 0, out);
    if (!ydoc_is_map(map))
        return false;
    size_t count;
    yaml_node_pair_t *p = pairs(map, &count);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *k = node_at(map, p[i].key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0) {
            child(map, node_at(map, p[i].value), key, 0, out);
            return out->node != NULL;
        }
    }
    return false;
}

int ydoc_require(const struct ynode *map, const char *key, struct ynode *out,
                 struct synth_error *err)
{
    if (ydoc_get(map, key, out))
        return 0;
    return ydoc_error(out, err, "missing (required)");
}

size_t ydoc_len(const struct ynode *n)
{
    if (ydoc_is_seq(n))
        return (size_t)(n->node->data.sequence.items.top - n->node->data.sequence.items.start);
    if (ydoc_is_map(n)) {
        size_t count;
        pairs(n, &count);
        return count;
    }
    return 0;
}

void ydoc_seq_at(const struct ynode *seq, size_t i, struct ynode *out)
{
    yaml_node_t *node = NULL;
    if (i < ydoc_len(seq) && ydoc_is_seq(seq))
        node = node_at(seq, seq->node->data.sequence.items.start[i]);
    child(seq, node, NULL, i, out);
}

const char *ydoc_map_at(const struct ynode *map, size_t i, struct ynode *out)
{
    size_t count = 0;
    yaml_node_pair_t *p = ydoc_is_map(map) ? pairs(map, &count) : NULL;
    if (i >= count) {
        child(map, NULL, "?", 0, out);
        return NULL;
    }
    const char *key = (const char *)node_at(map, p[i].key)->data.scalar.value;
    child(map, node_at(map, p[i].value), key, 0, out);
    return key;
}

/* ---- typed scalars ---- */

int ydoc_str(const struct ynode *n, char *out, size_t size, struct synth_error *err)
{
    if (!ydoc_is_scalar(n) || ydoc_is_null(n))
        return ydoc_error(n, err, "expected a text value");
    struct strv v = scalar_view(n);
    if (v.l == 0)
        return ydoc_error(n, err, "must not be empty");
    for (size_t i = 0; i < v.l; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c < 0x20 || c == 0x7f)
            return ydoc_error(n, err, "holds a control character (at offset %zu)", i);
    }
    if (v.l >= size)
        return ydoc_error(n, err, "too long (%zu bytes, at most %zu)", v.l, size - 1);
    memcpy(out, v.p, v.l);
    out[v.l] = '\0';
    return 0;
}

/* Numbers and booleans must be plain scalars; the message says why. */
static int plain_value(const struct ynode *n, const char *what, struct strv *v,
                       struct synth_error *err)
{
    if (!ydoc_is_scalar(n))
        return ydoc_error(n, err, "expected %s", what);
    if (!is_plain(n))
        return ydoc_error(n, err, "expected %s without quotes", what);
    *v = scalar_view(n);
    return 0;
}

int ydoc_u32(const struct ynode *n, uint32_t min, uint32_t max, uint32_t *out,
             struct synth_error *err)
{
    struct strv v = STRV_NULL;
    int rc = plain_value(n, "a whole number", &v, err);
    if (rc != 0)
        return rc;
    const char *why = ydoc_parse_u32(v.p, v.l, min, max, out);
    return why ? ydoc_error(n, err, "%s", why) : 0;
}

/* A decimal number, with the suffix suffix allowed after it when not NULL. */
static int decimal(const struct ynode *n, double min, double max, const char *suffix,
                   double *out, struct synth_error *err)
{
    struct strv v = STRV_NULL;
    char text[64];
    int rc = plain_value(n, "a number", &v, err);
    if (rc != 0)
        return rc;
    if (suffix && v.l > strlen(suffix) &&
        memcmp(v.p + v.l - strlen(suffix), suffix, strlen(suffix)) == 0)
        v.l -= strlen(suffix);
    if (v.l == 0 || v.l >= sizeof(text))
        return ydoc_error(n, err, "expected a number");
    memcpy(text, v.p, v.l);
    text[v.l] = '\0';
    char *end;
    errno = 0;
    double d = strtod(text, &end);
    /* strtod also takes hex, inf and nan: refuse anything but decimals. */
    if (*end || errno || !isfinite(d) || strpbrk(text, "xXnNiI"))
        return ydoc_error(n, err, "expected a decimal number%s", suffix ? " (or N%)" : "");
    if (d < min || d > max)
        return ydoc_error(n, err, "must be between %g and %g", min, max);
    *out = d;
    return 0;
}

int ydoc_double(const struct ynode *n, double min, double max, double *out,
                struct synth_error *err)
{
    return decimal(n, min, max, NULL, out, err);
}

int ydoc_percent(const struct ynode *n, double min, double max, double *out,
                 struct synth_error *err)
{
    return decimal(n, min, max, "%", out, err);
}

int ydoc_bool(const struct ynode *n, bool *out, struct synth_error *err)
{
    struct strv v = STRV_NULL;
    int rc = plain_value(n, "true or false", &v, err);
    if (rc != 0)
        return rc;
    const char *why = ydoc_parse_bool(v.p, v.l, out);
    return why ? ydoc_error(n, err, "%s", why) : 0;
}

int ydoc_enum(const struct ynode *n, const char *const *names, size_t count, int *out,
              struct synth_error *err)
{
    char word[32], list[256];
    struct sbuf sb;
    if (ydoc_is_scalar(n) && ydoc_str(n, word, sizeof(word), NULL) == 0) {
        for (size_t i = 0; i < count; i++) {
            if (strcmp(word, names[i]) == 0) {
                *out = (int)i;
                return 0;
            }
        }
    }
    sbuf_init(&sb, list, sizeof(list));
    for (size_t i = 0; i < count; i++)
        sbuf_printf(&sb, "%s%s", i == 0 ? "" : i + 1 == count ? " or " : ", ", names[i]);
    return ydoc_error(n, err, "expected %s", list);
}

int ydoc_enum_list(const struct ynode *n, const char *const *names, size_t count, bool one_ok,
                   int *out, size_t max, size_t *out_count, const char *hint,
                   struct synth_error *err)
{
    bool seq = ydoc_is_seq(n);
    size_t len = seq ? ydoc_len(n) : one_ok ? 1 : 0;
    if (len == 0 || len > max)
        return ydoc_error(n, err, "%s", hint);
    for (size_t i = 0; i < len; i++) {
        struct ynode item = *n;
        if (seq)
            ydoc_seq_at(n, i, &item);
        int rc = ydoc_enum(&item, names, count, &out[i], err);
        if (rc != 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (out[j] == out[i])
                return ydoc_error(&item, err, "%s is listed twice", names[out[i]]);
    }
    *out_count = len;
    return 0;
}

static const char *last_key(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

int ydoc_duration(const struct ynode *n, enum ydoc_unit store, uint32_t *out,
                  struct synth_error *err)
{
    struct strv v = STRV_NULL;
    int rc = plain_value(n, "a duration such as 500ms, 30s or 16m", &v, err);
    if (rc != 0)
        return rc;
    const char *why =
        ydoc_parse_duration(v.p, v.l, ydoc_unit_of_key(last_key(n->path)), store, out);
    return why ? ydoc_error(n, err, "%s", why) : 0;
}

/* ---- text parsers (shared with the command line) ---- */

enum ydoc_unit ydoc_unit_of_key(const char *key)
{
    size_t n = strlen(key);
    if (n > 3 && strcmp(key + n - 3, "_ms") == 0)
        return YDOC_UNIT_MS;
    if (n > 2 && strcmp(key + n - 2, "_s") == 0)
        return YDOC_UNIT_S;
    return YDOC_UNIT_NONE;
}

const char *ydoc_parse_u32(const char *s, size_t len, uint32_t min, uint32_t max,
                           uint32_t *out)
{
    /* Per thread, so a worker parsing a value never races the CLI. */
    static _Thread_local char why[96];
    uint32_t v;

    if (strv_to_u32(strv_make(s, len), &v) != 0)
        return "expected a whole number";
    if (v < min || v > max) {
        snprintf(why, sizeof(why), "must be between %u and %u", min, max);
        return why;
    }
    *out = v;
    return NULL;
}

const char *ydoc_parse_bool(const char *s, size_t len, bool *out)
{
    struct strv v = strv_make(s, len);
    if (strv_eq(v, "true") || strv_eq(v, "True") || strv_eq(v, "TRUE")) {
        *out = true;
        return NULL;
    }
    if (strv_eq(v, "false") || strv_eq(v, "False") || strv_eq(v, "FALSE")) {
        *out = false;
        return NULL;
    }
    return "expected true or false";
}

/* Milliseconds in one unit suffix, 0 when the suffix is unknown. */
static uint64_t unit_ms(struct strv suffix)
{
    if (strv_eq(suffix, "ms"))
        return 1;
    if (strv_eq(suffix, "s"))
        return 1000;
    if (strv_eq(suffix, "m") || strv_eq(suffix, "min"))
        return 60000;
    if (strv_eq(suffix, "h"))
        return 3600000;
    return 0;
}

/* The longest duration anywhere in a configuration: 49 days fit in u32 ms. */
#define DURATION_MAX_MS 0xffffffffull

const char *ydoc_parse_duration(const char *s, size_t len, enum ydoc_unit plain,
                                enum ydoc_unit store, uint32_t *out)
{
    uint64_t whole = 0, frac = 0, frac_scale = 1;
    size_t i = 0;

    while (i < len && s[i] >= '0' && s[i] <= '9') {
        whole = whole * 10 + (uint64_t)(s[i++] - '0');
        if (whole > DURATION_MAX_MS)
            return "too long";
    }
    size_t digits = i;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (frac_scale < 1000000) {
                frac = frac * 10 + (uint64_t)(s[i] - '0');
                frac_scale *= 10;
            }
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return "expected a duration such as 500ms, 30s or 16m";
    struct strv suffix = strv_make(s + i, len - i);
    uint64_t per;
    if (suffix.l == 0) {
        if (whole == 0 && frac == 0)
            per = 1;
        else if (plain == YDOC_UNIT_MS)
            per = 1;
        else if (plain == YDOC_UNIT_S)
            per = 1000;
        else
            return "needs a unit (ms, s, m or h)";
    } else if ((per = unit_ms(suffix)) == 0) {
        return "unknown unit (use ms, s, m or h)";
    }
    if (whole > DURATION_MAX_MS / per)
        return "too long";
    uint64_t ms = whole * per;
    uint64_t frac_ms = frac * per;
    if (frac_ms % frac_scale != 0)
        return "finer than a millisecond";
    ms += frac_ms / frac_scale;
    if (ms > DURATION_MAX_MS)
        return "too long";
    if (store == YDOC_UNIT_S) {
        if (ms % 1000 != 0)
            return "must be a whole number of seconds";
        ms /= 1000;
    }
    *out = (uint32_t)ms;
    return NULL;
}
