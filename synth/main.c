/* synth: command dispatch only. */
#include "synth/cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
