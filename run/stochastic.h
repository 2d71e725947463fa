/*
 * stochastic.h -- one replication of a stochastic workload.
 *
 * The workload (workload.h) gives every agent its own message stream;
 * every deployment in a replication sees the same messages (common random
 * numbers), however it groups agents into instances.  Deployments whose
 * instances sleep (scale-to-zero, and Cloudflare's objects) run the
 * sleeping-instance engine (des.h) once per instance; pools that stay up
 * -- fixed, sized by capsim, or autoscaled -- run the pool engine
 * (pool.h), which queues messages when every slot is busy.  Usage is
 * scaled to a 730-hour month.
 */
#ifndef SIM_STOCHASTIC_H
#define SIM_STOCHASTIC_H

#include "pricing/price.h"
#include "sim/des.h"
#include "run/fluid.h"
#include "sim/usage.h"

typedef struct sim_waits {
    double p50, p95;                /* cold-start waits, seconds */
    double queue_p50, queue_p95, queue_p99;     /* waits for a free slot */
    double timeline[SIM_TIMELINE];  /* instances running, per slice */
    /* Pools: one instance's capacity (the smallest over the deployment's
     * pools) and the instances the agents' resident memory needs. */
    int pool;
    sim_capacity cap;
} sim_waits;

/*
 * Runs replication `rep` of deployment `pd`.  Input the engine cannot
 * simulate is reported to ctx->diag (SIM_EINVAL).
 */
int sim_stochastic_run(const price_ctx *ctx, const price_deploy *pd,
                       uint64_t rep, sim_usage *u /* OUT */,
                       sim_waits *waits /* OUT */);

/*
 * Deployments that can run a replication together.  0: the deployment
 * runs alone.  Deployments of one scenario with the same nonzero key
 * place agents on instances alike and run on engines that take a shared
 * stream (instances that sleep, or fixed pools), so
 * sim_stochastic_run_set draws each group's messages once for all of
 * them.  One key holds both kinds: instances of one agent each that
 * sleep and shared fixed pools, whose pass gives every agent's messages
 * to the sleepers on its way.
 */
uint64_t sim_share_key(const price_ctx *ctx, const price_deploy *pd);

/*
 * Replication `rep` of n deployments of one share key (or one deployment
 * of any key): what sim_stochastic_run gives each of them, to the bit,
 * with each message drawn once rather than once per deployment.  ctx[k]
 * (its diag) belongs to pd[k]; rc[k] is deployment k's status, and the
 * return value the first that failed, in order.
 */
int sim_stochastic_run_set(const price_ctx *ctx,
                           const price_deploy *const *pd, size_t n,
                           uint64_t rep, sim_usage *u /* OUT, n */,
                           sim_waits *waits /* OUT, n */, int *rc /* OUT, n */);

/*
 * The scenario's tenant classes as the workload model sees them.  The
 * model points into `s` and owns only its class array (free it with
 * sim_model_fini).
 */
int sim_model_build(const scn_scenario *s, sim_workload_model *m /* OUT */);
void sim_model_fini(sim_workload_model *m);

/* Which instance each of the model's agents lands on under deployment d's
 * architecture (group[a] for agent a; `group` has m->agents entries), as
 * every run places them.  Returns the number of instances. */
uint64_t sim_group_agents(const sim_workload_model *m,
                          const scn_deployment *d, uint64_t *group);

#endif
