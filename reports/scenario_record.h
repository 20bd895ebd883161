/* The scenario as a results directory records it: a copy (DIR/scenario.yaml)
 * and its SHA-256, so `synth merge` can tell shards of one scenario from
 * shards of two, and judge the merged figures by the scenario's thresholds
 * without being handed the file again. */
#ifndef SYNTH_REPORTS_SCENARIO_RECORD_H
#define SYNTH_REPORTS_SCENARIO_RECORD_H

#include "synth/base/err.h"

#include <stddef.h>

/* The copy's name inside a results directory. */
#define SCENARIO_RECORD_FILE "scenario.yaml"
/* A SHA-256 in lower-case hex and its NUL. */
#define SCENARIO_RECORD_HEX 65
/* A scenario is a page of YAML; a file this large is not one (and is not
 * copied into every results directory). */
#define SCENARIO_RECORD_MAX (1024 * 1024)

/* The SHA-256 of the file's bytes into hex. SYNTH_EIO, SYNTH_ETOOBIG. */
int scenario_record_digest(const char *path, char hex[SCENARIO_RECORD_HEX],
                           struct synth_error *err);

/* Copies scenario_path to dir/scenario.yaml and gives its SHA-256. */
int scenario_record_keep(const char *scenario_path, const char *dir,
                         char hex[SCENARIO_RECORD_HEX], struct synth_error *err);

#endif
