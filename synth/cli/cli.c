/* `synth COMMAND ...`: finds the command and hands it its arguments. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command COMMANDS[] = {
    {"run", cli_run, "run a scenario against a target (or the embedded lab) and judge it"},
    {"report", cli_report, "re-render a results directory: terminal, JUnit, Prometheus, CSV, Nagios"},
    {"merge", cli_merge, "combine the results of the shards of one run (synth run --shard K/N)"},
    {"lab", cli_lab, "run the embedded lab deployment on loopback until stopped"},
    {"version", cli_version, "print the version"},
    {"check", cli_check, "inspect and judge the certificates of the target's TLS endpoints"},
    {"exporter", cli_exporter, "serve Prometheus probes (/probe?module=&target=), like blackbox_exporter"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: synth COMMAND [OPTIONS]\n\n"
                 "Synthetic users for Skype for Business / Lync style deployments: they\n"
                 "register over SIP/TLS and call voicemail, and synth measures and judges it.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++)
        fprintf(out, "  %-8s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\n'synth COMMAND --help' describes a command.\n"
                 "Exit codes (Nagios): 0 ok, 1 warning, 2 critical, 3 unknown.\n");
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_UNKNOWN;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cli_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "synth: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_UNKNOWN;
}

int cli_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: synth version\n\nPrints synth's version.\n");
        return EXIT_OK;
    }
    printf("synth %s\n", SYNTH_VERSION);
    return EXIT_OK;
}
