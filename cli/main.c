/*
 * main.c -- the capsim command line.  The only place that picks an exit
 * code.
 */
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "capsim_version.h"
#include "base/alloc.h"
#include "cli/commands.h"
#include "reports/results.h"
#include "run/dist.h"

#ifdef CAPSIM_HAS_AGENT
#include <curl/curl.h>

#include "agent-harness/calibrate.h"
#include "agent-harness/config.h"
#include "agent-harness/live.h"
#include "agent-harness/serve.h"

static int agent_check(const char *path, sim_diag *d)
{
    ag_config *c = NULL;
    int rc = ag_config_load(path, d, &c);
    ag_config_free(c);
    return rc;
}

static const cli_validator agent_configs = {ag_config_sniff, agent_check};
#define AGENT_VALIDATOR (&agent_configs)

/* capsim agent serve --config AGENT.yaml [--port N] */
static int cli_agent(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "serve") == 0) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        int code = ag_serve_main(argc - 1, argv + 1);
        curl_global_cleanup();
        return code;
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0))
        return cli_help("agent");
    fprintf(stderr, "capsim agent: expected 'serve --config AGENT.yaml "
            "[--port N]' (see 'capsim help agent')\n");
    return CLI_USAGE;
}

/* capsim calibrate: the server it measures is this very binary. */
static int cli_calibrate(int argc, char **argv)
{
    return ag_cal_main(argc, argv, "/proc/self/exe", AG_CAL_DEFAULT_AGENT);
}

static void live_pair(run_live_pair *to, const harness_live_pair *from)
{
    to->measured = from->measured;
    to->modelled = from->modelled;
}

/* run --live: the scenario's messages through the agent core, which runs
 * as this very binary; each deployment gets the comparison. */
static int live_runner_fn(struct run_results *r, const char *agent, double speedup,
                    char *err, size_t errlen)
{
    harness_live_opts o;
    harness_live l;
    sim_diag d;
    ag_config *cfg = NULL;
    harness_live_opts_init(&o);
    o.exe = "/proc/self/exe";
    o.agent_path = agent ? agent : AG_CAL_DEFAULT_AGENT;
    o.speedup = speedup;
    o.child_err = stderr;
    /* A bad config is the user's input: say where, before starting it. */
    sim_diag_init(&d);
    int rc = ag_config_load(o.agent_path, &d, &cfg);
    sim_diag_print(&d, stderr);
    sim_diag_fini(&d);
    ag_config_free(cfg);
    if (rc != SIM_OK) {
        snprintf(err, errlen, "the agent config %s is not valid",
                 o.agent_path);
        return rc == SIM_ENOMEM ? rc : SIM_EINVAL;
    }
    if ((rc = harness_live_run(r->scn, &o, &l, err, errlen)) != SIM_OK)
        return rc;
    for (size_t i = 0; i < r->n; i++) {
        run_live *to = &r->d[i].live;
        harness_live_view v;
        harness_live_compare(&l, r->scn, &r->d[i].pd, &v);
        to->present = 1;
        to->speedup = l.speedup;
        to->sent = l.n;
        to->completed = l.completed;
        to->errors = l.errors;
        snprintf(to->first_error, sizeof to->first_error, "%s",
                 l.first_error);
        to->sleeps = v.sleeps;
        live_pair(&to->busy_s, &v.busy_s);
        live_pair(&to->awake_fraction, &v.awake_fraction);
        live_pair(&to->kib_per_message, &v.kib_per_message);
        live_pair(&to->memory_gb, &v.memory_gb);
    }
    harness_live_fini(&l);
    return SIM_OK;
}

static const cli_live live_runner = {live_runner_fn};
#define LIVE_RUNNER (&live_runner)
#else
#define AGENT_VALIDATOR NULL
#define LIVE_RUNNER NULL
#endif

/* The command argv[1] names, as a rank of `dist` (NULL: one process). */
static int command(int argc, char **argv, run_dist *dist)
{
    if (argc < 2)
        return cli_help(NULL) == CLI_OK ? CLI_USAGE : CLI_USAGE;
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("capsim %s\n", CAPSIM_VERSION);
        return CLI_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return cli_help(NULL);
    if (strcmp(cmd, "help") == 0) {
#ifdef CAPSIM_HAS_AGENT
        /* calibrate's text lives with its options, in the agent layer. */
        char *help_argv[] = {"calibrate", "--help", NULL};
        if (argc > 2 && strcmp(argv[2], "calibrate") == 0)
            return cli_calibrate(2, help_argv);
#endif
        return cli_help(argc > 2 ? argv[2] : NULL);
    }
    if (strcmp(cmd, "run") == 0)
        return cli_run(argc - 1, argv + 1, LIVE_RUNNER, dist);
    if (strcmp(cmd, "report") == 0)
        return cli_report(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return cli_sweep(argc - 1, argv + 1, dist);
    if (strcmp(cmd, "check") == 0)
        return cli_check(argc - 1, argv + 1, dist);
    if (strcmp(cmd, "validate") == 0)
        return cli_validate(argc - 1, argv + 1, AGENT_VALIDATOR);
#ifdef CAPSIM_HAS_AGENT
    if (strcmp(cmd, "agent") == 0)
        return cli_agent(argc - 1, argv + 1);
    if (strcmp(cmd, "calibrate") == 0)
        return cli_calibrate(argc - 1, argv + 1);
#endif
    if (strcmp(cmd, "pricing") == 0)
        return cli_pricing(argc - 1, argv + 1);
    fprintf(stderr, "capsim: unknown command '%s' (see 'capsim help')\n",
            cmd);
    return CLI_USAGE;
}

/*
 * Under mpirun, run, sweep and check join the job and spread their
 * simulations over its ranks (run/dist.h).  Every other command runs
 * whole wherever it is started; calibrate and run --live start copies of
 * this binary, which inherit mpirun's environment and must not take
 * themselves for ranks.
 */
static int spreads(int argc, char **argv)
{
    return argc >= 2 && (strcmp(argv[1], "run") == 0 ||
                         strcmp(argv[1], "sweep") == 0 ||
                         strcmp(argv[1], "check") == 0);
}

/*
 * Only rank 0 speaks.  The other ranks run the very same command on the
 * very same input and would say the very same things, so their stdout
 * and stderr go to /dev/null (and they write no file: cli__writes).
 * What a rank can meet alone is running out of memory, which ends the
 * job (finish, below), or MPI failing, which Open MPI reports itself.
 */
static int silence(void)
{
    return freopen("/dev/null", "w", stdout) &&
                   freopen("/dev/null", "w", stderr)
               ? CLI_OK
               : CLI_RUNTIME;
}

/* Leaves the job with the exit code every rank agrees on: rank 0's. */
static int finish(run_dist *dist, int code)
{
    if (!dist)
        return code;
    /* mpirun ends the job once a rank exits non-zero: rank 0's output
     * must be out before any rank can get there. */
    fflush(stdout);
    fflush(stderr);
    /* A run-time failure may be this rank's alone (out of memory, a file
     * rank 0 could not write), met while the others wait for it in an
     * exchange or below: end the whole job, with the code. */
    if (code == CLI_RUNTIME)
        run_dist_abort(dist, code);
    code = run_dist_agree(dist, code);
    run_dist_free(dist);
    return code;
}

int main(int argc, char **argv)
{
    run_dist *dist = NULL;
    /* GSL's default handler aborts; every status is checked instead. */
    gsl_set_error_handler_off();
    /* cJSON allocates through the seam like everything else. */
    sim_alloc_init();
    /* A file-size limit (ulimit -f) would kill the process mid-write,
     * leaving its temporary file behind; ignored, the write fails with
     * EFBIG, the temporary is removed and the command exits 4 as on a
     * full disk. */
    signal(SIGXFSZ, SIG_IGN);
    /* Before any thread starts: MPI is told only this one calls it. */
    if (spreads(argc, argv)) {
        int rc = run_dist_new(&dist);
        if (rc != SIM_OK) {
            fprintf(stderr, "capsim: cannot join the MPI job: %s\n",
                    sim_strerror(rc));
            return CLI_RUNTIME;
        }
    }
    int code = run_dist_rank(dist) == 0 ? CLI_OK : silence();
    if (code == CLI_OK)
        code = command(argc, argv, dist);
    return finish(dist, code);
}
