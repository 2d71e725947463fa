/*
 * fuzz_scenario.c -- the scenario loader (scenario/scenario.c).
 *
 * Feeds: the input as a scenario YAML file, to scn_load, the function
 * `capsim run`, `check`, `sweep` and `validate` call.  Paths the scenario
 * names (a trace, an empirical CSV, a profile) are taken from the
 * target's temporary directory, as the loader takes them from the
 * scenario's own.
 *
 * Asserts: no crash and no exit (a sanitizer or the fuzzer sees those);
 * no block left live through the allocation seam; a status that agrees
 * with the diagnostics (SIM_OK with a scenario and no error, otherwise
 * no scenario and at least one error, or out of memory); the
 * diagnostics print with their source line and caret; and loading the
 * same bytes again gives the same status and the same diagnostics.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/fixed.h"
#include "fuzz/support.h"
#include "scenario/scenario.h"

static int same_diag(const sim_diag *a, const sim_diag *b)
{
    if (a->n != b->n || a->errors != b->errors)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].line != b->v[i].line || a->v[i].col != b->v[i].col ||
            strcmp(a->v[i].message, b->v[i].message) != 0)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    const char *path = fuzz_file("scenario.yaml", data, size);
    long live = sim_alloc_live();
    sim_diag d, again;
    scn_scenario *s = NULL, *s2 = NULL;
    sim_diag_init(&d);
    sim_diag_init(&again);
    int rc = scn_load(path, &d, &s);
    if (rc == SIM_OK && (!s || d.errors))
        fuzz_fail("scn_load: SIM_OK with an error or without a scenario");
    if (rc != SIM_OK && (s || (rc != SIM_ENOMEM && d.errors == 0)))
        fuzz_fail("scn_load: a failure with a scenario or without an "
                  "error");
    if (s && scn_agents(s) < 0)
        fuzz_fail("scn_load: a negative number of agents");
    fuzz_print_diag(&d);
    int rc2 = scn_load(path, &again, &s2);
    if (rc2 != rc || !same_diag(&d, &again))
        fuzz_fail("scn_load: the same bytes loaded differently");
    scn_free(s);
    scn_free(s2);
    sim_diag_fini(&d);
    sim_diag_fini(&again);
    fuzz_no_leak(live, "scn_load");
    return 0;
}
