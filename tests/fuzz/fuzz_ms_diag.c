/* Fuzz target: the ms-diagnostics header parser and its explanation
 * (synth/sip/ms_diag.c) over arbitrary header values. */
#include "synth/sip/ms_diag.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct strv outer, struct strv v)
{
    if (v.l && (v.p < outer.p || v.p + v.l > outer.p + outer.l))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct strv v = strv_make((const char *)data, size);
    struct ms_diag d;
    char text[MS_DIAG_EXPLAIN_MAX];
    if (ms_diag_parse(v, &d) == 0) {
        inside(v, d.reason);
        inside(v, d.source);
        if (!ms_diag_component(d.code))
            __builtin_trap();
    }
    ms_diag_explain(v, text, sizeof(text));
    if (strnlen(text, sizeof(text)) == sizeof(text))
        __builtin_trap();
    return 0;
}
