/*
 * results.c -- computing results and writing the results document.
 */
#include "reports/results.h"

#include "reports/advice.h"
#include "reports/feasible.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <math.h>

#include "sim/fluid.h"
#include "sim/stochastic.h"

char *rpt_usd(sim_fx v, char *buf, size_t size)
{
    return sim_fx_format(v, 2, buf, size);
}

char *rpt_num(sim_fx v, char *buf, size_t size)
{
    return sim_fx_format_trim(v, 6, buf, size);
}

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
static void stat_of(sim_fx *v, size_t n, rpt_stat *st)
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

static void stat_div(const rpt_stat *a, sim_fx by, rpt_stat *out)
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
        acc->v = malloc((b->n ? b->n : 1) * sizeof *acc->v);
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
            price_line *v = realloc(acc->v, (acc->n + 1) * sizeof *v);
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
static void warn_never_sleeps(const price_ctx *ctx, const rpt_deploy *rd)
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
static void fluid_capacity(const price_ctx *ctx, rpt_deploy *rd)
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
                       rpt_deploy *rd, int small);

/*
 * The deployment's month at one tenant, so the advice can
 * draw its cost line through two real runs instead of guessing which line
 * items are fixed: a load balancer, a plan, a pool's minimum instances
 * all show up at one tenant.  The scenario is copied shallowly with one
 * class of one tenant; diagnostics of this run are dropped (the
 * full run has said everything there is to say).
 */
static int run_small(const price_ctx *ctx, const scn_deployment *dep,
                     rpt_deploy *rd)
{
    const scn_scenario *s = ctx->scn;
    const scn_workload *w = &s->workload;
    if (w->tenants <= 1)
        return SIM_OK;
    for (size_t i = 0; i < w->nclasses; i++)
        if (w->classes[i].arrivals == SCN_ARR_TRACE)
            return SIM_OK;
    scn_scenario one = *s;
    scn_class *cls = malloc(sizeof *cls);
    rpt_deploy *tmp = calloc(1, sizeof *tmp);
    if (!cls || !tmp) {
        free(cls);
        free(tmp);
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
    free(tmp->price_per_agent);
    price_reasons_fini(&tmp->why);
    free(tmp);
    free(cls);
    sim_diag_fini(&quiet);
    return rc;
}

static int compute_one(const price_ctx *ctx, const scn_deployment *dep,
                       rpt_deploy *rd, int small)
{
    const scn_scenario *s = ctx->scn;
    size_t reps = s->workload.fluid ? 1 : (size_t)s->replications;
    int rc = price_resolve(ctx, dep, &rd->pd);
    if (rc != SIM_OK)
        return rc;
    sim_fx *totals = calloc(reps, sizeof *totals);
    sim_waits *waits = malloc(sizeof *waits);   /* 8 KiB: off the stack */
    if (!totals || !waits) {
        free(totals);
        free(waits);
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
    free(waits);
    usage_div(&rd->usage, (sim_fx)reps);
    if (rc != SIM_OK) {
        free(totals);
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
        free(totals);
        return rc;
    }
    /* Line items: the mean over replications. */
    for (size_t i = 0; i < rd->bill.n; i++) {
        rd->bill.v[i].quantity /= (sim_fx)reps;
        rd->bill.v[i].usd /= (sim_fx)reps;
    }
    stat_of(totals, reps, &rd->month);
    free(totals);
    rd->bill.total = rd->month.mean;
    stat_div(&rd->month, sim_fx_from_int(s->workload.tenants),
             &rd->per_tenant);
    stat_div(&rd->month, sim_fx_from_int(scn_agents(s)), &rd->per_agent);
    rd->month_usd = rd->month.mean;
    rd->per_tenant_usd = rd->per_tenant.mean;
    rd->per_agent_usd = rd->per_agent.mean;

    /* The price that funds infrastructure and the LLM spend, times the
     * markup. */
    rd->price_per_agent = calloc(s->nmarkups ? s->nmarkups : 1,
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

static void check_budgets(rpt_results *r)
{
    const scn_scenario *s = r->scn;
    size_t n = 0;
    r->budgets_ok = 1;
    for (size_t i = 0; i < s->nbudgets; i++)
        n += s->budgets[i].deployment ? 1 : r->n;
    r->budgets = calloc(n ? n : 1, sizeof *r->budgets);
    if (!r->budgets)
        return;
    for (size_t i = 0; i < s->nbudgets; i++) {
        const scn_budget *b = &s->budgets[i];
        for (size_t j = 0; j < r->n; j++) {
            const rpt_deploy *d = &r->d[j];
            if (b->deployment && strcmp(b->deployment, d->pd.dep->name))
                continue;
            rpt_budget *rb = &r->budgets[r->nbudgets++];
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

int rpt_results_compute(const scn_scenario *scn, const price_catalog *cat,
                        sim_diag *d, rpt_results **out)
{
    price_ctx ctx = {scn, cat, d};
    int failed = 0;
    rpt_results *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return SIM_ENOMEM;
    r->scn = scn;
    r->cat = cat;
    r->d = calloc(scn->ndeployments, sizeof *r->d);
    if (!r->d) {
        free(r);
        return SIM_ENOMEM;
    }
    r->n = scn->ndeployments;
    /* Check every deployment before giving up, so one run reports all. */
    for (size_t i = 0; i < r->n; i++) {
        int rc = compute_one(&ctx, &scn->deployments[i], &r->d[i], 0);
        if (rc == SIM_ENOMEM) {
            rpt_results_free(r);
            return rc;
        }
        if (rc != SIM_OK)
            failed = 1;
    }
    if (failed) {
        rpt_results_free(r);
        return SIM_EINVAL;
    }
    check_budgets(r);
    if (!r->budgets) {
        rpt_results_free(r);
        return SIM_ENOMEM;
    }
    *out = r;
    return SIM_OK;
}

const rpt_deploy *rpt_cheapest(const rpt_results *r)
{
    const rpt_deploy *best = NULL;
    for (size_t i = 0; i < r->n; i++)
        if (r->d[i].feasible &&
            (!best || r->d[i].per_agent_usd < best->per_agent_usd))
            best = &r->d[i];
    return best;
}

void rpt_results_free(rpt_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        price_bill_fini(&r->d[i].bill);
        free(r->d[i].price_per_agent);
        price_reasons_fini(&r->d[i].why);
    }
    free(r->d);
    free(r->budgets);
    free(r);
}

/* ---- JSON ---------------------------------------------------------------- */

/* Adds an exact decimal as a raw JSON number (cJSON would go via double). */
static void add_num(cJSON *o, const char *key, sim_fx v)
{
    char buf[64];
    cJSON_AddItemToObject(o, key, cJSON_CreateRaw(rpt_num(v, buf,
                                                          sizeof buf)));
}

static cJSON *num(sim_fx v)
{
    char buf[64];
    return cJSON_CreateRaw(rpt_num(v, buf, sizeof buf));
}

/* A fluid run is one deterministic outcome: every statistic is the value. */
static cJSON *stat_block(const rpt_stat *st, int full)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ci = cJSON_CreateArray();
    add_num(o, "mean", st->mean);
    cJSON_AddItemToArray(ci, num(st->lo));
    cJSON_AddItemToArray(ci, num(st->hi));
    cJSON_AddItemToObject(o, "ci95", ci);
    if (full) {
        add_num(o, "p5", st->p5);
        add_num(o, "p50", st->p50);
        add_num(o, "p95", st->p95);
    }
    return o;
}

/* measured, modelled and (measured - modelled) / modelled (null when
 * nothing was modelled). */
static void live_pair(cJSON *o, const char *key, const rpt_live_pair *p)
{
    cJSON *x = cJSON_AddObjectToObject(o, key);
    add_num(x, "measured", sim_fx_from_double(p->measured));
    add_num(x, "modelled", sim_fx_from_double(p->modelled));
    if (p->modelled != 0)
        add_num(x, "relative_difference",
                sim_fx_from_double((p->measured - p->modelled) /
                                   p->modelled));
    else
        cJSON_AddNullToObject(x, "relative_difference");
}

static void live_json(const rpt_results *r, const rpt_deploy *d, cJSON *o)
{
    const rpt_live *l = &d->live;
    cJSON *x = cJSON_AddObjectToObject(o, "live");
    add_num(x, "speedup", sim_fx_from_double(l->speedup));
    cJSON_AddStringToObject(x, "transport",
                            scn_transport_names[r->scn->workload.transport]);
    add_num(x, "messages_sent", sim_fx_from_int((int64_t)l->sent));
    add_num(x, "replies_completed", sim_fx_from_int((int64_t)l->completed));
    add_num(x, "errors", sim_fx_from_int((int64_t)l->errors));
    if (l->first_error[0])
        cJSON_AddStringToObject(x, "first_error", l->first_error);
    live_pair(x, "busy_s", &l->busy_s);
    if (l->sleeps)
        live_pair(x, "awake_fraction", &l->awake_fraction);
    live_pair(x, "kib_per_message", &l->kib_per_message);
    live_pair(x, "memory_gb", &l->memory_gb);
}

static cJSON *deploy_json(const rpt_results *r, const rpt_deploy *d)
{
    const scn_deployment *dep = d->pd.dep;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", dep->name);
    cJSON_AddStringToObject(o, "provider", dep->provider);
    cJSON_AddStringToObject(o, "architecture", scn_arch_names[dep->arch]);
    if (d->pd.plan)
        cJSON_AddStringToObject(o, "plan", d->pd.plan->id);
    if (d->pd.region)
        cJSON_AddStringToObject(o, "region", d->pd.region);
    cJSON_AddStringToObject(o, "scaling", scn_mode_names[dep->mode]);
    cJSON_AddStringToObject(o, "billing_basis",
                            d->pd.measured ? "measured" : "allocated");
    cJSON_AddBoolToObject(o, "feasible", d->feasible);
    cJSON *why = cJSON_AddArrayToObject(o, "infeasible_reasons");
    for (size_t i = 0; i < d->why.n; i++)
        cJSON_AddItemToArray(why, cJSON_CreateString(d->why.v[i]));
    cJSON_AddItemToObject(o, "month_usd", stat_block(&d->month, 1));
    cJSON_AddItemToObject(o, "per_tenant_month_usd",
                          stat_block(&d->per_tenant, 0));
    cJSON_AddItemToObject(o, "per_agent_month_usd",
                          stat_block(&d->per_agent, 0));
    cJSON *items = cJSON_AddArrayToObject(o, "line_items");
    for (size_t i = 0; i < d->bill.n; i++) {
        const price_line *l = &d->bill.v[i];
        cJSON *li = cJSON_CreateObject();
        cJSON_AddStringToObject(li, "item", l->item);
        cJSON_AddStringToObject(li, "what", l->what);
        cJSON_AddStringToObject(li, "unit", l->unit ? l->unit : "");
        add_num(li, "quantity", l->quantity);
        {
            /* Rates carry up to 12 places (Railway's $0.00000772/vCPU-s). */
            char rb[96];
            cJSON_AddItemToObject(li, "rate_usd", cJSON_CreateRaw(
                sim_fx_format_trim(l->rate, 12, rb, sizeof rb)));
        }
        add_num(li, "included", l->included);
        add_num(li, "usd", l->usd);
        cJSON_AddItemToArray(items, li);
    }
    cJSON *inst = cJSON_AddObjectToObject(o, "instances");
    add_num(inst, "mean", d->usage.instances_mean);
    add_num(inst, "peak", d->usage.instances_peak);
    if (d->pool) {
        /* What one instance carries: the stricter of vCPU and memory,
         * beside its share of the idle agents. */
        cJSON *cap = cJSON_AddObjectToObject(o, "capacity_per_instance");
        add_num(cap, "messages", sim_fx_from_int(d->cap.slots));
        cJSON_AddStringToObject(cap, "limited_by",
                                d->cap.by_memory ? "memory" : "vcpu");
        add_num(cap, "resident_idle_gb",
                sim_fx_from_double(d->cap.resident_gb));
        if (d->cap.floor > 0 && d->cap.floor < INT64_MAX)
            add_num(cap, "min_instances_for_residents",
                    sim_fx_from_int(d->cap.floor));
    }
    add_num(o, "awake_fraction", d->usage.awake_fraction);
    add_num(o, "cold_starts_per_month", d->usage.cold_starts);
    add_num(o, "messages_per_month", d->usage.messages);
    cJSON *cs = cJSON_AddObjectToObject(o, "cold_start_wait_s");
    add_num(cs, "p50", sim_fx_from_double(d->wait_p50));
    add_num(cs, "p95", sim_fx_from_double(d->wait_p95));
    if (d->pd.hour_pool > 0) {
        add_num(o, "hour_pool_used", d->usage.pool_hours_used);
        add_num(o, "refused_hours",
                d->usage.refused_seconds / 3600);
        add_num(o, "hour_pool_dry_at_hours", d->usage.pool_dry_at / 3600);
        if (!d->stochastic)     /* stochastic runs say it below */
            add_num(o, "refused_messages_per_month",
                    d->usage.refused_messages);
    }
    if (d->stochastic) {
        const scn_deployment *dp = d->pd.dep;
        int pool = !d->pd.objects && dp->mode != SCN_MODE_SCALE_TO_ZERO &&
                   dp->arch != SCN_ARCH_PER_REQUEST;
        add_num(o, "refused_messages_per_month", d->usage.refused_messages);
        if (pool) {
            cJSON *qw = cJSON_AddObjectToObject(o, "queue_wait_s");
            add_num(qw, "p50", sim_fx_from_double(d->queue_p50));
            add_num(qw, "p95", sim_fx_from_double(d->queue_p95));
            add_num(qw, "p99", sim_fx_from_double(d->queue_p99));
            add_num(o, "queued_messages_per_month",
                    d->usage.queued_messages);
        }
        cJSON *tl = cJSON_AddObjectToObject(o, "instances_over_time");
        add_num(tl, "slice_hours",
                (sim_fx)r->scn->horizon_us * (SIM_FX_ONE / 1000000) /
                    (3600 * RPT_TIMELINE));
        cJSON *pts = cJSON_AddArrayToObject(tl, "mean");
        for (int i = 0; i < RPT_TIMELINE; i++) {
            char buf[64];
            rpt_num(sim_fx_from_double(d->timeline[i]), buf, sizeof buf);
            cJSON_AddItemToArray(pts, cJSON_CreateRaw(buf));
        }
    }
    if (d->live.present)
        live_json(r, d, o);
    cJSON *rec = cJSON_AddArrayToObject(o,
                                        "recommended_price_per_agent_month_usd");
    for (size_t i = 0; i < r->scn->nmarkups; i++) {
        cJSON *p = cJSON_CreateObject();
        add_num(p, "markup", r->scn->markups[i]);
        add_num(p, "usd", d->price_per_agent[i]);
        cJSON_AddItemToArray(rec, p);
    }
    return o;
}

/* The resource envelope every figure rests on, and where it came from:
 * a measured profile's path, or "inline". */
static void profile_json(const scn_profile *p, cJSON *root)
{
    cJSON *o = cJSON_AddObjectToObject(root, "profile");
    cJSON_AddStringToObject(o, "source", p->source ? p->source : "inline");
    add_num(o, "active_vcpu", p->active_vcpu);
    add_num(o, "active_memory_gb", p->active_memory_gb);
    add_num(o, "idle_memory_gb", p->idle_memory_gb);
    add_num(o, "base_memory_gb", p->base_memory_gb);
    add_num(o, "egress_kb_per_message", p->egress_kb_per_message);
    add_num(o, "cpu_ms_per_request", p->cpu_ms_per_request);
    add_num(o, "idle_kb_per_hour", p->idle_kb_per_hour);
    add_num(o, "runtime_start_s",
            (sim_fx)p->runtime_start_us * (SIM_FX_ONE / 1000000));
}

/* The service level every deployment was judged by; a limit not set is
 * null. */
static void slo_json(const scn_scenario *s, cJSON *root)
{
    const scn_slo *slo = &s->slo;
    cJSON *o = cJSON_AddObjectToObject(root, "slo");
    if (slo->queue_wait_p95_us >= 0)
        add_num(o, "queue_wait_p95_s",
                (sim_fx)slo->queue_wait_p95_us * (SIM_FX_ONE / 1000000));
    else
        cJSON_AddNullToObject(o, "queue_wait_p95_s");
    if (slo->cold_start_wait_p95_us >= 0)
        add_num(o, "cold_start_wait_p95_s",
                (sim_fx)slo->cold_start_wait_p95_us * (SIM_FX_ONE / 1000000));
    else
        cJSON_AddNullToObject(o, "cold_start_wait_p95_s");
    if (slo->refused_messages >= 0)
        add_num(o, "refused_messages", slo->refused_messages);
    else
        cJSON_AddNullToObject(o, "refused_messages");
    cJSON_AddBoolToObject(o, "default", !slo->given);
}

static char *render_json(const rpt_results *r, const char *version)
{
    const scn_scenario *s = r->scn;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "capsim_version", version);
    cJSON_AddStringToObject(root, "scenario", s->name);
    {
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->seed);
        cJSON_AddItemToObject(root, "seed", cJSON_CreateRaw(buf));
        snprintf(buf, sizeof buf, "%lld", (long long)s->replications);
        cJSON_AddItemToObject(root, "replications", cJSON_CreateRaw(buf));
    }
    add_num(root, "horizon_hours",
            (sim_fx)s->horizon_us * (SIM_FX_ONE / 1000000) / 3600);
    cJSON_AddStringToObject(root, "workload",
                            s->workload.fluid ? "fluid" : "stochastic");
    add_num(root, "tenants", sim_fx_from_int(s->workload.tenants));
    add_num(root, "agents", sim_fx_from_int(scn_agents(s)));
    cJSON *pr = cJSON_AddObjectToObject(root, "pricing");
    cJSON_AddStringToObject(pr, "catalog", r->cat->name ? r->cat->name : "");
    cJSON_AddStringToObject(pr, "as_of", r->cat->as_of ? r->cat->as_of : "");
    profile_json(&s->profile, root);
    slo_json(s, root);
    cJSON *deps = cJSON_AddArrayToObject(root, "deployments");
    for (size_t i = 0; i < r->n; i++)
        cJSON_AddItemToArray(deps, deploy_json(r, &r->d[i]));
    cJSON *bud = cJSON_AddArrayToObject(root, "budgets");
    for (size_t i = 0; i < r->nbudgets; i++) {
        const rpt_budget *b = &r->budgets[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "metric", scn_metric_names[b->b->metric]);
        cJSON_AddStringToObject(o, "deployment", b->d->pd.dep->name);
        cJSON_AddStringToObject(o, "bound", scn_bound_names[b->b->bound]);
        add_num(o, "max", b->b->max);
        add_num(o, "actual", b->actual);
        cJSON_AddBoolToObject(o, "ok", b->ok);
        cJSON_AddItemToArray(bud, o);
    }
    if (rpt_advice_json(r, root) != SIM_OK) {
        cJSON_Delete(root);
        return NULL;
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *out = malloc(n + 2);
    if (out) {
        memcpy(out, text, n);
        out[n] = '\n';
        out[n + 1] = '\0';
    }
    cJSON_free(text);
    return out;
}

/* ---- text formats ------------------------------------------------------- */

#include "reports/report.h"
#include "reports/table.h"

char *rpt_render(const rpt_results *r, enum rpt_format fmt,
                 const char *version)
{
    switch (fmt) {
    case RPT_JSON: return render_json(r, version);
    case RPT_TABLE: return rpt_render_table(r);
    case RPT_CSV:
    case RPT_MD:
        break;
    }
    /* Markdown and CSV render the results document, as `capsim report`
     * does from a saved one, so both give the same bytes. */
    char *json = render_json(r, version);
    cJSON *res = NULL;
    char *text = NULL;
    if (json && rpt_json_parse(json, strlen(json), &res, NULL) == SIM_OK)
        text = fmt == RPT_MD ? rpt_md_from_json(res) : rpt_csv_from_json(res);
    cJSON_Delete(res);
    free(json);
    return text;
}
