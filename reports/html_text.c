/* HTML escaping for the report (html_text.h). */
#include "html_text.h"

#include <stdlib.h>

void html_put_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        case '\t':
        case '\n': fputc(c, out); break;
        default: fputc(c < 0x20 || c == 0x7f ? '?' : c, out); break;
        }
    }
}

int html_put_json_script(FILE *out, const char *id, const json_t *doc, struct synth_error *err)
{
    char *s = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (!s)
        return synth_error_set(err, SYNTH_ENOMEM, "out of memory");
    fputs("<script type=\"application/json\" id=\"", out);
    html_put_text(out, id);
    fputs("\">", out);
    for (const char *p = s; *p; p++) {
        if (*p == '<')
            fputs("\\u003c", out);
        else if (*p == '>')
            fputs("\\u003e", out);
        else if (*p == '&')
            fputs("\\u0026", out);
        else
            fputc(*p, out);
    }
    fputs("</script>\n", out);
    free(s);
    return 0;
}
