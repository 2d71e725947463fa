/*
 * fuzz_samples.c -- empirical service-time CSVs (scenario/trace.c;
 * docs/scenarios.md, `busy_per_message: {dist: empirical, file: ...}`).
 *
 * Feeds: the input as a one-column CSV, to sim_samples_load, the function
 * the scenario loader calls for an empirical distribution.
 *
 * Asserts: no crash, no exit, no block left live through the seam; a
 * status that agrees with the diagnostics; the diagnostics print; and
 * samples that load are at least one finite value >= 0, with a finite
 * mean between the smallest and the largest.
 */
#include <math.h>

#include "base/alloc.h"
#include "base/fixed.h"
#include "fuzz/support.h"
#include "scenario/trace.h"

static void check_samples(const sim_samples *s)
{
    if (s->n == 0)
        fuzz_fail("samples loaded without a value");
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < s->n; i++) {
        if (!isfinite(s->v[i]) || s->v[i] < 0)
            fuzz_fail("a sample that is negative or not finite");
        lo = fmin(lo, s->v[i]);
        hi = fmax(hi, s->v[i]);
    }
    /* A sum of large values may round; allow the mean a relative hair. */
    if (!isfinite(s->mean) || s->mean < lo * (1 - 1e-9) ||
        s->mean > hi * (1 + 1e-9))
        fuzz_fail("the samples' mean outside [min, max]");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    const char *path = fuzz_file("samples.csv", data, size);
    long live = sim_alloc_live();
    sim_diag d;
    sim_samples s;
    sim_diag_init(&d);
    int rc = sim_samples_load(path, &d, &s);
    if (rc == SIM_OK && d.errors)
        fuzz_fail("sim_samples_load: SIM_OK with an error");
    if (rc != SIM_OK && rc != SIM_ENOMEM && d.errors == 0)
        fuzz_fail("sim_samples_load: a failure without an error");
    fuzz_print_diag(&d);
    if (rc == SIM_OK) {
        check_samples(&s);
        sim_samples_fini(&s);
    }
    sim_diag_fini(&d);
    fuzz_no_leak(live, "sim_samples_load");
    return 0;
}
