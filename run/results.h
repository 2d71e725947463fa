/*
 * results.h -- running a scenario's deployments: the results model.
 *
 * rpt_results_compute resolves, meters and bills every deployment of a
 * scenario, judges its feasibility (feasible.h) and, for the pricing
 * advice, costs it once more at one tenant.  reports/ renders what this
 * computes and never runs anything itself.  The model keeps the rpt_
 * names it had when it lived in reports/; its functions are the run
 * layer's.
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
int rpt_results_compute(const scn_scenario *scn, const price_catalog *cat,
                        sim_diag *d, rpt_results **out /* OUT */);
void rpt_results_free(rpt_results *r);

/* The feasible deployment with the lowest mean monthly cost per agent
 * (the first listed on ties), or NULL when none is feasible.  Borrowed. */
const rpt_deploy *rpt_cheapest(const rpt_results *r);

#endif
