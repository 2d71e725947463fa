/*
 * fly.c -- Fly.io Machines: regional presets per 30 days, billed per
 * second while started up to that price a month per machine; stopped
 * machines pay for their rootfs; volumes,
 * egress by region, dedicated IPv4 per app and support per account.
 */
#include "pricing/common.h"

/*
 * The rootfs a stopped machine keeps when the scenario does not say:
 * 1 GB.  Fly bills a stopped or suspended machine $0.15 per GB of rootfs
 * per 30 days, the image plus containerd's overhead (docs: about/billing).
 * An agent image is a runtime and its dependencies: python:3.12-slim or
 * node:22-slim unpack to about 0.15-0.4 GB before an LLM SDK, an HTTP
 * stack and the agent's own code; 1 GB covers a typical one without
 * inflating a small one much (at most $0.15 a machine a month).  0 was
 * never right: no machine has an empty rootfs.
 */
#define FLY_ROOTFS_GB ((sim_fx)1 * SIM_FX_ONE)

static int fly_resolve(const price_ctx *ctx, price_deploy *pd)
{
    pd->auto_stop = 1;          /* auto_stop_machines: stop or suspend */
    int rc = price_require_plan(ctx, pd, "price");
    if (rc == SIM_OK)
        rc = price__check_arch(ctx, pd, ARCH_INSTANCES, "Fly runs Machines; "
                               "use shared, per-tenant, per-agent or "
                               "pooled");
    if (rc == SIM_OK)
        rc = price__allocated_only(ctx, pd);
    if (rc != SIM_OK)
        return rc;
    price__plan_capacity(pd);
    /* A preset's price is for 30 days and it is also the most a machine
     * costs in a month ("$20.37/month, tops" for three 1 GB machines in
     * sjc, docs: about/cost-management): per-second billing stops at 30
     * days, and a machine on for the 730-hour month costs the price, not
     * 730/720 of it. */
    const price_item *price = price_need(pd, price_plan_attr(pd->plan,
                                                             "price"));
    if (price && price->per_time)
        pd->bill_cap_s = price->per;
    /* Extra RAM makes each machine hold more agents. */
    pd->cap_memory_gb += pd->dep->extras.extra_memory_gb;
    if (pd->dep->has_instance)
        scn_warn(ctx->scn, ctx->diag, pd->dep->instance_pos, "fly sizes "
                 "come from the plan (%s); 'instance' is ignored",
                 pd->plan->id);
    return SIM_OK;
}

static int fly_charge(const price_ctx *ctx, const price_deploy *pd,
                      const sim_usage *u, price_bill *b)
{
    const scn_extras *e = &pd->dep->extras;
    int rc;
    /* Started time up to each machine's 30 days (fly_resolve). */
    sim_fx started = sim_fx_max(0, u->instance_seconds - u->capped_seconds);
    if ((rc = price__bill_instance(b, pd, started)))
        return rc;
    if (e->extra_memory_gb > 0) {
        /* Extra RAM is part of the machine's price: per second while
         * started, at the preset's regional markup, under the same cap. */
        const price_item *it = price_need(pd, "extra_ram_gb");
        sim_fx rate = price_item_rate_in(it, pd->prov, pd->region);
        sim_fx gbs = price__mul(started, e->extra_memory_gb, &rc);
        if (rc || (rc = price_bill_item(b, it, rate, gbs, -1)))
            return rc;
    }
    sim_fx rootfs = e->rootfs_gb >= 0 ? e->rootfs_gb : FLY_ROOTFS_GB;
    if (u->stopped_seconds > 0 && rootfs > 0) {
        sim_fx gbs = price__mul(u->stopped_seconds, rootfs, &rc);
        if (rc || (rc = price__bill(b, pd, "stopped_rootfs_gb", gbs)))
            return rc;
    }
    if (e->storage_gb > 0) {
        sim_fx gbs = price__mul(price__mul(e->storage_gb, u->provisioned,
                                           &rc), PRICE_MONTH, &rc);
        if (rc || (rc = price__bill(b, pd, "volume_gb", gbs)))
            return rc;
    }
    if (u->egress_gb > 0) {
        const price_region *rg = pd->region
                                     ? price_provider_region(pd->prov,
                                                             pd->region)
                                     : NULL;
        const char *eg = rg && rg->egress_item ? rg->egress_item
                                               : "egress_na_eu_gb";
        if ((rc = price__bill(b, pd, eg, u->egress_gb)))
            return rc;
    }
    if (e->ipv4 > 0) {
        /* A dedicated IPv4 belongs to an app: one app per group. */
        const price_item *ip = price_need(pd, "dedicated_ipv4");
        sim_fx n = price__mul(e->ipv4, u->groups, &rc);
        if (rc || (rc = price_bill_fixed(b, ip, n,
                                         price__mul(n, ip->rate, &rc))))
            return rc;
    }
    return price_support(ctx, pd, b);
}

const struct price_model_ops price_fly_ops = {"fly", fly_resolve,
                                              fly_charge, NULL};
