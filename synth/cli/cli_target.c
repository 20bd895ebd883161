/* `--lab | --target` and the lab's options, shared by `synth run` and
 * `synth check` so both read them, and start the lab, the same way. */
#include "cli_target.h"

#include "synth/cli/cli_common.h"
#include "synth/config/target_discovery.h"
#include "synth/lab/lab_config.h"
#include "synth/lab/lab_target.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int cli_target_option(struct cli_target_args *a, int ch, const char *arg, const char *cmd)
{
    switch (ch) {
    case 't': a->target_path = arg; return 1;
    case 'l': a->lab = true; return 1;
    case 'c': a->lab_config_path = arg; return 1;
    case 'o': snprintf(a->out_dir, sizeof(a->out_dir), "%s", arg); return 1;
    case 'f':
        if (a->fault_count == CLI_FAULTS_MAX) {
            fprintf(stderr, "synth %s: too many --fault options\n", cmd);
            return -1;
        }
        a->faults[a->fault_count++] = arg;
        return 1;
    default:
        return 0;
    }
}

int cli_target_args_finish(struct cli_target_args *a, const char *cmd, const char *prefix)
{
    if (a->target_path && (a->lab || a->lab_config_path || a->fault_count)) {
        fprintf(stderr, "synth %s: --target and --lab/--lab-config/--fault exclude each other\n",
                cmd);
        return -1;
    }
    if (!a->target_path)
        a->lab = true;
    if (!a->out_dir[0]) {
        char fmt[64];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(fmt, sizeof(fmt), "results/%s-%%Y%%m%%d-%%H%%M%%S", prefix);
        strftime(a->out_dir, sizeof(a->out_dir), fmt, &tm);
    }
    return 0;
}

int cli_target_lab_start(const struct cli_target_args *a, uint32_t min_users, struct lab **lab,
                         struct target *t, struct synth_error *err)
{
    struct lab_config cfg;
    char state_dir[CLI_OUT_DIR_MAX + 8];
    int rc;

    lab_config_defaults(&cfg);
    if (a->lab_config_path && (rc = lab_config_load(&cfg, a->lab_config_path, err)))
        return rc;
    for (size_t i = 0; i < a->fault_count; i++)
        if ((rc = lab_config_set_fault(&cfg, a->faults[i], err)))
            return rc;
    if (cfg.user_count < min_users)
        cfg.user_count = min_users;
    snprintf(state_dir, sizeof(state_dir), "%s/lab", a->out_dir);
    if ((rc = cli_mkdirs(state_dir, err)) || (rc = lab_start(lab, &cfg, state_dir, err)))
        return rc;
    return lab_target_fill(*lab, t, err);
}

int cli_target_discover(struct target *t, const bool path_used[ACCESS_PATH_COUNT],
                        struct sip_discovery *d, struct discovery_needs *n, bool *done,
                        struct synth_error *err)
{
    *done = false;
    if (!t->discover.enabled)
        return 0;
    memset(n, 0, sizeof(*n));
    memcpy(n->path_used, path_used, sizeof(n->path_used));
    n->path_by_dns[ACCESS_INTERNAL] = t->registrar_by_dns;
    n->path_by_dns[ACCESS_EDGE] = !t->has_edge;
    n->configured[ACCESS_INTERNAL] = t->registrar_by_dns ? NULL : &t->registrar;
    n->configured[ACCESS_EDGE] = t->has_edge ? &t->edge : NULL;
    struct dns_opts o = {.servers = t->discover.dns_servers};
    int rc = sip_discovery_run(d, t->sip_domain, &o, t->discover.timeout_ms, err);
    if (rc != 0)
        return rc;
    *done = true;
    target_apply_discovery(t, d);
    return 0;
}
