/*
 * fluid.c -- closed-form usage for the fluid workload.
 */
#include "run/fluid.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#define MONTH ((sim_fx)SIM_MONTH_SECONDS * SIM_FX_ONE)
#define KB_PER_GB ((sim_fx)1048576 * SIM_FX_ONE)

int64_t sim_binomial_quantile(int64_t n, double p, double q)
{
    if (q >= 1 || p >= 1)
        return n;
    if (p <= 0 || n == 0)
        return 0;
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        /* gsl_cdf_binomial_P takes unsigned ints; pools beyond that are
         * sized by the normal approximation, which is exact to well under
         * one instance there. */
        double cdf;
        if (n <= 4000000000LL)
            cdf = gsl_cdf_binomial_P((unsigned)mid, p, (unsigned)n);
        else
            cdf = gsl_cdf_ugaussian_P(((double)mid + 0.5 - n * p) /
                                      sqrt(n * p * (1 - p)));
        if (cdf >= q)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The share of agents active, and overflow folded into a sticky flag to
 * keep formulas readable. */
typedef struct calc {
    sim_fx a;
    int err;
} calc;

static sim_fx mul(calc *c, sim_fx a, sim_fx b)
{
    sim_fx r = 0;
    if (sim_fx_mul(a, b, &r) != SIM_OK)
        c->err = 1;
    return r;
}

static sim_fx divf(calc *c, sim_fx a, sim_fx b)
{
    sim_fx r = 0;
    if (sim_fx_div(a, b, &r) != SIM_OK)
        c->err = 1;
    return r;
}

static sim_fx ifx(int64_t n)
{
    return sim_fx_from_int(n);
}

/* Instances that carry `k` active agents among `n`, or -1 with a
 * diagnostic. */
static int64_t instances_for(const price_ctx *ctx, const price_deploy *pd,
                             int64_t n, sim_fx k, calc *c)
{
    const scn_deployment *d = pd->dep;
    const scn_profile *pr = &ctx->scn->profile;

    if (d->instances >= 0)
        return d->instances;
    sim_fx mem_room = pd->cap_memory_gb - pr->base_memory_gb;
    if (mem_room <= 0) {
        price_reject(ctx, d->pos, "deployment '%s': the runtime's "
                     "base_memory_gb leaves no room for agents in a %s "
                     "instance", d->name, d->plan ? d->plan : "configured");
        return -1;
    }
    if (k > ifx(n))
        k = ifx(n);
    sim_fx cpu_need = mul(c, k, pr->active_vcpu);
    sim_fx mem_need = mul(c, k, pr->active_memory_gb) +
                      mul(c, ifx(n) - k, pr->idle_memory_gb);
    sim_fx by_cpu = pd->cap_vcpu > 0 ? divf(c, cpu_need, pd->cap_vcpu) : 0;
    sim_fx by_mem = divf(c, mem_need, mem_room);
    sim_fx need = divf(c, sim_fx_max(by_cpu, by_mem), d->target_utilization);
    int64_t inst = (int64_t)(sim_fx_ceil_to(need, SIM_FX_ONE) / SIM_FX_ONE);
    if (inst < 1)
        inst = 1;
    /* Memory summed over the pool is not enough: each instance must hold
     * its share of the idle agents and one busy agent besides. */
    sim_capacity cap;
    sim_pool_capacity(ctx, pd, n, inst, &cap);
    if (cap.floor > inst && cap.floor < INT64_MAX)
        inst = cap.floor;
    if (inst < d->min_instances)
        inst = d->min_instances;
    if (inst > d->max_instances)
        inst = d->max_instances;
    return inst;
}

int64_t sim_pool_size(const price_ctx *ctx, const price_deploy *pd,
                      int64_t n, sim_fx k)
{
    calc c = {0, 0};
    int64_t inst = instances_for(ctx, pd, n, k, &c);
    if (c.err && inst >= 0) {
        price_reject(ctx, pd->dep->pos, "deployment '%s': the numbers are "
                     "too large to size exactly", pd->dep->name);
        return -1;
    }
    return inst;
}

int64_t sim_pool_size_guess(const price_ctx *ctx, const price_deploy *pd,
                            int64_t n, sim_fx k)
{
    calc c = {0, 0};
    if (pd->dep->instances < 0 &&
        pd->cap_memory_gb - ctx->scn->profile.base_memory_gb <= 0)
        return -1;      /* instances_for would say why; sizing will */
    int64_t inst = instances_for(ctx, pd, n, k, &c);
    return c.err ? -1 : inst;
}

void sim_pool_capacity(const price_ctx *ctx, const price_deploy *pd,
                       int64_t n, int64_t instances, sim_capacity *out)
{
    const scn_profile *pr = &ctx->scn->profile;
    double room = sim_fx_to_double(pd->cap_memory_gb - pr->base_memory_gb);
    double idle = sim_fx_to_double(pr->idle_memory_gb);
    double active = sim_fx_to_double(pr->active_memory_gb);
    double cpu = sim_fx_to_double(pr->active_vcpu);
    double cap_cpu = sim_fx_to_double(pd->cap_vcpu);
    double by_cpu = 1e18, by_mem = 1e18;

    memset(out, 0, sizeof *out);
    out->resident_gb = (double)n * idle;
    /* A busy agent holds what it needs beyond its idle memory on the
     * instance that has it loaded, so an instance must keep room for one
     * message beside its share of the residents: pooling the spare memory
     * of many instances does not help an agent that lives on one. */
    double extra = active - idle;
    double per_msg = extra > 0 ? extra : 0;
    if (room <= 0 || room - per_msg <= 0)
        out->floor = out->resident_floor = INT64_MAX;
    else if (out->resident_gb > 0) {
        out->floor = (int64_t)ceil(out->resident_gb / (room - per_msg) -
                                   1e-9);
        out->resident_floor = (int64_t)ceil(out->resident_gb / room - 1e-9);
    }
    if (instances < 1)
        instances = 1;
    /* What is left on one instance once its share of the residents is in. */
    double left = room - out->resident_gb / (double)instances;
    if (cpu > 0 && cap_cpu > 0)
        by_cpu = floor(cap_cpu / cpu + 1e-9);
    if (extra > 0)
        by_mem = floor(left / extra + 1e-9);
    else if (left < -1e-9)
        by_mem = 0;
    double k = fmin(by_cpu, by_mem);
    out->by_memory = by_mem < by_cpu;
    out->slots = k < 1 ? 1 : k > 1e9 ? 1000000000 : (int64_t)k;
}

/* Instances one group of `n` agents needs, or -1 with a diagnostic. */
static int64_t size_group(const price_ctx *ctx, const price_deploy *pd,
                          int64_t n, calc *c)
{
    const scn_deployment *d = pd->dep;
    double a = sim_fx_to_double(c->a);
    static const double q[] = {0, 0.95, 0.99, 1};
    sim_fx k;

    if (d->mode == SCN_MODE_AUTOSCALE || d->sizing == SCN_SIZE_MEAN)
        k = mul(c, ifx(n), c->a);
    else
        k = ifx(sim_binomial_quantile(n, a, q[d->sizing]));
    return instances_for(ctx, pd, n, k, c);
}

/* Adds `count` identical groups of `n` agents (`tenants` tenants each). */
static int add_groups(const price_ctx *ctx, const price_deploy *pd,
                      int64_t count, int64_t n, sim_usage *u, calc *c)
{
    const scn_profile *pr = &ctx->scn->profile;
    sim_fx a = c->a;
    if (count == 0)
        return SIM_OK;
    int64_t inst = size_group(ctx, pd, n, c);
    if (inst < 0)
        return SIM_EINVAL;
    sim_fx g = ifx(count), in = ifx(inst);
    sim_fx running = mul(c, g, in);

    u->groups += g;
    u->provisioned += running;
    u->instances_mean += running;
    u->instances_peak += running;
    u->instance_seconds += mul(c, running, MONTH);
    /* Every one runs all month, so each passes a cap shorter than that. */
    if (pd->bill_cap_s > 0 && pd->bill_cap_s < MONTH)
        u->capped_seconds += mul(c, running, MONTH - pd->bill_cap_s);
    u->alloc_vcpu_seconds += mul(c, mul(c, running, pd->cap_vcpu), MONTH);
    u->alloc_memory_gb_seconds +=
        mul(c, mul(c, running, pd->cap_memory_gb), MONTH);
    /* Measured use: active agents' vCPU and memory, idle agents' memory,
     * and each running instance's own runtime memory. */
    sim_fx agents = mul(c, g, ifx(n));
    sim_fx active = mul(c, agents, a);
    u->vcpu_seconds += mul(c, mul(c, active, pr->active_vcpu), MONTH);
    u->memory_gb_seconds +=
        mul(c, mul(c, active, pr->active_memory_gb) +
               mul(c, agents - active, pr->idle_memory_gb) +
               mul(c, running, pr->base_memory_gb), MONTH);
    return SIM_OK;
}

/*
 * Durable Objects / Workers: no instances; an object bills while active,
 * and while a non-hibernatable WebSocket holds it: all the time with
 * `connected: always`, `linger` after each message with `{linger}` (the
 * messages taken as spread out, so no two lingers overlap).  Idle time
 * it could hibernate through is free.
 */
static int fluid_objects(const price_ctx *ctx, const price_deploy *pd,
                         sim_usage *u, calc *c)
{
    const scn_workload *w = &ctx->scn->workload;
    const scn_deployment *d = pd->dep;
    int64_t agents = scn_agents(ctx->scn);
    sim_fx a = c->a;
    sim_fx objects = 0, share = a, per_object = SIM_FX_ONE;

    switch (d->arch) {
    case SCN_ARCH_PER_REQUEST:
        return SIM_OK;
    case SCN_ARCH_PER_TENANT: {
        /* A tenant's object is active when any of its agents is. */
        double idle = pow(1 - sim_fx_to_double(a),
                          (double)w->agents_per_tenant);
        objects = ifx(w->tenants);
        share = sim_fx_from_double(1 - idle);
        per_object = ifx(w->agents_per_tenant);
        break;
    }
    default:        /* per-agent, per-session: one live session per agent */
        objects = ifx(agents);
        break;
    }
    int held = w->transport == SCN_WEBSOCKET && !d->extras.hibernation;
    if (held && w->connected == SCN_CONN_ALWAYS)
        share = SIM_FX_ONE;
    if (held && w->connected == SCN_CONN_LINGER) {
        if (!w->has_messages)
            return price_reject(ctx, w->pos, "deployment '%s': a "
                                "non-hibernatable WebSocket that lingers "
                                "after each reply is billed per message; "
                                "give messages_per_agent_month", d->name);
        sim_fx linger = (sim_fx)w->linger_us * (SIM_FX_ONE / 1000000);
        share += divf(c, mul(c, mul(c, per_object,
                                    w->messages_per_agent_month), linger),
                      MONTH);
        share = sim_fx_min(share, SIM_FX_ONE);
    }
    u->groups = objects;
    u->object_seconds = mul(c, mul(c, objects, share), MONTH);
    u->instances_mean = mul(c, objects, share);
    u->instances_peak = objects;
    u->provisioned = objects;
    u->instance_seconds = u->object_seconds;
    return SIM_OK;
}

/*
 * WebSocket upgrades a month.  A client that stays connected upgrades
 * once; one that connects per message (while-active), or after `linger`
 * has passed since its last reply, upgrades each time it reconnects.
 * The stochastic form counts those from the messages (sim_stochastic_run
 * meters ws_connects); the fluid form takes each agent's messages as
 * evenly spread, so with `linger` every message reconnects unless the
 * gap between them is shorter than the linger.
 */
static sim_fx upgrades(const price_ctx *ctx, const sim_usage *u,
                       sim_fx connected, calc *c)
{
    const scn_workload *w = &ctx->scn->workload;
    if (w->connected == SCN_CONN_ALWAYS)
        return ifx(scn_agents(ctx->scn));
    if (!w->fluid)
        return u->ws_connects;
    if (!w->has_messages)
        return connected;
    if (w->connected == SCN_CONN_LINGER &&
        mul(c, w->messages_per_agent_month,
            (sim_fx)w->linger_us * (SIM_FX_ONE / 1000000)) >= MONTH)
        return ifx(scn_agents(ctx->scn));
    return u->messages;
}

/* Traffic: messages, requests, CPU, egress, connections. */
static void traffic(const price_ctx *ctx, const price_deploy *pd,
                    sim_usage *u, calc *c)
{
    const scn_workload *w = &ctx->scn->workload;
    const scn_profile *pr = &ctx->scn->profile;
    sim_fx agents = ifx(scn_agents(ctx->scn));
    sim_fx connected = 0;

    sim_fx reqs = mul(c, u->messages, pr->requests_per_message);
    u->egress_gb = divf(c, mul(c, u->messages, pr->egress_kb_per_message),
                        KB_PER_GB);
    if (w->transport == SCN_WEBSOCKET) {
        connected = w->connected == SCN_CONN_ALWAYS
                        ? agents
                        : mul(c, agents, c->a);
        /* Each upgrade is a request; the messages then travel over the
         * socket. */
        u->ws_connects = upgrades(ctx, u, connected, c);
        u->ws_messages_in = reqs;
        u->requests = u->ws_connects;
        if (!pd->dep->extras.hibernation && pr->heartbeat_us > 0) {
            sim_fx beats = divf(c, MONTH,
                                (sim_fx)pr->heartbeat_us *
                                    (SIM_FX_ONE / 1000000));
            u->ws_messages_in += mul(c, connected, beats);
        }
        u->lb_new_conn_per_s = divf(c, connected, MONTH);
    } else {
        u->requests = reqs;
        connected = mul(c, agents, c->a);
        u->lb_new_conn_per_s = divf(c, reqs, MONTH);
    }
    /* Over a WebSocket the messages cost CPU besides the upgrades. */
    u->cpu_ms = mul(c, w->transport == SCN_WEBSOCKET ? reqs + u->requests
                                                     : u->requests,
                    pr->cpu_ms_per_request);
    u->lb_active_conns = connected;
    /* A connected client that waits receives keep-alives (SSE comments,
     * WebSocket pings): idle_kb_per_hour for as long as `connected` keeps
     * it there -- all month, or `linger` after each message. */
    if (pr->idle_kb_per_hour > 0 && w->connected != SCN_CONN_WHILE_ACTIVE) {
        sim_fx secs = mul(c, agents, MONTH);
        if (w->connected == SCN_CONN_LINGER) {
            sim_fx ling = mul(c, u->messages, (sim_fx)w->linger_us *
                                                  (SIM_FX_ONE / 1000000));
            secs = sim_fx_min(secs, ling);
        }
        u->egress_gb += divf(c, mul(c, divf(c, secs, ifx(3600)),
                                    pr->idle_kb_per_hour),
                             KB_PER_GB);
    }
    u->lb_gb_per_hour = divf(c, u->egress_gb, ifx(730));
    u->lb_hours = ifx(730);
}

int sim_fluid_run(const price_ctx *ctx, const price_deploy *pd,
                  sim_usage *u)
{
    const scn_workload *w = &ctx->scn->workload;
    const scn_deployment *d = pd->dep;
    calc c = {w->active_fraction, 0};
    int rc = SIM_OK;

    memset(u, 0, sizeof *u);
    if (d->mode == SCN_MODE_SCALE_TO_ZERO && !pd->objects)
        return price_reject(ctx, d->mode_pos, "deployment '%s': scale-to-zero "
                            "depends on when messages arrive and how long "
                            "instances idle; the fluid form (active_fraction) "
                            "has no arrivals -- give messages_per_agent_month "
                            "and busy_per_message instead", d->name);
    if (pd->objects) {
        if ((rc = fluid_objects(ctx, pd, u, &c)) != SIM_OK)
            return rc;
    } else {
        int64_t A = w->agents_per_tenant, T = w->tenants;
        switch (d->arch) {
        case SCN_ARCH_SHARED:
            rc = add_groups(ctx, pd, 1, T * A, u, &c);
            break;
        case SCN_ARCH_PER_TENANT:
            rc = add_groups(ctx, pd, T, A, u, &c);
            break;
        case SCN_ARCH_PER_AGENT:
            rc = add_groups(ctx, pd, T * A, 1, u, &c);
            break;
        case SCN_ARCH_POOLED: {
            int64_t K = d->tenants_per_instance;
            rc = add_groups(ctx, pd, T / K, K * A, u, &c);
            if (rc == SIM_OK && T % K)
                rc = add_groups(ctx, pd, 1, (T % K) * A, u, &c);
            break;
        }
        default:
            rc = price_reject(ctx, d->arch_pos, "architecture '%s' is not "
                              "a %s deployment", scn_arch_names[d->arch],
                              d->provider);
        }
        if (rc != SIM_OK)
            return rc;
    }
    if (w->has_messages)
        u->messages = mul(&c, ifx(scn_agents(ctx->scn)),
                          w->messages_per_agent_month);
    traffic(ctx, pd, u, &c);

    u->awake_fraction = u->provisioned > 0
                            ? divf(&c, u->instance_seconds,
                                   mul(&c, u->provisioned, MONTH))
                            : 0;
    /* An hour pool (Heroku Eco, Render free) puts every instance to sleep
     * once the account's hours are spent; a usage credit (Railway Free)
     * once its dollars are, which at a constant draw is the same. */
    if (pd->hour_pool > 0 && !pd->objects) {
        sim_fx hours = divf(&c, u->instance_seconds, ifx(3600));
        sim_fx pool = pd->credit_pool > 0 ? sim_credit_hours(pd, u)
                                          : pd->hour_pool;
        if (hours > pool) {
            sim_fx keep = divf(&c, pool, hours);
            u->pool_dry_at = mul(&c, MONTH, keep);
            u->refused_seconds = MONTH - u->pool_dry_at;
            u->refused_messages = u->messages - mul(&c, u->messages, keep);
            u->instance_seconds = mul(&c, pool, ifx(3600));
            u->stopped_seconds =
                mul(&c, u->provisioned, MONTH) - u->instance_seconds;
            u->instances_mean = mul(&c, u->instances_mean, keep);
            u->vcpu_seconds = mul(&c, u->vcpu_seconds, keep);
            u->memory_gb_seconds = mul(&c, u->memory_gb_seconds, keep);
            u->alloc_vcpu_seconds = mul(&c, u->alloc_vcpu_seconds, keep);
            u->alloc_memory_gb_seconds =
                mul(&c, u->alloc_memory_gb_seconds, keep);
            u->awake_fraction = keep;
        }
        u->pool_hours_used = divf(&c, u->instance_seconds, ifx(3600));
    }
    if (c.err)
        return price_reject(ctx, d->pos, "deployment '%s': the numbers are "
                            "too large to bill exactly", d->name);
    return SIM_OK;
}

sim_fx sim_credit_hours(const price_deploy *pd, const sim_usage *u)
{
    calc c = {0, 0};
    sim_fx v = pd->measured ? u->vcpu_seconds : u->alloc_vcpu_seconds;
    sim_fx g = pd->measured ? u->memory_gb_seconds
                            : u->alloc_memory_gb_seconds;
    sim_fx cost = mul(&c, v, pd->credit_vcpu_s) + mul(&c, g, pd->credit_gb_s);
    sim_fx hours = mul(&c, u->instances_mean, ifx(730));
    if (c.err || cost <= pd->credit_pool)
        return hours;
    return divf(&c, mul(&c, pd->credit_pool, hours), cost);
}

int sim_traffic(const price_ctx *ctx, const price_deploy *pd, sim_usage *u)
{
    calc c = {ctx->scn->workload.active_fraction, 0};
    traffic(ctx, pd, u, &c);
    return c.err ? SIM_ERANGE : SIM_OK;
}
