/* What the commands share: process set-up and small argument helpers. */
#ifndef SYNTH_CLI_COMMON_H
#define SYNTH_CLI_COMMON_H

#include "synth/base/err.h"

#include <stdint.h>

/* Once per process: libevent threading, SIGPIPE ignored, the open-file
 * limit raised to its hard maximum (one socket per synthetic user). */
void cli_init_process(void);

/* Decimal in [min, max]; 0 or SYNTH_EINVAL. */
int cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* mkdir -p. */
int cli_mkdirs(const char *path, struct synth_error *err);

#endif
