/* A bounded string builder over a caller-provided buffer: message builders
 * write into it and check one overflow flag at the end instead of every call. */
#ifndef SYNTH_SBUF_H
#define SYNTH_SBUF_H

#include "strv.h"

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
};

void sbuf_init(struct sbuf *sb, char *buf, size_t cap);
void sbuf_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_put(struct sbuf *sb, const void *data, size_t len);
void sbuf_puts(struct sbuf *sb, const char *s);
void sbuf_put_strv(struct sbuf *sb, struct strv v);
/* 0, or SYNTH_ETOOBIG if anything did not fit. The buffer stays NUL-terminated. */
int sbuf_result(const struct sbuf *sb);

#endif
