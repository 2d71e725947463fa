/*
 * help.h -- `capsim help [COMMAND]` and each command's --help text.
 */
#ifndef CLI_HELP_H
#define CLI_HELP_H

/* Prints the overview or COMMAND's help on stdout; CLI_OK, or CLI_USAGE
 * for a command there is no help for. */
int cli_help(const char *command);

#endif
