/* Commands whose engine lands in the next commits of issue #2. */
#include "cli.h"

#include <stdio.h>

int cli_run(int argc, char **argv)
{
    fprintf(stderr, "synth run: the engine is not built yet (issue #2 in progress)\n");
    return EXIT_UNKNOWN;
}

int cli_lab(int argc, char **argv)
{
    fprintf(stderr, "synth lab: the lab is not built yet (issue #2 in progress)\n");
    return EXIT_UNKNOWN;
}
