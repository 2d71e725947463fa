/*
 * fuzz_baseline.c -- results documents and baseline bundles as `capsim
 * check --baseline` reads them (cli/check.c).
 *
 * Feeds: the input as BASELINE.json to cli_check -- `capsim check
 * fuzz-check.yaml --baseline BASELINE.json --quiet --jobs 1`, the very
 * function main() calls -- for a small fluid scenario written once at
 * start (one Railway deployment, a budget; its name is the one the seed
 * baselines carry, so the comparison reaches each deployment's
 * month_usd).  The baseline is either one results document or a bundle
 * {"capsim_baseline": 1, "results": [...]}.
 *
 * Asserts: no crash, no exit, no block left live through the seam; an
 * exit code among those the spec names for check (0, 1 a check failed,
 * 3 invalid input, 4 run-time failure).
 */
#include <stdio.h>

#include "base/alloc.h"
#include "cli/commands.h"
#include "fuzz/support.h"

static const char scenario[] =
    "capsim: 1\n"
    "name: fuzz-check\n"
    "profile: {active_vcpu: 0.25, active_memory_gb: 0.5}\n"
    "workload: {tenants: 20, agents_per_tenant: 2, active_fraction: 0.1, "
    "transport: sse}\n"
    "deployments:\n"
    "  - {name: railway-shared, provider: railway, plan: hobby, "
    "architecture: shared}\n"
    "  - {name: render-web, provider: render, plan: starter, "
    "architecture: shared}\n"
    "budgets:\n"
    "  - {metric: per_agent_month_usd, max: 1.5}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char scn[4096];
    if (!scn[0]) {
        fuzz_setup();
        fuzz_quiet_stdout();
        snprintf(scn, sizeof scn, "%s",
                 fuzz_file("fuzz-check.yaml", (const uint8_t *)scenario,
                           sizeof scenario - 1));
    }
    char base[4096];
    snprintf(base, sizeof base, "%s", fuzz_file("baseline.json", data, size));
    char *argv[] = {"check", scn, "--baseline", base, "--quiet", "--jobs",
                    "1", NULL};
    long live = sim_alloc_live();
    int code = cli_check(7, argv, NULL);  /* one process, no MPI */
    if (code != CLI_OK && code != CLI_CHECK_FAILED && code != CLI_BAD_INPUT &&
        code != CLI_RUNTIME)
        fuzz_fail("capsim check: an exit code the spec does not name");
    fuzz_no_leak(live, "capsim check --baseline");
    return 0;
}
