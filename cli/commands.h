/*
 * commands.h -- the capsim commands.  Each returns the process exit code
 * of shared/spec.md; only main() exits.
 */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

#include "pricing/catalog.h"
#include "reports/results.h"
#include "base/diag.h"

enum cli_exit {
    CLI_OK = 0,
    CLI_CHECK_FAILED = 1,
    CLI_USAGE = 2,
    CLI_BAD_INPUT = 3,
    CLI_RUNTIME = 4
};

/*
 * `run --live`: the agent runtime's part, which main() hands in when the
 * build has the runtime (the library knows nothing of agent-harness).
 * `run` sends the scenario's messages through the core and fills each
 * deployment's `live`; SIM_EINVAL (the scenario cannot run live, said in
 * err), SIM_EIO (the core failed) or SIM_ENOMEM otherwise.
 */
struct rpt_results;
typedef struct cli_live {
    int (*run)(struct rpt_results *r, const char *agent, double speedup,
               char *err, size_t errlen);
} cli_live;

int cli_run(int argc, char **argv, const cli_live *live);
int cli_check(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_report(int argc, char **argv);
/* Another kind of file validate knows (agent configs: cli/main.c). */
typedef struct cli_validator {
    int (*claims)(const char *path);            /* is it one of mine? */
    int (*check)(const char *path, sim_diag *d);    /* SIM_OK or why not */
} cli_validator;

int cli_validate(int argc, char **argv, const cli_validator *extra);
int cli_pricing(int argc, char **argv);
int cli_help(const char *command);

/* Shared by the commands (cli/commands.c). */

typedef struct cli_run_opts {
    const char *scenario;
    enum rpt_format format;
    const char *out;
    const char *pricing;
    long long seed;             /* < 0: the scenario's */
    long long replications;     /* <= 0: the scenario's */
    int quiet;
    int charts;                 /* --charts: gnuplot must draw them */
    const char *const *sets;    /* PATH=VALUE overrides (--set, sweeps) */
    size_t nsets;
    /* The stale-catalog warning is printed while *age_warned is 0, which
     * it then sets: a command running many scenarios points every run at
     * one flag and warns once.  NULL: warn on every run. */
    int *age_warned;
    const char *profile;        /* --profile: a measured profile */
    int live;                   /* run --live */
    const char *agent;          /* its agent config (NULL: the default) */
    double speedup;             /* its speed-up (<= 0: fit ~20 s) */
} cli_run_opts;

/* Loads and runs a scenario; on failure NULL and *code is the exit code. */
rpt_results *cli__run_scenario(const cli_run_opts *o, scn_scenario **sp,
                               price_catalog **cp, int *code);
/* Prints "capsim CMD: MESSAGE" and a pointer to help; returns CLI_USAGE. */
int cli__usage_error(const char *cmd, const char *fmt, const char *arg);
/* Writes DIR/NAME through a temporary file and a rename; 0 or -1. */
int cli__write_atomic(const char *dir, const char *name, const char *text);
int cli__parse_count(const char *s, long long *out);
/* Prints FILE:LINE:COL: error: MESSAGE for byte `at` of a JSON text. */
void cli__json_error(const char *path, const char *text, size_t at,
                     const char *message);
/* mkdir -p; 0 or -1 with errno set. */
int cli__mkdir_p(const char *dir);
/* Writes results.json and the reports (report.c) of a results document
 * into DIR; `charts` makes a missing gnuplot an error.  An exit code. */
int cli__render_outputs(const char *json, const char *dir, int charts,
                        int quiet);

#endif
