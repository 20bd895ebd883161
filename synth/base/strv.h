/* A string view: pointer and length into a buffer someone else owns.
 * Parsers hand these back instead of copies (like libre's struct pl). */
#ifndef SYNTH_STRV_H
#define SYNTH_STRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strv {
    const char *p;
    size_t l;
};

#define STRV_NULL ((struct strv){NULL, 0})

static inline struct strv strv_make(const char *p, size_t l)
{
    return (struct strv){p, l};
}

struct strv strv_from_cstr(const char *s);
bool strv_isset(struct strv v);
bool strv_eq(struct strv v, const char *s);      /* exact */
bool strv_caseeq(struct strv v, const char *s);  /* ASCII case-insensitive */
bool strv_caseeq_strv(struct strv a, struct strv b);
struct strv strv_trim(struct strv v);             /* strips SP, HTAB, CR, LF */
/* Parses an unsigned decimal that fills the whole view; 0 or SYNTH_EPARSE. */
int strv_to_u32(struct strv v, uint32_t *out);
/* Copies into dst (always NUL-terminated); returns SYNTH_ETOOBIG if truncated. */
int strv_copy(struct strv v, char *dst, size_t size);
/* Returns a malloc'd NUL-terminated copy (caller frees), NULL on ENOMEM. */
char *strv_dup(struct strv v);

#endif
