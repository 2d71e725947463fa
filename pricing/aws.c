/*
 * aws.c -- AWS ECS on Fargate and EC2, with what runs around them: the
 * Application Load Balancer (hours plus LCUs on the busiest dimension),
 * public IPv4 addresses, EBS volumes and internet egress beyond the
 * account's free 100 GB.
 */
#include <string.h>

#include "pricing/common.h"

/* Fargate's allowed task sizes: memory range and step (GB) per vCPU. */
static const struct {
    const char *vcpu;
    const char *mem_min, *mem_max, *step;
} fargate_sizes[] = {
    {"0.25", "0.5", "2", "0.5"}, {"0.5", "1", "4", "1"},
    {"1", "2", "8", "1"}, {"2", "4", "16", "1"}, {"4", "8", "30", "1"},
    {"8", "16", "60", "4"}, {"16", "32", "120", "8"},
};

static sim_fx num(const char *s)
{
    sim_fx v = 0;
    sim_fx_parse(s, &v);
    return v;
}

static int fargate_size_ok(sim_fx vcpu, sim_fx mem)
{
    for (size_t i = 0; i < sizeof fargate_sizes / sizeof fargate_sizes[0];
         i++) {
        if (num(fargate_sizes[i].vcpu) != vcpu)
            continue;
        sim_fx lo = num(fargate_sizes[i].mem_min);
        sim_fx hi = num(fargate_sizes[i].mem_max);
        sim_fx st = num(fargate_sizes[i].step);
        /* 0.25 vCPU takes 0.5, 1 or 2 GB: no 1.5 GB in between. */
        if (vcpu == SIM_FX_ONE / 4)
            return mem == SIM_FX_ONE / 2 || mem == SIM_FX_ONE ||
                   mem == 2 * SIM_FX_ONE;
        return mem >= lo && mem <= hi && (mem - lo) % st == 0;
    }
    return 0;
}

static int aws_common_resolve(const price_ctx *ctx, price_deploy *pd)
{
    int rc = price__check_arch(ctx, pd, ARCH_INSTANCES, "ECS and EC2 run "
                               "tasks and instances; use shared, "
                               "per-tenant, per-agent or pooled");
    if (rc == SIM_OK)
        rc = price__allocated_only(ctx, pd);
    /* Only AWS leaves the idle rule to the user: a scale-in policy of
     * one's own. */
    pd->idle_setting = 1;
    return rc;
}

static int fargate_resolve(const price_ctx *ctx, price_deploy *pd)
{
    const scn_deployment *d = pd->dep;
    int rc;
    if (!d->plan)
        pd->plan = price_provider_plan(pd->prov, "linux-x86");
    else if ((rc = price_require_plan(ctx, pd, "vcpu_price")) != SIM_OK)
        return rc;
    if (!pd->plan)
        return price_reject(ctx, d->pos, "catalog '%s' has no aws-fargate "
                            "linux-x86 plan; name a plan", ctx->cat->name);
    if ((rc = aws_common_resolve(ctx, pd)) != SIM_OK)
        return rc;
    if (!d->has_instance)
        return price_reject(ctx, d->pos, "deployment '%s' needs 'instance' "
                            "(the Fargate task size, e.g. {vcpu: 0.25, "
                            "memory_gb: 0.5})", d->name);
    if (!fargate_size_ok(d->inst_vcpu, d->inst_memory_gb)) {
        char a[32], b[32];
        return price_reject(ctx, d->instance_pos, "Fargate has no task size "
                            "of %s vCPU with %s GB; expected 0.25 vCPU "
                            "with 0.5, 1 or 2 GB, 0.5 with 1-4, 1 with 2-8, "
                            "2 with 4-16, 4 with 8-30 (1 GB steps), 8 with "
                            "16-60 (4 GB steps) or 16 with 32-120 (8 GB "
                            "steps)",
                            sim_fx_format_trim(d->inst_vcpu, 3, a, sizeof a),
                            sim_fx_format_trim(d->inst_memory_gb, 3, b,
                                               sizeof b));
    }
    pd->cap_vcpu = d->inst_vcpu;
    pd->cap_memory_gb = d->inst_memory_gb;
    return SIM_OK;
}

static int ec2_resolve(const price_ctx *ctx, price_deploy *pd)
{
    int rc = price_require_plan(ctx, pd, "price");
    if (rc == SIM_OK)
        rc = aws_common_resolve(ctx, pd);
    if (rc != SIM_OK)
        return rc;
    price__plan_capacity(pd);
    if (pd->dep->has_instance)
        scn_warn(ctx->scn, ctx->diag, pd->dep->instance_pos, "an EC2 "
                 "instance's size comes from its type (%s); 'instance' is "
                 "ignored", pd->plan->id);
    return SIM_OK;
}

/* The ALB, public IPv4 addresses and egress: shared by Fargate and EC2. */
static int network_charge(const price_deploy *pd, const sim_usage *u,
                          price_bill *b)
{
    const scn_extras *e = &pd->dep->extras;
    int rc = SIM_OK;
    sim_fx hour = (sim_fx)3600 * SIM_FX_ONE;
    if (e->ipv4 > 0) {
        /* Addresses bill per hour for running tasks and instances (an
         * auto-assigned address is released when they stop). */
        sim_fx s = price__mul(e->ipv4, u->instance_seconds, &rc);
        if (rc || (rc = price__bill(b, pd, "public_ipv4_hour", s)))
            return rc;
    }
    if (e->load_balancer) {
        sim_fx lb_s = price__mul(u->lb_hours, hour, &rc);
        /* LCUs: the busiest of new connections (25/s), active connections
         * (3,000 a minute) and processed bytes (1 GB an hour) each hour;
         * rule evaluations stay within the 10 free rules per request. */
        sim_fx lcu = 0, x = 0;
        if (sim_fx_div(u->lb_new_conn_per_s, sim_fx_from_int(25), &x) == 0)
            lcu = sim_fx_max(lcu, x);
        if (sim_fx_div(u->lb_active_conns, sim_fx_from_int(3000), &x) == 0)
            lcu = sim_fx_max(lcu, x);
        lcu = sim_fx_max(lcu, u->lb_gb_per_hour);
        if (rc || (rc = price__bill(b, pd, "alb_hour", lb_s)) ||
            (rc = price__bill(b, pd, "alb_lcu_hour",
                              price__mul(lcu, lb_s, &rc))) ||
            (rc = price__bill(b, pd, "alb_ipv4_hour", lb_s)))
            return rc;
    }
    if (u->egress_gb > 0)
        rc = price__bill(b, pd, "egress_gb", u->egress_gb);
    return rc;
}

static int fargate_charge(const price_ctx *ctx, const price_deploy *pd,
                          const sim_usage *u, price_bill *b)
{
    const scn_extras *e = &pd->dep->extras;
    int rc;
    (void)ctx;
    if ((rc = price__bill(b, pd, price_plan_attr(pd->plan, "vcpu_price"),
                          u->alloc_vcpu_seconds)) ||
        (rc = price__bill(b, pd, price_plan_attr(pd->plan, "memory_price"),
                          u->alloc_memory_gb_seconds)))
        return rc;
    sim_fx free_gb = sim_fx_from_int(20);
    if (e->storage_gb > free_gb) {
        sim_fx gbs = price__mul(e->storage_gb - free_gb, u->instance_seconds,
                                &rc);
        if (rc || (rc = price__bill(b, pd, "ephemeral_gb_hour", gbs)))
            return rc;
    }
    return network_charge(pd, u, b);
}

static int ec2_charge(const price_ctx *ctx, const price_deploy *pd,
                      const sim_usage *u, price_bill *b)
{
    const scn_extras *e = &pd->dep->extras;
    int rc;
    (void)ctx;
    if ((rc = price__bill_instance(b, pd, u->instance_seconds)))
        return rc;
    if (e->storage_gb > 0) {
        /* EBS bills while the instance is stopped, too. */
        sim_fx gbs = price__mul(price__mul(e->storage_gb, u->provisioned,
                                           &rc), PRICE_MONTH, &rc);
        if (rc || (rc = price__bill(b, pd, "ebs_gp3_gb_month", gbs)))
            return rc;
    }
    return network_charge(pd, u, b);
}

const struct price_model_ops price_fargate_ops = {
    "aws-fargate", fargate_resolve, fargate_charge, NULL
};
const struct price_model_ops price_ec2_ops = {
    "aws-ec2", ec2_resolve, ec2_charge, NULL
};
