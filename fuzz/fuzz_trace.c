/*
 * fuzz_trace.c -- trace CSVs (scenario/trace.c; docs/scenarios.md,
 * `arrivals: {trace: FILE.csv}`).
 *
 * Feeds: the input as a trace CSV, to sim_trace_load, the function the
 * scenario loader calls for a class's trace.
 *
 * Asserts: no crash, no exit, no block left live through the seam; a
 * status that agrees with the diagnostics; the diagnostics print; and a
 * trace that loads holds what trace.h promises: rows sorted by (agent,
 * time), times within [0, span], agent_first[] bounding each agent's rows,
 * and at least one tenant and one agent per tenant.
 */
#include <math.h>

#include "base/alloc.h"
#include "base/fixed.h"
#include "fuzz/support.h"
#include "scenario/trace.h"

static void check_trace(const sim_trace *t)
{
    if (t->nrows == 0 || t->tenants < 1 || t->agents_per_tenant < 1)
        fuzz_fail("a loaded trace without rows, tenants or agents");
    for (size_t i = 0; i < t->nrows; i++) {
        const sim_trace_row *r = &t->rows[i];
        if (!(r->t >= 0 && r->t <= t->span) || isnan(r->busy))
            fuzz_fail("a trace row's time outside [0, span]");
        if (i && (r->agent < r[-1].agent ||
                  (r->agent == r[-1].agent && r->t < r[-1].t)))
            fuzz_fail("trace rows not sorted by (agent, time)");
        if (r->agent >= (uint64_t)t->tenants * (uint64_t)t->agents_per_tenant)
            fuzz_fail("a trace row's agent past tenants x agents");
        if (t->agent_first[r->agent] > i || t->agent_first[r->agent + 1] <= i)
            fuzz_fail("agent_first does not bound an agent's rows");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    const char *path = fuzz_file("trace.csv", data, size);
    long live = sim_alloc_live();
    sim_diag d;
    sim_trace t;
    sim_diag_init(&d);
    int rc = sim_trace_load(path, &d, &t);
    if (rc == SIM_OK && d.errors)
        fuzz_fail("sim_trace_load: SIM_OK with an error");
    if (rc != SIM_OK && rc != SIM_ENOMEM && d.errors == 0)
        fuzz_fail("sim_trace_load: a failure without an error");
    fuzz_print_diag(&d);
    if (rc == SIM_OK) {
        check_trace(&t);
        sim_trace_fini(&t);
    }
    sim_diag_fini(&d);
    fuzz_no_leak(live, "sim_trace_load");
    return 0;
}
