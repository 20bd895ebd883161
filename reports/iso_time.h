/* Reading ISO 8601 / RFC 3339 date-times back (certificates' not_after,
 * events' ts): what the report writers and the summary rebuild share. */
#ifndef SYNTH_REPORTS_ISO_TIME_H
#define SYNTH_REPORTS_ISO_TIME_H

#include "synth/base/err.h"

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)"
 * (RFC 3339 section 5.6; 't' and ' ' accepted for 'T'); 0 or SYNTH_EINVAL.
 * No time zone other than an explicit offset: a zoneless time is refused. */
int iso_time_parse(const char *s, double *epoch_s);

#endif
