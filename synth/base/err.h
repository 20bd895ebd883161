/* Error codes shared by every module, and the detail struct a caller owns.
 * Functions that can fail return 0 or a negative enum synth_err; the detail
 * (file:line:key, peer, status) goes into a struct synth_error the caller passes. */
#ifndef SYNTH_ERR_H
#define SYNTH_ERR_H

#include <stddef.h>

enum synth_err {
    SYNTH_OK = 0,
    SYNTH_ENOMEM = -1,      /* allocation failed */
    SYNTH_EINVAL = -2,      /* bad argument or bad user input */
    SYNTH_EPARSE = -3,      /* malformed message or file */
    SYNTH_EINCOMPLETE = -4, /* parser needs more bytes */
    SYNTH_ETOOBIG = -5,     /* a bound was exceeded */
    SYNTH_EIO = -6,         /* socket or file I/O failed */
    SYNTH_ETIMEDOUT = -7,   /* a deadline passed */
    SYNTH_ETLS = -8,        /* TLS handshake or verification failed */
    SYNTH_ECONNREFUSED = -9,
    SYNTH_ECLOSED = -10,    /* the peer closed the connection */
    SYNTH_ENOTFOUND = -11,
    SYNTH_EAUTH = -12,      /* credentials refused */
    SYNTH_ECONFIG = -13,    /* configuration error */
    SYNTH_ECANCELED = -14,  /* stopped by shutdown */
    SYNTH_EUNSUPPORTED = -15,
    SYNTH_EINTERNAL = -16,
    SYNTH_ERESET = -17,     /* the peer (or a middlebox) reset the connection: TCP RST */
};

/* Message of a synth_err code, never NULL. */
const char *synth_strerror(int err);

/* Detail for the caller to print: "targets/prod.yaml:12: registrar.port: not a number". */
#define SYNTH_ERROR_MSG_MAX 512
struct synth_error {
    char msg[SYNTH_ERROR_MSG_MAX];
};

/* Formats into e->msg (if e is not NULL) and returns code, so callers can
 * write `return synth_error_set(e, SYNTH_EPARSE, "...")`. */
int synth_error_set(struct synth_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
