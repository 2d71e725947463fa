/*
 * feasible.c -- the service level and the limits a deployment must meet.
 */
#include "run/feasible.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

char *rpt_gb_text(double gb, char *buf, size_t size)
{
    if (gb < 1 - 1e-9)
        snprintf(buf, size, "%.4g MB", gb * 1024);
    else
        snprintf(buf, size, "%.4g GB", gb);
    return buf;
}

/* Seconds as the SLO sentences show them: "712 s", "2.5 s", "0.35 s". */
static char *secs(double s, char *buf, size_t size)
{
    if (s >= 100)
        snprintf(buf, size, "%.0f s", s);
    else
        snprintf(buf, size, "%.3g s", s);
    return buf;
}

/* "a Durable Object", "a shared-cpu-1x-256mb instance", "a 1 vCPU / 2 GB
 * instance". */
static char *noun(const price_deploy *pd, char *buf, size_t size)
{
    char m[32], c[32];
    if (pd->noun)
        snprintf(buf, size, "%s", pd->noun);
    else if (pd->plan && !pd->dep->has_instance)
        snprintf(buf, size, "a %s instance", pd->plan->id);
    else
        snprintf(buf, size, "a %s vCPU / %s instance",
                 sim_fx_format_trim(pd->cap_vcpu, 3, c, sizeof c),
                 rpt_gb_text(sim_fx_to_double(pd->cap_memory_gb), m,
                             sizeof m));
    return buf;
}

/* Agents placed together on one instance: the largest group. */
static int64_t agents_per_instance(const scn_scenario *s,
                                   const scn_deployment *d)
{
    int64_t apt = 0;
    for (size_t i = 0; i < s->workload.nclasses; i++)
        if (s->workload.classes[i].agents_per_tenant > apt)
            apt = s->workload.classes[i].agents_per_tenant;
    switch (d->arch) {
    case SCN_ARCH_SHARED:
        return scn_agents(s);
    case SCN_ARCH_PER_TENANT:
        return apt;
    case SCN_ARCH_POOLED: {
        int64_t k = d->tenants_per_instance;
        return (k < s->workload.tenants ? k : s->workload.tenants) * apt;
    }
    default:
        return 1;
    }
}

/* One busy agent, with the runtime and the idle agents beside it, must
 * fit in one instance; pools must hold their residents. */
static void check_fit(const price_ctx *ctx, run_deploy *rd)
{
    const scn_profile *pr = &ctx->scn->profile;
    const price_deploy *pd = &rd->pd;
    const scn_deployment *d = pd->dep;
    char a[48], b[48], e[48], n[96];
    double cap = sim_fx_to_double(pd->cap_memory_gb);
    double base = sim_fx_to_double(pr->base_memory_gb);
    double active = sim_fx_to_double(pr->active_memory_gb);
    double idle = sim_fx_to_double(pr->idle_memory_gb);
    double cpu = sim_fx_to_double(pr->active_vcpu);

    noun(pd, n, sizeof n);
    if (base + active > cap + 1e-9) {
        price_reason(&rd->why, "agents need %s%s; %s has %s",
                     rpt_gb_text(base + active, a, sizeof a),
                     base > 0 ? " with the runtime" : "", n,
                     rpt_gb_text(cap, b, sizeof b));
        return;
    }
    if (pd->cap_vcpu > 0 && cpu > sim_fx_to_double(pd->cap_vcpu) + 1e-9) {
        char c1[32], c2[32];
        price_reason(&rd->why, "a busy agent needs %s vCPU; %s has %s",
                     sim_fx_format_trim(pr->active_vcpu, 3, c1, sizeof c1), n,
                     sim_fx_format_trim(pd->cap_vcpu, 3, c2, sizeof c2));
    }
    if (rd->pool || pd->objects || d->arch == SCN_ARCH_PER_REQUEST)
        return;
    /* An instance of its own per agent group: all its agents resident and
     * one of them busy. */
    int64_t m = agents_per_instance(ctx->scn, d);
    double need = base + (double)(m - 1) * idle + active;
    if (m > 1 && need > cap + 1e-9)
        price_reason(&rd->why, "%lld agents on one instance need %s (%s "
                     "idle each, one busy); %s has %s", (long long)m,
                     rpt_gb_text(need, a, sizeof a),
                     rpt_gb_text(idle, b, sizeof b), n,
                     rpt_gb_text(cap, e, sizeof e));
}

static void check_pool(const price_ctx *ctx, run_deploy *rd)
{
    const scn_deployment *d = rd->pd.dep;
    const sim_capacity *c = &rd->cap;
    char a[48], n[96];
    if (!rd->pool || c->floor == INT64_MAX || c->floor == 0)
        return;
    noun(&rd->pd, n, sizeof n);
    rpt_gb_text(c->resident_gb, a, sizeof a);
    if (d->instances >= 0 && d->instances < c->floor)
        price_reason(&rd->why, "the agents hold %s while idle; %lld "
                     "instances cannot keep them and a busy agent each "
                     "(%lld needed, each %s)", a, (long long)d->instances,
                     (long long)c->floor, n);
    else if (d->mode == SCN_MODE_AUTOSCALE && d->max_instances < c->floor)
        price_reason(&rd->why, "autoscaling max %lld is below the %lld "
                     "instances that keep the agents' %s resident with a "
                     "busy agent each", (long long)d->max_instances,
                     (long long)c->floor, a);
    (void)ctx;
}

/* A fluid pool has no queue to simulate: fixed instances that cannot
 * carry the mean demand would queue without bound. */
static void check_fluid_load(const price_ctx *ctx, run_deploy *rd)
{
    const scn_scenario *s = ctx->scn;
    const scn_deployment *d = rd->pd.dep;
    if (rd->stochastic || !rd->pool || d->instances < 0 ||
        rd->usage.groups <= 0)
        return;
    double per_group = (double)scn_agents(s) /
                       sim_fx_to_double(rd->usage.groups);
    double busy = per_group * sim_fx_to_double(s->workload.active_fraction);
    double carry = (double)d->instances * (double)rd->cap.slots;
    if (busy > carry + 1e-9)
        price_reason(&rd->why, "%lld instances serve at most %.0f messages "
                     "at once; %.4g agents are busy on average, so the "
                     "queue grows without bound", (long long)d->instances,
                     carry, busy);
}

static void check_slo(const price_ctx *ctx, run_deploy *rd)
{
    const scn_slo *slo = &ctx->scn->slo;
    const sim_usage *u = &rd->usage;
    char a[32], b[32];
    if (rd->stochastic && rd->pool && slo->queue_wait_p95_us >= 0 &&
        rd->queue_p95 > (double)slo->queue_wait_p95_us / 1e6)
        price_reason(&rd->why, "p95 queue wait %s > %s",
                     secs(rd->queue_p95, a, sizeof a),
                     secs((double)slo->queue_wait_p95_us / 1e6, b,
                          sizeof b));
    if (slo->cold_start_wait_p95_us >= 0 &&
        rd->wait_p95 > (double)slo->cold_start_wait_p95_us / 1e6)
        price_reason(&rd->why, "p95 cold-start wait %s > %s",
                     secs(rd->wait_p95, a, sizeof a),
                     secs((double)slo->cold_start_wait_p95_us / 1e6, b,
                          sizeof b));
    if (slo->refused_messages < 0)
        return;
    if (u->refused_messages > slo->refused_messages) {
        char r[32], m[32];
        sim_fx_format(u->refused_messages, 0, r, sizeof r);
        sim_fx_format_trim(slo->refused_messages, 2, m, sizeof m);
        if (u->refused_seconds > 0 && u->pool_dry_at > 0)
            price_reason(&rd->why, "%s messages a month refused > %s: "
                         "service stops %.0f h into the month and stays "
                         "down %.0f h", r, m,
                         sim_fx_to_double(u->pool_dry_at) / 3600,
                         sim_fx_to_double(u->refused_seconds) / 3600);
        else
            price_reason(&rd->why, "%s messages a month refused > %s", r, m);
    } else if (slo->refused_messages == 0 && u->refused_seconds > 0)
        price_reason(&rd->why, "service is refused %.0f h a month once its "
                     "hours or credit run out",
                     sim_fx_to_double(u->refused_seconds) / 3600);
}

int rpt_feasibility(const price_ctx *ctx, run_deploy *rd)
{
    check_fit(ctx, rd);
    check_pool(ctx, rd);
    check_fluid_load(ctx, rd);
    check_slo(ctx, rd);
    if (rd->pd.ops->limits)
        rd->pd.ops->limits(ctx, &rd->pd, &rd->usage, &rd->why);
    if (rd->why.nomem)
        return SIM_ENOMEM;
    rd->feasible = rd->why.n == 0;
    return SIM_OK;
}
