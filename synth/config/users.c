/* Synthetic users from CSV (RFC 4180 quoting) or a pattern, and the
 * resolution of password specs (env:, file:, literal). */
#include "synth/config/users.h"

#include "synth/base/sbuf.h"
#include "synth/base/strv.h"
#include "synth/config/config_file.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- secrets ---- */

void users_secret_free(char *secret)
{
    if (!secret)
        return;
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
}

static int secret_from_env(const char *name, const char *where, char **out,
                           struct synth_error *err)
{
    const char *v = getenv(name);
    if (!*name)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: env: needs a variable name", where);
    if (!v)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: environment variable %.64s is not set",
                               where, name);
    if (!*v)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: environment variable %.64s is empty",
                               where, name);
    if (strlen(v) > USERS_SECRET_MAX)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: environment variable %.64s is too long",
                               where, name);
    *out = strdup(v);
    return *out ? 0 : synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", where);
}

static int secret_from_file(const char *rel, const char *base_dir, const char *where, char **out,
                            struct synth_error *err)
{
    char path[CONFIG_PATH_MAX];
    char *buf = NULL;
    size_t len = 0;

    if (!*rel)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: file: needs a path", where);
    if (config_path_resolve(base_dir, rel, path, sizeof(path)) != 0)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: path too long", where);
    int rc = config_file_read(path, USERS_SECRET_MAX, where, &buf, &len, err);
    if (rc != 0)
        return rc == SYNTH_ETOOBIG ? SYNTH_ECONFIG : rc;
    size_t n = strcspn(buf, "\r\n");
    if (n == 0) {
        rc = synth_error_set(err, SYNTH_ECONFIG, "%s: %s: the first line is empty", where, path);
        goto out;
    }
    *out = strndup(buf, n);
    if (!*out)
        rc = synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", where);
out:
    OPENSSL_cleanse(buf, len);
    free(buf);
    return rc;
}

int users_secret_resolve(const char *spec, const char *base_dir, const char *where, char **out,
                         struct synth_error *err)
{
    *out = NULL;
    if (strncmp(spec, "env:", 4) == 0)
        return secret_from_env(spec + 4, where, out, err);
    if (strncmp(spec, "file:", 5) == 0)
        return secret_from_file(spec + 5, base_dir, where, out, err);
    if (!*spec)
        return synth_error_set(err, SYNTH_ECONFIG, "%s: empty", where);
    *out = strdup(spec);
    return *out ? 0 : synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", where);
}

/* ---- URIs and patterns ---- */

const char *users_uri_check(const char *uri)
{
    if (strncmp(uri, "sip:", 4) != 0 && strncmp(uri, "sips:", 5) != 0)
        return "must start with sip: or sips:";
    const char *rest = strchr(uri, ':') + 1;
    const char *at = strchr(rest, '@');
    if (!at || at == rest || !at[1])
        return "must be user@host (e.g. sip:alice@contoso.com)";
    for (const char *p = uri; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"')
            return "holds a space, a control character or one of < > \"";
    }
    return NULL;
}

int users_uri_user(const char *uri, char *out, size_t size)
{
    const char *p = strchr(uri, ':');
    p = p ? p + 1 : uri;
    return strv_copy(strv_make(p, strcspn(p, "@;>")), out, size);
}

/* Parses "{n}" or "{n:0W}" at p; returns its length (0 if not one) and the width. */
static size_t placeholder(const char *p, unsigned *width)
{
    *width = 0;
    if (strncmp(p, "{n}", 3) == 0)
        return 3;
    if (strncmp(p, "{n:0", 4) != 0 || p[4] < '1' || p[4] > '9')
        return 0;
    size_t i = 4;
    unsigned w = 0;
    while (p[i] >= '0' && p[i] <= '9' && w < 100)
        w = w * 10 + (unsigned)(p[i++] - '0');
    if (p[i] != '}' || w > 20)
        return 0;
    *width = w;
    return i + 1;
}

const char *users_pattern_check(const char *pattern)
{
    bool seen = false;
    for (const char *p = pattern; *p; p++) {
        if (*p == '}')
            return "holds a '}' that closes nothing";
        if (*p != '{')
            continue;
        unsigned w;
        size_t n = placeholder(p, &w);
        if (!n)
            return "braces may only hold {n} or {n:0W} (W digits, e.g. {n:04})";
        seen = true;
        p += n - 1;
    }
    return seen ? NULL : "needs {n} where the user number goes (e.g. sip:user{n:04}@contoso.com)";
}

int users_pattern_expand(const char *pattern, uint32_t n, char *out, size_t size)
{
    struct sbuf sb;
    sbuf_init(&sb, out, size);
    for (const char *p = pattern; *p; p++) {
        unsigned w;
        size_t len = *p == '{' ? placeholder(p, &w) : 0;
        if (len) {
            sbuf_printf(&sb, "%0*u", (int)w, n);
            p += len - 1;
        } else {
            sbuf_put(&sb, p, 1);
        }
    }
    return sbuf_result(&sb);
}

void users_free(struct target_user *u, size_t n)
{
    if (!u)
        return;
    for (size_t i = 0; i < n; i++)
        users_secret_free(u[i].password);
    free(u);
}

/* ---- CSV ---- */

enum { CSV_URI, CSV_AUTH_USER, CSV_PASSWORD, CSV_FIELDS };
static const char *const csv_field_names[CSV_FIELDS] = {"uri", "auth_user", "password"};
/* One field of a CSV row: a URI, a user name or a password spec. */
#define CSV_FIELD_MAX 1024

struct csv_cursor {
    const char *name;
    const char *p, *end;
    unsigned line;
};

/* Reads one field (RFC 4180 2.5-2.7) into out; *eol says the row ended. */
static int csv_field(struct csv_cursor *c, char *out, size_t size, size_t index, bool *eol,
                     struct synth_error *err)
{
    struct sbuf sb;
    const char *fname = index < CSV_FIELDS ? csv_field_names[index] : "field";
    sbuf_init(&sb, out, size);
    bool quoted = c->p < c->end && *c->p == '"';
    if (quoted)
        c->p++;
    for (;;) {
        if (c->p == c->end) {
            if (quoted)
                return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: %s: quote not closed",
                                       c->name, c->line, fname);
            *eol = true;
            break;
        }
        char ch = *c->p;
        if (quoted && ch == '"') {
            if (c->p + 1 < c->end && c->p[1] == '"') {
                sbuf_put(&sb, "\"", 1);
                c->p += 2;
                continue;
            }
            quoted = false;
            c->p++;
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
                return synth_error_set(err, SYNTH_ECONFIG,
                                       "%s:%u: %s: text after the closing quote", c->name,
                                       c->line, fname);
            continue;
        }
        if (!quoted && (ch == ',' || ch == '\n' || ch == '\r')) {
            c->p++;
            if (ch == '\r' && c->p < c->end && *c->p == '\n')
                c->p++;
            *eol = ch != ',';
            break;
        }
        if (quoted && (ch == '\n' || ch == '\r'))
            return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: %s: quote not closed", c->name,
                                   c->line, fname);
        if ((unsigned char)ch < 0x20 || ch == 0x7f)
            return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: %s: holds a control character",
                                   c->name, c->line, fname);
        sbuf_put(&sb, &ch, 1);
        c->p++;
    }
    if (sbuf_result(&sb) != 0)
        return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: %s: longer than %d bytes", c->name,
                               c->line, fname, CSV_FIELD_MAX - 1);
    return 0;
}

/* Skips blank and '#' lines; false at the end of the text. */
static bool csv_next_row(struct csv_cursor *c)
{
    while (c->p < c->end) {
        if (*c->p == '\n' || *c->p == '\r') {
            if (*c->p == '\n' || c->p + 1 >= c->end || c->p[1] != '\n')
                c->line++;
            c->p++;
            continue;
        }
        if (*c->p == '#') {
            const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
            c->p = nl ? nl + 1 : c->end;
            c->line++;
            continue;
        }
        return true;
    }
    return false;
}

struct csv_row {
    char f[CSV_FIELDS][CSV_FIELD_MAX];
};

static int csv_read_row(struct csv_cursor *c, struct csv_row *row, struct synth_error *err)
{
    bool eol = false;
    size_t i = 0;
    for (; !eol; i++) {
        char extra[CSV_FIELD_MAX];
        char *dst = i < CSV_FIELDS ? row->f[i] : extra;
        int rc = csv_field(c, dst, CSV_FIELD_MAX, i, &eol, err);
        if (rc != 0)
            return rc;
        if (i >= CSV_FIELDS)
            return synth_error_set(err, SYNTH_ECONFIG,
                                   "%s:%u: more than %d fields (expected uri,auth_user,password)",
                                   c->name, c->line, CSV_FIELDS);
    }
    if (i < CSV_FIELDS)
        return synth_error_set(err, SYNTH_ECONFIG,
                               "%s:%u: %s: missing (expected uri,auth_user,password)", c->name,
                               c->line, csv_field_names[i]);
    return 0;
}

static int csv_fill_user(const struct csv_cursor *c, const struct csv_row *row,
                         const char *base_dir, struct target_user *u, struct synth_error *err)
{
    char where[CONFIG_PATH_MAX + 32];
    const char *why = users_uri_check(row->f[CSV_URI]);
    if (why)
        return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: uri: %s", c->name, c->line, why);
    if (strv_copy(strv_from_cstr(row->f[CSV_URI]), u->uri, sizeof(u->uri)) != 0)
        return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: uri: longer than %zu bytes", c->name,
                               c->line, sizeof(u->uri) - 1);
    /* An empty auth user means the URI's user part, as SIP clients default. */
    const char *auth = row->f[CSV_AUTH_USER];
    int rc = auth[0] ? strv_copy(strv_from_cstr(auth), u->auth_user, sizeof(u->auth_user))
                     : users_uri_user(u->uri, u->auth_user, sizeof(u->auth_user));
    if (rc != 0)
        return synth_error_set(err, SYNTH_ECONFIG, "%s:%u: auth_user: longer than %zu bytes",
                               c->name, c->line, sizeof(u->auth_user) - 1);
    snprintf(where, sizeof(where), "%s:%u: password", c->name, c->line);
    return users_secret_resolve(row->f[CSV_PASSWORD], base_dir, where, &u->password, err);
}

static bool is_header(const struct csv_row *row)
{
    return strv_caseeq(strv_from_cstr(row->f[CSV_URI]), "uri");
}

int users_csv_parse(const char *name, const char *buf, size_t len, const char *base_dir,
                    size_t max, struct target_user **out, size_t *count, struct synth_error *err)
{
    struct csv_cursor c = {.name = name, .p = buf, .end = buf + len, .line = 1};
    struct target_user *users = NULL;
    size_t n = 0, cap = 0;
    struct csv_row *row = calloc(1, sizeof(*row));
    int rc = 0;

    *out = NULL;
    *count = 0;
    if (!row)
        return synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", name);
    bool first = true;
    while (csv_next_row(&c)) {
        unsigned line = c.line;
        rc = csv_read_row(&c, row, err);
        if (rc != 0)
            goto out;
        if (first && is_header(row)) {
            first = false;
            c.line++;
            continue;
        }
        first = false;
        if (n == max) {
            rc = synth_error_set(err, SYNTH_ECONFIG, "%s:%u: more than %zu users", name, line,
                                 max);
            goto out;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct target_user *nu = realloc(users, ncap * sizeof(*nu));
            if (!nu) {
                rc = synth_error_set(err, SYNTH_ENOMEM, "%s: out of memory", name);
                goto out;
            }
            memset(nu + cap, 0, (ncap - cap) * sizeof(*nu));
            users = nu;
            cap = ncap;
        }
        c.line = line;
        rc = csv_fill_user(&c, row, base_dir, &users[n], err);
        if (rc != 0)
            goto out;
        n++;
        c.line = line + 1;
    }
    if (n == 0) {
        rc = synth_error_set(err, SYNTH_ECONFIG, "%s: no users in the file", name);
        goto out;
    }
    *out = users;
    *count = n;
    users = NULL;
out:
    users_free(users, cap); /* unused slots are zeroed */
    OPENSSL_cleanse(row, sizeof(*row));
    free(row);
    return rc;
}
