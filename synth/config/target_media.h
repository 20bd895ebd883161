/* Loading a target's `media:` section (struct target_media, target.h). */
#ifndef SYNTH_CONFIG_TARGET_MEDIA_H
#define SYNTH_CONFIG_TARGET_MEDIA_H

#include "synth/config/target.h"
#include "synth/config/yaml_doc.h"

/* Fills the defaults, then what root's `media:` says; relative paths are
 * taken from base_dir. Errors name file, line and key. */
int target_media_load(struct target_media *m, const struct ynode *root, const char *base_dir,
                      struct synth_error *err);

#endif
