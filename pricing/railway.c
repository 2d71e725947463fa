/*
 * railway.c -- Railway: measured use per minute under a plan minimum.
 *
 * The subscription is a minimum usage commitment: the account pays
 * max(subscription, usage), shown as the subscription, the usage, and a
 * credit of the usage the plan includes.  Railway bills measured CPU and
 * memory, not configured limits; `billing_basis: allocated` bills the
 * instance size instead, for comparisons with the seed documents.
 */
#include <string.h>

#include "pricing/common.h"

static const char *const items[] = {
    "vcpu_second", "memory_gb_second", "egress_gb", "volume_gb_minute",
    NULL
};

/* USD per one unit of item `id`. */
static sim_fx unit_rate(const price_deploy *pd, const char *id)
{
    const price_item *it = price_need(pd, id);
    sim_fx r = 0;
    if (it->per > 0 && sim_fx_div(it->rate, it->per, &r) != SIM_OK)
        return 0;
    return r;
}

/*
 * A plan without a subscription (Free) has nothing to invoice: usage past
 * its credit suspends the service for the rest of the month instead.
 * The credit pays for vCPU and memory; the hour pool it stands for is
 * the awake time it buys at the instance's full size, which is exact for
 * allocated billing and which the engine re-sizes from the metered draw
 * for measured billing.
 */
static int suspending_credit(price_deploy *pd)
{
    const char *credit_id = price_plan_attr(pd->plan, "credit");
    const price_item *sub = price_need(pd, price_plan_attr(pd->plan,
                                                           "subscription"));
    if (!credit_id || sub->rate != 0)
        return SIM_OK;
    pd->credit_pool = price_need(pd, credit_id)->rate;
    pd->credit_vcpu_s = unit_rate(pd, "vcpu_second");
    pd->credit_gb_s = unit_rate(pd, "memory_gb_second");
    sim_fx burn = 0, hours = 0;
    if (sim_fx_mul(pd->cap_vcpu, pd->credit_vcpu_s, &burn) != SIM_OK)
        return SIM_ERANGE;
    sim_fx mem = 0;
    if (sim_fx_mul(pd->cap_memory_gb, pd->credit_gb_s, &mem) != SIM_OK)
        return SIM_ERANGE;
    burn += mem;
    if (pd->credit_pool > 0 && burn > 0 &&
        sim_fx_div(pd->credit_pool, burn * 3600, &hours) == SIM_OK)
        pd->hour_pool = hours;
    return SIM_OK;
}

static int railway_resolve(const price_ctx *ctx, price_deploy *pd)
{
    const scn_deployment *d = pd->dep;
    int rc;
    for (size_t i = 0; items[i]; i++)
        if (!price_need(pd, items[i]))
            return price_reject(ctx, d->provider_pos, "catalog '%s' lacks "
                                "railway item '%s'", ctx->cat->name, items[i]);
    if (!d->plan) {
        pd->plan = price_provider_plan(pd->prov, "hobby");
    } else if ((rc = price_require_plan(ctx, pd, "subscription")) != SIM_OK)
        return rc;
    if (!pd->plan)
        return price_reject(ctx, d->pos, "catalog '%s' has no railway hobby "
                            "plan; name a plan", ctx->cat->name);
    rc = price__check_arch(ctx, pd, ARCH_INSTANCES, "Railway runs "
                           "containers (services); use shared, per-tenant, "
                           "per-agent or pooled");
    if (rc != SIM_OK)
        return rc;
    sim_fx max_cpu = price_plan_num(pd->plan, "max_vcpu", 0);
    sim_fx max_mem = price_plan_num(pd->plan, "max_memory_gb", 0);
    if (d->has_instance) {
        char a[64], b[64];
        if ((max_cpu && d->inst_vcpu > max_cpu) ||
            (max_mem && d->inst_memory_gb > max_mem))
            return price_reject(ctx, d->instance_pos, "a railway %s service "
                                "is limited to %s vCPU and %s GB",
                                pd->plan->id,
                                sim_fx_format_trim(max_cpu, 3, a, sizeof a),
                                sim_fx_format_trim(max_mem, 3, b, sizeof b));
        pd->cap_vcpu = d->inst_vcpu;
        pd->cap_memory_gb = d->inst_memory_gb;
    } else {
        pd->cap_vcpu = max_cpu;
        pd->cap_memory_gb = max_mem;
        if (d->basis == SCN_BASIS_ALLOCATED)
            return price_reject(ctx, d->basis_pos, "billing_basis: allocated "
                                "needs 'instance' (the vCPU and memory to "
                                "bill while running)");
    }
    pd->measured = d->basis != SCN_BASIS_ALLOCATED;
    /* Usage is metered per minute of vCPU and memory: each awake run is
     * billed in whole units of the vCPU item's granularity. */
    pd->run_meter = "vcpu_second";
    return suspending_credit(pd);
}

static int railway_charge(const price_ctx *ctx, const price_deploy *pd,
                          const sim_usage *u, price_bill *b)
{
    const char *sub_id = price_plan_attr(pd->plan, "subscription");
    const char *credit_id = price_plan_attr(pd->plan, "credit");
    int rc = SIM_OK;
    (void)ctx;

    if ((rc = price__bill(b, pd, "vcpu_second",
                          pd->measured ? u->vcpu_seconds
                                       : u->alloc_vcpu_seconds)) ||
        (rc = price__bill(b, pd, "memory_gb_second",
                          pd->measured ? u->memory_gb_seconds
                                       : u->alloc_memory_gb_seconds)))
        return rc;
    if (u->egress_gb > 0 &&
        (rc = price__bill(b, pd, "egress_gb", u->egress_gb)))
        return rc;
    if (pd->dep->extras.storage_gb > 0) {
        /* Volumes bill whether the service is awake or asleep. */
        sim_fx gbs = price__mul(price__mul(pd->dep->extras.storage_gb,
                                           u->provisioned, &rc),
                                PRICE_MONTH, &rc);
        if (rc || (rc = price__bill(b, pd, "volume_gb_minute", gbs)))
            return rc;
    }
    sim_fx usage = b->total;
    const price_item *sub = price_need(pd, sub_id);
    if ((rc = price_bill_fixed(b, sub, SIM_FX_ONE, sub->rate)))
        return rc;
    if (credit_id) {
        const price_item *cr = price_need(pd, credit_id);
        sim_fx used = sim_fx_min(usage, cr->rate);
        /* Suspended when the credit ran out: what ran is what the credit
         * paid for, with no invoice beyond it. */
        if (pd->credit_pool > 0 && u->refused_seconds > 0)
            used = usage;
        if ((rc = price_bill_fixed(b, cr, SIM_FX_ONE, -used)))
            return rc;
    }
    return SIM_OK;
}

const struct price_model_ops price_railway_ops = {
    "railway", railway_resolve, railway_charge, NULL
};
