/*
 * table.c -- text renderings of the results: an aligned terminal table,
 * CSV of every line item, and a Markdown report.
 */
#include "reports/table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/results.h"

/* "100 tenants x 2 agents", or the totals when classes differ. */
static const char *population(const scn_scenario *s, char *buf, size_t size)
{
    const scn_workload *w = &s->workload;
    if (w->nclasses == 1)
        snprintf(buf, size, "%lld tenants x %lld agents",
                 (long long)w->classes[0].tenants,
                 (long long)w->classes[0].agents_per_tenant);
    else
        snprintf(buf, size, "%lld tenants in %zu classes", (long long)w->tenants,
                 w->nclasses);
    return buf;
}


void rpt_printf(rpt_buf *b, const char *fmt, ...)
{
    va_list ap;
    if (b->nomem)
        return;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        int w = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->nomem = 1;
            return;
        }
        if ((size_t)w < room) {
            b->n += (size_t)w;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)w;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->nomem = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

char *rpt_buf_take(rpt_buf *b)
{
    if (b->nomem || !b->s) {
        free(b->s);
        return b->nomem ? NULL : strdup("");
    }
    return b->s;
}

enum { NCOL = 8 };

char *rpt_render_table(const rpt_results *r)
{
    static const char *const head[NCOL] = {
        "deployment", "provider", "architecture", "plan", "instances",
        "USD/month", "USD/tenant", "USD/agent"
    };
    rpt_buf b = {0};
    size_t w[NCOL];
    char cell[NCOL][96];

    for (int c = 0; c < NCOL; c++)
        w[c] = strlen(head[c]);
    /* Two passes: measure, then print, so columns line up. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            char pop[128];
            rpt_printf(&b, "%s: %s, %s pricing (as of %s)\n\n",
                       r->scn->name, population(r->scn, pop, sizeof pop),
                       r->cat->name, r->cat->as_of);
            for (int c = 0; c < NCOL; c++)
                rpt_printf(&b, c < 4 ? "%-*s  " : "%*s  ", (int)w[c],
                           head[c]);
            rpt_printf(&b, "\n");
            for (int c = 0; c < NCOL; c++) {
                for (size_t k = 0; k < w[c]; k++)
                    rpt_printf(&b, "-");
                rpt_printf(&b, "  ");
            }
            rpt_printf(&b, "\n");
        }
        for (size_t i = 0; i < r->n; i++) {
            const rpt_deploy *d = &r->d[i];
            snprintf(cell[0], 96, "%s", d->pd.dep->name);
            snprintf(cell[1], 96, "%s", d->pd.dep->provider);
            snprintf(cell[2], 96, "%s", scn_arch_names[d->pd.dep->arch]);
            snprintf(cell[3], 96, "%s", d->pd.plan ? d->pd.plan->id : "-");
            sim_fx_format_trim(d->usage.instances_mean, 2, cell[4], 96);
            rpt_usd(d->month_usd, cell[5], 96);
            sim_fx_format(d->per_tenant_usd, 4, cell[6], 96);
            sim_fx_format(d->per_agent_usd, 4, cell[7], 96);
            for (int c = 0; c < NCOL; c++) {
                if (pass == 0 && strlen(cell[c]) > w[c])
                    w[c] = strlen(cell[c]);
                if (pass == 1)
                    rpt_printf(&b, c < 4 ? "%-*s  " : "%*s  ", (int)w[c],
                               cell[c]);
            }
            if (pass == 1)
                rpt_printf(&b, "\n");
        }
    }
    if (r->nbudgets) {
        rpt_printf(&b, "\nbudgets:\n");
        for (size_t i = 0; i < r->nbudgets; i++) {
            char a[64], m[64];
            const rpt_budget *bu = &r->budgets[i];
            rpt_printf(&b, "  %-4s %s %s: %s (max %s)\n",
                       bu->ok ? "ok" : "FAIL", bu->d->pd.dep->name,
                       scn_metric_names[bu->b->metric],
                       sim_fx_format_trim(bu->actual, 6, a, sizeof a),
                       sim_fx_format_trim(bu->b->max, 6, m, sizeof m));
        }
    }
    return rpt_buf_take(&b);
}

/* CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(rpt_buf *b, const char *s, int last)
{
    if (strpbrk(s, ",\"\n")) {
        rpt_printf(b, "\"");
        for (const char *p = s; *p; p++)
            rpt_printf(b, *p == '"' ? "\"\"" : "%c", *p);
        rpt_printf(b, "\"");
    } else
        rpt_printf(b, "%s", s);
    rpt_printf(b, last ? "\n" : ",");
}

char *rpt_render_csv(const rpt_results *r)
{
    rpt_buf b = {0};
    char q[64], rt[64], in[64], usd[64];
    rpt_printf(&b, "deployment,provider,architecture,item,what,unit,"
               "quantity,rate_usd,included,usd\n");
    for (size_t i = 0; i < r->n; i++) {
        const rpt_deploy *d = &r->d[i];
        for (size_t k = 0; k < d->bill.n; k++) {
            const price_line *l = &d->bill.v[k];
            csv_field(&b, d->pd.dep->name, 0);
            csv_field(&b, d->pd.dep->provider, 0);
            csv_field(&b, scn_arch_names[d->pd.dep->arch], 0);
            csv_field(&b, l->item, 0);
            csv_field(&b, l->what, 0);
            csv_field(&b, l->unit ? l->unit : "", 0);
            csv_field(&b, rpt_num(l->quantity, q, sizeof q), 0);
            csv_field(&b, sim_fx_format_trim(l->rate, 12, rt, sizeof rt), 0);
            csv_field(&b, rpt_num(l->included, in, sizeof in), 0);
            csv_field(&b, rpt_num(l->usd, usd, sizeof usd), 1);
        }
        csv_field(&b, d->pd.dep->name, 0);
        csv_field(&b, d->pd.dep->provider, 0);
        csv_field(&b, scn_arch_names[d->pd.dep->arch], 0);
        csv_field(&b, "total", 0);
        csv_field(&b, "Month total", 0);
        csv_field(&b, "month", 0);
        csv_field(&b, "1", 0);
        csv_field(&b, "", 0);
        csv_field(&b, "0", 0);
        csv_field(&b, rpt_num(d->month_usd, usd, sizeof usd), 1);
    }
    return rpt_buf_take(&b);
}

char *rpt_render_md(const rpt_results *r, const char *version)
{
    rpt_buf b = {0};
    char a[64], t[64], g[64], x[64], y[64], z[64];
    const scn_scenario *s = r->scn;

    rpt_printf(&b, "# %s\n\n", s->name);
    char pop[128];
    rpt_printf(&b, "%s (%lld agents), %s workload. "
               "Prices: catalog %s, as of %s. Costs are per month of 730 "
               "hours. capsim %s, seed %llu.\n\n",
               population(s, pop, sizeof pop), (long long)scn_agents(s),
               s->workload.fluid ? "fluid" : "stochastic", r->cat->name,
               r->cat->as_of, version, (unsigned long long)s->seed);
    rpt_printf(&b, "| deployment | provider | architecture | plan | "
               "instances | USD/month | USD/tenant | USD/agent |\n");
    rpt_printf(&b, "|---|---|---|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < r->n; i++) {
        const rpt_deploy *d = &r->d[i];
        rpt_printf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
                   d->pd.dep->name, d->pd.dep->provider,
                   scn_arch_names[d->pd.dep->arch],
                   d->pd.plan ? d->pd.plan->id : "-",
                   sim_fx_format_trim(d->usage.instances_mean, 2, g,
                                      sizeof g),
                   rpt_usd(d->month_usd, a, sizeof a),
                   sim_fx_format(d->per_tenant_usd, 4, t, sizeof t),
                   sim_fx_format(d->per_agent_usd, 4, x, sizeof x));
    }
    for (size_t i = 0; i < r->n; i++) {
        const rpt_deploy *d = &r->d[i];
        rpt_printf(&b, "\n## %s\n\n", d->pd.dep->name);
        rpt_printf(&b, "| item | quantity | unit | rate (USD) | included | "
                   "USD |\n|---|---:|---|---:|---:|---:|\n");
        for (size_t k = 0; k < d->bill.n; k++) {
            const price_line *l = &d->bill.v[k];
            rpt_printf(&b, "| %s | %s | %s | %s | %s | %s |\n", l->what,
                       rpt_num(l->quantity, x, sizeof x),
                       l->unit ? l->unit : "",
                       sim_fx_format_trim(l->rate, 12, y, sizeof y),
                       rpt_num(l->included, z, sizeof z),
                       rpt_usd(l->usd, a, sizeof a));
        }
        rpt_printf(&b, "| **total** | | | | | **%s** |\n",
                   rpt_usd(d->month_usd, a, sizeof a));
        if (s->nmarkups) {
            rpt_printf(&b, "\nSuggested price per agent-month:");
            for (size_t m = 0; m < s->nmarkups; m++)
                rpt_printf(&b, "%s %s at %sx", m ? "," : "",
                           rpt_usd(d->price_per_agent[m], a, sizeof a),
                           sim_fx_format_trim(s->markups[m], 2, t,
                                              sizeof t));
            rpt_printf(&b, ".\n");
        }
    }
    if (r->nbudgets) {
        rpt_printf(&b, "\n## Budgets\n\n| deployment | metric | max | "
                   "actual | result |\n|---|---|---:|---:|---|\n");
        for (size_t i = 0; i < r->nbudgets; i++) {
            const rpt_budget *bu = &r->budgets[i];
            rpt_printf(&b, "| %s | %s | %s | %s | %s |\n",
                       bu->d->pd.dep->name, scn_metric_names[bu->b->metric],
                       sim_fx_format_trim(bu->b->max, 6, a, sizeof a),
                       sim_fx_format_trim(bu->actual, 6, t, sizeof t),
                       bu->ok ? "ok" : "**over budget**");
        }
    }
    return rpt_buf_take(&b);
}
