/*
 * render.c -- Render: instance tiers prorated by the second; paid
 * instances never sleep; free instances share 750 hours a workspace;
 * workspace seats; outbound bandwidth beyond the workspace's allowance in
 * 100 GB blocks (WebSocket responses included); persistent disks.
 */
#include <stdio.h>
#include <string.h>

#include "pricing/common.h"

static int render_resolve(const price_ctx *ctx, price_deploy *pd)
{
    const scn_deployment *d = pd->dep;
    int rc = price_require_plan(ctx, pd, "price");
    if (rc == SIM_OK)
        rc = price__check_arch(ctx, pd, ARCH_INSTANCES, "Render runs web "
                               "services; use shared, per-tenant, per-agent "
                               "or pooled");
    if (rc == SIM_OK)
        rc = price__allocated_only(ctx, pd);
    if (rc != SIM_OK)
        return rc;
    if (price_plan_num(pd->plan, "never_sleeps", 0) &&
        d->mode == SCN_MODE_SCALE_TO_ZERO)
        return price_reject(ctx, d->mode_pos, "Render's paid instances "
                            "(%s) never sleep; scale-to-zero exists only on "
                            "the free plan", pd->plan->id);
    if (d->extras.workspace) {
        char id[96];
        snprintf(id, sizeof id, "workspace-%s", d->extras.workspace);
        if (!price_provider_plan(pd->prov, id))
            return price_reject(ctx, d->extras.workspace_pos, "unknown "
                                "render workspace '%s'; expected hobby, "
                                "professional or organization",
                                d->extras.workspace);
    }
    price__plan_capacity(pd);
    pd->hour_pool = price_plan_num(pd->plan, "hour_pool", 0);
    return SIM_OK;
}

static int render_charge(const price_ctx *ctx, const price_deploy *pd,
                         const sim_usage *u, price_bill *b)
{
    const scn_extras *e = &pd->dep->extras;
    char id[96];
    int rc;
    (void)ctx;
    if ((rc = price__bill_instance(b, pd, u->instance_seconds)))
        return rc;
    snprintf(id, sizeof id, "workspace-%s",
             e->workspace ? e->workspace : "hobby");
    const price_plan *ws = price_provider_plan(pd->prov, id);
    sim_fx allowance = price_plan_num(ws, "bandwidth_gb", 0);
    const price_item *seat = ws ? price_need(pd, price_plan_attr(ws, "seat"))
                                : NULL;
    if (seat && seat->rate > 0) {
        sim_fx n = sim_fx_from_int(e->seats);
        if ((rc = price_bill_fixed(b, seat, n, price__mul(n, seat->rate,
                                                          &rc))))
            return rc;
    }
    if (u->egress_gb > 0) {
        const price_item *bw = price_need(pd, "bandwidth_block");
        if ((rc = price_bill_item(b, bw, bw->rate, u->egress_gb, allowance)))
            return rc;
    }
    if (e->storage_gb > 0) {
        sim_fx gbs = price__mul(price__mul(e->storage_gb, u->provisioned,
                                           &rc), PRICE_MONTH, &rc);
        if (rc || (rc = price__bill(b, pd, "disk_gb_month", gbs)))
            return rc;
    }
    return SIM_OK;
}

const struct price_model_ops price_render_ops = {
    "render", render_resolve, render_charge, NULL
};
