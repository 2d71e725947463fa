/*
 * advice.c -- pricing recommendations.
 */
#include "reports/advice.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json.h"
#include "reports/fmt.h"

/* Line items billed once per account or deployment whatever the number
 * of tenants: plans, seats, support, add-ons (and the credits plans
 * include, as negative fees). */
static int per_account(const price_line *l)
{
    static const char *const units[] = {"account-month", "user-month",
                                        "month", NULL};
    if (!l->unit)
        return 0;
    for (size_t i = 0; units[i]; i++)
        if (strcmp(l->unit, units[i]) == 0)
            return 1;
    return 0;
}

typedef struct dep_advice {
    sim_fx fixed;           /* what the deployment costs at no tenant */
    sim_fx var_tenant;      /* and each tenant adds */
    sim_fx llm_agent, llm_tenant;
    int skip;               /* infeasible: never named cheapest */
} dep_advice;

static const char *plural(double n, const char *one, const char *many)
{
    return n > 0.999999 && n < 1.000001 ? one : many;
}

static sim_fx mulx(sim_fx a, sim_fx b)
{
    sim_fx r = 0;
    sim_fx_mul(a, b, &r);
    return r;
}

static sim_fx divx(sim_fx a, sim_fx b)
{
    sim_fx r = 0;
    if (b != 0)
        sim_fx_div(a, b, &r);
    return r;
}

static void analyse(const run_results *r, const run_deploy *d,
                    dep_advice *a)
{
    const scn_scenario *s = r->scn;
    sim_fx tenants = sim_fx_from_int(s->workload.tenants);
    sim_fx agents = sim_fx_from_int(scn_agents(s));
    memset(a, 0, sizeof *a);
    a->skip = !d->feasible;
    if (d->small_tenants > 0 && d->small_tenants < s->workload.tenants) {
        /* The line through the run at one tenant per class and this one:
         * everything that does not grow with tenants (load balancers,
         * plans, support, a pool's minimum) is in its intercept. */
        sim_fx t1 = sim_fx_from_int(d->small_tenants);
        a->var_tenant = divx(d->month_usd - d->small_month_usd,
                             tenants - t1);
        a->fixed = d->small_month_usd - mulx(a->var_tenant, t1);
        if (a->fixed < 0) {
            /* Costs that grow faster than tenants: no fixed part. */
            a->fixed = 0;
            a->var_tenant = divx(d->month_usd, tenants);
        }
    } else {
        for (size_t i = 0; i < d->bill.n; i++)
            if (per_account(&d->bill.v[i]))
                a->fixed += d->bill.v[i].usd;
        a->var_tenant = divx(d->month_usd - a->fixed, tenants);
    }
    a->llm_agent = mulx(s->llm_usd_per_message,
                        divx(d->usage.messages, agents));
    a->llm_tenant = divx(mulx(a->llm_agent, agents), tenants);
}

/* Tenants from which `price` per tenant covers the fixed fees and the
 * variable cost: -1 when it never does, 1 when there is nothing fixed. */
static double break_even(const dep_advice *a, sim_fx price)
{
    double margin = sim_fx_to_double(price - a->var_tenant - a->llm_tenant);
    double fixed = sim_fx_to_double(a->fixed);
    if (fixed <= 0)
        return 1;
    if (margin <= 0)
        return -1;
    double n = ceil(fixed / margin - 1e-9);
    return n < 1 ? 1 : n;
}

static void add_money(cJSON *o, const char *key, sim_fx v)
{
    char buf[64];
    sim_json_add(o, key, cJSON_CreateRaw(rpt_num(v, buf,
                                                          sizeof buf)));
}

static void add_count(cJSON *o, const char *key, double n)
{
    if (n < 0)
        cJSON_AddNullToObject(o, key);
    else {
        char buf[32];
        snprintf(buf, sizeof buf, "%.0f", n);
        sim_json_add(o, key, cJSON_CreateRaw(buf));
    }
}

/* The feasible deployment cheapest at `n` tenants on the linear
 * extrapolation; ties go to the one listed first; SIZE_MAX when none is
 * feasible. */
static size_t cheapest_at(const dep_advice *a, size_t n_dep, double n)
{
    size_t best = SIZE_MAX;
    double best_cost = INFINITY;
    for (size_t i = 0; i < n_dep; i++) {
        if (a[i].skip)
            continue;
        double c = sim_fx_to_double(a[i].fixed) +
                   sim_fx_to_double(a[i].var_tenant) * n;
        if (c < best_cost - 1e-9) {
            best_cost = c;
            best = i;
        }
    }
    return best;
}

/* The next tenant count above `from` where another deployment becomes
 * strictly cheaper than `cur`, or -1 when none ever does. */
static double next_switch(const dep_advice *a, size_t n_dep, size_t cur,
                          double from)
{
    double best = -1;
    double fc = sim_fx_to_double(a[cur].fixed);
    double vc = sim_fx_to_double(a[cur].var_tenant);
    for (size_t i = 0; i < n_dep; i++) {
        double fi = sim_fx_to_double(a[i].fixed);
        double vi = sim_fx_to_double(a[i].var_tenant);
        if (i == cur || a[i].skip || vi >= vc)
            continue;
        /* fi + vi n < fc + vc n  <=>  n > (fi - fc) / (vc - vi) */
        double x = floor((fi - fc) / (vc - vi)) + 1;
        if (x <= from)
            x = from + 1;
        if (best < 0 || x < best)
            best = x;
    }
    return best;
}

static void money_text(sim_fx v, char *buf, size_t size)
{
    char t[64];
    snprintf(buf, size, "$%s", rpt_usd(v, t, sizeof t));
}

/* Each deployment's "recommendation": prices, margins, its cost line and
 * break-even tenants at every markup. */
static void per_deployment(const run_results *r, dep_advice *a, cJSON *deps)
{
    const scn_scenario *s = r->scn;
    for (size_t i = 0; i < r->n; i++) {
        const run_deploy *d = &r->d[i];
        analyse(r, d, &a[i]);
        cJSON *o = cJSON_CreateObject();
        add_money(o, "llm_usd_per_agent_month", a[i].llm_agent);
        add_money(o, "fixed_month_usd", a[i].fixed);
        add_money(o, "variable_per_tenant_usd", a[i].var_tenant);
        cJSON *prices = cJSON_AddArrayToObject(o, "prices");
        cJSON *be = cJSON_AddArrayToObject(o, "break_even_tenants");
        for (size_t k = 0; k < s->nmarkups; k++) {
            sim_fx m = s->markups[k];
            sim_fx per_tenant = mulx(d->per_tenant_usd + a[i].llm_tenant, m);
            cJSON *p = cJSON_CreateObject();
            add_money(p, "markup", m);
            add_money(p, "per_agent_usd", d->price_per_agent[k]);
            add_money(p, "per_tenant_usd", per_tenant);
            /* Price = cost x markup, so the margin is 1 - 1/markup. */
            add_money(p, "gross_margin_pct",
                      SIM_FX_ONE * 100 - divx(SIM_FX_ONE * 100, m));
            sim_json_push(prices, p);
            cJSON *b = cJSON_CreateObject();
            add_money(b, "markup", m);
            add_count(b, "tenants", break_even(&a[i], per_tenant));
            sim_json_push(be, b);
        }
        sim_json_add(cJSON_GetArrayItem(deps, (int)i),
                              "recommendation", o);
    }
}

/*
 * "cheapest": which feasible deployment is cheapest in which band of
 * tenant counts, on each one's cost line; the same in words into
 * band_text (size bytes).  Returns the number of bands.
 */
static size_t scale_bands(const run_results *r, const dep_advice *a,
                          cJSON *root, char *band_text, size_t size)
{
    /* Scale bands on the linear extrapolation. */
    cJSON *bands = cJSON_AddArrayToObject(root, "cheapest");
    size_t cur = cheapest_at(a, r->n, 1);
    double from = 1;
    size_t nb = 0;
    band_text[0] = '\0';
    size_t bt = 0;
    for (int guard = 0; guard < 64 && cur != SIZE_MAX; guard++) {
        double sw = next_switch(a, r->n, cur, from);
        /* The envelope's next deployment is the cheapest just past sw. */
        size_t nxt = sw > 0 ? cheapest_at(a, r->n, sw) : cur;
        if (sw > 0 && nxt == cur)
            sw = -1;
        cJSON *b = cJSON_CreateObject();
        add_count(b, "from_tenants", from);
        add_count(b, "to_tenants", sw > 0 ? sw - 1 : -1);
        cJSON_AddStringToObject(b, "deployment", r->d[cur].pd.dep->name);
        sim_json_push(bands, b);
        int w;
        if (sw > 0 && sw - 1 <= from)
            w = snprintf(band_text + bt, size - bt,
                         "%s%s at %.0f %s", nb ? ", " : "",
                         r->d[cur].pd.dep->name, from,
                         plural(from, "tenant", "tenants"));
        else if (sw > 0)
            w = snprintf(band_text + bt, size - bt,
                         "%s%s from %.0f to %.0f tenants", nb ? ", " : "",
                         r->d[cur].pd.dep->name, from, sw - 1);
        else
            w = snprintf(band_text + bt, size - bt,
                         "%s%s from %.0f %s up", nb ? ", then " : "",
                         r->d[cur].pd.dep->name, from,
                         plural(from, "tenant", "tenants"));
        /* Bounded: a truncated text stops growing, never runs past. */
        if (w > 0)
            bt += (size_t)w < size - bt
                      ? (size_t)w
                      : size - 1 - bt;
        nb++;
        if (sw < 0)
            break;
        from = sw;
        cur = nxt;
    }
    return nb;
}

int rpt_advice_json(const run_results *r, cJSON *root)
{
    const scn_scenario *s = r->scn;
    cJSON *deps = cJSON_GetObjectItemCaseSensitive(root, "deployments");
    if (r->n == 0 || !deps)
        return SIM_OK;
    dep_advice *a = sim_calloc(r->n, sizeof *a);
    sim_buf text = {0};
    char band_text[2048];
    if (!a)
        return SIM_ENOMEM;
    per_deployment(r, a, deps);
    size_t nb = scale_bands(r, a, root, band_text, sizeof band_text);

    /* The same, in plain words. */
    const run_deploy *bd = run_cheapest(r);
    cJSON *adv = cJSON_AddArrayToObject(root, "advice");
    long long nt = (long long)s->workload.tenants;
    long long na = (long long)scn_agents(s);
    if (!bd) {
        sim_buf_printf(&text, "At %lld %s (%lld %s) no deployment is feasible: "
                   "each misses the service level or a provider limit "
                   "(see infeasible_reasons), so none is recommended.", nt,
                   plural((double)nt, "tenant", "tenants"), na,
                   plural((double)na, "agent", "agents"));
        sim_json_push(adv, cJSON_CreateString(text.s ? text.s : ""));
        sim_free(text.s);
        sim_free(a);
        return SIM_OK;
    }
    size_t best = (size_t)(bd - r->d);
    char m1[64], m2[64], m3[64];
    money_text(bd->month_usd, m1, sizeof m1);
    money_text(bd->per_tenant_usd, m2, sizeof m2);
    money_text(bd->per_agent_usd, m3, sizeof m3);
    sim_buf_printf(&text, "At %lld %s (%lld %s) the cheapest feasible "
               "deployment is %s: %s a month, %s per tenant, %s per agent.",
               nt, plural((double)nt, "tenant", "tenants"), na,
               plural((double)na, "agent", "agents"), bd->pd.dep->name, m1,
               m2, m3);
    sim_json_push(adv, cJSON_CreateString(text.s ? text.s : ""));
    sim_free(text.s);
    memset(&text, 0, sizeof text);
    if (s->nmarkups) {
        char llm[64];
        money_text(a[best].llm_agent, llm, sizeof llm);
        sim_buf_printf(&text, "To fund its infrastructure and %s of LLM spend "
                   "per agent, charge", llm);
        for (size_t k = 0; k < s->nmarkups; k++) {
            char p[64], mk[32], g[32];
            money_text(bd->price_per_agent[k], p, sizeof p);
            rpt_fx_trim(s->markups[k], 2, 0, mk, sizeof mk);
            rpt_fx_trim(SIM_FX_ONE * 100 -
                                   divx(SIM_FX_ONE * 100, s->markups[k]),
                               1, 0, g, sizeof g);
            sim_buf_printf(&text, "%s %s per agent a month (%sx, a %s%% gross "
                       "margin)", k == 0 ? "" : k + 1 == s->nmarkups
                                                   ? " or" : ",",
                       p, mk, g);
        }
        sim_buf_printf(&text, ".");
        sim_json_push(adv, cJSON_CreateString(text.s ? text.s : ""));
        sim_free(text.s);
        memset(&text, 0, sizeof text);
    }
    size_t mid = s->nmarkups / 2;
    for (size_t i = 0; i < r->n && s->nmarkups; i++) {
        if (a[i].fixed <= 0 || a[i].skip)
            continue;
        sim_fx per_tenant = mulx(r->d[i].per_tenant_usd + a[i].llm_tenant,
                                 s->markups[mid]);
        double n = break_even(&a[i], per_tenant);
        char f[64], p[64], mk[32];
        money_text(a[i].fixed, f, sizeof f);
        money_text(per_tenant, p, sizeof p);
        rpt_fx_trim(s->markups[mid], 2, 0, mk, sizeof mk);
        if (n > 0)
            sim_buf_printf(&text, "%s carries %s a month that does not grow "
                       "with tenants (plans, support, load balancers, "
                       "minimum instances); at its %sx price of %s per "
                       "tenant it covers it from %.0f %s.",
                       r->d[i].pd.dep->name, f, mk, p, n,
                       plural(n, "tenant", "tenants"));
        else
            sim_buf_printf(&text, "%s carries %s a month that does not grow "
                       "with tenants; at its %sx price of %s per tenant it "
                       "never covers it.", r->d[i].pd.dep->name, f, mk, p);
        sim_json_push(adv, cJSON_CreateString(text.s ? text.s : ""));
        sim_free(text.s);
        memset(&text, 0, sizeof text);
    }
    if (r->n > 1 && nb > 0) {
        sim_buf_printf(&text, "Drawing each feasible deployment's cost as a "
                   "line through this run and one at a single tenant, the "
                   "cheapest is %s; 'capsim sweep' simulates each scale "
                   "instead.", band_text);
        sim_json_push(adv, cJSON_CreateString(text.s ? text.s : ""));
        sim_free(text.s);
    }
    sim_free(a);
    return SIM_OK;
}
