/* Error codes and their messages. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

const char *synth_strerror(int err)
{
    switch ((enum synth_err)err) {
    case SYNTH_OK: return "success";
    case SYNTH_ENOMEM: return "out of memory";
    case SYNTH_EINVAL: return "invalid argument";
    case SYNTH_EPARSE: return "malformed input";
    case SYNTH_EINCOMPLETE: return "incomplete input";
    case SYNTH_ETOOBIG: return "input exceeds a limit";
    case SYNTH_EIO: return "I/O error";
    case SYNTH_ETIMEDOUT: return "timed out";
    case SYNTH_ETLS: return "TLS error";
    case SYNTH_ECONNREFUSED: return "connection refused";
    case SYNTH_ECLOSED: return "connection closed by peer";
    case SYNTH_ENOTFOUND: return "not found";
    case SYNTH_EAUTH: return "authentication refused";
    case SYNTH_ECONFIG: return "configuration error";
    case SYNTH_ECANCELED: return "canceled";
    case SYNTH_EUNSUPPORTED: return "not supported";
    case SYNTH_EINTERNAL: return "internal error";
    case SYNTH_ERESET: return "connection reset by peer";
    }
    return "unknown error";
}

int synth_error_set(struct synth_error *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}
