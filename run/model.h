/*
 * model.h -- the results model: what running a scenario gives for each
 * deployment (usage, bill, statistics, waits, capacity, feasibility, a
 * live run's comparison) and for its budgets.  run/ fills it, reports/
 * renders it; the functions are in results.h and feasible.h.
 */
#ifndef RUN_MODEL_H
#define RUN_MODEL_H

#include <stddef.h>

#include "pricing/catalog.h"
#include "pricing/price.h"
#include "run/fluid.h"
#include "scenario/scenario.h"
#include "sim/usage.h"

/* Points of the instances-over-time series in results. */
#define RPT_TIMELINE 128

/* Mean, 95% interval (Student t over replications) and percentiles. */
typedef struct run_stat {
    sim_fx mean, lo, hi, p5, p50, p95;
} run_stat;

/* `run --live`: one figure measured on the real agent core and as the
 * model has it (agent-harness/live.h fills these). */
typedef struct run_live_pair {
    double measured, modelled;
} run_live_pair;

typedef struct run_live {
    int present;
    double speedup;             /* simulated seconds per wall second */
    size_t sent, completed, errors;
    char first_error[256];
    int sleeps;                 /* the awake fraction is a comparison */
    run_live_pair busy_s, awake_fraction, kib_per_message, memory_gb;
} run_live;

typedef struct run_deploy {
    price_deploy pd;
    sim_usage usage;            /* mean over replications */
    price_bill bill;            /* line items averaged over replications */
    run_stat month, per_tenant, per_agent;
    sim_fx month_usd, per_tenant_usd, per_agent_usd;   /* the means */
    double wait_p50, wait_p95;  /* cold-start waits, seconds */
    double queue_p50, queue_p95, queue_p99;     /* waits for a free slot */
    double timeline[RPT_TIMELINE];  /* instances running over the horizon */
    int stochastic;
    sim_fx *price_per_agent;    /* one per scenario markup */
    int pool;                   /* instances that stay up and share work */
    sim_capacity cap;           /* pools: one instance's capacity */
    /* The same deployment with one tenant, for the advice's
     * scale bands: small_tenants 0 when not run (a trace fixes tenants,
     * or the scenario is that small already). */
    sim_fx small_month_usd;
    int64_t small_tenants;
    run_live live;              /* run --live */
    int feasible;               /* meets the SLO within its limits */
    price_reasons why;          /* otherwise: one sentence per reason */
} run_deploy;

typedef struct run_budget {
    const scn_budget *b;
    const run_deploy *d;
    sim_fx actual;
    int ok;
} run_budget;

typedef struct run_results {
    const scn_scenario *scn;
    const price_catalog *cat;
    run_deploy *d;
    size_t n;
    run_budget *budgets;
    size_t nbudgets;
    int budgets_ok;
} run_results;

#endif
