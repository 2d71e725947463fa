/*
 * commands.h -- the capsim commands.  Each returns the process exit code
 * of shared/spec.md; only main() exits.
 */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

#include "base/diag.h"
#include "cli/common.h"
#include "cli/help.h"



/*
 * `run --live`: the agent runtime's part, which main() hands in when the
 * build has the runtime (the library knows nothing of agent-harness).
 * `run` sends the scenario's messages through the core and fills each
 * deployment's `live`; SIM_EINVAL (the scenario cannot run live, said in
 * err), SIM_EIO (the core failed) or SIM_ENOMEM otherwise.
 */
struct run_results;
typedef struct cli_live {
    int (*run)(struct run_results *r, const char *agent, double speedup,
               char *err, size_t errlen);
} cli_live;

/* run, check and sweep spread their simulations over the ranks of `dist`
 * (NULL: one process; see run/dist.h). */
int cli_run(int argc, char **argv, const cli_live *live, run_dist *dist);
int cli_check(int argc, char **argv, run_dist *dist);
int cli_sweep(int argc, char **argv, run_dist *dist);
int cli_report(int argc, char **argv);
/* Another kind of file validate knows (agent configs: cli/main.c). */
typedef struct cli_validator {
    int (*claims)(const char *path);            /* is it one of mine? */
    int (*check)(const char *path, sim_diag *d);    /* SIM_OK or why not */
} cli_validator;

int cli_validate(int argc, char **argv, const cli_validator *extra);
int cli_pricing(int argc, char **argv);

#endif
