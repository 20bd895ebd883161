/* ISO 8601 times as summary.json and events.jsonl hold them (the RFC 3339
 * profile, section 5.6): "2027-01-31T12:00:00Z", with fraction or offset. */
#include "iso_time.h"

#include <string.h>
#include <time.h>

static int two(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

int iso_time_parse(const char *s, double *epoch_s)
{
    int y1, y2, mo, d, h, mi, sec, oh = 0, om = 0;
    double frac = 0;
    const char *p;

    /* YYYY-MM-DDTHH:MM:SS, fixed widths (RFC 3339 section 5.6). */
    if (!s || strlen(s) < 20 || two(s, &y1) || two(s + 2, &y2) || s[4] != '-' ||
        two(s + 5, &mo) || s[7] != '-' || two(s + 8, &d) || (s[10] != 'T' && s[10] != 't' &&
        s[10] != ' ') || two(s + 11, &h) || s[13] != ':' || two(s + 14, &mi) || s[16] != ':' ||
        two(s + 17, &sec))
        return SYNTH_EINVAL;
    p = s + 19;
    if (*p == '.') {
        double scale = 0.1;
        if (p[1] < '0' || p[1] > '9')
            return SYNTH_EINVAL;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && !two(p + 1, &oh) && p[3] == ':' && !two(p + 4, &om)) {
        int sign = *p == '-' ? -1 : 1;
        oh *= sign;
        om *= sign;
        p += 6;
    } else {
        return SYNTH_EINVAL;
    }
    /* A leap second (:60) is allowed by RFC 3339; timegm folds it. */
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
        oh < -23 || oh > 23 || om < -59 || om > 59)
        return SYNTH_EINVAL;
    struct tm tm = {.tm_year = y1 * 100 + y2 - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 && !(y1 == 19 && y2 == 69))
        return SYNTH_EINVAL;
    *epoch_s = (double)t - (oh * 3600.0 + om * 60.0) + frac;
    return 0;
}
