/* Bounded string builder. */
#include "sbuf.h"

#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sbuf_init(struct sbuf *sb, char *buf, size_t cap)
{
    sb->buf = buf;
    sb->cap = cap;
    sb->len = 0;
    sb->overflow = cap == 0;
    if (cap)
        buf[0] = '\0';
}

void sbuf_put(struct sbuf *sb, const void *data, size_t len)
{
    if (sb->overflow)
        return;
    if (len >= sb->cap - sb->len) {
        sb->overflow = true;
        return;
    }
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void sbuf_puts(struct sbuf *sb, const char *s)
{
    sbuf_put(sb, s, strlen(s));
}

void sbuf_put_strv(struct sbuf *sb, struct strv v)
{
    sbuf_put(sb, v.p, v.l);
}

void sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
    if (sb->overflow)
        return;
    size_t room = sb->cap - sb->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        sb->overflow = true;
        sb->buf[sb->len] = '\0';
        return;
    }
    sb->len += (size_t)n;
}

int sbuf_result(const struct sbuf *sb)
{
    return sb->overflow ? SYNTH_ETOOBIG : 0;
}
