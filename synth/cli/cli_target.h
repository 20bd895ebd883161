/* The options of the commands that test a deployment (`run`, `check`):
 * `--lab | --target FILE`, `--lab-config`, `--fault`, `--out`, and starting
 * the embedded lab they name. */
#ifndef SYNTH_CLI_TARGET_H
#define SYNTH_CLI_TARGET_H

#include "reports/discovery_report.h"
#include "synth/base/err.h"
#include "synth/config/target.h"
#include "synth/dns/sip_discovery.h"
#include "synth/lab/lab.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --fault options one command line may hold. */
#define CLI_FAULTS_MAX 32
#define CLI_OUT_DIR_MAX 1024

struct cli_target_args {
    const char *target_path;
    bool lab;
    const char *lab_config_path;
    const char *faults[CLI_FAULTS_MAX];
    size_t fault_count;
    char out_dir[CLI_OUT_DIR_MAX];
};

/* The getopt_long entries, for a command's option table. */
#define CLI_TARGET_OPTIONS                                                                    \
    {"target", required_argument, NULL, 't'}, {"lab", no_argument, NULL, 'l'},               \
        {"lab-config", required_argument, NULL, 'c'},                                         \
        {"fault", required_argument, NULL, 'f'}, {"out", required_argument, NULL, 'o'}

/* Takes getopt's ch when it is one of CLI_TARGET_OPTIONS: 1 taken, 0 not
 * one of these, -1 refused (the message printed, naming cmd). */
int cli_target_option(struct cli_target_args *a, int ch, const char *arg, const char *cmd);

/* After the options: --target excludes the lab's options, the lab is the
 * default, and DIR defaults to results/<prefix>-<UTC time>. 0, or -1 with
 * the message printed. */
int cli_target_args_finish(struct cli_target_args *a, const char *cmd, const char *prefix);

/* Starts the lab of a (its configuration, its faults, at least min_users
 * users; state in OUT/lab) and fills t with it as a target. Caller stops
 * *lab with lab_stop and frees t with target_free. */
int cli_target_lab_start(const struct cli_target_args *a, uint32_t min_users, struct lab **lab,
                         struct target *t, struct synth_error *err);

/* When t has discover:, finds its endpoints by DNS (filling what the file
 * left out) and says in needs what depended on it; path_used[p] says whether
 * users take path p. 0 with *done false when there is nothing to discover;
 * an error only for a resolver that cannot be made (bad input). */
int cli_target_discover(struct target *t, const bool path_used[ACCESS_PATH_COUNT],
                        struct sip_discovery *d, struct discovery_needs *needs, bool *done,
                        struct synth_error *err);

#endif
