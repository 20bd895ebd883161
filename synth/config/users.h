/* The target's synthetic users: read from a CSV file (uri,auth_user,password)
 * or generated from a pattern, with passwords given literally or as
 * env:NAME / file:PATH so that secrets need not sit in the target file. */
#ifndef SYNTH_CONFIG_USERS_H
#define SYNTH_CONFIG_USERS_H

#include "synth/base/err.h"
#include "synth/config/target.h"

#include <stddef.h>
#include <stdint.h>

/* A secret longer than this is a mistake (a whole file named by file:). */
#define USERS_SECRET_MAX 1024
/* A CSV of a million users is about 60 MiB; larger is refused before reading. */
#define USERS_CSV_MAX (256u << 20)

/* Resolves a password spec: "env:NAME" (the variable must be set and not
 * empty), "file:PATH" (relative to base_dir; the first line, without its
 * line end), or the literal text. where names the field in errors
 * ("file:line: users.password"); no error ever repeats the secret. Caller
 * frees *out with users_secret_free. */
int users_secret_resolve(const char *spec, const char *base_dir, const char *where, char **out,
                         struct synth_error *err);
void users_secret_free(char *secret);

/* Parses CSV text (RFC 4180 quoting; '#' comment lines, blank lines and an
 * optional "uri,..." header skipped) into a calloc'd array. name is the file
 * as named in errors ("users.csv:12: password: ..."); base_dir resolves
 * file: secrets. At most max users. Caller frees with users_free. */
int users_csv_parse(const char *name, const char *buf, size_t len, const char *base_dir,
                    size_t max, struct target_user **out, size_t *count, struct synth_error *err);

/* Expands {n} or {n:0W} (W digits, zero padded) in pattern for user number n. */
int users_pattern_expand(const char *pattern, uint32_t n, char *out, size_t size);

/* Checks a pattern expands ({n} present, no other braces); NULL or a reason. */
const char *users_pattern_check(const char *pattern);

/* The user part of a SIP URI ("alice" of sip:alice@contoso.com;x=y). */
int users_uri_user(const char *uri, char *out, size_t size);

/* Checks the shape of a user URI; NULL or a reason. */
const char *users_uri_check(const char *uri);

/* Wipes the passwords and frees the array. Safe with NULL. */
void users_free(struct target_user *u, size_t n);

#endif
