/* Defensive accessors over summary.json (JSON, RFC 8259) for the writers. */
#include "summary_view.h"

#include "reports/verdict.h"

#include <math.h>

const char *sview_str(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

bool sview_num(const json_t *o, const char *key, double *v)
{
    const json_t *j = json_object_get(o, key);
    if (!json_is_number(j) || !isfinite(json_number_value(j)))
        return false;
    *v = json_number_value(j);
    return true;
}

int sview_exit_code(const json_t *summary)
{
    enum verdict_level level;
    double code;

    if (verdict_from_name(sview_str(summary, "verdict", ""), &level) == 0)
        return (int)level;
    if (sview_num(summary, "exit_code", &code) && code >= 0 && code <= 3 && code == floor(code))
        return (int)code;
    return VERDICT_UNKNOWN;
}
