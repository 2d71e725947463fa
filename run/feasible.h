/*
 * feasible.h -- whether a deployment can do what its scenario asks.
 *
 * A planner acts on the deployment capsim names cheapest, so a cheap
 * answer that cannot work is worse than none.  A deployment is feasible
 * when, over the month simulated,
 *   - it meets the scenario's service level (`slo:`, or the default:
 *     queue wait p95 <= 10 s, no message refused): queue waits, cold-start
 *     waits and refused messages or refused time (an hour pool or a credit
 *     run dry, a full queue);
 *   - one busy agent, and the idle agents placed beside it, fit in one
 *     instance (a Durable Object's 128 MB, a machine's memory, a fixed
 *     pool's instances, an autoscaled pool's max);
 *   - a fluid pool's fixed instances carry the mean demand;
 *   - the provider's own hard limits hold (price_model_ops.limits).
 * Each breach is one sentence in the deployment's `why`.
 */
#ifndef RPT_FEASIBLE_H
#define RPT_FEASIBLE_H

#include "pricing/price.h"
#include "run/model.h"

/* Judges `rd`, computed under `ctx`: sets rd->feasible and fills rd->why.
 * Returns SIM_OK or SIM_ENOMEM. */
int rpt_feasibility(const price_ctx *ctx, run_deploy *rd);

/* "0.5 GB" or "128 MB": memory as a person writes it. */
char *rpt_gb_text(double gb, char *buf, size_t size);

#endif
