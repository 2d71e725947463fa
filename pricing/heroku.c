/*
 * heroku.c -- Heroku dynos: Eco's flat fee for an account pool of 1,000
 * dyno-hours (all Eco dynos sleep when it runs dry), Basic/Standard/
 * Performance prorated by the second, one Eco or Basic dyno per process
 * type per app, and Postgres add-ons.
 */
#include <stdio.h>
#include <string.h>

#include "pricing/common.h"

static int heroku_resolve(const price_ctx *ctx, price_deploy *pd)
{
    const scn_deployment *d = pd->dep;
    int rc = price_require_plan(ctx, pd, "price");
    if (rc == SIM_OK)
        rc = price__check_arch(ctx, pd, ARCH_INSTANCES, "Heroku runs dynos; "
                               "use shared, per-tenant, per-agent or "
                               "pooled");
    if (rc == SIM_OK)
        rc = price__allocated_only(ctx, pd);
    if (rc != SIM_OK)
        return rc;
    if (price_plan_num(pd->plan, "never_sleeps", 0) &&
        d->mode == SCN_MODE_SCALE_TO_ZERO)
        return price_reject(ctx, d->mode_pos, "Heroku %s dynos never sleep; "
                            "only Eco dynos do", pd->plan->id);
    if (price_plan_num(pd->plan, "one_per_app", 0) && d->instances > 1)
        return price_reject(ctx, d->instances_pos, "Heroku runs one %s dyno "
                            "per process type per app; %lld cannot serve one "
                            "app (use per-tenant or per-agent apps, or "
                            "standard-1x)", pd->plan->id,
                            (long long)d->instances);
    if (d->extras.postgres) {
        char id[96];
        snprintf(id, sizeof id, "postgres-%s", d->extras.postgres);
        if (!price_provider_plan(pd->prov, id))
            return price_reject(ctx, d->extras.postgres_pos, "unknown "
                                "Heroku Postgres plan '%s'; expected "
                                "essential-0, essential-1, essential-2 or "
                                "standard-0 (mini and basic are retired)",
                                d->extras.postgres);
    }
    price__plan_capacity(pd);
    pd->hour_pool = price_plan_num(pd->plan, "hour_pool", 0);
    return SIM_OK;
}

static int heroku_charge(const price_ctx *ctx, const price_deploy *pd,
                         const sim_usage *u, price_bill *b)
{
    const scn_deployment *d = pd->dep;
    const price_item *dyno = price_need(pd, price_plan_attr(pd->plan,
                                                            "price"));
    int rc;
    (void)ctx;
    if (price_plan_num(pd->plan, "flat", 0)) {
        /* Eco: one flat fee for the account, whatever the hours used. */
        if ((rc = price_bill_fixed(b, dyno, SIM_FX_ONE, dyno->rate)))
            return rc;
    } else if ((rc = price_bill_item(b, dyno, dyno->rate,
                                     u->instance_seconds, -1)))
        return rc;
    if (d->extras.postgres) {
        char id[96];
        snprintf(id, sizeof id, "postgres-%s", d->extras.postgres);
        const price_plan *pg = price_provider_plan(pd->prov, id);
        if ((rc = price__bill(b, pd, price_plan_attr(pg, "addon"),
                              PRICE_MONTH)))
            return rc;
    }
    return SIM_OK;
}

/* Eco and Basic run one dyno per process type per app: a pool that
 * needs more in one app cannot run there.  Billed as sized, so the cost
 * shows what the work would need, and marked infeasible. */
static void heroku_limits(const price_ctx *ctx, const price_deploy *pd,
                          const sim_usage *u, price_reasons *why)
{
    (void)ctx;
    if (price_plan_num(pd->plan, "one_per_app", 0) &&
        u->instances_peak > u->groups) {
        char peak[32];
        sim_fx per_app = 0;
        sim_fx_div(u->instances_peak, u->groups > 0 ? u->groups : SIM_FX_ONE,
                   &per_app);
        price_reason(why, "needs up to %s %s dynos in one app, and Heroku "
                     "runs one per process type; use per-tenant apps or "
                     "standard-1x",
                     sim_fx_format_trim(sim_fx_ceil_to(per_app, SIM_FX_ONE),
                                        0, peak, sizeof peak),
                     pd->plan->id);
    }
}

const struct price_model_ops price_heroku_ops = {
    "heroku", heroku_resolve, heroku_charge, heroku_limits
};
