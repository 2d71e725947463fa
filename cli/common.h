/*
 * common.h -- what the capsim commands share: exit codes, the options of
 * a run, loading and running a scenario, writing outputs.  Every command
 * file uses this and help.h; none calls another command's file.
 */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include "base/diag.h"
#include "cli/progress.h"
#include "pricing/catalog.h"
#include "reports/results.h"
#include "run/jobs.h"

/* A command's exit code, with "capsim CMD: out of memory" said on stderr
 * when it is a run-time failure and an allocation failed since
 * `failures` (sim_alloc_failures() when the command started): the places
 * that give up on a failed allocation return the code and leave the
 * saying to the command. */
int cli__gave_up(const char *cmd, unsigned long failures, int code);
/* `code`, or CLI_RUNTIME when an allocation has failed since `failures`:
 * checked before a command prints or writes what it computed, so output
 * built past a failed allocation (a missing node, a cut string) is never
 * shown as a result. */
int cli__intact(unsigned long failures, int code);

enum cli_exit {
    CLI_OK = 0,
    CLI_CHECK_FAILED = 1,
    CLI_USAGE = 2,
    CLI_BAD_INPUT = 3,
    CLI_RUNTIME = 4
};

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
    unsigned jobs;              /* --jobs: threads (0: one per core) */
    /* The command's threads and progress line (cli__jobs_start); NULL:
     * the simulations run on the command's thread, with no line. */
    run_jobs *pool;
    cli_progress *progress;
    /* The MPI job this process is a rank of (cli/main.c); NULL: one
     * process.  Every rank runs the command alike; only rank 0 writes
     * files (cli__writes) and prints (main.c silences the others). */
    run_dist *dist;
} cli_run_opts;

/* Whether this process writes the command's files: always in one
 * process, on rank 0 alone in an MPI job. */
int cli__writes(const cli_run_opts *o);

/* The most threads --jobs takes. */
#define CLI_MAX_JOBS 1024
#define CLI_MAX_JOBS_TEXT "1024"

/* The scenario's catalog (or `cli_ref`, a name or path given on the
 * command line), rates applied; errors in `d`. */
int cli__load_catalog(const scn_scenario *s, const char *cli_ref,
                      sim_diag *d, price_catalog **out /* OUT */);
/* Warns once (while *warned is 0, or always with NULL) that the catalog
 * is more than a year old, unless quiet. */
void cli__warn_age(const price_catalog *c, int quiet, int *warned);
/* Loads and runs a scenario, on o->pool with o->progress when the
 * command started them; on failure NULL and *code is the exit code. */
run_results *cli__run_scenario(const cli_run_opts *o, scn_scenario **sp,
                               price_catalog **cp, int *code);
/* Prints "capsim CMD: MESSAGE" and a pointer to help; returns CLI_USAGE. */
int cli__usage_error(const char *cmd, const char *fmt, const char *arg);
/* Writes DIR/NAME through a temporary file and a rename; 0 or -1. */
int cli__write_atomic(const char *dir, const char *name, const char *text);
int cli__parse_count(const char *s, long long *out);
/* --jobs N: *out, or a usage error of `cmd` (exit 2, said on stderr)
 * when N is not a whole number from 1 to CLI_MAX_JOBS. */
int cli__parse_jobs(const char *cmd, const char *arg, unsigned *out);
/* Starts the command's pool of o->jobs threads (0: one per online core;
 * none for one) and its progress line over `parts` scenarios, each a
 * `part` ("point"; NULL for one).  An exit code; on failure nothing is
 * left started.  cli__jobs_stop joins the threads and erases the line
 * (idempotent). */
int cli__jobs_start(cli_run_opts *o, const char *cmd, const char *part,
                    size_t parts);
void cli__jobs_stop(cli_run_opts *o);
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
