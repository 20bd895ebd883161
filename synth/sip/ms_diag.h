/* The ms-diagnostics header of Skype for Business / Lync servers ([MS-OCER]
 * 2.2.1: `ms-diagnostics: <ErrorId>[.<sub>];reason="...";source="..."`, the
 * same in ms-diagnostics-public without source) and a catalogue of the codes
 * synth meets: the component an ErrorId range belongs to, and for the codes
 * a test meets most (authentication, routing, the Edge, UM, media) what it
 * means for the test and what to check. */
#ifndef SYNTH_SIP_MS_DIAG_H
#define SYNTH_SIP_MS_DIAG_H

#include "synth/base/strv.h"

#include <stdbool.h>
#include <stdint.h>

struct ms_diag {
    uint32_t code;     /* ErrorId */
    uint32_t sub;      /* the sub error code after '.', 0 if none */
    struct strv reason; /* unquoted, backslash escapes kept; empty if absent */
    struct strv source; /* the server that said it; empty in -public */
};

/* Parses a header value (views into it). SYNTH_EPARSE when it does not
 * start with a decimal ErrorId. */
int ms_diag_parse(struct strv value, struct ms_diag *out);

/* What a code says to a tester. */
struct ms_diag_entry {
    uint32_t code;
    const char *meaning; /* for the reader of a report, one line */
    const char *remedy;  /* what to check, one line */
};

/* The component of the ErrorId range ([MS-OCER]: 1000-1999 the SIP stack,
 * 4000-4999 user services, 9000-9999 MRAS, 15000-15999 Exchange UM, ...);
 * "unknown component" beyond the documented ranges. Never NULL. */
const char *ms_diag_component(uint32_t code);

/* The catalogue's entry for code, or NULL when it has none (then the
 * header's own reason and the component are all there is). */
const struct ms_diag_entry *ms_diag_lookup(uint32_t code);

/* "SIP stack: the user is not known to the pool (check ...)" for a header
 * value, into out (always NUL-terminated; "" when value does not parse).
 * The longest text it writes, NUL included: */
#define MS_DIAG_EXPLAIN_MAX 320
void ms_diag_explain(struct strv value, char *out, size_t size);
/* The same for a header already parsed. */
void ms_diag_describe(const struct ms_diag *d, char *out, size_t size);

#endif
