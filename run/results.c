/*
 * results.c -- running a scenario's deployments (results.h).
 */
#include "run/results.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "run/feasible.h"
#include "run/fluid.h"
#include "run/slot.h"
#include "run/stochastic.h"

static int cmp_fx(const void *a, const void *b)
{
    sim_fx x = *(const sim_fx *)a, y = *(const sim_fx *)b;
    return (x > y) - (x < y);
}

/* Percentile by linear interpolation between order statistics. */
static sim_fx percentile(const sim_fx *sorted, size_t n, double p)
{
    double pos = p * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return sorted[n - 1];
    double f = pos - (double)i;
    return sorted[i] + sim_fx_from_double(f * sim_fx_to_double(sorted[i + 1] -
                                                               sorted[i]));
}

/* Statistics of n replication values; `v` is sorted in place. */
static void stat_of(sim_fx *v, size_t n, run_stat *st)
{
    sim_fx sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    st->mean = sum / (sim_fx)n;
    st->lo = st->hi = st->mean;
    if (n > 1) {
        double m = sim_fx_to_double(st->mean), ss = 0;
        for (size_t i = 0; i < n; i++) {
            double d = sim_fx_to_double(v[i]) - m;
            ss += d * d;
        }
        double half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) *
                      sqrt(ss / (double)(n - 1) / (double)n);
        st->lo = st->mean - sim_fx_from_double(half);
        st->hi = st->mean + sim_fx_from_double(half);
    }
    qsort(v, n, sizeof *v, cmp_fx);
    st->p5 = percentile(v, n, 0.05);
    st->p50 = percentile(v, n, 0.50);
    st->p95 = percentile(v, n, 0.95);
}

static void stat_div(const run_stat *a, sim_fx by, run_stat *out)
{
    sim_fx_div(a->mean, by, &out->mean);
    sim_fx_div(a->lo, by, &out->lo);
    sim_fx_div(a->hi, by, &out->hi);
    sim_fx_div(a->p5, by, &out->p5);
    sim_fx_div(a->p50, by, &out->p50);
    sim_fx_div(a->p95, by, &out->p95);
}

/* Adds replication bill `b` into the running sum `acc` (same lines). */
static int accumulate(price_bill *acc, const price_bill *b, int first)
{
    if (first) {
        acc->v = sim_alloc((b->n ? b->n : 1) * sizeof *acc->v);
        if (!acc->v)
            return SIM_ENOMEM;
        memcpy(acc->v, b->v, b->n * sizeof *acc->v);
        acc->n = acc->cap = b->n;
        acc->total = b->total;
        return SIM_OK;
    }
    for (size_t i = 0; i < b->n; i++) {
        price_line *l = NULL;
        for (size_t k = 0; k < acc->n && !l; k++)
            if (acc->v[k].item == b->v[i].item)
                l = &acc->v[k];
        if (!l) {
            price_line *v = sim_realloc(acc->v, (acc->n + 1) * sizeof *v);
            if (!v)
                return SIM_ENOMEM;
            acc->v = v;
            l = &acc->v[acc->n++];
            *l = b->v[i];
            l->quantity = l->usd = 0;
        }
        l->quantity += b->v[i].quantity;
        l->usd += b->v[i].usd;
    }
    acc->total += b->total;
    return SIM_OK;
}

/* Sums usage meters field by field (all are sim_fx). */
static void usage_add(sim_usage *acc, const sim_usage *u)
{
    sim_fx *a = (sim_fx *)acc;
    const sim_fx *x = (const sim_fx *)u;
    for (size_t i = 0; i < sizeof *u / sizeof(sim_fx); i++)
        a[i] += x[i];
}

/* The mean: summed first, divided once, so equal replications average
 * to exactly their value. */
static void usage_div(sim_usage *acc, sim_fx div)
{
    sim_fx *a = (sim_fx *)acc;
    for (size_t i = 0; i < sizeof *acc / sizeof(sim_fx); i++)
        a[i] /= div;
}

/* Scale-to-zero that cannot happen: WebSocket clients connected all month
 * keep every instance awake (and a Durable Object that cannot hibernate
 * billed), which is seldom what the user meant by it. */
static void warn_never_sleeps(const price_ctx *ctx, const run_deploy *rd)
{
    const scn_workload *w = &ctx->scn->workload;
    const scn_deployment *d = rd->pd.dep;
    if (w->transport != SCN_WEBSOCKET || w->connected != SCN_CONN_ALWAYS ||
        d->arch == SCN_ARCH_PER_REQUEST)
        return;
    if (rd->pd.objects && !d->extras.hibernation)
        scn_warn(ctx->scn, ctx->diag, d->pos, "deployment '%s': its objects "
                 "never hibernate: WebSocket clients stay connected all "
                 "month (workload.connected: always, the default) and "
                 "extras.hibernation is false, so every object is billed "
                 "all month; set extras.hibernation: true, or "
                 "workload.connected to while-active or {linger: 10m}",
                 d->name);
    else if (!rd->pd.objects && d->mode == SCN_MODE_SCALE_TO_ZERO)
        scn_warn(ctx->scn, ctx->diag, d->mode_pos, "deployment '%s': "
                 "scale-to-zero never sleeps here: WebSocket clients stay "
                 "connected all month (workload.connected: always, the "
                 "default) and a connected client keeps the instance "
                 "awake; set workload.connected to while-active or "
                 "{linger: 10m}, or workload.transport to sse", d->name);
}

/* A fluid pool's capacity per instance, as its sizing saw it. */
static void fluid_capacity(const price_ctx *ctx, run_deploy *rd)
{
    const scn_scenario *s = ctx->scn;
    const scn_deployment *d = rd->pd.dep;
    if (rd->pd.objects || d->arch == SCN_ARCH_PER_REQUEST ||
        rd->usage.groups <= 0)
        return;
    int64_t groups = (int64_t)(rd->usage.groups / SIM_FX_ONE);
    int64_t inst = (int64_t)(rd->usage.provisioned / SIM_FX_ONE) / (groups ? groups
                                                                   : 1);
    int64_t n = scn_agents(s) / (groups ? groups : 1);
    rd->pool = 1;
    sim_pool_capacity(ctx, &rd->pd, n, inst, &rd->cap);
}

/*
 * The simulations of a computation, and how they are spread over threads.
 *
 * A unit of work is one simulation: replication `rep` of one deployment,
 * of the scenario as given or (`small`) of its one-tenant copy for the
 * advice (see take_small).  Everything a unit reads is fixed before any
 * unit runs -- the scenario, the catalog, each deployment's resolved
 * price_deploy -- and a unit writes only its slot: usage, bill, waits,
 * status and a diag of its own.  The slots are then read in unit order,
 * deployment by deployment and replication by replication, by the same
 * code the single-threaded loop ran, so sums are added in the same order
 * and diagnostics come out in the same order whatever the pool's size.
 *
 * Units run in windows of at most RUN_WINDOW slots: a slot holds a
 * replication's waits timeline (8 KiB), and a run of thousands of
 * replications should not hold them all at once.  The price is a wait
 * for the slowest unit at the end of each window; within one window (a
 * scenario of fewer than RUN_WINDOW simulations, nearly all of them)
 * there is none.
 *
 * Deployments that can take one draw of a replication's messages
 * together (sim_share_key: instances that sleep, or fixed pools, placing
 * agents alike) form a set.  The first unit of a set to run replication r
 * runs it for every deployment of the set (sim_stochastic_run_set) and
 * leaves each one's usage, waits, status and diagnostics in the set's
 * entry for r; the set's other units of r wait for it if it is still
 * running, then take their own.  What a unit takes is what it would have
 * computed alone, to the bit, so slots and output do not depend on which
 * unit ran the set or on which thread.  The trade: a unit may wait on
 * another thread's set (the threads take units in order, deployment by
 * deployment, so the first deployment's units run the sets of different
 * replications side by side and the waits are short), and an entry holds
 * its deployments' results from the first unit to the last.  One-tenant
 * runs (`small`) run alone: they are cheap.
 *
 * Under MPI (run/dist.h) each rank runs its share of a window, on its own
 * pool, and the window's slots are then exchanged (run/slot.c) so every
 * rank holds them all and combines them as above; nothing else here
 * knows there is more than one process.  A rank runs a set's replication
 * for the units of it that are its own and lets go of the others'
 * (share_drop); with units handed round-robin, a replication's members
 * fall to one rank when the replications are a multiple of the ranks,
 * and otherwise more than one rank runs it.
 */
#define RUN_WINDOW 512

/* Replication r of one set: computed once, taken by each member. */
typedef struct share {
    int state;                  /* 0 not run, 1 running, 2 done, 3 its
                                   tables could not be had */
    size_t left;                /* members yet to take theirs */
    sim_usage *u;
    sim_waits *waits;
    int *rc;
    sim_diag *diag;
} share;

typedef struct unit {
    size_t dep;
    size_t rep;
    int small;
} unit;

typedef run_slot slot;           /* run/slot.h */

typedef struct batch {
    const scn_scenario *scn;
    const price_catalog *cat;
    run_results *r;
    size_t reps;                /* replications per deployment */
    /* Each deployment's price_resolve: its status and what it said,
     * moved into the caller's diag in deployment order. */
    int *resolve_rc;
    sim_diag *resolve_diag;
    /* The one-tenant scenario of the advice and each deployment resolved
     * in it (has_small 0: not run, see take_small). */
    int has_small;
    scn_scenario one;
    scn_class *cls;
    price_deploy *small_pd;
    int *small_rc;
    /* The units, deployment by deployment: its replications, then its
     * one-tenant ones.  first[i]: deployment i's first unit. */
    unit *units;
    size_t nunits, *first;
    /* The window computed: slots[k] holds unit lo + k, for k < hi - lo. */
    slot *slots;
    size_t lo, hi;
    /* Sets: set[i] is deployment i's set (SIZE_MAX: alone) and member[i]
     * its place there; set s has nmembers[s] deployments, members[s]
     * lists them, and shares[s * reps + r] is its replication r. */
    size_t *set, *member, nsets, *nmembers, **members;
    share *shares;
    pthread_mutex_t mu;
    pthread_cond_t ran;
    int mu_ok;
    run_jobs *jobs;
    run_dist *dist;             /* NULL: one process */
    run_progress_fn progress;
    void *progress_ud;
    size_t full_done, full_total;
} batch;

static void share_fini(share *e, size_t n)
{
    for (size_t k = 0; e->diag && k < n; k++)
        sim_diag_fini(&e->diag[k]);
    sim_free(e->u);
    sim_free(e->waits);
    sim_free(e->rc);
    sim_free(e->diag);
    e->u = NULL;
    e->waits = NULL;
    e->rc = NULL;
    e->diag = NULL;
}

/* One member is done with entry e (under the lock).  After the last the
 * entry is emptied and set as new, so a window run again (after a
 * failed exchange) runs it again rather than read freed tables. */
static void share_release(batch *b, size_t s, share *e)
{
    if (--e->left > 0)
        return;
    share_fini(e, b->nmembers[s]);
    e->state = 0;
    e->left = b->nmembers[s];
}

/* Runs replication r of set s for all its members (without the lock). */
static int share_run(batch *b, size_t s, size_t r, share *e)
{
    size_t n = b->nmembers[s];
    price_ctx *ctx = sim_calloc(n, sizeof *ctx);
    const price_deploy **pd = sim_calloc(n, sizeof *pd);
    e->u = sim_calloc(n, sizeof *e->u);
    e->waits = sim_calloc(n, sizeof *e->waits);
    e->rc = sim_calloc(n, sizeof *e->rc);
    e->diag = sim_calloc(n, sizeof *e->diag);
    int rc = ctx && pd && e->u && e->waits && e->rc && e->diag
                 ? SIM_OK : SIM_ENOMEM;
    if (rc == SIM_OK) {
        for (size_t k = 0; k < n; k++) {
            sim_diag_init(&e->diag[k]);
            ctx[k] = (price_ctx){b->scn, b->cat, &e->diag[k]};
            pd[k] = &b->r->d[b->members[s][k]].pd;
        }
        sim_stochastic_run_set(ctx, pd, n, r, e->u, e->waits, e->rc);
    } else {
        share_fini(e, n);
    }
    sim_free(ctx);
    sim_free(pd);
    return rc;
}

/* Unit un's usage, waits and diagnostics from its set's run of its
 * replication, running it first if no unit has. */
static int share_take(batch *b, const unit *un, slot *sl)
{
    size_t s = b->set[un->dep], k = b->member[un->dep];
    share *e = &b->shares[s * b->reps + un->rep];
    int rc;
    pthread_mutex_lock(&b->mu);
    while (e->state == 1)
        pthread_cond_wait(&b->ran, &b->mu);
    if (e->state == 0) {
        e->state = 1;
        pthread_mutex_unlock(&b->mu);
        int ok = share_run(b, s, un->rep, e);
        pthread_mutex_lock(&b->mu);
        e->state = ok == SIM_OK ? 2 : 3;
        pthread_cond_broadcast(&b->ran);
    }
    if (e->state == 3) {
        rc = SIM_ENOMEM;    /* the set's tables could not be had */
    } else {
        rc = e->rc[k];
        sl->u = e->u[k];
        sl->waits = e->waits[k];
        sim_diag_move(&sl->diag, &e->diag[k]);
    }
    share_release(b, s, e);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

/* Window piece k is another rank's: its unit will not take its share
 * here. */
static void share_drop(batch *b, size_t k)
{
    const unit *un = &b->units[b->lo + k];
    if (b->scn->workload.fluid || un->small || b->set[un->dep] == SIZE_MAX)
        return;
    size_t s = b->set[un->dep];
    pthread_mutex_lock(&b->mu);
    share_release(b, s, &b->shares[s * b->reps + un->rep]);
    pthread_mutex_unlock(&b->mu);
}

/* One simulation and its bill, into its slot.  Runs on any thread. */
static void simulate(void *arg, size_t k)
{
    batch *b = arg;
    const unit *un = &b->units[b->lo + k];
    slot *sl = &b->slots[k];
    const scn_scenario *s = un->small ? &b->one : b->scn;
    const price_deploy *pd = un->small ? &b->small_pd[un->dep]
                                       : &b->r->d[un->dep].pd;
    price_ctx ctx = {s, b->cat, &sl->diag};
    int rc;
    if (s->workload.fluid)
        rc = sim_fluid_run(&ctx, pd, &sl->u);
    else if (!un->small && b->set[un->dep] != SIZE_MAX)
        rc = share_take(b, un, sl);
    else
        rc = sim_stochastic_run(&ctx, pd, un->rep, &sl->u, &sl->waits);
    if (rc == SIM_OK)
        rc = pd->ops->charge(&ctx, pd, &sl->u, &sl->bill);
    if (rc == SIM_OK && sl->bill.nomem)
        rc = SIM_ENOMEM;
    sl->rc = rc;
}

/* Counts a finished simulation; the pool calls it one at a time. */
static void simulated(void *arg, size_t k)
{
    batch *b = arg;
    if (!b->units[b->lo + k].small && b->progress)
        b->progress(b->progress_ud, ++b->full_done, b->full_total);
}

/* This rank's i-th unit of the window (the i-th of its share). */
static void simulate_mine(void *arg, size_t i)
{
    batch *b = arg;
    simulate(b, run_dist_piece(b->dist, run_dist_rank(b->dist), i));
}

static void simulated_mine(void *arg, size_t i)
{
    batch *b = arg;
    simulated(b, run_dist_piece(b->dist, run_dist_rank(b->dist), i));
}

/* Simulates this rank's share of the window (all of it in one process)
 * and takes the other ranks' slots from them. */
static int run_window(batch *b, size_t n)
{
    unsigned me = run_dist_rank(b->dist);
    size_t mine = run_dist_count(b->dist, me, n);
    if (b->jobs)
        run_jobs_run(b->jobs, mine, simulate_mine, simulated_mine, b);
    else
        for (size_t i = 0; i < mine; i++) {
            simulate_mine(b, i);
            simulated_mine(b, i);
        }
    int rc = run__slots_exchange(b->dist, b->slots, n, b->cat);
    for (unsigned r = 0; r < run_dist_size(b->dist) && rc == SIM_OK; r++)
        for (size_t i = 0; r != me && i < run_dist_count(b->dist, r, n);
             i++) {
            share_drop(b, run_dist_piece(b->dist, r, i));
            simulated(b, run_dist_piece(b->dist, r, i));
        }
    return rc;
}

static void window_free(batch *b)
{
    for (size_t k = 0; b->slots && k < b->hi - b->lo; k++) {
        price_bill_fini(&b->slots[k].bill);
        sim_diag_fini(&b->slots[k].diag);
    }
    sim_free(b->slots);
    b->slots = NULL;
    b->lo = b->hi = 0;
}

/* The slot of unit `u`, running the window that starts there first when
 * it has not run.  Units are asked for in increasing order; one that is
 * never asked for (its deployment failed earlier) is never read. */
static int unit_slot(batch *b, size_t u, slot **out)
{
    if (b->slots && u >= b->lo && u < b->hi) {
        *out = &b->slots[u - b->lo];
        return SIM_OK;
    }
    window_free(b);
    size_t n = b->nunits - u < RUN_WINDOW ? b->nunits - u : RUN_WINDOW;
    if (!(b->slots = sim_calloc(n, sizeof *b->slots)))
        return SIM_ENOMEM;
    b->lo = u;
    b->hi = u + n;
    for (size_t k = 0; k < n; k++) {
        sim_diag_init(&b->slots[k].diag);
        price_bill_init(&b->slots[k].bill);
    }
    int rc = run_window(b, n);
    if (rc != SIM_OK) {
        /* Not a window to read from: a later unit runs it again. */
        window_free(b);
        return rc;
    }
    *out = &b->slots[0];
    return SIM_OK;
}

/* Adds replication r's slot into the deployment's sums. */
static int combine(run_deploy *rd, const slot *sl, size_t r, size_t reps,
                   sim_fx *totals)
{
    const sim_waits *waits = &sl->waits;
    int rc = sl->rc;
    if (rc == SIM_OK)
        rc = accumulate(&rd->bill, &sl->bill, r == 0);
    if (rc == SIM_OK && r == 0 && waits->pool) {
        rd->pool = 1;
        rd->cap = waits->cap;
    }
    if (rc != SIM_OK)
        return rc;
    totals[r] = sl->bill.total;
    usage_add(&rd->usage, &sl->u);
    rd->wait_p50 += waits->p50 / (double)reps;
    rd->wait_p95 += waits->p95 / (double)reps;
    rd->queue_p50 += waits->queue_p50 / (double)reps;
    rd->queue_p95 += waits->queue_p95 / (double)reps;
    rd->queue_p99 += waits->queue_p99 / (double)reps;
    /* SIM_TIMELINE slices averaged down to RPT_TIMELINE points. */
    int per = SIM_TIMELINE / RPT_TIMELINE;
    for (int i = 0; i < SIM_TIMELINE; i++)
        rd->timeline[i / per] += waits->timeline[i] /
                                 ((double)per * (double)reps);
    return SIM_OK;
}

static int compute_one(batch *b, const price_ctx *ctx, size_t i,
                       run_deploy *rd, int small);

/*
 * The deployment's month at one tenant, so the advice can
 * draw its cost line through two real runs instead of guessing which line
 * items are fixed: a load balancer, a plan, a pool's minimum instances
 * all show up at one tenant.  The scenario is copied shallowly with one
 * class of one tenant (plan_small); its simulations ran beside the full
 * ones, and diagnostics of this run are dropped (the full run has said
 * everything there is to say).
 */
static int take_small(batch *b, size_t i, run_deploy *rd)
{
    if (!b->has_small)
        return SIM_OK;
    int rc = b->small_rc[i];
    if (rc == SIM_OK) {
        run_deploy *tmp = sim_calloc(1, sizeof *tmp);
        if (!tmp)
            return SIM_ENOMEM;
        sim_diag quiet;
        sim_diag_init(&quiet);
        price_ctx c1 = {&b->one, b->cat, &quiet};
        tmp->pd = b->small_pd[i];
        rc = compute_one(b, &c1, i, tmp, 1);
        if (rc == SIM_OK) {
            rd->small_month_usd = tmp->month_usd;
            rd->small_tenants = b->one.workload.tenants;
        }
        price_bill_fini(&tmp->bill);
        sim_free(tmp->price_per_agent);
        price_reasons_fini(&tmp->why);
        sim_free(tmp);
        sim_diag_fini(&quiet);
    }
    /* A deployment that cannot run at one tenant keeps the per-account
     * estimate: the full run is what the user asked about. */
    if (rc == SIM_EINVAL)
        rc = SIM_OK;
    return rc;
}

/*
 * Deployment i's results from its simulations (rd->pd resolved already):
 * the full run, or with `small` the one-tenant one.
 */
static int compute_one(batch *b, const price_ctx *ctx, size_t i,
                       run_deploy *rd, int small)
{
    const scn_scenario *s = ctx->scn;
    const scn_deployment *dep = rd->pd.dep;
    size_t reps = b->reps;
    size_t first = b->first[i] + (small ? reps : 0);
    int rc = SIM_OK;
    sim_fx *totals = sim_calloc(reps, sizeof *totals);
    if (!totals)
        return SIM_ENOMEM;
    rd->stochastic = !s->workload.fluid;
    price_bill_init(&rd->bill);
    memset(&rd->usage, 0, sizeof rd->usage);
    /* Replication r of every deployment sees the same arrivals (common
     * random numbers), so differences between deployments are not noise.
     * The first replication that fails stops the deployment, as it
     * would one replication after another. */
    for (size_t r = 0; r < reps && rc == SIM_OK; r++) {
        slot *sl;
        rc = unit_slot(b, first + r, &sl);
        if (rc == SIM_OK) {
            sim_diag_move(ctx->diag, &sl->diag);
            rc = combine(rd, sl, r, reps, totals);
        }
    }
    usage_div(&rd->usage, (sim_fx)reps);
    if (rc != SIM_OK) {
        sim_free(totals);
        if (rc == SIM_ENOMEM)
            return rc;
        if (rc != SIM_EINVAL)
            scn_error(s, ctx->diag, dep->pos, "deployment '%s': %s while "
                      "billing", dep->name, sim_strerror(rc));
        return SIM_EINVAL;
    }
    if (!small)
        warn_never_sleeps(ctx, rd);
    if (s->workload.fluid)
        fluid_capacity(ctx, rd);
    if (!small && ((rc = rpt_feasibility(ctx, rd)) != SIM_OK ||
                   (rc = take_small(b, i, rd)) != SIM_OK)) {
        sim_free(totals);
        return rc;
    }
    /* Line items: the mean over replications. */
    for (size_t k = 0; k < rd->bill.n; k++) {
        rd->bill.v[k].quantity /= (sim_fx)reps;
        rd->bill.v[k].usd /= (sim_fx)reps;
    }
    stat_of(totals, reps, &rd->month);
    sim_free(totals);
    rd->bill.total = rd->month.mean;
    stat_div(&rd->month, sim_fx_from_int(s->workload.tenants),
             &rd->per_tenant);
    stat_div(&rd->month, sim_fx_from_int(scn_agents(s)), &rd->per_agent);
    rd->month_usd = rd->month.mean;
    rd->per_tenant_usd = rd->per_tenant.mean;
    rd->per_agent_usd = rd->per_agent.mean;

    /* The price that funds infrastructure and the LLM spend, times the
     * markup. */
    rd->price_per_agent = sim_calloc(s->nmarkups ? s->nmarkups : 1,
                                 sizeof *rd->price_per_agent);
    if (!rd->price_per_agent)
        return SIM_ENOMEM;
    /* The LLM spend per agent follows the messages actually sent: the
     * simulated ones, or the fluid form's messages_per_agent_month. */
    sim_fx llm = 0, per_agent_msgs = 0;
    sim_fx_div(rd->usage.messages, sim_fx_from_int(scn_agents(s)),
               &per_agent_msgs);
    sim_fx_mul(s->llm_usd_per_message, per_agent_msgs, &llm);
    for (size_t k = 0; k < s->nmarkups; k++)
        sim_fx_mul(rd->per_agent_usd + llm, s->markups[k],
                   &rd->price_per_agent[k]);
    return SIM_OK;
}

static void check_budgets(run_results *r)
{
    const scn_scenario *s = r->scn;
    size_t n = 0;
    r->budgets_ok = 1;
    for (size_t i = 0; i < s->nbudgets; i++)
        n += s->budgets[i].deployment ? 1 : r->n;
    r->budgets = sim_calloc(n ? n : 1, sizeof *r->budgets);
    if (!r->budgets)
        return;
    for (size_t i = 0; i < s->nbudgets; i++) {
        const scn_budget *b = &s->budgets[i];
        for (size_t j = 0; j < r->n; j++) {
            const run_deploy *d = &r->d[j];
            if (b->deployment && strcmp(b->deployment, d->pd.dep->name))
                continue;
            run_budget *rb = &r->budgets[r->nbudgets++];
            rb->b = b;
            rb->d = d;
            int up = b->bound == SCN_BOUND_UPPER95;
            switch (b->metric) {
            case SCN_METRIC_TOTAL:
                rb->actual = up ? d->month.hi : d->month.mean;
                break;
            case SCN_METRIC_PER_TENANT:
                rb->actual = up ? d->per_tenant.hi : d->per_tenant.mean;
                break;
            case SCN_METRIC_PER_AGENT:
                rb->actual = up ? d->per_agent.hi : d->per_agent.mean;
                break;
            case SCN_METRIC_COLD_START_P95:
                rb->actual = sim_fx_from_double(d->wait_p95);
                break;
            }
            rb->ok = rb->actual <= b->max;
            if (!rb->ok)
                r->budgets_ok = 0;
        }
    }
}

/*
 * The one-tenant copy of the scenario that take_small runs: one tenant
 * of the class with the most tenants (the first on ties), since one
 * tenant as a planner means it, and two identical classes give what one
 * class of both gives.  Not run when the scenario has one tenant already
 * or a trace fixes its tenants.  Each deployment is resolved in it with
 * what it says dropped.
 */
static int plan_small(batch *b)
{
    const scn_scenario *s = b->scn;
    const scn_workload *w = &s->workload;
    if (w->tenants <= 1)
        return SIM_OK;
    for (size_t i = 0; i < w->nclasses; i++)
        if (w->classes[i].arrivals == SCN_ARR_TRACE)
            return SIM_OK;
    size_t n = b->r->n ? b->r->n : 1;
    b->cls = sim_alloc(sizeof *b->cls);
    b->small_pd = sim_calloc(n, sizeof *b->small_pd);
    b->small_rc = sim_calloc(n, sizeof *b->small_rc);
    if (!b->cls || !b->small_pd || !b->small_rc)
        return SIM_ENOMEM;
    size_t big = 0;
    for (size_t i = 1; i < w->nclasses; i++)
        if (w->classes[i].tenants > w->classes[big].tenants)
            big = i;
    b->one = *s;
    memcpy(b->cls, &w->classes[big], sizeof *b->cls);
    b->cls->tenants = 1;
    b->one.workload.classes = b->cls;
    b->one.workload.nclasses = 1;
    b->one.workload.tenants = 1;
    b->one.workload.agents = b->cls->agents_per_tenant;
    b->has_small = 1;
    for (size_t i = 0; i < b->r->n; i++) {
        if (b->resolve_rc[i] != SIM_OK)
            continue;
        sim_diag quiet;
        sim_diag_init(&quiet);
        price_ctx c1 = {&b->one, b->cat, &quiet};
        b->small_rc[i] = price_resolve(&c1, &s->deployments[i],
                                       &b->small_pd[i]);
        sim_diag_fini(&quiet);
        if (b->small_rc[i] == SIM_ENOMEM)
            return SIM_ENOMEM;
    }
    return SIM_OK;
}

/* Puts the deployments that can share a replication's draw into sets
 * (see RUN_WINDOW's comment); a key no other deployment has runs alone. */
static int plan_sets(batch *b)
{
    run_results *r = b->r;
    size_t n = r->n ? r->n : 1;
    uint64_t *key = sim_calloc(n, sizeof *key);
    b->set = sim_alloc(n * sizeof *b->set);
    b->member = sim_calloc(n, sizeof *b->member);
    b->nmembers = sim_calloc(n, sizeof *b->nmembers);
    b->members = sim_calloc(n, sizeof *b->members);
    if (!key || !b->set || !b->member || !b->nmembers || !b->members) {
        sim_free(key);
        return SIM_ENOMEM;
    }
    price_ctx ctx = {b->scn, b->cat, NULL};
    for (size_t i = 0; i < r->n; i++) {
        b->set[i] = SIZE_MAX;
        key[i] = b->resolve_rc[i] == SIM_OK
                     ? sim_share_key(&ctx, &r->d[i].pd) : 0;
    }
    /* Quadratic in the deployments that share keys, a few dozen at most
     * in any scenario a planner writes; the simulations dwarf it. */
    for (size_t i = 0; i < r->n; i++) {
        if (key[i] == 0 || b->set[i] != SIZE_MAX)
            continue;
        size_t m = 0;
        for (size_t j = i; j < r->n; j++)
            m += key[j] == key[i];
        if (m < 2)
            continue;
        size_t s = b->nsets++;
        if (!(b->members[s] = sim_calloc(m, sizeof *b->members[s]))) {
            sim_free(key);
            return SIM_ENOMEM;
        }
        for (size_t j = i; j < r->n; j++)
            if (key[j] == key[i]) {
                b->set[j] = s;
                b->member[j] = b->nmembers[s];
                b->members[s][b->nmembers[s]++] = j;
            }
    }
    sim_free(key);
    if (b->nsets == 0)
        return SIM_OK;
    if (!(b->shares = sim_calloc(b->nsets * b->reps, sizeof *b->shares)))
        return SIM_ENOMEM;
    for (size_t s = 0; s < b->nsets; s++)
        for (size_t k = 0; k < b->reps; k++)
            b->shares[s * b->reps + k].left = b->nmembers[s];
    if (pthread_mutex_init(&b->mu, NULL) != 0)
        return SIM_ENOMEM;
    if (pthread_cond_init(&b->ran, NULL) != 0) {
        pthread_mutex_destroy(&b->mu);
        return SIM_ENOMEM;
    }
    b->mu_ok = 1;
    return SIM_OK;
}

/* Resolves every deployment and lists the simulations to run. */
static int plan(batch *b)
{
    run_results *r = b->r;
    size_t n = r->n ? r->n : 1;
    b->reps = b->scn->workload.fluid ? 1 : (size_t)b->scn->replications;
    b->resolve_rc = sim_calloc(n, sizeof *b->resolve_rc);
    b->resolve_diag = sim_calloc(n, sizeof *b->resolve_diag);
    b->first = sim_calloc(n, sizeof *b->first);
    if (!b->resolve_rc || !b->resolve_diag || !b->first)
        return SIM_ENOMEM;
    price_ctx ctx = {b->scn, b->cat, NULL};
    for (size_t i = 0; i < r->n; i++) {
        ctx.diag = &b->resolve_diag[i];
        b->resolve_rc[i] = price_resolve(&ctx, &b->scn->deployments[i],
                                         &r->d[i].pd);
        if (b->resolve_rc[i] == SIM_ENOMEM)
            return SIM_ENOMEM;
    }
    int rc = plan_small(b);
    if (rc != SIM_OK)
        return rc;
    if ((rc = plan_sets(b)) != SIM_OK)
        return rc;
    size_t total = 0;
    for (size_t i = 0; i < r->n; i++)
        if (b->resolve_rc[i] == SIM_OK)
            total += b->reps *
                     (b->has_small && b->small_rc[i] == SIM_OK ? 2 : 1);
    if (!(b->units = sim_calloc(total ? total : 1, sizeof *b->units)))
        return SIM_ENOMEM;
    for (size_t i = 0; i < r->n; i++) {
        b->first[i] = b->nunits;
        if (b->resolve_rc[i] != SIM_OK)
            continue;
        b->full_total += b->reps;
        for (int small = 0; small < 2; small++) {
            if (small && !(b->has_small && b->small_rc[i] == SIM_OK))
                break;
            for (size_t k = 0; k < b->reps; k++)
                b->units[b->nunits++] = (unit){i, k, small};
        }
    }
    return SIM_OK;
}

static void batch_fini(batch *b)
{
    window_free(b);
    for (size_t s = 0; s < b->nsets; s++) {
        for (size_t k = 0; b->shares && k < b->reps; k++)
            share_fini(&b->shares[s * b->reps + k], b->nmembers[s]);
        sim_free(b->members[s]);
    }
    sim_free(b->shares);
    sim_free(b->members);
    sim_free(b->nmembers);
    sim_free(b->member);
    sim_free(b->set);
    if (b->mu_ok) {
        pthread_cond_destroy(&b->ran);
        pthread_mutex_destroy(&b->mu);
    }
    for (size_t i = 0; b->resolve_diag && i < b->r->n; i++)
        sim_diag_fini(&b->resolve_diag[i]);
    sim_free(b->resolve_diag);
    sim_free(b->resolve_rc);
    sim_free(b->first);
    sim_free(b->units);
    sim_free(b->cls);
    sim_free(b->small_pd);
    sim_free(b->small_rc);
}

int run_results_compute(const scn_scenario *scn, const price_catalog *cat,
                        sim_diag *d, run_results **out)
{
    return run_results_compute_with(scn, cat, NULL, d, out);
}

int run_results_compute_with(const scn_scenario *scn,
                             const price_catalog *cat, const run_opts *o,
                             sim_diag *d, run_results **out)
{
    price_ctx ctx = {scn, cat, d};
    int failed = 0;
    batch b;
    run_results *r = sim_calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return SIM_ENOMEM;
    r->scn = scn;
    r->cat = cat;
    r->d = sim_calloc(scn->ndeployments, sizeof *r->d);
    if (!r->d) {
        sim_free(r);
        return SIM_ENOMEM;
    }
    r->n = scn->ndeployments;
    memset(&b, 0, sizeof b);
    b.scn = scn;
    b.cat = cat;
    b.r = r;
    if (o) {
        b.jobs = o->jobs;
        b.dist = o->dist;
        b.progress = o->progress;
        b.progress_ud = o->progress_ud;
    }
    int rc = plan(&b);
    if (rc == SIM_OK && b.progress)
        b.progress(b.progress_ud, 0, b.full_total);
    /* Check every deployment before giving up, so one run reports all. */
    for (size_t i = 0; i < r->n && rc == SIM_OK; i++) {
        sim_diag_move(d, &b.resolve_diag[i]);
        int one = b.resolve_rc[i];
        if (one == SIM_OK)
            one = compute_one(&b, &ctx, i, &r->d[i], 0);
        if (one == SIM_ENOMEM)
            rc = one;
        else if (one != SIM_OK)
            failed = 1;
    }
    batch_fini(&b);
    if (rc == SIM_OK && failed)
        rc = SIM_EINVAL;
    if (rc == SIM_OK) {
        check_budgets(r);
        if (!r->budgets)
            rc = SIM_ENOMEM;
    }
    if (rc != SIM_OK) {
        run_results_free(r);
        return rc;
    }
    *out = r;
    return SIM_OK;
}

const run_deploy *run_cheapest(const run_results *r)
{
    const run_deploy *best = NULL;
    for (size_t i = 0; i < r->n; i++)
        if (r->d[i].feasible &&
            (!best || r->d[i].per_agent_usd < best->per_agent_usd))
            best = &r->d[i];
    return best;
}

void run_results_free(run_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        price_bill_fini(&r->d[i].bill);
        sim_free(r->d[i].price_per_agent);
        price_reasons_fini(&r->d[i].why);
    }
    sim_free(r->d);
    sim_free(r->budgets);
    sim_free(r);
}

