/*
 * results.c -- computing results and writing the results document.
 */
#include "reports/results.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fluid.h"

char *rpt_usd(sim_fx v, char *buf, size_t size)
{
    return sim_fx_format(v, 2, buf, size);
}

char *rpt_num(sim_fx v, char *buf, size_t size)
{
    return sim_fx_format_trim(v, 6, buf, size);
}

static int compute_one(const price_ctx *ctx, const scn_deployment *dep,
                       rpt_deploy *rd)
{
    const scn_scenario *s = ctx->scn;
    int rc = price_resolve(ctx, dep, &rd->pd);
    if (rc != SIM_OK)
        return rc;
    if ((rc = sim_fluid_run(ctx, &rd->pd, &rd->usage)) != SIM_OK)
        return rc;
    price_bill_init(&rd->bill);
    rc = rd->pd.ops->charge(ctx, &rd->pd, &rd->usage, &rd->bill);
    if (rc == SIM_OK && rd->bill.nomem)
        rc = SIM_ENOMEM;
    if (rc != SIM_OK) {
        if (rc != SIM_EINVAL)
            scn_error(s, ctx->diag, dep->pos, "deployment '%s': %s while "
                      "billing", dep->name, sim_strerror(rc));
        return SIM_EINVAL;
    }
    rd->month_usd = rd->bill.total;
    sim_fx_div(rd->month_usd, sim_fx_from_int(s->workload.tenants),
               &rd->per_tenant_usd);
    sim_fx_div(rd->month_usd, sim_fx_from_int(scn_agents(s)),
               &rd->per_agent_usd);

    /* The price that funds infrastructure and the LLM spend, times the
     * markup. */
    rd->price_per_agent = calloc(s->nmarkups ? s->nmarkups : 1,
                                 sizeof *rd->price_per_agent);
    if (!rd->price_per_agent)
        return SIM_ENOMEM;
    sim_fx llm = 0;
    if (s->workload.has_messages)
        sim_fx_mul(s->llm_usd_per_message,
                   s->workload.messages_per_agent_month, &llm);
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
            switch (b->metric) {
            case SCN_METRIC_TOTAL: rb->actual = d->month_usd; break;
            case SCN_METRIC_PER_TENANT: rb->actual = d->per_tenant_usd; break;
            case SCN_METRIC_PER_AGENT: rb->actual = d->per_agent_usd; break;
            case SCN_METRIC_COLD_START_P95: rb->actual = 0; break;
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
        int rc = compute_one(&ctx, &scn->deployments[i], &r->d[i]);
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

void rpt_results_free(rpt_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        price_bill_fini(&r->d[i].bill);
        free(r->d[i].price_per_agent);
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
static cJSON *stat_block(sim_fx v, int full)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ci = cJSON_CreateArray();
    add_num(o, "mean", v);
    cJSON_AddItemToArray(ci, num(v));
    cJSON_AddItemToArray(ci, num(v));
    cJSON_AddItemToObject(o, "ci95", ci);
    if (full) {
        add_num(o, "p5", v);
        add_num(o, "p50", v);
        add_num(o, "p95", v);
    }
    return o;
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
    cJSON_AddItemToObject(o, "month_usd", stat_block(d->month_usd, 1));
    cJSON_AddItemToObject(o, "per_tenant_month_usd",
                          stat_block(d->per_tenant_usd, 0));
    cJSON_AddItemToObject(o, "per_agent_month_usd",
                          stat_block(d->per_agent_usd, 0));
    cJSON *items = cJSON_AddArrayToObject(o, "line_items");
    for (size_t i = 0; i < d->bill.n; i++) {
        const price_line *l = &d->bill.v[i];
        cJSON *li = cJSON_CreateObject();
        cJSON_AddStringToObject(li, "item", l->item);
        cJSON_AddStringToObject(li, "what", l->what);
        cJSON_AddStringToObject(li, "unit", l->unit ? l->unit : "");
        add_num(li, "quantity", l->quantity);
        add_num(li, "rate_usd", l->rate);
        add_num(li, "included", l->included);
        add_num(li, "usd", l->usd);
        cJSON_AddItemToArray(items, li);
    }
    cJSON *inst = cJSON_AddObjectToObject(o, "instances");
    add_num(inst, "mean", d->usage.instances_mean);
    add_num(inst, "peak", d->usage.instances_peak);
    add_num(o, "awake_fraction", d->usage.awake_fraction);
    add_num(o, "cold_starts_per_month", d->usage.cold_starts);
    add_num(o, "messages_per_month", d->usage.messages);
    cJSON *cs = cJSON_AddObjectToObject(o, "cold_start_wait_s");
    add_num(cs, "p50", 0);
    add_num(cs, "p95", 0);
    if (d->pd.hour_pool > 0) {
        add_num(o, "hour_pool_used", d->usage.pool_hours_used);
        add_num(o, "refused_hours",
                d->usage.refused_seconds / 3600);
    }
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

#include "reports/table.h"

char *rpt_render(const rpt_results *r, enum rpt_format fmt,
                 const char *version)
{
    switch (fmt) {
    case RPT_JSON: return render_json(r, version);
    case RPT_TABLE: return rpt_render_table(r);
    case RPT_CSV: return rpt_render_csv(r);
    case RPT_MD: return rpt_render_md(r, version);
    }
    return NULL;
}
