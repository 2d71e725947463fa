/*
 * help.c -- `capsim help` and every command's --help (help.h).
 */
#include "cli/help.h"

#include <stdio.h>
#include <string.h>

#include "capsim_version.h"
#include "cli/common.h"

static const char *const help_text[][2] = {
    {"run",
     "usage: capsim run SCENARIO.yaml [--format table|json|csv|md] "
     "[--out DIR]\n"
     "                  [--seed N] [--replications N] [--pricing CATALOG] "
     "[--quiet]\n"
     "                  [--jobs N]\n\n"
     "Simulates the scenario's deployments and prints the cost table.\n"
     "  --format F        table (default), json (the results document), csv "
     "or md\n"
     "  --out DIR         also write results.json, costs.csv, report.md, "
     "report.html\n"
     "                    and charts/ (gnuplot) into DIR\n"
     "  --charts          fail (exit 4) when the charts cannot be drawn\n"
     "  --seed N          override the scenario's seed\n"
     "  --replications N  override the scenario's replications\n"
     "  --pricing C       price catalog: default, 2025-11, seed-docs or a "
     "path\n"
     "  --set PATH=VALUE  change one scenario value for this run, e.g.\n"
     "                    workload.tenants=500 or "
     "deployments.fly-shared.plan=shared-cpu-1x-1gb\n"
     "  --quiet           no warnings and no progress line on stderr\n"
     "  --jobs N          run the simulations on N threads (default: one "
     "per online\n"
     "                    core; 1 to 1024); the output is the same byte "
     "for byte\n"
     "                    whatever N is; under 'mpirun -n R' (a build with "
     "Open MPI)\n"
     "                    R processes of N threads each share them, with "
     "the same\n"
     "                    output (docs/cluster.md)\n"
     "  --profile FILE    a profile from 'capsim calibrate' in place of the "
     "scenario's\n"
     "  --live            also send the scenario's messages (replication "
     "0) through\n"
     "                    the real agent core and compare it with the model "
     "per\n"
     "                    deployment (small scenarios: <= 50 agents, 500 "
     "messages)\n"
     "  --agent FILE      the agent config --live runs (default: the "
     "scripted one)\n"
     "  --speedup X       simulated seconds per real second (default: the "
     "horizon\n"
     "                    in about 20 s)\n"
     "Exits 1 when a budget fails (the outputs are still written).\n\n"
     "When stderr is a terminal, a progress line there counts the "
     "simulations\n(one replication of one deployment) done and to do, "
     "with their rate and the\ntime left, and is erased when they are "
     "done; a run that looks longer than a\nminute says so first. Nothing "
     "is shown when stderr is a pipe or a file, or\nwith --quiet; stdout "
     "and the files of --out are never touched by it.\n"},
    {"validate",
     "usage: capsim validate FILE...\n\n"
     "Checks scenario, price catalog, profile and agent config files "
     "without "
     "simulating.\nPrints\n"
     "FILE: ok for each good file; exits 3 if any file is invalid.\n"},
    {"pricing",
     "usage: capsim pricing [list | show PROVIDER] [--pricing CATALOG]\n\n"
     "Lists the providers of a price catalog, or every rate of one provider\n"
     "with its unit, included quantity, metering, source and date. Warns "
     "when\nthe catalog is more than a year old.\n"},
    {"check",
     "usage: capsim check SCENARIO.yaml... [--baseline RESULTS.json] "
     "[--tolerance PCT]\n"
     "                    [--both-directions] [--write-baseline FILE] "
     "[--seed N]\n"
     "                    [--replications N] [--pricing CATALOG] [--quiet]"
     "\n                    [--jobs N]\n\n"
     "Runs each scenario, judges its budgets and, with --baseline, compares "
     "each\ndeployment's monthly cost with the baseline's. A deployment "
     "regresses when\nits mean rises by more than PCT percent (default 1) "
     "and its 95% interval\nlies above the baseline. Prints a Markdown "
     "summary for a pull request.\n"
     "  --baseline F         a results.json, or a bundle from "
     "--write-baseline\n"
     "  --tolerance PCT      allowed rise in percent (default 1)\n"
     "  --both-directions    a fall beyond the tolerance fails too\n"
     "  --write-baseline F   write every scenario's results as a baseline "
     "bundle\n"
     "  --jobs N             threads for the simulations (default: one per "
     "core);\n"
     "                       the summary is the same whatever N is\n"
     "  --quiet              no warnings and no progress line on stderr\n"
     "exit codes: 0 passed, 1 a budget or regression check failed, 2 usage,"
     "\n            3 invalid scenario or baseline, 4 run-time failure\n"},
    {"agent",
     "usage: capsim agent serve --config AGENT.yaml [--port N]\n\n"
     "Serves the agent runtime over HTTP: REST and SSE under /v1/sessions, "
     "a\nWebSocket at /v1/ws, /healthz. See agent-harness/README.md.\n"},
    {"report",
     "usage: capsim report RESULTS.json --out DIR [--charts]\n"
     "       capsim report --pricing-table [--pricing CATALOG] "
     "[--scales N,N,...]\n"
     "                     [--scenario FILE] [--out DIR]\n\n"
     "Re-renders saved results into report.md, costs.csv, report.html and "
     "charts/,\nor prints the per-agent cost of every provider and "
     "architecture at each\nscale (default 10,100,1000,10000 tenants) with "
     "the catalog's date and the\nsource of every rate; --out also writes "
     "pricing-table.md and .csv.\n"},
    {"sweep",
     "usage: capsim sweep SCENARIO.yaml --vary PATH=V1,V2,... [--vary ...] "
     "[--out DIR]\n"
     "                    [--seed N] [--replications N] [--pricing CATALOG] "
     "[--quiet]\n"
     "                    [--jobs N]\n\n"
     "Runs the scenario at every point of the grid the --vary lists make, "
     "all\npoints with the same random numbers, prints the monthly cost of "
     "each\ndeployment at each point and says where the cheapest one "
     "changes along\nthe first PATH. PATH is dotted: workload.tenants, "
     "horizon,\ndeployments.NAME.scaling.idle_timeout, deployments.0.plan.\n"
     "  --out DIR   also write sweep.csv and sweep.json into DIR\n"
     "  --jobs N    threads for each point's simulations (default: one per "
     "core);\n"
     "              the output is the same whatever N is\n"
     "  --quiet     no warnings and no progress line on stderr\n"},
    {NULL, NULL}
};

static const char *const overview =
    "capsim " CAPSIM_VERSION " -- cost and capacity planning for hosting AI "
    "agents\n\n"
    "usage: capsim COMMAND [ARGS]\n\n"
    "commands:\n"
    "  run SCENARIO.yaml      simulate and print the cost table\n"
    "  check SCENARIO.yaml... check budgets and cost regressions (for CI)\n"
    "  sweep SCENARIO.yaml    costs over a grid of values (--vary PATH=...)\n"
    "  report RESULTS.json    re-render reports; --pricing-table publishes "
    "prices\n"
    "  validate FILE...       check scenarios, catalogs, profiles, agent configs\n"
    "  agent serve --config F serve the agent runtime over HTTP\n"
    "  calibrate              measure the agent core, write a profile "
    "(JSON)\n"
    "  pricing [list|show P]  show a price catalog\n"
    "  help [COMMAND]         this text, or a command's\n\n"
    "options: --help on every command, --version\n"
    "exit codes: 0 ok, 1 a check failed, 2 usage error, 3 invalid input "
    "file,\n            4 run-time failure\n";

int cli_help(const char *command)
{
    if (!command) {
        fputs(overview, stdout);
        return CLI_OK;
    }
    for (size_t i = 0; help_text[i][0]; i++)
        if (strcmp(help_text[i][0], command) == 0) {
            fputs(help_text[i][1], stdout);
            return CLI_OK;
        }
    fprintf(stderr, "capsim: no help for unknown command '%s'\n", command);
    return CLI_USAGE;
}

