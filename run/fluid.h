/*
 * fluid.h -- the deterministic (fluid) workload model.
 *
 * With `active_fraction` a, a constant share a of the agents is active at
 * every instant.  Demand is therefore constant, and a month of usage has a
 * closed form: no randomness, no events.  Pools that capsim sizes use the
 * distribution of the number of active agents, Binomial(n, a), so that
 * `sizing: p95` gives the 95th percentile of concurrent demand.
 */
#ifndef SIM_FLUID_H
#define SIM_FLUID_H

#include "pricing/price.h"
#include "scenario/scenario.h"
#include "sim/usage.h"

/*
 * Fills `u` with one month of usage of deployment `pd` under the scenario's
 * fluid workload.  Input errors (a pool that cannot fit one agent, a mode
 * the fluid form cannot time) go to ctx->diag; returns SIM_EINVAL then.
 */
int sim_fluid_run(const price_ctx *ctx, const price_deploy *pd,
                  sim_usage *u /* OUT */);

/*
 * The awake instance-hours a month that a usage credit (pd->credit_pool)
 * buys at the vCPU and memory draw metered in `u`: the month's awake
 * hours times the share of its dollars the credit covers.  At least the
 * month's awake hours when the credit covers them all.
 */
sim_fx sim_credit_hours(const price_deploy *pd, const sim_usage *u);

/*
 * Fills the traffic meters (requests, CPU, egress, WebSocket messages,
 * load-balancer dimensions) from u->messages, which the caller has set.
 */
int sim_traffic(const price_ctx *ctx, const price_deploy *pd,
                sim_usage *u /* IN/OUT */);

/*
 * Instances a pool of `n` agents needs when `k` of them are active at
 * once: the larger of vCPU and memory demand over one instance's room,
 * over target_utilization, rounded up, within min and max (the scenario's
 * `instances` when given).  -1 with a diagnostic when no agent fits.
 */
int64_t sim_pool_size(const price_ctx *ctx, const price_deploy *pd,
                      int64_t n, sim_fx k);

/* sim_pool_size without a diagnostic: -1 where it would give one.  For
 * guesses whose failure costs time only. */
int64_t sim_pool_size_guess(const price_ctx *ctx, const price_deploy *pd,
                            int64_t n, sim_fx k);

/*
 * What one instance of a pool can carry.  Every agent placed on the pool
 * keeps `idle_memory_gb` resident whether or not it is busy, spread evenly
 * over the pool's instances; a message then needs its agent's
 * active_memory_gb less that idle share on top, and active_vcpu.
 *   floor    instances that hold the residents and still serve one
 *            message each: ceil(n x idle / (memory - base_memory_gb -
 *            (active_memory_gb - idle_memory_gb))), 0 when agents keep
 *            nothing, INT64_MAX when one message alone does not fit;
 *   resident_floor  instances the resident memory alone fills:
 *            ceil(n x idle / (memory - base_memory_gb));
 *   slots    messages one instance serves at once beside its share of the
 *            residents when the pool has `instances` instances: the
 *            stricter of vCPU and memory, at least 1 (whether one message
 *            fits at all is feasibility's question, run/feasible.c);
 *   by_memory  memory, not vCPU, is the stricter.
 * With no idle memory this is the plain vCPU-or-memory slot count.
 * Counts, not money: computed in doubles and rounded down with a 1e-9
 * allowance, so 2 GB / 0.5 GB gives 4 slots, not 3.
 */
typedef struct sim_capacity {
    int64_t slots;
    int64_t floor;
    int64_t resident_floor;
    int by_memory;
    double resident_gb;
} sim_capacity;

void sim_pool_capacity(const price_ctx *ctx, const price_deploy *pd,
                       int64_t n, int64_t instances,
                       sim_capacity *out /* OUT */);

/* Smallest k with P(Binomial(n, p) <= k) >= q; n when q >= 1. */
int64_t sim_binomial_quantile(int64_t n, double p, double q);

#endif
