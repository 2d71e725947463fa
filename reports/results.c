/*
 * results.c -- the results document and the text formats of a run's
 * results.
 */
#include "reports/results.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "reports/advice.h"
#include "reports/fmt.h"

/* ---- JSON ---------------------------------------------------------------- */

/* Adds an exact decimal as a raw JSON number (cJSON would go via double). */
static void add_num(cJSON *o, const char *key, sim_fx v)
{
    char buf[64];
    sim_json_add(o, key, cJSON_CreateRaw(rpt_num(v, buf,
                                                          sizeof buf)));
}

static cJSON *num(sim_fx v)
{
    char buf[64];
    return cJSON_CreateRaw(rpt_num(v, buf, sizeof buf));
}

/* A fluid run is one deterministic outcome: every statistic is the value. */
static cJSON *stat_block(const run_stat *st, int full)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ci = cJSON_CreateArray();
    add_num(o, "mean", st->mean);
    sim_json_push(ci, num(st->lo));
    sim_json_push(ci, num(st->hi));
    sim_json_add(o, "ci95", ci);
    if (full) {
        add_num(o, "p5", st->p5);
        add_num(o, "p50", st->p50);
        add_num(o, "p95", st->p95);
    }
    return o;
}

/* measured, modelled and (measured - modelled) / modelled (null when
 * nothing was modelled). */
static void live_pair(cJSON *o, const char *key, const run_live_pair *p)
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

static void live_json(const run_results *r, const run_deploy *d, cJSON *o)
{
    const run_live *l = &d->live;
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

static cJSON *deploy_json(const run_results *r, const run_deploy *d)
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
        sim_json_push(why, cJSON_CreateString(d->why.v[i]));
    sim_json_add(o, "month_usd", stat_block(&d->month, 1));
    sim_json_add(o, "per_tenant_month_usd",
                          stat_block(&d->per_tenant, 0));
    sim_json_add(o, "per_agent_month_usd",
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
            sim_json_add(li, "rate_usd", cJSON_CreateRaw(
                rpt_fx_trim(l->rate, 12, 0, rb, sizeof rb)));
        }
        add_num(li, "included", l->included);
        add_num(li, "usd", l->usd);
        sim_json_push(items, li);
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
            sim_json_push(pts, cJSON_CreateRaw(buf));
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
        sim_json_push(rec, p);
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

static char *render_json(const run_results *r, const char *version)
{
    const scn_scenario *s = r->scn;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "capsim_version", version);
    cJSON_AddStringToObject(root, "scenario", s->name);
    {
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->seed);
        sim_json_add(root, "seed", cJSON_CreateRaw(buf));
        snprintf(buf, sizeof buf, "%lld", (long long)s->replications);
        sim_json_add(root, "replications", cJSON_CreateRaw(buf));
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
        sim_json_push(deps, deploy_json(r, &r->d[i]));
    cJSON *bud = cJSON_AddArrayToObject(root, "budgets");
    for (size_t i = 0; i < r->nbudgets; i++) {
        const run_budget *b = &r->budgets[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "metric", scn_metric_names[b->b->metric]);
        cJSON_AddStringToObject(o, "deployment", b->d->pd.dep->name);
        cJSON_AddStringToObject(o, "bound", scn_bound_names[b->b->bound]);
        add_num(o, "max", b->b->max);
        add_num(o, "actual", b->actual);
        cJSON_AddBoolToObject(o, "ok", b->ok);
        sim_json_push(bud, o);
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
    char *out = sim_alloc(n + 2);
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

/* The formats, before the check that nothing was lost on the way. */
static char *render(const run_results *r, enum rpt_format fmt,
                    const char *version);

char *rpt_render(const run_results *r, enum rpt_format fmt,
                 const char *version)
{
    /* cJSON's builders drop a node they cannot allocate and carry on, and
     * a renderer may lose a string the same way: a document rendered
     * while any allocation failed is not returned at all.  (The count is
     * the process's, so a failure on another thread also fails this
     * render: the safe direction.) */
    unsigned long failures = sim_alloc_failures();
    char *s = render(r, fmt, version);
    if (s && sim_alloc_failures() != failures) {
        sim_free(s);
        return NULL;
    }
    return s;
}

static char *render(const run_results *r, enum rpt_format fmt,
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
    sim_free(json);
    return text;
}
