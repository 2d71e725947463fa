/*
 * common.c -- helpers the provider modules share (common.h).
 */
#include "pricing/common.h"

#include <stdio.h>
#include <string.h>

int price__check_arch(const price_ctx *ctx, const price_deploy *pd,
                      unsigned allowed, const char *why)
{
    if (allowed & ARCH_BIT(pd->dep->arch))
        return SIM_OK;
    return price_reject(ctx, pd->dep->arch_pos, "%s cannot run architecture "
                        "'%s': %s", pd->dep->provider,
                        scn_arch_names[pd->dep->arch], why);
}

int price__allocated_only(const price_ctx *ctx, const price_deploy *pd)
{
    if (pd->dep->basis == SCN_BASIS_MEASURED)
        return price_reject(ctx, pd->dep->basis_pos, "%s bills the size of "
                            "a running instance, not its measured use; "
                            "billing_basis: measured does not apply",
                            pd->dep->provider);
    return SIM_OK;
}

void price__plan_capacity(price_deploy *pd)
{
    pd->cap_vcpu = price_plan_num(pd->plan, "vcpu", SIM_FX_ONE);
    pd->cap_memory_gb = price_plan_num(pd->plan, "memory_gb", SIM_FX_ONE);
}

int price__bill(price_bill *b, const price_deploy *pd, const char *id,
                sim_fx qty)
{
    const price_item *it = price_need(pd, id);
    if (!it)
        return SIM_ENOTFOUND;
    return price_bill_item(b, it, it->rate, qty, -1);
}

int price__bill_instance(price_bill *b, const price_deploy *pd, sim_fx qty)
{
    /* Regions mark up what an instance costs (Fly's machine presets), not
     * egress or volumes, which have rates of their own. */
    const price_item *it = price_need(pd, price_plan_attr(pd->plan, "price"));
    if (!it)
        return SIM_ENOTFOUND;
    return price_bill_item(b, it, price_item_rate_in(it, pd->prov,
                                                     pd->region), qty, -1);
}

sim_fx price__mul(sim_fx x, sim_fx y, int *rc)
{
    sim_fx r = 0;
    if (*rc == SIM_OK)
        *rc = sim_fx_mul(x, y, &r);
    return r;
}
