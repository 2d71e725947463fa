/*
 * results.h -- running a scenario's deployments: the results model.
 *
 * run_results_compute resolves, meters and bills every deployment of a
 * scenario, judges its feasibility (feasible.h) and, for the pricing
 * advice, costs it once more at one tenant.  reports/ renders what this
 * computes and never runs anything itself.
 */
#ifndef RUN_RESULTS_H
#define RUN_RESULTS_H

#include "base/diag.h"
#include "pricing/catalog.h"
#include "run/model.h"
#include "scenario/scenario.h"

/*
 * Computes results for every deployment.  Input errors (a deployment the
 * provider cannot run) go to `d` and SIM_EINVAL is returned; *out is then
 * NULL.  The scenario and catalog must outlive the results.
 */
int run_results_compute(const scn_scenario *scn, const price_catalog *cat,
                        sim_diag *d, run_results **out /* OUT */);
void run_results_free(run_results *r);

/* The feasible deployment with the lowest mean monthly cost per agent
 * (the first listed on ties), or NULL when none is feasible.  Borrowed. */
const run_deploy *run_cheapest(const run_results *r);

#endif
