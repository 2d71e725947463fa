/*
 * fuzz_agent_config.c -- the agent config loader (agent-harness/config.c).
 *
 * Feeds: the input as an agent YAML file, to ag_config_load, the function
 * `capsim agent serve --config`, `calibrate --agent`, `run --live` and
 * `validate` call; and to ag_config_sniff, which `validate` asks first.
 * `${NAME}` expansion reads the fuzzer's environment; nothing is fetched
 * (the loader checks URIs, it does not open them).
 *
 * Asserts: no crash, no exit, no block left live through the seam; a
 * status that agrees with the diagnostics (0 with a config and no error,
 * otherwise no config and an error, or out of memory); the diagnostics
 * print with their source line and caret.
 */
#include "agent-harness/config.h"
#include "base/alloc.h"
#include "base/fixed.h"
#include "fuzz/support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    const char *path = fuzz_file("agent.yaml", data, size);
    long live = sim_alloc_live();
    sim_diag d;
    ag_config *c = NULL;
    sim_diag_init(&d);
    (void)ag_config_sniff(path);
    int rc = ag_config_load(path, &d, &c);
    if (rc == SIM_OK && (!c || d.errors))
        fuzz_fail("ag_config_load: 0 with an error or without a config");
    if (rc != SIM_OK && (c || (rc != SIM_ENOMEM && d.errors == 0)))
        fuzz_fail("ag_config_load: a failure with a config or without an "
                  "error");
    fuzz_print_diag(&d);
    ag_config_free(c);
    sim_diag_fini(&d);
    fuzz_no_leak(live, "ag_config_load");
    return 0;
}
