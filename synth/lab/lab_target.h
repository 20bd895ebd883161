/* The lab described as a target: the struct synth run uses with --lab, and
 * a target YAML file (synth lab --write-target) that target_load reads back
 * for runs against a lab started elsewhere. */
#ifndef SYNTH_LAB_TARGET_H
#define SYNTH_LAB_TARGET_H

#include "synth/base/err.h"
#include "synth/config/target.h"
#include "synth/lab/lab.h"

/* Fills t (overwritten, not freed first): name "lab", the lab's domain, the
 * Front End's TLS endpoint as registrar (ca_file = state_dir/ca.pem,
 * server_name = the FE certificate's CN), the voicemail URI pattern and
 * the lab's users with their password. Caller frees with target_free. */
int lab_target_fill(const struct lab *lab, struct target *t, struct synth_error *err);

/* Writes the same as a target YAML file (mode 0600: it holds the lab
 * password). Keys target_load does not know are under `lab:` (ports of
 * every listener, state directory); the loader must skip that section. */
int lab_target_write(const struct lab *lab, const char *path, struct synth_error *err);

#endif
