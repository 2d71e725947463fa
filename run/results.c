/*
 * results.c -- running a scenario's deployments (results.h).
 */
#include "run/results.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "run/feasible.h"
#include "run/fluid.h"
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

static int compute_one(const price_ctx *ctx, const scn_deployment *dep,
                       run_deploy *rd, int small);

/*
 * The deployment's month at one tenant, so the advice can
 * draw its cost line through two real runs instead of guessing which line
 * items are fixed: a load balancer, a plan, a pool's minimum instances
 * all show up at one tenant.  The scenario is copied shallowly with one
 * class of one tenant; diagnostics of this run are dropped (the
 * full run has said everything there is to say).
 */
static int run_small(const price_ctx *ctx, const scn_deployment *dep,
                     run_deploy *rd)
{
    const scn_scenario *s = ctx->scn;
    const scn_workload *w = &s->workload;
    if (w->tenants <= 1)
        return SIM_OK;
    for (size_t i = 0; i < w->nclasses; i++)
        if (w->classes[i].arrivals == SCN_ARR_TRACE)
            return SIM_OK;
    scn_scenario one = *s;
    scn_class *cls = sim_alloc(sizeof *cls);
    run_deploy *tmp = sim_calloc(1, sizeof *tmp);
    if (!cls || !tmp) {
        sim_free(cls);
        sim_free(tmp);
        return SIM_ENOMEM;
    }
    /* One tenant of the class with the most tenants (the first on ties):
     * one tenant as a planner means it, and two identical classes give
     * what one class of both gives. */
    size_t big = 0;
    for (size_t i = 1; i < w->nclasses; i++)
        if (w->classes[i].tenants > w->classes[big].tenants)
            big = i;
    memcpy(cls, &w->classes[big], sizeof *cls);
    cls->tenants = 1;
    one.workload.classes = cls;
    one.workload.nclasses = 1;
    one.workload.tenants = 1;
    one.workload.agents = cls->agents_per_tenant;
    sim_diag quiet;
    sim_diag_init(&quiet);
    price_ctx c1 = {&one, ctx->cat, &quiet};
    int rc = compute_one(&c1, dep, tmp, 1);
    if (rc == SIM_OK) {
        rd->small_month_usd = tmp->month_usd;
        rd->small_tenants = one.workload.tenants;
    }
    /* A deployment that cannot run at one tenant keeps the per-account
     * estimate: the full run is what the user asked about. */
    if (rc == SIM_EINVAL)
        rc = SIM_OK;
    price_bill_fini(&tmp->bill);
    sim_free(tmp->price_per_agent);
    price_reasons_fini(&tmp->why);
    sim_free(tmp);
    sim_free(cls);
    sim_diag_fini(&quiet);
    return rc;
}

static int compute_one(const price_ctx *ctx, const scn_deployment *dep,
                       run_deploy *rd, int small)
{
    const scn_scenario *s = ctx->scn;
    size_t reps = s->workload.fluid ? 1 : (size_t)s->replications;
    int rc = price_resolve(ctx, dep, &rd->pd);
    if (rc != SIM_OK)
        return rc;
    sim_fx *totals = sim_calloc(reps, sizeof *totals);
    sim_waits *waits = sim_alloc(sizeof *waits);   /* 8 KiB: off the stack */
    if (!totals || !waits) {
        sim_free(totals);
        sim_free(waits);
        return SIM_ENOMEM;
    }
    rd->stochastic = !s->workload.fluid;
    price_bill_init(&rd->bill);
    memset(&rd->usage, 0, sizeof rd->usage);
    /* Replication r of every deployment sees the same arrivals (common
     * random numbers), so differences between deployments are not noise. */
    for (size_t r = 0; r < reps && rc == SIM_OK; r++) {
        sim_usage u;
        price_bill b;
        memset(waits, 0, sizeof *waits);
        price_bill_init(&b);
        if (s->workload.fluid)
            rc = sim_fluid_run(ctx, &rd->pd, &u);
        else
            rc = sim_stochastic_run(ctx, &rd->pd, r, &u, waits);
        if (rc == SIM_OK)
            rc = rd->pd.ops->charge(ctx, &rd->pd, &u, &b);
        if (rc == SIM_OK && b.nomem)
            rc = SIM_ENOMEM;
        if (rc == SIM_OK)
            rc = accumulate(&rd->bill, &b, r == 0);
        if (rc == SIM_OK && r == 0 && waits->pool) {
            rd->pool = 1;
            rd->cap = waits->cap;
        }
        if (rc == SIM_OK) {
            totals[r] = b.total;
            usage_add(&rd->usage, &u);
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
        }
        price_bill_fini(&b);
    }
    sim_free(waits);
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
                   (rc = run_small(ctx, dep, rd)) != SIM_OK)) {
        sim_free(totals);
        return rc;
    }
    /* Line items: the mean over replications. */
    for (size_t i = 0; i < rd->bill.n; i++) {
        rd->bill.v[i].quantity /= (sim_fx)reps;
        rd->bill.v[i].usd /= (sim_fx)reps;
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
    for (size_t i = 0; i < s->nmarkups; i++)
        sim_fx_mul(rd->per_agent_usd + llm, s->markups[i],
                   &rd->price_per_agent[i]);
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

int run_results_compute(const scn_scenario *scn, const price_catalog *cat,
                        sim_diag *d, run_results **out)
{
    price_ctx ctx = {scn, cat, d};
    int failed = 0;
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
    /* Check every deployment before giving up, so one run reports all. */
    for (size_t i = 0; i < r->n; i++) {
        int rc = compute_one(&ctx, &scn->deployments[i], &r->d[i], 0);
        if (rc == SIM_ENOMEM) {
            run_results_free(r);
            return rc;
        }
        if (rc != SIM_OK)
            failed = 1;
    }
    if (failed) {
        run_results_free(r);
        return SIM_EINVAL;
    }
    check_budgets(r);
    if (!r->budgets) {
        run_results_free(r);
        return SIM_ENOMEM;
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

