/*
 * main.c -- the capsim command line.  The only place that picks an exit
 * code.
 */
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "capsim_version.h"
#include "cli/commands.h"

#ifdef CAPSIM_HAS_AGENT
#include <curl/curl.h>

#include "agent-harness/calibrate.h"
#include "agent-harness/config.h"
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
#else
#define AGENT_VALIDATOR NULL
#endif

int main(int argc, char **argv)
{
    /* GSL's default handler aborts; every status is checked instead. */
    gsl_set_error_handler_off();
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
        return cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cli_report(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return cli_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cli_check(argc - 1, argv + 1);
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
