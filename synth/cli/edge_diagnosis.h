/* `synth run`'s diagnosis of Edge calls without media: when calls through
 * the Edge connected with no media, the target's UM endpoints (checks: with
 * role um) are checked at once, their certificate findings join the run's,
 * and the field failure (the UM's Subject CN is not its FQDN) is named as
 * um-cert-breaks-edge-media (reports/edge_media_findings.h). */
#ifndef SYNTH_CLI_EDGE_DIAGNOSIS_H
#define SYNTH_CLI_EDGE_DIAGNOSIS_H

#include "reports/verdict.h"
#include "synth/config/scenario.h"
#include "synth/config/target.h"
#include "synth/engine/run_stats.h"

#include <jansson.h>

struct lab;

struct edge_diagnosis_input {
    const struct target *target;
    struct lab *lab;                    /* the embedded lab, or NULL */
    const struct scenario *scenario;
    const struct run_stats *total;
    const struct run_stats *path_stats; /* [ACCESS_PATH_COUNT] with several paths, else NULL */
};

/* Adds the findings to v and sets *certs (summary.json "certificates", new
 * reference) when UM endpoints were checked, else NULL. Nothing happens
 * unless Edge calls had no media. 0, or SYNTH_ENOMEM / a bad CA file. */
int edge_diagnosis_run(const struct edge_diagnosis_input *in, struct verdict *v, json_t **certs,
                       struct synth_error *err);

#endif
