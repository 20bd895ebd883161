/* Command-line entry: dispatches `synth COMMAND` to one file per command. */
#ifndef SYNTH_CLI_H
#define SYNTH_CLI_H

/* Exit codes follow the Nagios plugin convention (monitoring keys on them). */
enum synth_exit {
    EXIT_OK = 0,
    EXIT_WARNING = 1,
    EXIT_CRITICAL = 2,
    EXIT_UNKNOWN = 3,
};

int cli_main(int argc, char **argv);

int cli_run(int argc, char **argv);
int cli_lab(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_version(int argc, char **argv);
int cli_exporter(int argc, char **argv);
int cli_check(int argc, char **argv);

#endif
