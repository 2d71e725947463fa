/*
 * cloudflare.c -- Workers (requests and CPU-ms with included quotas),
 * Durable Objects (requests, incoming WebSocket messages at 20:1, and
 * wall-clock duration at 128 MB per object) and R2 (free tier, whole-unit
 * round-up).  The subscription is a monthly minimum per account.
 */
#include "pricing/common.h"

static int cf_resolve(const price_ctx *ctx, price_deploy *pd)
{
    const scn_deployment *d = pd->dep;
    int rc;
    if (!d->plan)
        pd->plan = price_provider_plan(pd->prov, "workers-paid");
    else if ((rc = price_require_plan(ctx, pd, "subscription")) != SIM_OK)
        return rc;
    if (!pd->plan)
        return price_reject(ctx, d->pos, "catalog '%s' has no cloudflare "
                            "workers-paid plan; name a plan", ctx->cat->name);
    rc = price__check_arch(ctx, pd,
                           ARCH_BIT(SCN_ARCH_PER_REQUEST) |
                               ARCH_BIT(SCN_ARCH_PER_SESSION) |
                               ARCH_BIT(SCN_ARCH_PER_AGENT) |
                               ARCH_BIT(SCN_ARCH_PER_TENANT),
                           "a Durable Object is single-threaded with 128 MB, "
                           "so there is no shared pool; use per-request (a "
                           "plain Worker), per-session, per-agent or "
                           "per-tenant (a Durable Object each)");
    if (rc == SIM_OK)
        rc = price__allocated_only(ctx, pd);
    if (rc != SIM_OK)
        return rc;
    if (d->mode == SCN_MODE_FIXED)
        return price_reject(ctx, d->mode_pos, "Cloudflare has no fixed "
                            "instances: Workers and Durable Objects start on "
                            "demand; drop scaling.mode or use scale-to-zero");
    pd->objects = 1;
    pd->noun = d->arch == SCN_ARCH_PER_REQUEST ? "a Worker"
                                               : "a Durable Object";
    pd->cap_memory_gb = price_plan_num(pd->plan, "object_memory_gb",
                                       SIM_FX_ONE / 8);
    pd->cap_vcpu = SIM_FX_ONE;
    return SIM_OK;
}

static int cf_charge(const price_ctx *ctx, const price_deploy *pd,
                     const sim_usage *u, price_bill *b)
{
    const scn_extras *e = &pd->dep->extras;
    const price_plan *pl = pd->plan;
    const price_item *sub = price_need(pd, price_plan_attr(pl, "subscription"));
    int rc;
    (void)ctx;

    if ((rc = price_bill_fixed(b, sub, SIM_FX_ONE, sub->rate)) ||
        (rc = price__bill(b, pd, price_plan_attr(pl, "requests"),
                          u->requests)) ||
        (rc = price__bill(b, pd, price_plan_attr(pl, "cpu"), u->cpu_ms)))
        return rc;
    if (price_plan_attr(pl, "scripts") &&
        (rc = price__bill(b, pd, price_plan_attr(pl, "scripts"),
                          sim_fx_from_int(e->scripts))))
        return rc;
    if (pd->dep->arch != SCN_ARCH_PER_REQUEST) {
        sim_fx ratio = price_plan_num(pl, "ws_messages_per_request",
                                      sim_fx_from_int(20));
        sim_fx ws = 0, reqs;
        if (sim_fx_div(u->ws_messages_in, ratio, &ws) != SIM_OK)
            return SIM_ERANGE;
        /* Over SSE every message is an HTTP request to the object; over a
         * WebSocket the upgrade is one request and messages count 20:1. */
        reqs = pd->dep->arch == SCN_ARCH_PER_REQUEST ? 0 : u->requests + ws;
        sim_fx gbs = price__mul(u->object_seconds, pd->cap_memory_gb, &rc);
        if (rc || (rc = price__bill(b, pd, "do_requests", reqs)) ||
            (rc = price__bill(b, pd, "do_gb_seconds", gbs)))
            return rc;
    }
    if (e->r2_storage_gb > 0 &&
        (rc = price__bill(b, pd, "r2_storage_gb_month", e->r2_storage_gb)))
        return rc;
    if (e->r2_class_a_millions > 0 &&
        (rc = price__bill(b, pd, "r2_class_a",
                          price__mul(e->r2_class_a_millions,
                                     sim_fx_from_int(1000000), &rc))))
        return rc;
    if (e->r2_class_b_millions > 0 &&
        (rc = price__bill(b, pd, "r2_class_b",
                          price__mul(e->r2_class_b_millions,
                                     sim_fx_from_int(1000000), &rc))))
        return rc;
    return SIM_OK;
}

/* A Worker invocation may use at most 5 minutes of CPU (30 s unless
 * `limits.cpu_ms` raises it); memory (128 MB) is checked for every
 * deployment against cap_memory_gb. */
static void cf_limits(const price_ctx *ctx, const price_deploy *pd,
                      const sim_usage *u, price_reasons *why)
{
    const scn_profile *pr = &ctx->scn->profile;
    sim_fx max_ms = price_plan_num(pd->plan, "max_cpu_ms_per_request",
                                   sim_fx_from_int(300000));
    (void)u;
    if (pr->cpu_ms_per_request > max_ms) {
        char a[32], b[32];
        price_reason(why, "per-request CPU of %s ms exceeds the Workers "
                     "limit of %s ms (5 minutes)",
                     sim_fx_format_trim(pr->cpu_ms_per_request, 3, a,
                                        sizeof a),
                     sim_fx_format_trim(max_ms, 0, b, sizeof b));
    }
}

const struct price_model_ops price_cloudflare_ops = {
    "cloudflare", cf_resolve, cf_charge, cf_limits
};
