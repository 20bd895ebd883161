/* Loading a target's `web:` section (struct target_web, target.h): the
 * Front End's internal and external web sites and the URLs each should
 * answer on. docs/configuration.md, "web". */
#ifndef SYNTH_CONFIG_TARGET_WEB_H
#define SYNTH_CONFIG_TARGET_WEB_H

#include "synth/config/target.h"
#include "synth/config/yaml_doc.h"

/* A probe must end for cron: no more than a minute each. */
#define TARGET_WEB_TIMEOUT_MS 5000
#define TARGET_WEB_TIMEOUT_MAX_MS 60000

/* Fills w from root's `web:` (disabled when absent); relative paths are
 * taken from base_dir. Errors name file, line and key. */
int target_web_load(struct target_web *w, const struct ynode *root, const char *base_dir,
                    struct synth_error *err);

/* The `tls:` mapping of parent (server_name, ca_file, client_cert,
 * client_key, verify) as every endpoint of a target reads it (target.c). */
int target_tls_load(const struct ynode *parent, const char *base_dir, struct target_tls *tls,
                    struct synth_error *err);

#endif
