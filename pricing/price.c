/*
 * price.c -- the provider registry, generic deployment checks and bills.
 */
#include "pricing/price.h"
#include "base/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct price_model_ops price_railway_ops;
extern const struct price_model_ops price_fly_ops;
extern const struct price_model_ops price_fargate_ops;
extern const struct price_model_ops price_ec2_ops;
extern const struct price_model_ops price_cloudflare_ops;
extern const struct price_model_ops price_render_ops;
extern const struct price_model_ops price_heroku_ops;

static const struct price_model_ops *const models[] = {
    &price_railway_ops, &price_fly_ops, &price_fargate_ops, &price_ec2_ops,
    &price_cloudflare_ops, &price_render_ops, &price_heroku_ops, NULL
};

const char *const price_provider_names[] = {
    "railway", "fly", "aws-fargate", "aws-ec2", "cloudflare", "render",
    "heroku", NULL
};

const struct price_model_ops *price_model_find(const char *provider)
{
    for (size_t i = 0; models[i]; i++)
        if (strcmp(models[i]->name, provider) == 0)
            return models[i];
    return NULL;
}

int price_reject(const price_ctx *ctx, scn_pos pos, const char *fmt, ...)
{
    char buf[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    scn_error(ctx->scn, ctx->diag, pos, "%s", buf);
    return SIM_EINVAL;
}

/* Lists the plans of a provider that carry attribute `kind`. */
static void plan_list(const price_provider *p, const char *kind, char *buf,
                      size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->nplans && k + 4 < size; i++) {
        if (kind && !price_plan_attr(&p->plans[i], kind))
            continue;
        int w = snprintf(buf + k, size - k, "%s%s", k ? ", " : "",
                         p->plans[i].id);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

int price_require_plan(const price_ctx *ctx, price_deploy *pd,
                       const char *kind)
{
    const scn_deployment *d = pd->dep;
    char list[700];
    plan_list(pd->prov, kind, list, sizeof list);
    if (!d->plan)
        return price_reject(ctx, d->pos, "deployment '%s' needs 'plan' for "
                            "provider %s (one of %s)", d->name, d->provider,
                            list);
    const price_plan *pl = price_provider_plan(pd->prov, d->plan);
    if (!pl || (kind && !price_plan_attr(pl, kind))) {
        const char *names[64];
        size_t k = 0;
        for (size_t i = 0; i < pd->prov->nplans && k < 63; i++)
            if (!kind || price_plan_attr(&pd->prov->plans[i], kind))
                names[k++] = pd->prov->plans[i].id;
        names[k] = NULL;
        const char *hint = sim_suggest(d->plan, names);
        if (hint)
            return price_reject(ctx, d->plan_pos, "unknown %s plan '%s'; did "
                                "you mean '%s'?", d->provider, d->plan, hint);
        return price_reject(ctx, d->plan_pos, "unknown %s plan '%s'; "
                            "expected one of %s", d->provider, d->plan, list);
    }
    pd->plan = pl;
    return SIM_OK;
}

int price_resolve(const price_ctx *ctx, const scn_deployment *dep,
                  price_deploy *pd)
{
    memset(pd, 0, sizeof *pd);
    pd->dep = dep;
    pd->ops = price_model_find(dep->provider);
    if (!pd->ops) {
        const char *hint = sim_suggest(dep->provider, price_provider_names);
        if (hint)
            return price_reject(ctx, dep->provider_pos, "unknown provider "
                                "'%s'; did you mean '%s'?", dep->provider,
                                hint);
        return price_reject(ctx, dep->provider_pos, "unknown provider '%s'; "
                            "expected railway, fly, aws-fargate, aws-ec2, "
                            "cloudflare, render or heroku", dep->provider);
    }
    pd->prov = price_catalog_provider(ctx->cat, dep->provider);
    if (!pd->prov)
        return price_reject(ctx, dep->provider_pos, "price catalog '%s' has "
                            "no prices for provider '%s'", ctx->cat->name,
                            dep->provider);
    pd->region = dep->region;
    if (dep->region && pd->prov->nregions == 0)
        scn_warn(ctx->scn, ctx->diag, dep->region_pos, "%s prices do not "
                 "vary by region in catalog '%s'; region '%s' is ignored",
                 dep->provider, ctx->cat->name, dep->region);
    else if (dep->region && !price_provider_region(pd->prov, dep->region)) {
        char list[400];
        size_t k = 0;
        list[0] = '\0';
        for (size_t i = 0; i < pd->prov->nregions; i++)
            k = sim_appendf(list, sizeof list, k, "%s%s", i ? ", " : "",
                            pd->prov->regions[i].id);
        return price_reject(ctx, dep->region_pos, "catalog '%s' has no %s "
                            "prices for region '%s'; expected one of %s",
                            ctx->cat->name, dep->provider, dep->region, list);
    }
    if (!pd->region)
        pd->region = pd->prov->default_region;
    if (dep->mode == SCN_MODE_FIXED && dep->instances < 0 &&
        dep->arch != SCN_ARCH_PER_REQUEST && dep->arch != SCN_ARCH_PER_SESSION)
        return price_reject(ctx, dep->mode_pos, "scaling mode 'fixed' needs "
                            "'instances' (how many are always running)");
    if (dep->arch == SCN_ARCH_POOLED && dep->tenants_per_instance <= 0)
        return price_reject(ctx, dep->arch_pos, "architecture 'pooled' needs "
                            "scaling.tenants_per_instance (how many tenants "
                            "share one instance)");
    if (dep->min_instances > dep->max_instances)
        return price_reject(ctx, dep->mode_pos, "scaling.min (%lld) is above "
                            "scaling.max (%lld)",
                            (long long)dep->min_instances,
                            (long long)dep->max_instances);
    int rc = pd->ops->resolve(ctx, pd);
    if (rc != SIM_OK)
        return rc;
    if (pd->plan) {
        /* Durable Objects stay active a while after the last client
         * leaves: that is their idle timeout. */
        pd->idle_timeout_us = price_plan_dur(
            pd->plan, "idle_timeout", price_plan_dur(pd->plan, "linger", 0));
        pd->cold_start_us = price_plan_dur(pd->plan, "cold_start", 0);
    }
    if (dep->auto_stop_pos.line && !pd->auto_stop)
        return price_reject(ctx, dep->auto_stop_pos, "scaling.auto_stop is "
                            "Fly's setting (stop or suspend); %s has none",
                            dep->provider);
    if (dep->suspend) {
        /* Fly resumes a suspended machine from its memory snapshot in "a
         * few hundred ms" (docs: reference/suspend-resume); a plan may
         * say otherwise with `resume`. */
        pd->cold_start_us = price_plan_dur(pd->plan, "resume", 300000);
        if (pd->cap_memory_gb > sim_fx_from_int(2))
            scn_warn(ctx->scn, ctx->diag, dep->auto_stop_pos, "deployment "
                     "'%s': Fly does not recommend suspend above 2 GB of "
                     "RAM (the snapshot is slow to restore)", dep->name);
    }
    /* Only AWS leaves the idle rule to you (your own scale-in policy);
     * every other provider decides when an instance sleeps, and no
     * provider has a cold-start knob.  A different value is a what-if the
     * user should know the provider will not honour. */
    int idle_setting = pd->idle_setting;
    char want[32], have[32];
    if (dep->idle_timeout_us >= 0) {
        if (!idle_setting && dep->idle_timeout_us != pd->idle_timeout_us)
            scn_warn(ctx->scn, ctx->diag, dep->idle_pos, "deployment '%s': "
                     "%s has no idle-timeout setting (its instances sleep "
                     "after %s); simulating %s as asked", dep->name,
                     dep->provider, price_dur_text(pd->idle_timeout_us, have,
                                                   sizeof have),
                     price_dur_text(dep->idle_timeout_us, want, sizeof want));
        pd->idle_timeout_us = dep->idle_timeout_us;
    }
    if (dep->cold_start_us >= 0) {
        if (dep->cold_start_us != pd->cold_start_us)
            scn_warn(ctx->scn, ctx->diag, dep->cold_pos, "deployment '%s': "
                     "%s has no cold-start setting (typical start-up %s); "
                     "simulating %s as an estimate", dep->name,
                     dep->provider, price_dur_text(pd->cold_start_us, have,
                                                   sizeof have),
                     price_dur_text(dep->cold_start_us, want, sizeof want));
        pd->cold_start_us = dep->cold_start_us;
    } else if (!dep->suspend && !pd->objects)
        /* The agent runtime starts once the machine has booted; a resumed
         * snapshot and an object's isolate do not start it again. */
        pd->cold_start_us += ctx->scn->profile.runtime_start_us;
    return SIM_OK;
}

char *price_dur_text(int64_t us, char *buf, size_t size)
{
    static const struct { int64_t us; const char *unit; } units[] = {
        {86400000000LL, "d"}, {3600000000LL, "h"}, {60000000LL, "m"},
        {1000000LL, "s"}, {1000LL, "ms"}
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (us >= units[i].us && us % units[i].us == 0) {
            snprintf(buf, size, "%lld%s", (long long)(us / units[i].us),
                     units[i].unit);
            return buf;
        }
    if (us == 0)
        snprintf(buf, size, "0s");
    else
        snprintf(buf, size, "%gs", (double)us / 1e6);
    return buf;
}

void price_bill_init(price_bill *b)
{
    memset(b, 0, sizeof *b);
}

void price_bill_fini(price_bill *b)
{
    sim_free(b->v);
    memset(b, 0, sizeof *b);
}

static price_line *new_line(price_bill *b)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        price_line *v = sim_realloc(b->v, cap * sizeof *v);
        if (!v) {
            b->nomem = 1;
            return NULL;
        }
        b->v = v;
        b->cap = cap;
    }
    price_line *l = &b->v[b->n++];
    memset(l, 0, sizeof *l);
    return l;
}

int price_bill_item(price_bill *b, const price_item *it, sim_fx rate,
                    sim_fx qty, sim_fx included_override)
{
    sim_fx included = included_override >= 0 ? included_override
                                             : it->included;
    sim_fx billable = qty > included ? qty - included : 0;
    sim_fx usd, unit_rate, shown_qty = qty, shown_incl = included;
    int rc;

    if (it->round_up > 0 && billable > 0)
        billable = sim_fx_ceil_to(billable, it->round_up);
    rc = sim_fx_muldiv(rate, billable, it->per, &usd);
    if (rc != SIM_OK)
        return rc;
    /* Time-priced items show their quantity in the priced unit (machine-
     * 30d, vCPU-h); counted items show units and a per-unit rate. */
    if (it->per_time) {
        unit_rate = rate;
        if ((rc = sim_fx_div(qty, it->per, &shown_qty)) != SIM_OK ||
            (rc = sim_fx_div(included, it->per, &shown_incl)) != SIM_OK)
            return rc;
    } else if ((rc = sim_fx_div(rate, it->per, &unit_rate)) != SIM_OK)
        return rc;
    price_line *l = new_line(b);
    if (!l)
        return SIM_ENOMEM;
    l->item = it->id;
    l->what = it->what ? it->what : it->id;
    l->unit = it->unit;
    l->quantity = shown_qty;
    l->rate = unit_rate;
    l->included = shown_incl;
    l->usd = usd;
    b->total += usd;
    return SIM_OK;
}

int price_bill_fixed(price_bill *b, const price_item *it, sim_fx count,
                     sim_fx usd)
{
    price_line *l = new_line(b);
    if (!l)
        return SIM_ENOMEM;
    l->item = it->id;
    l->what = it->what ? it->what : it->id;
    l->unit = it->unit;
    l->quantity = count;
    l->rate = it->rate;
    l->included = 0;
    l->usd = usd;
    b->total += usd;
    return SIM_OK;
}

const price_item *price_need(const price_deploy *pd, const char *id)
{
    return price_provider_item(pd->prov, id);
}

/* Support plans are billed per account; the item is "support_NAME". */
int price_support(const price_ctx *ctx, const price_deploy *pd,
                  price_bill *b)
{
    const scn_extras *e = &pd->dep->extras;
    char id[96];
    if (!e->support || strcmp(e->support, "none") == 0 ||
        strcmp(e->support, "community") == 0)
        return SIM_OK;
    snprintf(id, sizeof id, "support_%s", e->support);
    const price_item *it = price_provider_item(pd->prov, id);
    if (!it) {
        char list[300];
        size_t k = 0;
        list[0] = '\0';
        for (size_t i = 0; i < pd->prov->nitems; i++)
            if (strncmp(pd->prov->items[i].id, "support_", 8) == 0)
                k = sim_appendf(list, sizeof list, k, "%s%s", k ? ", " : "",
                                pd->prov->items[i].id + 8);
        if (k)
            return price_reject(ctx, e->support_pos, "unknown %s support "
                                "plan '%s'; expected none, %s",
                                pd->dep->provider, e->support, list);
        return price_reject(ctx, e->support_pos, "%s sells no support plan "
                            "in catalog '%s'; remove extras.support",
                            pd->dep->provider, ctx->cat->name);
    }
    return price_bill_fixed(b, it, SIM_FX_ONE, it->rate);
}

void price_reason(price_reasons *r, const char *fmt, ...)
{
    va_list ap;
    char *text = NULL;
    if (r->nomem)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char **v = n >= 0 ? sim_realloc(r->v, (r->n + 1) * sizeof *v) : NULL;
    if (v) {
        r->v = v;
        text = sim_alloc((size_t)n + 1);
    }
    if (!text) {
        r->nomem = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    r->v[r->n++] = text;
}

void price_reasons_fini(price_reasons *r)
{
    for (size_t i = 0; i < r->n; i++)
        sim_free(r->v[i]);
    sim_free(r->v);
    memset(r, 0, sizeof *r);
}
