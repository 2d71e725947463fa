/*
 * table.c -- text renderings of the results: an aligned terminal table,
 * CSV of every line item, and a Markdown report.
 */
#include "reports/table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/fmt.h"
#include "run/results.h"

/* "100 tenants x 2 agents", or the totals when classes differ. */
static const char *population(const scn_scenario *s, char *buf, size_t size)
{
    const scn_workload *w = &s->workload;
    if (w->nclasses == 1) {
        long long t = (long long)w->classes[0].tenants;
        long long a = (long long)w->classes[0].agents_per_tenant;
        snprintf(buf, size, "%lld %s x %lld %s", t,
                 t == 1 ? "tenant" : "tenants", a, a == 1 ? "agent"
                                                          : "agents");
    }
    else
        snprintf(buf, size, "%lld tenants in %zu classes", (long long)w->tenants,
                 w->nclasses);
    return buf;
}


/* The wait a deployment's users see at p95: for a pool, for a free slot;
 * for instances that sleep, for a cold start.  "-" where a fluid run has
 * none to show. */
static void wait_cell(const run_deploy *d, char *buf, size_t size)
{
    double w;
    if (!d->stochastic || d->pd.dep->arch == SCN_ARCH_PER_REQUEST) {
        snprintf(buf, size, "-");
        return;
    }
    w = d->pool ? d->queue_p95 : d->wait_p95;
    snprintf(buf, size, w >= 100 ? "%.0f s" : "%.3g s", w);
}

void rpt_slo_text(const scn_scenario *s, char *buf, size_t size)
{
    const scn_slo *o = &s->slo;
    size_t n = 0;
    char t[32];
    buf[0] = '\0';
#define ADD(...)                                                          \
    do {                                                                  \
        int w_ = snprintf(buf + n, size - n, __VA_ARGS__);                \
        n = w_ < 0 ? n : n + (size_t)w_ < size ? n + (size_t)w_ : size - 1; \
    } while (0)
    if (o->queue_wait_p95_us >= 0)
        ADD("queue wait p95 <= %s s", rpt_fx_trim(
            (sim_fx)o->queue_wait_p95_us * (SIM_FX_ONE / 1000000), 3, 0, t,
            sizeof t));
    if (o->cold_start_wait_p95_us >= 0)
        ADD("%scold-start wait p95 <= %s s", n ? ", " : "",
            rpt_fx_trim((sim_fx)o->cold_start_wait_p95_us *
                                   (SIM_FX_ONE / 1000000), 3, 0, t, sizeof t));
    if (o->refused_messages == 0)
        ADD("%snothing refused", n ? ", " : "");
    else if (o->refused_messages > 0)
        ADD("%sat most %s messages a month refused", n ? ", " : "",
            rpt_fx_trim(o->refused_messages, 2, 0, t, sizeof t));
    if (n == 0)
        ADD("none");
#undef ADD
}

enum { NCOL = 10 };

char *rpt_render_table(const run_results *r)
{
    static const char *const head[NCOL] = {
        "deployment", "provider", "architecture", "plan", "instances",
        "USD/month", "USD/tenant", "USD/agent", "wait p95", "SLO"
    };
    sim_buf b = {0};
    size_t w[NCOL];
    char cell[NCOL][96];

    for (int c = 0; c < NCOL; c++)
        w[c] = strlen(head[c]);
    /* Two passes: measure, then print, so columns line up. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            char pop[128];
            sim_buf_printf(&b, "%s: %s, %s pricing (as of %s)\n\n",
                       r->scn->name, population(r->scn, pop, sizeof pop),
                       r->cat->name, r->cat->as_of);
            for (int c = 0; c < NCOL; c++)
                sim_buf_printf(&b, c < 4 ? "%-*s  " : "%*s  ", (int)w[c],
                           head[c]);
            sim_buf_printf(&b, "\n");
            for (int c = 0; c < NCOL; c++) {
                for (size_t k = 0; k < w[c]; k++)
                    sim_buf_printf(&b, "-");
                sim_buf_printf(&b, "  ");
            }
            sim_buf_printf(&b, "\n");
        }
        for (size_t i = 0; i < r->n; i++) {
            const run_deploy *d = &r->d[i];
            snprintf(cell[0], 96, "%s", d->pd.dep->name);
            snprintf(cell[1], 96, "%s", d->pd.dep->provider);
            snprintf(cell[2], 96, "%s", scn_arch_names[d->pd.dep->arch]);
            snprintf(cell[3], 96, "%s", d->pd.plan ? d->pd.plan->id : "-");
            rpt_fx_trim(d->usage.instances_mean, 2, 0, cell[4], 96);
            rpt_usd(d->month_usd, cell[5], 96);
            rpt_fx_round(d->per_tenant_usd, 4, 0, cell[6], 96);
            rpt_fx_round(d->per_agent_usd, 4, 0, cell[7], 96);
            wait_cell(d, cell[8], 96);
            snprintf(cell[9], 96, "%s", d->feasible ? "ok" : "FAIL");
            for (int c = 0; c < NCOL; c++) {
                if (pass == 0 && strlen(cell[c]) > w[c])
                    w[c] = strlen(cell[c]);
                if (pass == 1)
                    sim_buf_printf(&b, c < 4 ? "%-*s  " : "%*s  ", (int)w[c],
                               cell[c]);
            }
            if (pass == 1)
                sim_buf_printf(&b, "\n");
        }
    }
    {
        char slo[256];
        const run_deploy *best = run_cheapest(r);
        rpt_slo_text(r->scn, slo, sizeof slo);
        sim_buf_printf(&b, "\nSLO: %s%s.\n", slo,
                   r->scn->slo.given ? "" : " (the default; set slo: to "
                                            "change it)");
        for (size_t i = 0; i < r->n; i++) {
            const run_deploy *d = &r->d[i];
            for (size_t k = 0; k < d->why.n; k++)
                sim_buf_printf(&b, "  infeasible: %s: %s\n", d->pd.dep->name,
                           d->why.v[k]);
        }
        if (best && r->n > 1)
            sim_buf_printf(&b, "Cheapest feasible: %s.\n", best->pd.dep->name);
        else if (!best)
            sim_buf_printf(&b, "No deployment is feasible.\n");
    }
    if (r->nbudgets) {
        sim_buf_printf(&b, "\nbudgets:\n");
        for (size_t i = 0; i < r->nbudgets; i++) {
            char a[64], m[64];
            const run_budget *bu = &r->budgets[i];
            sim_buf_printf(&b, "  %-4s %s %s: %s (max %s)\n",
                       bu->ok ? "ok" : "FAIL", bu->d->pd.dep->name,
                       scn_metric_names[bu->b->metric],
                       rpt_fx_trim(bu->actual, 6, 0, a, sizeof a),
                       rpt_fx_trim(bu->b->max, 6, 0, m, sizeof m));
        }
    }
    return sim_buf_take(&b);
}


