/* A small layer over libyaml's document API (YAML 1.1, libyaml 0.2) for our
 * configuration files: load a file into a node tree, check a mapping's keys
 * against the accepted ones, read typed scalars. Every error reads
 * "file:line: key.path: what is wrong" with a 1-based line. */
#ifndef SYNTH_CONFIG_YAML_DOC_H
#define SYNTH_CONFIG_YAML_DOC_H

#include "synth/base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

/* A target or scenario is a few KiB; a file this large is a mistake, and the
 * bound keeps a hostile file from costing the parser unbounded memory. */
#define YDOC_FILE_MAX (1u << 20)
/* Longest key path kept for messages ("registrar.tls.client_cert"); a longer
 * one is truncated in the message, never elsewhere. */
#define YDOC_PATH_MAX 192
#define YDOC_NAME_MAX 1024

struct ydoc {
    yaml_document_t doc;
    bool loaded;
    char name[YDOC_NAME_MAX]; /* the file as named in messages */
};

/* A position in the tree: a node (NULL when a looked-up key is absent), its
 * line and the key path leading to it. Plain values; copy freely. */
struct ynode {
    struct ydoc *doc;
    yaml_node_t *node;
    unsigned line; /* 1-based; of the parent mapping when the key is absent */
    char path[YDOC_PATH_MAX];
};

/* Unit of a duration: what a plain integer means, or how a value is stored. */
enum ydoc_unit {
    YDOC_UNIT_NONE, /* plain integers need a unit suffix */
    YDOC_UNIT_MS,
    YDOC_UNIT_S,
};

/* Loads one YAML document from a file (at most YDOC_FILE_MAX bytes). On error
 * the message is "file:line: YAML syntax error: ..." or "file: reason". Free
 * with ydoc_free, also after an error. */
int ydoc_load_file(struct ydoc *d, const char *path, struct synth_error *err);

/* The same from memory; name is used in messages only. */
int ydoc_load_buffer(struct ydoc *d, const char *name, const char *buf, size_t len,
                     struct synth_error *err);

/* Wipes every scalar (a file may hold a literal password) and frees. Safe on
 * a zeroed or already freed struct. */
void ydoc_free(struct ydoc *d);

/* The root node, which must be a mapping. */
int ydoc_root(struct ydoc *d, struct ynode *root, struct synth_error *err);

/* Formats "file:line: path: message" into err and returns SYNTH_ECONFIG. */
int ydoc_error(const struct ynode *n, struct synth_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

bool ydoc_is_map(const struct ynode *n);
bool ydoc_is_seq(const struct ynode *n);
bool ydoc_is_scalar(const struct ynode *n);
/* A plain "", "~" or "null" (YAML's null), as in "key:" with nothing after. */
bool ydoc_is_null(const struct ynode *n);

/* Checks that n is a mapping whose keys are distinct plain strings and, when
 * accepted is not NULL (a NULL-terminated list), among the accepted ones.
 * An unknown key is reported at its own line with the list of accepted keys. */
int ydoc_map_check(const struct ynode *n, const char *const *accepted,
                   struct synth_error *err);

/* Looks key up in mapping map (checked by ydoc_map_check). Fills out either
 * way (path "map.key"); returns whether the key is present. */
bool ydoc_get(const struct ynode *map, const char *key, struct ynode *out);

/* ydoc_get, but an absent key is the error "path.key: missing (required)". */
int ydoc_require(const struct ynode *map, const char *key, struct ynode *out,
                 struct synth_error *err);

/* Items of a sequence or pairs of a mapping; 0 for anything else. */
size_t ydoc_len(const struct ynode *n);

/* Item i of a sequence, path "seq[i]" (counting from 0). */
void ydoc_seq_at(const struct ynode *seq, size_t i, struct ynode *out);

/* Pair i of a mapping checked by ydoc_map_check: returns its key (owned by
 * the document) and fills out with its value. */
const char *ydoc_map_at(const struct ynode *map, size_t i, struct ynode *out);

/* Typed scalars. Each fails with a message naming the line and key when the
 * node is not a scalar of the right shape. Numbers and booleans must be
 * plain (unquoted) scalars: "5" in quotes is a string in YAML. */

/* A non-empty single-line string (no control characters) that fits in size
 * bytes with its NUL. The message never repeats the value. */
int ydoc_str(const struct ynode *n, char *out, size_t size, struct synth_error *err);
int ydoc_u32(const struct ynode *n, uint32_t min, uint32_t max, uint32_t *out,
             struct synth_error *err);
/* A finite decimal number within [min, max]. */
int ydoc_double(const struct ynode *n, double min, double max, double *out,
                struct synth_error *err);
/* A percentage: "20%" or plain 20, within [min, max]. */
int ydoc_percent(const struct ynode *n, double min, double max, double *out,
                 struct synth_error *err);
/* true or false (YAML 1.1's yes/no/on/off are refused: too easy to misread). */
int ydoc_bool(const struct ynode *n, bool *out, struct synth_error *err);
/* One of count words (names[i] becomes i in *out); otherwise the error
 * "expected a, b or c". */
int ydoc_enum(const struct ynode *n, const char *const *names, size_t count, int *out,
              struct synth_error *err);
/* A list of distinct words of names[] (a lone word is a list of one when
 * one_ok): out[i] gets the index of the i-th, *out_count how many (1 to
 * max). Errors name the item: a word not in names, one listed twice; and
 * the node for an empty or too long list, with hint ("give ..."). */
int ydoc_enum_list(const struct ynode *n, const char *const *names, size_t count, bool one_ok,
                   int *out, size_t max, size_t *out_count, const char *hint,
                   struct synth_error *err);
/* A duration ("500ms", "3s", "16m", "1h"); a plain integer means ms when the
 * key ends in "_ms", s when it ends in "_s", and is refused otherwise (0 is
 * accepted everywhere). Stored in unit store; overflow is an error. */
int ydoc_duration(const struct ynode *n, enum ydoc_unit store, uint32_t *out,
                  struct synth_error *err);

/* The same parsers over text, for command-line values; each returns NULL on
 * success or a reason ("needs a unit (ms, s, m or h)"). */
enum ydoc_unit ydoc_unit_of_key(const char *key);
const char *ydoc_parse_duration(const char *s, size_t len, enum ydoc_unit plain,
                                enum ydoc_unit store, uint32_t *out);
const char *ydoc_parse_u32(const char *s, size_t len, uint32_t min, uint32_t max,
                           uint32_t *out);
const char *ydoc_parse_bool(const char *s, size_t len, bool *out);

#endif
