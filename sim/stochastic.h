/*
 * stochastic.h -- one replication of a stochastic workload.
 *
 * Agents send messages as Poisson streams (messages_per_agent_month over a
 * 730-hour month) with service times from busy_per_message.  Every
 * deployment in a replication sees the same arrivals: an agent group's
 * streams are seeded by (seed, replication, group), never by deployment.
 * Deployments that sleep (scale-to-zero, and Cloudflare's objects) run the
 * sleeping-instance engine per group; always-on pools keep their instances
 * and meter the simulated traffic.  Usage is scaled to a 730-hour month.
 */
#ifndef SIM_STOCHASTIC_H
#define SIM_STOCHASTIC_H

#include "pricing/price.h"
#include "sim/des.h"
#include "sim/usage.h"

typedef struct sim_waits {
    double p50, p95;
} sim_waits;

/*
 * Runs replication `rep` of deployment `pd`.  Input the engine cannot
 * simulate yet is reported to ctx->diag (SIM_EINVAL).
 */
int sim_stochastic_run(const price_ctx *ctx, const price_deploy *pd,
                       uint64_t rep, sim_usage *u /* OUT */,
                       sim_waits *waits /* OUT */);

#endif
