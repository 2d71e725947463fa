/*
 * commands.h -- the capsim commands.  Each returns the process exit code
 * of shared/spec.md; only main() exits.
 */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

enum cli_exit {
    CLI_OK = 0,
    CLI_CHECK_FAILED = 1,
    CLI_USAGE = 2,
    CLI_BAD_INPUT = 3,
    CLI_RUNTIME = 4
};

int cli_run(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_pricing(int argc, char **argv);
int cli_help(const char *command);

#endif
