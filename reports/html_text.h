/* Text into an HTML page: escaped element content and attribute values, and
 * JSON data blocks that no string inside them can close (HTML Living
 * Standard, 4.12.1.3 "Restrictions for contents of script elements"). */
#ifndef SYNTH_REPORTS_HTML_TEXT_H
#define SYNTH_REPORTS_HTML_TEXT_H

#include "synth/base/err.h"

#include <jansson.h>
#include <stdio.h>

/* s (NULL: nothing) as element content or a quoted attribute value: & < > "
 * ' as character references, control characters but tab and line feed as
 * '?'. Peers' texts (reason phrases, ms-diagnostics) reach here. */
void html_put_text(FILE *out, const char *s);

/* doc as compact JSON inside <script type="application/json" id="ID">, with
 * every <, > and & written \u003c, \u003e, \u0026 (they only occur inside
 * JSON strings, where the escape means the same), so "</script>" or "<!--"
 * in a value stays data. 0, or SYNTH_ENOMEM. */
int html_put_json_script(FILE *out, const char *id, const json_t *doc, struct synth_error *err);

#endif
