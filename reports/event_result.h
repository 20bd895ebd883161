/* An events.jsonl object read back into a struct step_result, the inverse of
 * event_json: what `synth report` needs to rebuild the statistics of a run
 * that was killed before it wrote summary.json. */
#ifndef SYNTH_REPORTS_EVENT_RESULT_H
#define SYNTH_REPORTS_EVENT_RESULT_H

#include "synth/base/err.h"
#include "synth/engine/step_result.h"

#include <jansson.h>
#include <stdint.h>

/* The wall-clock start of the event (its "ts") in ms since the epoch, minus
 * its start lag: when the step was meant to start. SYNTH_EINVAL without a
 * readable ts. */
int event_result_intended_ms(const json_t *ev, int64_t *ms);

/* Fills r from ev, times relative to run_start_ms (the wall clock at the
 * run's start). What events.jsonl does not keep stays as step_result_init
 * leaves it: the DSCP expected (so no DSCP check counts), whether the far
 * end sent RTCP without a report on us. Texts are cut at their bounds.
 * 0, or SYNTH_EINVAL naming the key ("step", "outcome", "class", ...) that
 * is missing or unknown in err. */
int event_result_parse(const json_t *ev, int64_t run_start_ms, struct step_result *r,
                       struct synth_error *err);

#endif
