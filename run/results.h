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
#include "run/dist.h"
#include "run/jobs.h"
#include "run/model.h"
#include "scenario/scenario.h"

/*
 * Computes results for every deployment.  Input errors (a deployment the
 * provider cannot run) go to `d` and SIM_EINVAL is returned; *out is then
 * NULL.  The scenario and catalog must outlive the results.  Every
 * simulation runs on the calling thread.
 */
int run_results_compute(const scn_scenario *scn, const price_catalog *cat,
                        sim_diag *d, run_results **out /* OUT */);

/*
 * Progress of a computation: `done` of `total` simulations (one
 * replication of one deployment) have finished.  Called once with done 0
 * before the first starts, then after each one, from the thread that ran
 * it but never two calls at once (jobs.h, `done`).  The one-tenant runs
 * behind the pricing advice are not counted: they are a small fraction
 * of the work and would make the rate jump.
 */
typedef void (*run_progress_fn)(void *ud, size_t done, size_t total);

typedef struct run_opts {
    run_jobs *jobs;             /* NULL: every simulation on the caller */
    run_progress_fn progress;   /* NULL: none */
    void *progress_ud;
    /* NULL: one process.  Else this process is one rank of an MPI job
     * (run/dist.h) and runs its share of the simulations; the results
     * are the same bytes on every rank as in one process.  Every rank
     * must make the same calls with the same input: the ranks exchange
     * results inside each. */
    run_dist *dist;
} run_opts;

/*
 * run_results_compute with the simulations spread over a pool of threads
 * (o->jobs) and their progress reported (o->progress); `o` may be NULL.
 * The results, the diagnostics in `d` and their order are the same
 * byte for byte whatever the pool's size: each simulation writes only
 * its own slot, and the slots are combined in the order deployment,
 * replication, as one thread would have run them.
 */
int run_results_compute_with(const scn_scenario *scn,
                             const price_catalog *cat, const run_opts *o,
                             sim_diag *d, run_results **out /* OUT */);
void run_results_free(run_results *r);

/* The feasible deployment with the lowest mean monthly cost per agent
 * (the first listed on ties), or NULL when none is feasible.  Borrowed. */
const run_deploy *run_cheapest(const run_results *r);

#endif
