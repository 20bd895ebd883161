/* `synth lab [--config LAB.yaml] [--fault KEY=VALUE]... [--write-target FILE]`:
 * runs the embedded lab in the foreground until SIGINT/SIGTERM. */
#include "cli.h"

#include "synth/cli/cli_common.h"
#include "synth/lab/lab.h"
#include "synth/lab/lab_config.h"
#include "synth/lab/lab_target.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void lab_usage(FILE *out)
{
    fprintf(out,
            "usage: synth lab [--config LAB.yaml] [--fault KEY=VALUE]... [--write-target FILE]\n"
            "                 [--state-dir DIR]\n\n"
            "Runs the embedded lab (a Front End registrar/proxy on UDP, TCP and TLS, an\n"
            "Exchange UM voicemail server on TLS, an Edge access proxy on TLS and a TURN\n"
            "relay on UDP and TCP) on loopback until SIGINT or SIGTERM.\n"
            "Prints 'lab ready' and its endpoints once listening.\n\n"
            "options:\n"
            "  --config FILE        lab configuration (see docs/lab.md)\n"
            "  --fault KEY=VALUE    a fault knob, repeatable: register_reject=403|503,\n"
            "                       register_retry_after_s=N, answer_delay_ms=N,\n"
            "                       never_answer=true, bye_after_ms=N,\n"
            "                       proxy_idle_timeout_s=N, ucwa_app_expiry_s=N,\n"
            "                       ucwa_token_expiry_s=N, web_ports_swapped=1,\n"
            "                       turn_refuse_allocate=486|508, turn_drop_relayed=true,\n"
            "                       mras_refuse_users=true\n"
            "                       (docs/lab.md lists them all)\n"
            "  --write-target FILE  write a target file describing the lab (for synth run\n"
            "                       --target, or a person)\n"
            "  --state-dir DIR      where the lab writes its CA (default: lab-state)\n"
            "  -h, --help           this text\n");
}

static volatile sig_atomic_t lab_signal;

static void on_signal(int sig)
{
    lab_signal = sig;
}

int cli_lab(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},  {"fault", required_argument, NULL, 'f'},
        {"write-target", required_argument, NULL, 'w'},
        {"state-dir", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *write_target = NULL, *state_dir = "lab-state";
    const char *faults[32];
    size_t fault_count = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': config = optarg; break;
        case 'f':
            if (fault_count == sizeof(faults) / sizeof(faults[0])) {
                fprintf(stderr, "synth lab: too many --fault options\n");
                return EXIT_UNKNOWN;
            }
            faults[fault_count++] = optarg;
            break;
        case 'w': write_target = optarg; break;
        case 's': state_dir = optarg; break;
        case 'h': lab_usage(stdout); return EXIT_OK;
        default: lab_usage(stderr); return EXIT_UNKNOWN;
        }
    }
    if (optind != argc) {
        lab_usage(stderr);
        return EXIT_UNKNOWN;
    }
    cli_init_process();
    struct synth_error err = {{0}};
    struct lab_config cfg;
    lab_config_defaults(&cfg);
    if (config && lab_config_load(&cfg, config, &err) != 0) {
        fprintf(stderr, "synth lab: %s\n", err.msg);
        return EXIT_UNKNOWN;
    }
    for (size_t i = 0; i < fault_count; i++) {
        if (lab_config_set_fault(&cfg, faults[i], &err) != 0) {
            fprintf(stderr, "synth lab: --fault %s: %s\n", faults[i], err.msg);
            return EXIT_UNKNOWN;
        }
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct lab *lab = NULL;
    if (cli_mkdirs(state_dir, &err) != 0 || lab_start(&lab, &cfg, state_dir, &err) != 0) {
        fprintf(stderr, "synth lab: %s\n", err.msg);
        return EXIT_UNKNOWN;
    }
    if (write_target && lab_target_write(lab, write_target, &err) != 0) {
        fprintf(stderr, "synth lab: %s\n", err.msg);
        lab_stop(lab);
        return EXIT_UNKNOWN;
    }
    struct lab_endpoints ep;
    lab_endpoints(lab, &ep);
    printf("lab ready: domain %s, front end %s udp:%u tcp:%u tls:%u, um tls:%u, "
           "edge tls:%u, turn udp:%u tcp:%u, %u users, CA %s\n",
           cfg.domain, ep.host, ep.udp_port, ep.tcp_port, ep.tls_port, ep.um_port,
           ep.edge_port, ep.turn_udp_port, ep.turn_tcp_port, cfg.user_count, lab_ca_file(lab));
    printf("lab web: ucwa https:%u, proxy https:%u, internal site https:%u http:%u, "
           "external site https:%u http:%u%s\n",
           ep.ucwa_port, ep.proxy_port, ep.web_internal_https, ep.web_internal_http,
           ep.web_external_https, ep.web_external_http,
           cfg.faults.web_ports_swapped ? " (each served by the other site)" : "");
    if (write_target)
        printf("target written to %s\n", write_target);
    fflush(stdout);
    while (!lab_signal) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    struct lab_counters c;
    lab_counters(lab, &c);
    lab_stop(lab);
    printf("lab stopped (signal %d): %llu registrations ok, %llu rejected, %llu invites, "
           "%llu answered, %llu byes\n",
           (int)lab_signal, (unsigned long long)c.reg_ok, (unsigned long long)c.reg_rejected,
           (unsigned long long)c.invites, (unsigned long long)c.answered,
           (unsigned long long)c.byes);
    printf("lab media: %llu dtmf keys received, %llu UM answers with a relay candidate, "
           "%llu UM calls without an ICE pair\n",
           (unsigned long long)c.dtmf_keys, (unsigned long long)c.um_relay_candidates,
           (unsigned long long)c.um_ice_failed);
    printf("lab edge: %llu requests relayed\n", (unsigned long long)c.edge_requests);
    printf("lab mras: %llu credentials granted, %llu refused; users: %llu granted, "
           "%llu refused\n",
           (unsigned long long)c.mras_granted, (unsigned long long)c.mras_refused,
           (unsigned long long)c.mras_user_granted, (unsigned long long)c.mras_user_refused);
    printf("lab turn: %llu allocations (%llu released by their client), %llu packets relayed "
           "to peers, %llu from peers, %llu dropped, %llu unreachable (the inside network)\n",
           (unsigned long long)c.turn_allocations, (unsigned long long)c.turn_released,
           (unsigned long long)c.turn_to_peers, (unsigned long long)c.turn_from_peers,
           (unsigned long long)c.turn_dropped, (unsigned long long)c.turn_unreachable);
    if (cfg.turn_msturn)
        printf("lab turn: %llu TCP connections opened with pseudo-TLS\n",
               (unsigned long long)c.turn_pseudo_tls);
    if (cfg.turn_pool_redirect)
        printf("lab turn pool: %llu Allocates sent on to the relay by the first Edge\n",
               (unsigned long long)c.turn_redirected);
    return EXIT_OK;
}
